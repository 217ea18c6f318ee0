//! The JSON API of the knowledge: product notes and policy articles (list, read, write, history),
//! what fits a ticket, "this solved it", and uses. Thin: extract, call `knowledge`, answer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Article, ArticleInput, HistoryEntry, KnowledgeError, Note, NoteInput};
use crate::api::ApiJson;
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::error::{ApiError, ApiResult};
use crate::i18n::Message;
use crate::ids::{ShopId, TicketId};
use crate::rules::knowledge::RuleArticle;
use crate::state::AppState;
use crate::tickets::repo;

/// The operations of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notes, create_note))
        .routes(routes!(get_note, update_note))
        .routes(routes!(note_history))
        .routes(routes!(archive_note))
        .routes(routes!(list_articles, create_article))
        .routes(routes!(get_article, update_article))
        .routes(routes!(article_history))
        .routes(routes!(ticket_knowledge))
        .routes(routes!(mark_solved))
        .routes(routes!(note_used))
        .routes(routes!(search_knowledge))
}

fn shop_of(user: &CurrentUser, shop: ShopId) -> Result<(), ApiError> {
    user.require_shop(shop)?;
    user.require(Action::ReadTickets)?;
    Ok(())
}

/// A shop's product notes (archived ones left out).
#[utoipa::path(get, path = "/api/v1/shops/{shop}/notes", tag = "knowledge",
    params(("shop" = i64, Path, description = "shop id")),
    responses((status = 200, body = Vec<Note>), (status = 404, body = crate::api::ErrorBody)))]
pub async fn list_notes(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
) -> ApiResult<Json<Vec<Note>>> {
    shop_of(&user, shop)?;
    Ok(Json(super::notes(&state.pool, shop, false).await?))
}

/// Writes a product note about a SKU or a category (supervisors and admins).
#[utoipa::path(post, path = "/api/v1/shops/{shop}/notes", tag = "knowledge",
    params(("shop" = i64, Path, description = "shop id")), request_body = NoteInput,
    responses((status = 201, body = Note), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_note(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    ApiJson(input): ApiJson<NoteInput>,
) -> ApiResult<(StatusCode, Json<Note>)> {
    let note = super::create_note(&state.pool, &user, shop, &input, state.now()).await?;
    Ok((StatusCode::CREATED, Json(note)))
}

/// One note.
#[utoipa::path(get, path = "/api/v1/notes/{id}", tag = "knowledge",
    params(("id" = i64, Path, description = "note id")),
    responses((status = 200, body = Note), (status = 404, body = crate::api::ErrorBody)))]
pub async fn get_note(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> ApiResult<Json<Note>> {
    user.require(Action::ReadTickets)?;
    Ok(Json(
        super::note(&state.pool, &user.shops, id)
            .await?
            .ok_or_else(|| ApiError::not_found("note"))?,
    ))
}

/// Changes a note (supervisors and admins); the text it replaces is kept in its history. With
/// `version`, 409 if someone saved it meanwhile.
#[utoipa::path(put, path = "/api/v1/notes/{id}", tag = "knowledge",
    params(("id" = i64, Path, description = "note id")), request_body = NoteInput,
    responses((status = 200, body = Note), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn update_note(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<NoteInput>,
) -> ApiResult<Json<Note>> {
    Ok(Json(
        super::update_note(&state.pool, &user, id, &input, state.now()).await?,
    ))
}

/// A note's earlier versions, newest first.
#[utoipa::path(get, path = "/api/v1/notes/{id}/history", tag = "knowledge",
    params(("id" = i64, Path, description = "note id")),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 404, body = crate::api::ErrorBody)))]
pub async fn note_history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    user.require(Action::ReadTickets)?;
    let note = super::note(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("note"))?;
    Ok(Json(super::history(&state.pool, note.shop_id, "note", id).await?))
}

/// Archives a note or brings it back.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Archive {
    pub archived: bool,
}

/// Archives a note (off the tickets) or brings it back (supervisors and admins).
#[utoipa::path(post, path = "/api/v1/notes/{id}/archive", tag = "knowledge",
    params(("id" = i64, Path, description = "note id")), request_body = Archive,
    responses((status = 200, body = Note), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody)))]
pub async fn archive_note(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Archive>,
) -> ApiResult<Json<Note>> {
    Ok(Json(
        super::set_note_archived(&state.pool, &user, id, input.archived).await?,
    ))
}

/// A shop's policy articles.
#[utoipa::path(get, path = "/api/v1/shops/{shop}/articles", tag = "knowledge",
    params(("shop" = i64, Path, description = "shop id")),
    responses((status = 200, body = Vec<Article>), (status = 404, body = crate::api::ErrorBody)))]
pub async fn list_articles(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
) -> ApiResult<Json<Vec<Article>>> {
    shop_of(&user, shop)?;
    Ok(Json(super::articles(&state.pool, shop).await?))
}

/// Writes a policy article with its source (supervisors and admins); one per `rule` (422
/// `rule_taken` for a second).
#[utoipa::path(post, path = "/api/v1/shops/{shop}/articles", tag = "knowledge",
    params(("shop" = i64, Path, description = "shop id")), request_body = ArticleInput,
    responses((status = 201, body = Article), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create_article(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    ApiJson(input): ApiJson<ArticleInput>,
) -> ApiResult<(StatusCode, Json<Article>)> {
    let article = super::create_article(&state.pool, &user, shop, &input, state.now()).await?;
    Ok((StatusCode::CREATED, Json(article)))
}

/// One article.
#[utoipa::path(get, path = "/api/v1/articles/{id}", tag = "knowledge",
    params(("id" = i64, Path, description = "article id")),
    responses((status = 200, body = Article), (status = 404, body = crate::api::ErrorBody)))]
pub async fn get_article(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Article>> {
    user.require(Action::ReadTickets)?;
    Ok(Json(
        super::article(&state.pool, &user.shops, id)
            .await?
            .ok_or_else(|| ApiError::not_found("article"))?,
    ))
}

/// Changes an article (supervisors and admins); the text it replaces is kept in its history.
#[utoipa::path(put, path = "/api/v1/articles/{id}", tag = "knowledge",
    params(("id" = i64, Path, description = "article id")), request_body = ArticleInput,
    responses((status = 200, body = Article), (status = 403, body = crate::api::ErrorBody),
              (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody),
              (status = 422, body = crate::api::ErrorBody)))]
pub async fn update_article(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ArticleInput>,
) -> ApiResult<Json<Article>> {
    Ok(Json(
        super::update_article(&state.pool, &user, id, &input, state.now()).await?,
    ))
}

/// An article's earlier versions, newest first.
#[utoipa::path(get, path = "/api/v1/articles/{id}/history", tag = "knowledge",
    params(("id" = i64, Path, description = "article id")),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 404, body = crate::api::ErrorBody)))]
pub async fn article_history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    user.require(Action::ReadTickets)?;
    let article = super::article(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("article"))?;
    Ok(Json(super::history(&state.pool, article.shop_id, "article", id).await?))
}

/// What the desk knows about a ticket's item and case.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketKnowledge {
    /// The notes of the ticket's SKU and of its category, what helped most first.
    pub notes: Vec<Note>,
    /// The articles that fit the ticket's kind and reason, most used first.
    pub articles: Vec<Article>,
    /// The notes marked as having solved this ticket.
    pub solved: Vec<i64>,
    /// Where the seven-day verdict's article is (the shop's own, else the desk's).
    pub seven_day_article: String,
}

/// The notes and articles for a ticket.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/knowledge", tag = "knowledge",
    params(("id" = i64, Path, description = "ticket id")),
    responses((status = 200, body = TicketKnowledge), (status = 404, body = crate::api::ErrorBody)))]
pub async fn ticket_knowledge(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<TicketId>,
) -> ApiResult<Json<TicketKnowledge>> {
    user.require(Action::ReadTickets)?;
    let ticket = repo::get(&state.pool, &user.shops, id)
        .await?
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    Ok(Json(TicketKnowledge {
        notes: super::notes_for(&state.pool, &ticket).await?,
        articles: super::articles_for(
            &state.pool,
            ticket.shop_id,
            ticket.kind().as_str(),
            ticket.reason.as_str(),
        )
        .await?,
        solved: super::solved_on(&state.pool, ticket.shop_id, id).await?,
        seven_day_article: super::rule_href(&state.pool, ticket.shop_id, RuleArticle::SevenDay).await?,
    }))
}

/// Whether a mark was new, and the note's count of tickets solved.
#[derive(Debug, Serialize, ToSchema)]
pub struct Solved {
    pub newly_marked: bool,
    pub solved: i64,
}

/// Marks a note as having solved the ticket: counted once per ticket (marking again changes
/// nothing).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/knowledge/{note}/solved", tag = "knowledge",
    params(("id" = i64, Path, description = "ticket id"), ("note" = i64, Path, description = "note id")),
    responses((status = 200, body = Solved), (status = 404, body = crate::api::ErrorBody)))]
pub async fn mark_solved(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, note)): Path<(TicketId, i64)>,
) -> ApiResult<Json<Solved>> {
    let newly_marked = super::mark_solved(&state.pool, &user, id, note, state.now()).await?;
    let solved = super::note(&state.pool, &user.shops, note)
        .await?
        .map_or(0, |n| n.solved);
    Ok(Json(Solved { newly_marked, solved }))
}

/// Counts a use of a note (`subject` `note`) or an article (`article`): it was put into a
/// follow-up; what is used most is shown first.
#[utoipa::path(post, path = "/api/v1/knowledge/{subject}/{id}/uses", tag = "knowledge",
    params(("subject" = String, Path, description = "`note` or `article`"), ("id" = i64, Path, description = "its id")),
    responses((status = 204, description = "counted"), (status = 404, body = crate::api::ErrorBody)))]
pub async fn note_used(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((subject, id)): Path<(String, i64)>,
) -> ApiResult<StatusCode> {
    super::count_use(&state.pool, &user, &subject, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The words looked for.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words in a note's or an article's title, text, fix, SKU or source.
    pub q: String,
}

/// Notes and articles found.
#[derive(Debug, Serialize, ToSchema)]
pub struct KnowledgeFound {
    pub notes: Vec<Note>,
    pub articles: Vec<Article>,
}

/// Finds notes and articles of a shop by what they say (at most 20 of each).
#[utoipa::path(get, path = "/api/v1/shops/{shop}/knowledge/search", tag = "knowledge",
    params(("shop" = i64, Path, description = "shop id"), SearchQuery),
    responses((status = 200, body = KnowledgeFound), (status = 404, body = crate::api::ErrorBody)))]
pub async fn search_knowledge(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(shop): Path<ShopId>,
    crate::api::ApiQuery(query): crate::api::ApiQuery<SearchQuery>,
) -> ApiResult<Json<KnowledgeFound>> {
    shop_of(&user, shop)?;
    let (notes, articles) = super::search(&state.pool, shop, &query.q, 20).await?;
    Ok(Json(KnowledgeFound { notes, articles }))
}

impl From<KnowledgeError> for ApiError {
    fn from(error: KnowledgeError) -> ApiError {
        match error {
            KnowledgeError::Forbidden(denied) => ApiError::from(denied),
            KnowledgeError::NotFound => ApiError::not_found("note, article or ticket"),
            KnowledgeError::Invalid(field) => ApiError::from(field),
            KnowledgeError::Stale { current } => ApiError::stale_version(current),
            KnowledgeError::RuleTaken => {
                ApiError::unprocessable("rule_taken", Message::new("knowledge.error.rule_taken").english())
                    .with_details(serde_json::json!({ "field": "rule" }))
            }
            KnowledgeError::Storage(error) => ApiError::from(error),
        }
    }
}

//! The knowledge on the pages: the ticket page's panel (`templates/_ticket_knowledge.html`: the
//! notes of the ticket's SKU and category with "insert into the follow-up" and "this solved
//! it", the articles that fit), the knowledge page `/knowledge` (`knowledge.html`: every note
//! and article, and the forms to add them), a note `/knowledge/notes/{id}` and an article
//! `/knowledge/articles/{id}` with their history and edit forms (`knowledge_item.html`), and the
//! desk's own articles on its rules `/knowledge/rules/{rule}`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use sqlx::PgConnection;

use super::{ArticleInput, KnowledgeError, NoteInput};
use crate::api::{ApiForm, ApiQuery};
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::db::batch::{Answers, Batch, Part};
use crate::edge::FieldError;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::ids::{ShopId, TicketId};
use crate::rules::knowledge::{NoteKind, RuleArticle, Scope};
use crate::rules::reason::ReasonCode;
use crate::rules::workflow::TicketKind;
use crate::state::AppState;
use crate::tickets::Ticket;
use crate::tickets::pages::Refusal;
use crate::tickets::pages::ticket::{Draft, answer};
use crate::web::views::{Choice, Flash, Layout};
use crate::web::{FormErrors, Page, PageError, PageResult, render};

/// The routes of the pages.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/tickets/{id}/knowledge/{note}/solved", post(mark_solved))
        .route("/knowledge", get(show_knowledge))
        .route("/knowledge/notes", post(add_note))
        .route("/knowledge/notes/{id}", get(show_note).post(save_note))
        .route("/knowledge/notes/{id}/archive", post(archive_note))
        .route("/knowledge/articles", post(add_article))
        .route("/knowledge/articles/{id}", get(show_article).post(save_article))
        .route("/knowledge/rules/{rule}", get(show_rule))
}

// ---- the ticket page's panel ----

/// A note as the panel shows it.
pub struct NoteCard {
    pub id: i64,
    /// "SKU DG-EARBUD-BLK" or "Category 数码".
    pub about: String,
    pub kind: String,
    pub known_issue: bool,
    /// What counts as intact for the item (shown beside the inspection checklist too).
    pub intact: bool,
    pub title: String,
    pub body: String,
    pub fix: String,
    /// What "insert" puts into the follow-up.
    pub insert: String,
    /// Photos of a good item: where each image is.
    pub photos: Vec<String>,
    pub solved: i64,
    /// "Solved 3 tickets".
    pub solved_text: String,
    /// It was marked as having solved this ticket.
    pub solved_here: bool,
}

/// An article as the panel lists it.
pub struct ArticleLink {
    pub href: String,
    pub title: String,
    pub source: String,
}

/// The panel.
pub struct KnowledgeBox {
    pub notes: Vec<NoteCard>,
    pub articles: Vec<ArticleLink>,
    /// Where the seven-day verdict's article is.
    pub seven_day_href: String,
    pub can_work: bool,
    pub can_manage: bool,
}

/// Where the panel's reads are in the ticket page's batch.
pub struct KnowledgeAsked {
    solved: Part<super::SolvedNote>,
    articles: Part<super::Article>,
    seven_day: Part<super::OwnArticle>,
    notes: Part<super::Note>,
}

impl KnowledgeBox {
    /// What the panel reads, added to the ticket page's `batch`: the notes on the ticket's goods
    /// among it (their category looked up from the ticket's order line in the same read).
    pub fn ask(batch: &mut Batch, ticket: &Ticket) -> KnowledgeAsked {
        KnowledgeAsked {
            solved: batch.add(super::solved_notes(ticket.shop_id, ticket.id)),
            articles: batch.add(super::articles_of(ticket.shop_id)),
            seven_day: batch.add(super::rule_article(ticket.shop_id, RuleArticle::SevenDay)),
            notes: batch.add(super::notes_on_ticket(ticket)),
        }
    }

    /// The panel for `ticket` as `user` sees it, from what [`KnowledgeBox::ask`] read (the
    /// places of the notes' photos read here, when they have any).
    pub async fn load(
        asked: KnowledgeAsked,
        answers: &Answers,
        db: &mut PgConnection,
        user: &CurrentUser,
        t: Tr,
        ticket: &Ticket,
    ) -> sqlx::Result<KnowledgeBox> {
        let notes = super::ranked_notes(answers.rows(asked.notes)?);
        let solved: Vec<i64> = answers.rows(asked.solved)?.into_iter().map(|s| s.note_id).collect();
        let articles = super::fitting(
            answers.rows(asked.articles)?,
            ticket.kind().as_str(),
            ticket.reason.as_str(),
        );
        let seven_day_href = super::rule_href_to(answers.first(asked.seven_day)?, RuleArticle::SevenDay);
        let all_photos: Vec<i64> = notes.iter().flat_map(|n| n.photos.iter().copied()).collect();
        let places = if all_photos.is_empty() {
            Vec::new()
        } else {
            super::photo_places(&mut *db, ticket.shop_id, &all_photos).await?
        };
        let href = |id: &i64| {
            places
                .iter()
                .find(|(photo, _)| photo == id)
                .map(|(photo, ticket)| format!("/tickets/{ticket}/evidence/{photo}"))
        };
        Ok(KnowledgeBox {
            notes: notes
                .iter()
                .map(|n| {
                    let scope = Scope::parse(&n.scope).unwrap_or(Scope::Sku);
                    NoteCard {
                        id: n.id,
                        about: format!("{} {}", t.t(scope.label_key()), n.subject),
                        kind: NoteKind::parse(&n.kind)
                            .map_or_else(|| n.kind.clone(), |k| t.t(k.label_key()).to_string()),
                        known_issue: n.kind == NoteKind::KnownIssue.as_str(),
                        intact: n.kind == NoteKind::Intact.as_str(),
                        title: n.title.clone(),
                        body: n.body.clone(),
                        fix: n.fix.clone(),
                        insert: n.insert_text().to_string(),
                        photos: n.photos.iter().filter_map(href).collect(),
                        solved: n.solved,
                        solved_text: t.f("knowledge.solved_count", &[("n", &n.solved)]),
                        solved_here: solved.contains(&n.id),
                    }
                })
                .collect(),
            articles: articles
                .iter()
                .map(|a| ArticleLink {
                    href: format!("/knowledge/articles/{}", a.id),
                    title: a.title.clone(),
                    source: a.source.clone(),
                })
                .collect(),
            seven_day_href,
            can_work: user.may(Action::WorkTickets),
            can_manage: user.may(Action::ManageKnowledge),
        })
    }
}

impl From<KnowledgeError> for Refusal {
    fn from(error: KnowledgeError) -> Refusal {
        match error {
            KnowledgeError::NotFound => Refusal::Page(PageError::not_found()),
            KnowledgeError::Invalid(field) => Refusal::Field(field),
            other => Refusal::Said(ApiError::from(other)),
        }
    }
}

/// "This solved it": marks a note as having solved the ticket.
pub async fn mark_solved(
    State(state): State<AppState>,
    page: Page,
    Path((id, note)): Path<(TicketId, i64)>,
) -> PageResult {
    let result = match super::mark_solved(&state.pool, &page.user, id, note, state.now()).await {
        Ok(_) => crate::links::page::reload(&state.pool, &page.user, id).await,
        Err(error) => Err(Refusal::from(error)),
    };
    answer(&state, &page, id, result, "knowledge.flash.solved", Draft::default()).await
}

// ---- the knowledge page ----

/// The page's query.
#[derive(Debug, Default, Deserialize)]
pub struct ShopQuery {
    pub shop: Option<ShopId>,
    pub done: Option<String>,
}

/// A line of the lists.
pub struct ItemLine {
    pub href: String,
    pub about: String,
    pub kind: String,
    pub title: String,
    pub solved: i64,
    pub uses: i64,
    pub updated: String,
}

/// The knowledge page.
#[derive(Template)]
#[template(path = "knowledge.html")]
pub struct KnowledgePage {
    pub layout: Layout,
    pub shop_id: i64,
    pub shops: Vec<Choice>,
    pub notes: Vec<ItemLine>,
    pub articles: Vec<ItemLine>,
    pub rules: Vec<(String, String)>,
    pub can_manage: bool,
    pub note_form: NoteForm,
    pub article_form: ArticleForm,
    pub errors: FormErrors,
    /// Which form a refusal is about: `note` or `article`.
    pub refused: String,
}

/// The note form: its fields as typed and its choices.
#[derive(Default)]
pub struct NoteForm {
    pub scopes: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub subject: String,
    pub title: String,
    pub body: String,
    pub fix: String,
    pub version: String,
    /// Photos that may go on the note (an edit's), ticked when on it: with where each is.
    pub photos: Vec<(Choice, String)>,
}

/// The article form.
#[derive(Default)]
pub struct ArticleForm {
    pub title: String,
    pub body: String,
    pub source: String,
    pub rules: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub reasons: Vec<Choice>,
    pub version: String,
}

impl NoteForm {
    fn new(t: Tr, typed: &[(String, String)]) -> NoteForm {
        let value = |name: &str| field(typed, name);
        NoteForm {
            scopes: [Scope::Sku, Scope::Category]
                .iter()
                .map(|s| Choice::new(s.as_str(), t.t(s.label_key()), value("scope") == s.as_str()))
                .collect(),
            kinds: NoteKind::ALL
                .iter()
                .map(|k| Choice::new(k.as_str(), t.t(k.label_key()), value("kind") == k.as_str()))
                .collect(),
            subject: value("subject"),
            title: value("title"),
            body: value("body"),
            fix: value("fix"),
            version: value("version"),
            photos: Vec::new(),
        }
    }

    /// Offers `choices` as the note's photos, ticking those in `typed` (`photos`, repeated).
    fn with_photos(mut self, choices: &[super::PhotoChoice], typed: &[(String, String)]) -> NoteForm {
        self.photos = choices
            .iter()
            .map(|c| {
                let ticked = typed.iter().any(|(n, v)| n == "photos" && v == &c.id.to_string());
                (
                    Choice::new(c.id.to_string(), c.file_name.clone(), ticked),
                    format!("/tickets/{}/evidence/{}", c.ticket_id, c.id),
                )
            })
            .collect();
        self
    }

    fn of(t: Tr, note: &super::Note) -> NoteForm {
        NoteForm::new(t, &note_typed(note))
    }
}

impl ArticleForm {
    fn new(t: Tr, typed: &[(String, String)]) -> ArticleForm {
        let value = |name: &str| field(typed, name);
        let all = |name: &str| -> Vec<String> {
            typed
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let (kinds, reasons) = (all("kinds"), all("reasons"));
        ArticleForm {
            title: value("title"),
            body: value("body"),
            source: value("source"),
            rules: RuleArticle::ALL
                .iter()
                .map(|r| Choice::new(r.as_str(), t.t(&r.keys().0), value("rule") == r.as_str()))
                .collect(),
            kinds: TicketKind::ALL
                .iter()
                .map(|k| Choice::new(k.as_str(), k.label(t.lang), kinds.iter().any(|x| x == k.as_str())))
                .collect(),
            reasons: ReasonCode::ALL
                .iter()
                .map(|r| Choice::new(r.as_str(), r.label(t.lang), reasons.iter().any(|x| x == r.as_str())))
                .collect(),
            version: value("version"),
        }
    }

    fn of(t: Tr, article: &super::Article) -> ArticleForm {
        let mut typed: Vec<(String, String)> = vec![
            ("title".into(), article.title.clone()),
            ("body".into(), article.body.clone()),
            ("source".into(), article.source.clone()),
            ("rule".into(), article.rule.clone().unwrap_or_default()),
            ("version".into(), article.version.to_string()),
        ];
        typed.extend(article.kinds.iter().map(|k| ("kinds".to_string(), k.clone())));
        typed.extend(article.reasons.iter().map(|r| ("reasons".to_string(), r.clone())));
        ArticleForm::new(t, &typed)
    }
}

/// A note's fields as the form posts them.
fn note_typed(note: &super::Note) -> Vec<(String, String)> {
    let mut typed: Vec<(String, String)> = [
        ("scope", note.scope.clone()),
        ("kind", note.kind.clone()),
        ("subject", note.subject.clone()),
        ("title", note.title.clone()),
        ("body", note.body.clone()),
        ("fix", note.fix.clone()),
        ("version", note.version.to_string()),
    ]
    .map(|(n, v)| (n.to_string(), v))
    .to_vec();
    typed.extend(note.photos.iter().map(|p| ("photos".to_string(), p.to_string())));
    typed
}

fn field(typed: &[(String, String)], name: &str) -> String {
    typed
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn note_input(typed: &[(String, String)]) -> Result<NoteInput, FieldError> {
    let value = |name: &str| field(typed, name);
    Ok(NoteInput {
        scope: Scope::parse(&value("scope")).ok_or_else(|| FieldError::new("scope", "knowledge.error.pick_scope"))?,
        subject: value("subject"),
        kind: NoteKind::parse(&value("kind")).ok_or_else(|| FieldError::new("kind", "knowledge.error.pick_kind"))?,
        title: value("title"),
        body: value("body"),
        fix: value("fix"),
        photos: typed
            .iter()
            .filter(|(n, _)| n == "photos")
            .filter_map(|(_, v)| v.parse().ok())
            .collect(),
        version: value("version").parse().ok(),
    })
}

fn article_input(typed: &[(String, String)]) -> ArticleInput {
    let value = |name: &str| field(typed, name);
    let all = |name: &str| -> Vec<String> {
        typed
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    ArticleInput {
        title: value("title"),
        body: value("body"),
        source: value("source"),
        rule: RuleArticle::parse(&value("rule")),
        kinds: all("kinds"),
        reasons: all("reasons"),
        version: value("version").parse().ok(),
    }
}

async fn knowledge_page(state: &AppState, page: &Page, asked: Option<ShopId>) -> PageResult<KnowledgePage> {
    page.user.require(Action::ReadTickets)?;
    let (shop, shops) = crate::web::chosen_shop(state, &page.user, asked).await?;
    let t = Tr::new(page.t.lang, shop.zone());
    let notes = super::notes(&state.pool, shop.id, false).await?;
    let articles = super::articles(&state.pool, shop.id).await?;
    Ok(KnowledgePage {
        layout: Layout::new(state, t, &page.user, "knowledge", page.path.clone()),
        shop_id: shop.id.0,
        shops,
        notes: notes
            .iter()
            .map(|n| ItemLine {
                href: format!("/knowledge/notes/{}", n.id),
                about: format!(
                    "{} {}",
                    Scope::parse(&n.scope).map_or("", |s| t.t(s.label_key())),
                    n.subject
                ),
                kind: NoteKind::parse(&n.kind).map_or_else(|| n.kind.clone(), |k| t.t(k.label_key()).to_string()),
                title: n.title.clone(),
                solved: n.solved,
                uses: n.uses,
                updated: t.f(
                    "stock.by_at",
                    &[("who", &n.updated_by_name), ("when", &t.datetime(&n.updated_at))],
                ),
            })
            .collect(),
        articles: articles
            .iter()
            .map(|a| ItemLine {
                href: format!("/knowledge/articles/{}", a.id),
                about: a.source.clone(),
                kind: a
                    .rule
                    .as_deref()
                    .and_then(RuleArticle::parse)
                    .map_or_else(String::new, |r| t.t(&r.keys().0).to_string()),
                title: a.title.clone(),
                solved: 0,
                uses: a.uses,
                updated: t.f(
                    "stock.by_at",
                    &[("who", &a.updated_by_name), ("when", &t.datetime(&a.updated_at))],
                ),
            })
            .collect(),
        rules: RuleArticle::ALL
            .iter()
            .map(|r| (format!("/knowledge/rules/{}", r.as_str()), t.t(&r.keys().0).to_string()))
            .collect(),
        can_manage: page.user.may(Action::ManageKnowledge),
        note_form: NoteForm::new(t, &[]),
        article_form: ArticleForm::new(t, &[]),
        errors: FormErrors::none(),
        refused: String::new(),
    })
}

/// Shows the shop's notes and articles.
pub async fn show_knowledge(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(query): ApiQuery<ShopQuery>,
) -> PageResult {
    let mut view = knowledge_page(&state, &page, query.shop).await?;
    view.layout.flash = query.done.map(|_| Flash {
        ok: true,
        text: page.t.t("knowledge.flash.saved").to_string(),
    });
    Ok(render(&view)?.into_response())
}

fn shop_field(typed: &[(String, String)]) -> Result<ShopId, PageError> {
    field(typed, "shop")
        .parse::<ShopId>()
        .map_err(|_| PageError::from(ApiError::not_found("shop")))
}

/// Adds a note.
pub async fn add_note(
    State(state): State<AppState>,
    page: Page,
    ApiForm(typed): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    let shop = shop_field(&typed)?;
    let result = match note_input(&typed) {
        Ok(input) => super::create_note(&state.pool, &page.user, shop, &input, state.now()).await,
        Err(field) => Err(KnowledgeError::Invalid(field)),
    };
    match result {
        Ok(note) => Ok(Redirect::to(&format!("/knowledge/notes/{}?done=saved", note.id)).into_response()),
        Err(KnowledgeError::Invalid(field)) => {
            let mut view = knowledge_page(&state, &page, Some(shop)).await?;
            view.errors.add(page.t, &field);
            view.note_form = NoteForm::new(page.t, &typed);
            view.refused = "note".into();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response())
        }
        Err(error) => Err(ApiError::from(error).into()),
    }
}

/// Adds an article.
pub async fn add_article(
    State(state): State<AppState>,
    page: Page,
    ApiForm(typed): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    let shop = shop_field(&typed)?;
    let input = article_input(&typed);
    match super::create_article(&state.pool, &page.user, shop, &input, state.now()).await {
        Ok(article) => Ok(Redirect::to(&format!("/knowledge/articles/{}?done=saved", article.id)).into_response()),
        Err(error @ (KnowledgeError::Invalid(_) | KnowledgeError::RuleTaken)) => {
            let field = match error {
                KnowledgeError::Invalid(field) => field,
                _ => FieldError::new("rule", "knowledge.error.rule_taken"),
            };
            let mut view = knowledge_page(&state, &page, Some(shop)).await?;
            view.errors.add(page.t, &field);
            view.article_form = ArticleForm::new(page.t, &typed);
            view.refused = "article".into();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response())
        }
        Err(error) => Err(ApiError::from(error).into()),
    }
}

// ---- one note or article ----

/// A note's, an article's or a rule's page.
#[derive(Template)]
#[template(path = "knowledge_item.html")]
pub struct ItemPage {
    pub layout: Layout,
    pub heading: String,
    pub about: String,
    pub body: String,
    pub fix: String,
    pub source: String,
    pub updated: String,
    /// `note`, `article` or `rule` (the desk's own, not edited).
    pub what: &'static str,
    /// A note's photos of a good item: where each is.
    pub photos: Vec<String>,
    pub action: String,
    pub shop_id: i64,
    pub archived: bool,
    pub can_manage: bool,
    pub note_form: NoteForm,
    pub article_form: ArticleForm,
    pub history: Vec<HistoryLine>,
    pub errors: FormErrors,
    pub edit_open: bool,
}

/// An earlier version.
pub struct HistoryLine {
    pub version: i32,
    pub title: String,
    pub body: String,
    pub extra: String,
    pub changed: String,
}

fn history_lines(t: Tr, history: &[super::HistoryEntry]) -> Vec<HistoryLine> {
    history
        .iter()
        .map(|h| HistoryLine {
            version: h.version,
            title: h.title.clone(),
            body: h.body.clone(),
            extra: ["fix", "source"]
                .iter()
                .filter_map(|k| h.extra.get(*k).and_then(|v| v.as_str()))
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("\n"),
            changed: t.f(
                "stock.by_at",
                &[("who", &h.changed_by_name), ("when", &t.datetime(&h.changed_at))],
            ),
        })
        .collect()
}

async fn note_page(state: &AppState, page: &Page, id: i64) -> PageResult<ItemPage> {
    page.user.require(Action::ReadTickets)?;
    let note = super::note(&state.pool, &page.user.shops, id)
        .await?
        .ok_or_else(PageError::not_found)?;
    let t = page.t;
    let history = super::history(&state.pool, note.shop_id, "note", id).await?;
    let scope = Scope::parse(&note.scope).unwrap_or(Scope::Sku);
    let choices = super::photo_choices(&state.pool, &note).await?;
    let photos = super::photo_places(&state.pool, note.shop_id, &note.photos)
        .await?
        .into_iter()
        .map(|(photo, ticket)| format!("/tickets/{ticket}/evidence/{photo}"))
        .collect();
    Ok(ItemPage {
        layout: Layout::new(state, t, &page.user, "knowledge", page.path.clone()),
        heading: note.title.clone(),
        about: format!(
            "{} {} · {}",
            t.t(scope.label_key()),
            note.subject,
            NoteKind::parse(&note.kind).map_or("", |k| t.t(k.label_key()))
        ),
        body: note.body.clone(),
        fix: note.fix.clone(),
        source: String::new(),
        updated: t.f(
            "knowledge.note_stats",
            &[
                ("who", &note.updated_by_name),
                ("when", &t.datetime(&note.updated_at)),
                ("version", &note.version),
                ("solved", &note.solved),
                ("uses", &note.uses),
            ],
        ),
        what: "note",
        photos,
        action: format!("/knowledge/notes/{id}"),
        shop_id: note.shop_id.0,
        archived: note.archived,
        can_manage: page.user.may(Action::ManageKnowledge),
        note_form: NoteForm::of(t, &note).with_photos(&choices, &note_typed(&note)),
        article_form: ArticleForm::default(),
        history: history_lines(t, &history),
        errors: FormErrors::none(),
        edit_open: false,
    })
}

async fn article_page(state: &AppState, page: &Page, id: i64) -> PageResult<ItemPage> {
    page.user.require(Action::ReadTickets)?;
    let article = super::article(&state.pool, &page.user.shops, id)
        .await?
        .ok_or_else(PageError::not_found)?;
    let t = page.t;
    let history = super::history(&state.pool, article.shop_id, "article", id).await?;
    Ok(ItemPage {
        layout: Layout::new(state, t, &page.user, "knowledge", page.path.clone()),
        heading: article.title.clone(),
        about: article
            .rule
            .as_deref()
            .and_then(RuleArticle::parse)
            .map_or_else(String::new, |r| {
                t.f("knowledge.explains", &[("rule", &t.t(&r.keys().0))])
            }),
        body: article.body.clone(),
        fix: String::new(),
        source: article.source.clone(),
        updated: t.f(
            "knowledge.article_stats",
            &[
                ("who", &article.updated_by_name),
                ("when", &t.datetime(&article.updated_at)),
                ("version", &article.version),
                ("uses", &article.uses),
            ],
        ),
        what: "article",
        photos: Vec::new(),
        action: format!("/knowledge/articles/{id}"),
        shop_id: article.shop_id.0,
        archived: article.archived,
        can_manage: page.user.may(Action::ManageKnowledge),
        note_form: NoteForm::default(),
        article_form: ArticleForm::of(t, &article),
        history: history_lines(t, &history),
        errors: FormErrors::none(),
        edit_open: false,
    })
}

/// The `done` flash of an item page.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

fn saved_flash(t: Tr, done: Option<String>) -> Option<Flash> {
    done.map(|_| Flash {
        ok: true,
        text: t.t("knowledge.flash.saved").to_string(),
    })
}

/// Shows a note with its history.
pub async fn show_note(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiQuery(query): ApiQuery<DoneQuery>,
) -> PageResult {
    let mut view = note_page(&state, &page, id).await?;
    view.layout.flash = saved_flash(page.t, query.done);
    Ok(render(&view)?.into_response())
}

/// Shows an article with its history.
pub async fn show_article(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiQuery(query): ApiQuery<DoneQuery>,
) -> PageResult {
    let mut view = article_page(&state, &page, id).await?;
    view.layout.flash = saved_flash(page.t, query.done);
    Ok(render(&view)?.into_response())
}

/// A refused edit: the page again with the message next to the field and what was typed.
fn refused_edit(view: &mut ItemPage, t: Tr, error: KnowledgeError) -> Result<StatusCode, PageError> {
    let (status, field) = match error {
        KnowledgeError::Invalid(field) => (StatusCode::UNPROCESSABLE_ENTITY, field),
        KnowledgeError::RuleTaken => (
            StatusCode::UNPROCESSABLE_ENTITY,
            FieldError::new("rule", "knowledge.error.rule_taken"),
        ),
        KnowledgeError::Stale { current } => {
            view.layout.flash = Some(Flash {
                ok: false,
                text: t.f("knowledge.error.stale", &[("version", &current)]),
            });
            view.edit_open = true;
            return Ok(StatusCode::CONFLICT);
        }
        other => return Err(ApiError::from(other).into()),
    };
    view.errors.add(t, &field);
    view.edit_open = true;
    Ok(status)
}

/// Saves an edit of a note (its earlier text goes to the history).
pub async fn save_note(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiForm(typed): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    let result = match note_input(&typed) {
        Ok(input) => super::update_note(&state.pool, &page.user, id, &input, state.now()).await,
        Err(field) => Err(KnowledgeError::Invalid(field)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/knowledge/notes/{id}?done=saved")).into_response()),
        Err(error) => {
            let mut view = note_page(&state, &page, id).await?;
            let status = refused_edit(&mut view, page.t, error)?;
            let choices: Vec<super::PhotoChoice> = match super::note(&state.pool, &page.user.shops, id).await? {
                Some(note) => super::photo_choices(&state.pool, &note).await?,
                None => Vec::new(),
            };
            view.note_form = NoteForm::new(page.t, &typed).with_photos(&choices, &typed);
            Ok((status, render(&view)?).into_response())
        }
    }
}

/// Saves an edit of an article.
pub async fn save_article(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiForm(typed): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    match super::update_article(&state.pool, &page.user, id, &article_input(&typed), state.now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/knowledge/articles/{id}?done=saved")).into_response()),
        Err(error) => {
            let mut view = article_page(&state, &page, id).await?;
            let status = refused_edit(&mut view, page.t, error)?;
            view.article_form = ArticleForm::new(page.t, &typed);
            Ok((status, render(&view)?).into_response())
        }
    }
}

/// Archives a note, or brings it back.
pub async fn archive_note(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    ApiForm(typed): ApiForm<Vec<(String, String)>>,
) -> PageResult {
    let archived = field(&typed, "archived") == "1";
    super::set_note_archived(&state.pool, &page.user, id, archived)
        .await
        .map_err(ApiError::from)?;
    Ok(Redirect::to(&format!("/knowledge/notes/{id}?done=saved")).into_response())
}

/// The desk's own article on one of its rules, in the reader's language.
pub async fn show_rule(State(state): State<AppState>, page: Page, Path(rule): Path<String>) -> PageResult {
    page.user.require(Action::ReadTickets)?;
    let rule = RuleArticle::parse(&rule).ok_or_else(PageError::not_found)?;
    let t = page.t;
    let (title, body, source) = rule.keys();
    let view = ItemPage {
        layout: Layout::new(&state, t, &page.user, "knowledge", page.path.clone()),
        heading: t.t(&title).to_string(),
        about: t.t("knowledge.desk_rule").to_string(),
        body: t.t(&body).to_string(),
        fix: String::new(),
        source: t.t(&source).to_string(),
        updated: String::new(),
        what: "rule",
        photos: Vec::new(),
        action: String::new(),
        shop_id: 0,
        archived: false,
        can_manage: false,
        note_form: NoteForm::default(),
        article_form: ArticleForm::default(),
        history: Vec::new(),
        errors: FormErrors::none(),
        edit_open: false,
    };
    Ok(render(&view)?.into_response())
}

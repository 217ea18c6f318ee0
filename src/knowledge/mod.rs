//! Knowledge at hand: product notes per SKU or per category (known issues and their fix, usage,
//! size charts, materials, what counts as intact), the shop's policy articles with their
//! sources, the history of every edit, "this solved it" per note and ticket, and the uses of
//! each. Owns `knowledge_notes`, `policy_articles`, `knowledge_history` and `knowledge_solved`.
//! What fits a ticket and in what order is `rules::knowledge`'s. The desk's own articles on its
//! rules (the seven-day window, the follow-up cycle, the platform's timers, a bad review's
//! clocks) are in the catalogue, shown where a shop wrote none. JSON API `api.rs`, pages
//! `page.rs`.

pub mod api;
pub mod page;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgExecutor, PgPool};
use utoipa::ToSchema;

use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::db::batch::Read;
use crate::edge::FieldError;
use crate::ids::{ShopId, TicketId};
use crate::rules::knowledge::{self, Helped, NoteKind, RuleArticle, Scope};

/// Why a knowledge action did not happen. Nothing was changed in any case.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("the role `{}` may not {}", .0.role.as_str(), .0.action.name())]
    Forbidden(crate::auth::Denied),
    /// No such note, article or ticket in the user's shops.
    #[error("not found")]
    NotFound,
    #[error("{}: {}", .0.field, .0.message.english())]
    Invalid(FieldError),
    /// Someone saved it meanwhile.
    #[error("it was changed meanwhile and is now at version {current}")]
    Stale { current: i32 },
    /// The shop already has an article for that rule.
    #[error("the shop already has an article for this rule")]
    RuleTaken,
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
}

impl From<crate::auth::Denied> for KnowledgeError {
    fn from(denied: crate::auth::Denied) -> KnowledgeError {
        KnowledgeError::Forbidden(denied)
    }
}

impl From<FieldError> for KnowledgeError {
    fn from(error: FieldError) -> KnowledgeError {
        KnowledgeError::Invalid(error)
    }
}

/// A product note.
#[derive(Clone, Debug, Serialize, Deserialize, FromRow, ToSchema)]
pub struct Note {
    pub id: i64,
    #[schema(value_type = i64)]
    pub shop_id: ShopId,
    /// `sku` or `category`.
    pub scope: String,
    /// The SKU or the category.
    pub subject: String,
    /// `known_issue`, `usage`, `size_chart`, `material`, `intact` or `other`.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// A known issue's fix, or the decision to take.
    pub fix: String,
    /// Photos of a good item: images among the shop's evidence, by id.
    pub photos: Vec<i64>,
    pub version: i32,
    pub archived: bool,
    pub uses: i64,
    /// Tickets it solved.
    pub solved: i64,
    pub updated_by_name: String,
    pub updated_at: DateTime<Utc>,
}

impl Note {
    fn helped(&self) -> Helped {
        Helped {
            solved: self.solved,
            uses: self.uses,
            id: self.id,
        }
    }

    /// What an agent puts into a follow-up: the fix when there is one, else the text.
    pub fn insert_text(&self) -> &str {
        if self.fix.trim().is_empty() {
            &self.body
        } else {
            &self.fix
        }
    }
}

macro_rules! note_select {
    () => {
        "SELECT n.id, n.shop_id, n.scope, n.subject, n.kind, n.title, n.body, n.fix, n.photos, n.version, n.archived,
                n.uses,
                (SELECT count(*) FROM knowledge_solved s WHERE s.shop_id = n.shop_id AND s.note_id = n.id) AS solved,
                u.display_name AS updated_by_name, n.updated_at
         FROM knowledge_notes n JOIN users u ON u.id = n.updated_by "
    };
}

/// A policy article.
#[derive(Clone, Debug, Serialize, Deserialize, FromRow, ToSchema)]
pub struct Article {
    pub id: i64,
    #[schema(value_type = i64)]
    pub shop_id: ShopId,
    pub title: String,
    pub body: String,
    /// Its legal or platform source.
    pub source: String,
    /// The desk's rule it explains, if any.
    pub rule: Option<String>,
    /// The ticket kinds and reasons it fits (empty: all).
    pub kinds: Vec<String>,
    pub reasons: Vec<String>,
    pub version: i32,
    pub archived: bool,
    pub uses: i64,
    pub updated_by_name: String,
    pub updated_at: DateTime<Utc>,
}

macro_rules! article_select {
    () => {
        "SELECT a.id, a.shop_id, a.title, a.body, a.source, a.rule, a.kinds, a.reasons, a.version, a.archived, a.uses,
                u.display_name AS updated_by_name, a.updated_at
         FROM policy_articles a JOIN users u ON u.id = a.updated_by "
    };
}

/// A note as written (new, or a change of one).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    /// `sku` or `category`.
    #[schema(value_type = String, example = "sku")]
    pub scope: Scope,
    /// The SKU (商品编码) or the category name, 1–100 characters.
    pub subject: String,
    #[schema(value_type = String, example = "known_issue")]
    pub kind: NoteKind,
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub fix: String,
    /// Photos of a good item: ids of images among the shop's evidence.
    #[serde(default)]
    pub photos: Vec<i64>,
    /// The version edited (409 if someone saved it meanwhile); absent for a new note.
    #[serde(default)]
    pub version: Option<i32>,
}

/// An article as written.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub source: String,
    /// `seven_day`, `follow_up`, `platform_timers` or `bad_review`: the verdicts of that rule
    /// link here (one article per rule).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub rule: Option<RuleArticle>,
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub version: Option<i32>,
}

/// The longest text kept.
const TEXT_CHARS: usize = 5_000;

fn check_text(field: &'static str, text: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let text = text.trim().to_string();
    let n = text.chars().count();
    if n < min {
        return Err(FieldError::new(field, "knowledge.error.empty"));
    }
    if n > max {
        return Err(FieldError::new(field, "knowledge.error.too_long").with("max", max));
    }
    Ok(text)
}

fn check_note(input: &NoteInput) -> Result<(String, String, String, String), FieldError> {
    let subject = check_text("subject", &input.subject, 1, 100)?;
    let title = check_text("title", &input.title, 1, 200)?;
    let body = check_text("body", &input.body, 0, TEXT_CHARS)?;
    let fix = check_text("fix", &input.fix, 0, TEXT_CHARS)?;
    if body.is_empty() && fix.is_empty() {
        return Err(FieldError::new("body", "knowledge.error.say_something"));
    }
    Ok((subject, title, body, fix))
}

/// An article's fields, checked: title, text, source, kinds, reasons.
struct CheckedArticle {
    title: String,
    body: String,
    source: String,
    kinds: Vec<String>,
    reasons: Vec<String>,
}

/// The codes given (trimmed, empty ones left out), each one `known` — else the field's error
/// naming the first unknown one (`{name}` in the message).
fn known_codes(
    given: &[String],
    field: &'static str,
    key: &'static str,
    name: &'static str,
    known: impl Fn(&str) -> bool,
) -> Result<Vec<String>, FieldError> {
    let codes: Vec<String> = given
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    match codes.iter().find(|c| !known(c)) {
        Some(bad) => Err(FieldError::new(field, key).with(name, bad)),
        None => Ok(codes),
    }
}

fn check_article(input: &ArticleInput) -> Result<CheckedArticle, FieldError> {
    let title = check_text("title", &input.title, 1, 200)?;
    let body = check_text("body", &input.body, 1, TEXT_CHARS * 4)?;
    let source = check_text("source", &input.source, 0, 500)?;
    let kinds = known_codes(&input.kinds, "kinds", "knowledge.error.unknown_kind", "kind", |k| {
        crate::rules::workflow::TicketKind::parse(k).is_some()
    })?;
    let reasons = known_codes(
        &input.reasons,
        "reasons",
        "knowledge.error.unknown_reason",
        "reason",
        |r| crate::rules::reason::ReasonCode::parse(r).is_some(),
    )?;
    Ok(CheckedArticle {
        title,
        body,
        source,
        kinds,
        reasons,
    })
}

/// Checks that every photo is an image among the shop's evidence; answers them without repeats.
async fn check_photos(db: impl PgExecutor<'_>, shop: ShopId, photos: &[i64]) -> Result<Vec<i64>, KnowledgeError> {
    let mut wanted = photos.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.len() > 12 {
        return Err(FieldError::new("photos", "knowledge.error.too_many_photos")
            .with("max", 12)
            .into());
    }
    let found: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM evidence WHERE shop_id = $1 AND id = ANY($2) AND content_type LIKE 'image/%' ORDER BY id",
    )
    .bind(shop)
    .bind(&wanted)
    .fetch_all(db)
    .await?;
    if found != wanted {
        return Err(FieldError::new("photos", "knowledge.error.photo_unknown").into());
    }
    Ok(found)
}

/// A photo that may go on a note: an image attached to a ticket about its SKU or category.
#[derive(Clone, Debug, Serialize, FromRow, ToSchema)]
pub struct PhotoChoice {
    pub id: i64,
    #[schema(value_type = i64)]
    pub ticket_id: TicketId,
    pub file_name: String,
}

/// The newest images (at most 24) on tickets about `subject` (a SKU, or a category of the
/// lines the tickets are about), and the note's own photos wherever they are.
pub async fn photo_choices(db: &PgPool, note: &Note) -> sqlx::Result<Vec<PhotoChoice>> {
    sqlx::query_as(
        "SELECT e.id, e.ticket_id, e.file_name FROM evidence e
         WHERE e.shop_id = $1 AND e.content_type LIKE 'image/%'
           AND (e.id = ANY($4) OR e.id IN (
               SELECT e2.id FROM evidence e2 JOIN tickets t ON t.shop_id = e2.shop_id AND t.id = e2.ticket_id
               WHERE e2.shop_id = $1 AND e2.content_type LIKE 'image/%'
                 AND ($2 = 'sku' AND t.sku = $3
                      OR $2 = 'category' AND EXISTS (SELECT 1 FROM order_lines l WHERE l.shop_id = t.shop_id
                             AND l.order_id = t.order_id AND l.sku = t.sku AND l.category = $3))
               ORDER BY e2.id DESC LIMIT 24))
         ORDER BY e.id DESC",
    )
    .bind(note.shop_id)
    .bind(&note.scope)
    .bind(&note.subject)
    .bind(&note.photos)
    .fetch_all(db)
    .await
}

/// Where the note's photos are: `(evidence id, its ticket)`.
pub async fn photo_places(db: impl PgExecutor<'_>, shop: ShopId, photos: &[i64]) -> sqlx::Result<Vec<(i64, TicketId)>> {
    sqlx::query_as("SELECT id, ticket_id FROM evidence WHERE shop_id = $1 AND id = ANY($2) ORDER BY id")
        .bind(shop)
        .bind(photos)
        .fetch_all(db)
        .await
}

/// What an edit is of.
#[derive(Clone, Copy)]
enum Edited {
    Note,
    Article,
}

/// Locks a note or an article of `user`'s shops for an edit: it exists there, the user may
/// edit, and (when `version` is given) nobody saved it since. Answers its shop.
async fn lock_for_edit(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    edited: Edited,
    id: i64,
    version: Option<i32>,
) -> Result<ShopId, KnowledgeError> {
    // The row's shop first, then the lock on that one shop (on Citus only a statement on one
    // shop may lock rows).
    let (find, lock) = match edited {
        Edited::Note => (
            "SELECT shop_id FROM knowledge_notes WHERE id = $1 AND shop_id = ANY($2)",
            "SELECT version FROM knowledge_notes WHERE id = $1 AND shop_id = $2 FOR UPDATE",
        ),
        Edited::Article => (
            "SELECT shop_id FROM policy_articles WHERE id = $1 AND shop_id = ANY($2)",
            "SELECT version FROM policy_articles WHERE id = $1 AND shop_id = $2 FOR UPDATE",
        ),
    };
    let shop: ShopId = sqlx::query_scalar(find)
        .bind(id)
        .bind(&user.shops)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(KnowledgeError::NotFound)?;
    let current: i32 = sqlx::query_scalar(lock)
        .bind(id)
        .bind(shop)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(KnowledgeError::NotFound)?;
    require_editor(user, shop)?;
    match version {
        Some(asked) if asked != current => Err(KnowledgeError::Stale { current }),
        _ => Ok(shop),
    }
}

fn require_editor(user: &CurrentUser, shop: ShopId) -> Result<(), KnowledgeError> {
    if !user.can_see_shop(shop) {
        return Err(KnowledgeError::NotFound);
    }
    user.require(Action::ManageKnowledge)?;
    Ok(())
}

/// Writes a new note (supervisors and admins).
pub async fn create_note(
    pool: &PgPool,
    user: &CurrentUser,
    shop: ShopId,
    input: &NoteInput,
    now: DateTime<Utc>,
) -> Result<Note, KnowledgeError> {
    require_editor(user, shop)?;
    let (subject, title, body, fix) = check_note(input)?;
    let photos = check_photos(pool, shop, &input.photos).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO knowledge_notes (shop_id, scope, subject, kind, title, body, fix, photos, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(shop)
    .bind(input.scope.as_str())
    .bind(&subject)
    .bind(input.kind.as_str())
    .bind(&title)
    .bind(&body)
    .bind(&fix)
    .bind(&photos)
    .bind(user.id)
    .bind(now)
    .fetch_one(pool)
    .await?;
    note(pool, &[shop], id).await?.ok_or(KnowledgeError::NotFound)
}

/// Changes a note (supervisors and admins); the version it replaces goes to the history.
pub async fn update_note(
    pool: &PgPool,
    user: &CurrentUser,
    id: i64,
    input: &NoteInput,
    now: DateTime<Utc>,
) -> Result<Note, KnowledgeError> {
    let (subject, title, body, fix) = check_note(input)?;
    let mut tx = pool.begin().await?;
    let shop = lock_for_edit(&mut tx, user, Edited::Note, id, input.version).await?;
    let photos = check_photos(&mut *tx, shop, &input.photos).await?;
    sqlx::query(
        "INSERT INTO knowledge_history (shop_id, subject, subject_id, version, title, body, extra, changed_by, changed_at)
         SELECT shop_id, 'note', id, version, title, body, jsonb_build_object('fix', fix, 'kind', kind, 'scope', scope,
                'subject', subject, 'photos', photos), updated_by, updated_at
         FROM knowledge_notes WHERE shop_id = $1 AND id = $2",
    )
    .bind(shop)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE knowledge_notes SET scope = $3, subject = $4, kind = $5, title = $6, body = $7, fix = $8,
                photos = $11, version = version + 1, updated_by = $9, updated_at = $10
         WHERE shop_id = $1 AND id = $2",
    )
    .bind(shop)
    .bind(id)
    .bind(input.scope.as_str())
    .bind(&subject)
    .bind(input.kind.as_str())
    .bind(&title)
    .bind(&body)
    .bind(&fix)
    .bind(user.id)
    .bind(now)
    .bind(&photos)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    note(pool, &[shop], id).await?.ok_or(KnowledgeError::NotFound)
}

/// Archives or brings back a note (supervisors and admins): an archived note is off the tickets.
pub async fn set_note_archived(
    pool: &PgPool,
    user: &CurrentUser,
    id: i64,
    archived: bool,
) -> Result<Note, KnowledgeError> {
    let found = note(pool, &user.shops, id).await?.ok_or(KnowledgeError::NotFound)?;
    require_editor(user, found.shop_id)?;
    sqlx::query("UPDATE knowledge_notes SET archived = $3 WHERE shop_id = $1 AND id = $2")
        .bind(found.shop_id)
        .bind(id)
        .bind(archived)
        .execute(pool)
        .await?;
    note(pool, &user.shops, id).await?.ok_or(KnowledgeError::NotFound)
}

/// One note of `shops`.
pub async fn note(db: impl PgExecutor<'_>, shops: &[ShopId], id: i64) -> sqlx::Result<Option<Note>> {
    sqlx::query_as(concat!(note_select!(), "WHERE n.shop_id = ANY($1) AND n.id = $2"))
        .bind(shops)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// A shop's notes, by subject (archived ones too when asked).
pub async fn notes(db: impl PgExecutor<'_>, shop: ShopId, archived: bool) -> sqlx::Result<Vec<Note>> {
    sqlx::query_as(concat!(
        note_select!(),
        "WHERE n.shop_id = $1 AND (NOT n.archived OR $2) ORDER BY n.scope DESC, n.subject, n.id"
    ))
    .bind(shop)
    .bind(archived)
    .fetch_all(db)
    .await
}

/// The notes on a ticket's goods, ranked by what helped most; archived notes left out.
pub async fn notes_for(db: impl PgExecutor<'_>, ticket: &crate::tickets::Ticket) -> sqlx::Result<Vec<Note>> {
    Ok(ranked_notes(notes_on_ticket(ticket).all(db).await?))
}

/// The notes on a ticket's goods, unranked ([`ranked_notes`]): about its line's SKU, and about
/// that line's category in the ticket's order (trimmed; none when blank), its notes inherited.
/// A ticket about no one line has none. The category is looked up here rather than taken from
/// the order as read, so that the ticket page asks for the notes in its batch.
pub fn notes_on_ticket(ticket: &crate::tickets::Ticket) -> Read<Note> {
    Read::new(concat!(
        note_select!(),
        "WHERE n.shop_id = $1 AND NOT n.archived
           AND (n.scope = 'sku' AND n.subject = $2
                OR n.scope = 'category'
                   AND n.subject = (SELECT NULLIF(btrim(l.category), '') FROM order_lines l
                                    WHERE l.shop_id = $1 AND l.order_id = $3 AND l.sku = $2))"
    ))
    .bind(ticket.shop_id)
    .bind(ticket.sku.clone().unwrap_or_default())
    .bind(ticket.order_id)
}

/// Notes, those that helped most first.
pub fn ranked_notes(mut notes: Vec<Note>) -> Vec<Note> {
    knowledge::rank(&mut notes, Note::helped);
    notes
}

/// A note's or an article's earlier versions, newest first.
#[derive(Clone, Debug, Serialize, FromRow, ToSchema)]
pub struct HistoryEntry {
    pub version: i32,
    pub title: String,
    pub body: String,
    #[schema(value_type = Object)]
    pub extra: serde_json::Value,
    pub changed_by_name: String,
    pub changed_at: DateTime<Utc>,
}

/// The history of note or article `id` (`subject`: `note` or `article`).
pub async fn history(db: impl PgExecutor<'_>, shop: ShopId, subject: &str, id: i64) -> sqlx::Result<Vec<HistoryEntry>> {
    sqlx::query_as(
        "SELECT h.version, h.title, h.body, h.extra, u.display_name AS changed_by_name, h.changed_at
         FROM knowledge_history h JOIN users u ON u.id = h.changed_by
         WHERE h.shop_id = $1 AND h.subject = $2 AND h.subject_id = $3 ORDER BY h.version DESC",
    )
    .bind(shop)
    .bind(subject)
    .bind(id)
    .fetch_all(db)
    .await
}

/// Writes a new article (supervisors and admins).
pub async fn create_article(
    pool: &PgPool,
    user: &CurrentUser,
    shop: ShopId,
    input: &ArticleInput,
    now: DateTime<Utc>,
) -> Result<Article, KnowledgeError> {
    require_editor(user, shop)?;
    let CheckedArticle {
        title,
        body,
        source,
        kinds,
        reasons,
    } = check_article(input)?;
    let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO policy_articles (shop_id, title, body, source, rule, kinds, reasons, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(shop)
    .bind(&title)
    .bind(&body)
    .bind(&source)
    .bind(input.rule.map(RuleArticle::as_str))
    .bind(&kinds)
    .bind(&reasons)
    .bind(user.id)
    .bind(now)
    .fetch_one(pool)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(KnowledgeError::RuleTaken),
        Err(e) => return Err(e.into()),
    };
    article(pool, &[shop], id).await?.ok_or(KnowledgeError::NotFound)
}

/// Changes an article (supervisors and admins); the version it replaces goes to the history.
pub async fn update_article(
    pool: &PgPool,
    user: &CurrentUser,
    id: i64,
    input: &ArticleInput,
    now: DateTime<Utc>,
) -> Result<Article, KnowledgeError> {
    let CheckedArticle {
        title,
        body,
        source,
        kinds,
        reasons,
    } = check_article(input)?;
    let mut tx = pool.begin().await?;
    let shop = lock_for_edit(&mut tx, user, Edited::Article, id, input.version).await?;
    sqlx::query(
        "INSERT INTO knowledge_history (shop_id, subject, subject_id, version, title, body, extra, changed_by, changed_at)
         SELECT shop_id, 'article', id, version, title, body, jsonb_build_object('source', source, 'rule', rule),
                updated_by, updated_at
         FROM policy_articles WHERE shop_id = $1 AND id = $2",
    )
    .bind(shop)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let updated = sqlx::query(
        "UPDATE policy_articles SET title = $3, body = $4, source = $5, rule = $6, kinds = $7, reasons = $8,
                version = version + 1, updated_by = $9, updated_at = $10
         WHERE shop_id = $1 AND id = $2",
    )
    .bind(shop)
    .bind(id)
    .bind(&title)
    .bind(&body)
    .bind(&source)
    .bind(input.rule.map(RuleArticle::as_str))
    .bind(&kinds)
    .bind(&reasons)
    .bind(user.id)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match updated {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(KnowledgeError::RuleTaken),
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    article(pool, &[shop], id).await?.ok_or(KnowledgeError::NotFound)
}

/// One article of `shops`.
pub async fn article(db: impl PgExecutor<'_>, shops: &[ShopId], id: i64) -> sqlx::Result<Option<Article>> {
    sqlx::query_as(concat!(article_select!(), "WHERE a.shop_id = ANY($1) AND a.id = $2"))
        .bind(shops)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// A shop's articles.
pub async fn articles(db: impl PgExecutor<'_>, shop: ShopId) -> sqlx::Result<Vec<Article>> {
    articles_of(shop).all(db).await
}

/// The shop's articles (not archived), the desk's rules' first.
pub fn articles_of(shop: ShopId) -> Read<Article> {
    Read::new(concat!(
        article_select!(),
        "WHERE a.shop_id = $1 AND NOT a.archived ORDER BY a.rule NULLS LAST, a.title, a.id"
    ))
    .bind(shop)
}

/// The articles that fit a ticket of `kind` opened for `reason`, most used first.
pub async fn articles_for(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    kind: &str,
    reason: &str,
) -> sqlx::Result<Vec<Article>> {
    Ok(fitting(articles(db, shop).await?, kind, reason))
}

/// Of the shop's `articles`, those that fit a ticket of `kind` opened for `reason`, most used
/// first.
pub fn fitting(articles: Vec<Article>, kind: &str, reason: &str) -> Vec<Article> {
    let mut found: Vec<Article> = articles
        .into_iter()
        .filter(|a| knowledge::fits(&a.kinds, &a.reasons, kind, reason))
        .collect();
    knowledge::rank(&mut found, |a| Helped {
        solved: 0,
        uses: a.uses,
        id: a.id,
    });
    found
}

/// Where a rule's verdicts link: the shop's own article on it, else the desk's.
pub async fn rule_href(db: impl PgExecutor<'_>, shop: ShopId, rule: RuleArticle) -> sqlx::Result<String> {
    let own = rule_article(shop, rule).optional(db).await?;
    Ok(rule_href_to(own, rule))
}

/// The shop's own article on a rule (its id), if it wrote one.
#[derive(FromRow, Deserialize)]
pub struct OwnArticle {
    id: i64,
}

/// The shop's own article on `rule`.
pub fn rule_article(shop: ShopId, rule: RuleArticle) -> Read<OwnArticle> {
    Read::new("SELECT id FROM policy_articles WHERE shop_id = $1 AND rule = $2 AND NOT archived")
        .bind(shop)
        .bind(rule.as_str())
}

/// Where `rule`'s verdicts link, the shop's `own` article on it being read.
pub fn rule_href_to(own: Option<OwnArticle>, rule: RuleArticle) -> String {
    match own {
        Some(OwnArticle { id }) => format!("/knowledge/articles/{id}"),
        None => format!("/knowledge/rules/{}", rule.as_str()),
    }
}

/// Marks `note` — one the ticket's panel offers — as having solved ticket `ticket` (whoever works
/// tickets; once per ticket: marking again changes nothing). Answers whether it was newly marked.
pub async fn mark_solved(
    pool: &PgPool,
    user: &CurrentUser,
    ticket: TicketId,
    note_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, KnowledgeError> {
    user.require(Action::WorkTickets)?;
    let ticket = crate::tickets::repo::get(pool, &user.shops, ticket)
        .await?
        .ok_or(KnowledgeError::NotFound)?;
    // Only a note the ticket's panel offers: not archived, about its SKU or its category.
    let found = notes_for(pool, &ticket)
        .await?
        .into_iter()
        .find(|n| n.id == note_id)
        .ok_or(KnowledgeError::NotFound)?;
    let inserted = sqlx::query(
        "INSERT INTO knowledge_solved (shop_id, note_id, ticket_id, marked_by, marked_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(ticket.shop_id)
    .bind(found.id)
    .bind(ticket.id)
    .bind(user.id)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// The notes marked as having solved ticket `ticket`.
pub async fn solved_on(db: impl PgExecutor<'_>, shop: ShopId, ticket: TicketId) -> sqlx::Result<Vec<i64>> {
    Ok(solved_notes(shop, ticket)
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.note_id)
        .collect())
}

/// A note that solved a ticket.
#[derive(FromRow, Deserialize)]
pub struct SolvedNote {
    pub note_id: i64,
}

/// The notes that solved `ticket`.
pub fn solved_notes(shop: ShopId, ticket: TicketId) -> Read<SolvedNote> {
    Read::new("SELECT note_id FROM knowledge_solved WHERE shop_id = $1 AND ticket_id = $2")
        .bind(shop)
        .bind(ticket)
}

/// Counts one use of a note or an article (put into a follow-up) in the user's shops.
pub async fn count_use(pool: &PgPool, user: &CurrentUser, subject: &str, id: i64) -> Result<(), KnowledgeError> {
    user.require(Action::WorkTickets)?;
    let statement = match subject {
        "note" => "UPDATE knowledge_notes SET uses = uses + 1 WHERE shop_id = ANY($1) AND id = $2",
        "article" => "UPDATE policy_articles SET uses = uses + 1 WHERE shop_id = ANY($1) AND id = $2",
        _ => return Err(KnowledgeError::NotFound),
    };
    let counted = sqlx::query(statement)
        .bind(&user.shops)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected();
    if counted == 0 {
        return Err(KnowledgeError::NotFound);
    }
    Ok(())
}

/// Notes and articles of a shop whose text holds `query` (case-insensitive), at most `limit`
/// of each: the knowledge is small beside the tickets, and read whole.
pub async fn search(pool: &PgPool, shop: ShopId, query: &str, limit: i64) -> sqlx::Result<(Vec<Note>, Vec<Article>)> {
    let pattern = format!(
        "%{}%",
        query
            .trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let notes: Vec<Note> = sqlx::query_as(concat!(
        note_select!(),
        "WHERE n.shop_id = $1 AND NOT n.archived
           AND (n.title ILIKE $2 OR n.body ILIKE $2 OR n.fix ILIKE $2 OR n.subject ILIKE $2)
         ORDER BY n.uses DESC, n.id DESC LIMIT $3"
    ))
    .bind(shop)
    .bind(&pattern)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let articles: Vec<Article> = sqlx::query_as(concat!(
        article_select!(),
        "WHERE a.shop_id = $1 AND NOT a.archived AND (a.title ILIKE $2 OR a.body ILIKE $2 OR a.source ILIKE $2)
         ORDER BY a.uses DESC, a.id DESC LIMIT $3"
    ))
    .bind(shop)
    .bind(&pattern)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok((notes, articles))
}

/// Per SKU: the notes about it or its category, and its tickets they solved, each ticket once
/// (the owner's report).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, FromRow, ToSchema)]
pub struct SkuKnowledge {
    pub sku: String,
    pub notes: i64,
    pub solved: i64,
}

/// The SKUs a shop wrote notes about (not archived).
pub async fn noted_skus(db: impl PgExecutor<'_>, shop: ShopId) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT subject FROM knowledge_notes WHERE shop_id = $1 AND scope = 'sku' AND NOT archived
         ORDER BY subject",
    )
    .bind(shop)
    .fetch_all(db)
    .await
}

/// The knowledge of each of `skus` in a shop. The categories of the SKUs are read from their
/// order lines in one pass, for the categories that have notes only, and not at all when none
/// has (a year's report lists thousands of SKUs: reading each one's lines cost a minute on a
/// shop of 100,000 tickets). Each ticket a note that applies is marked as having solved is
/// looked up by its key (a subquery per mark, its `LIMIT` keeping the planner from turning it
/// into a join): joined to the SKUs, the shop's tickets were read and hashed whole at each
/// report, whatever few were marked (56 ms of a 116 ms statement at 100,000 tickets, growing with
/// the shop). The marks are read in a CTE of their own, which names no other CTE in its `FROM`:
/// Citus runs a correlated subquery only there.
pub async fn per_sku(db: impl PgExecutor<'_>, shop: ShopId, skus: &[String]) -> sqlx::Result<Vec<SkuKnowledge>> {
    sqlx::query_as(
        "WITH noted AS MATERIALIZED (
             SELECT DISTINCT subject FROM knowledge_notes WHERE shop_id = $1 AND scope = 'category' AND NOT archived),
         categorised AS MATERIALIZED (
             SELECT DISTINCT l.sku, l.category FROM order_lines l
             WHERE EXISTS (SELECT 1 FROM noted)
               AND l.shop_id = $1 AND l.sku = ANY ($2) AND l.category IN (SELECT subject FROM noted)),
         skus AS MATERIALIZED (SELECT DISTINCT sku FROM unnest($2::text[]) AS s (sku)),
         applying AS MATERIALIZED (
             SELECT s.sku, n.id AS note_id
             FROM skus s
             LEFT JOIN categorised c ON c.sku = s.sku
             JOIN knowledge_notes n ON n.shop_id = $1 AND NOT n.archived
                  AND (n.scope = 'sku' AND n.subject = s.sku OR n.scope = 'category' AND n.subject = c.category)),
         marks AS MATERIALIZED (
             SELECT k.note_id, k.ticket_id, t.sku
             FROM knowledge_solved k
             CROSS JOIN LATERAL (
                 SELECT t.sku FROM tickets t WHERE t.shop_id = k.shop_id AND t.id = k.ticket_id LIMIT 1) AS t
             WHERE k.shop_id = $1 AND k.note_id IN (SELECT note_id FROM applying)),
         counts AS (
             SELECT a.sku, count(DISTINCT a.note_id) AS notes,
                    count(DISTINCT m.ticket_id) FILTER (WHERE m.sku = a.sku) AS solved
             FROM applying a
             LEFT JOIN marks m ON m.note_id = a.note_id
             GROUP BY a.sku)
         SELECT s.sku, COALESCE(c.notes, 0) AS notes, COALESCE(c.solved, 0) AS solved
         FROM skus s LEFT JOIN counts c ON c.sku = s.sku
         ORDER BY s.sku",
    )
    .bind(shop)
    .bind(skus)
    .fetch_all(db)
    .await
}

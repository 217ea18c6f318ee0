//! Canned replies (快捷短语): each shop's library of reply templates, grouped by situation,
//! each saying which ticket kinds and statuses it is for ([`fit::Fit`]), with variables named
//! for whose fact they are (`{buyer}`, `{order_no}`, `{refund_amount}` as approved,
//! `{window_end}`, `{return_address}`, `{buyer_ship_deadline}`, `{seller_answer_deadline}`)
//! filled from a ticket (the return address: the one recorded on approval, else the shop's
//! default, `shops::return_addresses`). Owns `canned_replies` and `canned_reply_settings`.
//!
//! A shop gets a default Chinese library the first time anyone asks for its replies (seeded
//! once, race-free: the settings row is the marker). Replies are archived, never deleted, so a
//! follow-up that used one still names it.

pub mod api;
pub mod fit;
pub mod page;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{Connection, FromRow, PgConnection, PgPool};
use utoipa::ToSchema;

use crate::db::batch::Read;
use crate::edge::FieldError;
use crate::i18n::Tr;
use crate::ids::ShopId;
use crate::rules::timers::TimerKind;
use crate::rules::workflow::{Status, TicketKind};
use crate::tickets::Ticket;
use fit::Fit;

/// The situation a reply is for: how the library is grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Situation {
    /// 问候
    Greeting,
    /// 催发货
    UrgeShipment,
    /// 查物流
    LogisticsCheck,
    /// 退货指引
    ReturnGuide,
    /// 退款完成
    RefundDone,
    /// 致歉
    Apology,
}

impl Situation {
    /// Every situation, in the order the library shows them.
    pub const ALL: [Situation; 6] = [
        Situation::Greeting,
        Situation::UrgeShipment,
        Situation::LogisticsCheck,
        Situation::ReturnGuide,
        Situation::RefundDone,
        Situation::Apology,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Situation::Greeting => "greeting",
            Situation::UrgeShipment => "urge_shipment",
            Situation::LogisticsCheck => "logistics_check",
            Situation::ReturnGuide => "return_guide",
            Situation::RefundDone => "refund_done",
            Situation::Apology => "apology",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<Situation> {
        Situation::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            Situation::Greeting => "reply.situation.greeting",
            Situation::UrgeShipment => "reply.situation.urge_shipment",
            Situation::LogisticsCheck => "reply.situation.logistics_check",
            Situation::ReturnGuide => "reply.situation.return_guide",
            Situation::RefundDone => "reply.situation.refund_done",
            Situation::Apology => "reply.situation.apology",
        }
    }
}

/// The variables a reply may use, in the order the library page lists them. Each is named for
/// whose fact it is: the buyer's ship-back deadline is not the seller's answer deadline.
pub const VARIABLES: [&str; 7] = [
    "buyer",
    "order_no",
    "refund_amount",
    "window_end",
    "return_address",
    "buyer_ship_deadline",
    "seller_answer_deadline",
];

/// A reply as stored.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "StoredReply")]
pub struct Reply {
    pub id: i64,
    #[schema(value_type = i64)]
    pub shop_id: ShopId,
    #[schema(value_type = String, example = "return_guide")]
    pub situation: Situation,
    pub title: String,
    /// The template, with `{variable}` placeholders.
    pub body: String,
    /// The ticket kinds it is offered on (empty: any).
    #[schema(value_type = Vec<String>, example = json!(["return", "exchange"]))]
    pub kinds: Vec<TicketKind>,
    /// The statuses it is offered in (empty: any; a held ticket counts as the status it is held
    /// from).
    #[schema(value_type = Vec<String>, example = json!(["approved"]))]
    pub statuses: Vec<Status>,
    /// How often agents sent it.
    pub used_count: i64,
}

impl Reply {
    /// Where it fits.
    pub fn fit(&self) -> Fit {
        Fit::only(&self.kinds, &self.statuses)
    }
}

/// A reply's columns as stored, before its situation, kinds and statuses are parsed: what a row
/// gives ([`FromRow`]) and what the ticket page's batch gives (`Deserialize`), read the same way.
#[derive(Deserialize, FromRow)]
struct StoredReply {
    id: i64,
    shop_id: ShopId,
    situation: String,
    title: String,
    body: String,
    kinds: Vec<String>,
    statuses: Vec<String>,
    used_count: i64,
}

/// A stored value that is none of its column's: `column` and the value.
#[derive(Debug, thiserror::Error)]
#[error("unexpected value `{value}` in {column}")]
struct UnreadableReply {
    column: &'static str,
    value: String,
}

/// Parses the stored texts of `column`.
fn parse_all<T>(
    values: Vec<String>,
    column: &'static str,
    parse: fn(&str) -> Option<T>,
) -> Result<Vec<T>, UnreadableReply> {
    values
        .into_iter()
        .map(|value| parse(&value).ok_or(UnreadableReply { column, value }))
        .collect()
}

impl TryFrom<StoredReply> for Reply {
    type Error = UnreadableReply;

    fn try_from(stored: StoredReply) -> Result<Reply, UnreadableReply> {
        Ok(Reply {
            id: stored.id,
            shop_id: stored.shop_id,
            situation: Situation::parse(&stored.situation).ok_or(UnreadableReply {
                column: "situation",
                value: stored.situation.clone(),
            })?,
            title: stored.title,
            body: stored.body,
            kinds: parse_all(stored.kinds, "kinds", TicketKind::parse)?,
            statuses: parse_all(stored.statuses, "statuses", Status::parse)?,
            used_count: stored.used_count,
        })
    }
}

impl<'r> FromRow<'r, sqlx::postgres::PgRow> for Reply {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> sqlx::Result<Self> {
        Reply::try_from(StoredReply::from_row(row)?).map_err(|e| sqlx::Error::ColumnDecode {
            index: e.column.to_string(),
            source: Box::new(e),
        })
    }
}

/// A reply to create or to replace an existing one with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyInput {
    #[schema(value_type = String, example = "return_guide")]
    pub situation: Situation,
    #[schema(min_length = 1, max_length = 100, example = "退货地址")]
    pub title: String,
    /// The text, with `{buyer}`, `{order_no}`, `{refund_amount}`, `{window_end}`,
    /// `{return_address}`, `{buyer_ship_deadline}`, `{seller_answer_deadline}` where the
    /// ticket's facts go.
    #[schema(min_length = 1, max_length = 2000, example = "亲，请把商品寄回：{return_address}")]
    pub body: String,
    /// The ticket kinds it is for (default: any).
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["return", "exchange"]))]
    pub kinds: Vec<TicketKind>,
    /// The statuses it is for (default: any); each must be one the chosen kinds pass through.
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["approved"]))]
    pub statuses: Vec<Status>,
}

/// Why the reply library refused a change.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    /// A field cannot be taken (the field and the catalogue's message).
    #[error("{}: {}", .0.field, .0.message.english())]
    Invalid(FieldError),
    /// No such reply in the shop (or it is archived).
    #[error("no such reply")]
    NotFound,
    /// The database refused or could not be reached.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl ReplyInput {
    /// Where the reply fits, without repeats, in the workflow's order.
    pub fn fit(&self) -> Fit {
        Fit::only(
            &TicketKind::ALL
                .into_iter()
                .filter(|k| self.kinds.contains(k))
                .collect::<Vec<_>>(),
            &Status::ALL
                .into_iter()
                .filter(|s| self.statuses.contains(s))
                .collect::<Vec<_>>(),
        )
    }

    /// Checks the input: trimmed title and body within their limits, only known variables, and a
    /// fit some ticket can have.
    pub fn validate(&self) -> Result<(String, String), ReplyError> {
        let title = self.title.trim();
        let body = self.body.trim();
        if title.is_empty() || title.chars().count() > 100 {
            return Err(ReplyError::Invalid(FieldError::new("title", "replies.error.title")));
        }
        if body.is_empty() || body.chars().count() > 2000 {
            return Err(ReplyError::Invalid(FieldError::new("body", "replies.error.body")));
        }
        if let Some(unknown) = placeholders(body)
            .into_iter()
            .find(|name| !VARIABLES.contains(&name.as_str()))
        {
            return Err(ReplyError::Invalid(
                // The list first: the unknown name, filled in last, is the person's own text.
                FieldError::new("body", "replies.error.unknown_variable")
                    .with("variables", VARIABLES.map(|v| format!("{{{v}}}")).join(" "))
                    .with("name", format!("{{{unknown}}}")),
            ));
        }
        self.fit().check().map_err(ReplyError::Invalid)?;
        Ok((title.to_string(), body.to_string()))
    }
}

/// The `{name}` placeholders of a template (ASCII names only: Chinese braces text is left alone).
pub fn placeholders(template: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if is_name(&after[..end]) => {
                names.push(after[..end].to_string());
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    names
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// The facts of one ticket that replies fill in. `None` where the ticket has no such fact.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variables {
    pub buyer: Option<String>,
    pub order_no: Option<String>,
    /// The refund as approved (none before the seller agreed).
    pub refund_amount: Option<String>,
    /// The last day of the buyer's no-reason window.
    pub window_end: Option<String>,
    pub return_address: Option<String>,
    /// When the buyer must have shipped the return (the platform's clock after approval).
    pub buyer_ship_deadline: Option<String>,
    /// When the seller must have answered the request (the platform's clock before an answer).
    pub seller_answer_deadline: Option<String>,
}

/// A template with the variables filled in: the text, and the variables it needed that the
/// ticket does not have (left in place as `{name}`, for the agent to complete).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filled {
    pub text: String,
    pub missing: Vec<String>,
}

impl Variables {
    fn value(&self, name: &str) -> Option<&str> {
        match name {
            "buyer" => self.buyer.as_deref(),
            "order_no" => self.order_no.as_deref(),
            "refund_amount" => self.refund_amount.as_deref(),
            "window_end" => self.window_end.as_deref(),
            "return_address" => self.return_address.as_deref(),
            "buyer_ship_deadline" => self.buyer_ship_deadline.as_deref(),
            "seller_answer_deadline" => self.seller_answer_deadline.as_deref(),
            _ => None,
        }
        .filter(|v| !v.trim().is_empty())
    }

    /// Fills `template`. Unknown or missing variables stay as written and are listed.
    pub fn fill(&self, template: &str) -> Filled {
        let mut text = String::with_capacity(template.len() + 32);
        let mut missing: Vec<String> = Vec::new();
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            text.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            match after.find('}') {
                Some(end) if is_name(&after[..end]) => {
                    let name = &after[..end];
                    match self.value(name) {
                        Some(value) => text.push_str(value),
                        None => {
                            text.push_str(&rest[start..start + end + 2]);
                            if !missing.iter().any(|m| m == name) {
                                missing.push(name.to_string());
                            }
                        }
                    }
                    rest = &after[end + 1..];
                }
                _ => {
                    text.push('{');
                    rest = after;
                }
            }
        }
        text.push_str(rest);
        Filled { text, missing }
    }
}

/// The known variables still written as `{name}` in a text: what a follow-up written from a
/// reply must not be saved with (the buyer would read the placeholder).
pub fn unfilled(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in placeholders(text) {
        if VARIABLES.contains(&name.as_str()) && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// A reply filled in for one ticket.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FilledReply {
    pub id: i64,
    #[schema(value_type = String, example = "return_guide")]
    pub situation: Situation,
    pub title: String,
    /// The text to send, variables filled.
    pub text: String,
    /// Variables the ticket has no value for (left as `{name}` in `text`).
    pub missing: Vec<String>,
    /// Whether the reply is written for this ticket's kind and status.
    pub fits: bool,
    /// The kinds it is for (empty: any).
    #[schema(value_type = Vec<String>)]
    pub kinds: Vec<TicketKind>,
    /// The statuses it is for (empty: any).
    #[schema(value_type = Vec<String>)]
    pub statuses: Vec<Status>,
}

/// A reply of the default library.
pub struct DefaultReply {
    pub situation: Situation,
    pub title: &'static str,
    pub body: &'static str,
    /// The kinds it is for (empty: any).
    pub kinds: &'static [TicketKind],
    /// The statuses it is for (empty: any).
    pub statuses: &'static [Status],
}

const AFTER_SALES: &[TicketKind] = &[TicketKind::Refund, TicketKind::Return, TicketKind::Exchange];
const GOODS_BACK: &[TicketKind] = &[TicketKind::Return, TicketKind::Exchange];

/// The default library a shop starts with (from the scripts agents use, seed 002), each reply
/// offered where what it says is true: "已同意" only once agreed, "已退回" only once refunded.
pub const DEFAULT_LIBRARY: &[DefaultReply] = &[
    DefaultReply {
        situation: Situation::Greeting,
        title: "首次问候",
        body: "亲，您好！我是店铺售后客服，关于订单 {order_no} 的问题由我为您处理，请问有什么可以帮您？",
        kinds: &[],
        statuses: &[],
    },
    DefaultReply {
        situation: Situation::Greeting,
        title: "已收到申请",
        body: "{buyer} 您好，您的售后申请已收到，我们会在24小时内给您答复，请耐心等待。",
        kinds: AFTER_SALES,
        statuses: &[Status::Requested],
    },
    DefaultReply {
        situation: Situation::UrgeShipment,
        title: "催发货安抚",
        body: "亲，非常抱歉让您久等了！订单 {order_no} 已经催促仓库加急处理，发货后会第一时间通知您。",
        kinds: &[TicketKind::Complaint, TicketKind::Logistics],
        statuses: &[],
    },
    DefaultReply {
        situation: Situation::UrgeShipment,
        title: "提醒买家寄回",
        body: "亲，您的退货申请已同意，请在 {buyer_ship_deadline} 前寄回商品并在订单中填写退货单号，逾期未寄回申请会自动关闭哦。",
        kinds: GOODS_BACK,
        statuses: &[Status::Approved],
    },
    DefaultReply {
        situation: Situation::LogisticsCheck,
        title: "已联系快递",
        body: "亲，已帮您联系快递核查订单 {order_no} 的物流，有进展会第一时间告诉您。",
        kinds: &[TicketKind::Logistics],
        statuses: &[],
    },
    DefaultReply {
        situation: Situation::LogisticsCheck,
        title: "物流延误说明",
        body: "亲，近期快递量大，包裹可能有延误，我们一直在跟进，给您带来不便非常抱歉。",
        kinds: &[TicketKind::Logistics],
        statuses: &[],
    },
    DefaultReply {
        situation: Situation::ReturnGuide,
        title: "退货地址",
        body: "亲，请将商品连同配件、吊牌完整寄回：{return_address}。寄出后请在订单中填写退货单号，我们收到后尽快处理。",
        kinds: GOODS_BACK,
        statuses: &[Status::Approved],
    },
    DefaultReply {
        situation: Situation::ReturnGuide,
        title: "七天无理由说明",
        body: "亲，本商品支持七天无理由退货，您的退货期截止到 {window_end}，请保持商品完好、不影响二次销售。",
        kinds: AFTER_SALES,
        statuses: &[Status::Requested, Status::Approved],
    },
    DefaultReply {
        situation: Situation::RefundDone,
        title: "退款已完成",
        body: "{buyer} 您好，订单 {order_no} 的退款 {refund_amount} 已原路退回，一般1–3个工作日到账，请注意查收。",
        kinds: &[TicketKind::Refund, TicketKind::Return],
        statuses: &[Status::Refunded, Status::Closed],
    },
    DefaultReply {
        situation: Situation::RefundDone,
        title: "回访满意度",
        body: "亲，您的问题已处理完毕，请问您对这次售后处理是否满意？如还有问题随时联系我们。",
        kinds: &[],
        statuses: &[
            Status::Resolved,
            Status::Refunded,
            Status::ReplacementShipped,
            Status::Closed,
        ],
    },
    DefaultReply {
        situation: Situation::Apology,
        title: "品质问题致歉",
        body: "亲，非常抱歉给您带来不好的购物体验！商品的问题我们已经反馈给品控部门，一定会改进。",
        kinds: &[],
        statuses: &[],
    },
    DefaultReply {
        situation: Situation::Apology,
        title: "发错货致歉",
        body: "亲，真的非常抱歉发错了商品！运费由我们承担，请您寄回，我们收到后马上为您补发正确的商品。",
        kinds: &[TicketKind::Return, TicketKind::Exchange, TicketKind::Complaint],
        statuses: &[],
    },
];

fn kind_names(kinds: &[TicketKind]) -> Vec<&'static str> {
    kinds.iter().map(|k| k.as_str()).collect()
}

fn status_names(statuses: &[Status]) -> Vec<&'static str> {
    statuses.iter().map(|s| s.as_str()).collect()
}

/// Seeds the default library for `shop` unless it was seeded before (even if every reply was
/// archived since). Safe when two requests race: only the one that inserts the marker seeds.
/// Whether this call seeded it.
pub async fn ensure_seeded(conn: &mut PgConnection, shop: ShopId) -> sqlx::Result<bool> {
    let seeded: Option<bool> = sqlx::query_scalar("SELECT true FROM canned_reply_settings WHERE shop_id = $1")
        .bind(shop)
        .fetch_optional(&mut *conn)
        .await?;
    if seeded.is_some() {
        return Ok(false);
    }
    let mut tx = conn.begin().await?;
    let inserted = sqlx::query("INSERT INTO canned_reply_settings (shop_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(shop)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if inserted == 1 {
        for reply in DEFAULT_LIBRARY {
            sqlx::query(
                "INSERT INTO canned_replies (shop_id, situation, title, body, kinds, statuses)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(shop)
            .bind(reply.situation.as_str())
            .bind(reply.title)
            .bind(reply.body)
            .bind(kind_names(reply.kinds))
            .bind(status_names(reply.statuses))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(inserted == 1)
}

/// The live replies of a shop, grouped by situation; `query` matches title or text.
pub async fn list(
    conn: &mut PgConnection,
    shop: ShopId,
    query: Option<&str>,
    situation: Option<Situation>,
) -> sqlx::Result<Vec<Reply>> {
    let replies = live(shop, query, situation).all(&mut *conn).await?;
    seeded_unless_any(conn, shop, replies, query, situation).await
}

/// `replies`, the live ones [`live`] gave for these filters, or, when there were none and the
/// shop's library had never been seeded, the library just seeded. Every reply is written once
/// the library was seeded (the library itself, or a reply added after [`ensure_seeded`]): a
/// shop with one to show needs no look at the marker, which cost the ticket page a statement.
pub async fn seeded_unless_any(
    conn: &mut PgConnection,
    shop: ShopId,
    replies: Vec<Reply>,
    query: Option<&str>,
    situation: Option<Situation>,
) -> sqlx::Result<Vec<Reply>> {
    if !replies.is_empty() || !ensure_seeded(&mut *conn, shop).await? {
        return Ok(replies);
    }
    live(shop, query, situation).all(conn).await
}

/// The live replies of a shop as stored, in the library's order: those whose title or text
/// holds `query` and of `situation`, when given. A read the ticket page puts in its batch;
/// [`seeded_unless_any`] seeds the library when it gave none.
pub fn live(shop: ShopId, query: Option<&str>, situation: Option<Situation>) -> Read<Reply> {
    Read::new(
        "SELECT shop_id, id, situation, title, body, kinds, statuses, used_count FROM canned_replies
         WHERE shop_id = $1 AND NOT archived
           AND ($2::text IS NULL OR title ILIKE '%' || $2 || '%' OR body ILIKE '%' || $2 || '%')
           AND ($3::text IS NULL OR situation = $3)
         ORDER BY array_position(ARRAY['greeting', 'urge_shipment', 'logistics_check', 'return_guide',
                                       'refund_done', 'apology'], situation), id",
    )
    .bind(shop)
    .bind(query.map(|q| q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")))
    .bind(situation.map(|s| s.as_str()))
}

/// One live reply of a shop.
pub async fn get(conn: &mut PgConnection, shop: ShopId, id: i64) -> sqlx::Result<Option<Reply>> {
    sqlx::query_as(
        "SELECT shop_id, id, situation, title, body, kinds, statuses, used_count FROM canned_replies
         WHERE shop_id = $1 AND id = $2 AND NOT archived",
    )
    .bind(shop)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The shop a live reply belongs to, among `shops`.
pub async fn shop_of(pool: &PgPool, shops: &[ShopId], id: i64) -> sqlx::Result<Option<ShopId>> {
    sqlx::query_scalar("SELECT shop_id FROM canned_replies WHERE id = $1 AND shop_id = ANY($2) AND NOT archived")
        .bind(id)
        .bind(shops)
        .fetch_optional(pool)
        .await
}

/// Adds a reply to a shop's library.
pub async fn create(pool: &PgPool, shop: ShopId, input: &ReplyInput) -> Result<Reply, ReplyError> {
    let (title, body) = input.validate()?;
    let fit = input.fit();
    ensure_seeded(&mut *pool.acquire().await?, shop).await?;
    Ok(sqlx::query_as(
        "INSERT INTO canned_replies (shop_id, situation, title, body, kinds, statuses) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING shop_id, id, situation, title, body, kinds, statuses, used_count",
    )
    .bind(shop)
    .bind(input.situation.as_str())
    .bind(title)
    .bind(body)
    .bind(kind_names(&fit.kinds))
    .bind(status_names(&fit.statuses))
    .fetch_one(pool)
    .await?)
}

/// Replaces a reply's situation, title, text and fit.
pub async fn update(pool: &PgPool, shop: ShopId, id: i64, input: &ReplyInput) -> Result<Reply, ReplyError> {
    let (title, body) = input.validate()?;
    let fit = input.fit();
    sqlx::query_as(
        "UPDATE canned_replies SET situation = $3, title = $4, body = $5, kinds = $6, statuses = $7,
                updated_at = now()
         WHERE shop_id = $1 AND id = $2 AND NOT archived
         RETURNING shop_id, id, situation, title, body, kinds, statuses, used_count",
    )
    .bind(shop)
    .bind(id)
    .bind(input.situation.as_str())
    .bind(title)
    .bind(body)
    .bind(kind_names(&fit.kinds))
    .bind(status_names(&fit.statuses))
    .fetch_optional(pool)
    .await?
    .ok_or(ReplyError::NotFound)
}

/// Takes a reply out of the library (kept for the follow-ups that used it).
pub async fn archive(pool: &PgPool, shop: ShopId, id: i64) -> Result<(), ReplyError> {
    let done = sqlx::query(
        "UPDATE canned_replies SET archived = true, updated_at = now() WHERE shop_id = $1 AND id = $2 AND NOT archived",
    )
    .bind(shop)
    .bind(id)
    .execute(pool)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(ReplyError::NotFound);
    }
    Ok(())
}

/// Counts one use of a reply (in the follow-up's transaction).
pub async fn mark_used(conn: &mut PgConnection, shop: ShopId, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE canned_replies SET used_count = used_count + 1 WHERE shop_id = $1 AND id = $2")
        .bind(shop)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The variables of `ticket` as of `now`, in the shop's zone and the agent's language. A
/// deadline is given only while its clock runs and has not run out; the refund amount only once
/// the seller agreed to it (then the amount refunded, once it was).
pub async fn variables_for(
    conn: &mut PgConnection,
    ticket: &Ticket,
    t: Tr,
    now: DateTime<Utc>,
) -> sqlx::Result<Variables> {
    let default = match ticket.return_address {
        Some(_) => None,
        None => crate::shops::return_addresses::default_for(conn, ticket.shop_id).await?,
    };
    Ok(variables(ticket, default.as_ref(), t, now))
}

/// [`variables_for`] with the shop's default return address already read (`None`: it has none,
/// or the ticket recorded its own).
pub fn variables(
    ticket: &Ticket,
    default_address: Option<&crate::shops::return_addresses::ReturnAddress>,
    t: Tr,
    now: DateTime<Utc>,
) -> Variables {
    let t = Tr::new(t.lang, ticket.time_zone);
    let timers = ticket.running_timers();
    let running = |kinds: &[TimerKind]| {
        timers
            .iter()
            .filter(|c| kinds.contains(&c.kind) && c.deadline > now)
            .map(|c| t.datetime(&c.deadline))
            .next()
    };
    // The buyer is addressed by their marketplace name ({buyer}), as they see themselves.
    Variables {
        buyer: Some(ticket.buyer.clone()),
        order_no: Some(ticket.order_no.clone()),
        // What was refunded once it was, before that what the seller agreed to; never the
        // amount the buyer asked for.
        refund_amount: ticket
            .refunded_fen
            .or(ticket.approved_refund_fen)
            .map(|f| f.to_string()),
        window_end: ticket
            .seven_day
            .as_ref()
            .and_then(|r| r.window_end)
            // The window ends at 00:00 of the next day: show the last day, as people count.
            .map(|end| {
                (end - chrono::Duration::seconds(1))
                    .with_timezone(&ticket.time_zone)
                    .format("%Y-%m-%d 24:00")
                    .to_string()
            }),
        // The address recorded when the return was approved; before that the shop's default.
        return_address: match &ticket.return_address {
            Some(recorded) => Some(recorded.clone()),
            None => default_address.map(|address| address.text()),
        },
        buyer_ship_deadline: running(&[TimerKind::BuyerShipReturn]),
        seller_answer_deadline: running(&[TimerKind::SellerAnswerUnshipped, TimerKind::SellerAnswerShipped]),
    }
}

/// The shop's replies filled in for `ticket`: those written for its kind and status first, and
/// the others after them when `all` is asked for (marked as not fitting).
pub async fn for_ticket(
    conn: &mut PgConnection,
    ticket: &Ticket,
    query: Option<&str>,
    all: bool,
    t: Tr,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<FilledReply>> {
    let replies = list(&mut *conn, ticket.shop_id, query, None).await?;
    let variables = variables_for(conn, ticket, t, now).await?;
    Ok(filled(ticket, replies, &variables, all))
}

/// `replies` filled in with `variables` for `ticket`, as [`for_ticket`] gives them.
pub fn filled(ticket: &Ticket, replies: Vec<Reply>, variables: &Variables, all: bool) -> Vec<FilledReply> {
    let mut filled: Vec<FilledReply> = replies
        .into_iter()
        .map(|r| {
            let fits = r.fit().fits(&ticket.position);
            let filled = variables.fill(&r.body);
            FilledReply {
                id: r.id,
                situation: r.situation,
                title: r.title,
                text: filled.text,
                missing: filled.missing,
                fits,
                kinds: r.kinds,
                statuses: r.statuses,
            }
        })
        .filter(|r| all || r.fits)
        .collect();
    // Stable: within each group the library's order stays.
    filled.sort_by_key(|r| !r.fits);
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_in_a_batch_reads_as_its_row_does_and_an_unknown_stored_value_is_named() {
        let json = serde_json::json!({
            "id": 7, "shop_id": 1, "situation": "return_guide", "title": "退货地址",
            "body": "请寄回：{return_address}", "kinds": ["return", "exchange"],
            "statuses": ["approved"], "used_count": 3
        });
        let reply: Reply = serde_json::from_value(json.clone()).expect("reads");
        assert_eq!(reply.situation, Situation::ReturnGuide);
        assert_eq!(reply.kinds, [TicketKind::Return, TicketKind::Exchange]);
        assert_eq!(reply.statuses, [Status::Approved]);
        assert_eq!((reply.id, reply.used_count), (7, 3));
        for (column, value) in [
            ("situation", serde_json::json!("thanks")),
            ("kinds", serde_json::json!(["gift"])),
            ("statuses", serde_json::json!(["lost"])),
        ] {
            let mut stored = json.clone();
            stored[column] = value;
            let error = serde_json::from_value::<Reply>(stored).expect_err(column).to_string();
            assert!(error.contains(column), "{error}");
        }
    }

    fn vars() -> Variables {
        Variables {
            buyer: Some("tb_小王".into()),
            order_no: Some("3912".into()),
            refund_amount: Some("¥64.00".into()),
            window_end: None,
            return_address: Some(String::new()),
            buyer_ship_deadline: None,
            seller_answer_deadline: None,
        }
    }

    #[test]
    fn known_variables_are_filled_from_the_ticket() {
        let filled = vars().fill("{buyer} 您好，订单 {order_no} 的退款 {refund_amount} 已退回");
        assert_eq!(filled.text, "tb_小王 您好，订单 3912 的退款 ¥64.00 已退回");
        assert!(filled.missing.is_empty());
    }

    #[test]
    fn missing_facts_stay_visible_for_the_agent_to_complete() {
        let filled = vars().fill("请寄回：{return_address}，{window_end} 前有效，{window_end}");
        assert_eq!(
            filled.text,
            "请寄回：{return_address}，{window_end} 前有效，{window_end}"
        );
        assert_eq!(filled.missing, vec!["return_address", "window_end"]);
    }

    #[test]
    fn braces_that_are_not_variables_are_left_alone() {
        let filled = vars().fill("表情 {^_^} 和 {未闭合");
        assert_eq!(filled.text, "表情 {^_^} 和 {未闭合");
        assert!(filled.missing.is_empty());
    }

    #[test]
    fn unknown_variables_are_refused_naming_the_known_ones() {
        let input = ReplyInput {
            situation: Situation::Greeting,
            title: "问候".into(),
            body: "你好 {nickname}".into(),
            kinds: Vec::new(),
            statuses: Vec::new(),
        };
        let error = input.validate().unwrap_err().to_string();
        assert!(error.contains("{nickname}") && error.contains("{buyer}"), "{error}");
        let ReplyError::Invalid(error) = input.validate().unwrap_err() else {
            panic!("a field error")
        };
        let zh = crate::i18n::Tr::new(crate::i18n::Lang::Zh, chrono_tz::Asia::Shanghai).message(&error.message);
        assert!(zh.contains("没有变量 {nickname}") && zh.contains("{buyer}"), "{zh}");
    }

    #[test]
    fn the_default_library_covers_every_situation_with_known_variables() {
        for situation in Situation::ALL {
            assert!(
                DEFAULT_LIBRARY.iter().any(|r| r.situation == situation),
                "{situation:?}"
            );
            assert_eq!(Situation::parse(situation.as_str()), Some(situation));
        }
        for reply in DEFAULT_LIBRARY {
            let input = ReplyInput {
                situation: reply.situation,
                title: reply.title.into(),
                body: reply.body.into(),
                kinds: reply.kinds.to_vec(),
                statuses: reply.statuses.to_vec(),
            };
            assert!(input.validate().is_ok(), "{}", reply.title);
        }
    }

    #[test]
    fn replies_that_speak_of_a_fact_are_offered_only_where_the_ticket_has_it() {
        use crate::rules::workflow::Position;
        let reply = |title: &str| {
            DEFAULT_LIBRARY
                .iter()
                .find(|r| r.title == title)
                .expect("a default reply")
        };
        let at = |kind, status| Position {
            kind,
            status,
            held_from: None,
        };
        // Every reply that names the buyer's ship-back deadline or the approved refund fits only
        // where the seller agreed; none is offered on a bad review with money or goods in it.
        for reply in DEFAULT_LIBRARY {
            let fit = Fit::only(reply.kinds, reply.statuses);
            let names = placeholders(reply.body);
            if names.iter().any(|n| n == "buyer_ship_deadline") {
                assert!(!fit.fits(&at(TicketKind::Return, Status::Requested)), "{}", reply.title);
                assert!(fit.fits(&at(TicketKind::Return, Status::Approved)), "{}", reply.title);
            }
            if names.iter().any(|n| n == "refund_amount") {
                for status in [Status::Requested, Status::Approved, Status::Rejected] {
                    assert!(!fit.fits(&at(TicketKind::Refund, status)), "{} {status:?}", reply.title);
                }
            }
            if names.iter().any(|n| n == "return_address" || n == "refund_amount") {
                assert!(!fit.fits(&at(TicketKind::BadReview, Status::Open)), "{}", reply.title);
            }
        }
        let ship_back = Fit::only(reply("提醒买家寄回").kinds, reply("提醒买家寄回").statuses);
        assert!(
            !ship_back.fits(&at(TicketKind::Refund, Status::Approved)),
            "nothing to send back"
        );
        assert!(!reply("提醒买家寄回").body.contains("{seller_answer_deadline}"));
    }

    #[test]
    fn placeholders_of_known_variables_left_in_a_text_are_found_once_each() {
        assert_eq!(
            unfilled("请在 {buyer_ship_deadline} 前寄回，{buyer_ship_deadline}，{^_^} {nickname}"),
            vec!["buyer_ship_deadline"]
        );
        assert!(unfilled("已寄回，谢谢").is_empty());
    }
}

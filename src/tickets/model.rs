//! Tickets and timeline events as the rest of the desk sees them: typed, parsed from rows once.

use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::FromRow;
use sqlx::postgres::PgRow;
use utoipa::ToSchema;

use super::events::{EventData, UnreadableEvent};
use crate::i18n::Lang;
use crate::ids::{CustomerId, OrderId, ShopId, TicketId, UserId};
use crate::money::Fen;
use crate::rules::reason::ReasonCode;
use crate::rules::rejection::RejectionReason;
use crate::rules::review::{ReviewCountdown, ReviewTimers, review_countdowns};
use crate::rules::seven_day::{NoReasonExclusion, SevenDayDecision, SevenDayVerdict};
use crate::rules::shipment::Carrier;
use crate::rules::timers::{Countdown, PlatformTimers, TimerFacts, timers_for_position};
use crate::rules::workflow::{Position, Priority, Resolution, Status, TicketKind};

/// How an agent reached the buyer (or carrier, warehouse) in a follow-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 旺旺/千牛 chat.
    Chat,
    Phone,
    Sms,
    Email,
    /// The carrier (快递).
    Carrier,
    Warehouse,
    /// The marketplace's staff.
    Platform,
    /// A documented check without contact.
    Check,
}

impl Channel {
    /// Every channel, in the order forms offer them.
    pub const ALL: [Channel; 8] = [
        Channel::Chat,
        Channel::Phone,
        Channel::Sms,
        Channel::Email,
        Channel::Carrier,
        Channel::Warehouse,
        Channel::Platform,
        Channel::Check,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Chat => "chat",
            Channel::Phone => "phone",
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Carrier => "carrier",
            Channel::Warehouse => "warehouse",
            Channel::Platform => "platform",
            Channel::Check => "check",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            Channel::Chat => "channel.chat",
            Channel::Phone => "channel.phone",
            Channel::Sms => "channel.sms",
            Channel::Email => "channel.email",
            Channel::Carrier => "channel.carrier",
            Channel::Warehouse => "channel.warehouse",
            Channel::Platform => "channel.platform",
            Channel::Check => "channel.check",
        }
    }
}

/// The seven-day decision as stored on the ticket (JSONB), so that the explanation can be shown
/// in any language later exactly as it was decided.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SevenDayRecord {
    pub verdict: SevenDayVerdict,
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    pub statutory_window_end: Option<DateTime<Utc>>,
    pub window_days: u32,
    pub exclusion: NoReasonExclusion,
    /// The year the statutory end lacked a holiday schedule for (counted on weekends only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisional_year: Option<i32>,
}

impl SevenDayRecord {
    /// Keeps a decision.
    pub fn from_decision(decision: &SevenDayDecision) -> SevenDayRecord {
        SevenDayRecord {
            verdict: decision.verdict,
            window_start: decision.window_start,
            window_end: decision.window_end,
            statutory_window_end: decision.statutory_window_end,
            window_days: decision.window_days,
            exclusion: decision.exclusion,
            provisional_year: decision.provisional_year,
        }
    }

    /// The decision again, to explain it.
    pub fn decision(&self, zone: Tz) -> SevenDayDecision {
        SevenDayDecision {
            verdict: self.verdict,
            window_start: self.window_start,
            window_end: self.window_end,
            statutory_window_end: self.statutory_window_end,
            zone,
            window_days: self.window_days,
            exclusion: self.exclusion,
            provisional_year: self.provisional_year,
        }
    }
}

/// A ticket with the facts the desk shows beside it (order number, buyer, assignee's name).
#[derive(Clone, Debug)]
pub struct Ticket {
    pub shop_id: ShopId,
    pub id: TicketId,
    pub position: Position,
    pub reason: ReasonCode,
    pub description: String,
    pub order_id: OrderId,
    pub order_no: String,
    pub sku: Option<String>,
    pub customer_id: CustomerId,
    pub buyer: String,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub priority: Priority,
    pub refund_fen: Option<Fen>,
    pub resolution: Option<Resolution>,
    pub intact: Option<bool>,
    pub seven_day: Option<SevenDayRecord>,
    pub platform_deadline_at: Option<DateTime<Utc>>,
    /// When the platform deadline was counted from (the move into platform intervention).
    pub platform_deadline_from: Option<DateTime<Utc>>,
    /// The year the platform deadline was counted through on weekends only, for lack of its
    /// holiday schedule; `None` when it is exact.
    pub platform_deadline_provisional_year: Option<i32>,
    pub version: i32,
    pub opened_at: DateTime<Utc>,
    pub follow_up_due_at: Option<DateTime<Utc>>,
    pub last_follow_up_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Facts that start the platform's clocks.
    pub order_shipped: bool,
    pub agreed_at: Option<DateTime<Utc>>,
    pub buyer_shipped_at: Option<DateTime<Utc>>,
    pub goods_received_at: Option<DateTime<Utc>>,
    /// The earliest running platform timer, as stored.
    pub timer_due_at: Option<DateTime<Utc>>,
    /// The first deadline of any kind: the ticket's place in the queues.
    pub queue_due_at: Option<DateTime<Utc>>,
    /// For a bad review: its stars and text.
    pub review_rating: Option<i16>,
    pub review_text: Option<String>,
    /// For a bad review: when it was posted (its clocks count from it; `None` on tickets opened
    /// before the desk kept it, which count from the opening).
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The ticket a not-satisfied return visit opened this one from.
    pub follow_up_of: Option<TicketId>,
    /// The ticket this one was merged into (it is then closed).
    pub merged_into: Option<TicketId>,
    /// While escalated: who held the ticket before (it goes back to them).
    pub escalated_by: Option<UserId>,
    /// For a return or exchange once approved: the return address recorded (its text then).
    pub return_address: Option<String>,
    /// Once the buyer shipped the goods back: the carrier and the tracking number.
    pub return_carrier: Option<Carrier>,
    pub return_tracking_no: Option<String>,
    /// The refund the seller agreed to (同意退款) and the amount actually refunded (已退款).
    pub approved_refund_fen: Option<Fen>,
    pub refunded_fen: Option<Fen>,
    /// Why the request was refused, and what the agent wrote (kept once the ticket moves on).
    pub rejection_reason: Option<RejectionReason>,
    pub rejection_note: Option<String>,
    pub time_zone: Tz,
    pub platform_timers: PlatformTimers,
    /// The shop's bad-review clocks.
    pub review_timers: ReviewTimers,
    /// The shop's follow-up cycle: a contact is due this many hours after the last.
    pub follow_up_hours: u32,
}

impl Ticket {
    pub fn kind(&self) -> TicketKind {
        self.position.kind
    }

    pub fn status(&self) -> Status {
        self.position.status
    }

    /// The facts the platform timers run on.
    pub fn timer_facts(&self) -> TimerFacts {
        timer_facts(
            self.status(),
            self.opened_at,
            self.order_shipped,
            self.agreed_at,
            self.buyer_shipped_at,
            self.goods_received_at,
        )
    }

    /// The platform clocks running now, soonest first.
    pub fn running_timers(&self) -> Vec<Countdown> {
        let mut running = timers_for_position(&self.position, &self.timer_facts(), &self.platform_timers);
        running.sort_by_key(|c| c.deadline);
        running
    }

    /// Whether the ticket is about a review rather than money: then it has no refund fields.
    pub fn has_money(&self) -> bool {
        self.kind() != TicketKind::BadReview
    }

    /// A bad review's clocks that still apply (the buyer's revision window, the explanation
    /// deadline), soonest first; none for other kinds.
    pub fn review_countdowns(&self) -> Vec<ReviewCountdown> {
        if self.kind() != TicketKind::BadReview {
            return Vec::new();
        }
        let posted = self.reviewed_at.unwrap_or(self.opened_at);
        let mut running = review_countdowns(self.status(), self.position.held_from, posted, &self.review_timers);
        running.sort_by_key(|c| c.deadline);
        running
    }

    /// Past its follow-up due time (SPEC rule 2: one second after due is overdue).
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.follow_up_due_at
            .is_some_and(|due| crate::rules::follow_up::is_overdue(due, now))
    }
}

/// The facts a ticket's platform timers run on, from what the ticket keeps: when it was opened
/// (the request), whether its order had shipped, and when the seller agreed, the buyer sent the
/// return and the seller signed for it.
pub fn timer_facts(
    status: Status,
    opened_at: DateTime<Utc>,
    order_shipped: bool,
    agreed_at: Option<DateTime<Utc>>,
    buyer_shipped_at: Option<DateTime<Utc>>,
    goods_received_at: Option<DateTime<Utc>>,
) -> TimerFacts {
    TimerFacts {
        requested_at: opened_at,
        order_shipped,
        virtual_goods: false,
        agreed_at,
        buyer_shipped_at,
        seller_received_at: goods_received_at,
        answered: agreed_at.is_some() || !matches!(status, Status::Requested),
    }
}

/// The columns that [`Ticket`] reads (`SELECT …`), from the tables of [`ticket_joins!`]: macros,
/// so that `concat!` keeps every statement a static string.
macro_rules! ticket_columns {
    () => {
        "SELECT t.shop_id, t.id, t.kind, t.status, t.held_from, t.reason, t.description,
        t.order_id, o.order_no, t.sku, t.customer_id, c.nick AS buyer, t.assignee_id, u.display_name AS assignee_name,
        t.priority, t.refund_fen, t.resolution, t.intact, t.seven_day, t.platform_deadline_at,
        t.platform_deadline_from, t.platform_deadline_provisional_year, t.version, t.opened_at,
        t.follow_up_due_at, t.last_follow_up_at, t.closed_at, t.order_shipped, t.agreed_at, t.buyer_shipped_at,
        t.goods_received_at, t.timer_due_at, t.queue_due_at, t.review_rating, t.review_text,
        t.reviewed_at, t.follow_up_of, t.merged_into, t.escalated_by, s.time_zone, s.platform_timers, s.review_timers, s.follow_up_hours,
        t.return_address, t.return_carrier, t.return_tracking_no,
        t.approved_refund_fen, t.refunded_fen, t.rejection_reason, t.rejection_note "
    };
}
pub(crate) use ticket_columns;

/// [`ticket_columns!`] as a statement that opens tickets reads them back (`tickets::repo::open`):
/// the rows from its insert's `RETURNING` (`t`), the columns of the other tables from what the
/// statement was given for each ticket (`new`: order number, buyer, assignee's name, and the
/// shop's time zone, timers and follow-up cycle). Its columns are checked against
/// [`TICKET_COLUMNS`] as every ticket read's are.
macro_rules! ticket_opened {
    () => {
        "SELECT t.shop_id, t.id, t.kind, t.status, t.held_from, t.reason, t.description,
        t.order_id, new.order_no, t.sku, t.customer_id, new.buyer, t.assignee_id, new.assignee_name,
        t.priority, t.refund_fen, t.resolution, t.intact, t.seven_day, t.platform_deadline_at,
        t.platform_deadline_from, t.platform_deadline_provisional_year, t.version, t.opened_at,
        t.follow_up_due_at, t.last_follow_up_at, t.closed_at, t.order_shipped, t.agreed_at, t.buyer_shipped_at,
        t.goods_received_at, t.timer_due_at, t.queue_due_at, t.review_rating, t.review_text,
        t.reviewed_at, t.follow_up_of, t.merged_into, t.escalated_by, new.time_zone, new.platform_timers,
        new.review_timers, new.follow_up_hours,
        t.return_address, t.return_carrier, t.return_tracking_no,
        t.approved_refund_fen, t.refunded_fen, t.rejection_reason, t.rejection_note "
    };
}
pub(crate) use ticket_opened;

/// How many columns [`Ticket`] reads: a statement may return more after them.
pub(crate) const TICKET_COLUMN_COUNT: usize = TICKET_COLUMNS.len();

/// The names of [`ticket_columns!`]'s columns, in its order (a test checks the two agree):
/// [`Ticket`] reads its columns by position, which a list page does 50 times a row — by name,
/// each is a hash-map look-up.
const TICKET_COLUMNS: [&str; 50] = [
    "shop_id",
    "id",
    "kind",
    "status",
    "held_from",
    "reason",
    "description",
    "order_id",
    "order_no",
    "sku",
    "customer_id",
    "buyer",
    "assignee_id",
    "assignee_name",
    "priority",
    "refund_fen",
    "resolution",
    "intact",
    "seven_day",
    "platform_deadline_at",
    "platform_deadline_from",
    "platform_deadline_provisional_year",
    "version",
    "opened_at",
    "follow_up_due_at",
    "last_follow_up_at",
    "closed_at",
    "order_shipped",
    "agreed_at",
    "buyer_shipped_at",
    "goods_received_at",
    "timer_due_at",
    "queue_due_at",
    "review_rating",
    "review_text",
    "reviewed_at",
    "follow_up_of",
    "merged_into",
    "escalated_by",
    "time_zone",
    "platform_timers",
    "review_timers",
    "follow_up_hours",
    "return_address",
    "return_carrier",
    "return_tracking_no",
    "approved_refund_fen",
    "refunded_fen",
    "rejection_reason",
    "rejection_note",
];

/// The position of the column `name` among [`TICKET_COLUMNS`]; a name not there does not
/// compile (it is only called in constants).
const fn ticket_column(name: &str) -> usize {
    let mut i = 0;
    while i < TICKET_COLUMNS.len() {
        let (a, b) = (TICKET_COLUMNS[i].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut k = 0;
            while k < a.len() && a[k] == b[k] {
                k += 1;
            }
            if k == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("not a column of ticket_columns!");
}

/// The tables [`ticket_columns!`] reads: `t` the ticket, `s` its shop, `o` its order, `c` its
/// buyer, `u` its assignee.
macro_rules! ticket_joins {
    () => {
        concat!("FROM tickets t ", $crate::tickets::model::ticket_relations!())
    };
}
pub(crate) use ticket_joins;

/// The joins of [`ticket_joins!`] to a ticket `t`.
macro_rules! ticket_relations {
    () => {
        "JOIN shops s ON s.id = t.shop_id
    JOIN orders o ON o.shop_id = t.shop_id AND o.id = t.order_id
    JOIN customers c ON c.shop_id = t.shop_id AND c.id = t.customer_id
    LEFT JOIN users u ON u.id = t.assignee_id "
    };
}
pub(crate) use ticket_relations;

/// The `SELECT … FROM … JOIN …` that [`Ticket`] reads, for the queries in `repo`; statements
/// add their `WHERE`.
macro_rules! ticket_select {
    () => {
        concat!(
            $crate::tickets::model::ticket_columns!(),
            $crate::tickets::model::ticket_joins!()
        )
    };
}
pub(crate) use ticket_select;

impl<'r> FromRow<'r, PgRow> for Ticket {
    fn from_row(row: &'r PgRow) -> sqlx::Result<Self> {
        use sqlx::Row;
        // The position of a column, found when compiling.
        macro_rules! col {
            ($name:literal) => {{
                const AT: usize = ticket_column($name);
                AT
            }};
        }
        // Every statement that reads a ticket starts with `ticket_columns!`: checked where it
        // costs nothing, in the builds the tests run.
        #[cfg(debug_assertions)]
        for (at, name) in TICKET_COLUMNS.iter().enumerate() {
            use sqlx::Column;
            assert_eq!(
                row.columns().get(at).map(|c| c.name()),
                Some(*name),
                "column {at} of a ticket's row"
            );
        }
        let zone: String = row.try_get(col!("time_zone"))?;
        let position = Position {
            kind: row.try_get(col!("kind"))?,
            status: row.try_get(col!("status"))?,
            held_from: row.try_get(col!("held_from"))?,
        };
        Ok(Ticket {
            shop_id: row.try_get(col!("shop_id"))?,
            id: row.try_get(col!("id"))?,
            position,
            reason: row.try_get(col!("reason"))?,
            description: row.try_get(col!("description"))?,
            order_id: row.try_get(col!("order_id"))?,
            order_no: row.try_get(col!("order_no"))?,
            sku: row.try_get(col!("sku"))?,
            customer_id: row.try_get(col!("customer_id"))?,
            buyer: row.try_get(col!("buyer"))?,
            assignee_id: row.try_get(col!("assignee_id"))?,
            assignee_name: row.try_get(col!("assignee_name"))?,
            priority: row.try_get(col!("priority"))?,
            refund_fen: row.try_get::<Option<i64>, _>(col!("refund_fen"))?.map(Fen),
            resolution: row.try_get(col!("resolution"))?,
            intact: row.try_get(col!("intact"))?,
            seven_day: row
                .try_get::<Option<sqlx::types::Json<SevenDayRecord>>, _>(col!("seven_day"))?
                .map(|json| json.0),
            platform_deadline_at: row.try_get(col!("platform_deadline_at"))?,
            platform_deadline_from: row.try_get(col!("platform_deadline_from"))?,
            platform_deadline_provisional_year: row.try_get(col!("platform_deadline_provisional_year"))?,
            version: row.try_get(col!("version"))?,
            opened_at: row.try_get(col!("opened_at"))?,
            follow_up_due_at: row.try_get(col!("follow_up_due_at"))?,
            last_follow_up_at: row.try_get(col!("last_follow_up_at"))?,
            closed_at: row.try_get(col!("closed_at"))?,
            order_shipped: row.try_get(col!("order_shipped"))?,
            agreed_at: row.try_get(col!("agreed_at"))?,
            buyer_shipped_at: row.try_get(col!("buyer_shipped_at"))?,
            goods_received_at: row.try_get(col!("goods_received_at"))?,
            timer_due_at: row.try_get(col!("timer_due_at"))?,
            queue_due_at: row.try_get(col!("queue_due_at"))?,
            review_rating: row.try_get(col!("review_rating"))?,
            review_text: row.try_get(col!("review_text"))?,
            reviewed_at: row.try_get(col!("reviewed_at"))?,
            follow_up_of: row.try_get(col!("follow_up_of"))?,
            merged_into: row.try_get(col!("merged_into"))?,
            escalated_by: row.try_get(col!("escalated_by"))?,
            return_address: row.try_get(col!("return_address"))?,
            return_carrier: row
                .try_get::<Option<String>, _>(col!("return_carrier"))?
                .as_deref()
                .and_then(Carrier::parse),
            return_tracking_no: row.try_get(col!("return_tracking_no"))?,
            approved_refund_fen: row.try_get::<Option<i64>, _>(col!("approved_refund_fen"))?.map(Fen),
            refunded_fen: row.try_get::<Option<i64>, _>(col!("refunded_fen"))?.map(Fen),
            rejection_reason: row.try_get(col!("rejection_reason"))?,
            rejection_note: row.try_get(col!("rejection_note"))?,
            time_zone: zone.parse().unwrap_or(chrono_tz::Asia::Shanghai),
            platform_timers: row
                .try_get::<sqlx::types::Json<PlatformTimers>, _>(col!("platform_timers"))?
                .0,
            review_timers: row
                .try_get::<sqlx::types::Json<ReviewTimers>, _>(col!("review_timers"))?
                .0,
            follow_up_hours: u32::try_from(row.try_get::<i32, _>(col!("follow_up_hours"))?).unwrap_or(24),
        })
    }
}

/// One entry of the timeline.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "StoredEvent")]
pub struct Event {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<UserId>,
    pub actor_name: Option<String>,
    /// What happened, read from the stored `kind` and `data`.
    pub data: EventData,
}

/// An event's columns as stored, before its `kind` and `data` are read as [`EventData`]: what
/// a row gives ([`FromRow`]) and what a page's batch gives (`Deserialize`).
#[derive(Deserialize)]
struct StoredEvent {
    id: i64,
    at: DateTime<Utc>,
    actor_id: Option<UserId>,
    actor_name: Option<String>,
    kind: String,
    data: Value,
}

impl TryFrom<StoredEvent> for Event {
    type Error = UnreadableEvent;

    fn try_from(stored: StoredEvent) -> Result<Event, UnreadableEvent> {
        Ok(Event {
            id: stored.id,
            at: stored.at,
            actor_id: stored.actor_id,
            actor_name: stored.actor_name,
            data: EventData::from_stored(&stored.kind, stored.data)?,
        })
    }
}

impl<'r> FromRow<'r, PgRow> for Event {
    fn from_row(row: &'r PgRow) -> sqlx::Result<Self> {
        use sqlx::Row;
        let stored = StoredEvent {
            id: row.try_get("id")?,
            at: row.try_get("at")?,
            actor_id: row.try_get("actor_id")?,
            actor_name: row.try_get("actor_name")?,
            kind: row.try_get("kind")?,
            data: row.try_get("data")?,
        };
        Event::try_from(stored).map_err(|e| sqlx::Error::ColumnDecode {
            index: "data".to_string(),
            source: Box::new(e),
        })
    }
}

/// An instant in the shop's zone, RFC 3339 with offset.
pub fn local(at: DateTime<Utc>, zone: Tz) -> DateTime<FixedOffset> {
    at.with_timezone(&zone).fixed_offset()
}

/// The seven-day part of a ticket in JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct SevenDayView {
    #[schema(value_type = String, example = "eligible")]
    pub verdict: SevenDayVerdict,
    pub window_start: Option<DateTime<FixedOffset>>,
    pub window_end: Option<DateTime<FixedOffset>>,
    pub statutory_window_end: Option<DateTime<FixedOffset>>,
    /// The year whose statutory holidays are not loaded yet: the statutory end was counted on
    /// weekends only and is provisional. Absent when exact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisional_year: Option<i32>,
    /// In the caller's language.
    pub explanation: String,
}

/// A ticket in JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketView {
    #[schema(value_type = i64)]
    pub id: TicketId,
    #[schema(value_type = i64)]
    pub shop_id: ShopId,
    #[schema(value_type = String, example = "return")]
    pub kind: TicketKind,
    #[schema(value_type = String, example = "requested")]
    pub status: Status,
    /// While escalated or with the platform: the status it returns to.
    #[schema(value_type = Option<String>)]
    pub held_from: Option<Status>,
    #[schema(value_type = String, example = "no_reason")]
    pub reason: ReasonCode,
    pub description: String,
    pub version: i32,
    /// The assigned user's id.
    #[schema(value_type = Option<i64>)]
    pub assignee: Option<UserId>,
    pub assignee_name: Option<String>,
    #[schema(value_type = String, example = "normal")]
    pub priority: Priority,
    pub order_no: String,
    pub sku: Option<String>,
    pub buyer: String,
    /// The amount asked for, in fen. Absent on a bad review, which is about a review, not money.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "present_or_null::serialize"
    )]
    #[schema(value_type = Option<i64>)]
    pub refund_fen: Option<Option<i64>>,
    #[schema(value_type = Option<String>)]
    pub resolution: Option<Resolution>,
    pub opened_at: DateTime<FixedOffset>,
    pub follow_up_due_at: Option<DateTime<FixedOffset>>,
    pub last_follow_up_at: Option<DateTime<FixedOffset>>,
    pub overdue: bool,
    pub closed_at: Option<DateTime<FixedOffset>>,
    pub platform_deadline_at: Option<DateTime<FixedOffset>>,
    /// The year whose statutory holidays are not loaded yet: the platform deadline was counted
    /// through it on weekends only and will be counted again once the year is loaded. Absent
    /// when exact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_deadline_provisional_year: Option<i32>,
    /// The clocks running now, soonest first: the platform's response timers (DOMAIN.md §4)
    /// and, on a bad review, the buyer's revision window and the explanation deadline.
    pub timers: Vec<TimerView>,
    /// The first deadline of any kind (follow-up, platform timer, platform decision): what orders
    /// the queues.
    pub next_deadline_at: Option<DateTime<FixedOffset>>,
    /// For a bad review (absent on other kinds): its stars (1–5) and the buyer's words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_rating: Option<i16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_text: Option<String>,
    /// For a bad review: when the review was posted (its clocks count from it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<DateTime<FixedOffset>>,
    /// The ticket a not-satisfied return visit opened this one from.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub follow_up_of: Option<TicketId>,
    /// The ticket this one was merged into (it is closed; its own timeline stays here).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub merged_into: Option<TicketId>,
    /// For a return or exchange once approved: where the buyer sends the goods, as recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_address: Option<String>,
    /// Once the buyer shipped the goods back: the carrier and tracking number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_shipment: Option<ShipmentView>,
    /// The refund agreed to (同意退款) and the amount actually refunded (已退款), in fen; absent
    /// until then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_refund_fen: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refunded_fen: Option<i64>,
    /// Why the request was refused and what the agent wrote; absent unless it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub rejection_reason: Option<RejectionReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_note: Option<String>,
    /// Where the ticket may move next.
    #[schema(value_type = Vec<String>)]
    pub allowed_transitions: Vec<Status>,
    pub seven_day: Option<SevenDayView>,
    /// Present on `GET /api/v1/tickets/{id}`: the whole history, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<EventView>>,
    /// Present on `GET /api/v1/tickets/{id}`: the buyer's contact details — in full for the
    /// people who work tickets, masked for everyone else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_contact: Option<crate::orders::Contact>,
}

/// `Option<Option<T>>` as JSON: the outer `None` is skipped (the field does not apply), the
/// inner one is `null` (it applies and has no value).
mod present_or_null {
    use serde::Serializer;

    pub fn serialize<S: Serializer, T: serde::Serialize>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => serde::Serialize::serialize(inner, serializer),
            None => serializer.serialize_none(),
        }
    }
}

/// A running clock in JSON.
/// The buyer's shipment back in JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShipmentView {
    pub carrier: Carrier,
    pub tracking_no: String,
}

/// A running platform timer in JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimerView {
    /// `seller_answer_unshipped`, `seller_answer_shipped`, `buyer_ship_return`,
    /// `seller_confirm_receipt` or `statutory_refund`; on a bad review `buyer_revise_review`
    /// (the buyer may still revise it) or `seller_explain_review` (the shop may still post its
    /// explanation).
    pub kind: String,
    pub deadline: DateTime<FixedOffset>,
    pub expired: bool,
}

/// A timeline entry in JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub kind: String,
    pub at: DateTime<FixedOffset>,
    /// Who did it (`null` for the system, e.g. the follow-up sweep).
    pub actor: Option<String>,
    #[schema(value_type = Object)]
    pub data: Value,
}

impl TicketView {
    /// The JSON form of `ticket` as of `now`, explanations in `lang`.
    pub fn new(ticket: &Ticket, now: DateTime<Utc>, lang: Lang) -> TicketView {
        let zone = ticket.time_zone;
        TicketView {
            id: ticket.id,
            shop_id: ticket.shop_id,
            kind: ticket.kind(),
            status: ticket.status(),
            held_from: ticket.position.held_from,
            reason: ticket.reason,
            description: ticket.description.clone(),
            version: ticket.version,
            assignee: ticket.assignee_id,
            assignee_name: ticket.assignee_name.clone(),
            priority: ticket.priority,
            order_no: ticket.order_no.clone(),
            sku: ticket.sku.clone(),
            buyer: ticket.buyer.clone(),
            refund_fen: ticket.has_money().then(|| ticket.refund_fen.map(|f| f.0)),
            resolution: ticket.resolution,
            opened_at: local(ticket.opened_at, zone),
            follow_up_due_at: ticket.follow_up_due_at.map(|at| local(at, zone)),
            last_follow_up_at: ticket.last_follow_up_at.map(|at| local(at, zone)),
            overdue: ticket.is_overdue(now),
            closed_at: ticket.closed_at.map(|at| local(at, zone)),
            platform_deadline_at: ticket.platform_deadline_at.map(|at| local(at, zone)),
            platform_deadline_provisional_year: ticket.platform_deadline_provisional_year,
            timers: {
                let platform = ticket.running_timers().into_iter().map(|c| TimerView {
                    kind: c.kind.as_str().to_string(),
                    deadline: local(c.deadline, zone),
                    expired: c.is_expired(now),
                });
                let review = ticket.review_countdowns().into_iter().map(|c| TimerView {
                    kind: c.kind.as_str().to_string(),
                    deadline: local(c.deadline, zone),
                    expired: c.is_expired(now),
                });
                let mut all: Vec<TimerView> = platform.chain(review).collect();
                all.sort_by_key(|t| t.deadline);
                all
            },
            next_deadline_at: ticket.queue_due_at.map(|at| local(at, zone)),
            review_rating: ticket.review_rating,
            review_text: ticket.review_text.clone(),
            reviewed_at: (ticket.kind() == TicketKind::BadReview)
                .then(|| local(ticket.reviewed_at.unwrap_or(ticket.opened_at), zone)),
            follow_up_of: ticket.follow_up_of,
            merged_into: ticket.merged_into,
            return_address: ticket.return_address.clone(),
            return_shipment: ticket
                .return_carrier
                .zip(ticket.return_tracking_no.clone())
                .map(|(carrier, tracking_no)| ShipmentView { carrier, tracking_no }),
            approved_refund_fen: ticket.approved_refund_fen.map(|f| f.0),
            refunded_fen: ticket.refunded_fen.map(|f| f.0),
            rejection_reason: ticket.rejection_reason,
            rejection_note: ticket.rejection_note.clone(),
            allowed_transitions: ticket.position.allowed_moves(),
            seven_day: ticket.seven_day.as_ref().map(|record| SevenDayView {
                verdict: record.verdict,
                window_start: record.window_start.map(|at| local(at, zone)),
                window_end: record.window_end.map(|at| local(at, zone)),
                statutory_window_end: record.statutory_window_end.map(|at| local(at, zone)),
                provisional_year: record.provisional_year,
                explanation: record.decision(zone).explanation(lang),
            }),
            timeline: None,
            buyer_contact: None,
        }
    }

    /// Adds the timeline. A bad review's opening event, like the ticket, shows no amount.
    pub fn with_timeline(mut self, events: &[Event], zone: Tz) -> TicketView {
        let money = self.kind != TicketKind::BadReview;
        self.timeline = Some(
            events
                .iter()
                .map(|e| {
                    let (kind, mut data) = e.data.to_stored();
                    if !money && let Value::Object(fields) = &mut data {
                        fields.remove("refund_fen");
                    }
                    EventView {
                        kind: kind.to_string(),
                        at: local(e.at, zone),
                        actor: e.actor_name.clone(),
                        data,
                    }
                })
                .collect(),
        );
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of a list of columns (`a.b`, `b`, `x AS b`).
    fn names(columns: &str) -> Vec<&str> {
        columns
            .split(',')
            .map(|column| {
                let column = column.trim();
                match column.split_once(" AS ") {
                    Some((_, name)) => name.trim(),
                    None => column.rsplit('.').next().unwrap_or(column),
                }
            })
            .collect()
    }

    #[test]
    fn the_ticket_columns_names_are_those_of_the_statement_in_its_order() {
        let select = ticket_columns!().trim().strip_prefix("SELECT").expect("a SELECT");
        assert_eq!(names(select), TICKET_COLUMNS);
        let opened = ticket_opened!().trim().strip_prefix("SELECT").expect("a SELECT");
        assert_eq!(
            names(opened),
            TICKET_COLUMNS,
            "the columns a new ticket is read back with"
        );
        assert_eq!(ticket_column("shop_id"), 0);
        assert_eq!(ticket_column("rejection_note"), TICKET_COLUMNS.len() - 1);
    }
}

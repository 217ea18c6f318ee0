//! The timeline's events, typed: [`EventData`] has one variant per kind of event a ticket can
//! have, and is the only way the desk writes or reads `ticket_events`. Each variant keeps the
//! stored form exactly — the `kind` text and the keys and value formats of the `data` JSONB — so
//! rows written by earlier versions read unchanged, and the database's own readers (the
//! append-only trigger, the one-escalation-per-cycle index on `data->>'cycle_due_at'`, the report
//! rollups on `data->>'to'`) keep working.
//!
//! A new kind of event is added here: a variant with its fields, then the one `match` in
//! `tickets/pages/ticket.rs` that shows it (the compiler points at it).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::{Channel, SevenDayRecord};
use crate::ids::{TicketId, UserId};
use crate::rules::compensation::{Method, Reason as CompensationReason};
use crate::rules::inspection::Checklist;
use crate::rules::reason::ReasonCode;
use crate::rules::rejection::RejectionReason;
use crate::rules::seven_day::SevenDayVerdict;
use crate::rules::shipment::Carrier;
use crate::rules::stock::{InterceptOutcome, ReshipReason};
use crate::rules::workflow::{Resolution, Status, TicketKind};

/// One event of a ticket's timeline, with its data. Serialised adjacently tagged
/// (`{"kind": …, "data": {…}}`), which is the pair of columns it is stored in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum EventData {
    /// The ticket was opened.
    Created(Created),
    /// An agent reached the buyer (or carrier, warehouse…): the follow-up cycle starts again.
    FollowUp(FollowUp),
    /// An internal note.
    Note(Note),
    /// A move along the workflow.
    StatusChanged(StatusChanged),
    /// The ticket was assigned, reassigned or unassigned.
    Assigned(Assigned),
    /// A rule's decision on the request (today the seven-day rule).
    RuleDecision(RuleDecision),
    /// A supervisor opened a ticket the rules refused, and said why.
    Override(Override),
    /// The follow-up sweep recorded a missed cycle.
    Escalated(Escalated),
    /// A provisional deadline or decision counted again once a year's holidays were loaded.
    Recounted(Recount),
    /// The buyer's answer to the return visit (回访).
    ReturnVisit(ReturnVisit),
    /// A file was attached to the ticket.
    EvidenceAdded(EvidenceAdded),
    /// The ticket was linked to or unlinked from another of its order, merged into one, or
    /// had one merged into it (`links`).
    Link(LinkEvent),
    /// A compensation ledger entry was made, decided or reversed (`compensation`).
    Compensation(CompensationEvent),
    /// Goods received into stock, reshipped, intercepted, or a parcel matched (`returns`).
    Stock(StockEvent),
}

/// The rule a decision or an override is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// 七天无理由退货.
    SevenDay,
}

/// Data of a `created` event: the request as it was opened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Created {
    pub kind: TicketKind,
    pub status: Status,
    pub reason: ReasonCode,
    pub order_no: String,
    pub sku: Option<String>,
    pub description: String,
    pub refund_fen: Option<i64>,
    pub intact: Option<bool>,
    /// When the desk stored it (the event's own time is the opening time, which an import may
    /// set in the past).
    pub recorded_at: DateTime<Utc>,
    /// The ticket whose not-satisfied return visit opened this one (absent otherwise, and on
    /// events stored before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_of: Option<TicketId>,
}

/// Data of a `follow_up` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    pub channel: Channel,
    pub summary: String,
    /// The follow-up came after the due time (it does not count as in time).
    pub was_overdue: bool,
    /// The canned reply the summary was written from, filled in; absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canned_reply: Option<CannedReplyUsed>,
}

/// A canned reply as a follow-up used it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CannedReplyUsed {
    pub id: i64,
    pub title: String,
    pub text: String,
}

/// Data of a `note` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
}

/// Data of a `status_changed` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusChanged {
    pub from: Status,
    pub to: Status,
    pub note: Option<String>,
    /// The resolution given with the move (a logistics ticket resolved), if any.
    pub resolution: Option<Resolution>,
    /// The platform's decision deadline after the move.
    pub platform_deadline_at: Option<DateTime<Utc>>,
    /// The year the deadline was counted through on weekends only; absent when exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_deadline_provisional_year: Option<i32>,
    /// The return visit whose not-satisfied answer made this move; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopened_by_visit: Option<i64>,
    /// What the move recorded about the goods of a return or exchange; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods: Option<GoodsRecord>,
    /// The amount in fen agreed to (→ `approved`) or refunded (→ `refunded`) with this move;
    /// absent on other moves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_fen: Option<i64>,
    /// Why the request was refused (→ `rejected`); absent on other moves. The note says more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<RejectionReason>,
}

/// Data of an `assigned` event (`None`: the shared queue).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assigned {
    pub from: Option<UserId>,
    pub to: Option<UserId>,
}

/// Data of a `rule_decision` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleDecision {
    pub rule: Rule,
    pub decision: SevenDayRecord,
}

/// Data of an `override` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Override {
    pub rule: Rule,
    pub refused_verdict: Option<SevenDayVerdict>,
    pub justification: Option<String>,
}

/// Where an escalation goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalatedTo {
    Supervisor,
}

/// Data of an `escalated` event: one per missed cycle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Escalated {
    /// The due instant of the missed cycle, kept to the microsecond in UTC (`…:00.000000Z`): the
    /// database's unique index on this text makes a second escalation of a cycle impossible.
    #[serde(with = "cycle_key")]
    pub cycle_due_at: DateTime<Utc>,
    /// The assignee at the time (whose compliance the miss counts against).
    pub assignee_id: Option<UserId>,
    pub recorded_at: DateTime<Utc>,
    pub to: EscalatedTo,
}

/// Data of a `recounted` event: what was counted again, before and after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Recount {
    /// The platform's decision deadline of a ticket in platform intervention.
    PlatformDeadline {
        /// The year that was counted on weekends only.
        year: i32,
        before: Option<DateTime<Utc>>,
        after: DateTime<Utc>,
        /// Still provisional for a later year, if so.
        provisional_year: Option<i32>,
    },
    /// The seven-day decision of the request.
    SevenDay {
        year: Option<i32>,
        before: SevenDayRecord,
        after: SevenDayRecord,
    },
}

/// Data of a `return_visit` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReturnVisit {
    pub visit: i64,
    pub satisfied: bool,
    pub comment: String,
    /// The answer reopened the ticket (a `status_changed` event follows).
    pub reopened: bool,
    /// The follow-up ticket the answer opened (a not-satisfied answer on a closed ticket);
    /// absent otherwise, and on events stored before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_ticket: Option<TicketId>,
}

/// Data of an `evidence_added` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvidenceAdded {
    /// The evidence row's id.
    pub evidence: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i32,
}

/// What happened between two tickets of one order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkChange {
    /// Linked to `ticket` (recorded on both).
    Linked,
    /// The link to `ticket` was removed (recorded on both).
    Unlinked,
    /// This ticket was merged into `ticket` and closed.
    MergedInto,
    /// `ticket` was merged into this one.
    MergedFrom,
}

/// Data of a `link` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkEvent {
    pub change: LinkChange,
    /// The other ticket.
    pub ticket: TicketId,
    /// Why, as the person wrote it (a merge's note); absent when nothing was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Data of a `compensation` event: what happened to one entry of the ticket's ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompensationEvent {
    /// The ledger entry (`compensations.id`).
    pub entry: i64,
    pub change: CompensationChange,
    pub method: Method,
    pub reason: CompensationReason,
    pub amount_fen: i64,
    /// What the person wrote with it; absent when nothing was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Data of a `stock` event: goods of the ticket received, sent again, intercepted, or a parcel
/// that came back without a ticket matched to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum StockEvent {
    /// What arrived of a returned line (a correction is another such event).
    Received {
        sku: String,
        returned: i32,
        good: i32,
        defective: i32,
        missing: i32,
        /// How many inspection photos go with it.
        photos: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// An item sent again (补发).
    Reshipped {
        reason: ReshipReason,
        sku: String,
        quantity: i32,
        carrier: Carrier,
        tracking_no: String,
        cost_fen: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// An intercept (拦截) asked for, or the carrier's answer.
    Intercept {
        intercept: i64,
        outcome: InterceptOutcome,
        tracking_no: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// An unclaimed parcel (无主件) was matched to this ticket.
    ParcelMatched { parcel: i64, tracking_no: String },
}

/// What happened to a ledger entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompensationChange {
    /// Entered within the limits: booked.
    Booked,
    /// Entered over a limit: waiting for approval.
    Requested,
    Approved,
    Rejected,
    Withdrawn,
    /// A reversing entry cancelled it.
    Reversed,
}

/// What a goods step of a return or exchange recorded with its move (`rules::inspection`), kept
/// in the `status_changed` event's `goods`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum GoodsRecord {
    /// Approval: where the buyer sends the goods, as the address read then.
    ReturnAddress {
        address_id: i64,
        label: String,
        text: String,
    },
    /// 买家已寄回: the carrier and the tracking number (in its carrier's shape).
    Shipment { carrier: Carrier, tracking_no: String },
    /// Receipt or 验货不通过: the checklist, if given, and the photos.
    Inspection {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        checklist: Option<Checklist>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        photos: Vec<InspectionPhoto>,
    },
}

/// A photo of an inspection: an image of the ticket's evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InspectionPhoto {
    pub evidence: i64,
    pub file_name: String,
}

/// A stored `kind` and `data` pair that is not an event of the desk.
#[derive(Debug, thiserror::Error)]
#[error("timeline event `{kind}` does not read: {source}")]
pub struct UnreadableEvent {
    pub kind: String,
    #[source]
    pub source: serde_json::Error,
}

impl EventData {
    /// Reads an event from its stored columns.
    pub fn from_stored(kind: &str, data: Value) -> Result<EventData, UnreadableEvent> {
        let tagged = serde_json::json!({ "kind": kind, "data": data });
        serde_json::from_value(tagged).map_err(|source| UnreadableEvent {
            kind: kind.to_string(),
            source,
        })
    }

    /// The stored `kind` text and `data` JSON.
    pub fn to_stored(&self) -> (&'static str, Value) {
        // Every variant is a struct of plain fields: serialising to a value cannot fail.
        let data = serde_json::to_value(StoredData(self)).unwrap_or(Value::Null);
        (self.kind(), data)
    }

    /// Writes the stored `data` JSON as text, for the loaders that write rows in bulk (the
    /// benchmark generator's COPY): the same JSON as [`EventData::to_stored`], straight from
    /// the fields, with the keys in the fields' order.
    pub fn write_data(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, &StoredData(self))
    }

    /// The stored `kind` text.
    pub fn kind(&self) -> &'static str {
        match self {
            EventData::Created(_) => "created",
            EventData::FollowUp(_) => "follow_up",
            EventData::Note(_) => "note",
            EventData::StatusChanged(_) => "status_changed",
            EventData::Assigned(_) => "assigned",
            EventData::RuleDecision(_) => "rule_decision",
            EventData::Override(_) => "override",
            EventData::Escalated(_) => "escalated",
            EventData::Recounted(_) => "recounted",
            EventData::ReturnVisit(_) => "return_visit",
            EventData::EvidenceAdded(_) => "evidence_added",
            EventData::Link(_) => "link",
            EventData::Compensation(_) => "compensation",
            EventData::Stock(_) => "stock",
        }
    }
}

/// An event's `data` alone: the content of its adjacently tagged form, which is its variant's
/// fields.
struct StoredData<'a>(&'a EventData);

impl Serialize for StoredData<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            EventData::Created(data) => data.serialize(serializer),
            EventData::FollowUp(data) => data.serialize(serializer),
            EventData::Note(data) => data.serialize(serializer),
            EventData::StatusChanged(data) => data.serialize(serializer),
            EventData::Assigned(data) => data.serialize(serializer),
            EventData::RuleDecision(data) => data.serialize(serializer),
            EventData::Override(data) => data.serialize(serializer),
            EventData::Escalated(data) => data.serialize(serializer),
            EventData::Recounted(data) => data.serialize(serializer),
            EventData::ReturnVisit(data) => data.serialize(serializer),
            EventData::EvidenceAdded(data) => data.serialize(serializer),
            EventData::Link(data) => data.serialize(serializer),
            EventData::Compensation(data) => data.serialize(serializer),
            EventData::Stock(data) => data.serialize(serializer),
        }
    }
}

/// The text form of an escalation's cycle: RFC 3339 in UTC with microseconds, as the unique
/// index compares it.
pub mod cycle_key {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// The key of a cycle's due instant.
    pub fn text(due: DateTime<Utc>) -> String {
        due.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// Writes the key.
    pub fn serialize<S: Serializer>(due: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&text(*due))
    }

    /// Reads the key.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|at| at.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(kind: &str, data: Value) {
        let event = EventData::from_stored(kind, data.clone()).expect("reads");
        assert_eq!(event.to_stored(), (event.kind(), data.clone()));
        assert_eq!(event.kind(), kind);
        let mut text = Vec::new();
        event.write_data(&mut text).expect("writes");
        let written: Value = serde_json::from_slice(&text).expect("JSON");
        assert_eq!(written, data, "the bulk loaders' text is the stored data");
    }

    #[test]
    fn link_events_keep_their_stored_form() {
        round_trip("link", json!({ "change": "linked", "ticket": 12 }));
        round_trip("link", json!({ "change": "unlinked", "ticket": 12 }));
        round_trip(
            "link",
            json!({ "change": "merged_into", "ticket": 7, "note": "同一订单重复" }),
        );
        round_trip("link", json!({ "change": "merged_from", "ticket": 9 }));
    }

    #[test]
    fn every_kind_keeps_its_stored_form() {
        round_trip(
            "created",
            json!({ "kind": "return", "status": "requested", "reason": "no_reason", "order_no": "T1",
                    "sku": null, "description": "", "refund_fen": 1200, "intact": true,
                    "recorded_at": "2026-11-20T02:03:04.123456789Z" }),
        );
        round_trip(
            "follow_up",
            json!({ "channel": "phone", "summary": "已联系", "was_overdue": false }),
        );
        round_trip(
            "follow_up",
            json!({ "channel": "chat", "summary": "s", "was_overdue": true,
                    "canned_reply": { "id": 3, "title": "t", "text": "x" } }),
        );
        round_trip("note", json!({ "text": "内部备注" }));
        round_trip(
            "status_changed",
            json!({ "from": "requested", "to": "approved", "note": null, "resolution": null,
                    "platform_deadline_at": null }),
        );
        round_trip(
            "status_changed",
            json!({ "from": "escalated", "to": "platform_intervention", "note": "n", "resolution": null,
                    "platform_deadline_at": "2026-11-26T16:00:00Z", "platform_deadline_provisional_year": 2027,
                    "reopened_by_visit": 9 }),
        );
        round_trip("assigned", json!({ "from": null, "to": 4 }));
        round_trip(
            "override",
            json!({ "rule": "seven_day", "refused_verdict": "outside_return_window", "justification": "ok" }),
        );
        round_trip(
            "escalated",
            json!({ "cycle_due_at": "2026-11-20T02:00:00.000000Z", "assignee_id": null,
                    "recorded_at": "2026-11-20T02:00:30Z", "to": "supervisor" }),
        );
        round_trip(
            "recounted",
            json!({ "what": "platform_deadline", "year": 2027, "before": "2027-01-05T16:00:00Z",
                    "after": "2027-01-06T16:00:00Z", "provisional_year": null }),
        );
        let record = json!({ "verdict": "review", "window_start": "2026-12-28T02:00:00Z",
                             "window_end": "2027-01-04T16:00:00Z", "statutory_window_end": "2027-01-05T16:00:00Z",
                             "window_days": 7, "exclusion": "none" });
        let mut provisional = record.clone();
        provisional["provisional_year"] = json!(2027);
        round_trip(
            "recounted",
            json!({ "what": "seven_day", "year": 2027, "before": provisional, "after": record }),
        );
        round_trip("rule_decision", json!({ "rule": "seven_day", "decision": record }));
        round_trip(
            "return_visit",
            json!({ "visit": 1, "satisfied": false, "comment": "", "reopened": true }),
        );
        round_trip(
            "evidence_added",
            json!({ "evidence": 2, "file_name": "a.png", "content_type": "image/png", "size_bytes": 68 }),
        );
    }

    #[test]
    fn the_data_text_keeps_the_fields_order_and_the_adjacent_tag_agrees() {
        let event = EventData::Assigned(Assigned {
            from: None,
            to: Some(UserId(4)),
        });
        let mut text = Vec::new();
        event.write_data(&mut text).expect("writes");
        assert_eq!(String::from_utf8(text).expect("UTF-8"), r#"{"from":null,"to":4}"#);
        // The stored pair is the adjacently tagged form, split in two.
        let tagged = serde_json::to_value(&event).expect("serialises");
        assert_eq!(tagged, json!({ "kind": "assigned", "data": event.to_stored().1 }));
    }

    #[test]
    fn an_unknown_kind_or_shape_is_refused() {
        assert!(EventData::from_stored("teleported", json!({})).is_err());
        assert!(EventData::from_stored("note", json!({ "body": "x" })).is_err());
    }
}

//! What the ticket pages show of a ticket, shared by the queue, the ticket page, the supervisor's
//! follow-up queue and the return visits: the deadline badge, the status, kind and priority
//! classes, and a ticket as a row of a queue. Times in the shop's zone, labels from the catalogue.

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::queue::QueuePosition;
use crate::i18n::Tr;
use crate::rules::follow_up;
use crate::rules::workflow::{Priority, Status, StatusGroup, TicketKind};
use crate::tickets::Ticket;

/// A deadline shown as a badge with a countdown that `app.js` keeps fresh.
pub struct Deadline {
    /// `badge-overdue`, `badge-due-soon`, `badge-ok`, or `badge-muted` when there is none.
    pub class: &'static str,
    pub text: String,
    /// RFC 3339, for `<time datetime>`; empty when there is no deadline.
    pub datetime: String,
    pub local: String,
}

/// How close "soon" is, for the amber badge.
const DUE_SOON_HOURS: i64 = 4;

impl Deadline {
    /// The badge for a deadline as of `now`.
    pub fn new(t: Tr, due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Deadline {
        let Some(due) = due else {
            return Deadline {
                class: "badge-muted",
                text: "—".into(),
                datetime: String::new(),
                local: String::new(),
            };
        };
        let seconds = (due - now).num_seconds();
        let (class, key) = if follow_up::is_overdue(due, now) {
            ("badge-overdue", "deadline.overdue")
        } else if seconds <= DUE_SOON_HOURS * 3600 {
            ("badge-due-soon", "deadline.left")
        } else {
            ("badge-ok", "deadline.left")
        };
        Deadline {
            class,
            text: t.f(key, &[("time", &t.duration(seconds))]),
            datetime: t.rfc3339(&due),
            local: t.datetime(&due),
        }
    }

    /// Whether there is a deadline at all.
    pub fn is_set(&self) -> bool {
        !self.datetime.is_empty()
    }
}

/// The CSS class of a status badge.
pub fn status_class(status: Status) -> &'static str {
    match status.group() {
        StatusGroup::Held => "status-held",
        StatusGroup::Done => "status-done",
        StatusGroup::Refused => "status-refused",
        StatusGroup::Open => "status-open",
    }
}

/// The CSS class of a kind badge.
pub fn kind_class(kind: TicketKind) -> &'static str {
    match kind {
        TicketKind::Refund => "kind-refund",
        TicketKind::Return => "kind-return",
        TicketKind::Exchange => "kind-exchange",
        TicketKind::Complaint => "kind-complaint",
        TicketKind::Logistics => "kind-logistics",
        TicketKind::BadReview => "kind-bad_review",
    }
}

/// The CSS class of a priority.
pub fn priority_class(priority: Priority) -> &'static str {
    match priority {
        Priority::Low => "prio-low",
        Priority::Normal => "prio-normal",
        Priority::High => "prio-high",
        Priority::Urgent => "prio-urgent",
    }
}

/// A ticket as one row of a queue.
pub struct TicketRow {
    pub id: i64,
    pub summary: String,
    pub kind: &'static str,
    pub kind_class: &'static str,
    /// The status, and for a held ticket the workflow position it holds ("已升级主管（原：买家已退货）").
    pub status: String,
    pub status_class: &'static str,
    pub priority: &'static str,
    pub priority_class: &'static str,
    pub buyer: String,
    pub order_no: String,
    pub amount: String,
    pub assignee: String,
    pub overdue: bool,
    /// The ticket's first deadline, whichever kind it is.
    pub deadline: Deadline,
    /// What that deadline is for (follow-up, a platform timer, the platform's decision).
    pub deadline_what: &'static str,
    pub opened: String,
    /// Its place in the queue's order as shown (`QueuePosition`, URL-encoded): the row's link
    /// carries it as `from=`, so that `n` on the ticket continues from here.
    pub queue_position: String,
    /// Nobody works it yet (the row offers "assign to me").
    pub unassigned: bool,
    /// Its version, for the row's assign-to-me form.
    pub version: i32,
    /// Who else has the ticket open now ("王芳 在写"), or empty.
    pub watchers: String,
    /// Its tags (filled by the queue; empty elsewhere).
    pub tags: Vec<crate::tags::page::TagChip>,
    /// Ticked for a bulk action that was refused (kept ticked when the queue shows again).
    pub ticked: bool,
}

/// Which of a ticket's deadlines comes first, in words.
fn deadline_what(t: Tr, ticket: &Ticket) -> &'static str {
    match ticket.queue_due_at {
        None => "",
        Some(at) if Some(at) == ticket.follow_up_due_at => t.t("deadline.follow_up"),
        Some(at) if Some(at) == ticket.platform_deadline_at => t.t("deadline.platform"),
        Some(_) => ticket
            .running_timers()
            .first()
            .map(|c| c.kind.label(t.lang))
            .unwrap_or(""),
    }
}

impl TicketRow {
    /// The row for `ticket` as of `now`.
    pub fn new(t: Tr, ticket: &Ticket, now: DateTime<Utc>) -> TicketRow {
        let lang = t.lang;
        let summary = if ticket.description.is_empty() {
            ticket.reason.label(lang).to_string()
        } else {
            let mut chars = ticket.description.chars();
            let mut text: String = chars.by_ref().take(40).collect();
            if chars.next().is_some() {
                text.push('…');
            }
            text
        };
        let t_zone = Tr::new(lang, ticket.time_zone);
        TicketRow {
            id: ticket.id.0,
            summary,
            kind: ticket.kind().label(lang),
            kind_class: kind_class(ticket.kind()),
            status: match ticket.position.held_from {
                Some(from) => t.f(
                    "ticket.held_position",
                    &[("status", &ticket.status().label(lang)), ("from", &from.label(lang))],
                ),
                None => ticket.status().label(lang).to_string(),
            },
            status_class: status_class(ticket.status()),
            priority: ticket.priority.label(lang),
            priority_class: priority_class(ticket.priority),
            buyer: ticket.buyer.clone(),
            order_no: ticket.order_no.clone(),
            amount: ticket.refund_fen.map(|f| f.to_string()).unwrap_or_else(|| "—".into()),
            assignee: ticket
                .assignee_name
                .clone()
                .unwrap_or_else(|| t.t("ticket.unassigned").to_string()),
            overdue: ticket.is_overdue(now),
            deadline: Deadline::new(t_zone, ticket.queue_due_at, now),
            deadline_what: deadline_what(t, ticket),
            queue_position: QueuePosition::of(ticket).to_query(),
            unassigned: ticket.assignee_id.is_none(),
            version: ticket.version,
            watchers: String::new(),
            tags: Vec::new(),
            ticked: false,
            opened: {
                let local = ticket.opened_at.with_timezone(&ticket.time_zone);
                format!(
                    "{:02}-{:02} {:02}:{:02}",
                    local.month(),
                    local.day(),
                    local.hour(),
                    local.minute()
                )
            },
        }
    }
}

/// Says on each row who else has its ticket open, from [`presence::viewers`]: those typing
/// first.
///
/// [`presence::viewers`]: crate::live::presence::viewers
pub fn show_watchers<'a>(
    t: Tr,
    rows: impl IntoIterator<Item = &'a mut TicketRow>,
    viewers: &std::collections::HashMap<crate::ids::TicketId, Vec<crate::live::presence::Viewer>>,
) {
    for row in rows {
        let Some(people) = viewers.get(&crate::ids::TicketId(row.id)) else {
            continue;
        };
        let names = |typing: bool| -> Vec<&str> {
            people
                .iter()
                .filter(|v| v.typing == typing)
                .map(|v| v.name.as_str())
                .collect()
        };
        let mut said = Vec::new();
        for (typing, key) in [(true, "live.row_typing"), (false, "live.row_viewing")] {
            let who = names(typing);
            if !who.is_empty() {
                said.push(t.f(key, &[("names", &who.join(t.t("live.separator")))]));
            }
        }
        row.watchers = said.join(" · ");
    }
}

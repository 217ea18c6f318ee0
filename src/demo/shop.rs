//! The generated shop: what one load writes (buyers, orders, tickets with their timelines) and
//! how the tickets are made — a target status per ticket, a legal walk of moves to it, the work
//! between the moves, and an order the ticket fits.

use chrono::{DateTime, Duration, Utc};

use crate::fixtures::names::NOTES;
use crate::fixtures::random::Rng;
use crate::ids::UserId;
use crate::money::Fen;
use crate::rules::calendar::Calendar;
use crate::rules::follow_up;
use crate::rules::move_details::{self, MoveDetail};
use crate::rules::reason::ReasonCode;
use crate::rules::refund::{self, RefundFacts, RefundStep};
use crate::rules::seven_day::{self, NoReasonExclusion, SevenDayRequest};
use crate::rules::workflow::{Position, Priority, Resolution, Status, TicketKind};
use crate::tickets::events::{self, EventData, Rule};
use crate::tickets::model::SevenDayRecord;

use super::orders::{make_customers, make_orders};
use super::words::{Subject, describe, follow_up_text, transition_note};
use super::{
    AGENT1_OPEN_TICKETS, AGENTS, FOLLOW_UP_HOURS, PLATFORM_WORKING_DAYS, RETURN_WINDOW_DAYS, SEED, SHOP_ZONE,
    SUPERVISOR, USERS,
};

/// Everything one load writes, before it has database ids (users excepted).
pub(super) struct Demo {
    pub(super) customers: Vec<Customer>,
    pub(super) orders: Vec<DemoOrder>,
    pub(super) tickets: Vec<DemoTicket>,
}

pub(super) struct Customer {
    pub(super) nick: String,
    pub(super) name: String,
    pub(super) phone: String,
    pub(super) address: String,
}

pub(super) struct DemoOrder {
    pub(super) order_no: String,
    pub(super) customer: usize,
    pub(super) paid_at: DateTime<Utc>,
    pub(super) shipped_at: Option<DateTime<Utc>>,
    pub(super) signed_at: Option<DateTime<Utc>>,
    pub(super) note: Option<String>,
    /// Only downloadable goods: delivered online at once, no parcel.
    pub(super) virtual_goods: bool,
    pub(super) lines: Vec<Line>,
    /// Kinds of ticket opened on it so far (one of each kind at most, two tickets at most).
    pub(super) ticket_kinds: Vec<TicketKind>,
}

impl DemoOrder {
    pub(super) fn total_fen(&self) -> i64 {
        self.lines.iter().map(Line::amount_fen).sum()
    }

    pub(super) fn last_change(&self) -> DateTime<Utc> {
        self.signed_at.or(self.shipped_at).unwrap_or(self.paid_at)
    }
}

pub(super) struct Line {
    pub(super) sku: String,
    /// The product's name, for descriptions.
    pub(super) name: &'static str,
    pub(super) title: String,
    pub(super) category: &'static str,
    pub(super) quantity: i32,
    pub(super) unit_price_fen: i64,
    pub(super) exclusion: NoReasonExclusion,
}

impl Line {
    pub(super) fn amount_fen(&self) -> i64 {
        self.unit_price_fen * i64::from(self.quantity)
    }
}

pub(super) struct DemoTicket {
    pub(super) position: Position,
    pub(super) reason: ReasonCode,
    pub(super) description: String,
    pub(super) order: usize,
    pub(super) sku: Option<String>,
    pub(super) assignee: Option<UserId>,
    pub(super) created_by: UserId,
    pub(super) priority: Priority,
    pub(super) refund_fen: Option<i64>,
    /// The amount agreed on the last move to `approved` that asks for one, as the service keeps it.
    pub(super) approved_refund_fen: Option<i64>,
    /// The amount refunded on the last move to `refunded`, likewise.
    pub(super) refunded_fen: Option<i64>,
    pub(super) resolution: Option<Resolution>,
    pub(super) intact: Option<bool>,
    pub(super) seven_day: Option<SevenDayRecord>,
    pub(super) platform_deadline_at: Option<DateTime<Utc>>,
    pub(super) version: i32,
    pub(super) opened_at: DateTime<Utc>,
    pub(super) follow_up_due_at: Option<DateTime<Utc>>,
    pub(super) last_follow_up_at: Option<DateTime<Utc>>,
    pub(super) closed_at: Option<DateTime<Utc>>,
    pub(super) updated_at: DateTime<Utc>,
    pub(super) events: Vec<DemoEvent>,
}

/// One timeline event, as [`EventData`] (the one definition of each event's stored shape).
pub(super) struct DemoEvent {
    pub(super) at: DateTime<Utc>,
    pub(super) actor: Option<UserId>,
    pub(super) data: EventData,
}

/// Generates the whole shop as of `now`. Pure: the same `now` gives the same shop.
pub(super) fn generate(now: DateTime<Utc>, calendar: &Calendar, users: &[UserId; USERS.len()]) -> Demo {
    let mut rng = Rng::new(SEED);
    let customers = make_customers(&mut rng, 260);
    let orders = make_orders(&mut rng, now, customers.len(), 400);
    let mut generator = TicketGen {
        rng,
        now,
        calendar,
        users,
        orders,
        agent1_open: 0,
        due_counts: [0; USERS.len() + 1],
    };
    let mut tickets = Vec::new();
    for (kind, count) in TICKETS_PER_KIND {
        for target in targets(&mut generator.rng, kind, count) {
            if let Some(ticket) = (0..60).find_map(|_| generator.ticket(kind, target)) {
                tickets.push(ticket);
            }
        }
    }
    // Ids ascending with opening time, as if they had been opened live.
    tickets.sort_by_key(|t| t.opened_at);
    Demo {
        customers,
        orders: generator.orders,
        tickets,
    }
}

/// The statuses the tickets of a kind end in: every status once, the rest shared by the kind's
/// usual spread (largest remainders), in random order.
fn targets(rng: &mut Rng, kind: TicketKind, count: usize) -> Vec<Status> {
    let mut targets = kind.statuses().to_vec();
    let weights = status_weights(kind);
    let rest = u64::try_from(count.saturating_sub(targets.len())).unwrap_or(0);
    let total: u64 = weights.iter().map(|(_, w)| u64::from(*w)).sum::<u64>().max(1);
    let mut shares: Vec<(Status, u64, u64)> = weights
        .iter()
        .map(|&(status, w)| (status, rest * u64::from(w) / total, rest * u64::from(w) % total))
        .collect();
    let mut left = rest - shares.iter().map(|s| s.1).sum::<u64>();
    shares.sort_by_key(|s| std::cmp::Reverse(s.2));
    for share in &mut shares {
        if left > 0 {
            share.1 += 1;
            left -= 1;
        }
    }
    for (status, n, _) in shares {
        targets.extend(std::iter::repeat_n(status, usize::try_from(n).unwrap_or(0)));
    }
    rng.shuffle(&mut targets);
    targets
}

const TICKETS_PER_KIND: [(TicketKind, usize); 6] = [
    (TicketKind::Refund, 62),
    (TicketKind::Return, 60),
    (TicketKind::Exchange, 36),
    (TicketKind::Complaint, 42),
    (TicketKind::Logistics, 50),
    (TicketKind::BadReview, 30),
];

fn status_weights(kind: TicketKind) -> &'static [(Status, u32)] {
    use Status::*;
    match kind {
        TicketKind::Refund => &[
            (Requested, 14),
            (Approved, 9),
            (Rejected, 5),
            (Refunded, 7),
            (Closed, 42),
            (Escalated, 8),
            (PlatformIntervention, 8),
        ],
        TicketKind::Return => &[
            (Requested, 10),
            (Approved, 8),
            (Rejected, 4),
            (BuyerShipped, 10),
            (Received, 7),
            (InspectionFailed, 5),
            (Refunded, 5),
            (Closed, 35),
            (Escalated, 6),
            (PlatformIntervention, 7),
        ],
        TicketKind::Exchange => &[
            (Requested, 10),
            (Approved, 8),
            (Rejected, 4),
            (BuyerShipped, 10),
            (Received, 8),
            (ReplacementShipped, 8),
            (Closed, 35),
            (Escalated, 6),
            (PlatformIntervention, 7),
        ],
        TicketKind::Complaint => &[
            (Open, 12),
            (Investigating, 14),
            (ResolutionProposed, 10),
            (Resolved, 7),
            (Closed, 35),
            (Escalated, 9),
            (PlatformIntervention, 9),
        ],
        TicketKind::Logistics => &[
            (Open, 14),
            (CarrierContacted, 18),
            (Resolved, 8),
            (Closed, 40),
            (Escalated, 7),
            (PlatformIntervention, 8),
        ],
        TicketKind::BadReview => &[
            (Open, 12),
            (BuyerContacted, 14),
            (ExplanationPosted, 10),
            (ReviewRevised, 10),
            (Appealed, 10),
            (Closed, 30),
            (Escalated, 7),
            (PlatformIntervention, 7),
        ],
    }
}

fn reason_weights(kind: TicketKind) -> &'static [(ReasonCode, u32)] {
    use ReasonCode::*;
    match kind {
        TicketKind::Refund => &[
            (NoReason, 14),
            (Misorder, 8),
            (OutOfStock, 6),
            (LateShipment, 6),
            (Quality, 10),
            (Damaged, 7),
            (MissingParts, 6),
            (EmptyParcel, 2),
            (NotAsDescribed, 6),
            (ShippingFee, 5),
            (Agreed, 5),
        ],
        TicketKind::Return => &[
            (NoReason, 35),
            (Quality, 18),
            (WrongItem, 10),
            (NotAsDescribed, 15),
            (Damaged, 8),
            (Misorder, 6),
            (MissingParts, 3),
        ],
        TicketKind::Exchange => &[
            (NoReason, 25),
            (NotAsDescribed, 25),
            (WrongItem, 20),
            (Quality, 20),
            (Misorder, 10),
        ],
        TicketKind::Complaint => &[
            (Quality, 20),
            (NotAsDescribed, 15),
            (LateShipment, 15),
            (Counterfeit, 8),
            (AdverseReaction, 8),
            (Invoice, 8),
            (Other, 10),
            (WrongItem, 6),
        ],
        TicketKind::Logistics => &[
            (LogisticsStuck, 35),
            (LogisticsNoTrace, 15),
            (Damaged, 15),
            (DamagedRefused, 8),
            (EmptyParcel, 5),
            (MissingParts, 5),
            (Other, 10),
        ],
        TicketKind::BadReview => &[
            (Quality, 35),
            (NotAsDescribed, 25),
            (LateShipment, 15),
            (Damaged, 10),
            (Other, 15),
        ],
    }
}

/// One thing done to a ticket after it was opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    FollowUp,
    Note,
    Reassign,
    Move(Status),
}

/// How soon an open ticket's follow-up is due at load time.
#[derive(Clone, Copy)]
enum Due {
    /// Due 10 minutes to two days ago.
    Overdue,
    /// Due within the next four hours.
    Soon,
    /// Due later today or tomorrow.
    Later,
}

/// How each queue's open tickets are spread: 40 % overdue, 20 % due soon, 40 % later.
const DUE_PATTERN: [Due; 10] = [
    Due::Overdue,
    Due::Later,
    Due::Soon,
    Due::Overdue,
    Due::Later,
    Due::Overdue,
    Due::Later,
    Due::Soon,
    Due::Overdue,
    Due::Later,
];

struct TicketGen<'a> {
    rng: Rng,
    now: DateTime<Utc>,
    calendar: &'a Calendar,
    users: &'a [UserId; USERS.len()],
    orders: Vec<DemoOrder>,
    agent1_open: usize,
    /// In-cycle open tickets made so far per assignee (index into [`USERS`]; the last slot is
    /// for unassigned ones), to spread each queue over [`DUE_PATTERN`].
    due_counts: [usize; USERS.len() + 1],
}

impl TicketGen<'_> {
    /// One ticket of `kind` ending in `target`, or `None` when this roll found nothing fitting
    /// (the caller rolls again).
    fn ticket(&mut self, kind: TicketKind, target: Status) -> Option<DemoTicket> {
        let moves = walk(&mut self.rng, kind, target)?;
        let actions = self.actions(kind, &moves, target);
        let assignee = self.choose_assignee(target, moves.is_empty());
        let gaps = self.gaps(kind, &actions);
        let span = gaps.iter().fold(Duration::zero(), |sum, gap| sum + *gap);

        // When the last thing happened.
        let last = if target == Status::Closed {
            self.now - minutes(self.rng.range(30, 45 * 24 * 60))
        } else if !target.in_follow_up_cycle() {
            self.now - minutes(self.rng.range(60, 4 * 24 * 60))
        } else {
            let slot = assignee.unwrap_or(USERS.len());
            let due = DUE_PATTERN[self.due_counts[slot] % DUE_PATTERN.len()];
            let ago = match due {
                Due::Overdue => self.rng.range(24 * 60 + 10, 72 * 60),
                Due::Soon => self.rng.range(20 * 60, 24 * 60 - 10),
                Due::Later => self.rng.range(10, 20 * 60),
            };
            self.now - minutes(ago)
        };
        let opened_at = last - span;
        if opened_at < self.now - Duration::days(58) {
            return None;
        }

        // The reason and an order it fits.
        let (mut reason, order_index, line_index) = (0..10).find_map(|_| {
            let reason = self.rng.weighted(reason_weights(kind));
            let (order, line) = self.find_order(kind, reason, opened_at)?;
            Some((reason, order, line))
        })?;
        let order = &self.orders[order_index];
        let line = line_index.and_then(|i| order.lines.get(i));

        // The seven-day rule, as the service asks it; a refusal gets the reason it really is.
        let mut intact = None;
        let mut seven_day = None;
        if reason == ReasonCode::NoReason && kind.subject_to_seven_day_rule() {
            let received = order.signed_at.is_some_and(|s| s < opened_at);
            intact = (received && self.rng.chance(0.7)).then_some(true);
            let unsent =
                order.signed_at.is_none_or(|s| s >= opened_at) && order.shipped_at.is_none_or(|s| s >= opened_at);
            if !(kind == TicketKind::Refund && unsent) {
                let request = SevenDayRequest {
                    signed_at: order.signed_at.filter(|s| *s < opened_at),
                    requested_at: opened_at,
                    zone: SHOP_ZONE,
                    window_days: RETURN_WINDOW_DAYS,
                    // Without a line, the order's most restrictive exclusion stands for it.
                    exclusion: match line {
                        Some(line) => line.exclusion,
                        None => order
                            .lines
                            .iter()
                            .map(|l| l.exclusion)
                            .find(|e| e.is_excluded())
                            .unwrap_or(NoReasonExclusion::None),
                    },
                    declared_intact: intact,
                };
                match seven_day::judge(&request, self.calendar) {
                    Ok(decision) if !decision.verdict.is_refusal() => {
                        seven_day = Some(SevenDayRecord::from_decision(&decision));
                    }
                    _ => {
                        let fallbacks = [ReasonCode::Quality, ReasonCode::NotAsDescribed, ReasonCode::Misorder];
                        let fitting: Vec<ReasonCode> = fallbacks
                            .into_iter()
                            .filter(|r| order_fits(order, kind, *r, opened_at))
                            .collect();
                        if fitting.is_empty() {
                            return None;
                        }
                        reason = *self.rng.pick(&fitting);
                        intact = None;
                    }
                }
            }
        }

        let subject = Subject {
            item: line.map_or(order.lines[0].name, |l| l.name),
            category: line.map_or(order.lines[0].category, |l| l.category),
            received: order.signed_at.is_some_and(|s| s < opened_at),
        };
        let description = describe(&mut self.rng, reason, &subject);
        let sku = line.map(|l| l.sku.clone());
        // What the buyer paid for what the ticket is about: the bound of every refund amount.
        let paid_fen = line.map_or(order.total_fen(), Line::amount_fen);
        let refund_fen = match kind {
            TicketKind::Refund | TicketKind::Return => {
                let base = paid_fen;
                Some(match reason {
                    ReasonCode::ShippingFee => self.rng.range(800, 1_500).min(order.total_fen()),
                    ReasonCode::Agreed => base * self.rng.range(10, 50) / 100,
                    _ => base,
                })
            }
            _ => None,
        };
        let total = order.total_fen();
        let order_no = order.order_no.clone();
        let refund_fen = refund_fen.map(|fen| fen.clamp(0, total));

        // Who works it.
        let reassigned = assignee.is_some() && actions.contains(&Action::Reassign);
        let first_assignee = match assignee {
            Some(final_agent) if reassigned => AGENTS.iter().copied().find(|a| *a != final_agent),
            other => other,
        };
        let creator = match first_assignee {
            Some(agent) if self.rng.chance(0.75) => agent,
            _ => SUPERVISOR,
        };

        let mut priority = self.rng.weighted(&[
            (Priority::Low, 18),
            (Priority::Normal, 60),
            (Priority::High, 16),
            (Priority::Urgent, 6),
        ]);
        // Held tickets and health or counterfeit claims tend to be pushed up.
        let serious = matches!(reason, ReasonCode::Counterfeit | ReasonCode::AdverseReaction);
        if (serious || target.is_hold()) && self.rng.chance(0.6) {
            priority = priority.max(Priority::High);
        }

        let resolution = match (kind, reason) {
            (TicketKind::Logistics, ReasonCode::LogisticsStuck | ReasonCode::LogisticsNoTrace) => self.rng.weighted(&[
                (Resolution::Delivered, 45),
                (Resolution::Reshipped, 30),
                (Resolution::Refunded, 25),
            ]),
            (TicketKind::Logistics, ReasonCode::Other) => Resolution::Delivered,
            _ => self.rng.weighted(&[
                (Resolution::Reshipped, 40),
                (Resolution::Compensated, 35),
                (Resolution::Refunded, 25),
            ]),
        };

        // The timeline, with the same bookkeeping as the ticket service.
        let users = *self.users;
        let user = |index: usize| users[index];
        let mut position = Position::new(kind);
        let mut events = Vec::new();
        let mut due = Some(follow_up::follow_up_due_at(opened_at, FOLLOW_UP_HOURS));
        let (mut last_follow_up_at, mut closed_at, mut platform_deadline_at, mut resolved) = (None, None, None, None);
        let (mut approved_refund_fen, mut refunded_fen) = (None, None);
        let mut version = 1;
        let mut current = first_assignee;
        let actor_of = |current: Option<usize>| current.unwrap_or(SUPERVISOR);
        events.push(DemoEvent {
            at: opened_at,
            actor: Some(user(creator)),
            data: EventData::Created(events::Created {
                kind,
                status: position.status,
                reason,
                order_no,
                sku: sku.clone(),
                description: description.clone(),
                refund_fen,
                intact,
                recorded_at: opened_at,
                follow_up_of: None,
            }),
        });
        if let Some(record) = &seven_day {
            events.push(DemoEvent {
                at: opened_at,
                actor: None,
                data: EventData::RuleDecision(events::RuleDecision {
                    rule: Rule::SevenDay,
                    decision: record.clone(),
                }),
            });
        }
        if let Some(agent) = first_assignee {
            events.push(DemoEvent {
                at: opened_at,
                actor: Some(user(creator)),
                data: EventData::Assigned(events::Assigned {
                    from: None,
                    to: Some(user(agent)),
                }),
            });
        }
        let mut at = opened_at;
        for (action, gap) in actions.iter().zip(&gaps) {
            at += *gap;
            version += 1;
            match *action {
                Action::FollowUp => {
                    let actor = if self.rng.chance(0.1) {
                        SUPERVISOR
                    } else {
                        actor_of(current)
                    };
                    let (channel, summary) = follow_up_text(&mut self.rng, kind, position.status);
                    events.push(DemoEvent {
                        at,
                        actor: Some(user(actor)),
                        data: EventData::FollowUp(events::FollowUp {
                            channel,
                            summary,
                            was_overdue: due.is_some_and(|d| follow_up::is_overdue(d, at)),
                            canned_reply: None,
                        }),
                    });
                    last_follow_up_at = Some(at);
                    due = position
                        .status
                        .in_follow_up_cycle()
                        .then(|| follow_up::follow_up_due_at(at, FOLLOW_UP_HOURS));
                }
                Action::Note => {
                    let actor = if self.rng.chance(0.3) {
                        SUPERVISOR
                    } else {
                        actor_of(current)
                    };
                    events.push(DemoEvent {
                        at,
                        actor: Some(user(actor)),
                        data: EventData::Note(events::Note {
                            text: self.rng.pick(NOTES).to_string(),
                        }),
                    });
                }
                Action::Reassign => {
                    if current == assignee {
                        version -= 1;
                        continue;
                    }
                    events.push(DemoEvent {
                        at,
                        actor: Some(user(SUPERVISOR)),
                        data: EventData::Assigned(events::Assigned {
                            from: current.map(user),
                            to: assignee.map(user),
                        }),
                    });
                    current = assignee;
                }
                Action::Move(to) => {
                    let given = (kind == TicketKind::Logistics && to == Status::Resolved).then_some(resolution);
                    // A move that agrees or pays a refund records its amount, as the service
                    // asks of an agent: none given, the rules' default (what was asked, within
                    // what was paid; the refund itself what was agreed).
                    let moved_fen = if move_details::needed(&position, to).contains(&MoveDetail::RefundAmount) {
                        let step = if to == Status::Refunded {
                            RefundStep::Refund
                        } else {
                            RefundStep::Approve
                        };
                        let facts = RefundFacts {
                            paid: Some(Fen(paid_fen)),
                            requested: refund_fen.map(Fen),
                            approved: approved_refund_fen.map(Fen),
                        };
                        let amount = refund::refund_amount(step, None, &facts).ok()?.0;
                        match step {
                            RefundStep::Refund => refunded_fen = Some(amount),
                            RefundStep::Approve => approved_refund_fen = Some(amount),
                        }
                        Some(amount)
                    } else {
                        None
                    };
                    let next = position.apply(to, given).ok()?;
                    due = match (position.status.in_follow_up_cycle(), next.status.in_follow_up_cycle()) {
                        (_, false) => None,
                        (false, true) => Some(follow_up::follow_up_due_at(at, FOLLOW_UP_HOURS)),
                        (true, true) => due,
                    };
                    platform_deadline_at = if next.status == Status::PlatformIntervention {
                        self.calendar
                            .add_working_days(at, PLATFORM_WORKING_DAYS, SHOP_ZONE)
                            .ok()
                            .map(|d| d.ends_at)
                    } else if next.status.is_hold() {
                        platform_deadline_at
                    } else {
                        None
                    };
                    if next.status == Status::Resolved && given.is_some() {
                        resolved = given;
                    }
                    closed_at = next.status.is_closed().then_some(at);
                    // Holds are lifted by the supervisor (or the platform's verdict, recorded by
                    // whoever reads it); everything else by whoever works the ticket.
                    let actor = if position.status == Status::Escalated
                        || (position.status == Status::PlatformIntervention && self.rng.chance(0.5))
                    {
                        SUPERVISOR
                    } else {
                        actor_of(current)
                    };
                    let note = transition_note(&mut self.rng, kind, position.status, next.status);
                    events.push(DemoEvent {
                        at,
                        actor: Some(user(actor)),
                        data: EventData::StatusChanged(events::StatusChanged {
                            from: position.status,
                            to: next.status,
                            note,
                            resolution: given,
                            platform_deadline_at,
                            platform_deadline_provisional_year: None,
                            reopened_by_visit: None,
                            goods: None,
                            refund_fen: moved_fen,
                            rejection_reason: None,
                        }),
                    });
                    position = next;
                }
            }
        }
        if position.status != target || at > self.now {
            return None;
        }

        let order = &mut self.orders[order_index];
        order.ticket_kinds.push(kind);
        if target != Status::Closed && assignee == Some(AGENTS[0]) {
            self.agent1_open += 1;
        }
        if target.in_follow_up_cycle() {
            self.due_counts[assignee.unwrap_or(USERS.len())] += 1;
        }
        Some(DemoTicket {
            position,
            reason,
            description,
            order: order_index,
            sku,
            assignee: assignee.map(user),
            created_by: user(creator),
            priority,
            refund_fen,
            approved_refund_fen,
            refunded_fen,
            resolution: resolved,
            intact,
            seven_day,
            platform_deadline_at,
            version,
            opened_at,
            follow_up_due_at: due,
            last_follow_up_at,
            closed_at,
            updated_at: at,
            events,
        })
    }

    /// Who works a ticket that ends in `target` (an index into [`USERS`]), or `None`: new
    /// tickets are often still unassigned; agent1 gets [`AGENT1_OPEN_TICKETS`] open ones.
    fn choose_assignee(&mut self, target: Status, untouched: bool) -> Option<usize> {
        if self.rng.chance(if untouched { 0.4 } else { 0.03 }) {
            None
        } else if target == Status::Closed {
            Some(*self.rng.pick(&AGENTS))
        } else if self.agent1_open < AGENT1_OPEN_TICKETS && self.rng.chance(0.34) {
            Some(AGENTS[0])
        } else {
            Some(*self.rng.pick(&AGENTS[1..]))
        }
    }

    /// The work between the moves: follow-ups, a note now and then, a reassignment rarely.
    fn actions(&mut self, kind: TicketKind, moves: &[Status], target: Status) -> Vec<Action> {
        let mut actions = Vec::new();
        let mut from = kind.initial_status();
        for (i, &to) in moves.iter().enumerate() {
            let mut follow_ups = self.rng.weighted(&[(0, 30), (1, 50), (2, 20)]);
            if from == Status::PlatformIntervention
                || to == Status::Received
                || (to == Status::Refunded && kind == TicketKind::Return)
            {
                follow_ups += 1;
            }
            actions.extend(std::iter::repeat_n(Action::FollowUp, follow_ups));
            if self.rng.chance(0.12) {
                actions.push(Action::Note);
            }
            if i > 0 && self.rng.chance(0.05) {
                actions.push(Action::Reassign);
            }
            actions.push(Action::Move(to));
            from = to;
        }
        if target != Status::Closed && self.rng.chance(0.1) {
            actions.push(Action::Note);
        }
        if target.in_follow_up_cycle() {
            let follow_ups = if moves.is_empty() {
                self.rng.weighted(&[(0, 45), (1, 40), (2, 15)])
            } else if self.rng.chance(0.88) {
                1
            } else {
                0
            };
            actions.extend(std::iter::repeat_n(Action::FollowUp, follow_ups));
        }
        actions
    }

    /// The time before each action. The history keeps the follow-up cycle: every follow-up
    /// comes within 23 hours of the previous contact (or of the opening, or of the ticket coming
    /// back into the cycle), so that no cycle was missed before the demo was loaded; whether a
    /// ticket is overdue now is decided by when its last action happened.
    fn gaps(&mut self, kind: TicketKind, actions: &[Action]) -> Vec<Duration> {
        const CYCLE_MINUTES: i64 = 23 * 60;
        let mut in_cycle = kind.initial_status().in_follow_up_cycle();
        let mut since_contact = 0;
        actions
            .iter()
            .map(|action| {
                let budget = CYCLE_MINUTES - since_contact;
                let gap = match action {
                    Action::FollowUp => self.rng.range((budget / 2).clamp(5, 60), budget.max(10)),
                    Action::Note => self.rng.range(10, (budget / 3).clamp(11, 6 * 60)),
                    Action::Reassign => self.rng.range(10, (budget / 3).clamp(11, 8 * 60)),
                    Action::Move(_) => self.rng.range(10, (budget / 2).clamp(11, 16 * 60)),
                };
                since_contact += gap;
                match action {
                    Action::FollowUp => since_contact = 0,
                    Action::Move(to) => {
                        if !in_cycle && to.in_follow_up_cycle() {
                            since_contact = 0;
                        }
                        in_cycle = to.in_follow_up_cycle();
                    }
                    Action::Note | Action::Reassign => {}
                }
                minutes(gap)
            })
            .collect()
    }

    /// An order (and line) a ticket of `kind` for `reason` opened at `at` can be about.
    fn find_order(
        &mut self,
        kind: TicketKind,
        reason: ReasonCode,
        at: DateTime<Utc>,
    ) -> Option<(usize, Option<usize>)> {
        let count = self.orders.len();
        let start = self.rng.below(count);
        let index = (0..count).map(|i| (start + i) % count).find(|&i| {
            let order = &self.orders[i];
            order.ticket_kinds.len() < 2
                && !order.ticket_kinds.contains(&kind)
                && order_fits(order, kind, reason, at)
                && order.lines.iter().any(|l| line_fits(l, kind, reason))
        })?;
        let order = &self.orders[index];
        let fitting: Vec<usize> = (0..order.lines.len())
            .filter(|&i| line_fits(&order.lines[i], kind, reason))
            .collect();
        let preferred: Vec<usize> = fitting
            .iter()
            .copied()
            .filter(|&i| kind != TicketKind::Exchange || matches!(order.lines[i].category, "服装" | "鞋靴"))
            .collect();
        let choose_from = if preferred.is_empty() { &fitting } else { &preferred };
        let whole_order_ok = matches!(kind, TicketKind::Complaint | TicketKind::Logistics)
            || matches!(
                reason,
                ReasonCode::OutOfStock | ReasonCode::LateShipment | ReasonCode::Misorder
            );
        let line = if order.lines.len() == 1 {
            Some(0)
        } else if whole_order_ok && self.rng.chance(0.6) {
            None
        } else {
            Some(*self.rng.pick(choose_from))
        };
        Some((index, line))
    }
}

/// Whether the order's history allows this ticket at `at`.
fn order_fits(order: &DemoOrder, kind: TicketKind, reason: ReasonCode, at: DateTime<Utc>) -> bool {
    use ReasonCode::*;
    if order.paid_at >= at - minutes(30) {
        return false;
    }
    let since = |t: Option<DateTime<Utc>>| t.filter(|t| *t < at - minutes(30)).map(|t| at - t);
    let since_paid = at - order.paid_at;
    let since_shipped = since(order.shipped_at);
    let since_signed = since(order.signed_at);
    let in_transit = since_shipped.is_some() && since_signed.is_none();
    if order.virtual_goods && !matches!(kind, TicketKind::Refund | TicketKind::Complaint) {
        return false;
    }
    match reason {
        NoReason => match kind {
            TicketKind::Refund => since_signed.is_none_or(|d| d <= Duration::days(8)),
            _ => since_signed.is_some_and(|d| d >= Duration::hours(2) && d <= Duration::days(8)),
        },
        Misorder => match kind {
            TicketKind::Refund => since_paid < Duration::days(15),
            _ => since_signed.is_some_and(|d| d <= Duration::days(8)),
        },
        OutOfStock => order.shipped_at.is_none() && since_paid < Duration::days(4),
        LateShipment => since_shipped.is_none() && since_paid > Duration::hours(48) && since_paid < Duration::days(10),
        LogisticsStuck | LogisticsNoTrace => {
            in_transit && since_shipped.is_some_and(|d| d > Duration::hours(36) && d < Duration::days(15))
        }
        DamagedRefused => in_transit && order.signed_at.is_none(),
        Other if kind == TicketKind::Logistics => in_transit && since_shipped.is_some_and(|d| d < Duration::days(5)),
        Other | Invoice => since_paid < Duration::days(30),
        _ => since_signed.is_some_and(|d| d < Duration::days(30)),
    }
}

/// Whether the ticket can be about this line.
fn line_fits(line: &Line, kind: TicketKind, reason: ReasonCode) -> bool {
    let goods_go_back = matches!(kind, TicketKind::Return | TicketKind::Exchange);
    if goods_go_back
        && matches!(
            line.exclusion,
            NoReasonExclusion::Perishable | NoReasonExclusion::DigitalUnsealed
        )
    {
        return false;
    }
    match reason {
        ReasonCode::AdverseReaction => line.category == "美妆",
        ReasonCode::Counterfeit => matches!(line.category, "美妆" | "数码" | "鞋靴"),
        _ => true,
    }
}

/// A random legal path of moves from the kind's first status to `target` (empty when the target
/// is the first status).
fn walk(rng: &mut Rng, kind: TicketKind, target: Status) -> Option<Vec<Status>> {
    if !kind.statuses().contains(&target) {
        return None;
    }
    for _ in 0..300 {
        let mut position = Position::new(kind);
        let mut moves = Vec::new();
        for _ in 0..24 {
            if position.status == target {
                return Some(moves);
            }
            let allowed = position.allowed_moves();
            if allowed.is_empty() {
                break;
            }
            let weighted: Vec<(Status, u32)> = allowed
                .iter()
                .map(|&to| {
                    let weight = match (position.status, to) {
                        (_, Status::Escalated | Status::PlatformIntervention) if target.is_hold() => 30,
                        (Status::Escalated, Status::PlatformIntervention) => 15,
                        (_, Status::Escalated | Status::PlatformIntervention) => 4,
                        (Status::ResolutionProposed, Status::Investigating) => 20,
                        _ => 100,
                    };
                    (to, weight)
                })
                .collect();
            let to = rng.weighted(&weighted);
            position = position.apply(to, Some(Resolution::Delivered)).ok()?;
            moves.push(to);
        }
        if position.status == target {
            return Some(moves);
        }
    }
    None
}

pub(super) fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

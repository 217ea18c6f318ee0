//! The generator: the plan of a run, the world it fills (catalogue, agents, the five tables'
//! batches), and the simulation of every buyer, order and ticket — each ticket from its opening
//! to now through legal moves, with the timeline events the service and the sweep would write.
//! The search's documents of every buyer, order and ticket are made from the same facts as they
//! are written, by the indexer's own functions (`search::index`), on threads of their own: one
//! per search table, each filling its table's batches.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use chrono::DateTime;
use chrono_tz::Asia::Shanghai;
use tokio::sync::mpsc;

use crate::fixtures::names::{self, NOTES, ORDER_NOTES};
use crate::fixtures::random::Rng;
use crate::ids::UserId;
use crate::money::Fen;
use crate::rules::calendar::Calendar;
use crate::rules::follow_up;
use crate::rules::move_details::{self, MoveDetail};
use crate::rules::reason::ReasonCode;
use crate::rules::refund::{self, RefundFacts, RefundStep};
use crate::rules::seven_day::{self, NoReasonExclusion, SevenDayRequest};
use crate::rules::timers::{self, PlatformTimers, TimerFacts};
use crate::rules::workflow::{Position, Priority, Resolution, Status, TicketKind};
use crate::search::index::{OwnFields, OwnText, build_doc, buyer_pieces, event_pieces, order_pieces, own_pieces};
use crate::search::text::Source;
use crate::tickets::events::{self, EscalatedTo, EventData, Rule};
use crate::tickets::model::{Channel, SevenDayRecord};

use super::catalogue::{DESCRIPTIONS, TRANSITION_NOTES, make_catalogue};
use super::writers::{Batch, DocBatch, civil, datetime};
use super::{CYCLE_HOURS, DAY, HOUR, Summary, seeded_rng};

/// What one run makes: its sizes, the ids reserved for it and the bench users.
pub(super) struct Plan {
    pub(super) shop: i64,
    pub(super) now: i64,
    pub(super) seed: u64,
    pub(super) customers: u64,
    pub(super) customer_base: i64,
    pub(super) order_base: i64,
    pub(super) ticket_base: i64,
    pub(super) tickets: u64,
    pub(super) line_counts: Vec<u8>,
    pub(super) agents: Vec<i64>,
    pub(super) supervisors: Vec<i64>,
}

/// One catalogue entry.
pub(super) struct Sku {
    pub(super) code: String,
    pub(super) title: String,
    pub(super) category: &'static str,
    pub(super) price_fen: i64,
    pub(super) exclusion: NoReasonExclusion,
}

/// One order line as the ticket simulation needs it.
struct LineFacts {
    sku: usize,
    quantity: i64,
}

/// The pieces of text of one row's search document, by the row's id.
type Pieces = (i64, Vec<(Source, String)>);

/// Documents waiting for their builder thread, at most this many a table.
const DOCS_WAITING: usize = 4_096;

/// A buyer's text that their tickets' documents hold.
struct BuyerText {
    nick: String,
    name: String,
    phone: String,
}

/// An order as the ticket simulation needs it.
struct OrderFacts {
    id: i64,
    order_no: String,
    customer: i64,
    paid: i64,
    shipped: Option<i64>,
    signed: Option<i64>,
    lines: Vec<LineFacts>,
}

/// An agent's habits.
#[derive(Clone, Copy)]
struct Agent {
    id: i64,
    /// Chance of letting a cycle pass before the next follow-up.
    late: f64,
}

struct World<'a> {
    plan: &'a Plan,
    rng: Rng,
    catalogue: Vec<Sku>,
    /// Cumulative popularity of the catalogue, for picking SKUs.
    popularity: Vec<u64>,
    agents: Vec<Agent>,
    /// Cumulative workload share of the agents.
    agent_load: Vec<u64>,
    calendar: Calendar,
    timers: PlatformTimers,
    customers: Batch,
    orders: Batch,
    lines: Batch,
    tickets: Batch,
    events: Batch,
    /// The pieces of the search's documents, to the threads that build them.
    buyer_docs: SyncSender<Pieces>,
    order_docs: SyncSender<Pieces>,
    ticket_docs: SyncSender<Pieces>,
    /// Every buyer's text, by their index among the buyers.
    buyers: Vec<BuyerText>,
    summary: Summary,
    /// The data JSON of the event being written.
    scratch: Vec<u8>,
}

pub(super) fn generate_rows(plan: Plan, senders: Vec<mpsc::Sender<Vec<u8>>>) -> anyhow::Result<Summary> {
    let mut senders = senders.into_iter();
    let mut next = || {
        senders
            .next()
            .ok_or_else(|| anyhow::anyhow!("a table writer is missing"))
    };
    let (customers, orders, lines, tickets, events) = (
        Batch::new(next()?),
        Batch::new(next()?),
        Batch::new(next()?),
        Batch::new(next()?),
        Batch::new(next()?),
    );
    let (buyer_search, order_search, ticket_search) =
        (DocBatch::new(next()?), DocBatch::new(next()?), DocBatch::new(next()?));
    let mut rng = seeded_rng(plan.seed ^ 0xA5A5_5A5A_0F0F_F0F0);
    let catalogue = make_catalogue(&mut rng);
    let mut popularity = Vec::with_capacity(catalogue.len());
    let mut total = 0u64;
    for rank in 0..catalogue.len() as u64 {
        total += 1_000_000 / (rank + 25);
        popularity.push(total);
    }
    let agents: Vec<Agent> = plan
        .agents
        .iter()
        .map(|&id| Agent {
            id,
            late: 0.01 + rng.unit() * 0.09,
        })
        .collect();
    let mut agent_load = Vec::with_capacity(agents.len());
    let mut total = 0u64;
    for _ in &agents {
        total += 50 + rng.below(100) as u64;
        agent_load.push(total);
    }
    let (buyer_docs, buyers_waiting) = sync_channel(DOCS_WAITING);
    let (order_docs, orders_waiting) = sync_channel(DOCS_WAITING);
    let (ticket_docs, tickets_waiting) = sync_channel(DOCS_WAITING);
    let world = World {
        plan: &plan,
        rng,
        catalogue,
        popularity,
        agents,
        agent_load,
        calendar: Calendar::bundled(),
        timers: PlatformTimers::default(),
        customers,
        orders,
        lines,
        tickets,
        events,
        buyer_docs,
        order_docs,
        ticket_docs,
        buyers: Vec::with_capacity(usize::try_from(plan.customers).unwrap_or(0)),
        summary: Summary::default(),
        scratch: Vec::with_capacity(1024),
    };
    let shop = plan.shop;
    std::thread::scope(|scope| {
        let builders = [
            scope.spawn(move || build_docs(shop, buyers_waiting, buyer_search)),
            scope.spawn(move || build_docs(shop, orders_waiting, order_search)),
            scope.spawn(move || build_docs(shop, tickets_waiting, ticket_search)),
        ];
        // The world, and the senders with it, is gone when this returns: each builder then ends
        // once it has built what it was sent.
        let generated = world.run();
        let mut built = Ok(());
        for builder in builders {
            let result = builder
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("a search document builder panicked")));
            built = built.and(result);
        }
        // A generator stopped by a writer's error stops its builders too: its error first.
        let summary = generated?;
        built.map(|()| summary)
    })
}

/// Builds the documents of the rows `waiting` brings and writes them to `batch` (shop, id,
/// document), until the generator stops sending.
fn build_docs(shop: i64, waiting: Receiver<Pieces>, mut batch: DocBatch) -> anyhow::Result<()> {
    for (id, pieces) in waiting {
        if !batch.row(shop, id, &build_doc(id, &pieces)) {
            return Err(gone());
        }
    }
    if !batch.flush() {
        return Err(gone());
    }
    Ok(())
}

fn gone() -> anyhow::Error {
    anyhow::anyhow!("a table writer stopped (see its error)")
}

impl World<'_> {
    /// Writes every row and hands each document's pieces on; consumes the world, so that the
    /// builders see the end of their pieces.
    fn run(mut self) -> anyhow::Result<Summary> {
        self.write_customers()?;
        self.write_orders_and_tickets()?;
        for batch in [
            &mut self.customers,
            &mut self.orders,
            &mut self.lines,
            &mut self.tickets,
            &mut self.events,
        ] {
            if !batch.flush() {
                return Err(gone());
            }
        }
        Ok(self.summary)
    }

    /// Hands a document's pieces to the builder of its table.
    fn document(docs: &SyncSender<Pieces>, id: i64, pieces: Vec<(Source, String)>) -> anyhow::Result<()> {
        docs.send((id, pieces))
            .map_err(|_| anyhow::anyhow!("a search document builder stopped (see its error)"))
    }

    fn write_customers(&mut self) -> anyhow::Result<()> {
        let shop = self.plan.shop;
        for i in 0..self.plan.customers {
            let id = self.plan.customer_base + i as i64;
            // Unique by the number: the stems hold no digits.
            let nick = format!("tb_{}{}", self.rng.pick(names::PINYIN), 100_000 + i);
            let name = names::person_name(&mut self.rng);
            let phone = names::mobile_phone(&mut self.rng);
            let address = names::street_address(&mut self.rng);
            let b = &mut self.customers;
            b.int(shop);
            b.int(id);
            b.text(&nick);
            b.text(&name);
            b.text(&phone);
            b.text(&address);
            if !b.end_row() {
                return Err(gone());
            }
            let pieces = buyer_pieces(nick.clone(), Some(name.clone()), Some(phone.clone()));
            Self::document(&self.buyer_docs, id, pieces)?;
            self.buyers.push(BuyerText { nick, name, phone });
        }
        self.summary.customers = self.plan.customers;
        Ok(())
    }

    /// Orders in payment order over the 365 days before now, each with its lines and the
    /// tickets it will get (spread evenly over the orders, exactly `tickets` of them).
    fn write_orders_and_tickets(&mut self) -> anyhow::Result<()> {
        let plan = self.plan;
        let n = plan.line_counts.len() as u64;
        let start_day = plan.now.div_euclid(DAY) - 365;
        // Orders per day: weekly rhythm and the two festivals.
        let weights: Vec<f64> = (0..366)
            .map(|d| {
                let day = start_day + d;
                let (_, month, dom) = civil(day);
                let weekday = (day + 4).rem_euclid(7); // 0 = Sunday
                let mut w = if weekday == 0 || weekday == 6 { 1.25 } else { 1.0 };
                if month == 11 && (9..=11).contains(&dom) {
                    w *= if dom == 11 { 6.0 } else { 2.5 };
                }
                if month == 6 && (16..=18).contains(&dom) {
                    w *= if dom == 18 { 3.5 } else { 1.8 };
                }
                // The day of `now` is only partly over.
                if d == 365 {
                    w *= (plan.now.rem_euclid(DAY)) as f64 / DAY as f64;
                }
                w
            })
            .collect();
        let total_weight: f64 = weights.iter().sum();
        let mut order_index = 0u64;
        let mut cumulative = 0.0;
        let mut tickets_done = 0u64;
        for (d, w) in weights.iter().enumerate() {
            cumulative += w;
            let until = ((cumulative / total_weight) * n as f64).round() as u64;
            let until = if d == 365 { n } else { until.min(n) };
            let day_start = (start_day + d as i64) * DAY;
            let day_end = if d == 365 { plan.now } else { day_start + DAY };
            while order_index < until {
                let i = order_index;
                order_index += 1;
                let paid = self.paid_time(day_start, day_end);
                let order = self.write_order(i, paid)?;
                let tickets_here = (i + 1) * plan.tickets / n - tickets_done;
                for k in 0..tickets_here {
                    let id = plan.ticket_base + (tickets_done + k) as i64;
                    self.write_ticket(id, &order)?;
                }
                tickets_done += tickets_here;
            }
        }
        Ok(())
    }

    /// A payment time within `[from, until)`: quiet nights, a lunch bump, an evening peak.
    fn paid_time(&mut self, from: i64, until: i64) -> i64 {
        #[rustfmt::skip]
        const HOURS: [(i64, u32); 24] = [
            (0, 4), (1, 2), (2, 1), (3, 1), (4, 1), (5, 1), (6, 2), (7, 4), (8, 6), (9, 8), (10, 9), (11, 10),
            (12, 11), (13, 9), (14, 8), (15, 8), (16, 8), (17, 9), (18, 10), (19, 12), (20, 14), (21, 15), (22, 13),
            (23, 8),
        ];
        // Local hours (UTC+8): drawn by local hour, converted back.
        for _ in 0..8 {
            let local_hour = self.rng.weighted(&HOURS);
            let utc_hour = (local_hour - 8).rem_euclid(24);
            let at = from + utc_hour * HOUR + self.rng.range(0, HOUR);
            if at < until {
                return at;
            }
        }
        from + self.rng.range(0, (until - from).max(1))
    }

    fn write_order(&mut self, i: u64, paid: i64) -> anyhow::Result<OrderFacts> {
        let plan = self.plan;
        let now = plan.now;
        let id = plan.order_base + i as i64;
        let order_no = format!("{}{:012}", 3_000_000 + (paid / DAY) % 1_000_000, i);
        // Repeat buyers: a skewed pick.
        let u = self.rng.unit();
        let customer = plan.customer_base + ((u * u * plan.customers as f64) as i64).min(plan.customers as i64 - 1);
        let shipped = Some(paid + self.rng.range(2 * HOUR, 60 * HOUR)).filter(|&t| t <= now);
        let signed = shipped
            .filter(|_| !self.rng.chance(0.015))
            .map(|s| s + self.rng.range(20 * HOUR, 5 * DAY))
            .filter(|&t| t <= now);
        let note = self
            .rng
            .chance(0.03)
            .then(|| ORDER_NOTES[self.rng.below(ORDER_NOTES.len())]);
        let last_change = signed.or(shipped).unwrap_or(paid);
        let b = &mut self.orders;
        b.int(plan.shop);
        b.int(id);
        b.text(&order_no);
        b.int(customer);
        b.ts(paid);
        b.opt_ts(shipped);
        b.opt_ts(signed);
        b.opt_text(note);
        b.ts(paid);
        b.ts(last_change);
        if !b.end_row() {
            return Err(gone());
        }
        let count = usize::from(plan.line_counts[i as usize]);
        let mut lines: Vec<LineFacts> = Vec::with_capacity(count);
        while lines.len() < count {
            let sku = self.pick_sku();
            if lines.iter().any(|l| l.sku == sku) {
                continue;
            }
            let quantity = self.rng.weighted(&[(1i64, 82), (2, 13), (3, 5)]);
            let item = &self.catalogue[sku];
            let b = &mut self.lines;
            b.int(plan.shop);
            b.int(id);
            b.text(&item.code);
            b.text(&item.title);
            b.text(item.category);
            b.int(quantity);
            b.int(item.price_fen);
            b.text(item.exclusion.as_str());
            if !b.end_row() {
                return Err(gone());
            }
            lines.push(LineFacts { sku, quantity });
        }
        // As the indexer reads them: the lines' SKUs and titles in the order of the SKUs (the
        // desk's cluster compares text byte by byte).
        let mut by_sku: Vec<&Sku> = lines.iter().map(|l| &self.catalogue[l.sku]).collect();
        by_sku.sort_by(|a, b| a.code.cmp(&b.code));
        let skus = by_sku.iter().map(|item| item.code.clone()).collect();
        let titles = by_sku.iter().map(|item| item.title.clone()).collect();
        Self::document(&self.order_docs, id, order_pieces(order_no.clone(), skus, titles))?;
        self.summary.orders += 1;
        self.summary.order_lines += count as u64;
        Ok(OrderFacts {
            id,
            order_no,
            customer,
            paid,
            shipped,
            signed,
            lines,
        })
    }

    fn pick_sku(&mut self) -> usize {
        self.rng.index_by_running_total(&self.popularity)
    }

    fn pick_agent(&mut self) -> Agent {
        let i = self.rng.index_by_running_total(&self.agent_load);
        self.agents[i]
    }

    fn pick_supervisor(&mut self) -> i64 {
        self.plan.supervisors[self.rng.below(self.plan.supervisors.len())]
    }

    /// When the buyer asks, and in which state the order is then.
    fn opening(&mut self, order: &OrderFacts) -> i64 {
        let now = self.plan.now;
        let roll = self.rng.unit();
        let at = match (order.shipped, order.signed) {
            _ if roll < 0.10 => order.paid + self.rng.range(10 * 60, 30 * HOUR),
            (Some(shipped), _) if roll < 0.26 => shipped + self.rng.range(HOUR, 4 * DAY),
            (_, Some(signed)) => {
                let u = self.rng.unit();
                signed + (u * u * 9.0 * DAY as f64) as i64 + self.rng.range(10 * 60, 6 * HOUR)
            }
            (Some(shipped), None) => shipped + self.rng.range(HOUR, 6 * DAY),
            (None, _) => order.paid + self.rng.range(10 * 60, 30 * HOUR),
        };
        if at <= now - 60 {
            at
        } else {
            let span = (now - order.paid).max(2);
            order.paid + span / 10 + self.rng.range(0, span * 8 / 10 + 1)
        }
    }

    fn write_ticket(&mut self, id: i64, order: &OrderFacts) -> anyhow::Result<()> {
        let now = self.plan.now;
        let opened = self.opening(order);
        let shipped = order.shipped.is_some_and(|s| s <= opened);
        let signed = order.signed.filter(|&s| s <= opened);
        let line_index = self.rng.below(order.lines.len());
        let line = &order.lines[line_index];
        let item = &self.catalogue[line.sku];
        let wearable = matches!(item.category, "服装" | "鞋靴");
        let mut kind = match (shipped, signed.is_some()) {
            (false, _) => self
                .rng
                .weighted(&[(TicketKind::Refund, 85), (TicketKind::Complaint, 15)]),
            (true, false) => self.rng.weighted(&[
                (TicketKind::Logistics, 50),
                (TicketKind::Refund, 32),
                (TicketKind::Complaint, 18),
            ]),
            (true, true) => self.rng.weighted(&[
                (TicketKind::Refund, 30),
                (TicketKind::Return, 36),
                (TicketKind::Exchange, 15),
                (TicketKind::Complaint, 9),
                (TicketKind::Logistics, 10),
            ]),
        };
        if kind == TicketKind::Exchange && !wearable {
            kind = TicketKind::Return;
        }
        let mut reason = self.rng.weighted(reason_weights(kind, shipped, signed.is_some()));
        let whole_order = matches!(kind, TicketKind::Complaint | TicketKind::Logistics) && self.rng.chance(0.6);
        let sku = (!whole_order || order.lines.len() == 1).then(|| item.code.clone());
        let line_fen = item.price_fen * line.quantity;
        let order_fen: i64 = order
            .lines
            .iter()
            .map(|l| self.catalogue[l.sku].price_fen * l.quantity)
            .sum();
        let mut intact = matches!(kind, TicketKind::Return | TicketKind::Exchange)
            .then(|| !self.rng.chance(0.04))
            .filter(|_| reason == ReasonCode::NoReason);

        // The seven-day rule, judged as the service judges it.
        let mut seven_day: Option<SevenDayRecord> = None;
        let unsent = signed.is_none() && !shipped;
        if reason == ReasonCode::NoReason && kind.subject_to_seven_day_rule() && !(kind == TicketKind::Refund && unsent)
        {
            let request = SevenDayRequest {
                signed_at: signed.map(datetime),
                requested_at: datetime(opened),
                zone: Shanghai,
                window_days: 7,
                exclusion: if sku.is_some() {
                    item.exclusion
                } else {
                    order
                        .lines
                        .iter()
                        .map(|l| self.catalogue[l.sku].exclusion)
                        .find(|e| e.is_excluded())
                        .unwrap_or(NoReasonExclusion::None)
                },
                declared_intact: intact,
            };
            match seven_day::judge(&request, &self.calendar) {
                Ok(decision) if !decision.verdict.is_refusal() => {
                    seven_day = Some(SevenDayRecord::from_decision(&decision));
                }
                _ => {
                    reason = ReasonCode::Quality;
                    intact = None;
                }
            }
        }
        let refund_fen = match kind {
            TicketKind::Refund | TicketKind::Return => Some(
                match reason {
                    ReasonCode::ShippingFee => self.rng.range(800, 1_500),
                    ReasonCode::Agreed => line_fen * self.rng.range(10, 50) / 100,
                    _ if sku.is_none() => order_fen,
                    _ => line_fen,
                }
                .clamp(0, order_fen),
            ),
            _ => None,
        };
        let description = DESCRIPTIONS[reason_index(reason) % DESCRIPTIONS.len()][self.rng.below(3)];
        let mut priority = self.rng.weighted(&[
            (Priority::Low, 18),
            (Priority::Normal, 62),
            (Priority::High, 15),
            (Priority::Urgent, 5),
        ]);
        if matches!(reason, ReasonCode::Counterfeit | ReasonCode::AdverseReaction) && self.rng.chance(0.6) {
            priority = priority.max(Priority::High);
        }

        // Who works it.
        let assigned_at_opening = !self.rng.chance(0.08);
        let mut agent = self.pick_agent();
        let creator = if assigned_at_opening && self.rng.chance(0.75) {
            agent.id
        } else {
            self.pick_supervisor()
        };
        let mut assignee = assigned_at_opening.then_some(agent.id);
        // A few recent tickets are forgotten: nobody touches them again.
        let forgotten = opened > now - 40 * DAY && self.rng.chance(0.012);

        let mut sim = Sim {
            ticket: id,
            shop: self.plan.shop,
            now,
            events: 0,
            version: 1,
            due: Some(opened + i64::from(CYCLE_HOURS) * HOUR),
            next_escalation: Some(opened + i64::from(CYCLE_HOURS) * HOUR),
            last_contact: opened,
            last_follow_up: None,
            updated: opened,
            words: Vec::new(),
        };
        let mut position = Position::new(kind);

        // created, rule_decision, assigned.
        let created = EventData::Created(events::Created {
            kind,
            status: position.status,
            reason,
            order_no: order.order_no.clone(),
            sku: sku.clone(),
            description: description.to_string(),
            refund_fen,
            intact,
            recorded_at: datetime(opened),
            follow_up_of: None,
        });
        sim.event(&mut self.events, &mut self.scratch, opened, Some(creator), &created)?;
        if let Some(record) = &seven_day {
            let decision = EventData::RuleDecision(events::RuleDecision {
                rule: Rule::SevenDay,
                decision: record.clone(),
            });
            sim.event(&mut self.events, &mut self.scratch, opened, None, &decision)?;
        }
        if let Some(to) = assignee {
            let assigned = EventData::Assigned(events::Assigned {
                from: None,
                to: Some(UserId(to)),
            });
            sim.event(&mut self.events, &mut self.scratch, opened, Some(creator), &assigned)?;
        }

        // The life of the ticket, until it closes or until now.
        let mut closed_at = None;
        let mut platform_deadline: Option<i64> = None;
        let mut resolution: Option<Resolution> = None;
        let (mut agreed_at, mut buyer_shipped_at, mut goods_received_at) = (None, None, None);
        let mut refunded_at = None;
        // The amounts agreed and refunded, as the service records them on the moves.
        let (mut approved_fen, mut refunded_fen): (Option<i64>, Option<i64>) = (None, None);
        let paid = Fen(if sku.is_some() { line_fen } else { order_fen });
        let mut t = opened;
        let mut holds = 0;
        if !forgotten {
            if assignee.is_none() {
                // The shared queue: a supervisor hands it out.
                let at = t + self.rng.range(10 * 60, 20 * HOUR);
                if at <= now {
                    sim.escalate_until(&mut self.events, &mut self.scratch, at, None)?;
                    agent = self.pick_agent();
                    let assigned = EventData::Assigned(events::Assigned {
                        from: None,
                        to: Some(UserId(agent.id)),
                    });
                    let supervisor = self.pick_supervisor();
                    sim.event(&mut self.events, &mut self.scratch, at, Some(supervisor), &assigned)?;
                    sim.change(at);
                    assignee = Some(agent.id);
                    t = at;
                }
            }
            while assignee.is_some() && position.status != Status::Closed {
                let (to, wait) = self.next_move(&position, &mut holds);
                let at = t + wait;
                // Follow-ups while waiting, as long as the cycle runs.
                let mut stop = false;
                while position.status.in_follow_up_cycle() {
                    let gap = if self.rng.chance(agent.late) {
                        self.rng.range(25 * HOUR, 50 * HOUR)
                    } else {
                        self.rng.range(9 * HOUR, 23 * HOUR)
                    };
                    let contact = sim.last_contact + gap;
                    if contact >= at {
                        break;
                    }
                    if contact > now {
                        stop = true;
                        break;
                    }
                    sim.escalate_until(&mut self.events, &mut self.scratch, contact, assignee)?;
                    let actor = if self.rng.chance(0.08) {
                        self.pick_supervisor()
                    } else {
                        agent.id
                    };
                    let (channel, summary) = follow_up_text(&mut self.rng, kind, position.status);
                    let was_overdue = sim.due.is_some_and(|due| contact > due);
                    let follow_up = EventData::FollowUp(events::FollowUp {
                        channel,
                        summary: summary.to_string(),
                        was_overdue,
                        canned_reply: None,
                    });
                    sim.event(&mut self.events, &mut self.scratch, contact, Some(actor), &follow_up)?;
                    sim.follow_up(contact);
                    if self.rng.chance(0.06) {
                        let at_note = contact + self.rng.range(60, 40 * 60);
                        if at_note < at && at_note <= now {
                            let note = EventData::Note(events::Note {
                                text: NOTES[self.rng.below(NOTES.len())].to_string(),
                            });
                            sim.event(&mut self.events, &mut self.scratch, at_note, Some(actor), &note)?;
                            sim.change(at_note);
                        }
                    }
                }
                if stop || at > now {
                    break;
                }
                sim.escalate_until(&mut self.events, &mut self.scratch, at, assignee)?;
                let given = (kind == TicketKind::Logistics && to == Status::Resolved).then(|| {
                    self.rng.weighted(&[
                        (Resolution::Delivered, 45),
                        (Resolution::Reshipped, 30),
                        (Resolution::Refunded, 25),
                    ])
                });
                let Ok(next) = position.apply(to, given) else {
                    break;
                };
                platform_deadline = if next.status == Status::PlatformIntervention {
                    Some(
                        self.calendar
                            .add_working_days(datetime(at), 4, Shanghai)
                            .map(|d| d.ends_at.timestamp())
                            .unwrap_or(at + 6 * DAY),
                    )
                } else if next.status.is_hold() {
                    platform_deadline
                } else {
                    None
                };
                if given.is_some() {
                    resolution = given;
                }
                let moved_fen = if move_details::needed(&position, next.status).contains(&MoveDetail::RefundAmount) {
                    let step = if next.status == Status::Refunded {
                        RefundStep::Refund
                    } else {
                        RefundStep::Approve
                    };
                    let facts = RefundFacts {
                        paid: Some(paid),
                        requested: refund_fen.map(Fen),
                        approved: approved_fen.map(Fen),
                    };
                    refund::default_amount(step, &facts).map(|fen| fen.0)
                } else {
                    None
                };
                match next.status {
                    Status::Refunded if moved_fen.is_some() => refunded_fen = moved_fen,
                    Status::Approved if moved_fen.is_some() => approved_fen = moved_fen,
                    _ => {}
                }
                match next.status {
                    Status::Approved if agreed_at.is_none() => agreed_at = Some(at),
                    Status::BuyerShipped if buyer_shipped_at.is_none() => buyer_shipped_at = Some(at),
                    Status::Received if goods_received_at.is_none() => goods_received_at = Some(at),
                    Status::Refunded if refunded_at.is_none() => refunded_at = Some(at),
                    _ => {}
                }
                let actor = if position.status == Status::Escalated
                    || (position.status == Status::PlatformIntervention && self.rng.chance(0.5))
                {
                    self.pick_supervisor()
                } else {
                    agent.id
                };
                let note = self
                    .rng
                    .chance(0.3)
                    .then(|| TRANSITION_NOTES[self.rng.below(TRANSITION_NOTES.len())]);
                let moved = EventData::StatusChanged(events::StatusChanged {
                    from: position.status,
                    to: next.status,
                    note: note.map(str::to_string),
                    resolution: given,
                    platform_deadline_at: platform_deadline.map(datetime),
                    platform_deadline_provisional_year: None,
                    reopened_by_visit: None,
                    goods: None,
                    refund_fen: moved_fen,
                    rejection_reason: None,
                });
                sim.event(&mut self.events, &mut self.scratch, at, Some(actor), &moved)?;
                sim.change(at);
                sim.moved(
                    position.status.in_follow_up_cycle(),
                    next.status.in_follow_up_cycle(),
                    at,
                );
                if next.status.is_closed() {
                    closed_at = Some(at);
                }
                position = next;
                t = at;
            }
        }
        if closed_at.is_none() {
            sim.escalate_until(&mut self.events, &mut self.scratch, now, assignee)?;
        }

        let order_shipped = order.signed.is_some_and(|s| s <= opened) || shipped;
        let timer_due = if closed_at.is_none() {
            let facts = TimerFacts {
                requested_at: datetime(opened),
                order_shipped,
                virtual_goods: false,
                agreed_at: agreed_at.map(datetime),
                buyer_shipped_at: buyer_shipped_at.map(datetime),
                seller_received_at: goods_received_at.map(datetime),
                answered: agreed_at.is_some() || position.status != Status::Requested,
            };
            timers::earliest(&timers::timers_for_ticket(kind, position.status, &facts, &self.timers))
                .map(|c| c.deadline.timestamp())
        } else {
            None
        };
        if closed_at.is_none() {
            self.summary.open_tickets += 1;
            if sim.due.is_some_and(|due| due < now) {
                self.summary.overdue_tickets += 1;
            }
        }
        let seven_day_json = match &seven_day {
            Some(record) => Some(serde_json::to_string(record)?),
            None => None,
        };
        let b = &mut self.tickets;
        b.int(self.plan.shop);
        b.int(id);
        b.text(kind.as_str());
        b.text(position.status.as_str());
        b.opt_text(position.held_from.map(Status::as_str));
        b.text(reason.as_str());
        b.text(description);
        b.int(order.id);
        b.opt_text(sku.as_deref());
        b.int(order.customer);
        b.opt_int(assignee);
        b.text(priority.as_str());
        b.opt_int(refund_fen);
        b.opt_text(resolution.map(Resolution::as_str));
        b.bool(intact);
        b.opt_text(seven_day.as_ref().map(|r| r.verdict.as_str()));
        b.opt_text(seven_day_json.as_deref());
        b.opt_ts(platform_deadline);
        b.int(sim.version);
        b.ts(opened);
        b.opt_ts(sim.due);
        b.opt_ts(sim.last_follow_up);
        b.opt_ts(closed_at);
        b.int(creator);
        b.ts(opened);
        b.ts(sim.updated);
        b.opt_ts(sim.next_escalation);
        b.bool(Some(order_shipped));
        b.opt_ts(agreed_at);
        b.opt_ts(buyer_shipped_at);
        b.opt_ts(goods_received_at);
        b.opt_ts(timer_due);
        b.opt_ts(refunded_at);
        b.opt_int(approved_fen);
        b.opt_int(refunded_fen);
        if !b.end_row() {
            return Err(gone());
        }
        self.document_ticket(id, order, sku.as_deref(), description, sim.words)?;
        self.summary.tickets += 1;
        self.summary.events += sim.events;
        Ok(())
    }

    /// Hands on the pieces of a ticket's search document: its own fields as the indexer reads
    /// them (`search::index::ticket_fields`; the generator writes no tracking number, review,
    /// reason text or refund number), then the words of its timeline.
    fn document_ticket(
        &self,
        id: i64,
        order: &OrderFacts,
        sku: Option<&str>,
        description: &str,
        timeline: Vec<(Source, String)>,
    ) -> anyhow::Result<()> {
        let buyer = usize::try_from(order.customer - self.plan.customer_base)
            .ok()
            .and_then(|i| self.buyers.get(i))
            .ok_or_else(|| anyhow::anyhow!("ticket {id} of a buyer not generated"))?;
        let mut lines: Vec<&Sku> = order
            .lines
            .iter()
            .map(|l| &self.catalogue[l.sku])
            .filter(|item| sku.is_none_or(|s| item.code == s))
            .collect();
        lines.sort_by(|a, b| a.code.cmp(&b.code));
        let titles = (!lines.is_empty()).then(|| {
            lines
                .iter()
                .map(|item| item.title.as_str())
                .collect::<Vec<_>>()
                .join(" / ")
        });
        let fields = OwnFields {
            id,
            order_no: &order.order_no,
            buyer: &buyer.nick,
            sku,
            tracking_no: None,
            description,
            review_text: None,
        };
        let text = OwnText {
            reason_text: None,
            refund_no: None,
            buyer_name: Some(buyer.name.clone()),
            buyer_phone: Some(buyer.phone.clone()),
            titles,
        };
        let mut pieces = own_pieces(fields, text);
        pieces.extend(timeline);
        Self::document(&self.ticket_docs, id, pieces)
    }

    /// The next move of a ticket and how long it takes to come (seconds).
    fn next_move(&mut self, position: &Position, holds: &mut u32) -> (Status, i64) {
        use Status::*;
        let kind = position.kind;
        let r = &mut self.rng;
        if let Some(back) = position.held_from {
            return match position.status {
                Escalated if r.chance(0.15) => (PlatformIntervention, r.range(2 * HOUR, 24 * HOUR)),
                Escalated => (back, r.range(2 * HOUR, 24 * HOUR)),
                _ => (back, r.range(24 * HOUR, 96 * HOUR)),
            };
        }
        if *holds == 0 && position.status != Closed && !matches!(position.status, Rejected | Resolved) {
            if r.chance(0.025) {
                *holds += 1;
                return (Escalated, r.range(HOUR, 24 * HOUR));
            }
            if r.chance(0.01) {
                *holds += 1;
                return (PlatformIntervention, r.range(12 * HOUR, 72 * HOUR));
            }
        }
        let hours = |r: &mut Rng, lo: i64, hi: i64| r.range(lo * HOUR / 10, hi * HOUR / 10);
        match (kind, position.status) {
            (_, Requested) => {
                let to = r.weighted(&[(Approved, 84), (Rejected, 16)]);
                (to, hours(r, 2, 120))
            }
            (TicketKind::Refund, Approved) => (Refunded, hours(r, 1, 240)),
            (_, Approved) => (BuyerShipped, hours(r, 120, 720)),
            (_, BuyerShipped) => (Received, hours(r, 240, 720)),
            (TicketKind::Return, Received) => (r.weighted(&[(Refunded, 92), (InspectionFailed, 8)]), hours(r, 20, 240)),
            (TicketKind::Exchange, Received) => (ReplacementShipped, hours(r, 40, 360)),
            (_, InspectionFailed) => (r.weighted(&[(Refunded, 50), (Rejected, 50)]), hours(r, 120, 480)),
            (_, ReplacementShipped) => (Closed, hours(r, 240, 720)),
            (_, Refunded) => (Closed, hours(r, 1, 120)),
            (_, Rejected) => (Closed, hours(r, 10, 720)),
            (_, Resolved) => (Closed, hours(r, 120, 720)),
            (_, Open) if kind == TicketKind::Complaint => (Investigating, hours(r, 5, 120)),
            (_, Open) => (CarrierContacted, hours(r, 5, 80)),
            (_, Investigating) => (ResolutionProposed, hours(r, 120, 480)),
            (_, ResolutionProposed) => (r.weighted(&[(Resolved, 82), (Investigating, 18)]), hours(r, 60, 480)),
            (_, CarrierContacted) => (Resolved, hours(r, 120, 720)),
            _ => (Closed, hours(r, 10, 240)),
        }
    }
}

/// The bookkeeping of one ticket's simulation: follow-up cycle, version, events written.
struct Sim {
    ticket: i64,
    shop: i64,
    now: i64,
    events: u64,
    version: i64,
    due: Option<i64>,
    /// The sweep's pointer: the due instant of the next cycle not yet escalated.
    next_escalation: Option<i64>,
    last_contact: i64,
    last_follow_up: Option<i64>,
    updated: i64,
    /// The words of the timeline for the ticket's search document, oldest first.
    words: Vec<(Source, String)>,
}

impl Sim {
    /// Writes one event's row, its `kind` and `data` as `EventData` stores them (`scratch`
    /// holds the data's text).
    fn event(
        &mut self,
        batch: &mut Batch,
        scratch: &mut Vec<u8>,
        at: i64,
        actor: Option<i64>,
        event: &EventData,
    ) -> anyhow::Result<()> {
        scratch.clear();
        event.write_data(scratch)?;
        batch.int(self.shop);
        batch.int(self.ticket);
        batch.ts(at);
        batch.opt_int(actor);
        batch.text(event.kind());
        batch.text(std::str::from_utf8(scratch)?);
        if !batch.end_row() {
            return Err(gone());
        }
        event_pieces(event.clone(), &mut self.words);
        self.events += 1;
        Ok(())
    }

    /// A change by a person (version and `updated_at`).
    fn change(&mut self, at: i64) {
        self.version += 1;
        self.updated = at;
    }

    fn follow_up(&mut self, at: i64) {
        self.change(at);
        self.last_contact = at;
        self.last_follow_up = Some(at);
        if self.due.is_some() {
            self.due = Some(at + i64::from(CYCLE_HOURS) * HOUR);
            self.next_escalation = self.due;
        }
    }

    /// The cycle after a move (as `tickets::service::transition` keeps it).
    fn moved(&mut self, was_in_cycle: bool, in_cycle: bool, at: i64) {
        match (was_in_cycle, in_cycle) {
            (_, false) => {
                self.due = None;
                self.next_escalation = None;
            }
            (false, true) => {
                self.due = Some(at + i64::from(CYCLE_HOURS) * HOUR);
                self.next_escalation = self.due;
                self.last_contact = at;
            }
            (true, true) => {}
        }
    }

    /// What the sweep records by `until`: one `escalated` event per missed cycle.
    fn escalate_until(
        &mut self,
        batch: &mut Batch,
        scratch: &mut Vec<u8>,
        until: i64,
        assignee: Option<i64>,
    ) -> anyhow::Result<()> {
        let Some(next) = self.next_escalation else {
            return Ok(());
        };
        let cycles = follow_up::missed_cycles(datetime(next), datetime(until), CYCLE_HOURS);
        let Some(last) = cycles.last().map(DateTime::timestamp) else {
            return Ok(());
        };
        for cycle in &cycles {
            let at = cycle.timestamp();
            // The sweep runs every minute: recorded shortly after the cycle passed.
            let recorded = (at + 30).min(self.now);
            let escalated = EventData::Escalated(events::Escalated {
                cycle_due_at: *cycle,
                assignee_id: assignee.map(UserId),
                recorded_at: datetime(recorded),
                to: EscalatedTo::Supervisor,
            });
            self.event(batch, scratch, at, None, &escalated)?;
        }
        self.next_escalation = Some(last + i64::from(CYCLE_HOURS) * HOUR);
        Ok(())
    }
}

fn reason_weights(kind: TicketKind, shipped: bool, signed: bool) -> &'static [(ReasonCode, u32)] {
    use ReasonCode::*;
    match (kind, shipped, signed) {
        (TicketKind::Refund, false, _) => &[
            (NoReason, 30),
            (Misorder, 25),
            (OutOfStock, 15),
            (LateShipment, 20),
            (Agreed, 10),
        ],
        (TicketKind::Refund, true, false) => &[(NoReason, 40), (Misorder, 20), (LateShipment, 25), (ShippingFee, 15)],
        (TicketKind::Refund, _, _) => &[
            (NoReason, 14),
            (Quality, 18),
            (Damaged, 10),
            (MissingParts, 8),
            (EmptyParcel, 2),
            (NotAsDescribed, 12),
            (ShippingFee, 8),
            (Agreed, 8),
            (WrongItem, 6),
            (Misorder, 14),
        ],
        (TicketKind::Return, _, _) => &[
            (NoReason, 35),
            (Quality, 18),
            (WrongItem, 10),
            (NotAsDescribed, 15),
            (Damaged, 8),
            (Misorder, 9),
            (MissingParts, 5),
        ],
        (TicketKind::Exchange, _, _) => &[
            (NoReason, 30),
            (NotAsDescribed, 25),
            (WrongItem, 20),
            (Quality, 15),
            (Misorder, 10),
        ],
        (TicketKind::Complaint, false, _) => &[(LateShipment, 60), (Invoice, 20), (Other, 20)],
        (TicketKind::Complaint, _, _) => &[
            (Quality, 22),
            (NotAsDescribed, 15),
            (LateShipment, 12),
            (Counterfeit, 6),
            (AdverseReaction, 5),
            (Invoice, 10),
            (Other, 18),
            (WrongItem, 12),
        ],
        (TicketKind::Logistics, _, false) => &[(LogisticsStuck, 60), (LogisticsNoTrace, 30), (Other, 10)],
        (TicketKind::Logistics, _, _) => &[
            (Damaged, 35),
            (DamagedRefused, 15),
            (EmptyParcel, 10),
            (MissingParts, 20),
            (Other, 20),
        ],
        (TicketKind::BadReview, _, _) => &[(Quality, 40), (NotAsDescribed, 30), (LateShipment, 15), (Other, 15)],
    }
}

/// The row of [`DESCRIPTIONS`] of a reason.
fn reason_index(reason: ReasonCode) -> usize {
    use ReasonCode::*;
    match reason {
        NoReason => 0,
        Misorder => 1,
        Agreed => 2,
        ShippingFee => 3,
        LateShipment => 4,
        OutOfStock => 5,
        LogisticsStuck => 6,
        LogisticsNoTrace => 7,
        EmptyParcel => 8,
        DamagedRefused => 9,
        Damaged => 10,
        MissingParts => 11,
        WrongItem => 12,
        NotAsDescribed => 13,
        Quality => 14,
        AdverseReaction => 15,
        Counterfeit => 16,
        Invoice => 17,
        // The desk's own codes: the generator never draws them; they read as `other`.
        ServiceAttitude | SlowDelivery | OutcomeUnsatisfied | Other => 18,
    }
}

fn follow_up_text(rng: &mut Rng, kind: TicketKind, status: Status) -> (Channel, &'static str) {
    use Status::*;
    let specific: &[(Channel, &str)] = match (kind, status) {
        (_, Requested) => &[
            (Channel::Chat, "已联系买家核实情况，等待补充凭证照片"),
            (Channel::Chat, "已向买家说明处理流程和预计时间"),
            (Channel::Phone, "电话联系买家确认退款诉求"),
        ],
        (_, Approved) => &[
            (Channel::Chat, "已提醒买家尽快寄回并填写退货单号"),
            (Channel::Sms, "短信提醒买家寄回商品"),
            (Channel::Check, "查看后台，买家尚未填写物流单号"),
        ],
        (_, BuyerShipped) => &[
            (Channel::Carrier, "查询物流，退货包裹运输中"),
            (Channel::Warehouse, "已通知仓库留意退货包裹"),
            (Channel::Check, "物流显示明天送达仓库"),
        ],
        (_, Received) | (_, InspectionFailed) => &[
            (Channel::Warehouse, "仓库已签收，质检进行中"),
            (Channel::Warehouse, "质检结果已出，等待财务处理"),
        ],
        (_, Open) | (_, CarrierContacted) if kind == TicketKind::Logistics => &[
            (Channel::Carrier, "已联系快递网点查件，等待回复"),
            (Channel::Carrier, "快递网点回复包裹已找到，重新派送中"),
            (Channel::Chat, "已告知买家物流进展"),
        ],
        (_, Escalated) | (_, PlatformIntervention) => &[
            (Channel::Platform, "已向平台提交凭证，等待小二处理"),
            (Channel::Chat, "已向买家说明平台介入进度"),
        ],
        _ => &[
            (Channel::Chat, "已回复买家，持续跟进中"),
            (Channel::Phone, "电话沟通处理方案，买家表示理解"),
            (Channel::Email, "已发邮件说明处理方案"),
        ],
    };
    *rng.pick(specific)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::bench::generate::writers::Table;

    /// What is copied into every table (text; the search's documents in binary) for a small run of
    /// `seed`, generated without a database.
    fn rows(seed: u64) -> Vec<Vec<u8>> {
        let mut rng = seeded_rng(seed);
        let plan = Plan {
            shop: 1,
            now: 1_795_409_671, // 2026-11-23T04:54:31Z
            seed,
            customers: 200,
            customer_base: 1,
            order_base: 1,
            ticket_base: 1,
            tickets: 300,
            line_counts: (0..400).map(|_| rng.weighted(&[(1u8, 60), (2, 25), (3, 15)])).collect(),
            agents: (100..140).collect(),
            supervisors: vec![200, 201],
        };
        // A reader for each table the generator writes, the search's documents among them.
        let (senders, readers): (Vec<_>, Vec<_>) = (0..Table::ALL.len())
            .map(|_| {
                let (tx, mut rx) = mpsc::channel::<Vec<u8>>(2);
                let reader = std::thread::spawn(move || {
                    let mut all = Vec::new();
                    while let Some(batch) = rx.blocking_recv() {
                        all.extend(batch);
                    }
                    all
                });
                (tx, reader)
            })
            .unzip();
        let summary = generate_rows(plan, senders).expect("generates");
        assert_eq!((summary.customers, summary.orders, summary.tickets), (200, 400, 300));
        readers.into_iter().map(|r| r.join().unwrap_or_default()).collect()
    }

    #[test]
    fn a_seed_gives_the_same_rows_and_buyers_with_different_nicknames() {
        let first = rows(7);
        assert!(
            first.iter().all(|table| !table.is_empty()),
            "every table has rows, the search's documents too"
        );
        assert_eq!(first, rows(7));
        assert_ne!(first, rows(8));
        let customers = String::from_utf8(first[0].clone()).expect("COPY text");
        let nicks: Vec<&str> = customers.lines().filter_map(|row| row.split('\t').nth(2)).collect();
        assert_eq!(nicks.len(), 200);
        assert_eq!(
            nicks.iter().collect::<HashSet<_>>().len(),
            200,
            "nicknames are unique per shop"
        );
    }
}

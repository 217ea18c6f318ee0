//! `/tickets/{id}`: one ticket with its timeline and the forms to work it. Every action answers
//! htmx with the refreshed ticket fragment (so the timeline updates in place) and a plain form
//! post with a redirect back to the page.

use std::collections::HashMap;

use crate::api::{ApiForm, ApiQuery};
use crate::db::batch::Batch;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use sqlx::PgExecutor;

use super::views::{self, Deadline};
use crate::auth::CurrentUser;
use crate::auth::permissions::Action;
use crate::edge::FieldError;
use crate::i18n::Tr;
use crate::ids::{TicketId, UserId};
use crate::money::{Fen, fen_or_dash};
use crate::rules::inspection::{CheckItem, Checklist, Mark};
use crate::rules::move_details::{self, MoveDetail};
use crate::rules::refund::{RefundFacts, RefundStep, default_amount};
use crate::rules::rejection::RejectionReason;
use crate::rules::seven_day::SevenDayVerdict;
use crate::rules::shipment::Carrier;
use crate::rules::workflow::{Resolution, Status, TicketKind};
use crate::state::AppState;
use crate::tickets::EventData;
use crate::tickets::events::GoodsRecord;
use crate::tickets::model::{Channel, Event, SevenDayRecord};
use crate::tickets::pages::Refusal;
use crate::tickets::service::{self, NewAssignment, NewFollowUp, NewNote, NewTransition};
use crate::tickets::{Ticket, repo};
use crate::web::views::{Choice, Flash, Layout};
use crate::web::{FormErrors, Page, PageError, PageResult, render};

/// The whole ticket page.
#[derive(Template)]
#[template(path = "ticket.html")]
pub struct TicketPage {
    pub layout: Layout,
    pub body: TicketPartial,
}

/// The part of the page htmx swaps after an action.
#[derive(Template)]
#[template(path = "_ticket_body.html")]
pub struct TicketPartial {
    pub t: Tr,
    /// The session's CSRF token for the forms.
    pub csrf: String,
    pub flash: Option<Flash>,
    pub id: i64,
    pub version: i32,
    pub title: String,
    pub kind: &'static str,
    pub kind_class: &'static str,
    pub status: &'static str,
    pub status_class: &'static str,
    pub held_from: Option<&'static str>,
    pub follow_up: Deadline,
    pub platform: Deadline,
    /// Why the platform deadline is provisional (a year's holidays not loaded), when it is.
    pub platform_provisional: Option<String>,
    /// The clocks running now: the platform's, and a bad review's revision window and
    /// explanation deadline.
    pub timers: Vec<TimerRow>,
    /// The heading of the clocks: the platform's timers, or a bad review's deadlines.
    pub timers_title: &'static str,
    /// The ticket a not-satisfied return visit opened this one from.
    pub follow_up_of: Option<i64>,
    pub meta: Vec<(&'static str, String)>,
    pub events: Vec<EventRow>,
    /// The newest event when the page was made: a move posts it back (`seen`), and the live
    /// page asks what others did after it.
    pub seen: i64,
    /// What others did since the page the person worked in was loaded (a refused stale move).
    pub changes: Vec<EventRow>,
    /// Whether the changes box offers a reload (not here: this fragment is already current).
    pub changes_reload: bool,
    pub verdict: Option<VerdictBox>,
    /// The legal moves in workflow order: bare buttons of the shared form, or, for a move that
    /// needs details (`rules::move_details`), a form of its own.
    pub moves: Vec<MoveButton>,
    /// A move with details was refused: its form is open and the shared note box is left alone.
    pub move_open: bool,
    /// What was typed into a refused move's details.
    pub move_draft: MoveDraft,
    /// The reasons a refusal may give (拒绝原因).
    pub rejection_reasons: Vec<Choice>,
    /// The refund amount a refund move offers (yuan, without the sign), and what the buyer paid
    /// said as the limit.
    pub refund_default: String,
    pub refund_limit: String,
    /// Why the ticket was refused, and the note, once it was.
    pub rejection: Option<(String, String)>,
    pub needs_resolution: bool,
    pub resolutions: Vec<Choice>,
    pub channels: Vec<Choice>,
    pub assignees: Vec<Choice>,
    pub can_work: bool,
    pub can_take: bool,
    pub closed: bool,
    /// The shop's canned replies filled in for this ticket, for the picker.
    pub replies: Vec<ReplyOption>,
    /// How many of them are written for other kinds or statuses, and the "show all" label.
    pub replies_unfit: usize,
    pub replies_show_all: String,
    /// The buyer's file in short.
    pub buyer_file: crate::buyers::page::BuyerSummary,
    /// The return visit, when the ticket is done or had one.
    pub visit: Option<VisitBox>,
    /// Photos and files attached to the ticket.
    pub evidence: Vec<crate::evidence::page::EvidenceRow>,
    /// The goods of a return or exchange: the address recorded and the buyer's shipment.
    pub goods: Option<GoodsBox>,
    /// The goods steps' forms: their choices and what was typed.
    pub goods_forms: GoodsForms,
    /// The follow-up summary and the note as typed, when a refused action shows them again.
    pub summary: String,
    pub note: String,
    /// The note of a refused move and the comment of a refused return visit, as typed.
    pub move_note: String,
    pub visit_comment: String,
    /// Messages next to the forms' fields (`errors.get("summary")`).
    pub errors: FormErrors,
    /// Linked and merged tickets, and their forms (`links::page`, `_ticket_links.html`).
    pub links: crate::links::page::LinksBox,
    /// The ticket's tags and their form (`tags::page`, `_ticket_tags.html`).
    pub tags: crate::tags::page::TagsBox,
    /// The compensation ledger and its forms (`compensation::page`, `_ticket_ledger.html`).
    pub ledger: crate::compensation::page::LedgerBox,
    /// Goods received into stock, reships and intercepts (`returns::page`, `_ticket_stock.html`).
    pub stock: crate::returns::page::StockBox,
    /// The notes of the ticket's SKU and category, the articles that fit (`knowledge::page`,
    /// `_ticket_knowledge.html`).
    pub knowledge: crate::knowledge::page::KnowledgeBox,
}

/// A canned reply in the ticket page's picker: those written for the ticket's kind and status
/// first; the others are behind "show all" and are inserted only after a warning.
pub struct ReplyOption {
    pub id: i64,
    /// Written for this ticket's kind and status.
    pub fits: bool,
    /// Where it is written for, as a person reads it.
    pub fit: String,
    pub situation: &'static str,
    pub title: String,
    pub text: String,
    /// What the picker's search matches against (lower case).
    pub search: String,
    /// The variables the ticket has no value for, named for the agent.
    pub missing: String,
}

/// The return visit card.
pub struct VisitBox {
    /// A visit waits for the buyer's answer.
    pub waiting: bool,
    pub due: Deadline,
    /// Answers given so far, newest first.
    pub answers: Vec<String>,
    /// The answer can be recorded now (done or closed ticket, and the user works tickets).
    pub can_record: bool,
    /// What *not satisfied* will do on this ticket (reopen it, or open a follow-up ticket).
    pub hint: &'static str,
    /// The follow-up tickets earlier answers opened, newest first.
    pub follow_ups: Vec<i64>,
}

/// The goods card: where the buyer sends the goods, and how they shipped them.
pub struct GoodsBox {
    pub return_address: Option<String>,
    /// The carrier's name and the tracking number.
    pub shipment: Option<(String, String)>,
}

impl GoodsBox {
    /// What `ticket` recorded about its goods; none before anything was.
    fn of(t: Tr, ticket: &Ticket) -> Option<GoodsBox> {
        let shipment = ticket
            .return_carrier
            .zip(ticket.return_tracking_no.clone())
            .map(|(carrier, number)| (t.t(carrier.label_key()).to_string(), number));
        (ticket.return_address.is_some() || shipment.is_some()).then(|| GoodsBox {
            return_address: ticket.return_address.clone(),
            shipment,
        })
    }
}

/// One running platform timer.
pub struct TimerRow {
    pub label: &'static str,
    pub on_timeout: &'static str,
    pub deadline: Deadline,
}

/// The seven-day verdict beside the ticket.
pub struct VerdictBox {
    pub class: &'static str,
    pub title: &'static str,
    pub explanation: String,
}

/// One legal move: a button, or a form of its own when it needs details.
pub struct MoveButton {
    pub to: &'static str,
    pub label: String,
    pub class: &'static str,
    /// The question asked before the move happens, if any (`{amount}` is filled in by the page's
    /// script from the amount typed).
    pub confirm: Option<String>,
    /// What the move needs typed first (empty: a bare button of the shared form).
    pub details: Vec<MoveDetail>,
    /// The note is required with this move.
    pub note_required: bool,
    /// The submit button of its own form ("确认拒绝").
    pub submit: String,
    /// Its form posts a photo (multipart, to `/tickets/{id}/inspection`): an inspection.
    pub upload: bool,
    /// Its form is shown open (the move was just refused), with the note as typed.
    pub open: bool,
    pub note: String,
}

/// What was typed into a move's detail fields, kept when the move is refused (one field per
/// detail field; the note is [`Draft::move_note`]).
#[derive(Clone, Debug, Default)]
pub struct MoveDraft {
    pub rejection_reason: String,
    pub refund_yuan: String,
    /// The goods details' fields as typed (field name, value).
    pub goods: Vec<(String, String)>,
}

/// The choices and what was typed for the goods details' forms.
pub struct GoodsForms {
    /// The shop's return addresses, the default (or the one typed) selected.
    pub addresses: Vec<Choice>,
    pub carriers: Vec<Choice>,
    pub tracking_no: String,
    /// Each checklist item: its field name, its name, and the mark typed (`ok`, `not_ok`, or
    /// empty).
    pub items: Vec<(&'static str, &'static str, String)>,
}

/// One timeline entry, ready to show.
#[derive(Clone)]
pub struct EventRow {
    pub id: i64,
    /// Who did it (`None`: the desk itself).
    pub actor: Option<i64>,
    /// Done by someone else after the page was loaded: marked on the timeline.
    pub fresh: bool,
    pub class: String,
    pub who: String,
    pub what: String,
    pub body: Option<String>,
    pub when: String,
}

/// Builds the fragment for `ticket`.
pub async fn partial(
    state: &AppState,
    user: &CurrentUser,
    t: Tr,
    ticket: &Ticket,
    flash: Option<Flash>,
) -> PageResult<TicketPartial> {
    let lang = t.lang;
    let t = Tr::new(lang, ticket.time_zone);
    let now = state.now();
    // One connection for the page's statements, each after the other: a connection taken from
    // the pool and given back costs a round trip of its own.
    let mut db = state.pages.acquire().await?;
    let db = &mut *db;
    // What the page reads that hangs on the ticket alone goes as one statement ([`Batch`]):
    // the cards' reads, the order with its lines, the buyer's counts, the timeline, and when the
    // page offers them the replies (to whoever works an open ticket) and the return addresses
    // (for a move that ships goods, and the replies' default address unless the ticket recorded
    // its own). A statement of its own reads only what hangs on these, and rarely: the names of
    // those in the timeline no longer workers, a library never seeded, a note's photos.
    let can_work = user.may(Action::WorkTickets);
    let offers_replies = can_work && !ticket.status().is_closed();
    let handles_goods = can_work && move_details::some_move_handles_goods(&ticket.position);
    let mut batch = Batch::new();
    let contact = batch.add(crate::orders::contact_of(ticket.shop_id, ticket.customer_id));
    let workers = batch.add(crate::shops::workers_of(ticket.shop_id));
    let buyer = batch.add(crate::buyers::counts(ticket.shop_id, ticket.customer_id, now));
    let order = batch.add(crate::orders::with_lines(ticket.shop_id, ticket.order_no.clone()));
    let visits = batch.add(crate::visits::of_ticket(ticket.shop_id, ticket.id));
    let files = batch.add(crate::evidence::of_ticket(ticket.shop_id, ticket.id));
    let links = crate::links::page::LinksBox::ask(&mut batch, ticket);
    let tags = crate::tags::page::TagsBox::ask(&mut batch, ticket);
    let ledger = crate::compensation::page::LedgerBox::ask(&mut batch, ticket);
    let stock = crate::returns::page::StockBox::ask(&mut batch, ticket);
    let knowledge = crate::knowledge::page::KnowledgeBox::ask(&mut batch, ticket);
    let replies = offers_replies.then(|| batch.add(crate::replies::live(ticket.shop_id, None, None)));
    let addresses = (handles_goods || offers_replies && ticket.return_address.is_none())
        .then(|| batch.add(crate::shops::return_addresses::listed(ticket.shop_id, false)));
    let events = batch.add(repo::timeline(ticket));
    let answers = batch.run(&mut *db).await?;
    let workers = answers.rows(workers)?;
    let addresses = match addresses {
        Some(part) => answers.rows(part)?,
        None => Vec::new(),
    };
    let events = answers.rows(events)?;
    let known = workers.iter().map(|w| (w.id.0, w.display_name.clone()));
    let names = user_names(&mut *db, &events, known).await?;
    let order = answers.first(order)?.map(crate::orders::OrderWithLines::into_order);
    let line = order
        .as_ref()
        .and_then(|o| ticket.sku.as_deref().and_then(|sku| o.line(sku)));

    let contact = answers
        .first(contact)?
        .map(|c| if user.may(Action::WorkTickets) { c } else { c.masked() });
    let mut meta: Vec<(&'static str, String)> = vec![
        (t.t("ticket.buyer"), ticket.buyer.clone()),
        (t.t("ticket.order_no"), ticket.order_no.clone()),
    ];
    if let Some(line) = line {
        meta.push((t.t("ticket.item"), format!("{} · {}", line.title, line.sku)));
        if ticket.has_money() {
            meta.push((
                t.t("ticket.paid"),
                format!("{} × {}", fen_or_dash(line.amount()), line.quantity),
            ));
        }
    }
    if ticket.has_money() {
        meta.push((
            t.t("ticket.refund"),
            ticket.refund_fen.map(|f| f.to_string()).unwrap_or_else(|| "—".into()),
        ));
    }
    if let Some(contact) = &contact {
        let details = [
            (t.t("ticket.buyer_name"), &contact.name),
            (t.t("ticket.buyer_phone"), &contact.phone),
            (t.t("ticket.buyer_address"), &contact.address),
        ];
        for (label, value) in details {
            if let Some(value) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                meta.push((label, value.to_string()));
            }
        }
    }
    if let Some(approved) = ticket.approved_refund_fen {
        meta.push((t.t("ticket.approved_refund"), approved.to_string()));
    }
    if let Some(refunded) = ticket.refunded_fen {
        meta.push((t.t("ticket.refunded"), refunded.to_string()));
    }
    meta.push((t.t("ticket.reason"), ticket.reason.label(lang).to_string()));
    if let (TicketKind::BadReview, Some(stars)) = (ticket.kind(), ticket.review_rating) {
        let stars = usize::try_from(stars).unwrap_or(0);
        let text = ticket.review_text.as_deref().unwrap_or("");
        meta.push((
            t.t("ticket.review"),
            format!(
                "{}{} {text}",
                "★".repeat(stars),
                "☆".repeat(5usize.saturating_sub(stars))
            ),
        ));
        meta.push((
            t.t("review.posted_at"),
            t.datetime(&ticket.reviewed_at.unwrap_or(ticket.opened_at)),
        ));
    }
    if let Some(order) = &order {
        meta.push((
            t.t("ticket.signed_at"),
            t.datetime_opt(&line.and_then(|l| l.signed_at).or(order.signed_at)),
        ));
    }
    if let Some(note) = order
        .as_ref()
        .and_then(|o| o.note.as_deref())
        .filter(|n| !n.trim().is_empty())
    {
        meta.push((t.t("ticket.order_note"), note.to_string()));
    }
    meta.push((t.t("ticket.opened_at"), t.datetime(&ticket.opened_at)));
    meta.push((
        t.t("ticket.assignee"),
        ticket
            .assignee_name
            .clone()
            .unwrap_or_else(|| t.t("ticket.unassigned").into()),
    ));
    meta.push((t.t("ticket.priority"), ticket.priority.label(lang).to_string()));
    if let Some(resolution) = ticket.resolution {
        meta.push((t.t("ticket.resolution"), resolution.label(lang).to_string()));
    }

    let verdict = ticket.seven_day.as_ref().map(|record| verdict_box(t, record, ticket));
    let moves = if can_work {
        ticket
            .position
            .allowed_moves()
            .into_iter()
            .map(|to| {
                let label = move_label(t, to, ticket.position.held_from);
                let details = move_details::needed(&ticket.position, to);
                MoveButton {
                    to: to.as_str(),
                    submit: t.f("move.submit", &[("move", &label)]),
                    label,
                    class: match to {
                        Status::Rejected | Status::InspectionFailed => "btn-danger",
                        Status::Escalated | Status::PlatformIntervention => "",
                        _ => "btn-primary",
                    },
                    confirm: match to {
                        Status::Rejected | Status::Closed | Status::InspectionFailed => {
                            Some(t.t("ticket.confirm_move").to_string())
                        }
                        Status::Approved if details.contains(&MoveDetail::RefundAmount) => {
                            Some(t.t("refund.confirm_approve").to_string())
                        }
                        Status::Refunded if details.contains(&MoveDetail::RefundAmount) => {
                            Some(t.t("refund.confirm_refund").to_string())
                        }
                        _ => None,
                    },
                    note_required: details.iter().any(|d| d.requires_note()),
                    upload: details
                        .iter()
                        .any(|d| matches!(d, MoveDetail::Inspection | MoveDetail::FailedInspection)),
                    details: details.to_vec(),
                    open: false,
                    note: String::new(),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    // What the buyer paid for the line (or the order), the limit of any refund.
    let paid = match (&ticket.sku, &order) {
        (Some(_), _) => line.and_then(|l| l.amount()),
        (None, Some(order)) => order.total(),
        (None, None) => None,
    };
    let refund_step = if ticket.position.allowed_moves().contains(&Status::Refunded) {
        RefundStep::Refund
    } else {
        RefundStep::Approve
    };
    let refund_facts = RefundFacts {
        paid,
        requested: ticket.refund_fen,
        approved: ticket.approved_refund_fen,
    };
    let refund_default = crate::money::yuan_field(default_amount(refund_step, &refund_facts));
    let refund_limit = paid
        .map(|paid| t.f("refund.limit", &[("paid", &paid)]))
        .unwrap_or_default();
    let rejection = ticket.rejection_reason.map(|reason| {
        (
            t.t(reason.label_key()).to_string(),
            ticket.rejection_note.clone().unwrap_or_default(),
        )
    });
    let needs_resolution =
        ticket.position.allowed_moves().contains(&Status::Resolved) && ticket.kind() == TicketKind::Logistics;
    let mut assignees = vec![Choice::new("", t.t("ticket.unassigned"), ticket.assignee_id.is_none())];
    assignees.extend(workers.iter().map(|w| {
        Choice::new(
            w.id.to_string(),
            w.display_name.clone(),
            ticket.assignee_id == Some(w.id),
        )
    }));

    let replies = if let Some(part) = replies {
        let live = crate::replies::seeded_unless_any(&mut *db, ticket.shop_id, answers.rows(part)?, None, None).await?;
        let default = addresses.iter().find(|a| a.is_default);
        let variables = crate::replies::variables(ticket, default, t, now);
        crate::replies::filled(ticket, live, &variables, true)
            .into_iter()
            .map(|r| ReplyOption {
                id: r.id,
                fits: r.fits,
                fit: crate::replies::fit::Fit::only(&r.kinds, &r.statuses)
                    .describe(t.lang)
                    .unwrap_or_else(|| t.t("reply.fit_any").to_string()),
                situation: t.t(r.situation.label_key()),
                search: format!("{} {} {}", t.t(r.situation.label_key()), r.title, r.text).to_lowercase(),
                missing: r
                    .missing
                    .iter()
                    .map(|m| format!("{{{m}}}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                title: r.title,
                text: r.text,
            })
            .collect()
    } else {
        Vec::new()
    };
    let buyer_file =
        crate::buyers::page::BuyerSummary::of_counts(&answers.first(buyer)?.ok_or(sqlx::Error::RowNotFound)?);
    let visits = answers.rows(visits)?;
    let done = ticket.status().asks_for_return_visit() || ticket.status().is_closed();
    let visit = (done || !visits.is_empty()).then(|| {
        let waiting = visits.iter().find(|v| v.answered_at.is_none());
        VisitBox {
            waiting: waiting.is_some(),
            due: Deadline::new(t, waiting.map(|v| v.due_at), now),
            answers: visits
                .iter()
                .filter_map(|v| {
                    let at = v.answered_at?;
                    let key = if v.satisfied == Some(true) {
                        "visit.answer_satisfied"
                    } else {
                        "visit.answer_not_satisfied"
                    };
                    let mut line = format!("{} · {}", t.datetime(&at), t.t(key));
                    if !v.comment.is_empty() {
                        line.push_str(" · ");
                        line.push_str(&v.comment);
                    }
                    if v.reopened {
                        line.push_str(" · ");
                        line.push_str(t.t("visit.reopened"));
                    }
                    Some(line)
                })
                .collect(),
            // A merged ticket's case is asked about on the ticket it went into.
            can_record: can_work && done && ticket.merged_into.is_none(),
            hint: t.t(if ticket.status().is_closed() {
                "visit.not_satisfied_hint_closed"
            } else {
                "visit.not_satisfied_hint"
            }),
            follow_ups: visits
                .iter()
                .filter_map(|v| v.follow_up_ticket_id.map(|id| id.0))
                .collect(),
        }
    });
    let files = answers.rows(files)?;
    let evidence = crate::evidence::page::rows(t, ticket, &files);
    let goods_forms = if handles_goods {
        GoodsForms {
            addresses: addresses
                .iter()
                .map(|a| Choice::new(a.id.to_string(), format!("{} · {}", a.label, a.text()), a.is_default))
                .collect(),
            carriers: Carrier::ALL
                .iter()
                .map(|c| Choice::new(c.as_str(), t.t(c.label_key()), false))
                .collect(),
            tracking_no: String::new(),
            items: CheckItem::ALL
                .iter()
                .map(|item| (item.as_str(), t.t(item.label_key()), String::new()))
                .collect(),
        }
    } else {
        GoodsForms {
            addresses: Vec::new(),
            carriers: Vec::new(),
            tracking_no: String::new(),
            items: Vec::new(),
        }
    };

    let links = crate::links::page::LinksBox::build(links, &answers, user, t, ticket)?;
    let tags = crate::tags::page::TagsBox::build(tags, &answers, user)?;
    let ledger = crate::compensation::page::LedgerBox::build(ledger, &answers, user, t)?;
    let stock = crate::returns::page::StockBox::build(stock, &answers, user, t, ticket, order.as_ref(), &files, now)?;
    let knowledge = crate::knowledge::page::KnowledgeBox::load(knowledge, &answers, db, user, t, ticket).await?;
    Ok(TicketPartial {
        knowledge,
        stock,
        ledger,
        links,
        tags,
        replies_unfit: replies.iter().filter(|r| !r.fits).count(),
        replies_show_all: t.f("reply.show_all", &[("n", &replies.iter().filter(|r| !r.fits).count())]),
        goods: GoodsBox::of(t, ticket),
        goods_forms,
        replies,
        buyer_file,
        visit,
        evidence,
        t,
        csrf: crate::web::csrf::token_for(&user.token),
        flash,
        id: ticket.id.0,
        version: ticket.version,
        title: if ticket.description.is_empty() {
            ticket.reason.label(lang).to_string()
        } else {
            first_line(&ticket.description)
        },
        kind: ticket.kind().label(lang),
        kind_class: views::kind_class(ticket.kind()),
        status: ticket.status().label(lang),
        status_class: views::status_class(ticket.status()),
        held_from: ticket.position.held_from.map(|s| s.label(lang)),
        follow_up: Deadline::new(t, ticket.follow_up_due_at, now),
        platform: Deadline::new(t, ticket.platform_deadline_at, now),
        platform_provisional: ticket
            .platform_deadline_provisional_year
            .map(|year| t.f("calendar.provisional_note", &[("year", &year)])),
        timers: {
            let platform = ticket.running_timers().into_iter().map(|c| {
                (
                    c.deadline,
                    TimerRow {
                        label: c.kind.label(lang),
                        on_timeout: c.kind.on_timeout_label(lang),
                        deadline: Deadline::new(t, Some(c.deadline), now),
                    },
                )
            });
            let review = ticket.review_countdowns().into_iter().map(|c| {
                (
                    c.deadline,
                    TimerRow {
                        label: t.t(c.kind.label_key()),
                        on_timeout: t.t(c.kind.on_timeout_key()),
                        deadline: Deadline::new(t, Some(c.deadline), now),
                    },
                )
            });
            let mut rows: Vec<_> = platform.chain(review).collect();
            rows.sort_by_key(|(deadline, _)| *deadline);
            rows.into_iter().map(|(_, row)| row).collect()
        },
        timers_title: t.t(if ticket.kind() == TicketKind::BadReview {
            "review.timers_title"
        } else {
            "ticket.platform_timers"
        }),
        follow_up_of: ticket.follow_up_of.map(|id| id.0),
        meta,
        events: events.iter().map(|e| event_row(t, e, &names, ticket)).collect(),
        seen: events.last().map_or(0, |e| e.id),
        changes: Vec::new(),
        changes_reload: false,
        verdict,
        moves,
        move_open: false,
        move_draft: MoveDraft::default(),
        rejection_reasons: RejectionReason::fitting(ticket.kind(), ticket.status())
            .iter()
            .map(|r| Choice::new(r.as_str(), t.t(r.label_key()), false))
            .collect(),
        rejection,
        refund_default,
        refund_limit,
        needs_resolution,
        resolutions: Resolution::ALL
            .iter()
            .map(|r| Choice::new(r.as_str(), r.label(lang), false))
            .collect(),
        channels: Channel::ALL
            .iter()
            .map(|c| Choice::new(c.as_str(), t.t(c.label_key()), *c == Channel::Chat))
            .collect(),
        assignees,
        can_work,
        can_take: can_work && ticket.assignee_id != Some(user.id) && workers.iter().any(|w| w.id == user.id),
        closed: ticket.status().is_closed(),
        summary: String::new(),
        note: String::new(),
        move_note: String::new(),
        visit_comment: String::new(),
        errors: FormErrors::none(),
    })
}

/// The button text for a move: what the agent does, not the status it lands in ("同意", not
/// "已同意"); a return from a hold says where it goes back to.
fn move_label(t: Tr, to: Status, held_from: Option<Status>) -> String {
    if held_from == Some(to) {
        return t.f("move.back_to", &[("status", &to.label(t.lang))]);
    }
    t.t(&move_key(to)).to_string()
}

/// The catalogue key of a move's button.
pub fn move_key(to: Status) -> String {
    format!("move.{}", to.as_str())
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    let mut short: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        short.push('…');
    }
    short
}

fn verdict_box(t: Tr, record: &SevenDayRecord, ticket: &Ticket) -> VerdictBox {
    let decision = record.decision(ticket.time_zone);
    let class = match record.verdict {
        SevenDayVerdict::Eligible => "verdict-eligible",
        SevenDayVerdict::Review => "verdict-review",
        SevenDayVerdict::AwaitingSignEvidence => "verdict-waiting",
        SevenDayVerdict::OutsideReturnWindow | SevenDayVerdict::ExcludedCategory | SevenDayVerdict::NotIntact => {
            "verdict-refused"
        }
    };
    VerdictBox {
        class,
        title: record.verdict.label(t.lang),
        explanation: decision.explanation(t.lang),
    }
}

/// The names of the users the timeline's assignments name: from `known` (the shop's workers,
/// already read for the page) where it has them, the others (a worker since disabled or gone
/// from the shop) read.
async fn user_names(
    db: impl PgExecutor<'_>,
    events: &[Event],
    known: impl IntoIterator<Item = (i64, String)>,
) -> PageResult<HashMap<i64, String>> {
    let mut names: HashMap<i64, String> = known.into_iter().collect();
    let mut ids: Vec<i64> = events
        .iter()
        .filter_map(|e| {
            if let EventData::Assigned(assigned) = &e.data {
                Some(assigned)
            } else {
                None
            }
        })
        .flat_map(|assigned| [assigned.from, assigned.to])
        .flatten()
        .map(|id| id.0)
        .collect();
    ids.retain(|id| !names.contains_key(id));
    ids.sort_unstable();
    ids.dedup();
    if !ids.is_empty() {
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, display_name FROM users WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(db)
            .await?;
        names.extend(rows);
    }
    Ok(names)
}

/// Text worth showing: trimmed, and none when empty.
fn text(value: &str) -> Option<String> {
    Some(value.trim()).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Text worth showing of an optional field.
fn text_opt(value: &Option<String>) -> Option<String> {
    value.as_deref().and_then(text)
}

/// One timeline entry in words: what happened, and the text that goes with it.
fn event_row(t: Tr, event: &Event, names: &HashMap<i64, String>, ticket: &Ticket) -> EventRow {
    let who = event
        .actor_name
        .clone()
        .unwrap_or_else(|| t.t("timeline.system").to_string());
    let name = |user: Option<UserId>| {
        user.and_then(|id| names.get(&id.0).cloned())
            .unwrap_or_else(|| t.t("ticket.unassigned").to_string())
    };
    let (what, body) = match &event.data {
        EventData::Created(created) => {
            let mut what = t.f("timeline.created", &[("reason", &created.reason.label(t.lang))]);
            if let Some(from) = created.follow_up_of {
                what.push_str(&t.f("visit.timeline_opened_from", &[("id", &from)]));
            }
            (what, text(&created.description))
        }
        EventData::FollowUp(follow_up) => {
            let channel = t.t(follow_up.channel.label_key());
            let mut what = t.f("timeline.follow_up", &[("channel", &channel)]);
            if let Some(title) = follow_up.canned_reply.as_ref().and_then(|reply| text(&reply.title)) {
                what.push_str(&t.f("timeline.with_reply", &[("title", &title)]));
            }
            (what, text(&follow_up.summary))
        }
        EventData::ReturnVisit(visit) => {
            let mut what = t
                .t(if visit.satisfied {
                    "timeline.visit_satisfied"
                } else {
                    "timeline.visit_not_satisfied"
                })
                .to_string();
            if let Some(opened) = visit.follow_up_ticket {
                what.push_str(&t.f("visit.timeline_opened", &[("id", &opened)]));
            }
            (what, text(&visit.comment))
        }
        EventData::EvidenceAdded(evidence) => (t.t("timeline.evidence_added").to_string(), text(&evidence.file_name)),
        EventData::Note(note) => (t.t("timeline.note").to_string(), text(&note.text)),
        EventData::StatusChanged(change) => {
            let mut what = t.f(
                "timeline.status_changed",
                &[("from", &change.from.label(t.lang)), ("to", &change.to.label(t.lang))],
            );
            if let Some(fen) = change.refund_fen {
                let key = if change.to == Status::Refunded {
                    "timeline.refund_paid"
                } else {
                    "timeline.refund_approved"
                };
                what.push_str(" · ");
                what.push_str(&t.f(key, &[("amount", &Fen(fen))]));
            }
            if let Some(reason) = change.rejection_reason {
                what.push_str(" · ");
                what.push_str(&t.f("timeline.rejection_reason", &[("reason", &t.t(reason.label_key()))]));
            }
            let mut lines: Vec<String> = text_opt(&change.note).into_iter().collect();
            lines.extend(
                change
                    .goods
                    .as_ref()
                    .map(|goods| goods_lines(t, goods))
                    .unwrap_or_default(),
            );
            (what, (!lines.is_empty()).then(|| lines.join("\n")))
        }
        EventData::Assigned(assigned) => (t.f("timeline.assigned", &[("to", &name(assigned.to))]), None),
        EventData::RuleDecision(decision) => (
            t.f(
                "timeline.rule_decision",
                &[("verdict", &decision.decision.verdict.label(t.lang))],
            ),
            Some(decision.decision.decision(ticket.time_zone).explanation(t.lang)),
        ),
        EventData::Override(overridden) => (
            t.t("timeline.override").to_string(),
            text_opt(&overridden.justification),
        ),
        EventData::Escalated(_) => (t.t("timeline.escalated").to_string(), None),
        // Shown by its stored kind, as it always was (it has no catalogue entry yet).
        EventData::Recounted(_) => (event.data.kind().to_string(), None),
        EventData::Link(link) => {
            let key = match link.change {
                crate::tickets::events::LinkChange::Linked => "timeline.link.linked",
                crate::tickets::events::LinkChange::Unlinked => "timeline.link.unlinked",
                crate::tickets::events::LinkChange::MergedInto => "timeline.link.merged_into",
                crate::tickets::events::LinkChange::MergedFrom => "timeline.link.merged_from",
            };
            (t.f(key, &[("id", &link.ticket)]), text_opt(&link.note))
        }
        EventData::Compensation(entry) => {
            use crate::tickets::events::CompensationChange as C;
            let key = match entry.change {
                C::Booked => "timeline.ledger.booked",
                C::Requested => "timeline.ledger.requested",
                C::Approved => "timeline.ledger.approved",
                C::Rejected => "timeline.ledger.rejected",
                C::Withdrawn => "timeline.ledger.withdrawn",
                C::Reversed => "timeline.ledger.reversed",
            };
            let what = t.f(
                key,
                &[
                    ("method", &t.t(entry.method.label_key())),
                    ("amount", &Fen(entry.amount_fen)),
                    ("reason", &t.t(entry.reason.label_key())),
                ],
            );
            (what, text_opt(&entry.note))
        }
        EventData::Stock(stock) => {
            use crate::tickets::events::StockEvent as S;
            match stock {
                S::Received {
                    sku,
                    returned,
                    good,
                    defective,
                    missing,
                    photos,
                    note,
                } => (
                    t.f(
                        "timeline.stock.received",
                        &[
                            ("sku", sku),
                            ("returned", returned),
                            ("good", good),
                            ("defective", defective),
                            ("missing", missing),
                            ("photos", photos),
                        ],
                    ),
                    text_opt(note),
                ),
                S::Reshipped {
                    reason,
                    sku,
                    quantity,
                    carrier,
                    tracking_no,
                    cost_fen,
                    note,
                } => (
                    t.f(
                        "timeline.stock.reshipped",
                        &[
                            ("reason", &t.t(reason.label_key())),
                            ("sku", sku),
                            ("quantity", quantity),
                            ("carrier", &t.t(carrier.label_key())),
                            ("tracking_no", tracking_no),
                            ("cost", &Fen(*cost_fen)),
                        ],
                    ),
                    text_opt(note),
                ),
                S::Intercept {
                    outcome,
                    tracking_no,
                    note,
                    ..
                } => (
                    t.f(
                        "timeline.stock.intercept",
                        &[("outcome", &t.t(outcome.label_key())), ("tracking_no", tracking_no)],
                    ),
                    text_opt(note),
                ),
                S::ParcelMatched { tracking_no, .. } => (
                    t.f("timeline.stock.parcel_matched", &[("tracking_no", tracking_no)]),
                    None,
                ),
            }
        }
    };
    EventRow {
        id: event.id,
        actor: event.actor_id.map(|a| a.0),
        fresh: false,
        class: format!("ev-{}", event.data.kind()),
        who,
        what,
        body,
        when: t.datetime(&event.at),
    }
}

/// What a move recorded about the goods, in words: one line each for the address, the
/// shipment, the checklist and the photos.
pub fn goods_lines(t: Tr, goods: &GoodsRecord) -> Vec<String> {
    match goods {
        GoodsRecord::ReturnAddress { text, .. } => vec![t.f("goods.timeline.address", &[("address", text)])],
        GoodsRecord::Shipment { carrier, tracking_no } => vec![t.f(
            "goods.timeline.shipment",
            &[("carrier", &t.t(carrier.label_key())), ("tracking_no", tracking_no)],
        )],
        GoodsRecord::Inspection { checklist, photos } => {
            let mut lines = Vec::new();
            if let Some(checklist) = checklist {
                let items: Vec<String> = checklist_marks(t, checklist)
                    .into_iter()
                    .map(|(item, mark, _)| t.f("goods.timeline.item", &[("item", &item), ("mark", &mark)]))
                    .collect();
                lines.push(t.f(
                    "goods.timeline.checklist",
                    &[("items", &items.join(t.t("goods.timeline.separator")))],
                ));
            }
            if !photos.is_empty() {
                let names: Vec<&str> = photos.iter().map(|p| p.file_name.as_str()).collect();
                lines.push(t.f(
                    "goods.timeline.photos",
                    &[("names", &names.join(t.t("goods.timeline.separator")))],
                ));
            }
            lines
        }
    }
}

/// Each checklist item with its mark, in words, and whether it was ok.
pub fn checklist_marks(t: Tr, checklist: &Checklist) -> Vec<(String, String, bool)> {
    CheckItem::ALL
        .iter()
        .map(|item| {
            let mark = checklist.mark(*item);
            (
                t.t(item.label_key()).to_string(),
                t.t(mark.label_key()).to_string(),
                mark == Mark::Ok,
            )
        })
        .collect()
}

async fn load(state: &AppState, user: &CurrentUser, id: TicketId) -> PageResult<Ticket> {
    repo::get(&state.pages, &user.shops, id)
        .await?
        .ok_or_else(PageError::not_found)
}

/// Shows a ticket.
pub async fn show_ticket(State(state): State<AppState>, page: Page, Path(id): Path<TicketId>) -> PageResult {
    let ticket = load(&state, &page.user, id).await?;
    let body = partial(&state, &page.user, page.t, &ticket, None).await?;
    let view = TicketPage {
        layout: Layout::new(&state, page.t, &page.user, "", format!("/tickets/{id}")),
        body,
    };
    Ok(render(&view)?.into_response())
}

/// What others did on a ticket since the page showed event `seen`.
#[derive(Template)]
#[template(path = "_ticket_changes.html")]
pub struct ChangesView {
    pub t: Tr,
    pub id: i64,
    pub changes: Vec<EventRow>,
    /// The page under the box is older than the changes: offer the reload.
    pub changes_reload: bool,
}

/// `?seen=`: the newest event the page showed.
#[derive(Deserialize)]
pub struct ChangesQuery {
    seen: i64,
}

/// What others did on ticket `id` after event `seen` (the live ticket page asks when the
/// ticket changes under it); an empty box when nothing.
pub async fn show_changes(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<TicketId>,
    ApiQuery(query): ApiQuery<ChangesQuery>,
) -> PageResult {
    let ticket = load(&state, &page.user, id).await?;
    let t = Tr::new(page.t.lang, ticket.time_zone);
    let events = repo::events_by_others_after(&state.pool, ticket.shop_id, ticket.id, query.seen, page.user.id).await?;
    let names = user_names(&state.pool, &events, []).await?;
    let changes = events.iter().map(|e| event_row(t, e, &names, &ticket)).collect();
    Ok(render(&ChangesView {
        t,
        id: id.0,
        changes,
        changes_reload: true,
    })?
    .into_response())
}

/// What was typed into the ticket page's forms, shown again when an action is refused.
#[derive(Default)]
pub struct Draft {
    pub channel: Option<String>,
    pub summary: String,
    pub note: String,
    /// The note typed with a move.
    pub move_note: String,
    /// The move posted (`to`), and what was typed into its details.
    pub move_to: String,
    pub move_draft: MoveDraft,
    /// The comment typed with the return visit's answer.
    pub visit_comment: String,
    /// The newest event of the page the person worked in (what others did after it is shown
    /// when their move was refused as stale).
    pub seen: Option<i64>,
    /// What was typed into the links and tags forms.
    pub links: crate::links::page::LinksDraft,
    /// What was typed into the ledger's forms.
    pub ledger: crate::compensation::page::LedgerDraft,
    /// What was typed into the goods card's forms.
    pub stock: crate::returns::page::StockDraft,
}

/// The fields of the ticket page's forms: a refusal about one is shown next to it, any other
/// at the top of the page. The moves' details add theirs ([`MoveDetail::fields`]) and the
/// move's `note`; an inspection's form adds its `photo`.
const FORM_FIELDS: [&str; 29] = [
    "channel",
    "summary",
    "canned_reply",
    "text",
    "resolution",
    "comment",
    "file",
    "photo",
    "link_to",
    "merge_into",
    "merge_note",
    "tag",
    "ledger_method",
    "ledger_reason",
    "ledger_amount",
    "ledger_note",
    "entry_note",
    "stock_sku",
    "stock_returned",
    "stock_good",
    "stock_defective",
    "stock_missing",
    "stock_photos",
    "stock_carrier",
    "stock_tracking_no",
    "stock_cost",
    "stock_note",
    "reship_reason",
    "reship_quantity",
];

/// Whether a refusal about `field` is shown next to it.
fn shown_at_field(field: &str) -> bool {
    FORM_FIELDS.contains(&field) || field == "note" || MoveDetail::ALL.iter().any(|d| d.fields().contains(&field))
}

/// After an action: the fragment for htmx, a redirect for a plain post, and on a refused
/// action the page (or fragment) again with the reason — next to its field, with what was
/// typed (`draft`) kept.
pub(crate) async fn answer(
    state: &AppState,
    page: &Page,
    id: TicketId,
    result: Result<Ticket, Refusal>,
    done_key: &str,
    draft: Draft,
) -> PageResult {
    let t = page.t;
    let result_code = match &result {
        Err(Refusal::Said(error)) => Some(error.code.to_string()),
        _ => None,
    };
    let (ticket, flash, errors, status) = match result {
        Ok(ticket) => {
            if !page.htmx {
                return Ok(Redirect::to(&format!("/tickets/{id}")).into_response());
            }
            let flash = Flash {
                ok: true,
                text: t.t(done_key).to_string(),
            };
            (ticket, Some(flash), FormErrors::none(), StatusCode::OK)
        }
        Err(Refusal::Page(error)) => return Err(error),
        Err(refusal) => {
            // htmx only swaps successful answers: the refusal is shown in place with 200.
            let status = if page.htmx { StatusCode::OK } else { refusal.status() };
            let ticket = load(state, &page.user, id).await?;
            let (flash, errors) = match &refusal {
                Refusal::Field(error) if shown_at_field(error.field) => (None, FormErrors::one(t, error)),
                // Someone changed the ticket meanwhile: say what it is now.
                Refusal::Said(error) if error.code == "stale_version" => (
                    Some(Flash {
                        ok: false,
                        text: t.f("drafts.stale_move", &[("status", &ticket.status().label(t.lang))]),
                    }),
                    FormErrors::none(),
                ),
                _ => (
                    Some(Flash {
                        ok: false,
                        text: refusal.text(t),
                    }),
                    FormErrors::none(),
                ),
            };
            (ticket, flash, errors, status)
        }
    };
    let refused = flash.as_ref().is_some_and(|flash| !flash.ok) || !errors.is_empty();
    let stale = matches!(&result_code, Some(code) if code == "stale_version");
    let mut body = partial(state, &page.user, t, &ticket, flash).await?;
    // A stale move: what the others did since that page was loaded, marked and listed.
    if let (true, Some(seen)) = (stale, draft.seen) {
        let me = page.user.id.0;
        for event in &mut body.events {
            event.fresh = event.id > seen && event.actor != Some(me);
        }
        body.changes = body.events.iter().filter(|e| e.fresh).cloned().collect();
    }
    // Whatever the refusal, what was typed comes back in its box.
    if refused {
        if let Some(channel) = &draft.channel {
            for choice in &mut body.channels {
                choice.selected = &choice.value == channel;
            }
        }
        body.summary = draft.summary;
        body.note = draft.note;
        // A refused move with details opens its own form again, with what was typed in it.
        match body
            .moves
            .iter_mut()
            .find(|m| m.to == draft.move_to && !m.details.is_empty())
        {
            Some(refused) => {
                refused.open = true;
                refused.note = draft.move_note;
                body.move_open = true;
                for choice in &mut body.rejection_reasons {
                    choice.selected = choice.value == draft.move_draft.rejection_reason;
                }
                let typed = |name: &str| {
                    draft
                        .move_draft
                        .goods
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| v.clone())
                };
                let forms = &mut body.goods_forms;
                if let Some(address) = typed("return_address") {
                    for choice in &mut forms.addresses {
                        choice.selected = choice.value == address;
                    }
                }
                if let Some(carrier) = typed("carrier") {
                    for choice in &mut forms.carriers {
                        choice.selected = choice.value == carrier;
                    }
                }
                forms.tracking_no = typed("tracking_no").unwrap_or_default();
                for (name, _, mark) in &mut forms.items {
                    *mark = typed(name).unwrap_or_default();
                }
                body.move_draft = draft.move_draft;
            }
            None => body.move_note = draft.move_note,
        }
        body.visit_comment = draft.visit_comment;
        body.links.keep(&draft.links);
        body.tags.keep(&draft.links);
        body.ledger.keep(&draft.ledger);
        body.stock.keep(&draft.stock);
        body.errors = errors;
    }
    if page.htmx {
        return Ok((status, render(&body)?).into_response());
    }
    let view = TicketPage {
        layout: Layout::new(state, t, &page.user, "", format!("/tickets/{id}")),
        body,
    };
    Ok((status, render(&view)?).into_response())
}

/// The follow-up form.
#[derive(Deserialize)]
pub struct FollowUpForm {
    channel: String,
    summary: String,
    version: Option<i32>,
    /// The canned reply the picker inserted (empty when none).
    #[serde(default)]
    canned_reply: Option<String>,
}

/// Records a follow-up from the page.
pub async fn record_follow_up(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<TicketId>,
    ApiForm(form): ApiForm<FollowUpForm>,
) -> PageResult {
    let canned_reply = match form.canned_reply.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(reply) => match reply.parse::<i64>() {
            Ok(reply) => Ok(Some(reply)),
            Err(_) => Err(FieldError::new("canned_reply", "form.pick_reply_again")),
        },
        None => Ok(None),
    };
    let draft = Draft {
        channel: Some(form.channel.clone()),
        summary: form.summary.clone(),
        ..Draft::default()
    };
    let result = match (Channel::parse(&form.channel), canned_reply) {
        (Some(channel), Ok(canned_reply)) => service::follow_up_with_reply(
            &state.follow_up_writes,
            &page.user,
            id,
            NewFollowUp {
                channel,
                summary: form.summary,
                version: form.version,
            },
            canned_reply,
            state.now(),
        )
        .await
        .map_err(Refusal::from),
        (_, Err(error)) => Err(error.into()),
        (None, _) => Err(FieldError::new("channel", "form.choose_channel").into()),
    };
    answer(&state, &page, id, result, "flash.follow_up_saved", draft).await
}

/// The note form.
#[derive(Deserialize)]
pub struct NoteForm {
    text: String,
    version: Option<i32>,
}

/// Adds an internal note from the page.
pub async fn add_note(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<TicketId>,
    ApiForm(form): ApiForm<NoteForm>,
) -> PageResult {
    let draft = Draft {
        note: form.text.clone(),
        ..Draft::default()
    };
    let result = service::note(
        &state.pool,
        &page.user,
        id,
        NewNote {
            text: form.text,
            version: form.version,
        },
        state.now(),
    )
    .await
    .map_err(Refusal::from);
    answer(&state, &page, id, result, "flash.note_saved", draft).await
}

/// The status form: a button of the shared form, or a move's own form with its details.
#[derive(Deserialize)]
pub struct TransitionForm {
    to: String,
    version: i32,
    /// The newest event the page showed.
    #[serde(default)]
    seen: Option<i64>,
    note: Option<String>,
    resolution: Option<String>,
    /// Approving a return or exchange: the return address chosen.
    #[serde(default)]
    return_address: Option<String>,
    /// 买家已寄回: carrier and tracking number.
    #[serde(default)]
    carrier: Option<String>,
    #[serde(default)]
    tracking_no: Option<String>,
    /// Receipt: the checklist, one field per item.
    #[serde(default)]
    tags: Option<String>,
    #[serde(default)]
    accessories: Option<String>,
    #[serde(default)]
    seal: Option<String>,
    #[serde(default)]
    signs_of_use: Option<String>,
    #[serde(default)]
    quantity: Option<String>,
    /// A refusal's reason (拒绝原因).
    #[serde(default)]
    rejection_reason: Option<String>,
    /// A refund's amount in yuan (同意退款, 已退款).
    #[serde(default)]
    refund_yuan: Option<String>,
}

impl TransitionForm {
    /// The value of a detail's field, by name.
    fn field(&self, name: &str) -> Option<&str> {
        match name {
            "rejection_reason" => self.rejection_reason.as_deref(),
            "refund_yuan" => self.refund_yuan.as_deref(),
            "return_address" => self.return_address.as_deref(),
            "carrier" => self.carrier.as_deref(),
            "tracking_no" => self.tracking_no.as_deref(),
            "tags" => self.tags.as_deref(),
            "accessories" => self.accessories.as_deref(),
            "seal" => self.seal.as_deref(),
            "signs_of_use" => self.signs_of_use.as_deref(),
            "quantity" => self.quantity.as_deref(),
            _ => None,
        }
    }
}

/// The names of the detail fields a move's form may post (besides `to`, `version`, `note`).
const DETAIL_FORM_FIELDS: [&str; 10] = [
    "rejection_reason",
    "refund_yuan",
    "return_address",
    "carrier",
    "tracking_no",
    "tags",
    "accessories",
    "seal",
    "signs_of_use",
    "quantity",
];

/// What was typed into a move's detail fields (as `field` reads them), to show again if the
/// move is refused.
pub fn move_draft<'a>(field: impl Fn(&str) -> Option<&'a str>) -> MoveDraft {
    MoveDraft {
        rejection_reason: field("rejection_reason").unwrap_or_default().to_string(),
        refund_yuan: field("refund_yuan").unwrap_or_default().to_string(),
        goods: DETAIL_FORM_FIELDS[2..]
            .iter()
            .filter_map(|name| field(name).map(|value| (name.to_string(), value.to_string())))
            .collect(),
    }
}

/// The details a move's form gave (read by `field`; blank fields are not given), into `input`:
/// the refusal's reason, the refund's amount in yuan, the return address, carrier and tracking
/// number, the checklist.
pub fn details_from_form<'a>(
    input: &mut NewTransition,
    field: impl Fn(&str) -> Option<&'a str>,
) -> Result<(), FieldError> {
    let given = |name: &str| field(name).map(str::trim).filter(|v| !v.is_empty());
    input.rejection_reason = match given("rejection_reason") {
        None => None,
        Some(code) => Some(RejectionReason::parse(code).ok_or_else(|| {
            FieldError::new("rejection_reason", "ticket.invalid.rejection_reason_unknown").with("reason", code)
        })?),
    };
    // The amount is typed in yuan; the service takes fen.
    input.refund_fen = match given("refund_yuan") {
        None => None,
        Some(yuan) => Some(
            Fen::parse_yuan(yuan)
                .map(|fen| fen.0)
                .ok_or_else(|| FieldError::new("refund_fen", "ticket.invalid.refund_amount_format"))?,
        ),
    };
    input.return_address = match given("return_address") {
        Some(id) => Some(
            id.parse::<i64>()
                .map_err(|_| FieldError::new("return_address", "goods.invalid.address_unknown"))?,
        ),
        None => None,
    };
    input.carrier = match given("carrier") {
        Some(code) => Some(
            crate::rules::shipment::Carrier::parse(code)
                .ok_or_else(|| FieldError::new("carrier", "goods.invalid.carrier_missing"))?,
        ),
        None => None,
    };
    input.tracking_no = given("tracking_no").map(str::to_string);
    input.checklist = crate::tickets::goods::checklist_from_form(|name| field(name))?;
    Ok(())
}

/// Moves a ticket from the page.
pub async fn move_ticket(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<TicketId>,
    ApiForm(form): ApiForm<TransitionForm>,
) -> PageResult {
    let resolution = form
        .resolution
        .as_deref()
        .filter(|r| !r.is_empty())
        .and_then(Resolution::parse);
    let draft = Draft {
        move_note: form.note.clone().unwrap_or_default(),
        move_to: form.to.clone(),
        move_draft: move_draft(|name| form.field(name)),
        seen: form.seen,
        ..Draft::default()
    };
    let result = match Status::parse(&form.to) {
        Some(to) => {
            let mut input = NewTransition {
                note: form.note.clone(),
                resolution,
                ..NewTransition::plain(to, form.version)
            };
            match details_from_form(&mut input, |name| form.field(name)) {
                Ok(()) => service::transition(&state.pool, &state.calendar(), &page.user, id, input, state.now())
                    .await
                    .map_err(Refusal::from),
                Err(error) => Err(error.into()),
            }
        }
        None => Err(FieldError::new("to", "form.choose_move").into()),
    };
    answer(&state, &page, id, result, "flash.status_changed", draft).await
}

/// The assignment form.
#[derive(Deserialize)]
pub struct AssignForm {
    assignee: String,
    version: Option<i32>,
    /// The newest event the page showed.
    #[serde(default)]
    seen: Option<i64>,
    /// Where a plain form goes back to once done (the queue's rows), instead of the ticket.
    back: Option<String>,
}

/// Assigns a ticket from the page (`me` takes it).
pub async fn assign_ticket(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<TicketId>,
    ApiForm(form): ApiForm<AssignForm>,
) -> PageResult {
    let assignee = match form.assignee.as_str() {
        "" => Ok(None),
        "me" => Ok(Some(page.user.id)),
        other => other
            .parse::<UserId>()
            .map(Some)
            .map_err(|_| FieldError::new("assignee", "form.choose_person")),
    };
    let result = match assignee {
        Ok(assignee) => service::assign(
            &state.pool,
            &page.user,
            id,
            NewAssignment {
                assignee,
                version: form.version,
            },
            state.now(),
        )
        .await
        .map_err(Refusal::from),
        Err(error) => Err(error.into()),
    };
    if let (Ok(_), false, Some(back)) = (&result, page.htmx, form.back.as_deref()) {
        return Ok(Redirect::to(&crate::web::safe_next(Some(back))).into_response());
    }
    let draft = Draft {
        seen: form.seen,
        ..Draft::default()
    };
    answer(&state, &page, id, result, "flash.assigned", draft).await
}

/// The return-visit form.
#[derive(Deserialize)]
pub struct VisitForm {
    /// `yes` or `no`.
    satisfied: String,
    #[serde(default)]
    comment: String,
    version: Option<i32>,
}

/// Records the buyer's answer to the return visit from the page.
pub async fn record_return_visit(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<TicketId>,
    ApiForm(form): ApiForm<VisitForm>,
) -> PageResult {
    let satisfied = match form.satisfied.as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(FieldError::new("satisfied", "form.choose_satisfied")),
    };
    let draft = Draft {
        visit_comment: form.comment.clone(),
        ..Draft::default()
    };
    let result = match satisfied {
        Ok(satisfied) => {
            let answer = crate::visits::VisitAnswer {
                satisfied,
                comment: form.comment,
                version: form.version,
            };
            crate::visits::record(&state.pool, &state.calendar(), &page.user, id, answer, state.now())
                .await
                .map(|recorded| recorded.ticket)
                .map_err(Refusal::from)
        }
        Err(error) => Err(error.into()),
    };
    answer(&state, &page, id, result, "flash.visit_saved", draft).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_a_move_label_in_the_catalogue() {
        for status in Status::ALL {
            assert!(crate::i18n::has(&move_key(status)), "missing move.{}", status.as_str());
        }
    }
}

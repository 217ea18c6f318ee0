//! Escalation as a hand-over (issue 14): escalating a ticket gives it to a supervisor — the one
//! escalating, when a supervisor does it, else the shop's supervisor with the fewest open
//! tickets (`rules::risk::least_loaded`) — remembers who held it, tells the supervisor in the
//! desk and audits it; handing it back (leaving `escalated` for the status it was held from)
//! gives it to whoever escalated it, with the supervisor's note, told and audited the same way.
//! Both run inside the move's transaction (`service::apply_detailed_move`).

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;

use super::Ticket;
use super::events::{self, EventData};
use super::repo;
use crate::auth::{CurrentUser, Role};
use crate::ids::UserId;
use crate::notifications::{self, Kind};
use crate::rules::risk;

/// The supervisor an escalation goes to: the one escalating if a supervisor does it, else the
/// least loaded of the shop's supervisors; `None` when the shop has none (the ticket then waits
/// unassigned, for any supervisor).
async fn supervisor_for(
    conn: &mut PgConnection,
    user: &CurrentUser,
    ticket: &Ticket,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<UserId>> {
    if user.role == Role::Supervisor {
        return Ok(Some(user.id));
    }
    let candidates: Vec<(i64, i64)> =
        crate::follow_ups::workers_with_load(conn, ticket.shop_id, Role::Supervisor, &[ticket.shop_id], now)
            .await?
            .iter()
            .map(|(supervisor, open)| (supervisor.id.0, *open))
            .collect();
    Ok(risk::least_loaded(&candidates).map(UserId))
}

/// The ticket moved into `escalated`: hand it to a supervisor.
pub async fn hand_to_supervisor(
    conn: &mut PgConnection,
    user: &CurrentUser,
    ticket: &Ticket,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let supervisor = supervisor_for(conn, user, ticket, now).await?;
    // Whoever held it gets it back; if nobody did, whoever escalated it.
    let held_by = ticket.assignee_id.or(Some(user.id));
    repo::hand_over(conn, ticket.shop_id, ticket.id, supervisor, held_by).await?;
    if supervisor != ticket.assignee_id {
        let assigned = EventData::Assigned(events::Assigned {
            from: ticket.assignee_id,
            to: supervisor,
        });
        repo::append_event(&mut *conn, ticket.shop_id, ticket.id, now, Some(user.id), &assigned).await?;
    }
    if let Some(supervisor) = supervisor.filter(|s| *s != user.id) {
        notifications::notify(
            &mut *conn,
            ticket.shop_id,
            supervisor,
            ticket.id,
            Kind::EscalatedToYou,
            user.id,
            note.unwrap_or(""),
            now,
        )
        .await?;
    }
    crate::audit::record(
        &mut *conn,
        user.id,
        crate::audit::action::TICKET_ESCALATED,
        Some(ticket.shop_id),
        &format!("#{}", ticket.id),
        json!({ "from_status": ticket.status(), "from": ticket.assignee_id, "to": supervisor }),
    )
    .await?;
    tracing::info!(ticket = %ticket.id, to = ?supervisor, "ticket escalated to a supervisor");
    Ok(())
}

/// The ticket left `escalated`: hand it back to whoever held it, with the note.
pub async fn hand_back(
    conn: &mut PgConnection,
    user: &CurrentUser,
    ticket: &Ticket,
    note: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let Some(back_to) = ticket.escalated_by else {
        // Escalated before escalation was a hand-over: nobody to hand it back to.
        return Ok(());
    };
    repo::hand_over(conn, ticket.shop_id, ticket.id, Some(back_to), None).await?;
    if ticket.assignee_id != Some(back_to) {
        let assigned = EventData::Assigned(events::Assigned {
            from: ticket.assignee_id,
            to: Some(back_to),
        });
        repo::append_event(&mut *conn, ticket.shop_id, ticket.id, now, Some(user.id), &assigned).await?;
    }
    if back_to != user.id {
        notifications::notify(
            &mut *conn,
            ticket.shop_id,
            back_to,
            ticket.id,
            Kind::HandedBack,
            user.id,
            note,
            now,
        )
        .await?;
    }
    crate::audit::record(
        &mut *conn,
        user.id,
        crate::audit::action::TICKET_HANDED_BACK,
        Some(ticket.shop_id),
        &format!("#{}", ticket.id),
        json!({ "to": back_to, "note": note }),
    )
    .await?;
    Ok(())
}

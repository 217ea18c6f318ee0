//! Writing the generated shop: buyers, orders and their lines in one `unnest` insert each, the
//! tickets one by one for their ids, then every timeline event in one statement; and the platform
//! timers' facts, set afterwards from the stored orders and timelines.

use std::collections::HashMap;

use serde_json::json;

use crate::ids::ShopId;
use crate::rules::workflow::{Resolution, Status};

use super::shop::{Demo, DemoOrder, Line};

pub(super) async fn write(tx: &mut sqlx::PgConnection, shop: ShopId, data: &Demo) -> anyhow::Result<()> {
    // Buyers.
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "INSERT INTO customers (shop_id, nick, name, phone, address)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
         RETURNING id, nick",
    )
    .bind(shop)
    .bind(column(&data.customers, |c| c.nick.clone()))
    .bind(column(&data.customers, |c| c.name.clone()))
    .bind(column(&data.customers, |c| c.phone.clone()))
    .bind(column(&data.customers, |c| c.address.clone()))
    .fetch_all(&mut *tx)
    .await?;
    let by_nick: HashMap<String, i64> = rows.into_iter().map(|(id, nick)| (nick, id)).collect();
    let customer_ids = column(&data.customers, |c| by_nick.get(&c.nick).copied());
    let order_customers = data
        .orders
        .iter()
        .map(|o| customer_ids.get(o.customer).copied().flatten())
        .collect::<Option<Vec<i64>>>()
        .ok_or_else(|| anyhow::anyhow!("a demo buyer was not stored"))?;

    // Orders.
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "INSERT INTO orders (shop_id, order_no, customer_id, paid_at, shipped_at, signed_at, note,
                             created_at, updated_at)
         SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::timestamptz[], $5::timestamptz[],
                                  $6::timestamptz[], $7::text[], $8::timestamptz[], $9::timestamptz[])
         RETURNING id, order_no",
    )
    .bind(shop)
    .bind(column(&data.orders, |o| o.order_no.clone()))
    .bind(&order_customers)
    .bind(column(&data.orders, |o| o.paid_at))
    .bind(column(&data.orders, |o| o.shipped_at))
    .bind(column(&data.orders, |o| o.signed_at))
    .bind(column(&data.orders, |o| o.note.clone()))
    .bind(column(&data.orders, |o| o.paid_at))
    .bind(column(&data.orders, DemoOrder::last_change))
    .fetch_all(&mut *tx)
    .await?;
    let by_number: HashMap<String, i64> = rows.into_iter().map(|(id, no)| (no, id)).collect();
    let order_ids = data
        .orders
        .iter()
        .map(|o| by_number.get(&o.order_no).copied())
        .collect::<Option<Vec<i64>>>()
        .ok_or_else(|| anyhow::anyhow!("a demo order was not stored"))?;

    // Order lines.
    let lines: Vec<(i64, &Line)> = order_ids
        .iter()
        .zip(&data.orders)
        .flat_map(|(id, order)| order.lines.iter().map(move |line| (*id, line)))
        .collect();
    sqlx::query(
        "INSERT INTO order_lines (shop_id, order_id, sku, title, category, quantity, unit_price_fen,
                                  no_reason_exclusion)
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::int4[],
                                  $7::int8[], $8::text[])",
    )
    .bind(shop)
    .bind(column(&lines, |(id, _)| *id))
    .bind(column(&lines, |(_, l)| l.sku.clone()))
    .bind(column(&lines, |(_, l)| l.title.clone()))
    .bind(column(&lines, |(_, l)| l.category.to_string()))
    .bind(column(&lines, |(_, l)| l.quantity))
    .bind(column(&lines, |(_, l)| l.unit_price_fen))
    .bind(column(&lines, |(_, l)| l.exclusion.as_str().to_string()))
    .execute(&mut *tx)
    .await?;

    // Tickets, one by one for their ids; then every event in one statement. No cycle has been
    // escalated yet, so the sweep's pointer (next_escalation_at) is the due time, as the service
    // sets it: the sweep records the missed cycles of the overdue ones when it next runs.
    let mut event_tickets = Vec::new();
    let (mut event_at, mut event_actor, mut event_kinds, mut event_data) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ticket in &data.tickets {
        let (Some(order), Some(customer)) = (order_ids.get(ticket.order), order_customers.get(ticket.order)) else {
            anyhow::bail!("demo ticket for order {} without its order", ticket.order);
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tickets (shop_id, kind, status, held_from, reason, description, order_id, sku,
                                  customer_id, assignee_id, priority, refund_fen, resolution, intact,
                                  seven_day_verdict, seven_day, platform_deadline_at, version, opened_at,
                                  follow_up_due_at, next_escalation_at, last_follow_up_at, closed_at,
                                  created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                     $19, $20, $20, $21, $22, $23, $19, $24)
             RETURNING id",
        )
        .bind(shop)
        .bind(ticket.position.kind.as_str())
        .bind(ticket.position.status.as_str())
        .bind(ticket.position.held_from.map(Status::as_str))
        .bind(ticket.reason.as_str())
        .bind(&ticket.description)
        .bind(order)
        .bind(&ticket.sku)
        .bind(customer)
        .bind(ticket.assignee)
        .bind(ticket.priority.as_str())
        .bind(ticket.refund_fen)
        .bind(ticket.resolution.map(Resolution::as_str))
        .bind(ticket.intact)
        .bind(ticket.seven_day.as_ref().map(|r| r.verdict.as_str()))
        .bind(ticket.seven_day.as_ref().map(|r| json!(r)))
        .bind(ticket.platform_deadline_at)
        .bind(ticket.version)
        .bind(ticket.opened_at)
        .bind(ticket.follow_up_due_at)
        .bind(ticket.last_follow_up_at)
        .bind(ticket.closed_at)
        .bind(ticket.created_by)
        .bind(ticket.updated_at)
        .fetch_one(&mut *tx)
        .await?;
        for event in &ticket.events {
            event_tickets.push(id);
            event_at.push(event.at);
            event_actor.push(event.actor.map(|user| user.0));
            event_kinds.push(event.kind.to_string());
            event_data.push(event.data.to_string());
        }
    }
    sqlx::query(
        "INSERT INTO ticket_events (shop_id, ticket_id, at, actor_id, kind, data)
         SELECT $1, e.ticket_id, e.at, e.actor_id, e.kind, e.data::jsonb
         FROM unnest($2::bigint[], $3::timestamptz[], $4::bigint[], $5::text[], $6::text[])
              WITH ORDINALITY AS e(ticket_id, at, actor_id, kind, data, n)
         ORDER BY e.n",
    )
    .bind(shop)
    .bind(event_tickets)
    .bind(event_at)
    .bind(event_actor)
    .bind(event_kinds)
    .bind(event_data)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// One column of rows, for an `unnest` insert.
fn column<T, U>(rows: &[T], value: impl FnMut(&T) -> U) -> Vec<U> {
    rows.iter().map(value).collect()
}

/// Sets the facts the platform timers run on from each ticket's order and timeline (as the
/// service does when tickets are worked), then the earliest running timer.
pub(super) async fn start_platform_clocks(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    shop: ShopId,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE tickets t SET
            order_shipped = COALESCE(o.signed_at IS NOT NULL OR o.shipped_at <= t.opened_at, false),
            agreed_at = (SELECT min(e.at) FROM ticket_events e WHERE e.shop_id = t.shop_id AND e.ticket_id = t.id
                           AND e.kind = 'status_changed' AND e.data ->> 'to' = 'approved'),
            buyer_shipped_at = (SELECT min(e.at) FROM ticket_events e WHERE e.shop_id = t.shop_id AND e.ticket_id = t.id
                           AND e.kind = 'status_changed' AND e.data ->> 'to' = 'buyer_shipped'),
            goods_received_at = (SELECT min(e.at) FROM ticket_events e WHERE e.shop_id = t.shop_id AND e.ticket_id = t.id
                           AND e.kind = 'status_changed' AND e.data ->> 'to' = 'received')
         FROM orders o WHERE o.shop_id = t.shop_id AND o.id = t.order_id AND t.shop_id = $1",
    )
    .bind(shop)
    .execute(&mut **tx)
    .await?;
    let tickets: Vec<crate::tickets::Ticket> = sqlx::query_as(concat!(
        crate::tickets::model::ticket_select!(),
        "WHERE t.shop_id = $1 AND t.closed_at IS NULL"
    ))
    .bind(shop)
    .fetch_all(&mut **tx)
    .await?;
    for ticket in tickets {
        let due = crate::rules::timers::earliest(&ticket.running_timers()).map(|c| c.deadline);
        sqlx::query("UPDATE tickets SET timer_due_at = $3 WHERE shop_id = $1 AND id = $2")
            .bind(shop)
            .bind(ticket.id)
            .bind(due)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

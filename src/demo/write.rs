//! Writing the generated shop: buyers, orders and their lines in one `unnest` insert each, the
//! tickets one by one for their ids, then every timeline event in one statement; and the platform
//! timers' facts, set afterwards from the stored orders and timelines. The tickets and their
//! timelines go through the tickets repo (the events as `EventData`).

use std::collections::HashMap;

use crate::ids::{CustomerId, OrderId, ShopId};
use crate::tickets::repo::{self, BulkEvent, LoadedRow};

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
    let mut events = Vec::new();
    for ticket in &data.tickets {
        let (Some(order), Some(customer)) = (order_ids.get(ticket.order), order_customers.get(ticket.order)) else {
            anyhow::bail!("demo ticket for order {} without its order", ticket.order);
        };
        let id = repo::insert_loaded(
            &mut *tx,
            &LoadedRow {
                shop,
                kind: ticket.position.kind,
                status: ticket.position.status,
                held_from: ticket.position.held_from,
                reason: ticket.reason,
                description: &ticket.description,
                order: OrderId(*order),
                sku: ticket.sku.as_deref(),
                customer: CustomerId(*customer),
                assignee: ticket.assignee,
                priority: ticket.priority,
                refund_fen: ticket.refund_fen,
                approved_refund_fen: ticket.approved_refund_fen,
                refunded_fen: ticket.refunded_fen,
                resolution: ticket.resolution,
                intact: ticket.intact,
                seven_day: ticket.seven_day.as_ref(),
                platform_deadline_at: ticket.platform_deadline_at,
                version: ticket.version,
                opened_at: ticket.opened_at,
                follow_up_due_at: ticket.follow_up_due_at,
                last_follow_up_at: ticket.last_follow_up_at,
                closed_at: ticket.closed_at,
                created_by: ticket.created_by,
                updated_at: ticket.updated_at,
            },
        )
        .await?;
        events.extend(ticket.events.iter().map(|event| BulkEvent {
            ticket: id,
            at: event.at,
            actor: event.actor,
            event: &event.data,
        }));
    }
    repo::append_events_in_bulk(tx, shop, &events).await?;
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
    repo::set_timer_facts_from_timelines(tx, shop).await?;
    for ticket in repo::open_in_shop(&mut **tx, shop).await? {
        let due = crate::rules::timers::earliest(&ticket.running_timers()).map(|c| c.deadline);
        repo::set_timer_due(&mut **tx, shop, ticket.id, due).await?;
    }
    Ok(())
}

//! The pre-counted report figures: `report_days` (its migration explains the table and the
//! triggers that mark days stale). [`refresh`] recounts the stale days of a shop from the base
//! tables — the definitions of every figure live in the SQL below — and [`read`] sums the rows of
//! a period: whole local months from the month rows, the days of partial months from the day rows.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sqlx::PgPool;

use super::rates::{Period, ResolveHistogram};
use super::{GroupBy, QUALITY_REASONS};
use crate::ids::ShopId;

/// The most days recounted in one transaction: a bulk import marks a whole year stale, and a
/// transaction that recounts a month stays short enough not to hold writers up for long.
const CHUNK_DAYS: i64 = 31;

/// "A refund was issued on ticket t": resolved as refunded, or ever moved to refunded (the
/// first such move is kept on the ticket as `refunded_at`). The trigger that marks a new ticket's
/// order (`report_tickets_added`, migration `…_report_marks_orders_only_when_changed`) says the
/// same of the rows it marks, with the complaints the order figures count: change both together.
macro_rules! refunded {
    () => {
        "(t.resolution = 'refunded' OR t.refunded_at IS NOT NULL)"
    };
}

// Every fill reads the base tables for the instants [$2, $3) and files each row under its local
// day in the shop's zone $4. The dimension of a grouping set is told by GROUPING().

/// Return rate: lines signed for (by the line's own sign time, else its order's) and, of them,
/// those with a return or exchange the shop accepted (moved to `approved`), for the whole order
/// (no SKU on the ticket) or for that line.
const FILL_LINES: &str = "
WITH lines AS (
    SELECT l.order_id, l.sku, l.category, o.signed_at FROM orders o
    JOIN order_lines l ON l.shop_id = o.shop_id AND l.order_id = o.id
    WHERE o.shop_id = $1 AND o.signed_at >= $2 AND o.signed_at < $3 AND l.signed_at IS NULL
    UNION ALL
    SELECT l.order_id, l.sku, l.category, l.signed_at FROM order_lines l
    WHERE l.shop_id = $1 AND l.signed_at >= $2 AND l.signed_at < $3
), accepted AS (
    SELECT t.order_id, t.sku FROM tickets t
    WHERE t.shop_id = $1 AND t.kind IN ('return', 'exchange') AND t.order_id IN (SELECT order_id FROM lines)
      AND EXISTS (SELECT 1 FROM ticket_events e WHERE e.shop_id = t.shop_id AND e.ticket_id = t.id
                  AND e.kind = 'status_changed' AND e.data ->> 'to' = 'approved')
), whole_order AS (
    SELECT DISTINCT order_id FROM accepted WHERE sku IS NULL
), one_line AS (
    SELECT DISTINCT order_id, sku FROM accepted WHERE sku IS NOT NULL
), flagged AS (
    SELECT (lines.signed_at AT TIME ZONE $4)::date AS day, lines.sku, lines.category,
           (w.order_id IS NOT NULL OR ol.order_id IS NOT NULL) AS returned
    FROM lines
    LEFT JOIN whole_order w ON w.order_id = lines.order_id
    LEFT JOIN one_line ol ON ol.order_id = lines.order_id AND ol.sku = lines.sku
)
INSERT INTO report_days (shop_id, dim, span, start, value, lines_signed, lines_returned)
SELECT $1, CASE GROUPING(sku, category) WHEN 1 THEN 'sku' WHEN 2 THEN 'category' ELSE 'total' END,
       'day', day, COALESCE(sku, category, ''), count(*), count(*) FILTER (WHERE returned)
FROM flagged
GROUP BY GROUPING SETS ((day), (day, sku), (day, category))
ON CONFLICT (shop_id, dim, span, start, value) DO UPDATE SET
    lines_signed = EXCLUDED.lines_signed, lines_returned = EXCLUDED.lines_returned";

/// What is known of each ticket of the orders in `paid` (a CTE of the fill).
macro_rules! order_ticket_facts {
    () => {
        concat!(
            "ticket_facts AS (
                 SELECT t.order_id, t.sku, ",
            refunded!(),
            " AS refunded, t.reason = ANY($5) AS quality_reason, t.kind = 'complaint' AS complaint
                 FROM tickets t
                 WHERE t.shop_id = $1 AND t.order_id IN (SELECT id FROM paid)
             )"
        )
    };
}

/// Refund, quality refund and complaint rates of the whole shop: orders paid, and of them those
/// with a refund issued (for a quality reason) or a complaint.
const FILL_ORDERS: &str = concat!(
    "WITH paid AS (
         SELECT o.id, o.paid_at FROM orders o WHERE o.shop_id = $1 AND o.paid_at >= $2 AND o.paid_at < $3
     ), ",
    order_ticket_facts!(),
    ", per_order AS (
         SELECT order_id, bool_or(refunded) AS refunded, bool_or(refunded AND quality_reason) AS quality,
                bool_or(complaint) AS complained
         FROM ticket_facts GROUP BY order_id
     )
     INSERT INTO report_days (shop_id, dim, span, start, value,
                              orders_paid, orders_refunded, orders_quality, orders_complained)
     SELECT $1, 'total', 'day', (p.paid_at AT TIME ZONE $4)::date, '', count(*),
            count(*) FILTER (WHERE f.refunded), count(*) FILTER (WHERE f.quality),
            count(*) FILTER (WHERE f.complained)
     FROM paid p LEFT JOIN per_order f ON f.order_id = p.id
     GROUP BY 4
     ON CONFLICT (shop_id, dim, span, start, value) DO UPDATE SET
         orders_paid = EXCLUDED.orders_paid, orders_refunded = EXCLUDED.orders_refunded,
         orders_quality = EXCLUDED.orders_quality, orders_complained = EXCLUDED.orders_complained"
);

/// The same per SKU and per category: an order counts for a SKU it contains when a ticket on the
/// whole order or on that SKU qualifies, and once for a category when it does for any of its
/// lines in the category.
const FILL_ORDER_LINES: &str = concat!(
    "WITH paid AS (
         SELECT o.id, o.paid_at, l.sku, l.category FROM orders o
         JOIN order_lines l ON l.shop_id = o.shop_id AND l.order_id = o.id
         WHERE o.shop_id = $1 AND o.paid_at >= $2 AND o.paid_at < $3
     ), ",
    order_ticket_facts!(),
    ", per_line AS (
         SELECT (p.paid_at AT TIME ZONE $4)::date AS day, p.id, p.sku, p.category,
                COALESCE(bool_or(f.refunded) FILTER (WHERE f.sku IS NULL OR f.sku = p.sku), false) AS refunded,
                COALESCE(bool_or(f.refunded AND f.quality_reason) FILTER (WHERE f.sku IS NULL OR f.sku = p.sku),
                         false) AS quality,
                COALESCE(bool_or(f.complaint) FILTER (WHERE f.sku IS NULL OR f.sku = p.sku), false) AS complained
         FROM paid p LEFT JOIN ticket_facts f ON f.order_id = p.id
         GROUP BY p.id, p.sku, p.category, p.paid_at
     )
     INSERT INTO report_days (shop_id, dim, span, start, value,
                              orders_paid, orders_refunded, orders_quality, orders_complained)
     SELECT $1, CASE GROUPING(sku, category) WHEN 1 THEN 'sku' ELSE 'category' END, 'day', day,
            COALESCE(sku, category), count(DISTINCT id), count(DISTINCT id) FILTER (WHERE refunded),
            count(DISTINCT id) FILTER (WHERE quality), count(DISTINCT id) FILTER (WHERE complained)
     FROM per_line
     GROUP BY GROUPING SETS ((day, sku), (day, category))
     ON CONFLICT (shop_id, dim, span, start, value) DO UPDATE SET
         orders_paid = EXCLUDED.orders_paid, orders_refunded = EXCLUDED.orders_refunded,
         orders_quality = EXCLUDED.orders_quality, orders_complained = EXCLUDED.orders_complained"
);

/// Tickets by opening day: how many, how many with a refund issued and how much was refunded
/// (the amount actually refunded, a partial refund at its amount; for a ticket refunded without
/// one recorded — before amounts were kept — the amount agreed, else the amount the buyer asked
/// for; for one with none of them — a logistics case resolved by refund asks for no amount —
/// the amount paid for its line, or for its whole order, counted apart as estimated as well),
/// for the whole shop and per SKU (`''`: the whole order), category, reason, kind, and kind and
/// reason together (`kind/reason`: refund reasons are counted over refund and return tickets).
const FILL_OPENED: &str = concat!(
    "WITH opened AS (
         SELECT (t.opened_at AT TIME ZONE $4)::date AS day, COALESCE(t.sku, '') AS sku,
                COALESCE(l.category, '') AS category, t.reason, t.kind, ",
    refunded!(),
    " AS refunded,
                COALESCE(t.refunded_fen, t.approved_refund_fen, t.refund_fen) IS NULL AS estimated,
                COALESCE(t.refunded_fen, t.approved_refund_fen, t.refund_fen,
                         l.quantity * l.unit_price_fen,
                         (SELECT sum(a.quantity * a.unit_price_fen) FROM order_lines a
                          WHERE t.sku IS NULL AND a.shop_id = t.shop_id AND a.order_id = t.order_id),
                         0) AS refund_fen
         FROM tickets t
         LEFT JOIN order_lines l ON l.shop_id = t.shop_id AND l.order_id = t.order_id AND l.sku = t.sku
         WHERE t.shop_id = $1 AND t.opened_at >= $2 AND t.opened_at < $3
     )
     INSERT INTO report_days (shop_id, dim, span, start, value, tickets_opened, tickets_refunded, refund_fen,
                              tickets_refund_estimated, refund_estimated_fen)
     SELECT $1, CASE GROUPING(sku, category, reason, kind) WHEN 7 THEN 'sku' WHEN 11 THEN 'category'
                WHEN 13 THEN 'reason' WHEN 14 THEN 'kind' WHEN 12 THEN 'kind_reason' ELSE 'total' END,
            'day', day,
            CASE GROUPING(sku, category, reason, kind) WHEN 12 THEN kind || '/' || reason
                 ELSE COALESCE(sku, category, reason, kind, '') END,
            count(*), count(*) FILTER (WHERE refunded),
            -- Clamped: no stored refund may overflow a report (sums of bigint are numeric).
            LEAST(COALESCE(sum(refund_fen) FILTER (WHERE refunded), 0), 9223372036854775807),
            count(*) FILTER (WHERE refunded AND estimated),
            LEAST(COALESCE(sum(refund_fen) FILTER (WHERE refunded AND estimated), 0), 9223372036854775807)
     FROM opened
     GROUP BY GROUPING SETS ((day), (day, sku), (day, category), (day, reason), (day, kind), (day, reason, kind))
     ON CONFLICT (shop_id, dim, span, start, value) DO UPDATE SET
         tickets_opened = EXCLUDED.tickets_opened, tickets_refunded = EXCLUDED.tickets_refunded,
         refund_fen = EXCLUDED.refund_fen, tickets_refund_estimated = EXCLUDED.tickets_refund_estimated,
         refund_estimated_fen = EXCLUDED.refund_estimated_fen"
);

/// Refunds paid per SKU (`''`: the whole order) by the day of each move to `refunded` with an
/// amount: what the move added to the ticket's refund before it (a ticket refunded again after a
/// reopen holds its whole refund on the later move), so that the days of a period add up to it.
/// Only a ticket refunded before (`refunded_at` earlier than the move) looks its previous move up.
/// What the after-sales cost card shows ([`super::costs`]).
const FILL_REFUNDS: &str = "
WITH moves AS (
    SELECT e.ticket_id, e.id, e.at, (e.data->>'refund_fen')::bigint AS fen FROM ticket_events e
    WHERE e.shop_id = $1 AND e.kind = 'status_changed' AND e.at >= $2 AND e.at < $3
      AND e.data->>'to' = 'refunded' AND e.data->>'refund_fen' IS NOT NULL
), paid AS (
    SELECT (m.at AT TIME ZONE $4)::date AS day, COALESCE(t.sku, '') AS sku,
           m.fen - COALESCE(CASE WHEN m.at > t.refunded_at THEN
               (SELECT (p.data->>'refund_fen')::bigint FROM ticket_events p
                WHERE p.shop_id = $1 AND p.ticket_id = m.ticket_id AND p.kind = 'status_changed'
                  AND p.data->>'to' = 'refunded' AND p.data->>'refund_fen' IS NOT NULL
                  AND (p.at, p.id) < (m.at, m.id)
                ORDER BY p.at DESC, p.id DESC LIMIT 1) END, 0) AS fen
    FROM moves m JOIN tickets t ON t.shop_id = $1 AND t.id = m.ticket_id
)
INSERT INTO report_days (shop_id, dim, span, start, value, refunds_paid_fen)
SELECT $1, 'sku', 'day', day, sku, GREATEST(LEAST(sum(fen), 9223372036854775807), -9223372036854775807)
FROM paid
GROUP BY day, sku
HAVING sum(fen) <> 0
ON CONFLICT (shop_id, dim, span, start, value) DO UPDATE SET refunds_paid_fen = EXCLUDED.refunds_paid_fen";

/// Tickets by closing day with their time to resolve: the total and the histogram. A ticket
/// merged into another (`merged_into`) is closed without being resolved — its case goes on in
/// the other — so it is not counted here: a merge changes no figure of the reports.
const FILL_CLOSED: &str = "
WITH closed AS (
    SELECT (t.closed_at AT TIME ZONE $4)::date AS day, COALESCE(t.sku, '') AS sku,
           COALESCE(l.category, '') AS category, t.reason, t.kind,
           GREATEST(round(extract(epoch FROM t.closed_at - t.opened_at)), 0)::bigint AS seconds
    FROM tickets t
    LEFT JOIN order_lines l ON l.shop_id = t.shop_id AND l.order_id = t.order_id AND l.sku = t.sku
    WHERE t.shop_id = $1 AND t.closed_at >= $2 AND t.closed_at < $3 AND t.merged_into IS NULL
), per_bucket AS (
    SELECT day, GROUPING(sku, category, reason, kind) AS g, COALESCE(sku, category, reason, kind, '') AS value,
           report_bucket(seconds) AS bucket, count(*)::int AS tickets, max(seconds) AS longest,
           sum(seconds) AS seconds
    FROM closed
    GROUP BY GROUPING SETS ((day, report_bucket(seconds)), (day, sku, report_bucket(seconds)),
                            (day, category, report_bucket(seconds)), (day, reason, report_bucket(seconds)),
                            (day, kind, report_bucket(seconds)))
)
INSERT INTO report_days (shop_id, dim, span, start, value, tickets_closed, resolve_seconds,
                         resolve_buckets, resolve_counts, resolve_max)
SELECT $1, CASE g WHEN 7 THEN 'sku' WHEN 11 THEN 'category' WHEN 13 THEN 'reason' WHEN 14 THEN 'kind'
           ELSE 'total' END,
       'day', day, value, sum(tickets), sum(seconds), array_agg(bucket ORDER BY bucket),
       array_agg(tickets ORDER BY bucket), array_agg(LEAST(longest, 2147483647)::int ORDER BY bucket)
FROM per_bucket
GROUP BY day, g, value
ON CONFLICT (shop_id, dim, span, start, value) DO UPDATE SET
    tickets_closed = EXCLUDED.tickets_closed, resolve_seconds = EXCLUDED.resolve_seconds,
    resolve_buckets = EXCLUDED.resolve_buckets, resolve_counts = EXCLUDED.resolve_counts,
    resolve_max = EXCLUDED.resolve_max";

/// Which figures of a stale day are to be recounted: a set of [`FAMILIES`], as the bits of
/// `report_stale.figures` (migration `…_report_marks_name_their_figures` says which change marks
/// which). A recount of some of them leaves the others of its days as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Figures(i16);

impl Figures {
    pub const NONE: Figures = Figures(0);
    /// Lines signed and returned, by the signing day.
    pub const LINES: Figures = Figures(1);
    /// Orders paid, refunded (for quality) and complained of, by the payment day.
    pub const ORDERS: Figures = Figures(2);
    /// Tickets opened and their refunds, by the opening day.
    pub const OPENED: Figures = Figures(4);
    /// Tickets closed and their time to resolve, by the closing day.
    pub const CLOSED: Figures = Figures(8);
    /// Refunds paid, by the day of each move to `refunded`.
    pub const REFUNDS: Figures = Figures(16);
    /// Every figure: what a mark asks for when it does not say.
    pub const ALL: Figures = Figures(31);

    /// The figures named by a mark's bits (bits beyond [`Figures::ALL`] are none of them).
    pub fn from_bits(bits: i16) -> Figures {
        Figures(bits & Figures::ALL.0)
    }

    /// The bits of `report_stale.figures` that name these figures.
    pub fn bits(self) -> i16 {
        self.0
    }

    pub fn contains(self, other: Figures) -> bool {
        self.0 & other.0 == other.0
    }

    /// The families of figures in the set, in the order they are filled.
    fn families(self) -> impl Iterator<Item = &'static Family> {
        FAMILIES.iter().filter(move |family| self.contains(family.figures))
    }
}

impl std::ops::BitOr for Figures {
    type Output = Figures;
    fn bitor(self, other: Figures) -> Figures {
        Figures(self.0 | other.0)
    }
}

/// Figures counted together: the fills that count them and the columns of `report_days` they
/// write, each with its value when nothing is counted.
struct Family {
    figures: Figures,
    fills: &'static [&'static str],
    columns: &'static [(&'static str, &'static str)],
}

/// Every figure of a day row, by family; each column of `report_days` is written by the fills of
/// one family only (a test holds the fills' columns to these lists).
const FAMILIES: [Family; 5] = [
    Family {
        figures: Figures::LINES,
        fills: &[FILL_LINES],
        columns: &[("lines_signed", "0"), ("lines_returned", "0")],
    },
    Family {
        figures: Figures::ORDERS,
        fills: &[FILL_ORDERS, FILL_ORDER_LINES],
        columns: &[
            ("orders_paid", "0"),
            ("orders_refunded", "0"),
            ("orders_quality", "0"),
            ("orders_complained", "0"),
        ],
    },
    Family {
        figures: Figures::OPENED,
        fills: &[FILL_OPENED],
        columns: &[
            ("tickets_opened", "0"),
            ("tickets_refunded", "0"),
            ("refund_fen", "0"),
            ("tickets_refund_estimated", "0"),
            ("refund_estimated_fen", "0"),
        ],
    },
    Family {
        figures: Figures::CLOSED,
        fills: &[FILL_CLOSED],
        columns: &[
            ("tickets_closed", "0"),
            ("resolve_seconds", "0"),
            ("resolve_buckets", "'{}'"),
            ("resolve_counts", "'{}'"),
            ("resolve_max", "'{}'"),
        ],
    },
    Family {
        figures: Figures::REFUNDS,
        fills: &[FILL_REFUNDS],
        columns: &[("refunds_paid_fen", "0")],
    },
];

/// `column = nothing, …` for the columns of `families` (joined by `joiner`).
fn nothing_counted<'a>(families: impl Iterator<Item = &'a Family>, joiner: &str) -> String {
    families
        .flat_map(|family| family.columns.iter())
        .map(|(column, nothing)| format!("{column} = {nothing}"))
        .collect::<Vec<_>>()
        .join(joiner)
}

/// Deletes the day rows of a shop (`$1`) from one day to another (`$2`, `$3`) that hold no
/// figure any more, once some were set to nothing ([`uncounted_cleared`]; a full
/// recount writes no such row: each fill's rows count at least one line, order or ticket, or a
/// refund).
fn emptied_rows_deleted() -> String {
    format!(
        "DELETE FROM report_days WHERE shop_id = $1 AND span = 'day' AND start BETWEEN $2 AND $3 AND {}",
        nothing_counted(Figures::ALL.families(), " AND "),
    )
}

/// The month rows of the groups `$2`/`$3` in the months `$4` (their first days): the sums of
/// their day rows, which the statement's `days` reads, each with the month it sums into.
macro_rules! fill_months {
    ($days:literal) => {
        concat!(
            "
WITH changed AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::date[]) AS c (dim, value, month)
), days AS (",
            $days,
            "), sums AS (
    SELECT dim, month, value,
           sum(lines_signed) AS lines_signed, sum(lines_returned) AS lines_returned,
           sum(orders_paid) AS orders_paid, sum(orders_refunded) AS orders_refunded,
           sum(orders_quality) AS orders_quality, sum(orders_complained) AS orders_complained,
           sum(tickets_opened) AS tickets_opened, sum(tickets_refunded) AS tickets_refunded,
           LEAST(sum(refund_fen), 9223372036854775807) AS refund_fen, sum(tickets_closed) AS tickets_closed,
           sum(resolve_seconds) AS resolve_seconds, sum(tickets_refund_estimated) AS tickets_refund_estimated,
           LEAST(sum(refund_estimated_fen), 9223372036854775807) AS refund_estimated_fen,
           GREATEST(LEAST(sum(refunds_paid_fen), 9223372036854775807), -9223372036854775807) AS refunds_paid_fen
    FROM days GROUP BY 1, 2, 3
), buckets AS (
    SELECT d.dim, d.month, d.value, h.bucket,
           sum(h.tickets)::int AS tickets, max(h.longest) AS longest
    FROM days d, unnest(d.resolve_buckets, d.resolve_counts, d.resolve_max) AS h (bucket, tickets, longest)
    GROUP BY 1, 2, 3, 4
), histograms AS (
    SELECT dim, month, value, array_agg(bucket ORDER BY bucket) AS resolve_buckets,
           array_agg(tickets ORDER BY bucket) AS resolve_counts, array_agg(longest ORDER BY bucket) AS resolve_max
    FROM buckets GROUP BY 1, 2, 3
)
INSERT INTO report_days (shop_id, dim, span, start, value, lines_signed, lines_returned, orders_paid,
                         orders_refunded, orders_quality, orders_complained, tickets_opened, tickets_refunded,
                         refund_fen, tickets_closed, resolve_seconds, tickets_refund_estimated, refund_estimated_fen,
                         refunds_paid_fen, resolve_buckets, resolve_counts, resolve_max)
SELECT $1, s.dim, 'month', s.month, s.value, s.lines_signed, s.lines_returned, s.orders_paid, s.orders_refunded,
       s.orders_quality, s.orders_complained, s.tickets_opened, s.tickets_refunded, s.refund_fen, s.tickets_closed,
       s.resolve_seconds, s.tickets_refund_estimated, s.refund_estimated_fen, s.refunds_paid_fen, COALESCE(h.resolve_buckets, '{}'), COALESCE(h.resolve_counts, '{}'),
       COALESCE(h.resolve_max, '{}')
FROM sums s LEFT JOIN histograms h USING (dim, month, value)"
        )
    };
}

/// [`fill_months!`] for a few groups: each group's days of its month read through
/// `report_days_groups` (a recount after a ticket or two changed: a dozen rows a group).
pub const FILL_MONTHS_FEW: &str = fill_months!(
    "
    SELECT d.*, c.month FROM changed c
    JOIN report_days d ON d.dim = c.dim AND d.value = c.value
                      AND d.start >= c.month AND d.start < c.month + interval '1 month'
    WHERE d.shop_id = $1 AND d.span = 'day'
"
);

/// [`fill_months!`] for many groups (a bulk load, a new zone): every day row of the months
/// between the first and the last read once and matched to the groups by hash.
pub const FILL_MONTHS_MANY: &str = fill_months!(
    "
    SELECT d.*, date_trunc('month', d.start)::date AS month FROM report_days d
    WHERE d.shop_id = $1 AND d.span = 'day'
      AND d.start >= (SELECT min(month) FROM changed)
      AND d.start < (SELECT max(month) FROM changed) + interval '1 month'
      AND (d.dim, d.value, date_trunc('month', d.start)::date) IN (SELECT dim, value, month FROM changed)
"
);

/// Up to how many groups a recount sums their months as [`FILL_MONTHS_FEW`] does. Measured on a
/// generated 100,000-ticket shop: eight groups of two months 1.7 ms that way against 344 ms as
/// [`FILL_MONTHS_MANY`] (which read the 277,580 day rows of the months between); every group of
/// the year 3.4 s against 1.9 s (docs/PERFORMANCE.md).
const FEW_MONTH_GROUPS: usize = 256;

/// Whether a refresh waits for one already running for the same shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Busy {
    /// Wait, then recount what is still stale (imports, the background task).
    Wait,
    /// Leave the days to the recount under way and read what is there, at most that recount's
    /// few seconds old (reports: a reader never queues behind a recount).
    Skip,
}

/// Recounts every stale day of `shop` (and the month rows of the groups that changed). Returns
/// the days recounted. Cheap when nothing is stale: one index probe.
pub async fn refresh(pool: &PgPool, shop: ShopId, busy: Busy) -> sqlx::Result<usize> {
    let days: Vec<NaiveDate> =
        sqlx::query_scalar("SELECT DISTINCT day FROM report_stale WHERE shop_id = $1 ORDER BY day")
            .bind(shop)
            .fetch_all(pool)
            .await?;
    let mut recounted = 0;
    for (first, last) in chunks(&days, CHUNK_DAYS) {
        match recount(pool, shop, first, last, busy, Size::Chunk).await? {
            Some(days) => recounted += days,
            None => break,
        }
    }
    Ok(recounted)
}

/// Recounts every stale day of a shop in one transaction, with the memory a year's figures take
/// to hash and sort in (a few hundred MB): for the benchmark generator, which has just written a
/// year and runs alone. A month at a time, each month's fills read again what every month
/// shares (the order lines, the accepted returns of the whole timeline): on the generated big
/// shop the return-rate fill took 6.2 s a month, 74 s the year, against 47 s for the year at once
/// (`EXPLAIN ANALYZE`). Returns the days recounted.
pub async fn refresh_in_bulk(pool: &PgPool, shop: ShopId) -> sqlx::Result<usize> {
    let days: Vec<NaiveDate> =
        sqlx::query_scalar("SELECT DISTINCT day FROM report_stale WHERE shop_id = $1 ORDER BY day")
            .bind(shop)
            .fetch_all(pool)
            .await?;
    let (Some(&first), Some(&last)) = (days.first(), days.last()) else {
        return Ok(0);
    };
    Ok(recount(pool, shop, first, last, Busy::Wait, Size::Bulk)
        .await?
        .unwrap_or(0))
}

/// Marks every day a shop has data on stale: for bulk loaders that write with the triggers
/// switched off (`session_replication_role = replica`), like the benchmark generator.
pub async fn mark_all_stale(pool: &PgPool, shop: ShopId) -> sqlx::Result<()> {
    sqlx::query("SELECT report_mark_shop($1)")
        .bind(shop)
        .execute(pool)
        .await?;
    Ok(())
}

/// After a shop's time zone changed (in the transaction of `conn`): every day falls elsewhere,
/// so its figures are dropped and every day it has data on is marked for a recount.
pub async fn shop_rezoned(conn: &mut sqlx::PgConnection, shop: ShopId) -> sqlx::Result<()> {
    for statement in [
        "DELETE FROM report_days WHERE shop_id = $1",
        "DELETE FROM report_stale WHERE shop_id = $1",
        "SELECT report_mark_shop($1)",
    ] {
        sqlx::query(statement).bind(shop).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Days of every shop whose figures wait for a recount.
pub async fn stale_days_in_all(pool: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM report_stale")
        .fetch_one(pool)
        .await
}

/// Days between `first` and `last` whose figures wait for a recount.
pub async fn stale_days(pool: &PgPool, shop: ShopId, first: NaiveDate, last: NaiveDate) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(DISTINCT day) FROM report_stale WHERE shop_id = $1 AND day BETWEEN $2 AND $3")
        .bind(shop)
        .bind(first)
        .bind(last)
        .fetch_one(pool)
        .await
}

/// Refreshes every shop with stale days (after a bulk load, and in the background).
pub async fn refresh_all(pool: &PgPool) -> sqlx::Result<usize> {
    let shops: Vec<ShopId> = sqlx::query_scalar("SELECT DISTINCT shop_id FROM report_stale")
        .fetch_all(pool)
        .await?;
    let mut recounted = 0;
    for shop in shops {
        recounted += refresh(pool, shop, Busy::Wait).await?;
    }
    Ok(recounted)
}

/// Set while [`run_refresher`] runs in this process: reports then read the figures as counted
/// (at most one interval and a recount old) instead of recounting stale days themselves.
static REFRESHER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a background recount keeps the figures of this process's shops fresh.
pub fn refresher_running() -> bool {
    REFRESHER.load(std::sync::atomic::Ordering::Relaxed)
}

/// Runs [`refresh_all`] every `interval`. While it runs, reports do not recount on read, so a
/// report never waits for the recount of a busy hour's changes. Errors are logged and the next
/// round tries again.
pub async fn run_refresher(pool: PgPool, interval: std::time::Duration) {
    REFRESHER.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match refresh_all(&pool).await {
            Ok(0) => {}
            Ok(days) => tracing::debug!(days, "report figures recounted"),
            Err(error) => tracing::warn!(%error, "recounting report figures failed; retrying next round"),
        }
    }
}

/// Sorted stale days grouped into runs of consecutive days (first, last), each at most
/// `most_days` long ([`CHUNK_DAYS`]): a run is recounted with one range scan per table.
pub fn chunks(days: &[NaiveDate], most_days: i64) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for &day in days {
        match out.last_mut() {
            Some((first, last)) if day <= *last + Duration::days(1) && (day - *first).num_days() < most_days => {
                *last = (*last).max(day)
            }
            _ => out.push((day, day)),
        }
    }
    out
}

/// What a recount of at most a month sets in its transaction: a month of a large shop's lines
/// hashes and sorts in memory rather than in batches on disk (twice as fast measured); one
/// recount per shop runs at a time.
const CHUNK_SETTINGS: [&str; 1] = ["SET LOCAL work_mem = '64MB'"];

/// What a recount of every stale day of a shop ([`refresh_in_bulk`]) sets: more memory, and its
/// joins by hash only. Each fill finds the tickets of its days' orders through
/// `order_id IN (SELECT … FROM` a CTE`)`, whose distinct ids the planner cannot count (a CTE has
/// no statistics: it guesses 200); for a year of the big shop's 2.9 million orders it then
/// probed the tickets' order index once per order — the lines' fill 97 s, 48 s by hash; the
/// orders' 42 and 133 s during the generation, 10 and 52 s by hash (docs/PERFORMANCE.md).
pub const BULK_SETTINGS: [&str; 2] = ["SET LOCAL work_mem = '256MB'", "SET LOCAL enable_nestloop = off"];

/// Every statement that fills day rows, family after family, as a recount of every figure runs
/// them.
pub fn every_fill() -> impl Iterator<Item = &'static str> {
    FAMILIES.iter().flat_map(|family| family.fills.iter().copied())
}

/// The stage a recount of every stale day of a shop ([`refresh_in_bulk`]) counts into before it
/// writes each day row once ([`stage_written`]): `report_days`' columns without their
/// constraints (a family's fill leaves the others' figures null), dropped at the end of the
/// transaction. Filled straight into `report_days`, each family after the first wrote again
/// the rows the first had written — on the generated big shop the orders' fill per SKU took
/// 18.2 s to count and 37.3 s with its writing over the lines' rows (docs/PERFORMANCE.md).
pub const STAGE_CREATED: &str =
    "CREATE TEMPORARY TABLE report_days_stage ON COMMIT DROP AS SELECT * FROM report_days WITH NO DATA";

/// Every fill, family after family, as a recount of every stale day of a shop runs it: into
/// the stage ([`STAGE_CREATED`]).
pub fn every_staged_fill() -> impl Iterator<Item = String> {
    every_fill().map(|fill| {
        let Some((with, columns, rows, _)) = fill_parts(fill) else {
            unreachable!("every fill inserts WITH … INSERT INTO report_days (…) SELECT … ON CONFLICT …: {fill}")
        };
        format!("{with}INSERT INTO report_days_stage ({columns}){rows}")
    })
}

/// Writes the stage's rows to `report_days`, one row a group and day: each figure from the one
/// family that counts it (the fills of a family count a row at most once, and no two families
/// count the same figure), nothing where its family counted none.
fn stage_written() -> String {
    let figures: Vec<&(&str, &str)> = FAMILIES.iter().flat_map(|family| family.columns.iter()).collect();
    let columns = figures.iter().map(|(column, _)| *column).collect::<Vec<_>>().join(", ");
    let merged = figures
        .iter()
        .map(|(column, nothing)| format!("COALESCE(max({column}), {nothing})"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO report_days (shop_id, dim, span, start, value, {columns})
         SELECT shop_id, dim, span, start, value, {merged} FROM report_days_stage
         GROUP BY shop_id, dim, span, start, value"
    )
}

/// How much a recount takes at once: what sets the memory its fills hash and sort in, and how
/// they join ([`CHUNK_SETTINGS`], [`BULK_SETTINGS`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Size {
    /// At most a month ([`CHUNK_DAYS`]), on a desk that is serving.
    Chunk,
    /// Every stale day of the shop ([`refresh_in_bulk`]).
    Bulk,
}

/// Recounts the stale days between `first` and `last` in one transaction, serialised per shop;
/// `None` when another recount holds the shop and `busy` says not to wait.
async fn recount(
    pool: &PgPool,
    shop: ShopId,
    first: NaiveDate,
    last: NaiveDate,
    busy: Busy,
    size: Size,
) -> sqlx::Result<Option<usize>> {
    let mut tx = pool.begin().await?;
    let locked: bool = match busy {
        Busy::Wait => {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('report_days', $1))")
                .bind(shop)
                .execute(&mut *tx)
                .await?;
            true
        }
        Busy::Skip => {
            sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended('report_days', $1))")
                .bind(shop)
                .fetch_one(&mut *tx)
                .await?
        }
    };
    if !locked {
        tx.rollback().await?;
        return Ok(None);
    }
    let settings: &[&'static str] = match size {
        Size::Chunk => &CHUNK_SETTINGS,
        Size::Bulk => &BULK_SETTINGS,
    };
    for setting in settings {
        sqlx::query(*setting).execute(&mut *tx).await?;
    }
    // Read inside the lock (a refresh that ran meanwhile has recounted its days), deleted by id
    // at the end: marks made while this recount runs stay for the next one.
    let marks: Vec<(i64, NaiveDate, i16)> =
        sqlx::query_as("SELECT id, day, figures FROM report_stale WHERE shop_id = $1 AND day BETWEEN $2 AND $3")
            .bind(shop)
            .bind(first)
            .bind(last)
            .fetch_all(&mut *tx)
            .await?;
    let (Some(from_day), Some(to_day)) = (
        marks.iter().map(|(_, day, _)| *day).min(),
        marks.iter().map(|(_, day, _)| *day).max(),
    ) else {
        tx.commit().await?;
        return Ok(Some(0));
    };
    let zone_name: String = sqlx::query_scalar("SELECT time_zone FROM shops WHERE id = $1")
        .bind(shop)
        .fetch_one(&mut *tx)
        .await?;
    let zone: Tz = zone_name.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    let (from, to) = Period {
        from: from_day,
        to: to_day,
    }
    .bounds(zone);
    // Only the figures the marks ask for: a complaint on an old order changes its payment day's
    // order figures, not the lines signed on it or the tickets opened on it.
    let figures = marks.iter().fold(Figures::NONE, |figures, (_, _, bits)| {
        figures | Figures::from_bits(*bits)
    });
    let days = Recounted {
        shop,
        from,
        to,
        from_day,
        to_day,
        zone: &zone_name,
    };
    let changed = match (figures == Figures::ALL, size) {
        (true, Size::Chunk) => days.whole(&mut tx).await?,
        (true, Size::Bulk) => days.whole_in_bulk(&mut tx).await?,
        (false, _) => days.changes(&mut tx, figures).await?,
    };
    if !changed.is_empty() {
        let dims: Vec<&str> = changed.iter().map(|(dim, _, _)| dim.as_str()).collect();
        let values: Vec<&str> = changed.iter().map(|(_, value, _)| value.as_str()).collect();
        let months: Vec<NaiveDate> = changed.iter().map(|(_, _, month)| *month).collect();
        sqlx::query(
            "DELETE FROM report_days r USING unnest($2::text[], $3::text[], $4::date[]) AS c (dim, value, month)
             WHERE r.shop_id = $1 AND r.span = 'month' AND r.dim = c.dim AND r.start = c.month AND r.value = c.value",
        )
        .bind(shop)
        .bind(&dims)
        .bind(&values)
        .bind(&months)
        .execute(&mut *tx)
        .await?;
        let fill = if changed.len() <= FEW_MONTH_GROUPS {
            FILL_MONTHS_FEW
        } else {
            // Many groups are matched to their months' day rows by hash: seeing an `unnest` of
            // unknown size, the planner would otherwise probe an index once per group, which
            // was minutes when a bulk load changed every group (39 s for one month through the
            // primary key, before `report_days_groups`).
            sqlx::query("SET LOCAL enable_nestloop = off").execute(&mut *tx).await?;
            FILL_MONTHS_MANY
        };
        sqlx::query(fill)
            .bind(shop)
            .bind(&dims)
            .bind(&values)
            .bind(&months)
            .execute(&mut *tx)
            .await?;
    }
    let ids: Vec<i64> = marks.iter().map(|(id, _, _)| *id).collect();
    sqlx::query("DELETE FROM report_stale WHERE shop_id = $1 AND id = ANY($2)")
        .bind(shop)
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some((to_day - from_day).num_days() as usize + 1))
}

/// The days a recount counts again: a shop's, from one day to another, and the instants they
/// span in its zone.
struct Recounted<'a> {
    shop: ShopId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    from_day: NaiveDate,
    to_day: NaiveDate,
    zone: &'a str,
}

/// A row of `report_days` by its group and day: dimension, value, day.
type RowKey = (String, String, NaiveDate);

impl Recounted<'_> {
    /// Deletes the days' rows ([`DAYS_CLEARED`]), before they are counted again.
    async fn cleared(&self, tx: &mut sqlx::PgConnection) -> sqlx::Result<()> {
        sqlx::query(DAYS_CLEARED)
            .bind(self.shop)
            .bind(self.from_day)
            .bind(self.to_day)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// Counts every figure of the days again: their rows deleted, then filled. Answers the groups
    /// (dimension, value, month) whose day rows are not what they were.
    async fn whole(&self, tx: &mut sqlx::PgConnection) -> sqlx::Result<Vec<(String, String, NaiveDate)>> {
        // What the days held before, to recount only the month rows of groups that changed (a
        // ticket that moves changes a few groups of a day; its month has thousands).
        let before = fingerprints(&mut *tx, self.shop, self.from_day, self.to_day).await?;
        self.cleared(&mut *tx).await?;
        for fill in every_fill() {
            sqlx::query_with(fill, self.arguments()?).execute(&mut *tx).await?;
        }
        let after = fingerprints(&mut *tx, self.shop, self.from_day, self.to_day).await?;
        Ok(changed_groups(&before, &after))
    }

    /// Counts every figure of every stale day of a shop again, as [`Recounted::whole`] does but
    /// through the stage ([`every_staged_fill`], [`stage_written`]). Answers every group
    /// (dimension, value, month) the days had before or have now: after a bulk load nearly all
    /// of them changed, and telling those that did not by a digest of each row took 12 s for
    /// the big shop's year.
    async fn whole_in_bulk(&self, tx: &mut sqlx::PgConnection) -> sqlx::Result<Vec<(String, String, NaiveDate)>> {
        let mut groups: std::collections::BTreeSet<RowKey> = sqlx::query_as(
            "SELECT DISTINCT dim, value, date_trunc('month', start)::date FROM report_days
             WHERE shop_id = $1 AND span = 'day' AND start BETWEEN $2 AND $3",
        )
        .bind(self.shop)
        .bind(self.from_day)
        .bind(self.to_day)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        self.cleared(&mut *tx).await?;
        sqlx::query(STAGE_CREATED).execute(&mut *tx).await?;
        for fill in every_staged_fill() {
            sqlx::query_with(sqlx::AssertSqlSafe(fill), self.arguments()?)
                .execute(&mut *tx)
                .await?;
        }
        let counted: Vec<RowKey> =
            sqlx::query_as("SELECT DISTINCT dim, value, date_trunc('month', start)::date FROM report_days_stage")
                .fetch_all(&mut *tx)
                .await?;
        groups.extend(counted);
        sqlx::query(sqlx::AssertSqlSafe(stage_written()))
            .execute(&mut *tx)
            .await?;
        Ok(groups.into_iter().collect())
    }

    /// Counts the figures `figures` of the days again, writing only the rows they change: each
    /// fill writes the rows whose figures differ from what it counts ([`changes_only`]), then
    /// the family's figures are set to nothing in the rows it counted none for
    /// ([`uncounted_cleared`]), and the rows left with no figure at all are deleted. A complaint
    /// on an old order changes its payment day's complaint counts in two or three rows of the
    /// hundreds its fills count. Answers the groups (dimension, value, month) changed.
    async fn changes(
        &self,
        tx: &mut sqlx::PgConnection,
        figures: Figures,
    ) -> sqlx::Result<Vec<(String, String, NaiveDate)>> {
        let mut changed: std::collections::BTreeSet<(String, String, NaiveDate)> = std::collections::BTreeSet::new();
        for family in figures.families() {
            let (mut dims, mut values, mut days) = (Vec::new(), Vec::new(), Vec::new());
            for fill in family.fills {
                let counted: Vec<(String, String, NaiveDate, bool)> =
                    sqlx::query_as_with(sqlx::AssertSqlSafe(changes_only(fill)), self.arguments()?)
                        .fetch_all(&mut *tx)
                        .await?;
                for (dim, value, day, written) in counted {
                    if written {
                        changed.insert((dim.clone(), value.clone(), month_of(day)));
                    }
                    dims.push(dim);
                    values.push(value);
                    days.push(day);
                }
            }
            let cleared: Vec<RowKey> = sqlx::query_as(sqlx::AssertSqlSafe(uncounted_cleared(family)))
                .bind(self.shop)
                .bind(self.from_day)
                .bind(self.to_day)
                .bind(&dims)
                .bind(&values)
                .bind(&days)
                .fetch_all(&mut *tx)
                .await?;
            changed.extend(cleared.into_iter().map(|(dim, value, day)| (dim, value, month_of(day))));
        }
        sqlx::query(sqlx::AssertSqlSafe(emptied_rows_deleted()))
            .bind(self.shop)
            .bind(self.from_day)
            .bind(self.to_day)
            .execute(&mut *tx)
            .await?;
        Ok(changed.into_iter().collect())
    }

    /// A fill's parameters: the shop, the instants, the zone, the quality reasons.
    fn arguments(&self) -> sqlx::Result<sqlx::postgres::PgArguments> {
        use sqlx::Arguments;
        let mut arguments = sqlx::postgres::PgArguments::default();
        arguments.add(self.shop).map_err(sqlx::Error::Encode)?;
        arguments.add(self.from).map_err(sqlx::Error::Encode)?;
        arguments.add(self.to).map_err(sqlx::Error::Encode)?;
        arguments.add(self.zone).map_err(sqlx::Error::Encode)?;
        arguments.add(QUALITY_REASONS.to_vec()).map_err(sqlx::Error::Encode)?;
        Ok(arguments)
    }
}

/// The parts of a fill: what comes before its `INSERT` (its `WITH`), the columns it inserts,
/// the `SELECT` of its rows and its `ON CONFLICT` clause. `None` for a statement not of that
/// shape (a test holds every fill to it).
fn fill_parts(fill: &str) -> Option<(&str, &str, &str, &str)> {
    let (with, rest) = fill.split_once("INSERT INTO report_days (")?;
    let (columns, rest) = rest.split_once(')')?;
    let (rows, conflict) = rest.split_once("ON CONFLICT")?;
    with.trim_start()
        .starts_with("WITH")
        .then_some((with, columns, rows, conflict))
}

/// The columns of a fill's `INSERT` that hold figures (not the row's key).
fn figure_columns(columns: &str) -> Vec<&str> {
    columns
        .split(',')
        .map(str::trim)
        .filter(|column| !["shop_id", "dim", "span", "start", "value"].contains(column))
        .collect()
}

/// `fill` made to write only the rows whose figures it changes (an unchanged row is not written
/// again: no new row version, no index entry, not even the lock an `ON CONFLICT` that leaves a
/// row takes on it), answering every row it counted — dimension, value, day — and whether it was
/// written. Every table it reads is named with the shop (`$1`), so that on Citus the whole
/// statement goes to the shop's node (a subquery correlated to a CTE is refused otherwise).
/// Measured on a day of 723 rows of a 100,000-ticket shop: 17–19 ms, against 43 for
/// the fill that writes every row again (and 14 more to set them to nothing before).
fn changes_only(fill: &str) -> String {
    let Some((with, columns, rows, conflict)) = fill_parts(fill) else {
        unreachable!("every fill inserts WITH … INSERT INTO report_days (…) SELECT … ON CONFLICT …: {fill}")
    };
    let figures = figure_columns(columns);
    let joined = |prefix: &str| {
        figures
            .iter()
            .map(|column| format!("{prefix}.{column}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "{with}, counted ({columns}) AS ({rows}), changed AS (
             SELECT * FROM counted c WHERE NOT EXISTS (
                 SELECT 1 FROM report_days r
                 WHERE r.shop_id = $1 AND r.dim = c.dim AND r.span = c.span AND r.start = c.start
                   AND r.value = c.value AND ({}) IS NOT DISTINCT FROM ({}))
         ), written AS (
             INSERT INTO report_days ({columns}) SELECT {columns} FROM changed
             ON CONFLICT{conflict}
             WHERE ({}) IS DISTINCT FROM ({})
             RETURNING dim, value, start
         )
         SELECT c.dim, c.value, c.start, w.start IS NOT NULL FROM counted c
         LEFT JOIN written w ON w.dim = c.dim AND w.value = c.value AND w.start = c.start",
        joined("r"),
        joined("c"),
        joined("report_days"),
        joined("EXCLUDED"),
    )
}

/// Sets the figures of `family` to nothing in the day rows of a shop (`$1`) from one day
/// to another (`$2`, `$3`) that hold some of them but were not counted by its fills this time
/// (the rows `$4`, `$5`, `$6`: dimensions, values, days); answers those rows. `NOT IN`, for the
/// counted rows are looked up in a hash of them (none is null): as `NOT EXISTS` the planner
/// merged them with the day's rows by day alone, every row against every other (34 ms for one
/// day of 953 rows, against 1.5).
fn uncounted_cleared(family: &Family) -> String {
    format!(
        "UPDATE report_days r SET {} WHERE r.shop_id = $1 AND r.span = 'day' AND r.start BETWEEN $2 AND $3
           AND NOT ({})
           AND (r.dim, r.value, r.start) NOT IN (SELECT * FROM unnest($4::text[], $5::text[], $6::date[]))
         RETURNING r.dim, r.value, r.start",
        nothing_counted(std::iter::once(family), ", "),
        nothing_counted(std::iter::once(family), " AND "),
    )
}

/// The day rows of a shop (`$1`) from one day to another (`$2`, `$3`): each row's group and a
/// digest of all it holds. Found by the days' index (`report_days_days`), as [`DAYS_CLEARED`].
pub const DAY_FINGERPRINTS: &str = "SELECT dim, value, start, md5(r::text) FROM report_days r
     WHERE shop_id = $1 AND span = 'day' AND start BETWEEN $2 AND $3";

/// Deletes the day rows of [`DAY_FINGERPRINTS`], before they are counted again.
pub const DAYS_CLEARED: &str =
    "DELETE FROM report_days WHERE shop_id = $1 AND span = 'day' AND start BETWEEN $2 AND $3";

/// A day row's group and a digest of all it holds.
type Fingerprints = BTreeMap<(String, String, NaiveDate), String>;

async fn fingerprints(
    tx: &mut sqlx::PgConnection,
    shop: ShopId,
    first: NaiveDate,
    last: NaiveDate,
) -> sqlx::Result<Fingerprints> {
    let rows: Vec<(String, String, NaiveDate, String)> = sqlx::query_as(DAY_FINGERPRINTS)
        .bind(shop)
        .bind(first)
        .bind(last)
        .fetch_all(&mut *tx)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(dim, value, start, digest)| ((dim, value, start), digest))
        .collect())
}

/// The groups (dimension, value, month) whose day rows differ between `before` and `after`.
fn changed_groups(before: &Fingerprints, after: &Fingerprints) -> Vec<(String, String, NaiveDate)> {
    let mut changed: std::collections::BTreeSet<(String, String, NaiveDate)> = std::collections::BTreeSet::new();
    for (key, digest) in before {
        if after.get(key) != Some(digest) {
            changed.insert((key.0.clone(), key.1.clone(), month_of(key.2)));
        }
    }
    for (key, digest) in after {
        if before.get(key) != Some(digest) {
            changed.insert((key.0.clone(), key.1.clone(), month_of(key.2)));
        }
    }
    changed.into_iter().collect()
}

/// The first day of the month of `day`.
fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The first day of the month after that of `day`.
fn next_month(day: NaiveDate) -> NaiveDate {
    let first = month_of(day);
    first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first + Duration::days(31))
}

/// The months of `period` read from the month rows, `[first day, first day after)`: its whole
/// months; none (both ends the day after the period) when it has none, or when it is read by
/// time bucket (`by_time`: a week is not made of months). Its other days are read from the day
/// rows.
pub fn month_rows(period: Period, by_time: bool) -> (NaiveDate, NaiveDate) {
    match whole_months(period) {
        (first, end) if first < end && !by_time => (first, end),
        _ => {
            let after = period.to + Duration::days(1);
            (after, after)
        }
    }
}

/// What the days of a period's last month after its end hold, as far as a reader knows: on a
/// period that ends today the rest of the month is still to come, and has no rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DaysAfter {
    /// Perhaps some rows.
    Unknown,
    /// No row of the figures read.
    Nothing,
}

/// [`month_rows`], and the months at either end worth reading as their month row less the day
/// rows of their days outside the period: those whose days inside outnumber the days outside
/// that may hold rows (a year from the 5th reads 4 day rows of its first month instead of 27;
/// with [`DaysAfter::Nothing`], a period ending on the 7th reads its last month's row and none
/// of its days). For sums only: what the day rows outside take back is told by their days
/// (before `period.from`, after `period.to`), so the figures are the same whichever way a month
/// is read — `after` only says which costs less.
pub fn month_rows_netted(period: Period, by_time: bool, after: DaysAfter) -> (NaiveDate, NaiveDate) {
    if by_time {
        return month_rows(period, by_time);
    }
    // Whether the month starting on `month` costs fewer rows as its month row less its days
    // outside the period than as its days inside.
    let worth_netting = |month: NaiveDate| {
        let last = next_month(month) - Duration::days(1);
        let inside = (last.min(period.to) - month.max(period.from)).num_days() + 1;
        let before = (period.from - month).num_days().max(0);
        let later = match after {
            DaysAfter::Unknown => (last - period.to).num_days().max(0),
            DaysAfter::Nothing => 0,
        };
        inside > before + later
    };
    let (head, tail) = (month_of(period.from), month_of(period.to));
    let first = if worth_netting(head) { head } else { next_month(head) };
    let end = if worth_netting(tail) { next_month(tail) } else { tail };
    if first < end {
        (first, end)
    } else {
        let after = period.to + Duration::days(1);
        (after, after)
    }
}

/// [`month_rows_netted`] for the rows of `dim` (of the cost card's refunds too: `report_days`'
/// SKU rows): whether the days of the period's last month after its end hold any row is asked
/// when the answer could change the reading. A period ending today — most reports: this month,
/// the last 30 days, the last year — then reads its last month's row instead of each of its
/// days' (on the big shop a year by SKU read 28,000 day rows of its last week, of 65,000).
/// Only the cost depends on the answer: a row written after it, for a day after the period, is
/// taken back by the read like any other (see [`month_rows_netted`]).
pub async fn netted_months(
    pool: &PgPool,
    shop: ShopId,
    period: Period,
    dim: &str,
    by_time: bool,
) -> sqlx::Result<(NaiveDate, NaiveDate)> {
    let unknown = month_rows_netted(period, by_time, DaysAfter::Unknown);
    let month_after = next_month(period.to);
    let ends_its_month = period.to + Duration::days(1) == month_after;
    if by_time || ends_its_month || unknown.1 == month_after {
        return Ok(unknown);
    }
    let any_after: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM report_days
                        WHERE shop_id = $1 AND dim = $2 AND span = 'day' AND start > $3 AND start < $4)",
    )
    .bind(shop)
    .bind(dim)
    .bind(period.to)
    .bind(month_after)
    .fetch_one(pool)
    .await?;
    Ok(if any_after {
        unknown
    } else {
        month_rows_netted(period, by_time, DaysAfter::Nothing)
    })
}

/// The whole months inside `period` as `[first day, first day after)`; empty (both ends equal)
/// when there is none.
pub fn whole_months(period: Period) -> (NaiveDate, NaiveDate) {
    let first = if period.from.day() == 1 {
        period.from
    } else {
        next_month(period.from)
    };
    let end = if (period.to + Duration::days(1)).day() == 1 {
        period.to + Duration::days(1)
    } else {
        month_of(period.to)
    };
    if first < end { (first, end) } else { (first, first) }
}

/// The summed counts of one group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counts {
    pub lines_signed: i64,
    pub lines_returned: i64,
    pub orders_paid: i64,
    pub orders_refunded: i64,
    pub orders_quality: i64,
    pub orders_complained: i64,
    pub tickets_opened: i64,
    pub tickets_refunded: i64,
    pub refund_fen: i64,
    pub tickets_closed: i64,
    pub resolve_seconds: i64,
    /// Of the tickets refunded, those with no amount recorded, counted at the amount paid.
    pub tickets_refund_estimated: i64,
    /// The part of `refund_fen` counted so.
    pub refund_estimated_fen: i64,
    /// Empty unless read with [`Detail::WithP90`].
    pub resolve: ResolveHistogram,
}

impl Counts {
    /// Average hours from opening to closing.
    pub fn avg_hours(&self) -> Option<f64> {
        (self.tickets_closed > 0).then(|| self.resolve_seconds as f64 / self.tickets_closed as f64 / 3600.0)
    }
}

/// How much to read: the histograms behind the p90 cost most (one per group and month).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    WithP90,
    WithoutP90,
}

/// The rows of a period: whole months from the month rows (`$5`–`$6`), the days before and
/// after them from the day rows (`$3`–`$5`, `$6`–`$4`). The key is the time bucket for day, week
/// and month, else the SKU, category, reason or kind (`''` for the total).
macro_rules! period_rows {
    () => {
        "FROM report_days
         WHERE shop_id = $1 AND dim = $2
           AND ((span = 'month' AND start >= $5 AND start < $6)
                OR (span = 'day' AND start >= $3 AND start < $5)
                OR (span = 'day' AND start >= $6 AND start <= $4))"
    };
}

/// The key of a row (`$7` is the grouping).
macro_rules! period_key {
    () => {
        "SELECT CASE WHEN $7 IN ('day', 'week', 'month') THEN to_char(date_trunc($7, start::timestamp), 'YYYY-MM-DD')
                ELSE value END AS key,"
    };
}

/// The rows of a period read netted ([`netted_months`]): the month rows `$5`–`$6`, the days
/// of the period before and after them, and, taken back (`sign` −1), the days of those months
/// outside the period (before `$3`, after `$4`). `OFFSET 0` keeps the subquery whole, so that
/// each row's sign is worked out once: pulled up into the sums, it was worked out again for
/// each of the thirteen (a year by SKU, some 46,000 rows: 72 ms against 51 ms).
macro_rules! netted_rows {
    () => {
        "FROM (SELECT d.*, CASE WHEN d.span = 'day' AND (d.start < $3 OR d.start > $4) THEN -1 ELSE 1 END AS sign
               FROM report_days d
               WHERE d.shop_id = $1 AND d.dim = $2
                 AND ((d.span = 'month' AND d.start >= $5 AND d.start < $6)
                      OR (d.span = 'day' AND d.start >= $3 AND d.start < $5)
                      OR (d.span = 'day' AND d.start >= $5 AND d.start < $3)
                      OR (d.span = 'day' AND d.start >= $6 AND d.start <= $4)
                      OR (d.span = 'day' AND d.start > $4 AND d.start < $6))
               OFFSET 0) AS r"
    };
}

const READ_SUMS: &str = concat!(
    period_key!(),
    "
            sum(sign * lines_signed)::int8, sum(sign * lines_returned)::int8, sum(sign * orders_paid)::int8,
            sum(sign * orders_refunded)::int8, sum(sign * orders_quality)::int8, sum(sign * orders_complained)::int8,
            sum(sign * tickets_opened)::int8, sum(sign * tickets_refunded)::int8,
            LEAST(sum(sign * refund_fen), 9223372036854775807)::int8, sum(sign * tickets_closed)::int8,
            sum(sign * resolve_seconds)::int8, sum(sign * tickets_refund_estimated)::int8,
            LEAST(sum(sign * refund_estimated_fen), 9223372036854775807)::int8 ",
    netted_rows!(),
    " GROUP BY 1",
    // A group with nothing in the period (its month's figures all on days outside it), or with
    // refunds paid and nothing else (the cost card's alone), is no row of these.
    " HAVING sum(sign * lines_signed) > 0 OR sum(sign * orders_paid) > 0 OR sum(sign * tickets_opened) > 0
             OR sum(sign * tickets_closed) > 0"
);

// Merged here rather than by `unnest` in the database: a year by SKU is some 70,000 small
// arrays, which PostgreSQL unnests and regroups several times slower than a loop does.
const READ_HISTOGRAMS: &str = concat!(
    period_key!(),
    "
            resolve_buckets, resolve_counts, resolve_max ",
    period_rows!(),
    " AND tickets_closed > 0"
);

type SumsRow = (String, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);
/// Key, buckets, tickets per bucket, longest time per bucket.
type HistogramRow = (String, Vec<i16>, Vec<i32>, Vec<i32>);

/// The counts of `period` per group (refresh first for figures as of now).
pub async fn read(
    pool: &PgPool,
    shop: ShopId,
    period: Period,
    by: GroupBy,
    detail: Detail,
) -> sqlx::Result<BTreeMap<String, Counts>> {
    let dim = match by {
        GroupBy::Sku => "sku",
        GroupBy::Category => "category",
        GroupBy::Reason => "reason",
        GroupBy::Kind => "kind",
        GroupBy::Day | GroupBy::Week | GroupBy::Month | GroupBy::Total => "total",
    };
    read_dim(pool, shop, period, dim, by.as_str(), by.is_time(), detail).await
}

/// The counts of `period` per ticket kind and reason together, keyed `kind/reason` (without
/// the p90): what the refund-reason charts split by kind.
pub async fn read_kind_reasons(pool: &PgPool, shop: ShopId, period: Period) -> sqlx::Result<BTreeMap<String, Counts>> {
    read_dim(
        pool,
        shop,
        period,
        "kind_reason",
        "kind_reason",
        false,
        Detail::WithoutP90,
    )
    .await
}

/// The rows of one dimension (`report_days.dim`), keyed by time bucket when `key_by` is `day`,
/// `week` or `month`, else by value.
async fn read_dim(
    pool: &PgPool,
    shop: ShopId,
    period: Period,
    dim: &str,
    key_by: &str,
    is_time: bool,
    detail: Detail,
) -> sqlx::Result<BTreeMap<String, Counts>> {
    let (month_from, month_to) = month_rows(period, is_time);
    let (netted_from, netted_to) = netted_months(pool, shop, period, dim, is_time).await?;
    let sums: Vec<SumsRow> = sqlx::query_as(READ_SUMS)
        .bind(shop)
        .bind(dim)
        .bind(period.from)
        .bind(period.to)
        .bind(netted_from)
        .bind(netted_to)
        .bind(key_by)
        .fetch_all(pool)
        .await?;
    let mut out: BTreeMap<String, Counts> = BTreeMap::new();
    for (
        key,
        signed,
        returned,
        paid,
        refunded,
        quality,
        complained,
        opened,
        tickets_refunded,
        fen,
        closed,
        seconds,
        estimated,
        estimated_fen,
    ) in sums
    {
        let counts = out.entry(key).or_default();
        counts.lines_signed = signed;
        counts.lines_returned = returned;
        counts.orders_paid = paid;
        counts.orders_refunded = refunded;
        counts.orders_quality = quality;
        counts.orders_complained = complained;
        counts.tickets_opened = opened;
        counts.tickets_refunded = tickets_refunded;
        counts.refund_fen = fen;
        counts.tickets_closed = closed;
        counts.resolve_seconds = seconds;
        counts.tickets_refund_estimated = estimated;
        counts.refund_estimated_fen = estimated_fen;
    }
    if detail == Detail::WithP90 {
        let histograms: Vec<HistogramRow> = sqlx::query_as(READ_HISTOGRAMS)
            .bind(shop)
            .bind(dim)
            .bind(period.from)
            .bind(period.to)
            .bind(month_from)
            .bind(month_to)
            .bind(key_by)
            .fetch_all(pool)
            .await?;
        for (key, buckets, tickets, longest) in histograms {
            let histogram = &mut out.entry(key).or_default().resolve;
            for ((bucket, count), max) in buckets.into_iter().zip(tickets).zip(longest) {
                histogram.add(bucket, i64::from(count), i64::from(max));
            }
        }
    }
    // Rows that only ever held counts now gone (a ticket moved away) carry nothing.
    out.retain(|_, counts| *counts != Counts::default());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn period(from: &str, to: &str) -> Period {
        Period::new(day(from), day(to)).expect("valid")
    }

    /// The columns a fill's `INSERT` writes besides the row's key.
    fn written(fill: &str) -> Vec<String> {
        let list = fill
            .split("INSERT INTO report_days (")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .expect("a fill inserts into report_days");
        figure_columns(list).into_iter().map(str::to_string).collect()
    }

    /// Every fill written only where it changes a row: the same rows counted, those already
    /// holding what is counted left out before any is written, every row counted answered.
    #[test]
    fn each_fill_writes_only_the_rows_whose_figures_it_changes() {
        for family in &FAMILIES {
            for fill in family.fills {
                let (_, columns, rows, _) = fill_parts(fill).expect("a fill of the usual shape");
                let statement = changes_only(fill);
                assert!(statement.contains(rows), "{statement}");
                assert!(statement.contains(&format!("counted ({columns}) AS (")), "{statement}");
                let figures = written(fill);
                let compared = format!(
                    "WHERE ({}) IS DISTINCT FROM ({})",
                    figures
                        .iter()
                        .map(|c| format!("report_days.{c}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    figures
                        .iter()
                        .map(|c| format!("EXCLUDED.{c}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
                assert!(statement.contains(&compared), "{statement}");
                let kept = format!(
                    "AND ({}) IS NOT DISTINCT FROM ({})",
                    figures.iter().map(|c| format!("r.{c}")).collect::<Vec<_>>().join(", "),
                    figures.iter().map(|c| format!("c.{c}")).collect::<Vec<_>>().join(", "),
                );
                assert!(
                    statement.contains(&kept),
                    "rows already holding what is counted are left out: {statement}"
                );
                assert!(
                    statement.contains("SELECT c.dim, c.value, c.start, w.start IS NOT NULL FROM counted c"),
                    "{statement}"
                );
            }
        }
        for months in [FILL_MONTHS_FEW, FILL_MONTHS_MANY] {
            assert_eq!(fill_parts(months), None, "the month rows are not a fill of days");
        }
    }

    #[test]
    fn each_family_clears_exactly_the_columns_its_fills_write() {
        let mut every = Vec::new();
        for family in &FAMILIES {
            let mut by_fills: Vec<String> = family.fills.iter().flat_map(|fill| written(fill)).collect();
            by_fills.sort();
            by_fills.dedup();
            let mut cleared: Vec<String> = family.columns.iter().map(|(c, _)| c.to_string()).collect();
            cleared.sort();
            assert_eq!(by_fills, cleared, "{:?}", family.figures);
            every.extend(cleared);
        }
        // No column is written by two families, and the month rows sum every one of them.
        let count = every.len();
        every.sort();
        every.dedup();
        assert_eq!(every.len(), count, "{every:?}");
        for months in [FILL_MONTHS_FEW, FILL_MONTHS_MANY] {
            let mut summed = written(months);
            summed.sort();
            assert_eq!(summed, every);
        }
        // Every fill belongs to one family.
        let fills: Vec<&str> = every_fill().collect();
        for fill in [
            FILL_LINES,
            FILL_ORDERS,
            FILL_ORDER_LINES,
            FILL_OPENED,
            FILL_CLOSED,
            FILL_REFUNDS,
        ] {
            assert_eq!(fills.iter().filter(|f| **f == fill).count(), 1);
        }
    }

    /// A recount of every stale day of a shop counts each fill into the stage, as it would into
    /// `report_days` but with no conflict to meet, then writes every figure of every family once.
    #[test]
    fn a_bulk_recount_counts_every_fill_into_the_stage_and_writes_each_row_once() {
        let staged: Vec<String> = every_staged_fill().collect();
        let fills: Vec<&str> = every_fill().collect();
        assert_eq!(staged.len(), fills.len());
        for (staged, fill) in staged.iter().zip(&fills) {
            let (with, columns, rows, _) = fill_parts(fill).expect("a fill of the usual shape");
            assert!(staged.starts_with(with), "{staged}");
            assert!(
                staged.contains(&format!("INSERT INTO report_days_stage ({columns}){rows}")),
                "{staged}"
            );
            assert!(!staged.contains("ON CONFLICT"), "{staged}");
            assert!(!staged.contains("INSERT INTO report_days ("), "{staged}");
        }
        let written_once = stage_written();
        let mut every: Vec<String> = written(&written_once);
        let count = every.len();
        every.sort();
        every.dedup();
        assert_eq!(every.len(), count, "{written_once}");
        let mut figures: Vec<String> = FAMILIES
            .iter()
            .flat_map(|family| family.columns.iter().map(|(c, _)| c.to_string()))
            .collect();
        figures.sort();
        assert_eq!(every, figures);
        for family in &FAMILIES {
            for (column, nothing) in family.columns {
                assert!(
                    written_once.contains(&format!("COALESCE(max({column}), {nothing})")),
                    "{written_once}"
                );
            }
        }
        assert!(written_once.contains("FROM report_days_stage"), "{written_once}");
        assert!(STAGE_CREATED.contains("CREATE TEMPORARY TABLE report_days_stage ON COMMIT DROP"));
    }

    #[test]
    fn a_recount_of_some_figures_runs_their_fills_and_clears_only_their_columns() {
        let orders_and_refunds = Figures::ORDERS | Figures::REFUNDS;
        let fills: Vec<&str> = orders_and_refunds
            .families()
            .flat_map(|f| f.fills.iter().copied())
            .collect();
        assert_eq!(fills, vec![FILL_ORDERS, FILL_ORDER_LINES, FILL_REFUNDS]);
        let cleared: Vec<String> = orders_and_refunds.families().map(uncounted_cleared).collect();
        assert!(cleared[0].contains("orders_complained = 0"), "{cleared:?}");
        assert!(cleared[1].contains("refunds_paid_fen = 0"), "{cleared:?}");
        assert!(!cleared[0].contains("refunds_paid_fen"), "{cleared:?}");
        assert!(!cleared.iter().any(|c| c.contains("lines_signed")), "{cleared:?}");
        assert!(!cleared.iter().any(|c| c.contains("tickets_opened")), "{cleared:?}");
        assert_eq!(Figures::ALL.families().count(), FAMILIES.len());
        assert_eq!(Figures::NONE.families().count(), 0);
        assert_eq!(
            Figures::LINES | Figures::ORDERS | Figures::OPENED | Figures::CLOSED | Figures::REFUNDS,
            Figures::ALL
        );
        assert_eq!(Figures::from_bits(-1), Figures::ALL);
        assert!(emptied_rows_deleted().contains("resolve_buckets = '{}'"));
    }

    #[test]
    fn only_the_groups_whose_days_changed_are_recounted_by_month() {
        let key = |dim: &str, value: &str, d: &str| (dim.to_string(), value.to_string(), day(d));
        let before: Fingerprints = [
            (key("sku", "A", "2025-03-05"), "1".to_string()),
            (key("sku", "B", "2025-03-05"), "2".to_string()),
            (key("sku", "C", "2025-04-01"), "3".to_string()),
        ]
        .into_iter()
        .collect();
        let after: Fingerprints = [
            (key("sku", "A", "2025-03-05"), "1".to_string()),
            (key("sku", "B", "2025-03-05"), "changed".to_string()),
            (key("total", "", "2025-04-01"), "new".to_string()),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            changed_groups(&before, &after),
            vec![
                key("sku", "B", "2025-03-01"),
                key("sku", "C", "2025-04-01"),
                key("total", "", "2025-04-01")
            ]
        );
        assert!(changed_groups(&after, &after).is_empty());
    }

    #[test]
    fn whole_months_of_a_period() {
        assert_eq!(
            whole_months(period("2025-03-01", "2025-03-31")),
            (day("2025-03-01"), day("2025-04-01"))
        );
        assert_eq!(
            whole_months(period("2025-01-15", "2025-04-10")),
            (day("2025-02-01"), day("2025-04-01"))
        );
        assert_eq!(
            whole_months(period("2024-11-23", "2025-11-22")),
            (day("2024-12-01"), day("2025-11-01"))
        );
        // February of a leap year ends on the 29th.
        assert_eq!(
            whole_months(period("2024-02-01", "2024-02-29")),
            (day("2024-02-01"), day("2024-03-01"))
        );
        let (first, end) = whole_months(period("2025-03-02", "2025-03-30"));
        assert_eq!(first, end, "no whole month");
        let (first, end) = whole_months(period("2025-03-15", "2025-04-14"));
        assert_eq!(first, end, "no whole month across a month end");
    }

    #[test]
    fn a_month_the_period_holds_most_of_is_read_as_its_month_row_less_the_days_outside() {
        // A year from the 5th: its first month (27 of 31 days) netted, its last (4 days) by day.
        assert_eq!(
            month_rows_netted(period("2025-12-05", "2026-12-04"), false, DaysAfter::Unknown),
            (day("2025-12-01"), day("2026-12-01"))
        );
        assert_eq!(
            month_rows_netted(period("2025-01-20", "2025-04-25"), false, DaysAfter::Unknown),
            (day("2025-02-01"), day("2025-05-01"))
        );
        // Within one month: netted when it holds more than half of it, else day by day.
        assert_eq!(
            month_rows_netted(period("2026-03-10", "2026-03-31"), false, DaysAfter::Unknown),
            (day("2026-03-01"), day("2026-04-01"))
        );
        assert_eq!(
            month_rows_netted(period("2026-03-20", "2026-03-31"), false, DaysAfter::Unknown),
            (day("2026-04-01"), day("2026-04-01"))
        );
        assert_eq!(
            month_rows_netted(period("2024-02-01", "2024-02-29"), false, DaysAfter::Unknown),
            (day("2024-02-01"), day("2024-03-01"))
        );
        // Across a month end, each side on its own.
        assert_eq!(
            month_rows_netted(period("2025-03-05", "2025-04-03"), false, DaysAfter::Unknown),
            (day("2025-03-01"), day("2025-04-01"))
        );
        // Time buckets read days only.
        let (first, end) = month_rows_netted(period("2025-12-05", "2026-12-04"), true, DaysAfter::Unknown);
        assert_eq!((first, end), (day("2026-12-05"), day("2026-12-05")));
    }

    #[test]
    fn a_last_month_with_nothing_after_the_period_is_read_as_its_month_row() {
        // (from, to, month rows read): with nothing after `to`, the last month is its row alone.
        let cases = [
            // A year ending on the 4th: its last month's row instead of four days.
            ("2025-12-05", "2026-12-04", ("2025-12-01", "2027-01-01")),
            // This month so far, and a period ending on a month's first day.
            ("2026-12-01", "2026-12-07", ("2026-12-01", "2027-01-01")),
            ("2026-11-08", "2026-12-01", ("2026-11-01", "2027-01-01")),
            // Within one month the days before the period still count: netted when the days
            // inside outnumber them, else day by day.
            ("2026-03-10", "2026-03-20", ("2026-03-01", "2026-04-01")),
            ("2026-03-20", "2026-03-25", ("2026-03-26", "2026-03-26")),
            // A first month mostly outside the period stays day by day.
            ("2026-01-28", "2026-03-04", ("2026-02-01", "2026-04-01")),
        ];
        for (from, to, (first, end)) in cases {
            assert_eq!(
                month_rows_netted(period(from, to), false, DaysAfter::Nothing),
                (day(first), day(end)),
                "{from}..{to}"
            );
        }
        // Time buckets read days only, whatever follows.
        assert_eq!(
            month_rows_netted(period("2026-12-01", "2026-12-07"), true, DaysAfter::Nothing),
            (day("2026-12-08"), day("2026-12-08"))
        );
        // What is known never makes a month read by its days that would be read netted anyway.
        for (from, to) in [
            ("2025-12-05", "2026-12-04"),
            ("2025-01-20", "2025-04-25"),
            ("2026-03-10", "2026-03-31"),
        ] {
            let unknown = month_rows_netted(period(from, to), false, DaysAfter::Unknown);
            let known = month_rows_netted(period(from, to), false, DaysAfter::Nothing);
            assert!(known.0 <= unknown.0 && known.1 >= unknown.1, "{from}..{to}");
        }
    }

    #[test]
    fn stale_days_are_grouped_into_runs_of_at_most_a_month() {
        assert!(chunks(&[], CHUNK_DAYS).is_empty());
        let days = [
            day("2025-01-01"),
            day("2025-01-02"),
            day("2025-01-03"),
            day("2025-01-20"),
            day("2025-02-05"),
        ];
        assert_eq!(
            chunks(&days, CHUNK_DAYS),
            vec![
                (day("2025-01-01"), day("2025-01-03")),
                (day("2025-01-20"), day("2025-01-20")),
                (day("2025-02-05"), day("2025-02-05"))
            ]
        );
        let year: Vec<NaiveDate> = (0..365).map(|n| day("2025-01-01") + Duration::days(n)).collect();
        let spans = chunks(&year, CHUNK_DAYS);
        assert_eq!(spans.len(), 12);
        assert!(spans.iter().all(|(a, b)| (*b - *a).num_days() < CHUNK_DAYS));
        assert_eq!(spans.first().map(|s| s.0), Some(day("2025-01-01")));
        assert_eq!(spans.last().map(|s| s.1), Some(day("2025-12-31")));
    }
}

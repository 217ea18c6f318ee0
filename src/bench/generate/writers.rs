//! Writers: one task per table, each copying the COPY-text batches it receives on its own
//! connection; the batch being filled (COPY text escaping); and the hand-made formatting of
//! the timestamps the generator writes its millions of rows with. (Event data is written as
//! `EventData` writes it.)

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::sync::mpsc;

use super::{BATCH_BYTES, DAY, HOUR};
use crate::search::text::Doc;

#[derive(Clone, Copy, Debug)]
pub(super) enum Table {
    Customers,
    Orders,
    OrderLines,
    Tickets,
    Events,
    BuyerSearch,
    OrderSearch,
    TicketSearch,
}

impl Table {
    /// In the order the generator takes their batches.
    pub(super) const ALL: [Table; 8] = [
        Table::Customers,
        Table::Orders,
        Table::OrderLines,
        Table::Tickets,
        Table::Events,
        Table::BuyerSearch,
        Table::OrderSearch,
        Table::TicketSearch,
    ];

    /// The table it copies into.
    pub(super) fn name(self) -> &'static str {
        match self {
            Table::Customers => "customers",
            Table::Orders => "orders",
            Table::OrderLines => "order_lines",
            Table::Tickets => "tickets",
            Table::Events => "ticket_events",
            Table::BuyerSearch => "buyer_search",
            Table::OrderSearch => "order_search",
            Table::TicketSearch => "ticket_search",
        }
    }

    fn copy_statement(self) -> &'static str {
        match self {
            Table::Customers => "COPY customers (shop_id, id, nick, name, phone, address) FROM STDIN",
            Table::Orders => {
                "COPY orders (shop_id, id, order_no, customer_id, paid_at, shipped_at, signed_at, note, created_at,
                              updated_at) FROM STDIN"
            }
            Table::OrderLines => {
                "COPY order_lines (shop_id, order_id, sku, title, category, quantity, unit_price_fen,
                                   no_reason_exclusion) FROM STDIN"
            }
            Table::Tickets => {
                "COPY tickets (shop_id, id, kind, status, held_from, reason, description, order_id, sku, customer_id,
                               assignee_id, priority, refund_fen, resolution, intact, seven_day_verdict, seven_day,
                               platform_deadline_at, version, opened_at, follow_up_due_at, last_follow_up_at,
                               closed_at, created_by, created_at, updated_at, next_escalation_at, order_shipped,
                               agreed_at, buyer_shipped_at, goods_received_at, timer_due_at, refunded_at,
                               approved_refund_fen, refunded_fen) FROM STDIN"
            }
            Table::Events => "COPY ticket_events (shop_id, ticket_id, at, actor_id, kind, data) FROM STDIN",
            // Binary (`DocBatch`): PostgreSQL reads a document's binary form without parsing it.
            Table::BuyerSearch => "COPY buyer_search (shop_id, customer_id, doc) FROM STDIN (FORMAT binary)",
            Table::OrderSearch => "COPY order_search (shop_id, order_id, doc) FROM STDIN (FORMAT binary)",
            Table::TicketSearch => "COPY ticket_search (shop_id, ticket_id, doc) FROM STDIN (FORMAT binary)",
        }
    }
}

/// Copies every batch received into `table`, one COPY per batch.
pub(super) async fn write_table(
    pool: PgPool,
    table: Table,
    mut batches: mpsc::Receiver<Vec<u8>>,
) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    let result = async {
        while let Some(batch) = batches.recv().await {
            // A transaction per batch, its settings its own (the pooled connection is left as it
            // was found). Foreign keys are consistent by construction (see the module's
            // documentation). On Citus the settings reach the workers' shards too, which a
            // session's own settings do not.
            sqlx::raw_sql(
                "BEGIN; SET LOCAL citus.propagate_set_commands = 'local';
                 SET LOCAL session_replication_role = replica; SET LOCAL synchronous_commit = off",
            )
            .execute(&mut *conn)
            .await?;
            let mut copy = conn.copy_in_raw(table.copy_statement()).await?;
            copy.send(batch).await?;
            copy.finish().await?;
            sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
        }
        anyhow::Ok(())
    }
    .await;
    if result.is_err() {
        // A batch that failed leaves its transaction open: it is rolled back, not returned so.
        conn.close_on_drop();
    }
    result.map_err(|e| anyhow::anyhow!("writing {table:?}: {e}"))
}

/// A COPY text batch being filled for one table.
pub(super) struct Batch {
    buf: Vec<u8>,
    tx: mpsc::Sender<Vec<u8>>,
}

impl Batch {
    pub(super) fn new(tx: mpsc::Sender<Vec<u8>>) -> Batch {
        Batch {
            buf: Vec::with_capacity(BATCH_BYTES + 64 * 1024),
            tx,
        }
    }

    /// Ends a row; hands the batch over when it is full. False when the writer has gone.
    pub(super) fn end_row(&mut self) -> bool {
        if let Some(last) = self.buf.last_mut() {
            *last = b'\n';
        }
        if self.buf.len() >= BATCH_BYTES {
            return self.flush();
        }
        true
    }

    pub(super) fn flush(&mut self) -> bool {
        if self.buf.is_empty() {
            return true;
        }
        let full = std::mem::replace(&mut self.buf, Vec::with_capacity(BATCH_BYTES + 64 * 1024));
        self.tx.blocking_send(full).is_ok()
    }

    pub(super) fn int(&mut self, v: i64) {
        let _ = std::io::Write::write_fmt(&mut self.buf, format_args!("{v}\t"));
    }

    pub(super) fn opt_int(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }

    pub(super) fn null(&mut self) {
        self.buf.extend_from_slice(b"\\N\t");
    }

    pub(super) fn bool(&mut self, v: Option<bool>) {
        match v {
            Some(true) => self.buf.extend_from_slice(b"t\t"),
            Some(false) => self.buf.extend_from_slice(b"f\t"),
            None => self.null(),
        }
    }

    /// Text, escaped for COPY's text format.
    pub(super) fn text(&mut self, s: &str) {
        for &byte in s.as_bytes() {
            match byte {
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                _ => self.buf.push(byte),
            }
        }
        self.buf.push(b'\t');
    }

    pub(super) fn opt_text(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    pub(super) fn ts(&mut self, secs: i64) {
        push_timestamp(&mut self.buf, secs, b' ', b"+00");
        self.buf.push(b'\t');
    }

    pub(super) fn opt_ts(&mut self, secs: Option<i64>) {
        match secs {
            Some(s) => self.ts(s),
            None => self.null(),
        }
    }
}

/// The start of a COPY in PostgreSQL's binary format: its signature, no flags, no extension.
const BINARY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// The end of a COPY in PostgreSQL's binary format: a row of −1 fields.
const BINARY_TRAILER: [u8; 2] = (-1i16).to_be_bytes();

/// A COPY batch of a search table (shop, id, document) being filled, in PostgreSQL's binary
/// format: the documents go in as a `tsvector`'s binary form ([`Doc::write_binary`]), which
/// PostgreSQL takes as it is, where their text has to be parsed lexeme by lexeme. Copied from a
/// generated 100,000-ticket shop's own tables, the tickets' documents went in in 2.5 s instead
/// of 5.4, the orders' in 0.9 s instead of 3.3 (docs/PERFORMANCE.md).
pub(super) struct DocBatch {
    buf: Vec<u8>,
    tx: mpsc::Sender<Vec<u8>>,
}

impl DocBatch {
    pub(super) fn new(tx: mpsc::Sender<Vec<u8>>) -> DocBatch {
        DocBatch {
            buf: DocBatch::started(),
            tx,
        }
    }

    fn started() -> Vec<u8> {
        let mut buf = Vec::with_capacity(BATCH_BYTES + 64 * 1024);
        buf.extend_from_slice(BINARY_HEADER);
        buf
    }

    /// Adds a row; hands the batch over when it is full. False when the writer has gone.
    pub(super) fn row(&mut self, shop: i64, id: i64, doc: &Doc) -> bool {
        self.buf.extend_from_slice(&3i16.to_be_bytes());
        for value in [shop, id] {
            self.buf.extend_from_slice(&8i32.to_be_bytes());
            self.buf.extend_from_slice(&value.to_be_bytes());
        }
        let length_at = self.buf.len();
        self.buf.extend_from_slice(&0i32.to_be_bytes());
        doc.write_binary(&mut self.buf);
        let length = i32::try_from(self.buf.len() - length_at - 4).unwrap_or(i32::MAX);
        self.buf[length_at..length_at + 4].copy_from_slice(&length.to_be_bytes());
        if self.buf.len() >= BATCH_BYTES {
            return self.flush();
        }
        true
    }

    pub(super) fn flush(&mut self) -> bool {
        if self.buf.len() == BINARY_HEADER.len() {
            return true;
        }
        let mut full = std::mem::replace(&mut self.buf, DocBatch::started());
        full.extend_from_slice(&BINARY_TRAILER);
        self.tx.blocking_send(full).is_ok()
    }
}

/// Days since 1970-01-01 → (year, month, day) (H. Hinnant's `civil_from_days`).
pub(super) fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD<sep>HH:MM:SS<zone>` of a Unix time in whole seconds.
fn push_timestamp(buf: &mut Vec<u8>, secs: i64, sep: u8, zone: &[u8]) {
    let (y, mo, d) = civil(secs.div_euclid(DAY));
    let s = secs.rem_euclid(DAY);
    let two = |buf: &mut Vec<u8>, v: i64| {
        buf.push(b'0' + u8::try_from(v / 10 % 10).unwrap_or(0));
        buf.push(b'0' + u8::try_from(v % 10).unwrap_or(0));
    };
    two(buf, y / 100);
    two(buf, y % 100);
    buf.push(b'-');
    two(buf, mo);
    buf.push(b'-');
    two(buf, d);
    buf.push(sep);
    two(buf, s / HOUR);
    buf.push(b':');
    two(buf, s % HOUR / 60);
    buf.push(b':');
    two(buf, s % 60);
    buf.extend_from_slice(zone);
}

pub(super) fn datetime(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::events::{EventData, Note};

    #[test]
    fn timestamps_are_formatted_as_postgres_does() {
        let secs = 1_795_409_671; // 2026-11-23T04:54:31Z
        let mut buf = Vec::new();
        push_timestamp(&mut buf, secs, b' ', b"+00");
        assert_eq!(buf, b"2026-11-23 04:54:31+00");
        for secs in [0, 951_782_400, 1_709_164_800, 4_102_444_800] {
            let mut buf = Vec::new();
            push_timestamp(&mut buf, secs, b' ', b"+00");
            let expected = datetime(secs).format("%Y-%m-%d %H:%M:%S+00").to_string();
            assert_eq!(String::from_utf8(buf).unwrap_or_default(), expected);
        }
    }

    #[test]
    fn copy_text_is_escaped() {
        let (tx, _rx) = mpsc::channel(1);
        let mut batch = Batch::new(tx);
        batch.text("a\tb\\c\nd");
        batch.null();
        assert!(batch.end_row());
        assert_eq!(batch.buf, b"a\\tb\\\\c\\nd\t\\N\n");
    }

    #[test]
    fn event_data_is_escaped_for_copy_and_reads_back() {
        let note = EventData::Note(Note {
            text: "say \"hi\"\\\n\tok".to_string(),
        });
        let mut data = Vec::new();
        note.write_data(&mut data).expect("writes");
        let (tx, _rx) = mpsc::channel(1);
        let mut batch = Batch::new(tx);
        batch.text(std::str::from_utf8(&data).expect("UTF-8"));
        assert!(batch.end_row());
        // COPY's text format reads `\\` as a backslash; JSON's own escapes survive the trip.
        let copied = String::from_utf8(batch.buf).expect("UTF-8");
        let read = copied.trim_end_matches('\n').replace("\\\\", "\\");
        let value: serde_json::Value = serde_json::from_str(&read).expect("JSON");
        assert_eq!(EventData::from_stored("note", value).expect("a note"), note);
    }
}

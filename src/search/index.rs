//! The search's index: the tables `ticket_search`, `buyer_search` and `order_search` (one
//! `tsvector` per ticket, buyer and order, with a GIN index) and `search_pending`, the queue of
//! what changed and is to be indexed again (only appended to: one row per change, so that a
//! change made while its row is being indexed is listed again, and no writer waits on the
//! indexer).
//!
//! Whoever writes a ticket, its timeline, a buyer, an order or its lines — the service, an
//! import, the sweep, a bulk loader — the database's triggers put the row in `search_pending`
//! in the same transaction (`migrations/…_search.sql`): nothing written is missed. An event with
//! words of its own is listed as itself rather than as its ticket, and its words are added to
//! the ticket's document (`index_tickets`): a ticket's next follow-up costs the same whether it
//! has two events or two hundred. The desk
//! then indexes it in Rust ([`drain`]): every server's worker does so within a second, and a
//! search first indexes what is pending in its shop, so that it finds everything committed
//! before it.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use super::text::{Doc, Source};
use crate::ids::ShopId;
use crate::tickets::EventData;
use crate::tickets::events::GoodsRecord;

/// What a pending row is about: a ticket's, buyer's or order's document to build, or an event
/// whose words join its ticket's document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Kind {
    Ticket,
    Buyer,
    Order,
    Event,
}

/// A row taken from the queue: the shop, the kind, the id of the row (of the ticket, for an
/// event), and for an event its key in `ticket_events` (id and date).
#[derive(sqlx::FromRow)]
struct Taken {
    shop_id: ShopId,
    kind: Kind,
    id: i64,
    event_id: Option<i64>,
    event_at: Option<DateTime<Utc>>,
}

/// Rows indexed per statement.
const CHUNK: usize = 500;

/// The events with words of the tickets `$2` (of the shop `$1`), each ticket's read from the
/// month of its opening `$3` on, oldest first.
///
/// `OFFSET 0` keeps the read per ticket: one probe of its index in each month from its
/// opening. Without it PostgreSQL may flatten the subquery into a join, and from a few hundred
/// tickets on it hashed them against a parallel scan of every month of the timeline: 300 ms for
/// 500 new tickets of a 100,000-ticket shop, against 3 ms probed (`EXPLAIN ANALYZE`), and a
/// tenth of the database's time while tickets were being created.
pub const TIMELINES_WORDS: &str = concat!(
    "SELECT e.ticket_id, e.kind, e.data
     FROM unnest($2::bigint[], $3::timestamptz[]) AS q(id, opened_at)
     CROSS JOIN LATERAL (
         SELECT e.ticket_id, e.id, e.kind, e.data FROM ticket_events e
         WHERE e.shop_id = $1 AND e.ticket_id = q.id AND e.at >= q.opened_at - ",
    crate::tickets::repo::clock_margin!(),
    "      AND e.kind IN ('follow_up', 'note', 'status_changed', 'override', 'return_visit', 'evidence_added', 'link')
         OFFSET 0
     ) e
     ORDER BY e.ticket_id, e.id"
);

/// The events of the shop `$1` whose keys are `$2` (ids) and `$3` (dates), by ticket: one probe
/// of one month's primary key an event, kept so by `OFFSET 0` as in [`TIMELINES_WORDS`] (flat,
/// 5,000 keys were hashed against every event of the shop: 980 ms against 15 ms).
pub const EVENTS_BY_KEY: &str = "SELECT e.ticket_id, e.kind, e.data
     FROM unnest($2::bigint[], $3::timestamptz[]) AS q(id, at)
     CROSS JOIN LATERAL (
         SELECT e.ticket_id, e.id, e.kind, e.data FROM ticket_events e
         WHERE e.shop_id = $1 AND e.id = q.id AND e.at = q.at
         OFFSET 0
     ) e
     ORDER BY e.ticket_id, e.id";

/// What one [`drain`] did: the pending rows it took, and the documents it indexed from them (a
/// row listed twice counts once).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Drained {
    pub rows: usize,
    pub documents: usize,
}

impl Drained {
    /// Whether the drain took as many rows as it could (`limit`): more may be waiting.
    pub fn took_all_it_could(&self, limit: i64) -> bool {
        i64::try_from(self.rows).unwrap_or(i64::MAX) >= limit
    }
}

/// Rows of every shop waiting to be indexed.
pub async fn pending_rows(pool: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM search_pending")
        .fetch_one(pool)
        .await
}

/// Indexes up to `limit` pending rows of any shop, skipping those another server is indexing.
pub async fn drain(pool: &PgPool, limit: i64) -> sqlx::Result<Drained> {
    // Shop by shop, the one whose row waits longest first (on Citus only a statement on one shop
    // may lock rows); a shop whose rows another server holds is passed over.
    let mut drained = Drained::default();
    let mut left = limit;
    let mut seen: Vec<ShopId> = Vec::new();
    while left > 0 {
        let Some(shop) = longest_waiting_shop(pool, &seen).await? else {
            break;
        };
        seen.push(shop);
        let (taken, documents) = take_and_index(pool, shop, left, Waiting::Skip).await?;
        left -= taken as i64;
        drained.rows += taken;
        drained.documents += documents;
    }
    Ok(drained)
}

/// The shop whose pending row has waited longest, leaving out `passed_over`.
async fn longest_waiting_shop(pool: &PgPool, passed_over: &[ShopId]) -> sqlx::Result<Option<ShopId>> {
    sqlx::query_scalar("SELECT shop_id FROM search_pending WHERE shop_id <> ALL ($1) ORDER BY seq LIMIT 1")
        .bind(passed_over)
        .fetch_optional(pool)
        .await
}

/// Whether [`take_and_index`] skips the rows another server is indexing or waits for them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Waiting {
    Skip,
    Wait,
}

/// Takes up to `limit` pending rows of `shop`, oldest first, and indexes them, in one
/// transaction. Returns the rows taken and the documents indexed.
async fn take_and_index(pool: &PgPool, shop: ShopId, limit: i64, waiting: Waiting) -> sqlx::Result<(usize, usize)> {
    macro_rules! take {
        ($lock:literal) => {
            concat!(
                "DELETE FROM search_pending p
                 USING (SELECT seq FROM search_pending WHERE shop_id = $1 ORDER BY seq LIMIT $2 ",
                $lock,
                ") x
                 WHERE p.shop_id = $1 AND p.seq = x.seq
                 RETURNING p.shop_id, p.kind, p.id, p.event_id, p.event_at"
            )
        };
    }
    let statement = match waiting {
        Waiting::Skip => take!("FOR UPDATE SKIP LOCKED"),
        Waiting::Wait => take!("FOR UPDATE"),
    };
    let mut tx = pool.begin().await?;
    let taken: Vec<Taken> = sqlx::query_as(statement)
        .bind(shop)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    let indexed = index_taken(&mut tx, &taken).await?;
    tx.commit().await?;
    Ok((taken.len(), indexed))
}

/// Indexes what is pending in `shop`, up to `limit` rows, waiting for rows another server is
/// indexing (so that what was committed before is found once this returns): called when
/// something is pending (a search reads that with its tops, and again after). Returns how many
/// were indexed.
pub async fn catch_up(pool: &PgPool, shop: ShopId, limit: i64) -> sqlx::Result<usize> {
    let (_, indexed) = take_and_index(pool, shop, limit, Waiting::Wait).await?;
    Ok(indexed)
}

/// Puts every ticket, buyer and order of `shop` in the pending list (after a bulk load that
/// wrote with the triggers deferred, or to rebuild the index), instead of what was listed for it
/// (which the whole shop covers: a row listed twice would be indexed twice).
pub async fn enqueue_shop(pool: &PgPool, shop: ShopId) -> sqlx::Result<u64> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM search_pending WHERE shop_id = $1")
        .bind(shop)
        .execute(&mut *tx)
        .await?;
    let mut total = 0;
    for statement in [
        "INSERT INTO search_pending (shop_id, kind, id) SELECT shop_id, 'ticket', id FROM tickets WHERE shop_id = $1",
        "INSERT INTO search_pending (shop_id, kind, id) SELECT shop_id, 'buyer', id FROM customers WHERE shop_id = $1",
        "INSERT INTO search_pending (shop_id, kind, id) SELECT shop_id, 'order', id FROM orders WHERE shop_id = $1",
    ] {
        total += sqlx::query(statement)
            .bind(shop)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    tx.commit().await?;
    Ok(total)
}

/// The bulk loaders' connection setting: rows they write are not put in the pending list one
/// statement at a time (the loader enqueues the whole shop at the end, [`enqueue_shop`]).
pub const DEFER_SETTING: &str = "SET aftersales.search_deferred = 'on'";

/// Rows a bulk drain takes per transaction.
const BULK_BATCH: i64 = 2_000;

/// Indexes every pending row of the database, in batches, calling `progress` with the count so
/// far: the `search-index` command and the benchmark generator. As many workers as the machine
/// has cores (at most four) take batches side by side, each on its own connection, so that one
/// builds documents while another's are written; each keeps to a shop until nothing of it is
/// left (choosing a shop reads the whole queue, once a shop rather than once a batch).
pub async fn drain_all(pool: &PgPool, mut progress: impl FnMut(usize)) -> sqlx::Result<usize> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    let (sender, mut counts) = tokio::sync::mpsc::unbounded_channel::<usize>();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let pool = pool.clone();
        let sender = sender.clone();
        tasks.spawn(async move { drain_shops(&pool, &sender).await });
    }
    drop(sender);
    let mut done = 0;
    let mut result = Ok(());
    loop {
        tokio::select! {
            Some(n) = counts.recv() => {
                done += n;
                progress(done);
            }
            finished = tasks.join_next() => match finished {
                None => break,
                Some(Ok(Ok(()))) => {}
                Some(Ok(Err(error))) => {
                    result = Err(error);
                    tasks.abort_all();
                }
                Some(Err(error)) if error.is_cancelled() => {}
                Some(Err(error)) => std::panic::resume_unwind(error.into_panic()),
            },
        }
    }
    while let Ok(n) = counts.try_recv() {
        done += n;
        progress(done);
    }
    result.map(|()| done)
}

/// One worker of [`drain_all`]: shop after shop, the one whose row waits longest first, takes
/// and indexes batches until none is left, sending the documents indexed; returns once a pass
/// over the queue found nothing to take (rows other workers hold are theirs).
async fn drain_shops(pool: &PgPool, indexed: &tokio::sync::mpsc::UnboundedSender<usize>) -> sqlx::Result<()> {
    loop {
        let mut seen: Vec<ShopId> = Vec::new();
        let mut took_any = false;
        while let Some(shop) = longest_waiting_shop(pool, &seen).await? {
            seen.push(shop);
            loop {
                let (taken, documents) = take_and_index(pool, shop, BULK_BATCH, Waiting::Skip).await?;
                if taken == 0 {
                    break;
                }
                took_any = true;
                // The receiver is gone only when the drain stopped on another worker's error.
                let _ = indexed.send(documents);
            }
        }
        if !took_any {
            return Ok(());
        }
    }
}

/// The GIN indexes (name, drop, create), as the migration makes them (dropped and made again around a rebuild).
const GIN_INDEXES: [(&str, &str, &str); 3] = [
    (
        "ticket_search_doc",
        "DROP INDEX IF EXISTS ticket_search_doc",
        "CREATE INDEX IF NOT EXISTS ticket_search_doc ON ticket_search USING gin (doc)",
    ),
    (
        "buyer_search_doc",
        "DROP INDEX IF EXISTS buyer_search_doc",
        "CREATE INDEX IF NOT EXISTS buyer_search_doc ON buyer_search USING gin (doc)",
    ),
    (
        "order_search_doc",
        "DROP INDEX IF EXISTS order_search_doc",
        "CREATE INDEX IF NOT EXISTS order_search_doc ON order_search USING gin (doc)",
    ),
];

/// Indexes every pending row like [`drain_all`], but with the GIN indexes dropped while the
/// documents are written and built again at the end in one sorted pass (many times faster for
/// a whole shop). Searches are slow meanwhile: for a desk that is not serving (the benchmark
/// generator, `search-index --rebuild` during maintenance).
pub async fn rebuild_all(pool: &PgPool, progress: impl FnMut(usize)) -> sqlx::Result<usize> {
    drop_gin_indexes(pool).await?;
    let done = drain_all(pool, progress).await;
    // Built again whatever happened: a failed rebuild must not leave the search without them.
    build_gin_indexes(pool).await?;
    done
}

/// Drops the search's GIN indexes, before documents are written in bulk ([`rebuild_all`], the
/// benchmark generator); [`build_gin_indexes`] makes them again.
pub async fn drop_gin_indexes(pool: &PgPool) -> sqlx::Result<()> {
    for (_, drop, _) in GIN_INDEXES {
        sqlx::query(drop).execute(pool).await?;
    }
    Ok(())
}

/// Builds the search's GIN indexes that are missing, each in one sorted pass. The three are
/// built side by side, each on its own connection (a GIN build is one core's work: comparing
/// its keys).
pub async fn build_gin_indexes(pool: &PgPool) -> sqlx::Result<()> {
    let mut builds = tokio::task::JoinSet::new();
    for (name, _, create) in GIN_INDEXES {
        let pool = pool.clone();
        builds.spawn(async move {
            let building = std::time::Instant::now();
            crate::db::build_index(&pool, create, crate::db::BuildMemory::Gin).await?;
            tracing::info!(
                index = name,
                elapsed_s = building.elapsed().as_secs(),
                "search: GIN index built"
            );
            Ok::<(), sqlx::Error>(())
        });
    }
    let mut built: sqlx::Result<()> = Ok(());
    while let Some(finished) = builds.join_next().await {
        match finished {
            Ok(Ok(())) => {}
            Ok(Err(error)) => built = built.and(Err(error)),
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
    built
}

/// The GIN indexes whose pending lists [`merge_pending`] merges: the documents' and the added
/// words' (whose list is kept short: migration `…_added_words_pending_briefly`).
const PENDING_MERGED: [&str; 4] = [
    "ticket_search_doc",
    "buyer_search_doc",
    "order_search_doc",
    "ticket_search_added_doc",
];

/// Merges the pending lists of the search's GIN indexes into the indexes; returns how many
/// pages they held.
///
/// A GIN index keeps new entries in a pending list that every search reads whole, and merges it
/// only when it reaches `gin_pending_list_limit` (4 MB) or at a vacuum: a day of new tickets at a
/// few a minute would have every search read a list growing to 512 pages for hours. On the
/// generated 100,000-ticket shop, 15 seconds of new tickets left 227 pending pages and the
/// search answered 97 a second instead of about 300 (docs/PERFORMANCE.md). The indexer merges
/// what it wrote a few seconds after it committed it ([`MERGE_EVERY`]), so the lists hold at
/// most a few seconds of writes (or the limit, under a load that reaches it first); the merge
/// is the work the index would do at its limit anyway. On Citus the coordinator's indexes are
/// empty: the workers' vacuums merge the shards' lists.
pub async fn merge_pending(pool: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COALESCE(sum(gin_clean_pending_list(to_regclass(i))), 0)::bigint
         FROM unnest($1::text[]) AS i WHERE to_regclass(i) IS NOT NULL",
    )
    .bind(PENDING_MERGED)
    .fetch_one(pool)
    .await
}

/// How often [`run_worker`] merges the indexes' pending lists at most, when it wrote since.
/// Merged after every batch they cost the tickets' creation (776 and 730 a second against 912 and
/// 846, alternated on the generated 100,000-ticket shop); under such a load the index merges
/// them at its limit anyway.
const MERGE_EVERY: Duration = Duration::from_secs(5);

/// Rows the worker takes per [`drain`].
const WORKER_BATCH: i64 = 1_000;

/// The worker every server runs: indexes what is pending, merges the indexes' pending lists
/// every [`MERGE_EVERY`] when it wrote since ([`merge_pending`]), then waits `every` before
/// looking again — at once only when its drain took a whole batch (a backlog); every
/// [`FOLD_EVERY`], when not working through a backlog, folds the added words of tickets quiet
/// for [`QUIET`] into their documents.
///
/// While tickets are being written, something new is pending at every look. The worker looked
/// again at once after any drain that found something: it ran without pause, a few rows a
/// transaction, each paying the queue's reads, its own statements and a commit; sampled while
/// tickets were created at four connections, its statements were a third of the database's
/// time beside the creations'. Waiting `every` after a drain that was not full gathers those
/// rows into one transaction a period (docs/PERFORMANCE.md); a search indexes its shop's
/// pending rows itself first ([`catch_up`]), so it still finds everything committed before it.
pub async fn run_worker(pool: PgPool, every: Duration) {
    let mut told = false;
    let mut folded = std::time::Instant::now();
    let (mut merged, mut unmerged) = (std::time::Instant::now(), false);
    loop {
        let drained = drain(&pool, WORKER_BATCH).await;
        let pause = pause_after(&drained, every);
        let backlog = pause.is_none();
        unmerged |= matches!(&drained, Ok(d) if d.documents > 0);
        if drained.is_ok() && !backlog && folded.elapsed() >= FOLD_EVERY {
            folded = std::time::Instant::now();
            match fold(&pool, QUIET, FOLD_BATCH).await {
                Ok(n) => unmerged |= n > 0,
                Err(e) => tracing::warn!(error = %e, "folding the search's added words failed; trying again later"),
            }
        }
        if unmerged && merged.elapsed() >= MERGE_EVERY {
            merged = std::time::Instant::now();
            match merge_pending(&pool).await {
                Ok(_) => unmerged = false,
                Err(e) => {
                    tracing::warn!(error = %e, "merging the search indexes' pending lists failed; trying again later")
                }
            }
        }
        match &drained {
            Ok(_) if backlog => {
                if !told {
                    tracing::info!("indexing for the search: a large batch is pending, working through it");
                    told = true;
                }
            }
            Ok(_) => told = false,
            Err(e) => tracing::warn!(error = %e, "indexing for the search failed; trying again"),
        }
        if let Some(pause) = pause {
            tokio::time::sleep(pause).await;
        }
    }
}

/// How long [`run_worker`] waits after a drain before it looks again: not at all after a whole
/// batch (more is waiting), its period after any other, five periods after a failure.
fn pause_after(drained: &sqlx::Result<Drained>, every: Duration) -> Option<Duration> {
    match drained {
        Ok(d) if d.took_all_it_could(WORKER_BATCH) => None,
        Ok(_) => Some(every),
        Err(_) => Some(every * 5),
    }
}

/// Indexes the rows taken from the queue, each once; returns how many documents that was.
async fn index_taken(tx: &mut Transaction<'_, Postgres>, taken: &[Taken]) -> sqlx::Result<usize> {
    // A row changed several times since it was last indexed is listed as often: once is enough.
    let mut groups: HashMap<(ShopId, Kind), Vec<i64>> = HashMap::new();
    let mut events: HashMap<ShopId, Vec<EventKey>> = HashMap::new();
    for row in taken {
        match (row.kind, row.event_id, row.event_at) {
            (Kind::Event, Some(id), Some(at)) => {
                events
                    .entry(row.shop_id)
                    .or_default()
                    .push(EventKey { ticket: row.id, id, at })
            }
            // The table's check keeps an event's key with it.
            (Kind::Event, _, _) => {}
            (kind, _, _) => groups.entry((row.shop_id, kind)).or_default().push(row.id),
        }
    }
    for ids in groups.values_mut() {
        ids.sort_unstable();
        ids.dedup();
    }
    // Tickets' documents are written one a statement where the index is distributed (see
    // `index_tickets`); asked only when the batch has some.
    let tickets = !events.is_empty() || groups.keys().any(|(_, kind)| *kind == Kind::Ticket);
    let one_by_one = tickets && crate::db::citus::is_distributed(tx, "ticket_search").await?;
    let mut count = 0;
    for ((shop, kind), ids) in &groups {
        count += match kind {
            Kind::Ticket => index_tickets(tx, *shop, ids, events.remove(shop).unwrap_or_default(), one_by_one).await?,
            Kind::Buyer => index_buyers(tx, *shop, ids).await?,
            Kind::Order => index_orders(tx, *shop, ids).await?,
            // Never grouped: events are written with their tickets' documents, by shop.
            Kind::Event => 0,
        };
    }
    for (shop, keys) in events {
        count += index_tickets(tx, shop, &[], keys, one_by_one).await?;
    }
    Ok(count)
}

/// An event queued for the search: its ticket, and its key in `ticket_events`.
#[derive(Clone, Copy)]
struct EventKey {
    ticket: i64,
    id: i64,
    at: DateTime<Utc>,
}

/// A document of more lexemes than this is built whole again rather than having words folded
/// into it: the whole build bounds its size ([`Doc`]), a fold does not. A ticket's document
/// holds one to a few hundred.
const MAX_LEXEMES_ADDED_TO: i32 = 10_000;

/// The statement that writes tickets' documents built whole, `rows` (the shop `$1`, the
/// ticket, the document), in the order of the rows.
macro_rules! write_whole {
    ($rows:literal) => {
        concat!(
            "INSERT INTO ticket_search AS s (shop_id, ticket_id, doc) ",
            $rows,
            " ON CONFLICT (shop_id, ticket_id) DO UPDATE SET doc = EXCLUDED.doc"
        )
    };
}

/// The statement that writes the words added to tickets' documents, `rows` (the shop `$1`, the
/// ticket, the words, the time), in the order of the rows: added to what was added before; no
/// words (a ticket whose document was just built whole, the words with it) empty what was added.
/// The time comes with the rows: Citus refuses a function that is not immutable, `now()`, in the
/// update of an `ON CONFLICT`.
macro_rules! write_added {
    ($rows:literal) => {
        concat!(
            "INSERT INTO ticket_search_added AS a (shop_id, ticket_id, doc, added_at) ",
            $rows,
            " ON CONFLICT (shop_id, ticket_id) DO UPDATE
                 SET doc = CASE WHEN EXCLUDED.doc = ''::tsvector THEN EXCLUDED.doc ELSE a.doc || EXCLUDED.doc END,
                     added_at = EXCLUDED.added_at"
        )
    };
}

/// Writes the documents of the tickets `whole` (built whole from the ticket and its timeline)
/// and adds the words of the events `keys` (of tickets not built whole) to the words added to
/// their tickets' documents (`ticket_search_added`, folded in later: [`fold`]); a ticket without
/// a document yet has it built whole instead. Returns how many tickets' documents were written.
///
/// Adding to the document itself wrote it whole again, and entered every word of it in its GIN
/// index again; the added words are a small document of their own, whose index entries are
/// theirs alone.
///
/// The documents built whole are written first, then the added words (and, for the documents
/// built whole, what was added to them emptied: it is in them now), each in one statement a
/// chunk in ascending ticket order. Two indexers may hold rows of the same tickets (a ticket
/// listed whole by one, an event of it by the other), and a fold holds both kinds too: each takes
/// the documents' locks before the added words', and each kind in that one order, so none waits
/// for another while holding what the other waits for.
///
/// The words of an event are added at positions after the last added, past a gap as between any
/// two pieces ([`Doc::continuing`]), and a document with its added words concatenated
/// (`doc || added`, which moves the added positions past the document's last) matches what
/// building it whole would make, but for the order of its timeline's pieces when events
/// committed out of order, which no query sees.
///
/// `one_by_one` (the index distributed on Citus): a statement a document, in the same order.
/// Citus runs an `INSERT … SELECT` from the chunk's arrays through the coordinator and sends the
/// shards its `ON CONFLICT` without the statement's parameters; an `INSERT … VALUES` of one row
/// goes to the shop's node whole.
async fn index_tickets(
    tx: &mut PgConnection,
    shop: ShopId,
    whole: &[i64],
    keys: Vec<EventKey>,
    one_by_one: bool,
) -> sqlx::Result<usize> {
    let mut wholes: BTreeMap<i64, String> = whole_docs(tx, shop, whole).await?.into_iter().collect();
    // All in one read (a batch is at most a few thousand rows): read in chunks, the events of a
    // ticket split between two would make two additions, one written over the other.
    let keys: Vec<EventKey> = keys.into_iter().filter(|k| !wholes.contains_key(&k.ticket)).collect();
    let mut added: BTreeMap<i64, String> = BTreeMap::new();
    if !keys.is_empty() {
        let docs = event_docs(tx, shop, &keys).await?;
        let tickets: Vec<i64> = docs.iter().map(|(ticket, _)| *ticket).collect();
        let with_document: Vec<i64> =
            sqlx::query_scalar("SELECT ticket_id FROM ticket_search WHERE shop_id = $1 AND ticket_id = ANY($2)")
                .bind(shop)
                .bind(&tickets)
                .fetch_all(&mut *tx)
                .await?;
        let with_document: std::collections::HashSet<i64> = with_document.into_iter().collect();
        let mut without = Vec::new();
        for (ticket, mut doc) in docs {
            if with_document.contains(&ticket) {
                // The added words carry their ticket's age buckets: a search's level finds them
                // by their own index.
                doc.add_age(ticket);
                added.insert(ticket, doc.to_tsvector());
            } else {
                without.push(ticket);
            }
        }
        wholes.extend(whole_docs(tx, shop, &without).await?);
    }
    // Every ticket written, in order: its words added, or none (built whole).
    let words: BTreeMap<i64, &str> = wholes
        .keys()
        .map(|ticket| (*ticket, ""))
        .chain(added.iter().map(|(ticket, doc)| (*ticket, doc.as_str())))
        .collect();
    let wholes_in_order: Vec<(i64, &str)> = wholes.iter().map(|(ticket, doc)| (*ticket, doc.as_str())).collect();
    write_wholes(tx, shop, &wholes_in_order, one_by_one).await?;
    let words: Vec<(i64, &str)> = words.into_iter().collect();
    write_added_words(tx, shop, &words, one_by_one).await?;
    Ok(wholes.len() + added.len())
}

/// Writes the words added to tickets' documents, `words` in ascending ticket order (no words: a
/// document just built whole, whose added words are emptied where there are some): a statement a
/// chunk, or a statement a ticket where `one_by_one` (see [`index_tickets`]).
async fn write_added_words(
    tx: &mut PgConnection,
    shop: ShopId,
    words: &[(i64, &str)],
    one_by_one: bool,
) -> sqlx::Result<()> {
    if one_by_one {
        for (ticket, doc) in words {
            if doc.is_empty() {
                sqlx::query("UPDATE ticket_search_added SET doc = ''::tsvector WHERE shop_id = $1 AND ticket_id = $2")
                    .bind(shop)
                    .bind(ticket)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(write_added!("VALUES ($1, $2, $3::tsvector, now())"))
                    .bind(shop)
                    .bind(ticket)
                    .bind(doc)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        return Ok(());
    }
    for chunk in words.chunks(CHUNK) {
        let (ids, docs): (Vec<i64>, Vec<&str>) = chunk.iter().copied().unzip();
        // A document built whole empties only added words that exist.
        sqlx::query(write_added!(
            "SELECT $1, d.id, d.doc::tsvector, now() FROM unnest($2::bigint[], $3::text[]) AS d(id, doc)
             WHERE d.doc <> '' OR EXISTS (SELECT 1 FROM ticket_search_added x WHERE x.shop_id = $1 AND x.ticket_id = d.id)
             ORDER BY d.id"
        ))
        .bind(shop)
        .bind(&ids)
        .bind(&docs)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Writes tickets' documents built whole, `docs` in ascending ticket order: a statement a chunk,
/// or a statement a document where `one_by_one` (see [`index_tickets`]).
async fn write_wholes(tx: &mut PgConnection, shop: ShopId, docs: &[(i64, &str)], one_by_one: bool) -> sqlx::Result<()> {
    if one_by_one {
        for (ticket, doc) in docs {
            sqlx::query(write_whole!("VALUES ($1, $2, $3::tsvector)"))
                .bind(shop)
                .bind(ticket)
                .bind(doc)
                .execute(&mut *tx)
                .await?;
        }
        return Ok(());
    }
    for chunk in docs.chunks(CHUNK) {
        let (ids, docs): (Vec<i64>, Vec<&str>) = chunk.iter().copied().unzip();
        sqlx::query(write_whole!(
            "SELECT $1, d.id, d.doc::tsvector FROM unnest($2::bigint[], $3::text[]) AS d(id, doc) ORDER BY d.id"
        ))
        .bind(shop)
        .bind(&ids)
        .bind(&docs)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// How long a ticket's added words wait after the last was added before [`run_worker`] folds
/// them into its document: a ticket being worked on gets its follow-ups, notes and replies in
/// a burst, and its document is written whole once for the burst rather than once for each.
pub const QUIET: Duration = Duration::from_secs(10 * 60);

/// Added words of this many lexemes or more are folded at the next fold, quiet or not.
const FOLD_LEXEMES: i32 = 512;

/// Tickets whose added words one fold takes at most.
pub const FOLD_BATCH: i64 = 500;

/// How often [`run_worker`] folds, when it is not working through a backlog.
const FOLD_EVERY: Duration = Duration::from_secs(30);

/// Folds the words added to tickets' documents into the documents (and removes what a whole
/// build emptied), for the tickets whose last addition is older than `quiet` or whose added
/// words have grown to [`FOLD_LEXEMES`], oldest first, at most `limit`; a shop at a time.
/// Returns how many tickets' added words were taken.
pub async fn fold(pool: &PgPool, quiet: Duration, limit: i64) -> sqlx::Result<usize> {
    let due: Vec<(ShopId, i64)> = sqlx::query_as(
        "SELECT shop_id, ticket_id FROM ticket_search_added
         WHERE added_at < now() - $1 * interval '1 second' OR length(doc) >= $2 OR doc = ''::tsvector
         ORDER BY added_at LIMIT $3",
    )
    .bind(quiet.as_secs_f64())
    .bind(FOLD_LEXEMES)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let mut by_shop: BTreeMap<ShopId, Vec<i64>> = BTreeMap::new();
    for (shop, ticket) in due {
        by_shop.entry(shop).or_default().push(ticket);
    }
    let mut taken = 0;
    for (shop, tickets) in by_shop {
        taken += fold_shop(pool, shop, &tickets).await?;
    }
    Ok(taken)
}

/// Folds the added words of the tickets `tickets` of `shop` (those that still have some) into
/// their documents, in one transaction; returns how many were taken.
async fn fold_shop(pool: &PgPool, shop: ShopId, tickets: &[i64]) -> sqlx::Result<usize> {
    let mut tx = pool.begin().await?;
    // The documents, then their added words, each in ascending order (as `index_tickets`).
    let documents: Vec<(i64, bool)> = sqlx::query_as(
        "SELECT ticket_id, length(doc) < $3 FROM ticket_search
         WHERE shop_id = $1 AND ticket_id = ANY($2) ORDER BY ticket_id FOR UPDATE",
    )
    .bind(shop)
    .bind(tickets)
    .bind(MAX_LEXEMES_ADDED_TO)
    .fetch_all(&mut *tx)
    .await?;
    let added: Vec<(i64, bool)> = sqlx::query_as(
        "SELECT ticket_id, doc = ''::tsvector FROM ticket_search_added
         WHERE shop_id = $1 AND ticket_id = ANY($2) ORDER BY ticket_id FOR UPDATE",
    )
    .bind(shop)
    .bind(tickets)
    .fetch_all(&mut *tx)
    .await?;
    let small: HashMap<i64, bool> = documents.into_iter().collect();
    let (mut appended, mut rebuilt) = (Vec::new(), Vec::new());
    for (ticket, empty) in &added {
        match (empty, small.get(ticket)) {
            (true, _) => {}
            (false, Some(true)) => appended.push(*ticket),
            // A large document, or none (the words added alone would be all it had): built whole.
            (false, _) => rebuilt.push(*ticket),
        }
    }
    if !appended.is_empty() {
        sqlx::query(
            "UPDATE ticket_search s SET doc = s.doc || a.doc FROM ticket_search_added a
             WHERE s.shop_id = $1 AND a.shop_id = s.shop_id AND a.ticket_id = s.ticket_id AND s.ticket_id = ANY($2)",
        )
        .bind(shop)
        .bind(&appended)
        .execute(&mut *tx)
        .await?;
    }
    if !rebuilt.is_empty() {
        let docs = whole_docs(&mut tx, shop, &rebuilt).await?;
        let docs: Vec<(i64, &str)> = docs.iter().map(|(ticket, doc)| (*ticket, doc.as_str())).collect();
        let one_by_one = crate::db::citus::is_distributed(&mut tx, "ticket_search").await?;
        write_wholes(&mut tx, shop, &docs, one_by_one).await?;
    }
    let taken: Vec<i64> = added.iter().map(|(ticket, _)| *ticket).collect();
    sqlx::query("DELETE FROM ticket_search_added WHERE shop_id = $1 AND ticket_id = ANY($2)")
        .bind(shop)
        .bind(&taken)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(taken.len())
}

/// The whole documents of the tickets `ids` (those that exist), from their own fields and
/// their timelines, read a chunk at a time.
async fn whole_docs(tx: &mut PgConnection, shop: ShopId, ids: &[i64]) -> sqlx::Result<Vec<(i64, String)>> {
    let mut docs = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        for (id, pieces) in ticket_pieces(tx, shop, chunk).await? {
            docs.push((id, doc_of(id, &pieces)));
        }
    }
    Ok(docs)
}

/// The words of the events `keys` (of the shop `shop`), as a document to add to each of their
/// tickets' documents; a ticket whose events hold no words has none.
async fn event_docs(tx: &mut PgConnection, shop: ShopId, keys: &[EventKey]) -> sqlx::Result<Vec<(i64, Doc)>> {
    let (ids, ats): (Vec<i64>, Vec<DateTime<Utc>>) = keys.iter().map(|k| (k.id, k.at)).unzip();
    let rows: Vec<(i64, String, serde_json::Value)> = sqlx::query_as(EVENTS_BY_KEY)
        .bind(shop)
        .bind(&ids)
        .bind(&ats)
        .fetch_all(&mut *tx)
        .await?;
    let mut docs: Vec<(i64, Doc)> = Vec::new();
    for (ticket, kind, data) in rows {
        let Ok(event) = EventData::from_stored(&kind, data) else {
            continue;
        };
        let mut pieces = Vec::new();
        event_pieces(event, &mut pieces);
        if docs.last().is_none_or(|(last, _)| *last != ticket) {
            docs.push((ticket, Doc::continuing()));
        }
        if let Some((_, doc)) = docs.last_mut() {
            for (source, text) in &pieces {
                doc.add(*source, text);
            }
        }
    }
    docs.retain(|(_, doc)| !doc.is_empty());
    Ok(docs)
}

/// The columns of a ticket's own text that [`Ticket`](crate::tickets::Ticket) does not hold,
/// from `t` (the ticket), `c` (its buyer) as in `ticket_joins!`: read with the ticket by a
/// search, into [`OwnText`].
macro_rules! own_text_columns {
    () => {
        ", t.reason_text, t.refund_no, c.name AS buyer_name, c.phone AS buyer_phone,
         (SELECT string_agg(l.title, ' / ' ORDER BY l.sku) FROM order_lines l
          WHERE l.shop_id = t.shop_id AND l.order_id = t.order_id AND (t.sku IS NULL OR l.sku = t.sku)) AS titles "
    };
}
pub(crate) use own_text_columns;

/// The text of [`own_text_columns!`].
#[derive(sqlx::FromRow)]
pub struct OwnText {
    pub reason_text: Option<String>,
    pub refund_no: Option<String>,
    pub buyer_name: Option<String>,
    pub buyer_phone: Option<String>,
    /// The titles of the order's lines the ticket is about (all of them when it names no SKU),
    /// in the order of their SKUs, joined by ` / `.
    pub titles: Option<String>,
}

/// A ticket's own fields as the indexer reads them.
#[derive(sqlx::FromRow)]
struct TicketRow {
    id: i64,
    opened_at: DateTime<Utc>,
    description: String,
    review_text: Option<String>,
    return_tracking_no: Option<String>,
    sku: Option<String>,
    order_no: String,
    buyer: String,
    #[sqlx(flatten)]
    text: OwnText,
}

/// A ticket's own fields (and its order's and buyer's) that a search finds it by.
pub struct OwnFields<'a> {
    pub id: i64,
    pub order_no: &'a str,
    pub buyer: &'a str,
    pub sku: Option<&'a str>,
    pub tracking_no: Option<&'a str>,
    pub description: &'a str,
    pub review_text: Option<&'a str>,
}

/// The pieces of a ticket's own text, in the order they are indexed and looked through for a
/// hit: what identifies it, what it is about, what was bought.
pub fn own_pieces(fields: OwnFields<'_>, text: OwnText) -> Vec<(Source, String)> {
    let mut pieces = vec![
        (Source::TicketNo, fields.id.to_string()),
        (Source::OrderNo, fields.order_no.to_owned()),
        (Source::Nick, fields.buyer.to_owned()),
    ];
    let optional = [
        (Source::Name, text.buyer_name),
        (Source::Phone, text.buyer_phone),
        (Source::Sku, fields.sku.map(str::to_owned)),
        (Source::RefundNo, text.refund_no),
        (Source::Tracking, fields.tracking_no.map(str::to_owned)),
        (Source::Description, Some(fields.description.to_owned())),
        (Source::Reason, text.reason_text),
        (Source::Review, fields.review_text.map(str::to_owned)),
        (Source::Title, text.titles),
    ];
    pieces.extend(
        optional
            .into_iter()
            .filter_map(|(source, text)| text.filter(|t| !t.trim().is_empty()).map(|t| (source, t))),
    );
    pieces
}

/// The pieces of text of tickets, by id, in the order they are indexed and looked through for a
/// hit: what identifies it, what it is about, what was bought, then its timeline oldest
/// first.
pub async fn ticket_pieces(
    conn: &mut PgConnection,
    shop: ShopId,
    ids: &[i64],
) -> sqlx::Result<HashMap<i64, Vec<(Source, String)>>> {
    let (mut pieces, opened) = ticket_fields(conn, shop, ids).await?;
    add_event_pieces(conn, shop, &opened, &mut pieces).await?;
    Ok(pieces)
}

/// The own fields of the tickets `$2` of the shop `$1`, with their order's number and their
/// buyer's nick, name and phone ([`OwnText`]).
///
/// The order and the buyer are read per ticket, by their keys (`OFFSET 0`, as in
/// [`TIMELINES_WORDS`]): joined flat, from about 300 tickets on PostgreSQL hashed every buyer of
/// the shop to find a batch's (on a generated shop of 100,000 tickets, 500 tickets read in
/// 32.6 ms, 23 of them hashing 62,500 buyers; 9.8 ms by their keys, `EXPLAIN ANALYZE` warm).
pub const TICKET_FIELDS: &str = concat!(
    "SELECT t.id, t.opened_at, t.description, t.review_text, t.return_tracking_no, t.sku, o.order_no, c.nick AS buyer ",
    own_text_columns!(),
    "FROM tickets t
     CROSS JOIN LATERAL (
         SELECT o.order_no FROM orders o WHERE o.shop_id = t.shop_id AND o.id = t.order_id OFFSET 0
     ) o
     CROSS JOIN LATERAL (
         SELECT c.nick, c.name, c.phone FROM customers c WHERE c.shop_id = t.shop_id AND c.id = t.customer_id OFFSET 0
     ) c
     WHERE t.shop_id = $1 AND t.id = ANY($2)"
);

/// The pieces of text of tickets' own fields (and their order's and buyer's), by id, and when
/// each was opened: the first part of [`ticket_pieces`].
async fn ticket_fields(
    conn: &mut PgConnection,
    shop: ShopId,
    ids: &[i64],
) -> sqlx::Result<(HashMap<i64, Vec<(Source, String)>>, Vec<(i64, DateTime<Utc>)>)> {
    let rows: Vec<TicketRow> = sqlx::query_as(TICKET_FIELDS)
        .bind(shop)
        .bind(ids)
        .fetch_all(&mut *conn)
        .await?;
    let mut pieces: HashMap<i64, Vec<(Source, String)>> = HashMap::with_capacity(rows.len());
    let opened = rows.iter().map(|row| (row.id, row.opened_at)).collect();
    for row in rows {
        let fields = OwnFields {
            id: row.id,
            order_no: &row.order_no,
            buyer: &row.buyer,
            sku: row.sku.as_deref(),
            tracking_no: row.return_tracking_no.as_deref(),
            description: &row.description,
            review_text: row.review_text.as_deref(),
        };
        pieces.insert(row.id, own_pieces(fields, row.text));
    }
    Ok((pieces, opened))
}

/// Adds to `pieces` the words of the timelines of the tickets `opened` (their ids and when each
/// was opened), after their own fields.
///
/// Each ticket's timeline is read from the month of its opening on (as
/// [`tickets::repo::events`](crate::tickets::repo::events) reads it, on the same promise of
/// `append_event`): asked for by ticket alone, PostgreSQL probed the ticket's index in every month
/// of `ticket_events`, eighteen on a generated shop, for events that were all in one or two.
pub async fn add_event_pieces(
    conn: &mut PgConnection,
    shop: ShopId,
    opened: &[(i64, DateTime<Utc>)],
    pieces: &mut HashMap<i64, Vec<(Source, String)>>,
) -> sqlx::Result<()> {
    let (ids, since): (Vec<i64>, Vec<DateTime<Utc>>) = opened.iter().copied().unzip();
    let events: Vec<(i64, String, serde_json::Value)> = sqlx::query_as(TIMELINES_WORDS)
        .bind(shop)
        .bind(ids)
        .bind(since)
        .fetch_all(&mut *conn)
        .await?;
    for (ticket, kind, data) in events {
        let (Some(p), Ok(event)) = (pieces.get_mut(&ticket), EventData::from_stored(&kind, data)) else {
            continue;
        };
        event_pieces(event, p);
    }
    Ok(())
}

/// The words of an event worth finding a ticket by.
pub fn event_pieces(event: EventData, out: &mut Vec<(Source, String)>) {
    let mut put = |source: Source, text: Option<String>| {
        if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
            out.push((source, text));
        }
    };
    match event {
        EventData::FollowUp(f) => put(Source::FollowUp, Some(f.summary)),
        EventData::Note(n) => put(Source::Note, Some(n.text)),
        EventData::StatusChanged(s) => {
            if let Some(GoodsRecord::Shipment { tracking_no, .. }) = s.goods {
                put(Source::Tracking, Some(tracking_no));
            }
            put(Source::Note, s.note);
        }
        EventData::Override(o) => put(Source::Note, o.justification),
        EventData::ReturnVisit(v) => put(Source::Comment, Some(v.comment)),
        EventData::EvidenceAdded(e) => put(Source::FileName, Some(e.file_name)),
        EventData::Link(l) => put(Source::Note, l.note),
        _ => {}
    }
}

/// The pieces of a buyer's document: nickname, name, phone.
pub fn buyer_pieces(nick: String, name: Option<String>, phone: Option<String>) -> Vec<(Source, String)> {
    let mut pieces = vec![(Source::Nick, nick)];
    pieces.extend(name.map(|n| (Source::Name, n)));
    pieces.extend(phone.map(|n| (Source::Phone, n)));
    pieces
}

/// The pieces of an order's document: its number, then its lines' SKUs and titles, each in the
/// order of the SKUs.
pub fn order_pieces(order_no: String, skus: Vec<String>, titles: Vec<String>) -> Vec<(Source, String)> {
    let mut pieces = vec![(Source::OrderNo, order_no)];
    pieces.extend(skus.into_iter().map(|s| (Source::Sku, s)));
    pieces.extend(titles.into_iter().map(|s| (Source::Title, s)));
    pieces
}

/// The document of the row `id` made of `pieces`, with its age buckets.
pub fn build_doc(id: i64, pieces: &[(Source, String)]) -> Doc {
    let mut doc = Doc::new();
    for (source, text) in pieces {
        doc.add(*source, text);
    }
    doc.add_age(id);
    doc
}

/// [`build_doc`] in PostgreSQL's input syntax of a `tsvector`.
pub fn doc_of(id: i64, pieces: &[(Source, String)]) -> String {
    build_doc(id, pieces).to_tsvector()
}

/// Writes documents with `statement` (`$1` the shop, `$2` the ids, `$3` the documents' text).
async fn store(
    tx: &mut PgConnection,
    statement: &'static str,
    shop: ShopId,
    ids: Vec<i64>,
    docs: Vec<String>,
) -> sqlx::Result<()> {
    sqlx::query(statement)
        .bind(shop)
        .bind(ids)
        .bind(docs)
        .execute(tx)
        .await?;
    Ok(())
}

/// Writes the documents of the buyers `ids` (those that exist), a chunk a statement; returns how
/// many were listed.
async fn index_buyers(tx: &mut PgConnection, shop: ShopId, ids: &[i64]) -> sqlx::Result<usize> {
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(i64, String, Option<String>, Option<String>)> =
            sqlx::query_as("SELECT id, nick, name, phone FROM customers WHERE shop_id = $1 AND id = ANY($2)")
                .bind(shop)
                .bind(chunk)
                .fetch_all(&mut *tx)
                .await?;
        let (found, docs): (Vec<i64>, Vec<String>) = rows
            .into_iter()
            .map(|(id, nick, name, phone)| (id, doc_of(id, &buyer_pieces(nick, name, phone))))
            .unzip();
        store(
            tx,
            "INSERT INTO buyer_search (shop_id, customer_id, doc)
             SELECT $1, d.id, d.doc::tsvector FROM unnest($2::bigint[], $3::text[]) AS d(id, doc)
             ON CONFLICT (shop_id, customer_id) DO UPDATE SET doc = EXCLUDED.doc",
            shop,
            found,
            docs,
        )
        .await?;
    }
    Ok(ids.len())
}

/// Writes the documents of the orders `ids` (those that exist), a chunk a statement; returns how
/// many were listed.
async fn index_orders(tx: &mut PgConnection, shop: ShopId, ids: &[i64]) -> sqlx::Result<usize> {
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(i64, String, Vec<String>, Vec<String>)> = sqlx::query_as(
            "SELECT o.id, o.order_no,
                    COALESCE(array_agg(l.sku ORDER BY l.sku) FILTER (WHERE l.sku IS NOT NULL), '{}'),
                    COALESCE(array_agg(l.title ORDER BY l.sku) FILTER (WHERE l.sku IS NOT NULL), '{}')
             FROM orders o LEFT JOIN order_lines l ON l.shop_id = o.shop_id AND l.order_id = o.id
             WHERE o.shop_id = $1 AND o.id = ANY($2)
             GROUP BY o.id, o.order_no",
        )
        .bind(shop)
        .bind(chunk)
        .fetch_all(&mut *tx)
        .await?;
        let (found, docs): (Vec<i64>, Vec<String>) = rows
            .into_iter()
            .map(|(id, order_no, skus, titles)| (id, doc_of(id, &order_pieces(order_no, skus, titles))))
            .unzip();
        store(
            tx,
            "INSERT INTO order_search (shop_id, order_id, doc)
             SELECT $1, d.id, d.doc::tsvector FROM unnest($2::bigint[], $3::text[]) AS d(id, doc)
             ON CONFLICT (shop_id, order_id) DO UPDATE SET doc = EXCLUDED.doc",
            shop,
            found,
            docs,
        )
        .await?;
    }
    Ok(ids.len())
}

/// The index's size on disk (tables, GIN indexes and their TOAST), in bytes.
pub async fn size_bytes(pool: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
         WHERE c.relname IN ('ticket_search', 'ticket_search_added', 'buyer_search', 'order_search') AND c.relkind = 'r'",
    )
    .fetch_one(pool)
    .await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Drained, WORKER_BATCH, pause_after};

    #[test]
    fn the_worker_looks_again_at_once_only_after_a_whole_batch() {
        let every = Duration::from_secs(1);
        let drained = |rows: usize| Ok(Drained { rows, documents: rows });
        // A drain that found a few new rows, as one does at every look while tickets are
        // being written: the worker waits its period, and the next drain takes a second's rows.
        assert_eq!(pause_after(&drained(3), every), Some(every));
        assert_eq!(pause_after(&drained(0), every), Some(every));
        assert_eq!(pause_after(&drained(999), every), Some(every));
        // A whole batch: more is waiting.
        let rows = usize::try_from(WORKER_BATCH).expect("a batch");
        assert_eq!(pause_after(&drained(rows), every), None);
        assert_eq!(pause_after(&Err(sqlx::Error::PoolTimedOut), every), Some(every * 5));
    }
}

//! The live desk: what changed, told to the browsers that show it, as it happens.
//!
//! Every change to `tickets`, every new notice and every change of presence is written — by the
//! triggers of migrations `…96_live_desk` and `…70_live_outbox`, and by [`presence`] — to the
//! unlogged table `live_outbox` inside the transaction that makes it; each server's relay
//! ([`relay_once`]) says what has committed on the channel `desk_live` ten times a second (a
//! NOTIFY in the writing transaction would hold a database-wide lock through its commit's
//! flush, so that no two announcing commits could share one). Each server process listens
//! once ([`Hub`]) and fans what it hears out to its subscribers; `page.rs` turns a subscription into
//! a server-sent event stream for one signed-in person, keeping only what they may see. With
//! several servers on one database each hears everything, so a browser is told whichever
//! server it is connected to. Announcements lost while the listening connection was down are
//! replaced by [`Signal::Resync`]: every page then refreshes what it shows.

pub mod page;
pub mod presence;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde::Deserialize;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;

use crate::auth::held::{self, Holders};
use crate::ids::{ShopId, TicketId, UserId};

/// The channel the database announces on.
pub const CHANNEL: &str = "desk_live";

/// How many signals a slow subscriber may fall behind before it is told to resync.
const BACKLOG: usize = 1024;

/// How often the relay says what the outbox holds: the most an announcement waits.
const RELAY_EVERY: Duration = Duration::from_millis(100);

/// Most announcements one pass of the relay says (the rest wait for the next pass).
const RELAY_AT_MOST: i64 = 5000;

/// After how many announcements taken the relay vacuums the outbox itself.
const VACUUM_AFTER: i64 = 20_000;

/// What one pass of the relay did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Relayed {
    /// Announcements taken from the outbox.
    pub taken: i64,
    /// Different announcements said (identical ones are said once).
    pub said: i64,
}

/// One thing that changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Tickets of a shop changed (or were opened). `tickets` is `None` when there were too many
    /// to name; `holders` are the agents whose queues gained or lost them (`None`: too many).
    Tickets {
        shop: ShopId,
        tickets: Option<Vec<TicketId>>,
        holders: Option<Vec<UserId>>,
    },
    /// `user` has a new notice.
    Notices { user: UserId },
    /// Someone opened, left, or started or stopped typing on a ticket.
    Presence { shop: ShopId, ticket: TicketId },
    /// Announcements may have been missed: refresh everything.
    Resync,
}

/// The announcement as the triggers write it (short keys: it travels on every change).
#[derive(Deserialize)]
#[serde(tag = "k")]
enum Wire {
    #[serde(rename = "t")]
    Tickets {
        s: ShopId,
        ids: Option<Vec<TicketId>>,
        to: Option<Vec<UserId>>,
    },
    #[serde(rename = "n")]
    Notices { u: UserId },
    #[serde(rename = "p")]
    Presence { s: ShopId, t: TicketId },
}

impl Signal {
    /// Reads an announcement; `None` for anything else (it is logged and skipped).
    pub fn parse(payload: &str) -> Option<Signal> {
        Some(match serde_json::from_str::<Wire>(payload).ok()? {
            Wire::Tickets { s, ids, to } => Signal::Tickets {
                shop: s,
                tickets: ids,
                holders: to,
            },
            Wire::Notices { u } => Signal::Notices { user: u },
            Wire::Presence { s, t } => Signal::Presence { shop: s, ticket: t },
        })
    }

    /// Whether `user`, who may see `shops`, is to be told of it.
    pub fn concerns(&self, user: UserId, shops: &[ShopId]) -> bool {
        match self {
            Signal::Tickets { shop, .. } | Signal::Presence { shop, .. } => shops.contains(shop),
            Signal::Notices { user: reader } => *reader == user,
            Signal::Resync => true,
        }
    }
}

/// Ids named in an announcement; `None`: too many to name (or some change named none).
type Named<T> = Option<BTreeSet<T>>;

/// Most tickets one announcement names; past it, the whole shop is said to have changed.
pub const NAMED_AT_MOST: usize = 100;

/// What concerned one stream within a short while, told as few signals: per shop, the tickets
/// that changed and their holders together; each ticket's presence once; notices once; and a
/// resync instead of everything else. A busy shop changes many times a second; each open page
/// is told a few times a second at most.
#[derive(Debug, Default)]
pub struct Batch {
    /// Per shop, the tickets and the holders named so far.
    tickets: BTreeMap<ShopId, (Named<TicketId>, Named<UserId>)>,
    notices: Option<UserId>,
    presence: BTreeSet<(ShopId, TicketId)>,
    resync: bool,
}

impl Batch {
    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.tickets.is_empty() && self.notices.is_none() && self.presence.is_empty() && !self.resync
    }

    /// Adds one signal.
    pub fn add(&mut self, signal: &Signal) {
        fn merge<T: Ord + Copy>(into: &mut Named<T>, more: &Option<Vec<T>>) {
            match (into.as_mut(), more) {
                (Some(set), Some(more)) => {
                    set.extend(more.iter().copied());
                    if set.len() > NAMED_AT_MOST {
                        *into = None;
                    }
                }
                _ => *into = None,
            }
        }
        match signal {
            Signal::Tickets { shop, tickets, holders } => {
                let entry = self
                    .tickets
                    .entry(*shop)
                    .or_insert_with(|| (Some(BTreeSet::new()), Some(BTreeSet::new())));
                merge(&mut entry.0, tickets);
                merge(&mut entry.1, holders);
            }
            Signal::Notices { user } => self.notices = Some(*user),
            Signal::Presence { shop, ticket } => {
                self.presence.insert((*shop, *ticket));
            }
            Signal::Resync => self.resync = true,
        }
    }

    /// The signals to tell, in a fixed order (a resync stands for all the others).
    pub fn into_signals(self) -> Vec<Signal> {
        if self.resync {
            return vec![Signal::Resync];
        }
        let mut signals: Vec<Signal> = self
            .tickets
            .into_iter()
            .map(|(shop, (tickets, holders))| Signal::Tickets {
                shop,
                tickets: tickets.map(|set| set.into_iter().collect()),
                holders: holders.map(|set| set.into_iter().collect()),
            })
            .collect();
        signals.extend(self.notices.map(|user| Signal::Notices { user }));
        signals.extend(
            self.presence
                .into_iter()
                .map(|(shop, ticket)| Signal::Presence { shop, ticket }),
        );
        signals
    }
}

/// The process's one listener (and relay) and its subscribers. Cheap to clone; both start when
/// the server starts ([`Hub::start`]) or else with the first subscriber.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    sender: broadcast::Sender<Arc<Signal>>,
    listening: AtomicBool,
    /// Streams open now (shown on `/metrics`).
    streams: AtomicUsize,
    /// The tokens' holders kept by this server, told of what is heard on
    /// [`crate::auth::held::CHANNEL`] by the same listener.
    holders: Holders,
}

impl Hub {
    /// A hub that has not started listening; what it hears of credentials it tells `holders`.
    pub fn new(holders: Holders) -> Hub {
        Hub {
            inner: Arc::new(Inner {
                sender: broadcast::channel(BACKLOG).0,
                listening: AtomicBool::new(false),
                streams: AtomicUsize::new(0),
                holders,
            }),
        }
    }

    /// Starts listening on `pool` and relaying its outbox, once per process (a server does so
    /// when it starts; the first subscription does so otherwise). Both run until the pool closes.
    pub fn start(&self, pool: &PgPool) {
        self.begin(pool, true);
    }

    /// Starts listening on `pool`, once per process, without relaying the outbox (which other
    /// servers on the database relay): for the benchmark's recording application, every
    /// statement of which is written into the SQL ceiling's scripts.
    pub fn start_without_relay(&self, pool: &PgPool) {
        self.begin(pool, false);
    }

    fn begin(&self, pool: &PgPool, relaying: bool) {
        if !self.inner.listening.swap(true, Ordering::SeqCst) {
            tokio::spawn(listen(
                pool.clone(),
                self.inner.sender.clone(),
                self.inner.holders.clone(),
            ));
            if relaying {
                tokio::spawn(relay(pool.clone()));
            }
        }
    }

    /// A new subscription (listening from now on, if nothing started it yet).
    pub fn subscribe(&self, pool: &PgPool) -> broadcast::Receiver<Arc<Signal>> {
        let receiver = self.inner.sender.subscribe();
        self.start(pool);
        receiver
    }

    /// How many event streams are open now.
    pub fn streams(&self) -> usize {
        self.inner.streams.load(Ordering::Relaxed)
    }

    /// Counts a stream for as long as the guard lives.
    pub fn stream_guard(&self) -> StreamGuard {
        self.inner.streams.fetch_add(1, Ordering::Relaxed);
        StreamGuard {
            hub: self.inner.clone(),
        }
    }
}

/// Held by an open stream; counts it off when the stream ends.
pub struct StreamGuard {
    hub: Arc<Inner>,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.hub.streams.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Says on [`CHANNEL`], every [`RELAY_EVERY`], what the writing transactions left in
/// `live_outbox`, for the life of the pool. Every server relays; passes of several servers at
/// once say each row once (the one whose delete takes it).
async fn relay(pool: PgPool) {
    let mut ticks = tokio::time::interval(RELAY_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut taken_since_vacuum = 0;
    loop {
        ticks.tick().await;
        if pool.is_closed() {
            return;
        }
        match relay_once(&pool).await {
            Ok(pass) => {
                taken_since_vacuum += pass.taken;
                if taken_since_vacuum >= VACUUM_AFTER {
                    // Autovacuum's workers may be busy for minutes with the big tables; every
                    // pass meanwhile would read the outbox's dead rows.
                    if let Err(error) = vacuum_outbox(&pool).await {
                        tracing::warn!(%error, "cannot vacuum the live outbox");
                    }
                    taken_since_vacuum = 0;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot relay the live announcements; trying again in a second");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Vacuums the outbox: what the relay took is dead rows until then. No WAL (the table is
/// unlogged) and no lock that a writer waits for (the table is never truncated by a vacuum:
/// migration `…80`). A snapshot held long elsewhere (a backup's dump, a long report) keeps the
/// dead rows until it ends; each pass reads them meanwhile.
pub async fn vacuum_outbox(pool: &PgPool) -> sqlx::Result<()> {
    sqlx::query("VACUUM live_outbox").execute(pool).await?;
    Ok(())
}

/// One pass of the relay: takes up to [`RELAY_AT_MOST`] committed announcements from the outbox
/// and says each different one once, in a transaction that does not wait for the disk (an
/// announcement lost to a crash costs a resync, never data).
pub async fn relay_once(pool: &PgPool) -> sqlx::Result<Relayed> {
    // An empty outbox, the usual case between changes, costs one cheap read.
    let waiting: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM live_outbox)")
        .fetch_one(pool)
        .await?;
    if !waiting {
        return Ok(Relayed { taken: 0, said: 0 });
    }
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    // The pass's rows by number, without a lock (on Citus the outbox is spread over the shops'
    // shards, where rows have no shared place to lock them by); a relay of another server that
    // read the same numbers finds them deleted and says nothing of them.
    let pass: Vec<i64> = sqlx::query_scalar("SELECT seq FROM live_outbox LIMIT $1")
        .bind(RELAY_AT_MOST)
        .fetch_all(&mut *tx)
        .await?;
    let (taken, said): (i64, i64) = sqlx::query_as(
        "WITH taken AS (DELETE FROM live_outbox WHERE seq = ANY ($2) RETURNING payload)
         SELECT (SELECT count(*) FROM taken),
                (SELECT count(*) FROM (SELECT DISTINCT payload FROM taken) AS different
                     CROSS JOIN LATERAL pg_notify($1, different.payload))",
    )
    .bind(CHANNEL)
    .bind(&pass)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Relayed { taken, said })
}

/// Listens on [`CHANNEL`] and on the credentials' channel for the life of the process,
/// connecting again (after a pause) when the connection drops; after every reconnection the
/// subscribers are told to resync. `holders` are told whether the credentials' announcements are
/// heard, and each one heard.
async fn listen(pool: PgPool, sender: broadcast::Sender<Arc<Signal>>, holders: Holders) {
    let mut first = true;
    loop {
        // Made again at once after the connection dropped, after a pause after an error.
        let mut pause = true;
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen_all([CHANNEL, held::CHANNEL]).await {
                Ok(()) => {
                    holders.hearing(true);
                    if !first {
                        let _ = sender.send(Arc::new(Signal::Resync));
                    }
                    first = false;
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(notification)) if notification.channel() == held::CHANNEL => holders.heard(),
                            Ok(Some(notification)) => match Signal::parse(notification.payload()) {
                                Some(signal) => {
                                    // No subscriber is not an error: nobody is looking.
                                    let _ = sender.send(Arc::new(signal));
                                }
                                None => {
                                    tracing::warn!(payload = notification.payload(), "unreadable live announcement")
                                }
                            },
                            // The connection dropped; what was said meanwhile is lost. It is
                            // made again at once, and listened on again, below.
                            Ok(None) => {
                                holders.hearing(false);
                                pause = false;
                                break;
                            }
                            Err(error) => {
                                holders.hearing(false);
                                // Its pool closed: the process is ending, nothing was lost.
                                if !pool.is_closed() {
                                    tracing::warn!(%error, "live listener lost its connection");
                                }
                                break;
                            }
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot listen for live changes"),
            },
            Err(error) => tracing::warn!(%error, "cannot connect to listen for live changes"),
        }
        holders.hearing(false);
        if pool.is_closed() {
            return;
        }
        if pause {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_read_as_the_triggers_write_them() {
        assert_eq!(
            Signal::parse(r#"{"k":"t","s":3,"ids":[5,9],"to":[2]}"#),
            Some(Signal::Tickets {
                shop: ShopId(3),
                tickets: Some(vec![TicketId(5), TicketId(9)]),
                holders: Some(vec![UserId(2)]),
            })
        );
        assert_eq!(
            Signal::parse(r#"{"k":"t","s":3,"ids":null,"to":null}"#),
            Some(Signal::Tickets {
                shop: ShopId(3),
                tickets: None,
                holders: None,
            })
        );
        assert_eq!(
            Signal::parse(r#"{"k":"n","u":7}"#),
            Some(Signal::Notices { user: UserId(7) })
        );
        assert_eq!(
            Signal::parse(r#"{"k":"p","s":1,"t":4}"#),
            Some(Signal::Presence {
                shop: ShopId(1),
                ticket: TicketId(4)
            })
        );
        assert_eq!(Signal::parse("not json"), None);
        assert_eq!(Signal::parse(r#"{"k":"x"}"#), None);
    }

    fn tickets(shop: i64, ids: Option<Vec<i64>>, holders: Option<Vec<i64>>) -> Signal {
        Signal::Tickets {
            shop: ShopId(shop),
            tickets: ids.map(|ids| ids.into_iter().map(TicketId).collect()),
            holders: holders.map(|h| h.into_iter().map(UserId).collect()),
        }
    }

    #[test]
    fn a_batch_tells_each_shop_once_with_its_tickets_and_holders_together() {
        let mut batch = Batch::default();
        assert!(batch.is_empty());
        batch.add(&tickets(1, Some(vec![5, 3]), Some(vec![2])));
        batch.add(&tickets(2, Some(vec![9]), Some(vec![])));
        batch.add(&tickets(1, Some(vec![3, 7]), Some(vec![4, 2])));
        batch.add(&Signal::Notices { user: UserId(4) });
        batch.add(&Signal::Notices { user: UserId(4) });
        let presence = Signal::Presence {
            shop: ShopId(1),
            ticket: TicketId(3),
        };
        batch.add(&presence);
        batch.add(&presence);
        assert!(!batch.is_empty());
        assert_eq!(
            batch.into_signals(),
            vec![
                tickets(1, Some(vec![3, 5, 7]), Some(vec![2, 4])),
                tickets(2, Some(vec![9]), Some(vec![])),
                Signal::Notices { user: UserId(4) },
                presence,
            ]
        );
    }

    #[test]
    fn a_batch_past_the_limit_or_with_an_unnamed_change_names_the_shop_only() {
        let mut batch = Batch::default();
        batch.add(&tickets(1, Some((0..60).collect()), Some(vec![1])));
        batch.add(&tickets(1, Some((60..120).collect()), None));
        assert_eq!(batch.into_signals(), vec![tickets(1, None, None)]);
        let mut batch = Batch::default();
        batch.add(&tickets(1, None, Some(vec![1])));
        batch.add(&tickets(1, Some(vec![2]), Some(vec![3])));
        assert_eq!(batch.into_signals(), vec![tickets(1, None, Some(vec![1, 3]))]);
        let mut exact = Batch::default();
        exact.add(&tickets(1, Some((0..100).collect()), Some(vec![])));
        assert!(matches!(&exact.into_signals()[0], Signal::Tickets { tickets: Some(t), .. } if t.len() == 100));
    }

    #[test]
    fn a_resync_stands_for_everything_else_in_its_batch() {
        let mut batch = Batch::default();
        batch.add(&tickets(1, Some(vec![1]), None));
        batch.add(&Signal::Resync);
        batch.add(&Signal::Notices { user: UserId(1) });
        assert_eq!(batch.into_signals(), vec![Signal::Resync]);
    }

    #[test]
    fn a_person_hears_of_their_shops_and_their_own_notices_only() {
        let mine = [ShopId(1), ShopId(2)];
        let tickets = |shop| Signal::Tickets {
            shop: ShopId(shop),
            tickets: None,
            holders: None,
        };
        assert!(tickets(2).concerns(UserId(5), &mine));
        assert!(!tickets(3).concerns(UserId(5), &mine));
        assert!(Signal::Notices { user: UserId(5) }.concerns(UserId(5), &mine));
        assert!(!Signal::Notices { user: UserId(6) }.concerns(UserId(5), &mine));
        assert!(
            !Signal::Presence {
                shop: ShopId(9),
                ticket: TicketId(1)
            }
            .concerns(UserId(5), &mine)
        );
        assert!(Signal::Resync.concerns(UserId(5), &[]));
    }
}

//! The live desk: what changed, told to the browsers that show it, as it happens.
//!
//! PostgreSQL announces every change to `tickets`, every new notice and every change of
//! presence on the channel `desk_live`, inside the transaction that makes it (the triggers of
//! migration `…96_live_desk`; [`presence`] for presence). Each server process listens once
//! ([`Hub`]) and fans what it hears out to its subscribers; `page.rs` turns a subscription into
//! a server-sent event stream for one signed-in person, keeping only what they may see. With
//! several servers on one database each hears everything, so a browser is told whichever
//! server it is connected to. Announcements lost while the listening connection was down are
//! replaced by [`Signal::Resync`]: every page then refreshes what it shows.

pub mod page;
pub mod presence;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde::Deserialize;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;

use crate::ids::{ShopId, TicketId, UserId};

/// The channel the database announces on.
pub const CHANNEL: &str = "desk_live";

/// How many signals a slow subscriber may fall behind before it is told to resync.
const BACKLOG: usize = 1024;

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

/// The process's one listener and its subscribers. Cheap to clone; the listening starts with
/// the first subscriber.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    sender: broadcast::Sender<Arc<Signal>>,
    listening: AtomicBool,
    /// Streams open now (shown on `/metrics`).
    streams: AtomicUsize,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub {
            inner: Arc::new(Inner {
                sender: broadcast::channel(BACKLOG).0,
                listening: AtomicBool::new(false),
                streams: AtomicUsize::new(0),
            }),
        }
    }
}

impl Hub {
    /// A new subscription; the first one starts listening on `pool`.
    pub fn subscribe(&self, pool: &PgPool) -> broadcast::Receiver<Arc<Signal>> {
        let receiver = self.inner.sender.subscribe();
        if !self.inner.listening.swap(true, Ordering::SeqCst) {
            tokio::spawn(listen(pool.clone(), self.inner.sender.clone()));
        }
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

/// Listens on [`CHANNEL`] for the life of the process, connecting again (after a pause) when the
/// connection drops; after every reconnection the subscribers are told to resync.
async fn listen(pool: PgPool, sender: broadcast::Sender<Arc<Signal>>) {
    let mut first = true;
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    if !first {
                        let _ = sender.send(Arc::new(Signal::Resync));
                    }
                    first = false;
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(notification)) => match Signal::parse(notification.payload()) {
                                Some(signal) => {
                                    // No subscriber is not an error: nobody is looking.
                                    let _ = sender.send(Arc::new(signal));
                                }
                                None => {
                                    tracing::warn!(payload = notification.payload(), "unreadable live announcement")
                                }
                            },
                            // The connection dropped and is made again: what was said
                            // meanwhile is lost.
                            Ok(None) => {
                                let _ = sender.send(Arc::new(Signal::Resync));
                            }
                            Err(error) => {
                                tracing::warn!(%error, "live listener lost its connection");
                                break;
                            }
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot listen for live changes"),
            },
            Err(error) => tracing::warn!(%error, "cannot connect to listen for live changes"),
        }
        if pool.is_closed() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
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

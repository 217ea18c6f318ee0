//! Who holds a token, kept in memory for a moment: most requests are answered without reading
//! the token's holder from the database again. A request of the desk's busiest kinds (a
//! follow-up, a ticket page, a queue) otherwise spends one of its two or three statements on it
//! (docs/PERFORMANCE.md, "A token's holder kept").
//!
//! A kept holder is used only while all of these hold, else the holder is read again:
//! - this process hears the database's announcements on [`CHANNEL`] (the live desk's listener,
//!   `live::Hub`, listens for them and says here whether it is connected: [`Holders::hearing`]);
//! - nothing was announced since it was read. Every change the desk makes to who may do what —
//!   a token ended, a user renamed, given another role or shops, deactivated, a shop added —
//!   is announced by [`announce`] in the writing transaction (every server hears it when it
//!   commits) and counts in this process at once, before its answer is sent;
//! - it was read less than [`KEPT_FOR`] ago (a change made by hand in the database, without the
//!   announcement, is seen within that), and its token has not expired.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use sqlx::PgExecutor;

use crate::auth::Role;
use crate::ids::{ShopId, UserId};

/// The channel a change of credentials is announced on.
pub const CHANNEL: &str = "desk_credentials";

/// The longest a holder is kept.
pub const KEPT_FOR: Duration = Duration::seconds(30);

/// The most holders kept; when full, those no longer usable are dropped, and if that is not
/// enough, all of them (each is read again when next asked for).
const MOST: usize = 10_000;

/// Changes of credentials seen by this process: announced by it, heard from the database, or
/// possibly missed while not listening. A holder read before the latest is not used.
static CHANGES: AtomicU64 = AtomicU64::new(0);

/// Counts a change of credentials in this process: no holder read before it is used again.
pub fn changed() {
    CHANGES.fetch_add(1, Ordering::SeqCst);
}

/// Announces a change of credentials to every server (inside the caller's transaction: it is
/// heard when that commits) and counts it here at once. Called by every writer of tokens,
/// users' roles, names and shops, and shops; one that announces inside a transaction counts it
/// again ([`changed`]) once it has committed.
pub async fn announce(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    changed();
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(CHANNEL)
        .execute(db)
        .await?;
    // Counted again after the statement: a holder read meanwhile, before the change was
    // written, is not used either.
    changed();
    Ok(())
}

/// Who holds a live token, as [`crate::auth::tokens::holder`] reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub id: UserId,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub shops: Vec<ShopId>,
    /// When the token stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// Where a read of a holder began: what it read may be kept only if nothing changed since.
#[derive(Clone, Copy, Debug)]
#[must_use]
pub struct ReadFrom(u64);

/// The holders kept by one server (one per `AppState`; clones share them).
#[derive(Clone, Default)]
pub struct Holders {
    inner: Arc<Inner>,
}

struct Inner {
    hearing: AtomicBool,
    kept: Mutex<HashMap<[u8; 32], Kept>>,
    /// The changes counted: the process's ([`CHANGES`]), or its own ([`Holders::counted_apart`]).
    changes: &'static AtomicU64,
}

impl Default for Inner {
    fn default() -> Inner {
        Inner {
            hearing: AtomicBool::new(false),
            kept: Mutex::default(),
            changes: &CHANGES,
        }
    }
}

struct Kept {
    holder: Holder,
    read_at: DateTime<Utc>,
    changes: u64,
}

impl Holders {
    /// Holders that count the changes they hear apart from the process's count: for a process
    /// that runs several servers, each on a database of its own (the integration tests), where
    /// one's changes say nothing of another's. The changes its own server makes count once they
    /// are heard. Each keeps its count (a few bytes) for the life of the process.
    pub fn counted_apart() -> Holders {
        Holders {
            inner: Arc::new(Inner {
                changes: Box::leak(Box::new(AtomicU64::new(0))),
                ..Inner::default()
            }),
        }
    }

    /// Says whether the announcements on [`CHANNEL`] are heard now. Either way what is kept is
    /// dropped: announcements may have been missed while not hearing.
    pub fn hearing(&self, yes: bool) {
        self.inner.hearing.store(yes, Ordering::SeqCst);
        self.inner.changes.fetch_add(1, Ordering::SeqCst);
        self.lock().clear();
    }

    /// Counts an announcement heard from the database.
    pub fn heard(&self) {
        self.inner.changes.fetch_add(1, Ordering::SeqCst);
    }

    /// Whether announcements are heard (holders are kept only then).
    pub fn is_hearing(&self) -> bool {
        self.inner.hearing.load(Ordering::SeqCst)
    }

    /// The holder kept for the token of `digest`, if it may be used at `now`.
    pub fn kept(&self, digest: &[u8; 32], now: DateTime<Utc>) -> Option<Holder> {
        if !self.is_hearing() {
            return None;
        }
        let changes = self.inner.changes.load(Ordering::SeqCst);
        let kept = self.lock();
        let entry = kept.get(digest)?;
        let usable = entry.changes == changes && now < entry.read_at + KEPT_FOR && now < entry.holder.expires_at;
        usable.then(|| entry.holder.clone())
    }

    /// Marks the start of a read of a holder (before its statement is sent).
    pub fn read_from(&self) -> ReadFrom {
        ReadFrom(self.inner.changes.load(Ordering::SeqCst))
    }

    /// Keeps `holder`, read at `now` from `from`, unless a change came since or nothing is heard.
    pub fn keep(&self, digest: [u8; 32], holder: Holder, from: ReadFrom, now: DateTime<Utc>) {
        if !self.is_hearing() {
            return;
        }
        let mut kept = self.lock();
        // A change counted after this check keeps the entry from being used: it carries the
        // count it was read under.
        let changes = self.inner.changes.load(Ordering::SeqCst);
        if from.0 != changes {
            return;
        }
        if kept.len() >= MOST {
            kept.retain(|_, entry| entry.changes == changes && now < entry.read_at + KEPT_FOR);
            if kept.len() >= MOST {
                kept.clear();
            }
        }
        kept.insert(
            digest,
            Kept {
                holder,
                read_at: now,
                changes,
            },
        );
    }

    /// How many holders are kept (stale ones included until they are replaced).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Kept>> {
        // A panic while holding the lock leaves a map that is still whole (each change is one
        // insert, retain or clear): carry on with it.
        self.inner.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(second: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap() + Duration::seconds(second)
    }

    fn holder(expires: i64) -> Holder {
        Holder {
            id: UserId(7),
            login: "agent7".into(),
            display_name: "Agent".into(),
            role: Role::Agent,
            shops: vec![ShopId(1)],
            expires_at: at(expires),
        }
    }

    /// Holders counting changes of their own (the process's count moves with other tests).
    fn holders() -> (Holders, &'static AtomicU64) {
        let holders = Holders::counted_apart();
        let changes = holders.inner.changes;
        (holders, changes)
    }

    #[test]
    fn nothing_is_kept_while_the_announcements_are_not_heard() {
        let (holders, _) = holders();
        holders.keep([1; 32], holder(3600), holders.read_from(), at(0));
        assert!(holders.is_empty());
        assert_eq!(holders.kept(&[1; 32], at(1)), None);
    }

    #[test]
    fn a_holder_is_used_until_it_is_kept_too_long_or_its_token_expires() {
        let (holders, _) = holders();
        holders.hearing(true);
        holders.keep([2; 32], holder(3600), holders.read_from(), at(0));
        assert_eq!(holders.kept(&[2; 32], at(29)), Some(holder(3600)));
        assert_eq!(
            holders.kept(&[2; 32], at(30)),
            None,
            "kept for less than thirty seconds"
        );
        assert_eq!(holders.kept(&[3; 32], at(1)), None, "another token");

        holders.keep([4; 32], holder(10), holders.read_from(), at(0));
        assert_eq!(holders.kept(&[4; 32], at(9)), Some(holder(10)));
        assert_eq!(holders.kept(&[4; 32], at(10)), None, "the token expired");
    }

    #[test]
    fn a_change_drops_what_was_read_before_it() {
        let (holders, changes) = holders();
        holders.hearing(true);
        let from = holders.read_from();
        changes.fetch_add(1, Ordering::SeqCst);
        holders.keep([5; 32], holder(3600), from, at(0));
        assert!(holders.is_empty(), "read before the change: not kept");

        holders.keep([6; 32], holder(3600), holders.read_from(), at(0));
        assert!(holders.kept(&[6; 32], at(1)).is_some());
        holders.heard();
        assert_eq!(
            holders.kept(&[6; 32], at(1)),
            None,
            "kept before an announcement heard: not used"
        );
    }

    #[test]
    fn the_process_count_moves_with_each_announcement_made_here() {
        let before = CHANGES.load(Ordering::SeqCst);
        changed();
        assert!(CHANGES.load(Ordering::SeqCst) > before);
        let holders = Holders::default();
        holders.hearing(true);
        let from = holders.read_from();
        changed();
        holders.keep([8; 32], holder(3600), from, at(0));
        assert!(holders.is_empty(), "read before a change made here: not kept");
    }

    #[test]
    fn losing_the_announcements_drops_everything_kept() {
        let (holders, _) = holders();
        holders.hearing(true);
        holders.keep([7; 32], holder(3600), holders.read_from(), at(0));
        assert_eq!(holders.len(), 1);
        holders.hearing(false);
        assert!(holders.is_empty());
        assert_eq!(holders.kept(&[7; 32], at(1)), None);
        holders.keep([7; 32], holder(3600), holders.read_from(), at(0));
        assert!(holders.is_empty(), "not kept while not hearing");
        holders.hearing(true);
        assert_eq!(holders.kept(&[7; 32], at(1)), None);
    }

    #[test]
    fn a_full_store_makes_room_by_dropping_what_is_no_longer_used() {
        let (holders, _) = holders();
        holders.hearing(true);
        for n in 0..MOST {
            let mut digest = [0; 32];
            digest[..8].copy_from_slice(&(n as u64).to_le_bytes());
            // Half of them read too long ago already.
            let read_at = if n % 2 == 0 { at(-60) } else { at(0) };
            holders.keep(digest, holder(3600), holders.read_from(), read_at);
        }
        assert_eq!(holders.len(), MOST);
        holders.keep([9; 32], holder(3600), holders.read_from(), at(1));
        assert_eq!(holders.len(), MOST / 2 + 1, "the stale half dropped, the new one kept");
        assert!(holders.kept(&[9; 32], at(2)).is_some());

        // All of them still in use: everything goes, the new one stays.
        let mut n: u64 = 0;
        while holders.len() < MOST {
            let mut digest = [1; 32];
            digest[..8].copy_from_slice(&n.to_le_bytes());
            holders.keep(digest, holder(3600), holders.read_from(), at(1));
            n += 1;
        }
        holders.keep([10; 32], holder(3600), holders.read_from(), at(2));
        assert_eq!(holders.len(), 1);
    }
}

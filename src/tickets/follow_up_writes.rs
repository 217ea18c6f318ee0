//! Follow-ups recorded at the same moment, written together ([`crate::db::gather`]):
//! [`FollowUpWrites`].
//!
//! A follow-up is one statement (its ticket's contact and due times, its event, its cycle in the
//! day's figures: [`repo::record_follow_up`]); the follow-ups asked for while others are being
//! written go in one statement ([`repo::record_follow_ups`]). Each still holds only while its
//! ticket is at the version it was worked out from: one that does not is answered `None`, and
//! its caller works it out again from the ticket locked, as after any change in between. When
//! the database refuses the statement, each follow-up of it is written again alone; when it
//! fails otherwise (the connection lost), each is answered with that error, as it would have
//! been alone.

use sqlx::PgPool;

use super::repo::{self, FollowUpRecord, FollowUpStored};
use crate::db::gather::{Gathered, Together};

/// The most follow-ups one statement writes.
pub const MOST_AT_ONCE: usize = 32;

/// Where follow-ups are written: gathered ([`Gathered::with_writers`] with [`MOST_AT_ONCE`]), or each
/// alone. [`Gathered::write`] answers what the follow-up stored, `None` when its ticket was no
/// longer at the version read and nothing was written.
pub type FollowUpWrites = Gathered<FollowUpRecord>;

impl Together for FollowUpRecord {
    type Stored = Option<FollowUpStored>;

    async fn several(pool: &PgPool, follow_ups: &[FollowUpRecord]) -> sqlx::Result<Vec<Option<FollowUpStored>>> {
        repo::record_follow_ups(pool, follow_ups).await
    }

    async fn one(pool: &PgPool, follow_up: &FollowUpRecord) -> sqlx::Result<Option<FollowUpStored>> {
        repo::record_follow_up(pool, follow_up).await
    }
}

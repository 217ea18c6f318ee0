//! Tickets opened at the same moment, written together ([`crate::db::gather`]): [`Openings`].
//!
//! For one ticket, the statement's triggers, its plan and its commit are most of what its
//! opening costs PostgreSQL, so the tickets asked for while others are being written go in one
//! statement ([`repo::open`]). When the database refuses that statement (one ticket's order was
//! deleted in between, say), each of its tickets is written again alone, so that each request
//! gets its own answer and none fails for another's.

use sqlx::PgPool;

use super::Ticket;
use super::repo::{self, Opening};
use crate::db::gather::{Gathered, Together};

/// The most tickets one statement writes.
pub const MOST_AT_ONCE: usize = 32;

/// Where new tickets are written: gathered ([`Gathered::with_writers`] with [`MOST_AT_ONCE`]), or
/// each alone (a command-line import, a test). [`Gathered::write`] stores a new ticket with its
/// first events and returns it as stored (`None`: its creator already opened one with the same
/// idempotency key), once committed.
pub type Openings = Gathered<Opening>;

impl Together for Opening {
    type Stored = Option<Ticket>;

    async fn several(pool: &PgPool, openings: &[Opening]) -> sqlx::Result<Vec<Option<Ticket>>> {
        repo::open(pool, openings).await
    }

    async fn one(pool: &PgPool, opening: &Opening) -> sqlx::Result<Option<Ticket>> {
        repo::open_one(pool, opening).await
    }
}

//! Tickets opened at the same moment, written together: [`Openings`].
//!
//! Each statement that stores tickets fires the statement triggers of `tickets` and
//! `ticket_events` once (the report marks, the open counts, the search queue, the live outbox,
//! the webhooks), starts its plan, and commits; for one ticket that is most of what its opening
//! costs PostgreSQL. So while earlier tickets are being written, the tickets asked for meanwhile
//! wait together and go in one statement ([`repo::open`]) when a writer is free: the busier the
//! desk, the more tickets a statement carries; a ticket opened alone goes at once. Each is
//! committed before its request is answered, as before. When a statement fails (one ticket's
//! order was deleted in between, say), each of its tickets is written again alone, so that each
//! request gets its own answer and none fails for another's.

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::Ticket;
use super::repo::{self, Opening};

/// The most tickets one statement writes.
pub const MOST_AT_ONCE: usize = 32;

/// Where new tickets are written: gathered, or each alone (a command-line import, a test).
#[derive(Clone, Debug)]
pub struct Openings {
    pool: PgPool,
    waiting: Option<mpsc::UnboundedSender<Waiting>>,
}

/// A ticket waiting to be written, and where its answer goes.
#[derive(Debug)]
struct Waiting {
    opening: Opening,
    answer: oneshot::Sender<sqlx::Result<Option<Ticket>>>,
}

impl Openings {
    /// Each ticket written alone, by the caller.
    pub fn alone(pool: PgPool) -> Openings {
        Openings { pool, waiting: None }
    }

    /// Tickets gathered by a task of their own (started here: inside the Tokio runtime), written
    /// by at most `writers` statements at once. The task ends when the last clone is dropped.
    pub fn gathered(pool: PgPool, writers: usize) -> Openings {
        let (send, receive) = mpsc::unbounded_channel();
        tokio::spawn(gather(pool.clone(), receive, writers.max(1)));
        Openings {
            pool,
            waiting: Some(send),
        }
    }

    /// The pool the tickets are written to.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Stores `openings` as tickets opened at the same moment are: in one statement, or, if
    /// that fails, each alone; one answer each, in their order.
    pub async fn open_together(&self, openings: Vec<Opening>) -> Vec<sqlx::Result<Option<Ticket>>> {
        together(&self.pool, openings).await
    }

    /// Stores a new ticket with its first events and returns it as stored (`None`: its creator
    /// already opened one with the same idempotency key), once committed.
    pub async fn open(&self, opening: Opening) -> sqlx::Result<Option<Ticket>> {
        let Some(waiting) = &self.waiting else {
            return alone(&self.pool, opening).await;
        };
        let (answer, answered) = oneshot::channel();
        if let Err(refused) = waiting.send(Waiting { opening, answer }) {
            // The gathering task has ended (the server is stopping): write it here.
            return alone(&self.pool, refused.0.opening).await;
        }
        // No answer: the writer stopped before it wrote (the server is stopping).
        answered.await.map_err(|_| sqlx::Error::WorkerCrashed)?
    }
}

/// One ticket in a statement of its own.
async fn alone(pool: &PgPool, opening: Opening) -> sqlx::Result<Option<Ticket>> {
    repo::open_one(pool, &opening).await
}

/// Takes what waits, up to [`MOST_AT_ONCE`] tickets, whenever one of the `writers` is free.
async fn gather(pool: PgPool, mut waiting: mpsc::UnboundedReceiver<Waiting>, writers: usize) {
    let free = Arc::new(Semaphore::new(writers));
    loop {
        let Ok(writer) = free.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = waiting.recv().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < MOST_AT_ONCE {
            match waiting.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let pool = pool.clone();
        tokio::spawn(async move {
            write(&pool, batch).await;
            drop(writer);
        });
    }
}

/// Writes `batch` and answers each.
async fn write(pool: &PgPool, batch: Vec<Waiting>) {
    let (openings, answers): (Vec<Opening>, Vec<_>) = batch.into_iter().map(|w| (w.opening, w.answer)).unzip();
    for (answer, opened) in answers.into_iter().zip(together(pool, openings).await) {
        // A request that went away no longer waits for its answer.
        let _ = answer.send(opened);
    }
}

/// Writes `openings` in one statement; if it fails, each alone. One answer an opening, in order.
async fn together(pool: &PgPool, openings: Vec<Opening>) -> Vec<sqlx::Result<Option<Ticket>>> {
    if openings.len() > 1 {
        match repo::open(pool, &openings).await {
            Ok(opened) => return opened.into_iter().map(Ok).collect(),
            Err(error) => {
                tracing::warn!(tickets = openings.len(), %error, "tickets opened together refused; writing each alone");
            }
        }
    }
    let mut answers = Vec::with_capacity(openings.len());
    for opening in openings {
        answers.push(alone(pool, opening).await);
    }
    answers
}

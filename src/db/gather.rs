//! Writes asked for at the same moment, made together: [`Gathered`].
//!
//! A statement that writes one row costs PostgreSQL more than its row: it starts its plan, fires
//! its tables' statement triggers (the report marks, the open counts, the search queue, the live
//! outbox, the webhooks), and commits. So while earlier writes of a kind are under way, the
//! writes of that kind asked for meanwhile wait together and go in one statement when a writer
//! is free: the busier the desk, the more rows a statement carries; a write asked for alone goes
//! at once. Each is committed before its request is answered, as it would be alone. What a kind
//! of write does with several at once — one statement, and each alone again if that statement
//! fails, so that each request gets its own answer and none fails for another's — is its
//! [`Together`].
//!
//! The kinds: new tickets (`tickets::openings`) and follow-ups (`tickets::follow_up_writes`).

use std::future::Future;
use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// A kind of write that can be made together with others of its kind.
pub trait Together: Sized + Send + 'static {
    /// What each write answers its request.
    type Answer: Send + 'static;

    /// Writes `jobs` and answers each, in their order: one statement for several (each alone
    /// again if that one fails), the statement of one for one.
    fn write_together(pool: &PgPool, jobs: Vec<Self>) -> impl Future<Output = Vec<Self::Answer>> + Send;

    /// The answer of a write whose writer stopped before it answered (the server is stopping).
    fn unanswered() -> Self::Answer;
}

/// Where writes of one kind go: gathered by a task of their own, or each made by its caller.
pub struct Gathered<J: Together> {
    pool: PgPool,
    waiting: Option<mpsc::UnboundedSender<Waiting<J>>>,
}

impl<J: Together> Clone for Gathered<J> {
    fn clone(&self) -> Self {
        Gathered {
            pool: self.pool.clone(),
            waiting: self.waiting.clone(),
        }
    }
}

impl<J: Together> std::fmt::Debug for Gathered<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gathered")
            .field("gathered", &self.waiting.is_some())
            .finish_non_exhaustive()
    }
}

/// A write waiting for a writer, and where its answer goes.
struct Waiting<J: Together> {
    job: J,
    answer: oneshot::Sender<J::Answer>,
}

impl<J: Together> Gathered<J> {
    /// Each write made alone, by its caller (a command-line import, a test).
    pub fn alone(pool: PgPool) -> Self {
        Gathered { pool, waiting: None }
    }

    /// Writes gathered by a task of their own (started here: inside the Tokio runtime), at most
    /// `most_at_once` a statement and `writers` statements at once. The task ends when the last
    /// clone is dropped.
    pub fn with_writers(pool: PgPool, writers: usize, most_at_once: usize) -> Self {
        let (send, receive) = mpsc::unbounded_channel();
        tokio::spawn(gather(pool.clone(), receive, writers.max(1), most_at_once.max(1)));
        Gathered {
            pool,
            waiting: Some(send),
        }
    }

    /// The pool the writes go to.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Makes `jobs` as writes asked for at the same moment are: one answer each, in their order.
    pub async fn together(&self, jobs: Vec<J>) -> Vec<J::Answer> {
        J::write_together(&self.pool, jobs).await
    }

    /// Makes one write, with those asked for meanwhile when the writes are gathered, and answers
    /// once it is committed.
    pub async fn write(&self, job: J) -> J::Answer {
        let Some(waiting) = &self.waiting else {
            return alone(&self.pool, job).await;
        };
        let (answer, answered) = oneshot::channel();
        if let Err(refused) = waiting.send(Waiting { job, answer }) {
            // The gathering task has ended (the server is stopping): write it here.
            return alone(&self.pool, refused.0.job).await;
        }
        answered.await.unwrap_or_else(|_| J::unanswered())
    }
}

/// One write in a statement of its own.
async fn alone<J: Together>(pool: &PgPool, job: J) -> J::Answer {
    J::write_together(pool, vec![job])
        .await
        .pop()
        .unwrap_or_else(J::unanswered)
}

/// Takes what waits, up to `most_at_once` writes, whenever one of the `writers` is free.
async fn gather<J: Together>(
    pool: PgPool,
    mut waiting: mpsc::UnboundedReceiver<Waiting<J>>,
    writers: usize,
    most_at_once: usize,
) {
    let free = Arc::new(Semaphore::new(writers));
    loop {
        let Ok(writer) = free.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = waiting.recv().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < most_at_once {
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

/// Makes `batch` and answers each.
async fn write<J: Together>(pool: &PgPool, batch: Vec<Waiting<J>>) {
    let (jobs, answers): (Vec<J>, Vec<_>) = batch.into_iter().map(|w| (w.job, w.answer)).unzip();
    for (answer, made) in answers.into_iter().zip(J::write_together(pool, jobs).await) {
        // A request that went away no longer waits for its answer.
        let _ = answer.send(made);
    }
}

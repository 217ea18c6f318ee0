//! Writes asked for at the same moment, made together: [`Gathered`].
//!
//! A statement that writes one row costs PostgreSQL more than its row: it starts its plan, fires
//! its tables' statement triggers (the report marks, the open counts, the search queue, the live
//! outbox, the webhooks), and commits. So while earlier writes of a kind are under way, the
//! writes of that kind asked for meanwhile wait together and go in one statement when a writer
//! is free: the busier the desk, the more rows a statement carries. A write asked for alone goes
//! once the requests already ready to run have asked for theirs and, while another statement is
//! under way, once a second write joins it or that statement ends (no timer: a quiet desk waits
//! for nothing). Each request is answered once its statement has ended, as it would be alone.
//! What a kind of write does with several at once — one statement, and each alone again if the database
//! refused that statement ([`refused`]), so that each request gets its own answer and none fails
//! for another's — is [`write_together`]; what a kind writes, several at once or one, is its
//! [`Together`].
//!
//! The kinds: new tickets (`tickets::openings`) and follow-ups (`tickets::follow_up_writes`).

use std::future::Future;
use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// A kind of write that can be made together with others of its kind.
pub trait Together: Sized + Send + Sync + 'static {
    /// What one write stored, as its request is answered.
    type Stored: Send + 'static;

    /// Makes several writes in one statement: what each stored, in their order.
    fn several(pool: &PgPool, jobs: &[Self]) -> impl Future<Output = sqlx::Result<Vec<Self::Stored>>> + Send;

    /// Makes one write alone.
    fn one(pool: &PgPool, job: &Self) -> impl Future<Output = sqlx::Result<Self::Stored>> + Send;
}

/// What a write answers its request.
pub type Answer<J> = sqlx::Result<<J as Together>::Stored>;

/// Makes `jobs` and answers each, in their order: one statement for several — each alone again
/// if the database refused it ([`refused`]), each with the statement's error if it failed
/// otherwise —, the statement of one for one.
pub async fn write_together<J: Together>(pool: &PgPool, jobs: Vec<J>) -> Vec<Answer<J>> {
    if jobs.len() > 1 {
        match J::several(pool, &jobs).await {
            Ok(stored) => return stored.into_iter().map(Ok).collect(),
            Err(error) if refused(&error) => {
                tracing::warn!(
                    writes = jobs.len(),
                    kind = std::any::type_name::<J>(),
                    %error,
                    "writes made together refused; making each alone"
                );
            }
            Err(error) => return jobs.iter().map(|_| Err(same_error(&error))).collect(),
        }
    }
    let mut answers = Vec::with_capacity(jobs.len());
    for job in &jobs {
        answers.push(J::one(pool, job).await);
    }
    answers
}

/// Where writes of one kind go: gathered by a task of their own, or each made by its caller.
pub struct Gathered<J: Together> {
    pool: PgPool,
    writing: PgPool,
    waiting: Option<mpsc::UnboundedSender<Waiting<J>>>,
}

impl<J: Together> Clone for Gathered<J> {
    fn clone(&self) -> Self {
        Gathered {
            pool: self.pool.clone(),
            writing: self.writing.clone(),
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
    answer: oneshot::Sender<Answer<J>>,
}

impl<J: Together> Gathered<J> {
    /// Each write made alone, by its caller (a command-line import, a test).
    pub fn alone(pool: PgPool) -> Self {
        Gathered {
            writing: pool.clone(),
            pool,
            waiting: None,
        }
    }

    /// Writes gathered by a task of their own (started here: inside the Tokio runtime), at most
    /// `most_at_once` a statement and `writers` statements at once, on connections of
    /// `writing` (the desk's `pool`, or connections set up for these statements). The task ends
    /// when the last clone is dropped.
    pub fn with_writers(pool: PgPool, writing: PgPool, writers: usize, most_at_once: usize) -> Self {
        let (send, receive) = mpsc::unbounded_channel();
        tokio::spawn(gather(writing.clone(), receive, writers.max(1), most_at_once.max(1)));
        Gathered {
            pool,
            writing,
            waiting: Some(send),
        }
    }

    /// The desk's pool (the reads a write is worked out from, and each write made alone).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The connections the gathered writes are made on.
    pub fn writing(&self) -> &PgPool {
        &self.writing
    }

    /// Makes `jobs` as writes asked for at the same moment are: one answer each, in their order.
    pub async fn together(&self, jobs: Vec<J>) -> Vec<Answer<J>> {
        write_together(&self.pool, jobs).await
    }

    /// Makes one write, with those asked for meanwhile when the writes are gathered, and answers
    /// once it is committed.
    pub async fn write(&self, job: J) -> Answer<J> {
        let Some(waiting) = &self.waiting else {
            return alone(&self.pool, job).await;
        };
        let (answer, answered) = oneshot::channel();
        if let Err(refused) = waiting.send(Waiting { job, answer }) {
            // The gathering task has ended (the server is stopping): write it here.
            return alone(&self.pool, refused.0.job).await;
        }
        // No answer: the writer stopped before it answered (the server is stopping, or the
        // writer failed), and whether the write was stored is not known.
        answered.await.unwrap_or(Err(sqlx::Error::WorkerCrashed))
    }
}

/// One write in a statement of its own.
async fn alone<J: Together>(pool: &PgPool, job: J) -> Answer<J> {
    J::one(pool, &job).await
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
        take_waiting(&mut waiting, &mut batch, most_at_once);
        // Alone so far, and a statement could carry more: the requests ready to run ask first
        // (their reads have come back), and what they ask goes in the same statement. Measured
        // on the 100,000-ticket shop: an eighth of the follow-ups went alone at 16 clients, each
        // at two and a half times a batched one's cost; a twentieth with this, and 5–15 % more
        // follow-ups and tickets a second (docs/PERFORMANCE.md).
        let alone = |batch: &Vec<Waiting<J>>| batch.len() == 1 && most_at_once > 1;
        if alone(&batch) {
            tokio::task::yield_now().await;
            take_waiting(&mut waiting, &mut batch, most_at_once);
        }
        if alone(&batch) && writers > 1 {
            // Still alone while another statement is under way: it waits for a second write or
            // for that statement's end, whichever comes first, rather than going as a second
            // statement of one. At four connections, as the peer comparison creates tickets,
            // the two writers took one ticket a statement each (1.2–1.3 on average), at twice
            // a gathered ticket's cost to PostgreSQL (docs/PERFORMANCE.md).
            let others = u32::try_from(writers - 1).unwrap_or(u32::MAX);
            tokio::select! {
                biased;
                next = waiting.recv() => {
                    if let Some(next) = next {
                        batch.push(next);
                        take_waiting(&mut waiting, &mut batch, most_at_once);
                    }
                }
                ended = free.acquire_many(others) => drop(ended),
            }
        }
        let pool = pool.clone();
        tokio::spawn(async move {
            write(&pool, batch).await;
            drop(writer);
        });
    }
}

/// Adds to `batch` what waits, until it holds `most_at_once`.
fn take_waiting<J: Together>(
    waiting: &mut mpsc::UnboundedReceiver<Waiting<J>>,
    batch: &mut Vec<Waiting<J>>,
    most_at_once: usize,
) {
    while batch.len() < most_at_once {
        match waiting.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) => break,
        }
    }
}

/// Makes `batch` and answers each.
async fn write<J: Together>(pool: &PgPool, batch: Vec<Waiting<J>>) {
    let (jobs, answers): (Vec<J>, Vec<_>) = batch.into_iter().map(|w| (w.job, w.answer)).unzip();
    for (answer, made) in answers.into_iter().zip(write_together(pool, jobs).await) {
        // A request that went away no longer waits for its answer.
        let _ = answer.send(made);
    }
}

/// Whether a statement of several writes failed in a way that lets each be written again alone:
/// the database refused it (a constraint, a deadlock, a row gone) and stored none of it. Any
/// other failure — the connection lost, the pool exhausted — leaves unknown whether it was
/// committed, and writing again could store a write twice: each write of it gets that error
/// instead ([`same_error`]).
pub fn refused(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(_))
}

/// `error` again, for each write of a statement that failed with it (an error is not `Clone`):
/// the same kind where it says something to the caller, its text otherwise.
pub fn same_error(error: &sqlx::Error) -> sqlx::Error {
    match error {
        sqlx::Error::Io(io) => sqlx::Error::Io(std::io::Error::new(io.kind(), io.to_string())),
        sqlx::Error::PoolTimedOut => sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed => sqlx::Error::PoolClosed,
        sqlx::Error::WorkerCrashed => sqlx::Error::WorkerCrashed,
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A statement that failed but for the database's refusal may have been committed: its
    /// writes are not made again, and each gets an error of the same kind.
    #[test]
    fn only_a_refused_statement_is_written_again() {
        let lost = sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset by peer",
        ));
        assert!(!refused(&lost));
        assert!(!refused(&sqlx::Error::PoolTimedOut));
        assert!(!refused(&sqlx::Error::WorkerCrashed));
        match same_error(&lost) {
            sqlx::Error::Io(io) => {
                assert_eq!(io.kind(), std::io::ErrorKind::ConnectionReset);
                assert_eq!(io.to_string(), "reset by peer");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            same_error(&sqlx::Error::PoolTimedOut),
            sqlx::Error::PoolTimedOut
        ));
        assert!(matches!(
            same_error(&sqlx::Error::ColumnNotFound("n".into())),
            sqlx::Error::Protocol(text) if text.contains("n")
        ));
    }

    /// A write that notes which writes each statement made.
    struct Noted {
        n: usize,
        statements: Arc<std::sync::Mutex<Vec<Vec<usize>>>>,
        /// Holds the statement that makes this write until notified.
        held: Option<Arc<tokio::sync::Notify>>,
    }

    impl Noted {
        async fn held(jobs: &[Noted]) {
            for held in jobs.iter().filter_map(|job| job.held.as_ref()) {
                held.notified().await;
            }
        }
    }

    impl Together for Noted {
        type Stored = ();

        async fn several(_: &PgPool, jobs: &[Noted]) -> sqlx::Result<Vec<()>> {
            Noted::held(jobs).await;
            let made = jobs.iter().map(|job| job.n).collect();
            jobs[0].statements.lock().expect("notes").push(made);
            Ok(vec![(); jobs.len()])
        }

        async fn one(_: &PgPool, job: &Noted) -> sqlx::Result<()> {
            Noted::held(std::slice::from_ref(job)).await;
            job.statements.lock().expect("notes").push(vec![job.n]);
            Ok(())
        }
    }

    /// A write asked for by a request that became ready as the writer woke for another goes in
    /// the same statement: the writer lets the ready requests run before it writes one alone.
    #[tokio::test(flavor = "current_thread")]
    async fn a_write_asked_for_as_the_writer_wakes_goes_with_the_one_that_woke_it() {
        let pool = PgPool::connect_lazy("postgres://nobody@localhost/nowhere").expect("a lazy pool");
        let gathered: Gathered<Noted> = Gathered::with_writers(pool.clone(), pool, 1, 32);
        let statements = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (first_asked, asked) = oneshot::channel::<()>();
        let second = tokio::spawn({
            let (gathered, statements) = (gathered.clone(), statements.clone());
            async move {
                asked.await.expect("the first write asked");
                gathered
                    .write(Noted {
                        n: 2,
                        statements,
                        held: None,
                    })
                    .await
            }
        });
        // The second request waits to be ready, the writer for a write.
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        let job = Noted {
            n: 1,
            statements: statements.clone(),
            held: None,
        };
        // The first write is asked for (waking the writer), then the second request is ready.
        let (first, _) = tokio::join!(gathered.write(job), async { first_asked.send(()) });
        first.expect("written");
        second.await.expect("the second request").expect("written");
        assert_eq!(*statements.lock().expect("notes"), vec![vec![1, 2]]);
    }

    /// Lets every task that can run do so.
    async fn settle() {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }

    /// A write alone while another statement is under way does not go as a second statement of
    /// one: it goes with the next write asked for, or once the statement under way has ended.
    #[tokio::test(flavor = "current_thread")]
    async fn a_write_alone_beside_a_statement_under_way_waits_for_a_second_or_for_its_end() {
        let pool = PgPool::connect_lazy("postgres://nobody@localhost/nowhere").expect("a lazy pool");
        let gathered: Gathered<Noted> = Gathered::with_writers(pool.clone(), pool, 2, 32);
        let statements = Arc::new(std::sync::Mutex::new(Vec::new()));
        let hold = Arc::new(tokio::sync::Notify::new());
        let ask = |n: usize, held: Option<Arc<tokio::sync::Notify>>| {
            let (gathered, statements) = (gathered.clone(), statements.clone());
            tokio::spawn(async move { gathered.write(Noted { n, statements, held }).await })
        };
        let noted = || statements.lock().expect("notes").clone();

        // The first write's statement is under way (held); the second waits beside it.
        let first = ask(1, Some(hold.clone()));
        settle().await;
        let second = ask(2, None);
        settle().await;
        assert_eq!(noted(), Vec::<Vec<usize>>::new(), "the second write went alone");
        // A third is asked for: the two go together.
        let third = ask(3, None);
        settle().await;
        assert_eq!(noted(), vec![vec![2, 3]]);
        second.await.expect("the second request").expect("written");
        third.await.expect("the third request").expect("written");

        // A fourth alone waits until the first statement ends, then goes.
        let fourth = ask(4, None);
        settle().await;
        assert_eq!(noted(), vec![vec![2, 3]], "the fourth write went alone");
        hold.notify_one();
        first.await.expect("the first request").expect("written");
        fourth.await.expect("the fourth request").expect("written");
        assert_eq!(noted(), vec![vec![2, 3], vec![1], vec![4]]);
    }

    /// Where a statement carries one write, a write never waits to be joined by another: it goes
    /// as soon as a writer is free, beside a statement under way.
    #[tokio::test(flavor = "current_thread")]
    async fn writes_made_one_a_statement_go_at_once_beside_a_statement_under_way() {
        let pool = PgPool::connect_lazy("postgres://nobody@localhost/nowhere").expect("a lazy pool");
        let gathered: Gathered<Noted> = Gathered::with_writers(pool.clone(), pool, 2, 1);
        let statements = Arc::new(std::sync::Mutex::new(Vec::new()));
        let hold = Arc::new(tokio::sync::Notify::new());
        let ask = |n: usize, held: Option<Arc<tokio::sync::Notify>>| {
            let (gathered, statements) = (gathered.clone(), statements.clone());
            tokio::spawn(async move { gathered.write(Noted { n, statements, held }).await })
        };
        let first = ask(1, Some(hold.clone()));
        settle().await;
        let second = ask(2, None);
        settle().await;
        let third = ask(3, None);
        settle().await;
        assert_eq!(*statements.lock().expect("notes"), vec![vec![2], vec![3]]);
        hold.notify_one();
        for request in [first, second, third] {
            request.await.expect("the request").expect("written");
        }
        assert_eq!(*statements.lock().expect("notes"), vec![vec![2], vec![3], vec![1]]);
    }
}

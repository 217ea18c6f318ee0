//! `aftersales bench`: the proof that the desk stays fast with a big shop's data (issue 6).
//!
//! - [`generate`] writes a realistic large shop — a year of orders (5,000,000 order lines by
//!   default) and 1,000,000 tickets with about ten timeline events each — straight into the
//!   tables with `COPY`, deterministically from a seed.
//! - [`run`] starts the server (or uses a running one), signs in as the shop's bench users and
//!   measures latency percentiles and throughput of the pages and API calls people use most,
//!   plus the server's peak memory, then prints one markdown table and writes it to a file.
//!
//! The method and the figures are in `docs/PERFORMANCE.md`.

pub mod ceiling;
pub mod cpu;
pub mod generate;
pub mod run;

use std::path::PathBuf;

use clap::Subcommand;

/// The password of every bench user (`<shop>-agent01` …): a fixture of a throw-away data set,
/// documented in `docs/PERFORMANCE.md`.
pub const BENCH_PASSWORD: &str = "bench-password-2026";

/// The `bench` subcommands.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Generate a large shop (a year of orders, tickets with their timelines) with COPY.
    Generate {
        /// Order lines to write (over a year).
        #[arg(long, default_value_t = 5_000_000)]
        orders_lines: u64,
        /// Tickets to write (about 10 timeline events each).
        #[arg(long, default_value_t = 1_000_000)]
        tickets: u64,
        /// Code of the shop to create (must not exist yet).
        #[arg(long, default_value = "bench")]
        shop: String,
        /// Seed of the generator: the same seed gives the same shop (placed relative to now).
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Measure latency and throughput against the generated shop (loopback only, bounded).
    Run {
        /// Seconds each scenario runs.
        #[arg(long, default_value_t = 20)]
        duration: u64,
        /// Concurrent clients.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Where to write the markdown table.
        #[arg(long, default_value = "bench-results.md")]
        out: PathBuf,
        /// Use a server that is already running (loopback only, e.g. http://127.0.0.1:8080)
        /// instead of starting one.
        #[arg(long)]
        url: Option<String>,
        /// With --url: the server's process id, to read its peak memory.
        #[arg(long)]
        pid: Option<u32>,
        /// Code of the generated shop.
        #[arg(long, default_value = "bench")]
        shop: String,
        /// Database connections of the server started for the run.
        #[arg(long, default_value_t = 16)]
        db_connections: u32,
        /// Run only these scenarios (queue, ticket, overdue, reports, search, create, follow-up), e.g.
        /// to profile one; all by default.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
}

/// Runs a `bench` subcommand.
pub async fn main(database_url: Option<&str>, data_dir: &std::path::Path, command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Generate {
            orders_lines,
            tickets,
            shop,
            seed,
        } => {
            let options = generate::Options {
                order_lines: orders_lines,
                tickets,
                shop,
                seed,
            };
            generate::main(database_url, data_dir, &options).await
        }
        BenchCommand::Run {
            duration,
            concurrency,
            out,
            url,
            pid,
            shop,
            db_connections,
            only,
        } => {
            let options = run::Options {
                duration: std::time::Duration::from_secs(duration.max(1)),
                concurrency: concurrency.max(1),
                out,
                url,
                pid,
                shop,
                db_connections,
                only,
            };
            run::main(database_url, data_dir, &options).await
        }
    }
}

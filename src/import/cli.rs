//! `aftersales import orders|refunds FILE --shop S`: the command-line import, with a progress
//! bar on a terminal, `--dry-run`, and every bad row printed with its line number.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Subcommand;

use super::orders::Format;
use super::{ImportError, ImportSummary, Progress};
use crate::db;
use crate::ids::ShopId;

/// What to import.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Orders: the seller centre's order report or item report (GBK, UTF-8 or .xlsx), or the plain CSV.
    Orders {
        /// The file to read.
        file: PathBuf,
        /// Shop code or id.
        #[arg(long)]
        shop: String,
        /// taobao (seller-centre export), csv (our plain layout) or auto (by the headers).
        #[arg(long, default_value = "auto")]
        format: String,
        /// Check the file against the database and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Refunds: the seller centre's refund report, as tickets with their history.
    Refunds {
        /// The file to read.
        file: PathBuf,
        /// Shop code or id.
        #[arg(long)]
        shop: String,
        /// Login of the supervisor or admin the tickets are recorded for.
        #[arg(long = "as")]
        actor: String,
        /// Check the file and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Runs an import command.
pub async fn run(database_url: Option<&str>, data_dir: &Path, command: ImportCommand) -> anyhow::Result<()> {
    let database = db::open(database_url, data_dir, 4).await?;
    let result = run_with(&database.pool, command).await;
    database.close().await?;
    result
}

async fn find_shop(pool: &sqlx::PgPool, arg: &str) -> anyhow::Result<crate::shops::Shop> {
    let shop = match arg.parse::<i64>() {
        Ok(id) => crate::shops::get(pool, ShopId(id)).await?,
        Err(_) => crate::shops::by_code(pool, arg).await?,
    };
    shop.ok_or_else(|| anyhow::anyhow!("no shop `{arg}` (give its code or id)"))
}

async fn run_with(pool: &sqlx::PgPool, command: ImportCommand) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut bar = ProgressBar::new();
    let (file, shop, outcome, actor, kind) = match command {
        ImportCommand::Orders {
            file,
            shop,
            format,
            dry_run,
        } => {
            let shop = find_shop(pool, &shop).await?;
            let format = Format::parse(&format)
                .ok_or_else(|| anyhow::anyhow!("--format is taobao, csv or auto, not `{format}`"))?;
            let bytes = read(&file)?;
            let outcome = super::orders::import(pool, shop.id, shop.zone(), &bytes, format, dry_run, &mut |p| {
                bar.show(p)
            })
            .await;
            (file, shop.id, outcome, None, "orders")
        }
        ImportCommand::Refunds {
            file,
            shop,
            actor,
            dry_run,
        } => {
            let shop = find_shop(pool, &shop).await?;
            let user = super::refunds::actor(pool, &actor, shop.id)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let calendar = crate::calendar::load(pool)
                .await
                .map_err(|e| anyhow::anyhow!("cannot load the working-day calendar: {e}"))?;
            let desk = super::refunds::Desk {
                pool: pool.clone(),
                calendar: std::sync::Arc::new(calendar),
                clock: crate::clock::Clock::System,
            };
            let bytes = read(&file)?;
            let outcome = super::refunds::import(&desk, &user, &shop, &bytes, dry_run, &mut |p| bar.show(p)).await;
            (file, shop.id, outcome, Some(user.id), "refunds")
        }
    };
    bar.finish();
    match outcome {
        Ok(summary) => {
            super::audit(pool, actor, shop, kind, "cli", &summary).await?;
            print_summary(&file, &summary, started.elapsed().as_secs_f64());
            if !summary.dry_run {
                // Count the report figures of the days the file touched now rather than at the
                // first report.
                let recount = Instant::now();
                let days = crate::reports::rollup::refresh(pool, shop, crate::reports::rollup::Busy::Wait).await?;
                if days > 0 {
                    println!(
                        "report figures recounted for {days} day(s) in {:.1} s",
                        recount.elapsed().as_secs_f64()
                    );
                }
            }
            Ok(())
        }
        Err(ImportError::Rows(errors)) => {
            for error in errors.iter().take(200) {
                eprintln!("{}:{}: {}", file.display(), error.line, error.reason);
            }
            if errors.len() > 200 {
                eprintln!("… and {} more", errors.len() - 200);
            }
            anyhow::bail!(
                "{} row(s) are wrong; nothing was imported. Fix them and run the import again",
                errors.len()
            )
        }
        Err(other) => Err(anyhow::anyhow!("{other}")),
    }
}

fn read(file: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))
}

fn print_summary(file: &Path, s: &ImportSummary, seconds: f64) {
    let rate = if seconds > 0.0 { s.rows as f64 / seconds } else { 0.0 };
    println!(
        "{}{}: {} rows ({}, {}) in {seconds:.1} s ({rate:.0} rows/s)",
        if s.dry_run {
            "checked (dry run, nothing written) "
        } else {
            "imported "
        },
        file.display(),
        s.rows,
        s.layout,
        s.encoding
    );
    println!(
        "orders: {} new, {} updated, {} unchanged; lines: {} written, {} removed; tickets: {} opened, {} already there",
        s.orders_created,
        s.orders_updated,
        s.orders_unchanged,
        s.lines_written,
        s.lines_removed,
        s.tickets_created,
        s.tickets_unchanged
    );
}

/// A progress bar on standard error, drawn only on a terminal.
struct ProgressBar {
    terminal: bool,
    last_percent: Option<u64>,
}

impl ProgressBar {
    fn new() -> ProgressBar {
        ProgressBar {
            terminal: std::io::stderr().is_terminal(),
            last_percent: None,
        }
    }

    fn show(&mut self, p: Progress) {
        if !self.terminal {
            return;
        }
        let mut err = std::io::stderr();
        if p.total == 0 {
            let _ = write!(err, "\rreading…");
            let _ = err.flush();
            return;
        }
        let percent = p.done * 100 / p.total;
        if self.last_percent == Some(percent) {
            return;
        }
        self.last_percent = Some(percent);
        let filled = (percent / 4) as usize;
        let _ = write!(
            err,
            "\r{} [{}{}] {percent:>3}% {}/{} rows",
            p.phase,
            "#".repeat(filled),
            " ".repeat(25 - filled),
            p.done,
            p.total
        );
        let _ = err.flush();
    }

    fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}

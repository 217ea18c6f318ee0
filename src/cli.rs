//! The command line (SPEC "Command line"): `serve`, `migrate`, `backup`, `restore`, `user add`. Every setting is a
//! flag with an environment variable twin.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use axum::serve::ListenerExt;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::auth::Role;
use crate::db;
use crate::ids::ShopId;
use crate::web::transport::{PublicUrl, Transport};

/// Aftersales Desk (售后工作台): after-sales tickets for marketplace shops.
#[derive(Debug, Parser)]
#[command(name = "aftersales", version, about)]
pub struct Cli {
    /// PostgreSQL to use, e.g. postgres://user:pass@host/db. Without it, a private PostgreSQL
    /// cluster is started from the machine's PostgreSQL binaries in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Where the embedded PostgreSQL keeps its data (when DATABASE_URL is not set).
    #[arg(long, env = "AFTERSALES_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "AFTERSALES_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Load the demo shop first (idempotent) and print its logins.
        #[arg(long, env = "AFTERSALES_DEMO")]
        demo: bool,
        /// Seconds between two runs of the follow-up sweep (0: never run it in this process).
        #[arg(long, env = "AFTERSALES_SWEEP_SECS", default_value_t = 60)]
        sweep_secs: u64,
        /// Largest number of database connections (searches open up to half as many more, at
        /// least two, for themselves).
        #[arg(long, env = "AFTERSALES_DB_CONNECTIONS", default_value_t = 16)]
        db_connections: u32,
        /// The address people reach the desk at, e.g. https://desk.example.com. When it is
        /// https, the session cookie is marked Secure and responses carry
        /// Strict-Transport-Security; sign-ins posted from this origin are accepted.
        #[arg(long, env = "AFTERSALES_PUBLIC_URL", value_parser = PublicUrl::parse)]
        public_url: Option<PublicUrl>,
        /// IP address of a reverse proxy that ends TLS in front of the desk: its
        /// `X-Forwarded-Proto: https` marks a request as served over TLS (repeat, or separate
        /// with commas). The header from any other address is ignored.
        #[arg(long = "trusted-proxy", env = "AFTERSALES_TRUSTED_PROXY", value_delimiter = ',')]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Bearer token that lets a scraper read /metrics from anywhere. Without it, /metrics
        /// answers only clients on the loopback interface that did not come through a proxy.
        #[arg(long, env = "AFTERSALES_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
        /// A streaming standby of the database (postgres://…) for the reports to read from, off
        /// the primary. While it does not answer, reports read from the database itself.
        #[arg(long, env = "AFTERSALES_REPLICA_URL", hide_env_values = true)]
        replica_url: Option<String>,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// On a Citus coordinator (`DATABASE_URL`, with its workers added): apply the migrations,
    /// then make the shared tables reference tables and distribute every shop table by shop,
    /// colocated. Safe to run again (after a migration that added a table).
    Distribute,
    /// Write the whole database (evidence files included) to FILE, in pg_dump's custom format.
    Backup {
        /// The backup file to write (replaced if it exists; readable by its owner only).
        file: PathBuf,
    },
    /// Load a backup made by `backup` into an empty database or a fresh data directory.
    Restore {
        /// The backup file to read.
        file: PathBuf,
        /// Replace whatever the database holds (drops every table first).
        #[arg(long)]
        force: bool,
    },
    /// Import orders or refunds from a file (progress bar, --dry-run, bad rows named).
    Import {
        #[command(subcommand)]
        command: crate::import::cli::ImportCommand,
    },
    /// Generate a large shop and measure the desk against it (docs/PERFORMANCE.md).
    Bench {
        #[command(subcommand)]
        command: crate::bench::BenchCommand,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Index for the search what is waiting (after an upgrade, the whole database; a running
    /// server does the same in the background), then print the index's size. --rebuild indexes
    /// every ticket, buyer and order again, with the GIN indexes built afresh at the end (much
    /// faster; searches are slow until it ends: run it while the desk is stopped).
    SearchIndex {
        /// Index everything again, not only what is waiting, building the GIN indexes afresh.
        #[arg(long)]
        rebuild: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. Prints a generated password once, unless --password-stdin is given.
    Add {
        /// Login name (letters, digits, `.`, `_`, `-`).
        #[arg(long)]
        login: String,
        /// agent, supervisor, owner or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Shop code or id the user belongs to (repeat for several).
        #[arg(long = "shop")]
        shops: Vec<String>,
        /// Name shown in the desk (default: the login).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("`{s}` is not a role; use agent, supervisor, owner or admin"))
}

/// Runs the command line; the exit code says whether it worked.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("AFTERSALES_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn")),
        )
        .with_target(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            listen,
            demo,
            sweep_secs,
            db_connections,
            public_url,
            trusted_proxies,
            metrics_token,
            replica_url,
        } => {
            let replica = replica_url
                .as_deref()
                .map(|url| {
                    url.parse::<sqlx::postgres::PgConnectOptions>()
                        .map(|options| db::replica::Replica::new(options, (db_connections / 2).max(2)))
                        .map_err(|e| {
                            anyhow::anyhow!(
                                "--replica-url is not a PostgreSQL URL ({e}): write postgres://user@host/database"
                            )
                        })
                })
                .transpose()?;
            let database = db::open_for_server(cli.database_url.as_deref(), &cli.data_dir, db_connections).await?;
            let transport = Transport {
                public_url,
                trusted_proxies,
            };
            let result = serve(&database, listen, demo, sweep_secs, transport, metrics_token, replica).await;
            database.close().await?;
            result
        }
        Command::Bench { command } => crate::bench::main(cli.database_url.as_deref(), &cli.data_dir, command).await,
        Command::Import { command } => {
            crate::import::cli::run(cli.database_url.as_deref(), &cli.data_dir, command).await
        }
        Command::Backup { file } => {
            let target = db::backup::Target::open(cli.database_url.as_deref(), &cli.data_dir).await?;
            let result = db::backup::backup(&target, &file).await;
            target.close().await?;
            let summary = result?;
            println!("backup written to {} ({} bytes)", summary.file.display(), summary.bytes);
            Ok(())
        }
        Command::Restore { file, force } => {
            let target = db::backup::Target::open(cli.database_url.as_deref(), &cli.data_dir).await?;
            let result = db::backup::restore(&target, &file, force).await;
            target.close().await?;
            let summary = result?;
            if summary.replaced > 0 {
                println!("replaced {} tables, views and sequences (--force)", summary.replaced);
            }
            println!(
                "restored {} into database `{}` ({} tables, views and sequences); start the server to apply any newer migrations",
                file.display(),
                summary.database,
                summary.tables
            );
            Ok(())
        }
        Command::SearchIndex { rebuild } => {
            let database = db::open(cli.database_url.as_deref(), &cli.data_dir, 2).await?;
            let result = search_index(&database.pool, rebuild).await;
            database.close().await?;
            result
        }
        Command::Migrate => {
            let database = db::open(cli.database_url.as_deref(), &cli.data_dir, 2).await?;
            println!("migrations applied");
            database.close().await
        }
        Command::Distribute => {
            let Some(url) = cli.database_url.as_deref() else {
                anyhow::bail!("distribute needs DATABASE_URL: the Citus coordinator's database, as a superuser");
            };
            let database = db::open(Some(url), &cli.data_dir, 2).await?;
            let mut conn = database.pool.acquire().await?;
            let done = db::citus::distribute(&mut conn).await;
            drop(conn);
            database.close().await?;
            let done = done?;
            println!(
                "reference tables: {} made now ({} in all); distributed by {}: {} made now ({} in all)",
                done.referenced.len(),
                db::citus::REFERENCE_TABLES.len(),
                db::citus::DISTRIBUTION_COLUMN,
                done.distributed.len(),
                db::citus::DISTRIBUTED_TABLES.len()
            );
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    login,
                    role,
                    shops,
                    name,
                    password_stdin,
                },
        } => {
            let database = db::open(cli.database_url.as_deref(), &cli.data_dir, 2).await?;
            let result = add_user(&database.pool, login, role, shops, name, password_stdin).await;
            database.close().await?;
            result
        }
    }
}

async fn serve(
    database: &db::Database,
    listen: SocketAddr,
    demo: bool,
    sweep_secs: u64,
    transport: Transport,
    metrics_token: Option<String>,
    replica: Option<db::replica::Replica>,
) -> anyhow::Result<()> {
    if demo {
        let logins = crate::demo::load(&database.pool).await?;
        println!("Demo shop loaded. Sign in with one of these (login / password):");
        for (login, role, password) in &logins {
            println!("  {login:<12} {password:<16} ({role})");
        }
    }
    if let Some(cluster) = &database.cluster {
        println!("The database lives in {}", cluster.home().display());
    }
    let mut state = crate::state::AppState::new(database.pool.clone())
        .with_transport(transport)
        .with_metrics_access(crate::metrics::Access::from_setting(metrics_token.as_deref()));
    state.embedded = database.cluster.as_ref().map(|cluster| cluster.server());
    let replica_watch = match replica.clone() {
        Some(replica) => {
            use db::replica::Health;
            match replica.check(&state.pool).await {
                Health::Replaying => println!("Reports read from the standby given by --replica-url"),
                Health::Behind => tracing::warn!(
                    "the standby given by --replica-url is behind: reports read from the primary until it catches up"
                ),
                Health::NotInRecovery => tracing::warn!(
                    "--replica-url is not a standby (not in recovery): reports read from it all the same"
                ),
                Health::Unreachable => tracing::warn!(
                    "the standby given by --replica-url does not answer: reports read from the primary until it does"
                ),
            }
            state = state.with_replica(replica.clone());
            Some(tokio::spawn(replica.watch(state.pool.clone())))
        }
        None => None,
    };
    let search_connections = state.search.clone();
    let planned_once = state.planned_once.clone();
    let pages = state.pages.clone();
    let supervisor = state.embedded.clone().map(|server| tokio::spawn(supervise(server)));
    state
        .calendars
        .reload(&state.pool, state.now())
        .await
        .map_err(|e| anyhow::anyhow!("cannot load the working-day calendar: {e}"))?;
    // The timeline's months: this one and the next two partitioned before the first request,
    // and kept so for as long as the server runs. A failure is no reason not to serve: events of
    // a month without its partition wait in the default one, and the next pass moves them.
    if let Err(error) = crate::tickets::months::cover(&state.pool, state.now()).await {
        tracing::warn!(%error, "cannot make the timeline's monthly partitions now; trying again in an hour");
    }
    let event_months = tokio::spawn(crate::tickets::months::keep(state.pool.clone(), state.clock.clone()));
    // The live desk: listening, and relaying what the writes left in the outbox, from the start
    // (a server with no page open still empties it for the others).
    state.live.start(&state.pool);
    let calendar_refresh = tokio::spawn(state.calendars.clone().keep_fresh(
        state.pool.clone(),
        state.clock.clone(),
        std::time::Duration::from_secs(300),
    ));
    let sweeper = (sweep_secs > 0).then(|| {
        tokio::spawn(crate::follow_ups::run_sweeper(
            database.pool.clone(),
            state.metrics.clone(),
            std::time::Duration::from_secs(sweep_secs),
        ))
    });
    // The open counts' changes folded into their base: every server, whether it sweeps or not
    // (the queue pages add up what is not folded yet).
    let open_counts_folder = tokio::spawn(crate::tickets::repo::keep_open_loads_folded(
        state.pool.clone(),
        std::time::Duration::from_secs(10),
    ));
    let abandoned_imports = tokio::spawn(crate::import::jobs::keep_failing_abandoned(
        state.pool.clone(),
        state.clock.clone(),
    ));
    // The search's indexer: every server runs one; they share the pending list safely.
    let search_indexer = tokio::spawn(crate::search::index::run_worker(
        state.pool.clone(),
        std::time::Duration::from_secs(1),
    ));
    // The webhooks' delivery worker: every server runs one; they share the outbox safely.
    let webhook_worker = tokio::spawn(crate::webhooks::worker::run(
        crate::webhooks::worker::Worker {
            pool: state.pool.clone(),
            sender: crate::webhooks::send::Sender::default(),
            clock: state.clock.clone(),
            base_url: state.transport.public_url.as_ref().map(|u| u.origin().to_string()),
        },
        std::time::Duration::from_secs(2),
    ));
    let recounter = tokio::spawn(crate::reports::rollup::run_refresher(
        database.pool.clone(),
        std::time::Duration::from_secs(30),
    ));
    let app = crate::router::router(state);
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        anyhow::anyhow!("cannot listen on {listen}: {e} (is another server running? choose another with --listen)")
    })?;
    let address = listener.local_addr()?;
    let listener = listener.tap_io(|connection| {
        if let Err(error) = connection.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set on a connection");
        }
    });
    // Listening for the signals before saying we run: a SIGTERM right after the line must stop
    // the desk in order, not kill it with PostgreSQL's watchdog left to clean up.
    let shutdown = shutdown_signal()?;
    println!("Aftersales Desk is running at http://{address}/  (Ctrl-C to stop)");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await?;
    if let Some(sweeper) = sweeper {
        sweeper.abort();
    }
    if let Some(watch) = replica_watch {
        watch.abort();
    }
    search_connections.close().await;
    planned_once.close().await;
    pages.close().await;
    if let Some(replica) = &replica {
        replica.close().await;
    }
    calendar_refresh.abort();
    event_months.abort();
    abandoned_imports.abort();
    open_counts_folder.abort();
    recounter.abort();
    webhook_worker.abort();
    search_indexer.abort();
    if let Some(supervisor) = supervisor {
        supervisor.abort();
    }
    println!("stopped");
    Ok(())
}

/// Keeps the embedded PostgreSQL running: started again, with a message, when it stops under
/// the desk (a crash, a kill); an upgrade of its binary is logged once (readiness then fails:
/// the desk must be restarted).
async fn supervise(mut server: db::embedded::Server) {
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(5));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut upgrade_told = false;
    loop {
        ticks.tick().await;
        let (checked, result) = match tokio::task::spawn_blocking(move || {
            let result = server.restart_if_down();
            (server, result)
        })
        .await
        {
            Ok(done) => done,
            Err(_) => return,
        };
        server = checked;
        match result {
            Ok(true) => eprintln!("PostgreSQL had stopped under the desk and was started again"),
            Ok(false) => {}
            Err(error) => tracing::error!(%error, "PostgreSQL is down and could not be started again"),
        }
        if server.binary_changed() && !upgrade_told {
            tracing::error!(
                "the PostgreSQL binaries were replaced under the running database (a package upgrade): \
                 restart the desk; until then it reports not ready"
            );
            upgrade_told = true;
        }
    }
}

/// A future that resolves on Ctrl-C (SIGINT) or SIGTERM. Both handlers are installed when this
/// is called, not when the future is first polled.
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        tracing::info!("shutting down: finishing requests in flight");
    })
}

async fn add_user(
    pool: &sqlx::PgPool,
    login: String,
    role: Role,
    shop_args: Vec<String>,
    name: Option<String>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let mut shops = Vec::new();
    for arg in &shop_args {
        let shop = match arg.parse::<i64>() {
            Ok(id) => crate::shops::get(pool, ShopId(id)).await?,
            Err(_) => crate::shops::by_code(pool, arg).await?,
        };
        let shop = shop.ok_or_else(|| anyhow::anyhow!("no shop `{arg}` (give its code or id)"))?;
        shops.push(shop.id);
    }
    let (password, generated) = if password_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        (text.trim_end_matches(['\n', '\r']).to_string(), false)
    } else {
        (crate::auth::tokens::random_token()[..20].to_string(), true)
    };
    let user = crate::users::create(
        pool,
        &crate::users::NewUser {
            login,
            password: password.clone(),
            role,
            shops,
            display_name: name,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let details = serde_json::json!({
        "user": user.id, "login": user.login, "role": user.role, "shops": user.shops, "via": "cli"
    });
    crate::audit::record(
        pool,
        None,
        crate::audit::action::USER_CREATED,
        None,
        &user.login,
        details,
    )
    .await?;
    println!("created user {} ({}, id {})", user.login, user.role.as_str(), user.id);
    if generated {
        println!("password: {password}");
        println!("(shown once: pass it on safely)");
    }
    Ok(())
}

/// `search-index`: indexes what waits (every shop's rows again with `rebuild`), saying how far
/// it got, then the time taken and the index's size.
async fn search_index(pool: &sqlx::PgPool, rebuild: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    if rebuild {
        let shops: Vec<crate::ids::ShopId> = sqlx::query_scalar("SELECT id FROM shops ORDER BY id")
            .fetch_all(pool)
            .await?;
        for shop in shops {
            crate::search::index::enqueue_shop(pool, shop).await?;
        }
    }
    let mut told = std::time::Instant::now();
    let progress = |done| {
        if told.elapsed() >= std::time::Duration::from_secs(10) {
            println!("indexed {done} rows ({:.0} s)", started.elapsed().as_secs_f64());
            told = std::time::Instant::now();
        }
    };
    let done = if rebuild {
        crate::search::index::rebuild_all(pool, progress).await?
    } else {
        crate::search::index::drain_all(pool, progress).await?
    };
    // What was added to tickets' documents is folded in: the index is as a whole build makes it.
    let mut folded = 0;
    loop {
        let taken =
            crate::search::index::fold(pool, std::time::Duration::ZERO, crate::search::index::FOLD_BATCH).await?;
        folded += taken;
        if (taken as i64) < crate::search::index::FOLD_BATCH {
            break;
        }
    }
    if folded > 0 {
        println!("folded the words added to {folded} tickets' documents");
    }
    sqlx::query("ANALYZE ticket_search, ticket_search_added, buyer_search, order_search")
        .execute(pool)
        .await?;
    let bytes = crate::search::index::size_bytes(pool).await?;
    println!(
        "indexed {done} tickets, buyers and orders in {:.1} s; the search index takes {:.1} MiB",
        started.elapsed().as_secs_f64(),
        bytes as f64 / 1_048_576.0
    );
    Ok(())
}

//! `aftersales bench run`: latency and throughput of the desk against the generated shop.
//!
//! The server runs as a child process of the benchmark (`aftersales serve` from the same
//! binary, on a free loopback port, on the same data directory or `DATABASE_URL`) so that its
//! peak memory (`VmHWM` in `/proc/<pid>/status`) is the server's alone and the load generator
//! does not share its runtime; `--url` uses a server that is already running instead (loopback
//! addresses only; `--pid` to read its memory). The benchmark itself opens the database only to
//! sample what the clients ask for (order numbers, open tickets per agent).
//!
//! Each scenario runs for `--duration` seconds after a short warm-up, with `--concurrency`
//! clients each sending its next request as soon as the previous one is answered (closed loop),
//! except the yearly report, which one owner opens at a time. Every answer is checked for its
//! status; latencies are kept whole and their percentiles are nearest-rank. After each scenario
//! its SQL ceiling is measured: its statements replayed by pgbench ([`super::ceiling`]). The
//! processor time of the measured seconds is read before and after ([`super::cpu`]): the
//! server's and PostgreSQL's per request, and how busy the machine was.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::generate::{AGENTS, SUPERVISORS, login};
use super::{ceiling, cpu};

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// How long each scenario is measured.
    pub duration: Duration,
    /// Concurrent clients.
    pub concurrency: usize,
    /// Where the markdown table goes.
    pub out: PathBuf,
    /// A running server to use instead of starting one.
    pub url: Option<String>,
    /// The running server's process id (for its memory).
    pub pid: Option<u32>,
    /// The generated shop's code.
    pub shop: String,
    /// Database connections of the server started here.
    pub db_connections: u32,
    /// Short names of the scenarios to run (all when empty).
    pub only: Vec<String>,
}

/// One measured scenario.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub name: &'static str,
    pub clients: usize,
    pub requests: usize,
    pub errors: usize,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub target: &'static str,
    pub met: bool,
    /// The first unexpected answer, if any.
    pub first_error: Option<String>,
    /// What pgbench did with the scenario's statements: transactions per second, or why it was
    /// not measured ([`ceiling`]).
    pub ceiling: Result<f64, String>,
    /// Processor time of the server and of PostgreSQL while it was measured ([`cpu`]).
    pub cpu: cpu::Spent,
    /// How long the run waited, before the scenario and before its SQL ceiling, for the desk's
    /// background work left by what ran before ([`settle`]).
    pub settled: Duration,
}

impl Outcome {
    /// Answers per second.
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.seconds.max(f64::EPSILON)
    }
}

/// Runs the benchmark and writes the table.
pub async fn main(database_url: Option<&str>, data_dir: &std::path::Path, options: &Options) -> anyhow::Result<()> {
    if let Some(unknown) = options
        .only
        .iter()
        .find(|o| !Scenario::ALL.iter().any(|s| s.short() == o.as_str()))
    {
        let known: Vec<&str> = Scenario::ALL.iter().map(|s| s.short()).collect();
        anyhow::bail!("no scenario `{unknown}` (--only takes {})", known.join(", "));
    }
    let (base, mut server) = match &options.url {
        Some(url) => {
            let parsed = reqwest::Url::parse(url)?;
            let host = parsed.host_str().unwrap_or("");
            let loopback = host == "localhost"
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                anyhow::bail!("--url must be a loopback address (127.0.0.1, [::1] or localhost): {url}");
            }
            (url.trim_end_matches('/').to_string(), None)
        }
        None => {
            let (base, child) = start_server(database_url, data_dir, options.db_connections).await?;
            (base, Some(child))
        }
    };
    let pid = options
        .pid
        .or_else(|| server.as_ref().and_then(tokio::process::Child::id));
    let result = bench(&base, pid, database_url, data_dir, options).await;
    if let Some(child) = server.take() {
        stop_server(child).await;
    }
    let text = result?;
    print!("{text}");
    std::fs::write(&options.out, &text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", options.out.display()))?;
    println!("\n(written to {})", options.out.display());
    Ok(())
}

/// Starts `aftersales serve` on a free loopback port and waits until it is ready.
async fn start_server(
    database_url: Option<&str>,
    data_dir: &std::path::Path,
    db_connections: u32,
) -> anyhow::Result<(String, tokio::process::Child)> {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.local_addr()?.port()
    };
    let address = format!("127.0.0.1:{port}");
    let exe = std::env::current_exe()?;
    let mut command = tokio::process::Command::new(exe);
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", &address, "--db-connections"])
        .arg(db_connections.to_string())
        .env("AFTERSALES_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true);
    match database_url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    let mut child = command.spawn()?;
    let base = format!("http://{address}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("the server exited before it was ready ({status})");
        }
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await
            && response.status() == StatusCode::OK
        {
            return Ok((base, child));
        }
        if Instant::now() > deadline {
            let _ = child.start_kill();
            anyhow::bail!("the server was not ready within 5 minutes");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Asks the server to stop (SIGTERM: it finishes requests and stops its database), waits.
async fn stop_server(mut child: tokio::process::Child) {
    if let Some(pid) = child.id() {
        let _ = tokio::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await;
    }
    match tokio::time::timeout(Duration::from_secs(120), child.wait()).await {
        Ok(_) => {}
        Err(_) => {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }
}

/// What the clients work on, sampled from the database.
struct Samples {
    shop: i64,
    order_nos: Vec<String>,
    /// Buyers' nicks, for the search's nick fragments.
    nicks: Vec<String>,
    /// Open tickets of agent i (index into the agents' tokens).
    open_by_agent: Vec<Vec<i64>>,
    /// Tickets for the ticket page: open ones and any of the year.
    page_tickets: Vec<i64>,
    tickets: i64,
    events: i64,
    order_lines: i64,
}

async fn sample(database_url: Option<&str>, data_dir: &std::path::Path, shop_code: &str) -> anyhow::Result<Samples> {
    let database = crate::db::open(database_url, data_dir, 2).await?;
    let result = async {
        let pool = &database.pool;
        let shop = crate::shops::by_code(pool, shop_code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no shop `{shop_code}`: run `aftersales bench generate` first"))?;
        let shop_id = shop.id.0;
        let order_nos: Vec<String> =
            sqlx::query_scalar("SELECT order_no FROM orders WHERE shop_id = $1 ORDER BY id DESC LIMIT 5000")
                .bind(shop_id)
                .fetch_all(pool)
                .await?;
        let nicks: Vec<String> =
            sqlx::query_scalar("SELECT nick FROM customers WHERE shop_id = $1 ORDER BY id DESC LIMIT 2000")
                .bind(shop_id)
                .fetch_all(pool)
                .await?;
        let mut open_by_agent = vec![Vec::new(); AGENTS];
        for (user, id) in crate::tickets::repo::open_by_assignee_login(pool, shop.id).await? {
            if let Some(i) = (1..=AGENTS).position(|i| login(shop_code, &format!("agent{i:02}")) == user) {
                open_by_agent[i].push(id.0);
            }
        }
        let (low, high) = crate::tickets::repo::id_range(pool, shop.id)
            .await?
            .map(|(low, high)| (low.0, high.0))
            .ok_or_else(|| anyhow::anyhow!("the shop has no tickets"))?;
        let mut rng = 0x2026_1123_u64;
        let mut page_tickets = Vec::new();
        let all_open: Vec<i64> = open_by_agent.iter().flatten().copied().collect();
        for i in 0..4_000 {
            rng = rng
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let r = rng >> 33;
            if i % 2 == 0 && !all_open.is_empty() {
                page_tickets.push(all_open[(r as usize) % all_open.len()]);
            } else {
                page_tickets.push(low + (r as i64) % (high - low + 1));
            }
        }
        let estimate = |table: &'static str| async move {
            sqlx::query_scalar::<_, f32>("SELECT reltuples FROM pg_class WHERE relname = $1")
                .bind(table)
                .fetch_one(pool)
                .await
                .map(|n| n.max(0.0) as i64)
        };
        Ok(Samples {
            shop: shop_id,
            order_nos,
            nicks,
            open_by_agent,
            page_tickets,
            tickets: estimate("tickets").await?,
            events: estimate("ticket_events").await?,
            order_lines: estimate("order_lines").await?,
        })
    }
    .await;
    database.close().await?;
    result
}

async fn sign_in(client: &reqwest::Client, base: &str, login: &str) -> anyhow::Result<String> {
    let response = client
        .post(format!("{base}/api/v1/auth/tokens"))
        .json(&json!({ "login": login, "password": super::BENCH_PASSWORD }))
        .send()
        .await?;
    if response.status() != StatusCode::CREATED {
        anyhow::bail!("cannot sign in as {login}: {}", response.status());
    }
    let body: serde_json::Value = response.json().await?;
    body["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("no token in the sign-in answer for {login}"))
}

/// One kind of request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    Queue,
    Ticket,
    Overdue,
    Create,
    FollowUp,
    Reports,
    Search,
}

impl Scenario {
    /// In this order: the reads first, so that they see the generated data set and not the
    /// tickets and follow-ups the writing scenarios add.
    const ALL: [Scenario; 7] = [
        Scenario::Queue,
        Scenario::Ticket,
        Scenario::Overdue,
        Scenario::Reports,
        Scenario::Search,
        Scenario::Create,
        Scenario::FollowUp,
    ];

    /// The short name `--only` takes.
    fn short(self) -> &'static str {
        match self {
            Scenario::Queue => "queue",
            Scenario::Ticket => "ticket",
            Scenario::Overdue => "overdue",
            Scenario::Create => "create",
            Scenario::FollowUp => "follow-up",
            Scenario::Reports => "reports",
            Scenario::Search => "search",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scenario::Queue => "agent queue page `GET /`",
            Scenario::Ticket => "ticket page `GET /tickets/{id}`",
            Scenario::Overdue => "overdue queue `GET /follow-ups`",
            Scenario::Create => "create ticket `POST /api/v1/shops/{shop}/tickets`",
            Scenario::FollowUp => "record follow-up `POST /api/v1/tickets/{id}/follow-ups`",
            Scenario::Reports => "reports for a year `GET /reports?from=…&to=…`",
            Scenario::Search => "search `GET /api/v1/shops/{shop}/search?q=…`",
        }
    }

    fn target(self) -> &'static str {
        match self {
            Scenario::Queue => "p99 ≤ 50 ms",
            Scenario::Ticket => "p99 ≤ 30 ms",
            Scenario::Overdue => "p99 ≤ 50 ms",
            Scenario::Create => "≥ 1,000/s, p99 ≤ 50 ms",
            Scenario::FollowUp => "≥ 2,000/s",
            Scenario::Reports => "≤ 300 ms",
            Scenario::Search => "p99 ≤ 50 ms",
        }
    }

    fn met(self, o: &Outcome) -> bool {
        o.errors == 0
            && o.requests > 0
            && match self {
                Scenario::Queue | Scenario::Overdue | Scenario::Search => o.p99_ms <= 50.0,
                Scenario::Ticket => o.p99_ms <= 30.0,
                Scenario::Create => o.throughput() >= 1_000.0 && o.p99_ms <= 50.0,
                Scenario::FollowUp => o.throughput() >= 2_000.0,
                Scenario::Reports => o.p99_ms <= 300.0,
            }
    }

    fn accepts(self, status: StatusCode) -> bool {
        match self {
            Scenario::Create | Scenario::FollowUp => status == StatusCode::CREATED || status == StatusCode::OK,
            _ => status == StatusCode::OK,
        }
    }
}

/// Everything a client needs.
struct Shared {
    base: String,
    client: reqwest::Client,
    samples: Samples,
    agent_tokens: Vec<String>,
    supervisor_tokens: Vec<String>,
    owner_token: String,
    year: (String, String),
}

async fn bench(
    base: &str,
    pid: Option<u32>,
    database_url: Option<&str>,
    data_dir: &std::path::Path,
    options: &Options,
) -> anyhow::Result<String> {
    let samples = sample(database_url, data_dir, &options.shop).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(options.concurrency * 2)
        .timeout(Duration::from_secs(60))
        .build()?;
    let mut agent_tokens = Vec::new();
    for i in 1..=AGENTS {
        agent_tokens.push(sign_in(&client, base, &login(&options.shop, &format!("agent{i:02}"))).await?);
    }
    let mut supervisor_tokens = Vec::new();
    for i in 1..=SUPERVISORS {
        supervisor_tokens.push(sign_in(&client, base, &login(&options.shop, &format!("sup{i}"))).await?);
    }
    let owner_token = sign_in(&client, base, &login(&options.shop, "owner")).await?;
    let today = Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let year = ((today - chrono::Duration::days(364)).to_string(), today.to_string());
    let (tickets, events, lines) = (samples.tickets, samples.events, samples.order_lines);
    let shared = Arc::new(Shared {
        base: base.to_string(),
        client,
        samples,
        agent_tokens,
        supervisor_tokens,
        owner_token,
        year,
    });
    // The SQL ceiling needs the embedded cluster's log ([`ceiling`]).
    let database = crate::db::open(database_url, data_dir, 2).await?;
    let recorder = match database.cluster.as_ref() {
        Some(cluster) => ceiling::Recorder::start(
            database.maintenance.clone(),
            cluster.log_file().to_path_buf(),
            ceiling::scripts_beside(&options.out),
        )
        .await
        .map_err(|e| format!("not measured: the recording application did not start: {e}")),
        None => Err("not measured: needs the embedded cluster's log".to_string()),
    };
    let processes = cpu::Processes {
        server: pid,
        postmaster: database.cluster.as_ref().and_then(|cluster| cluster.postmaster_pid()),
    };
    let mut outcomes = Vec::new();
    for scenario in Scenario::ALL {
        if !options.only.is_empty() && !options.only.iter().any(|o| o == scenario.short()) {
            continue;
        }
        let clients = if scenario == Scenario::Reports {
            1
        } else {
            options.concurrency
        };
        let waited = settle(&database.pool, SETTLE_AT_MOST).await?;
        eprintln!("bench: {} with {clients} client(s) …", scenario.name());
        let mut outcome = measure(&shared, &processes, scenario, clients, options.duration).await;
        if let Some(error) = &outcome.first_error {
            eprintln!("bench:   unexpected answer: {error}");
        }
        outcome.settled = waited;
        outcome.ceiling = match &recorder {
            Ok(recorder) => {
                outcome.settled += settle(&database.pool, SETTLE_AT_MOST).await?;
                eprintln!("bench:   its statements with pgbench, {clients} client(s) …");
                sql_ceiling(&shared, recorder, scenario, clients, options.duration)
                    .await
                    .map_err(|e| e.to_string())
            }
            Err(why) => Err(why.clone()),
        };
        if let Err(why) = &outcome.ceiling {
            eprintln!("bench:   SQL ceiling: {why}");
        }
        outcomes.push(outcome);
    }
    if let Ok(recorder) = recorder {
        recorder.stop().await;
    }
    database.close().await?;
    let memory = pid.and_then(peak_memory_kib);
    Ok(table(&outcomes, memory, options, (tickets, events, lines)))
}

/// The longest a scenario waits for the background work left before it ([`settle`]); it is
/// measured after that whether the work is done or not.
pub const SETTLE_AT_MOST: Duration = Duration::from_secs(180);

/// Waits until the desk's background queues that the scenarios fill are empty — the search's
/// documents still to write (`search_pending`) and the report days still to count again
/// (`report_stale`) — at most `at_most`, and returns how long it waited. A scenario
/// measured while the server still works off the one before is charged for it: after the
/// creations (16,951 tickets on the million, and as many by their SQL ceiling) the indexer
/// wrote their documents through most of the follow-ups' run. What a scenario's own requests
/// leave to the background is done while it runs, and measured with it.
pub async fn settle(pool: &sqlx::PgPool, at_most: Duration) -> anyhow::Result<Duration> {
    let start = Instant::now();
    loop {
        let left =
            crate::search::index::pending_rows(pool).await? + crate::reports::rollup::stale_days_in_all(pool).await?;
        let waited = start.elapsed();
        if left == 0 {
            if waited >= Duration::from_secs(1) {
                eprintln!(
                    "bench:   waited {} s for the background work left before",
                    waited.as_secs()
                );
            }
            return Ok(waited);
        }
        if waited >= at_most {
            eprintln!(
                "bench:   measured with {left} rows of background work still queued after {} s",
                waited.as_secs()
            );
            return Ok(waited);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// How many requests of a scenario are recorded for its pgbench scripts: sixteen turns of sixteen
/// clients, each replayed by its own pgbench client only ([`ceiling::by_client`]) (the yearly
/// report, one client and seconds a request on a big shop: a few). Replayed over fewer tickets
/// than the desk's clients work through, a ceiling is too kind: 48 recorded follow-ups
/// replayed on a million-ticket shop wrote 22,631 events and only 11,267 search documents (the
/// indexer wrote a ticket's once for the events pending on it), on pages always in memory.
const RECORDED: usize = 256;
const RECORDED_REPORTS: usize = 4;

/// Records the statements of [`RECORDED`] requests of `scenario` ([`RECORDED_REPORTS`] of the
/// yearly report), as its clients send them in turn, and runs them with pgbench as the scenario
/// ran: its transactions per second.
async fn sql_ceiling(
    shared: &Shared,
    recorder: &ceiling::Recorder,
    scenario: Scenario,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let request = |n: usize| request_for(shared, scenario, n % clients, n).map_err(anyhow::Error::msg);
    let warm_up = request(0)?;
    let recorded = if scenario == Scenario::Reports {
        RECORDED_REPORTS
    } else {
        RECORDED
    };
    let requests = (1..=recorded).map(request).collect::<anyhow::Result<Vec<_>>>()?;
    let kind = match scenario {
        Scenario::Create | Scenario::FollowUp => ceiling::Requests::Writes,
        Scenario::Queue | Scenario::Ticket | Scenario::Overdue | Scenario::Reports | Scenario::Search => {
            ceiling::Requests::Reads
        }
    };
    let scripts = recorder.record(scenario.short(), &warm_up, &requests, kind).await?;
    let sent_by = (1..=recorded).map(|n| n % clients).zip(scripts).collect::<Vec<_>>();
    let scripts = recorder.by_client(scenario.short(), &sent_by)?;
    // The statements run on connections set up as those the endpoint reads through (the
    // follow-ups: writes, which are most of their time).
    let settings: &[(&str, &str)] = match scenario {
        Scenario::Search => &crate::search::SETTINGS,
        Scenario::Overdue | Scenario::FollowUp => &crate::db::planned::SETTINGS,
        _ => &[],
    };
    recorder.pgbench(settings, &scripts, clients, duration).await
}

/// Runs one scenario: a warm-up, then `duration` measured, with the processor time it took.
async fn measure(
    shared: &Arc<Shared>,
    processes: &cpu::Processes,
    scenario: Scenario,
    clients: usize,
    duration: Duration,
) -> Outcome {
    let warm_up = (duration / 5).min(Duration::from_secs(3));
    let start = Instant::now();
    let measure_from = start + warm_up;
    let until = measure_from + duration;
    let mut tasks = Vec::new();
    for client in 0..clients {
        let shared = Arc::clone(shared);
        tasks.push(tokio::spawn(async move {
            client_loop(&shared, scenario, client, measure_from, until).await
        }));
    }
    // The processor time of the measured seconds (the warm-up's is not counted).
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu_before = processes.sample();
    tokio::time::sleep_until(until.into()).await;
    let cpu = cpu::spent(&cpu_before, &processes.sample());
    let mut latencies: Vec<u32> = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok((l, e, first)) => {
                latencies.extend(l);
                errors += e;
                if first_error.is_none() {
                    first_error = first;
                }
            }
            Err(error) => {
                errors += 1;
                first_error.get_or_insert(format!("client task failed: {error}"));
            }
        }
    }
    // Time measured: until the last answer came in.
    let seconds = (Instant::now().min(until + Duration::from_secs(60)) - measure_from)
        .as_secs_f64()
        .max(duration.as_secs_f64());
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return f64::NAN;
        }
        let rank = ((p * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len());
        f64::from(latencies[rank - 1]) / 1_000.0
    };
    let mut outcome = Outcome {
        name: scenario.name(),
        clients,
        requests: latencies.len(),
        errors,
        seconds,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
        target: scenario.target(),
        met: false,
        first_error,
        ceiling: Err("not measured".into()),
        cpu,
        settled: Duration::ZERO,
    };
    outcome.met = scenario.met(&outcome);
    outcome
}

/// One client: requests back to back until `until`; latencies (µs) of those sent after
/// `measure_from`, errors, the first error.
async fn client_loop(
    shared: &Shared,
    scenario: Scenario,
    client: usize,
    measure_from: Instant,
    until: Instant,
) -> (Vec<u32>, usize, Option<String>) {
    let mut latencies = Vec::with_capacity(16_384);
    let mut errors = 0;
    let mut first_error = None;
    let mut n: usize = client * 7_919;
    let mut first = true;
    loop {
        let sent = Instant::now();
        // A report slower than the whole duration is still measured once.
        let owed = scenario == Scenario::Reports && latencies.is_empty() && errors == 0;
        if sent >= until && !owed {
            break;
        }
        n = n.wrapping_add(1);
        let (method, path, token, body) = match request_for(shared, scenario, client, n) {
            Ok(request) => request,
            Err(error) => return (latencies, 1, Some(error)),
        };
        let mut request = shared
            .client
            .request(method, format!("{}{path}", shared.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let result = async {
            let response = request.send().await?;
            let status = response.status();
            let bytes = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, bytes))
        }
        .await;
        let elapsed = sent.elapsed();
        let ok = match &result {
            Ok((status, _)) => scenario.accepts(*status),
            Err(_) => false,
        };
        // The warm-up is not measured. The yearly report is slow: its warm-up is one request,
        // and every later one counts.
        let warming_up = if scenario == Scenario::Reports {
            std::mem::replace(&mut first, false)
        } else {
            sent < measure_from
        };
        if warming_up {
            continue;
        }
        if ok {
            latencies.push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
        } else {
            errors += 1;
            if first_error.is_none() {
                first_error = Some(match result {
                    Ok((status, bytes)) => {
                        format!(
                            "{path}: {status} {}",
                            String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
                        )
                    }
                    Err(error) => format!("{path}: {error}"),
                });
            }
        }
    }
    (latencies, errors, first_error)
}

/// The `n`-th request of client `client` in `scenario`.
fn request_for(shared: &Shared, scenario: Scenario, client: usize, n: usize) -> Result<ceiling::Request, String> {
    let agent = client % shared.agent_tokens.len();
    let open = &shared.samples.open_by_agent[agent];
    Ok(match scenario {
        Scenario::Queue => (Method::GET, "/".to_string(), shared.agent_tokens[agent].clone(), None),
        Scenario::Ticket => {
            let pages = &shared.samples.page_tickets;
            let id = pages[(n * 31 + client) % pages.len()];
            (
                Method::GET,
                format!("/tickets/{id}"),
                shared.agent_tokens[agent].clone(),
                None,
            )
        }
        Scenario::Overdue => (
            Method::GET,
            "/follow-ups".to_string(),
            shared.supervisor_tokens[client % shared.supervisor_tokens.len()].clone(),
            None,
        ),
        Scenario::Create => {
            let orders = &shared.samples.order_nos;
            let order_no = &orders[(n * 13 + client) % orders.len()];
            (
                Method::POST,
                format!("/api/v1/shops/{}/tickets", shared.samples.shop),
                shared.agent_tokens[agent].clone(),
                Some(json!({
                    "kind": "complaint", "order_no": order_no, "reason": "quality",
                    "description": "压测：商品有瑕疵，买家要求说明",
                })),
            )
        }
        Scenario::FollowUp => {
            if open.is_empty() {
                return Err(format!("agent {} has no open ticket", agent + 1));
            }
            let id = open[n % open.len()];
            (
                Method::POST,
                format!("/api/v1/tickets/{id}/follow-ups"),
                shared.agent_tokens[agent].clone(),
                Some(json!({ "channel": "chat", "summary": "压测：已联系买家，持续跟进" })),
            )
        }
        Scenario::Reports => (
            Method::GET,
            format!("/reports?from={}&to={}", shared.year.0, shared.year.1),
            shared.owner_token.clone(),
            None,
        ),
        Scenario::Search => {
            let q = search_term(&shared.samples, n * 17 + client);
            (
                Method::GET,
                format!(
                    "/api/v1/shops/{}/search?{}",
                    shared.samples.shop,
                    serde_urlencoded::to_string([("q", q.as_str())]).unwrap_or_default()
                ),
                shared.agent_tokens[agent].clone(),
                None,
            )
        }
    })
}

/// Chinese words of one, two and four characters from what buyers and agents write (some
/// common, some rare, some absent), for the search scenario.
const SEARCH_WORDS: [&str; 18] = [
    "破",
    "裂",
    "慢",
    "票",
    "破损",
    "物流",
    "尺码",
    "缺货",
    "退款",
    "蓝牙",
    "发票",
    "色差",
    "外包装破",
    "七天无理",
    "物流信息",
    "包裹压坏",
    "拍错尺码",
    "质量问题",
];

/// The `i`-th search of the mix: a Chinese word, the last eight digits of an order number, the
/// middle of a buyer's nick, a ticket number with or without its `#`.
fn search_term(samples: &Samples, i: usize) -> String {
    let pick = |len: usize| (i / 6).wrapping_mul(2_654_435_761) % len.max(1);
    match i % 6 {
        0 | 1 => SEARCH_WORDS[pick(SEARCH_WORDS.len())].to_string(),
        2 => {
            let order_no = &samples.order_nos[pick(samples.order_nos.len())];
            order_no
                .chars()
                .skip(order_no.chars().count().saturating_sub(8))
                .collect()
        }
        3 if !samples.nicks.is_empty() => {
            let nick: Vec<char> = samples.nicks[pick(samples.nicks.len())].chars().collect();
            let from = nick.len() / 3;
            nick[from..(from + 5).min(nick.len())].iter().collect()
        }
        4 if !samples.page_tickets.is_empty() => format!("#{}", samples.page_tickets[pick(samples.page_tickets.len())]),
        _ if !samples.page_tickets.is_empty() => samples.page_tickets[pick(samples.page_tickets.len())].to_string(),
        _ => "破损".to_string(),
    }
}

/// `VmHWM` of a process, in KiB.
fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kib| format!("{:.0} GiB", kib as f64 / 1_048_576.0))
        .unwrap_or_else(|| "? GiB".into());
    format!("{cores} cores, {memory_gib}")
}

fn table(outcomes: &[Outcome], memory_kib: Option<u64>, options: &Options, data: (i64, i64, i64)) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### aftersales bench run — {} — {}\n",
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
        machine()
    );
    let _ = writeln!(
        out,
        "Shop `{}`: ≈{} order lines, ≈{} tickets, ≈{} timeline events. {} s per scenario, {} clients \
         (the yearly report: 1), server and PostgreSQL on the same machine as the load generator. \
         Each scenario and each SQL ceiling started once the search's index and the reports' recount \
         had caught up with what ran before ({} s waited in all).\n",
        options.shop,
        data.2,
        data.0,
        data.1,
        options.duration.as_secs(),
        options.concurrency,
        outcomes.iter().map(|o| o.settled).sum::<Duration>().as_secs()
    );
    let _ = writeln!(
        out,
        "| scenario | clients | requests | errors | throughput /s | p50 ms | p99 ms | max ms | target | met \
         | SQL ceiling /s | HTTP ÷ SQL (≥ 0.5) | CPU ms a request: server + PostgreSQL | machine busy |"
    );
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|---:|---:|"
    );
    for o in outcomes {
        let (ceiling, ratio) = match &o.ceiling {
            Ok(tps) => {
                let ratio = o.throughput() / tps.max(f64::EPSILON);
                (
                    format!("{tps:.0}"),
                    format!("{ratio:.2}{}", if ratio >= 0.5 { "" } else { " **no**" }),
                )
            }
            Err(why) => ("—".to_string(), why.replace('|', "/")),
        };
        let (cpu, busy) = cpu_cells(o);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {} | {} | {ceiling} | {ratio} | {cpu} | {busy} |",
            o.name,
            o.clients,
            o.requests,
            o.errors,
            o.throughput(),
            o.p50_ms,
            o.p99_ms,
            o.max_ms,
            o.target,
            if o.met { "yes" } else { "**no**" }
        );
    }
    match memory_kib {
        Some(kib) => {
            let mib = kib as f64 / 1_024.0;
            let _ = writeln!(
                out,
                "| server peak memory (VmHWM) | | | | | | | {mib:.1} MiB | ≤ 150 MB | {} | | | | |",
                if mib * 1.048_576 <= 150.0 { "yes" } else { "**no**" }
            );
        }
        None => {
            let _ = writeln!(
                out,
                "| server peak memory (VmHWM) | | | | | | | unknown (give --pid) | ≤ 150 MB | — | | | | |"
            );
        }
    }
    out
}

/// The processor time a request of the scenario took, the server's and PostgreSQL's (`—` where
/// unknown: no server process id, or PostgreSQL not the embedded cluster), and the share of the
/// machine that was busy while it ran.
fn cpu_cells(o: &Outcome) -> (String, String) {
    let ms = |value: Option<f64>| value.map_or_else(|| "—".to_string(), |ms| format!("{ms:.2}"));
    let (server, postgres) = o.cpu.per_request(o.requests);
    let busy = o
        .cpu
        .machine_busy
        .map_or_else(|| "—".to_string(), |share| format!("{:.0} %", share * 100.0));
    (format!("{} + {}", ms(server), ms(postgres)), busy)
}

//! The SQL ceiling of each scenario: how fast PostgreSQL itself runs the statements one of its
//! requests sends, measured with `pgbench` in the same run, against the same data.
//!
//! The statements are not written down by hand: they are recorded from the desk. A second copy
//! of the application runs inside the benchmark, on connections of the embedded cluster's
//! superuser opened with `log_statement = all`; a few requests of the scenario are sent to it one
//! at a time, and what PostgreSQL logged for each (the statements with their parameters, as
//! executed, transactions included) becomes one pgbench script, its parameters written in as
//! literals ([`script`]). `pgbench` then runs the scripts (one picked at random per transaction)
//! with as many clients as the scenario had, for as long, in prepared mode like the desk, each of
//! its clients replaying only what the scenario's client of the same number sent ([`by_client`]).
//! Only the recording connections log: the server under test and everything else keep their
//! settings.
//!
//! A replayed write is the same statement with the same values but its times, which are the
//! replay's ([`Times`]): a new ticket or follow-up each time (ids come from the sequences),
//! attached to the ticket the recorded request wrote to; a change guarded by a version the replay
//! no longer matches changes nothing, so the ceiling of a scenario with such a change is a little
//! high. The server log is read from the embedded cluster's file: with `DATABASE_URL` the ceiling
//! is not measured.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use sqlx::Connection;
use sqlx::postgres::PgConnectOptions;

/// One statement as PostgreSQL logged it: its text and the values bound to `$1`, `$2`, …
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub text: String,
    /// `None`: NULL.
    pub parameters: Vec<Option<String>>,
}

/// The statements logged by `log_statement = all` in `log` (an excerpt of the server's log with
/// its default line prefix, `%m [%p] `), in order. Lines of other kinds (other sessions'
/// messages, slow-statement reports) are left out.
pub fn parse_log(log: &str) -> Vec<Logged> {
    let mut statements: Vec<Logged> = Vec::new();
    // What the last line was part of: a statement, its parameters, or something else.
    enum Open {
        Statement,
        Parameters(String),
        Other,
    }
    let mut open = Open::Other;
    let finish = |open: &mut Open, statements: &mut Vec<Logged>| {
        if let Open::Parameters(text) = std::mem::replace(open, Open::Other)
            && let Some(last) = statements.last_mut()
        {
            last.parameters = parameters(&text);
        }
    };
    for line in log.lines() {
        if let Some(more) = line.strip_prefix('\t') {
            match &mut open {
                Open::Statement => {
                    if let Some(last) = statements.last_mut() {
                        last.text.push('\n');
                        last.text.push_str(more);
                    }
                }
                Open::Parameters(text) => {
                    text.push('\n');
                    text.push_str(more);
                }
                Open::Other => {}
            }
            continue;
        }
        // A statement's parameters are part of its message, on the next line: parameters after
        // anything else (another session's slow statement) are not ours.
        let after_statement = matches!(open, Open::Statement);
        finish(&mut open, &mut statements);
        let Some((_, message)) = line.split_once("] ") else {
            continue;
        };
        if let Some(rest) = message.strip_prefix("LOG:  execute ") {
            // `execute <name>: <text>`; the name is sqlx's (`sqlx_s_3`) or `<unnamed>`.
            if let Some((_, text)) = rest.split_once(": ") {
                statements.push(Logged {
                    text: text.to_string(),
                    parameters: Vec::new(),
                });
                open = Open::Statement;
            }
        } else if let Some(text) = message.strip_prefix("LOG:  statement: ") {
            statements.push(Logged {
                text: text.to_string(),
                parameters: Vec::new(),
            });
            open = Open::Statement;
        } else if let Some(text) = message.strip_prefix("DETAIL:  parameters: ")
            && after_statement
        {
            open = Open::Parameters(text.to_string());
        }
    }
    finish(&mut open, &mut statements);
    statements
}

/// Whether `statement` is one of the catalogue look-ups sqlx sends the first time a connection
/// meets a type or a table's columns: once per connection of the pool, not per request, so not
/// part of a request's script (the recording pool's other connections are cold after the
/// warm-up; three of 48 recorded creations carried one, a costly join of the catalogue).
fn driver_lookup(statement: &Logged) -> bool {
    statement
        .text
        .contains("INNER JOIN pg_catalog.pg_type ON type_lookup.lookup_oid = pg_type.oid")
        || statement
            .text
            .contains("INNER JOIN pg_catalog.pg_attribute ON lookup.table_oid = attrelid")
}

/// `$1 = '5', $2 = NULL, $3 = 'it''s'` read as values (quotes kept doubled inside: they are
/// written back as SQL literals).
fn parameters(text: &str) -> Vec<Option<String>> {
    let mut values = Vec::new();
    let mut rest = text;
    while let Some(after) = rest.strip_prefix('$') {
        let Some((_, value)) = after.split_once(" = ") else {
            break;
        };
        if let Some(tail) = value.strip_prefix("NULL") {
            values.push(None);
            rest = tail;
        } else if let Some(quoted) = value.strip_prefix('\'') {
            // The literal ends at a quote that is not doubled.
            let bytes = quoted.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            values.push(Some(quoted[..i].to_string()));
            rest = quoted.get(i + 1..).unwrap_or("");
        } else {
            break;
        }
        rest = rest.strip_prefix(", ").unwrap_or(rest);
    }
    values
}

/// What a replayed request's times are: those it was recorded with, or moved to the replay's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Times {
    /// Each value as recorded: a read asks what it asked.
    AsRecorded,
    /// A write's times (each `timestamp with time zone` parameter) written as the replay's
    /// `now()` plus how far the value was from `sent`, the moment the request was sent: a
    /// follow-up replayed moves its ticket's due time on as the desk's do. Replayed with the
    /// recorded values, the ticket's indexed columns never changed, PostgreSQL updated the row
    /// in place (HOT) without a new entry in any of its indexes, and the ceiling was a cheaper
    /// write than the desk's. And a write's guard on the version its request read
    /// (`version = $n`) is written as holding (`version = version`): the replay's rows moved on
    /// since the desk wrote them, and a guard that failed would write nothing — again a cheaper
    /// write than the desk's, whose guard holds unless another request changed the row between
    /// its read and its write.
    MovedFrom(DateTime<Utc>),
}

/// How a write compares a row's version with the one its request read: `version = $n`.
const VERSION_GUARD: &str = "version = ";

/// A pgbench script of the statements: each with its parameters written in as literals of the
/// types the desk bound them as (`types`: by statement text, as the server prepared it; a value
/// of a statement not found there is left to the server to type), ended by `;`; times as
/// `times` says. Placeholders are replaced whole (`$12` is not `$1` followed by `2`).
pub fn script(statements: &[Logged], types: &HashMap<String, Vec<String>>, times: Times) -> String {
    let mut out = String::new();
    for statement in statements {
        let text = statement.text.as_str();
        let typed = types.get(text);
        let mut i = 0;
        let bytes = text.as_bytes();
        while i < bytes.len() {
            if bytes[i] == b'$' {
                let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
                if let Ok(n) = text[i + 1..i + 1 + digits].parse::<usize>()
                    && let Some(value) = n.checked_sub(1).and_then(|k| statement.parameters.get(k))
                {
                    let typed_as = typed.and_then(|t| t.get(n - 1));
                    if matches!(times, Times::MovedFrom(_)) && out.ends_with(VERSION_GUARD) {
                        out.push_str("version");
                        i += 1 + digits;
                        continue;
                    }
                    match value {
                        Some(v) => match (times, typed_as) {
                            (Times::MovedFrom(sent), Some(t)) if t == "timestamp with time zone" => {
                                out.push_str(&moved(v, sent).unwrap_or_else(|| literal(v)))
                            }
                            _ => out.push_str(&literal(v)),
                        },
                        None => out.push_str("NULL"),
                    }
                    if let Some(t) = typed_as {
                        out.push_str("::");
                        out.push_str(t);
                    }
                    i += 1 + digits;
                    continue;
                }
            }
            // Copy up to the next possible placeholder.
            let next = text[i + 1..].find('$').map_or(text.len(), |k| i + 1 + k);
            out.push_str(&text[i..next]);
            i = next;
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push_str(";\n");
    }
    out
}

/// The scripts of requests that clients sent in turn (`recorded`: each request's client and its
/// script, in the order they were sent), regrouped for pgbench: the `k`-th script holds each
/// client's `k`-th request under `\if :client_id = c`, so that pgbench's client `c` replays
/// what the scenario's client `c` sent and nothing another sent. The scenario's clients work
/// apart (each agent's own tickets, its own count of the day): replayed at random, two of
/// pgbench's clients would meet on one ticket's row, one agent's day, and wait for each other
/// where the desk's clients never do, and the ceiling would be too low. A pgbench client that
/// sent nothing in a turn replays the turn's first request (`\else`).
pub fn by_client(recorded: &[(usize, String)]) -> Vec<String> {
    let mut turns: Vec<Vec<(usize, &str)>> = Vec::new();
    let mut sent: HashMap<usize, usize> = HashMap::new();
    for (client, script) in recorded {
        let turn = sent.entry(*client).or_default();
        if turns.len() == *turn {
            turns.push(Vec::new());
        }
        turns[*turn].push((*client, script));
        *turn += 1;
    }
    turns
        .into_iter()
        .map(|mut turn| {
            turn.sort_by_key(|(client, _)| *client);
            let mut out = String::new();
            for (i, (client, script)) in turn.iter().enumerate() {
                let keyword = if i == 0 { "\\if" } else { "\\elif" };
                out.push_str(&format!("{keyword} :client_id = {client}\n"));
                out.push_str(script);
            }
            out.push_str("\\else\n");
            out.push_str(turn[0].1);
            out.push_str("\\endif\n");
            out
        })
        .collect()
}

/// A time as logged (`2026-12-05 12:32:28.559331+00`) written as the replay's `now()` plus its
/// distance from `sent`; `None` when it is not one.
fn moved(value: &str, sent: DateTime<Utc>) -> Option<String> {
    let at = DateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S%.f%#z").ok()?;
    let micros = (at.with_timezone(&Utc) - sent).num_microseconds()?;
    Some(format!("(now() + interval '{micros} microseconds')"))
}

/// A value as logged (quotes doubled) written as an escaped string literal without a colon:
/// pgbench takes `:name` anywhere in a command, inside quotes too, for one of its variables.
fn literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 3);
    out.push_str("E'");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ':' => out.push_str("\\x3a"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Runs `scripts` with pgbench: `clients` clients for `duration`, on the database `options`
/// reaches (as its user); returns the transactions per second.
pub async fn pgbench(
    options: &PgConnectOptions,
    settings: &[(&str, &str)],
    scripts: &[PathBuf],
    clients: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    if scripts.is_empty() {
        bail!("nothing was recorded");
    }
    let program = crate::db::embedded::find_binaries()?.join("pgbench");
    let host = match options.get_socket() {
        Some(socket) => socket.display().to_string(),
        None => options.get_host().to_string(),
    };
    let mut command = tokio::process::Command::new(program);
    command
        .env("PGHOST", host)
        .env("PGPORT", options.get_port().to_string())
        .env("PGUSER", options.get_username())
        .env("PGDATABASE", options.get_database().unwrap_or("postgres"))
        .env(
            "PGOPTIONS",
            settings
                .iter()
                .map(|(name, value)| format!("-c {name}={value}"))
                .collect::<Vec<_>>()
                .join(" "),
        )
        .args(["--no-vacuum", "--protocol=prepared"])
        .arg(format!("--client={clients}"))
        .arg(format!("--jobs={}", clients.min(2)))
        .arg(format!("--time={}", duration.as_secs().max(1)));
    for script in scripts {
        command.arg(format!("--file={}", script.display()));
    }
    let output = command
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .context("cannot run pgbench")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let why = stderr
            .lines()
            .find(|l| l.contains("ERROR") || l.contains("error"))
            .unwrap_or("pgbench failed");
        bail!("{why}");
    }
    tps(&stdout).ok_or_else(|| anyhow::anyhow!("pgbench printed no tps: {stdout}"))
}

/// What a scenario's requests do, which sets how their times are replayed ([`Times`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requests {
    Reads,
    Writes,
}

/// One request of a scenario: method, path, bearer token, JSON body.
pub type Request = (reqwest::Method, String, String, Option<serde_json::Value>);

/// The application on recording connections, served on a loopback port of this process, and
/// the directory the scripts it records are written to.
pub struct Recorder {
    base: String,
    client: reqwest::Client,
    log: PathBuf,
    dir: PathBuf,
    maintenance: PgConnectOptions,
    pool: sqlx::PgPool,
    pages: sqlx::PgPool,
    search: crate::search::Connections,
    planned_once: crate::db::planned::PlannedOnce,
    /// The connections the follow-ups are written on.
    follow_up_writing: sqlx::PgPool,
    server: tokio::task::JoinHandle<()>,
}

impl Recorder {
    /// Starts the recording application on the database `maintenance` reaches as the superuser,
    /// whose server logs to `log`; the scripts go to `dir`, emptied first.
    pub async fn start(maintenance: PgConnectOptions, log: PathBuf, dir: PathBuf) -> anyhow::Result<Recorder> {
        let recording = maintenance
            .clone()
            .options([("log_statement", "all"), ("application_name", "aftersales-ceiling")]);
        let pool = crate::db::pool(recording, 4).await?;
        let state = crate::state::AppState::new(pool.clone());
        state
            .calendars
            .reload(&state.pool, state.now())
            .await
            .map_err(|e| anyhow::anyhow!("cannot load the working-day calendar: {e}"))?;
        // It keeps the tokens' holders as the desk does (`auth::held`), which it does only
        // while it hears the announcements of their changes.
        state.live.start_without_relay(&state.pool);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !state.holders.is_hearing() {
            if tokio::time::Instant::now() > deadline {
                bail!("the recording application did not start listening within ten seconds");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let pages = state.pages.clone();
        let search = state.search.clone();
        let planned_once = state.planned_once.clone();
        let follow_up_writing = state.follow_up_writes.writing().clone();
        let app = crate::router::router(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let server = tokio::spawn(async move {
            let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            if let Err(error) = axum::serve(listener, service).await {
                tracing::warn!(%error, "the recording application stopped");
            }
        });
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("cannot empty {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot make {}", dir.display()))?;
        Ok(Recorder {
            base,
            client: reqwest::Client::builder().timeout(Duration::from_secs(120)).build()?,
            log,
            dir,
            maintenance,
            pool,
            pages,
            search,
            planned_once,
            follow_up_writing,
            server,
        })
    }

    /// Sends `warm_up` (and asks who holds each token of `requests`), then each of `requests`,
    /// one at a time, and writes what was logged for each of the latter as a script, its times
    /// as recorded for reads, moved to the replay's for writes ([`Times`]); returns the scripts'
    /// paths.
    pub async fn record(
        &self,
        short: &str,
        warm_up: &Request,
        requests: &[Request],
        kind: Requests,
    ) -> anyhow::Result<Vec<PathBuf>> {
        // The first request of a connection asks things the next ones do not; the first of a
        // token reads its holder, which the desk then keeps (`auth::held`) and reads again at
        // most every `KEPT_FOR` under load.
        self.send(warm_up).await?;
        let mut tokens: Vec<&str> = requests.iter().map(|request| request.2.as_str()).collect();
        tokens.sort_unstable();
        tokens.dedup();
        for token in tokens {
            let me: Request = (reqwest::Method::GET, "/api/v1/me".to_string(), token.to_string(), None);
            self.send(&me).await?;
        }
        let mut recorded = Vec::new();
        for request in requests {
            let from = std::fs::metadata(&self.log)?.len();
            let sent = Utc::now();
            self.send(request).await?;
            let sessions = self.sessions().await?;
            let mut logged = parse_log(&of_sessions(&read_from(&self.log, from)?, &sessions));
            logged.retain(|statement| !driver_lookup(statement));
            if logged.is_empty() {
                bail!("nothing was logged for {} {}", request.0, request.1);
            }
            let times = match kind {
                Requests::Reads => Times::AsRecorded,
                Requests::Writes => Times::MovedFrom(sent),
            };
            recorded.push((logged, times));
        }
        let types = self.parameter_types().await?;
        let mut scripts = Vec::new();
        for (n, (logged, times)) in recorded.iter().enumerate() {
            let path = script_path(&self.dir, short, n);
            std::fs::write(&path, script(logged, &types, *times))?;
            scripts.push(path);
        }
        Ok(scripts)
    }

    /// The server processes of the recording application's database: the cluster's log also
    /// holds what other sessions logged meanwhile, such as another recording application's on
    /// another database. (On its own database only the recording connections log statements.)
    /// Asked on a connection of its own that logs nothing, so that the question does not end up
    /// in the script it is asked for.
    async fn sessions(&self) -> anyhow::Result<Vec<u32>> {
        let mut conn = sqlx::PgConnection::connect_with(&self.maintenance).await?;
        let pids: Vec<i32> = sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            .fetch_all(&mut conn)
            .await?;
        conn.close().await?;
        Ok(pids.into_iter().filter_map(|pid| u32::try_from(pid).ok()).collect())
    }

    /// The types each statement's parameters were bound as, read from the statements prepared
    /// on the recording connections (the log shows values, not their types).
    async fn parameter_types(&self) -> anyhow::Result<HashMap<String, Vec<String>>> {
        let mut types = HashMap::new();
        for pool in [
            &self.pool,
            &self.pages,
            self.search.pool(),
            self.planned_once.pool(),
            &self.follow_up_writing,
        ] {
            // Every connection, held until all are read. One that served the request last may
            // not be back in the pool yet when its answer has arrived (a connection is handed
            // back by a task of its own after the handler ends): it is waited for, a while.
            let mut held = Vec::new();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while held.len() < pool.size() as usize && tokio::time::Instant::now() < deadline {
                match pool.try_acquire() {
                    Some(conn) => held.push(conn),
                    None => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
            for conn in &mut held {
                let prepared: Vec<(String, Vec<String>)> = sqlx::query_as(
                    "SELECT statement, parameter_types::text[] FROM pg_prepared_statements WHERE from_sql = false",
                )
                .fetch_all(&mut **conn)
                .await?;
                types.extend(prepared);
            }
        }
        Ok(types)
    }

    async fn send(&self, (method, path, token, body): &Request) -> anyhow::Result<()> {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        response.bytes().await?;
        if !status.is_success() {
            bail!("{method} {path} answered {status} to the recording application");
        }
        Ok(())
    }

    /// The scripts of `recorded` (each request's client and its script, as [`Recorder::record`]
    /// wrote them) regrouped by turn ([`by_client`]): `dir/<short>-turn-<k>.sql`.
    pub fn by_client(&self, short: &str, recorded: &[(usize, PathBuf)]) -> anyhow::Result<Vec<PathBuf>> {
        let read = recorded
            .iter()
            .map(|(client, path)| Ok((*client, std::fs::read_to_string(path)?)))
            .collect::<std::io::Result<Vec<_>>>()?;
        let mut scripts = Vec::new();
        for (k, script) in by_client(&read).into_iter().enumerate() {
            let path = self.dir.join(format!("{short}-turn-{k}.sql"));
            std::fs::write(&path, script)?;
            scripts.push(path);
        }
        Ok(scripts)
    }

    /// Runs the scripts with pgbench as the superuser, its sessions set as `settings` say
    /// ([`pgbench`]).
    pub async fn pgbench(
        &self,
        settings: &[(&str, &str)],
        scripts: &[PathBuf],
        clients: usize,
        duration: Duration,
    ) -> anyhow::Result<f64> {
        pgbench(&self.maintenance, settings, scripts, clients, duration).await
    }

    /// Stops the application (the scripts stay, to be read or run again).
    pub async fn stop(self) {
        self.server.abort();
        self.search.close().await;
        self.planned_once.close().await;
        self.follow_up_writing.close().await;
        self.pages.close().await;
        self.pool.close().await;
    }
}

/// The lines of `log` written by the server processes `pids` (with the lines that continue
/// them, which start with a tab).
fn of_sessions(log: &str, pids: &[u32]) -> String {
    let mut kept = String::new();
    let mut keeping = false;
    for line in log.lines() {
        if !line.starts_with('\t') {
            keeping = line
                .split_once(" [")
                .and_then(|(_, rest)| rest.split_once(']'))
                .and_then(|(pid, _)| pid.parse::<u32>().ok())
                .is_some_and(|pid| pids.contains(&pid));
        }
        if keeping {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

/// The log from byte `from` on (whole lines: a backend writes a message at once).
fn read_from(log: &Path, from: u64) -> anyhow::Result<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(log)?;
    file.seek(SeekFrom::Start(from))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The `tps = …` of pgbench's report.
fn tps(report: &str) -> Option<f64> {
    report
        .lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// Where a run's scripts are kept: beside its table, `<table>.ceiling/`.
pub fn scripts_beside(table: &Path) -> PathBuf {
    let mut name = table.as_os_str().to_os_string();
    name.push(".ceiling");
    PathBuf::from(name)
}

/// Where a scenario's scripts are written: `dir/<short>-<n>.sql`.
pub fn script_path(dir: &Path, short: &str, n: usize) -> PathBuf {
    dir.join(format!("{short}-{n}.sql"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "2026-12-03 03:10:00.001 UTC [4242] LOG:  statement: BEGIN
2026-12-03 03:10:00.002 UTC [4242] LOG:  execute sqlx_s_3: SELECT t.id, t.kind
\tFROM tickets t
\tWHERE t.shop_id = $1 AND t.id = ANY($2) AND t.note = $12
2026-12-03 03:10:00.002 UTC [4242] DETAIL:  parameters: $1 = '7', $2 = '{1,2}', $3 = NULL, $4 = 'it''s, here', $5 = 'two
\tlines', $6 = '', $7 = '0', $8 = '0', $9 = '0', $10 = '0', $11 = '0', $12 = 'last'
2026-12-03 03:10:00.003 UTC [999] LOG:  checkpoint starting: time
2026-12-03 03:10:00.004 UTC [777] LOG:  duration: 350.1 ms  execute sqlx_s_1: SELECT $1
2026-12-03 03:10:00.004 UTC [777] DETAIL:  parameters: $1 = '1'
2026-12-03 03:10:00.004 UTC [4242] LOG:  execute <unnamed>: SELECT now()
2026-12-03 03:10:00.005 UTC [4242] LOG:  statement: COMMIT
";

    #[test]
    fn the_statements_and_their_values_are_read_from_the_log() {
        let logged = parse_log(LOG);
        assert_eq!(logged.len(), 4, "{logged:#?}");
        assert_eq!(logged[0].text, "BEGIN");
        assert_eq!(
            logged[1].text,
            "SELECT t.id, t.kind\nFROM tickets t\nWHERE t.shop_id = $1 AND t.id = ANY($2) AND t.note = $12"
        );
        assert_eq!(logged[1].parameters.len(), 12);
        assert_eq!(logged[1].parameters[0].as_deref(), Some("7"));
        assert_eq!(logged[1].parameters[2], None);
        assert_eq!(logged[1].parameters[3].as_deref(), Some("it''s, here"));
        assert_eq!(logged[1].parameters[4].as_deref(), Some("two\nlines"));
        assert_eq!(logged[1].parameters[5].as_deref(), Some(""));
        assert_eq!(logged[1].parameters[11].as_deref(), Some("last"));
        assert_eq!(logged[2].text, "SELECT now()");
        assert!(logged[2].parameters.is_empty());
        assert_eq!(logged[3].text, "COMMIT");
    }

    #[test]
    fn only_the_recording_sessions_lines_are_read() {
        let kept = of_sessions(LOG, &[4242]);
        assert!(
            kept.lines().all(|l| l.starts_with('\t') || l.contains("[4242]")),
            "{kept}"
        );
        let logged = parse_log(&kept);
        assert_eq!(logged.len(), 4, "{logged:#?}");
        assert_eq!(logged[1].parameters.len(), 12, "the continued lines are kept");
        assert!(
            parse_log(&of_sessions(LOG, &[777])).is_empty(),
            "another session's lines are not ours"
        );
        assert_eq!(of_sessions(LOG, &[777]).lines().count(), 2);
        assert!(of_sessions(LOG, &[]).is_empty());
    }

    #[test]
    fn the_drivers_catalogue_look_ups_are_no_part_of_a_request() {
        let logged = |text: &str| Logged {
            text: text.to_string(),
            parameters: Vec::new(),
        };
        let types = "SELECT pg_type.oid, typname\nFROM (SELECT DISTINCT ON(lookup_oid) original_name, lookup_oid\n\
                     FROM (VALUES ('text', to_regtype('text')::oid)) lookup_inner(original_name, lookup_oid)\n\
                     ORDER BY lookup_oid) type_lookup\n\
                     INNER JOIN pg_catalog.pg_type ON type_lookup.lookup_oid = pg_type.oid\n\
                     LEFT JOIN pg_catalog.pg_range ON pg_type.oid = pg_range.rngtypid";
        let columns = "SELECT attrelid table_oid, array_agg(ROW(attnum, attname)) AS columns\n\
                       FROM (VALUES (16384, 1)) lookup(table_oid, attribute_num)\n\
                       INNER JOIN pg_catalog.pg_attribute ON lookup.table_oid = attrelid AND lookup.attribute_num = attnum\n\
                       GROUP BY attrelid";
        assert!(driver_lookup(&logged(types)));
        assert!(driver_lookup(&logged(columns)));
        assert!(!driver_lookup(&logged(
            "SELECT t.id FROM tickets t WHERE t.shop_id = $1"
        )));
    }

    #[test]
    fn a_script_has_each_statement_with_its_values_written_in() {
        let types = HashMap::from([(
            "SELECT t.id, t.kind\nFROM tickets t\nWHERE t.shop_id = $1 AND t.id = ANY($2) AND t.note = $12".to_string(),
            vec!["bigint".to_string(), "bigint[]".to_string()],
        )]);
        let script = script(&parse_log(LOG), &types, Times::AsRecorded);
        assert_eq!(
            script,
            "BEGIN;\nSELECT t.id, t.kind\nFROM tickets t\nWHERE t.shop_id = E'7'::bigint AND t.id = ANY(E'{1,2}'::bigint[]) AND t.note = E'last';\n\
             SELECT now();\nCOMMIT;\n"
        );
    }

    #[test]
    fn a_replayed_writes_times_are_the_replays_own() {
        let text = "UPDATE tickets SET last_follow_up_at = $1, follow_up_due_at = $2 WHERE id = $3 AND day = $4";
        let logged = [Logged {
            text: text.to_string(),
            parameters: vec![
                Some("2026-12-05 12:32:28.559331+00".to_string()),
                Some("2026-12-06 20:32:28+08".to_string()),
                Some("42".to_string()),
                Some("2026-12-05".to_string()),
            ],
        }];
        let types = HashMap::from([(
            text.to_string(),
            ["timestamp with time zone", "timestamp with time zone", "bigint", "date"]
                .map(String::from)
                .to_vec(),
        )]);
        let sent = "2026-12-05T12:32:28.559000Z".parse::<DateTime<Utc>>().expect("time");
        assert_eq!(
            script(&logged, &types, Times::MovedFrom(sent)),
            "UPDATE tickets SET last_follow_up_at = (now() + interval '331 microseconds')::timestamp with time zone, \
             follow_up_due_at = (now() + interval '86399441000 microseconds')::timestamp with time zone \
             WHERE id = E'42'::bigint AND day = E'2026-12-05'::date;\n"
        );
        // A read asks what it asked.
        assert!(script(&logged, &types, Times::AsRecorded).contains("E'2026-12-06 20\\x3a32\\x3a28+08'"));
    }

    #[test]
    fn a_replayed_writes_guard_on_the_version_it_read_holds() {
        let text = "UPDATE tickets SET version = version + 1 WHERE id = $1 AND version = $2 RETURNING version";
        let logged = [Logged {
            text: text.to_string(),
            parameters: vec![Some("42".to_string()), Some("7".to_string())],
        }];
        let types = HashMap::from([(text.to_string(), vec!["bigint".to_string(), "integer".to_string()])]);
        let sent = "2026-12-05T12:32:28Z".parse::<DateTime<Utc>>().expect("time");
        assert_eq!(
            script(&logged, &types, Times::MovedFrom(sent)),
            "UPDATE tickets SET version = version + 1 WHERE id = E'42'::bigint AND version = version RETURNING version;\n"
        );
        // Recorded as is, the guard asks for the version recorded.
        assert!(script(&logged, &types, Times::AsRecorded).contains("AND version = E'7'::integer"));
    }

    #[test]
    fn a_value_is_written_without_a_colon_pgbench_would_take_for_a_variable() {
        assert_eq!(literal("2026-12-03 03:01:24+00"), "E'2026-12-03 03\\x3a01\\x3a24+00'");
        assert_eq!(literal("a\\b''c"), "E'a\\\\b''c'");
    }

    #[test]
    fn each_of_pgbenchs_clients_replays_only_what_its_client_sent() {
        // Three clients, two turns; the third client sent once.
        let sent = [
            (1, "SELECT 'c1 first';\n".to_string()),
            (2, "SELECT 'c2 first';\n".to_string()),
            (0, "SELECT 'c0 first';\n".to_string()),
            (1, "SELECT 'c1 second';\n".to_string()),
            (0, "SELECT 'c0 second';\n".to_string()),
        ];
        let turns = by_client(&sent);
        assert_eq!(
            turns,
            [
                "\\if :client_id = 0\nSELECT 'c0 first';\n\\elif :client_id = 1\nSELECT 'c1 first';\n\
                 \\elif :client_id = 2\nSELECT 'c2 first';\n\\else\nSELECT 'c0 first';\n\\endif\n",
                "\\if :client_id = 0\nSELECT 'c0 second';\n\\elif :client_id = 1\nSELECT 'c1 second';\n\
                 \\else\nSELECT 'c0 second';\n\\endif\n",
            ]
        );
        assert!(by_client(&[]).is_empty());
    }

    #[test]
    fn pgbench_reports_its_rate() {
        let report = "number of transactions actually processed: 1234\n\
                      latency average = 12.9 ms\n\
                      initial connection time = 3.1 ms\n\
                      tps = 1233.456789 (without initial connection time)\n";
        assert_eq!(tps(report), Some(1233.456789));
        assert_eq!(tps("nothing"), None);
    }
}

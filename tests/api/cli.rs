//! The `aftersales` command as a user runs it: the embedded database, restarts, clean stops.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::temp_dir;

const BIN: &str = env!("CARGO_BIN_EXE_aftersales");

fn command(data_dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("DATABASE_URL")
        .env("AFTERSALES_DATA_DIR", data_dir)
        .env("AFTERSALES_LOG", "warn");
    cmd
}

/// Starts `serve` and waits for the line with its address.
fn serve(data_dir: &Path) -> (Child, String) {
    let (child, address, _) = serve_saying(data_dir);
    (child, address)
}

/// Starts `serve` and waits for the line with its address; also what it printed before.
fn serve_saying(data_dir: &Path) -> (Child, String, Vec<String>) {
    let mut said = Vec::new();
    let mut child = command(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        said.push(line.clone());
        if let Some(rest) = line.split("running at ").nth(1) {
            let address = rest
                .split_whitespace()
                .next()
                .expect("address")
                .trim_end_matches('/')
                .to_string();
            // Keep draining stdout so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines.by_ref() {});
            return (child, address, said);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("serve did not print its address: {said:?}");
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| out.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

/// The pid in the first line of the cluster's `postmaster.pid`.
fn postmaster_pid(home: &Path) -> Option<String> {
    let text = std::fs::read_to_string(home.join("pgdata").join("postmaster.pid")).ok()?;
    text.lines().next().map(str::to_string)
}

async fn ready(address: &str) -> reqwest::StatusCode {
    match reqwest::get(format!("{address}/readyz")).await {
        Ok(response) => response.status(),
        Err(_) => reqwest::StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn stop(mut child: Child) {
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    let status = child.wait().expect("wait");
    assert!(status.success(), "serve exits cleanly on SIGTERM: {status}");
}

fn postgres_running_in(dir: &Path) -> bool {
    let out = Command::new("pgrep")
        .args(["-f", &dir.display().to_string()])
        .output()
        .expect("pgrep");
    !String::from_utf8_lossy(&out.stdout).trim().is_empty()
}

/// Runs `aftersales user add --password-stdin ARGS` as `command` sets it up, the password piped in.
fn user_add(mut command: Command, args: &[&str], password: &str) -> std::process::Output {
    let mut child = command
        .args(["user", "add", "--password-stdin"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("user add");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(password.as_bytes())
        .expect("write password");
    child.wait_with_output().expect("user add output")
}

fn add_user(data_dir: &Path, args: &[&str], password: &str) -> String {
    let out = user_add(command(data_dir), args, password);
    assert!(
        out.status.success(),
        "user add failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Runs `aftersales user add` against the test database `url`; its success and output.
fn add_user_to(url: &str, args: &[&str], password: &str) -> (bool, String) {
    let mut command = Command::new(BIN);
    command.env("DATABASE_URL", url).env("AFTERSALES_LOG", "warn");
    let out = user_add(command, args, password);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn user_add_refuses_a_weak_password_and_says_why() {
    let app = crate::support::spawn_app().await;
    let url = crate::support::database_url(&app.db_options);
    let (ok, text) = add_user_to(&url, &["--login", "boss", "--role", "admin"], "123456789a\n");
    assert!(!ok && text.contains("too common"), "{text}");
    let (ok, text) = add_user_to(&url, &["--login", "boss", "--role", "admin"], "short\n");
    assert!(!ok && text.contains("at least 10 characters"), "{text}");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(users, 0);
    let (ok, text) = add_user_to(&url, &["--login", "boss", "--role", "admin"], "boss-password\n");
    assert!(ok, "{text}");
}

#[tokio::test]
async fn users_created_and_files_imported_on_the_command_line_are_audited() {
    let app = crate::support::spawn_app().await;
    app.shop("cli-audit").await;
    let url = crate::support::database_url(&app.db_options);
    let (ok, text) = add_user_to(
        &url,
        &["--login", "boss", "--role", "admin", "--shop", "cli-audit"],
        "boss-password\n",
    );
    assert!(ok, "{text}");
    let (actor, subject, details): (Option<i64>, String, Value) =
        sqlx::query_as("SELECT actor_id, subject, details FROM audit_log WHERE action = 'user.created'")
            .fetch_one(&app.pool)
            .await
            .expect("one entry");
    assert_eq!((actor, subject.as_str()), (None, "boss"), "made by the command line");
    assert_eq!(details["via"], "cli");
    assert_eq!(details["role"], "admin");
    assert!(!details.to_string().contains("boss-password"));

    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/orders_plain_bom.csv");
    let out = Command::new(BIN)
        .env("DATABASE_URL", &url)
        .env("AFTERSALES_LOG", "warn")
        .args(["import", "orders", "--shop", "cli-audit", fixture])
        .output()
        .expect("import");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let details: Value = sqlx::query_scalar("SELECT details FROM audit_log WHERE action = 'import.completed'")
        .fetch_one(&app.pool)
        .await
        .expect("one entry");
    assert_eq!(details["via"], "cli");
    assert_eq!(details["kind"], "orders");
    assert_eq!(details["summary"]["rows"], 3);
}

#[tokio::test]
async fn serve_keeps_every_ticket_across_restarts_and_leaves_no_postgres_behind() {
    let data = temp_dir("cli");
    let printed = add_user(&data, &["--login", "boss", "--role", "admin"], "boss-password");
    assert!(printed.contains("created user boss"), "{printed}");
    assert!(
        !printed.contains("boss-password"),
        "a password read from stdin is not printed"
    );
    assert!(
        !postgres_running_in(&data),
        "a one-off command stops the cluster it started"
    );

    let (server, address) = serve(&data);
    let client = reqwest::Client::new();
    let token: Value = client
        .post(format!("{address}/api/v1/auth/tokens"))
        .json(&json!({ "login": "boss", "password": "boss-password" }))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token = token["token"].as_str().expect("token").to_string();
    let shop: Value = client
        .post(format!("{address}/api/v1/shops"))
        .bearer_auth(&token)
        .json(&json!({ "code": "cli-shop", "name": "命令行店" }))
        .send()
        .await
        .expect("shop")
        .json()
        .await
        .expect("json");
    let shop = shop["id"].as_i64().expect("shop id");
    // While the server runs, another command joins its cluster and leaves it running.
    add_user(
        &data,
        &["--login", "clerk", "--role", "agent", "--shop", "cli-shop"],
        "clerk-password",
    );
    assert!(postgres_running_in(&data));
    let (_, clerk) = {
        let answer: Value = client
            .post(format!("{address}/api/v1/auth/tokens"))
            .json(&json!({ "login": "clerk", "password": "clerk-password" }))
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("json");
        ((), answer["token"].as_str().expect("clerk token").to_string())
    };
    let put = client
        .put(format!("{address}/api/v1/shops/{shop}/orders/CLI-1"))
        .bearer_auth(&clerk)
        .json(&json!({ "buyer": "tb_cli", "lines": [{ "sku": "X", "title": "杯子", "quantity": 1, "unit_price_fen": 990 }] }))
        .send()
        .await
        .expect("order");
    assert_eq!(put.status(), 201);
    let created: Value = client
        .post(format!("{address}/api/v1/shops/{shop}/tickets"))
        .bearer_auth(&clerk)
        .json(&json!({ "kind": "complaint", "order_no": "CLI-1", "reason": "quality", "description": "杯子有裂纹" }))
        .send()
        .await
        .expect("ticket")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_i64().expect("ticket id");
    stop(server);
    assert!(!postgres_running_in(&data), "stopping serve stops PostgreSQL");

    let (server, address) = serve(&data);
    let again: Value = client
        .get(format!("{address}/api/v1/tickets/{id}"))
        .bearer_auth(&clerk)
        .send()
        .await
        .expect("ticket")
        .json()
        .await
        .expect("json");
    assert_eq!(again["description"], "杯子有裂纹");
    assert_eq!(again["timeline"].as_array().map(Vec::len), Some(2));
    stop(server);
    assert!(!postgres_running_in(&data));
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn help_explains_every_setting() {
    let out = Command::new(BIN).arg("--help").output().expect("help");
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in ["serve", "migrate", "user", "DATABASE_URL", "AFTERSALES_DATA_DIR"] {
        assert!(text.contains(needle), "--help mentions {needle}: {text}");
    }
    let out = Command::new(BIN).args(["serve", "--help"]).output().expect("help");
    let serve_help = String::from_utf8_lossy(&out.stdout);
    for needle in ["AFTERSALES_LISTEN", "AFTERSALES_PUBLIC_URL", "AFTERSALES_TRUSTED_PROXY"] {
        assert!(
            serve_help.contains(needle),
            "serve --help mentions {needle}: {serve_help}"
        );
    }
}

#[tokio::test]
async fn another_os_user_cannot_connect_to_the_embedded_cluster() {
    let data = temp_dir("peer");
    let cluster = aftersales::db::embedded::Cluster::start(
        &data,
        &aftersales::db::embedded::Options {
            unsafe_fast: true,
            remove_on_exit: true,
            exclusive: false,
        },
    )
    .expect("cluster");
    let socket_dir = cluster.socket_dir().to_path_buf();
    let mode = std::fs::metadata(&socket_dir).expect("socket dir").permissions();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.mode() & 0o777, 0o700, "the socket's directory is closed to others");
    let hba = std::fs::read_to_string(cluster.home().join("pgdata").join("pg_hba.conf")).unwrap_or_default();
    assert!(!hba.contains("trust"), "{hba}");
    let psql = aftersales::db::embedded::find_binaries()
        .expect("binaries")
        .join("psql");
    // The desk's own user connects; under a role it is not mapped to, it does not.
    let own = Command::new(&psql)
        .args(["-h"])
        .arg(&socket_dir)
        .args(["-U", "aftersales", "-d", "postgres", "-Atc", "SELECT current_user"])
        .output()
        .expect("psql");
    assert!(own.status.success(), "{}", String::from_utf8_lossy(&own.stderr));
    // Even the desk's own user reaches only the roles it is mapped to: a role that exists but
    // is not in the map is refused by the authentication itself.
    let created = Command::new(&psql)
        .arg("-h")
        .arg(&socket_dir)
        .args(["-U", "aftersales", "-d", "postgres", "-c", "CREATE ROLE outsider LOGIN"])
        .output()
        .expect("psql");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let unmapped = Command::new(&psql)
        .arg("-h")
        .arg(&socket_dir)
        .args(["-U", "outsider", "-d", "postgres", "-Atc", "SELECT 1"])
        .output()
        .expect("psql");
    assert!(!unmapped.status.success(), "an unmapped role is refused");
    let said = String::from_utf8_lossy(&unmapped.stderr);
    assert!(said.contains("authentication failed"), "{said}");
    if is_root() {
        for role in ["aftersales", "aftersales_app"] {
            let other = Command::new("runuser")
                .args(["-u", "nobody", "--"])
                .arg(&psql)
                .args(["-h"])
                .arg(&socket_dir)
                .args(["-U", role, "-d", "postgres", "-Atc", "SELECT 1"])
                .output()
                .expect("runuser psql");
            assert!(
                !other.status.success(),
                "user nobody connected as {role}: {}",
                String::from_utf8_lossy(&other.stdout)
            );
        }
    }
    cluster.stop().expect("stop");
}

#[tokio::test]
async fn as_root_a_data_directory_postgres_cannot_reach_is_kept_elsewhere_and_said() {
    if !is_root() {
        // Only root hands the cluster to another user; an ordinary user's data stays where asked.
        return;
    }
    let closed = temp_dir("closed");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let data = closed.join("data");
    let (server, address, said) = serve_saying(&data);
    let home_line = said
        .iter()
        .find(|line| line.contains("The database lives in"))
        .unwrap_or_else(|| panic!("{said:?}"));
    let home = Path::new(home_line.rsplit(' ').next().expect("path")).to_path_buf();
    assert!(home.starts_with(aftersales::db::embedded::ROOT_FALLBACK), "{home_line}");
    assert_eq!(ready(&address).await, reqwest::StatusCode::OK);
    // Nothing the desk did not create changed owner.
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&closed).expect("closed").uid(), 0);
    assert_eq!(std::fs::metadata(&data).expect("data").uid(), 0);
    stop(server);
    // The same place again at the next start.
    let (server, _, said) = serve_saying(&data);
    assert!(said.iter().any(|line| line == home_line), "{said:?}");
    stop(server);
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::remove_dir_all(&closed);
}

#[tokio::test]
async fn a_second_server_is_refused_a_crashed_postgres_restarted_and_a_killed_desk_replaced_at_once() {
    let data = temp_dir("lock");
    let (server, address) = serve(&data);
    // A second server on the same directory refuses, saying who holds it.
    let second = command(&data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .expect("second serve");
    assert!(!second.status.success());
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(
        said.contains("already using") && said.contains(&server.id().to_string()),
        "{said}"
    );
    assert_eq!(
        ready(&address).await,
        reqwest::StatusCode::OK,
        "the first one is untouched"
    );

    // PostgreSQL killed under the desk: started again, and ready again.
    let pid = postmaster_pid(&data).expect("postmaster.pid");
    Command::new("kill").args(["-KILL", &pid]).status().expect("kill");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if postmaster_pid(&data).is_some_and(|now| now != pid) && ready(&address).await == reqwest::StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "PostgreSQL was not started again");
    }

    // The desk killed: a new one starts at once, after the old cluster has stopped.
    let mut server = server;
    server.kill().expect("kill -9");
    server.wait().expect("wait");
    let (server, address) = serve(&data);
    assert_eq!(ready(&address).await, reqwest::StatusCode::OK);
    stop(server);
    assert!(!postgres_running_in(&data));
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test]
async fn a_sigterm_the_moment_serve_says_it_runs_stops_it_in_order() {
    // The signal handlers were installed only when the server first polled them, after the
    // "running at" line: a SIGTERM sent at once killed the desk outright.
    let data = temp_dir("sigterm");
    for _ in 0..3 {
        let (server, _) = serve(&data);
        stop(server);
        assert!(!postgres_running_in(&data));
    }
    let _ = std::fs::remove_dir_all(&data);
}

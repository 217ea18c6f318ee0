//! The test harness: one throw-away PostgreSQL cluster per test binary (or `DATABASE_URL`),
//! migrations applied once into a template database, and a fresh database per test cloned from
//! it. Each test gets the real application on a random loopback port.
//!
//! On a Citus cluster (`DATABASE_URL` names the coordinator and `AFTERSALES_CITUS_WORKERS` its
//! workers, `host:port,host:port`; `tests/citus/run.sh` starts one) the template is made on every
//! node, the schema distributed in it (`aftersales::db::citus::distribute`), and each test's
//! database is cloned from it on every node at once: the coordinator's metadata and the
//! workers' shards stay one cluster under the new name.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use aftersales::auth::Role;
use aftersales::db::embedded::{Cluster, Options};
use aftersales::ids::{ShopId, UserId};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

const TEMPLATE: &str = "aftersales_template";

/// Where test databases come from.
struct Server {
    /// Connection options for a database on the server, by name, with every right.
    base: PgConnectOptions,
    /// On the embedded cluster the desk works as its own role, as in production; with
    /// `DATABASE_URL`, as the role given.
    roles: bool,
    /// The Citus workers, with every right, when `DATABASE_URL` is a coordinator.
    workers: Vec<PgConnectOptions>,
    /// Kept for the life of the process; the watchdog stops and removes it at exit.
    cluster: Option<Cluster>,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        // Runs once, outside the test's runtime: a thread with a runtime of its own.
        std::thread::spawn(|| {
            let (base, cluster) = match std::env::var("DATABASE_URL") {
                Ok(url) => (
                    url.parse::<PgConnectOptions>()
                        .expect("DATABASE_URL is a PostgreSQL URL"),
                    None,
                ),
                Err(_) => {
                    let dir = temp_dir("pg");
                    let cluster = Cluster::start(
                        &dir,
                        &Options {
                            unsafe_fast: true,
                            remove_on_exit: true,
                            exclusive: false,
                        },
                    )
                    .unwrap_or_else(|e| panic!("cannot start the test PostgreSQL: {e}"));
                    (cluster.connect_options("postgres"), Some(cluster))
                }
            };
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let roles = cluster.is_some();
            let workers = citus_workers(&base);
            runtime.block_on(prepare_template(&base, roles, &workers));
            Server {
                base,
                roles,
                workers,
                cluster,
            }
        })
        .join()
        .expect("test database set-up")
    })
}

/// The Citus workers named by `AFTERSALES_CITUS_WORKERS` (`host:port,…`), reached as `base` is.
fn citus_workers(base: &PgConnectOptions) -> Vec<PgConnectOptions> {
    let Ok(list) = std::env::var("AFTERSALES_CITUS_WORKERS") else {
        return Vec::new();
    };
    list.split(',')
        .filter(|w| !w.trim().is_empty())
        .map(|w| {
            let (host, port) = w
                .trim()
                .rsplit_once(':')
                .expect("AFTERSALES_CITUS_WORKERS: host:port,host:port");
            base.clone()
                .host(host)
                .port(port.parse().expect("AFTERSALES_CITUS_WORKERS: a port number"))
        })
        .collect()
}

async fn prepare_template(base: &PgConnectOptions, roles: bool, workers: &[PgConnectOptions]) {
    let mut admin = PgConnection::connect_with(base)
        .await
        .expect("connect to the test server");
    if roles {
        aftersales::db::prepare_roles(&mut admin).await.expect("roles");
    }
    let create = [
        format!("DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)"),
        format!("CREATE DATABASE {TEMPLATE}{}", owner(roles)),
    ];
    for statement in &create {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
            .execute(&mut admin)
            .await
            .expect("drop the old template and create it");
    }
    for worker in workers {
        let mut conn = PgConnection::connect_with(worker)
            .await
            .expect("connect to a Citus worker");
        for statement in &create {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
                .execute(&mut conn)
                .await
                .expect("drop the old template and create it on a worker");
        }
        let mut template = worker
            .clone()
            .database(TEMPLATE)
            .connect()
            .await
            .expect("worker's template");
        sqlx::raw_sql("CREATE EXTENSION citus")
            .execute(&mut template)
            .await
            .expect("citus on a worker");
        template.close().await.expect("close");
        conn.close().await.expect("close");
    }
    let mut template = base
        .clone()
        .database(TEMPLATE)
        .connect()
        .await
        .expect("connect to template");
    if !workers.is_empty() {
        sqlx::raw_sql("CREATE EXTENSION citus")
            .execute(&mut template)
            .await
            .expect("citus on the coordinator");
        let nodes =
            std::iter::once(("citus_set_coordinator_host", base)).chain(workers.iter().map(|w| ("citus_add_node", w)));
        for (function, node) in nodes {
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {function}($1, $2)")))
                .bind(node.get_host())
                .bind(i32::from(node.get_port()))
                .execute(&mut template)
                .await
                .expect("the Citus nodes");
        }
    }
    if roles {
        aftersales::db::migrate_as_app(&mut template)
            .await
            .expect("migrations apply");
    } else {
        aftersales::db::MIGRATOR
            .run(&mut template)
            .await
            .expect("migrations apply");
    }
    if !workers.is_empty() {
        let done = aftersales::db::citus::distribute(&mut template)
            .await
            .unwrap_or_else(|e| panic!("the schema distributes on Citus: {e}"));
        eprintln!(
            "citus: {} reference tables, {} distributed by shop_id",
            done.referenced.len(),
            done.distributed.len()
        );
    }
    template.close().await.expect("close template");
    admin.close().await.expect("close admin");
    // On Citus each node keeps a maintenance daemon connected to every database with the
    // extension, and a database being used cannot be a template: closed to connections, the
    // template is left alone.
    if !workers.is_empty() {
        for node in std::iter::once(base).chain(workers) {
            let mut conn = PgConnection::connect_with(node).await.expect("connect to a Citus node");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "ALTER DATABASE {TEMPLATE} ALLOW_CONNECTIONS false;
                 SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{TEMPLATE}';"
            )))
            .execute(&mut conn)
            .await
            .expect("close the template on a Citus node");
            conn.close().await.expect("close");
        }
    }
}

/// Whether the desk works as its own role, as in production (on the embedded cluster), rather
/// than as the role `DATABASE_URL` gives (on another server, a Citus cluster included): what
/// that role may not do is checked only then.
pub fn desk_has_its_own_role() -> bool {
    server().roles
}

/// The embedded cluster's log file (none with `DATABASE_URL`).
pub fn server_log() -> Option<PathBuf> {
    server()
        .cluster
        .as_ref()
        .map(|cluster| cluster.log_file().to_path_buf())
}

/// The embedded cluster's postmaster (none with `DATABASE_URL`).
pub fn postmaster_pid() -> Option<u32> {
    server().cluster.as_ref().and_then(Cluster::postmaster_pid)
}

/// A fresh directory under the system temp dir (short: socket paths are limited).
pub fn temp_dir(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("as-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// ` OWNER <the desk's role>` when the desk works as its own role.
fn owner(roles: bool) -> String {
    if roles {
        format!(" OWNER {}", aftersales::db::embedded::APP_ROLE)
    } else {
        String::new()
    }
}

/// Creates a database for one test, `CREATE DATABASE <name> <how>`, owned by the desk's role on
/// the embedded cluster; returns options for it with every right.
async fn create_database(how: &str) -> PgConnectOptions {
    let server = server();
    let name = format!("t{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    // On Citus, the clone of a distributed template is made on every node.
    let nodes = if how.contains(TEMPLATE) {
        &server.workers[..]
    } else {
        &[]
    };
    for node in std::iter::once(&server.base).chain(nodes) {
        let mut admin = PgConnection::connect_with(node)
            .await
            .expect("connect to the test server");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} {how}{}",
            owner(server.roles)
        )))
        .execute(&mut admin)
        .await
        .expect("create test database");
        admin.close().await.expect("close admin");
    }
    server.base.clone().database(&name)
}

/// Applies the migrations as the desk does on this server (as its own role on the embedded
/// cluster).
async fn migrate(conn: &mut PgConnection) {
    if server().roles {
        aftersales::db::migrate_as_app(conn).await.expect("migrations apply");
    } else {
        aftersales::db::MIGRATOR.run(conn).await.expect("migrations apply");
    }
}

/// A pool on the database of `admin` as the desk connects, and its options.
async fn desk_pool(admin: &PgConnectOptions) -> (PgPool, PgConnectOptions) {
    let options = if server().roles {
        admin.clone().username(aftersales::db::embedded::APP_ROLE)
    } else {
        admin.clone()
    };
    let pool = aftersales::db::pool(options.clone(), 8)
        .await
        .expect("pool for the test database");
    (pool, options)
}

/// A fresh database with the schema, for one test: a pool as the desk connects, its options,
/// and options with every right (for tools that need them, like the bulk generator).
pub async fn fresh_database() -> (PgPool, PgConnectOptions, PgConnectOptions) {
    let admin = create_database(&format!("TEMPLATE {TEMPLATE}")).await;
    let (pool, options) = desk_pool(&admin).await;
    (pool, options, admin)
}

/// Starts the application on a database of its own created with the locale `ctype`
/// (`LC_COLLATE` and `LC_CTYPE`) from `template0` and migrated, instead of the template's.
pub async fn spawn_app_with_locale(ctype: &str) -> TestApp {
    let admin = create_database(&format!(
        "TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE '{ctype}' LC_CTYPE '{ctype}'"
    ))
    .await;
    let mut conn = PgConnection::connect_with(&admin)
        .await
        .expect("connect to the new database");
    migrate(&mut conn).await;
    conn.close().await.expect("close");
    let (pool, options) = desk_pool(&admin).await;
    let state = aftersales::state::AppState::new(pool).with_clock(aftersales::clock::Clock::fixed(test_now()));
    serve(state, options, admin).await
}

/// The instant every test's desk stands at unless the test moves it ([`TestApp::clock`]):
/// Monday 2026-06-15 10:00 in Shanghai, inside the bundled calendar's years, so that no test
/// depends on the day it runs.
pub fn test_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-06-15T10:00:00+08:00")
        .expect("valid instant")
        .to_utc()
}

/// A fresh database with no schema at all (for testing migrations on old data).
pub async fn empty_pool() -> PgPool {
    let server = server();
    let name = format!("e{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    let mut admin = PgConnection::connect_with(&server.base)
        .await
        .expect("connect to the test server");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create empty database");
    admin.close().await.expect("close admin");
    aftersales::db::pool(server.base.clone().database(&name), 2)
        .await
        .expect("pool for the empty database")
}

/// A `DATABASE_URL` for a test database (for running the binary against it).
pub fn database_url(options: &PgConnectOptions) -> String {
    let user = options.get_username();
    let port = options.get_port();
    let database = options.get_database().unwrap_or("postgres");
    match options.get_socket() {
        Some(socket) => format!(
            "postgres://{user}@localhost:{port}/{database}?host={}",
            socket.display()
        ),
        None => format!("postgres://{user}@{}:{port}/{database}", options.get_host()),
    }
}

/// The application, running for one test.
pub struct TestApp {
    pub address: String,
    /// The desk's clock: fixed, moved by the test with `clock.set`.
    pub clock: aftersales::clock::Clock,
    pub pool: PgPool,
    /// Where the test's database is, for opening a second pool (a second server).
    pub db_options: PgConnectOptions,
    /// The test's database with every right (the superuser of the test cluster).
    pub admin_options: PgConnectOptions,
    pub client: reqwest::Client,
    /// The application's state (its metrics, for counting a sweep the test runs).
    pub state: aftersales::state::AppState,
}

/// Starts the application on a random port against a fresh database, its clock at
/// [`test_now`].
pub async fn spawn_app() -> TestApp {
    spawn_app_at(test_now()).await
}

/// Starts the application with its clock standing at `now`.
pub async fn spawn_app_at(now: chrono::DateTime<chrono::Utc>) -> TestApp {
    spawn_app_with(now, |state| state).await
}

/// Starts the application with its clock standing at `now` and its state as `adjust` makes it.
pub async fn spawn_app_with(
    now: chrono::DateTime<chrono::Utc>,
    adjust: impl FnOnce(aftersales::state::AppState) -> aftersales::state::AppState,
) -> TestApp {
    let (pool, db_options, admin_options) = fresh_database().await;
    let clock = aftersales::clock::Clock::fixed(now);
    let state = adjust(aftersales::state::AppState::new(pool).with_clock(clock));
    serve(state, db_options, admin_options).await
}

/// A second server process's worth of application (its own pool and state, the same clock) on
/// the database of `app`.
pub async fn spawn_second_server(app: &TestApp) -> TestApp {
    let pool = aftersales::db::pool(app.db_options.clone(), 4)
        .await
        .expect("second pool");
    let state = aftersales::state::AppState::new(pool).with_clock(app.clock.clone());
    serve(state, app.db_options.clone(), app.admin_options.clone()).await
}

/// Serves the application over `state` on a random loopback port.
pub async fn serve(
    state: aftersales::state::AppState,
    db_options: PgConnectOptions,
    admin_options: PgConnectOptions,
) -> TestApp {
    let pool = state.pool.clone();
    let clock = state.clock.clone();
    let app = aftersales::router::router(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("server runs");
    });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        address,
        clock,
        pool,
        db_options,
        admin_options,
        client,
        state,
    }
}

/// A response read as status and JSON (Null when the body is not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    /// The error code of a JSON error body.
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// The error message of a JSON error body.
    pub fn error_message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
}

impl TestApp {
    /// Now, by the desk's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The text of `/metrics`, scraped from loopback.
    pub async fn metrics(&self) -> String {
        let response = self.client.get(self.url("/metrics")).send().await.expect("scrape");
        assert_eq!(response.status(), StatusCode::OK, "/metrics");
        response.text().await.expect("metrics text")
    }

    pub async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status();
        let text = response.text().await.expect("body");
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        Self::answer(
            self.client
                .get(self.url(path))
                .bearer_auth(token)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        Self::answer(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Answer {
        Self::answer(
            self.client
                .put(self.url(path))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Answer {
        Self::answer(
            self.client
                .patch(self.url(path))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// Sends raw bytes as JSON (for malformed-input tests).
    pub async fn post_raw(&self, path: &str, token: &str, body: &'static str) -> Answer {
        Self::answer(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// Creates a shop straight in the database.
    pub async fn shop(&self, code: &str) -> ShopId {
        let shop = aftersales::shops::create(
            &self.pool,
            &serde_json::from_value(json!({ "code": code, "name": format!("{code} 店") })).expect("new shop"),
        )
        .await
        .expect("insert shop")
        .expect("shop code is free");
        shop.id
    }

    /// Creates a user with a password of `password-<login>` and returns their id and a token.
    pub async fn user(&self, login: &str, role: Role, shops: &[ShopId]) -> (UserId, String) {
        let user = aftersales::users::create(
            &self.pool,
            &aftersales::users::NewUser {
                login: login.to_string(),
                password: format!("password-{login}"),
                role,
                shops: shops.to_vec(),
                display_name: None,
            },
        )
        .await
        .expect("create user");
        let (token, _) =
            aftersales::auth::tokens::issue(&self.pool, user.id, aftersales::auth::tokens::TokenKind::Api, None)
                .await
                .expect("token");
        (user.id, token)
    }

    /// Puts an order with one line through the API. `signed_at` is RFC 3339 or null.
    pub async fn order(&self, token: &str, shop: ShopId, order_no: &str, signed_at: Value, exclusion: &str) -> Answer {
        self.put(
            &format!("/api/v1/shops/{shop}/orders/{order_no}"),
            token,
            json!({
                "buyer": "tb_buyer01",
                "buyer_phone": "13812341234",
                "paid_at": "2025-03-01T02:00:00Z",
                "shipped_at": "2025-03-02T02:00:00Z",
                "signed_at": signed_at,
                "lines": [{ "sku": "SKU-1", "title": "纯棉T恤 白色 L", "category": "服装", "quantity": 2,
                            "unit_price_fen": 6400, "no_reason_exclusion": exclusion }]
            }),
        )
        .await
    }
}

/// A shop with an agent, a supervisor, and one signed-for order `O-1` (signed 2 days ago).
pub struct Desk {
    pub app: TestApp,
    pub shop: ShopId,
    pub agent: UserId,
    pub agent_token: String,
    pub supervisor: UserId,
    pub supervisor_token: String,
}

/// Starts the app with a ready shop.
pub async fn desk() -> Desk {
    desk_at(test_now()).await
}

/// [`desk`], its clock standing at `now` (O-1 signed two days before).
pub async fn desk_at(now: chrono::DateTime<chrono::Utc>) -> Desk {
    let app = spawn_app_at(now).await;
    let shop = app.shop("shop-a").await;
    let (agent, agent_token) = app.user("agent-a", Role::Agent, &[shop]).await;
    let (supervisor, supervisor_token) = app.user("super-a", Role::Supervisor, &[shop]).await;
    let signed = (app.now() - chrono::Duration::days(2)).to_rfc3339();
    let answer = app.order(&agent_token, shop, "O-1", json!(signed), "none").await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    Desk {
        app,
        shop,
        agent,
        agent_token,
        supervisor,
        supervisor_token,
    }
}

impl Desk {
    /// A browser-like client of this desk, signed in as `login` ([`browser`]).
    pub async fn browser(&self, login: &str) -> reqwest::Client {
        browser(&self.app, login).await
    }

    /// Opens a ticket on order O-1 as the agent.
    pub async fn open(&self, kind: &str, reason: &str) -> Value {
        let answer = self
            .app
            .post(
                &format!("/api/v1/shops/{}/tickets", self.shop),
                &self.agent_token,
                json!({ "kind": kind, "order_no": "O-1", "reason": reason, "description": "买家反馈", "refund_fen": 6400 }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.body
    }

    /// Gives ticket `id` to `assignee` (`null` for nobody) as the supervisor; the answer must be 200.
    pub async fn assign(&self, id: i64, assignee: Value) -> Value {
        let answer = self
            .app
            .post(
                &format!("/api/v1/tickets/{id}/assignment"),
                &self.supervisor_token,
                json!({ "assignee": assignee }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        answer.body
    }

    /// Moves a ticket; returns the answer.
    pub async fn transition(&self, id: i64, to: &str, version: i64, extra: Value) -> Answer {
        let mut body = json!({ "to": to, "version": version, "note": format!("→ {to}") });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        self.app
            .post(&format!("/api/v1/tickets/{id}/transitions"), &self.agent_token, body)
            .await
    }
}

/// The session token and CSRF token of a fresh browser session for `login` (password
/// `password-<login>`), signed in through the login form.
pub async fn sign_in(app: &TestApp, login: &str) -> (String, String) {
    sign_in_with(app, login, &format!("password-{login}")).await
}

/// [`sign_in`] with the password given.
pub async fn sign_in_with(app: &TestApp, login: &str, password: &str) -> (String, String) {
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = plain
        .post(app.url("/login"))
        .form(&[("login", login), ("password", password), ("next", "/")])
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "signing in as {login}");
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    let session = set_cookie
        .split(';')
        .next()
        .and_then(|c| c.split_once('='))
        .map(|(_, v)| v.to_string())
        .expect("cookie");
    let csrf = aftersales::web::csrf::token_for(&session);
    (session, csrf)
}

/// GETs a page with a browser client: its status and text.
pub async fn html(client: &reqwest::Client, url: String) -> (StatusCode, String) {
    let response = client.get(url).send().await.expect("get");
    (response.status(), response.text().await.expect("text"))
}

/// A browser-like client signed in as `login`: cookies kept (the session, the language),
/// redirects not followed, and the CSRF header sent on every request as htmx does.
pub async fn browser(app: &TestApp, login: &str) -> reqwest::Client {
    let (session, csrf) = sign_in(app, login).await;
    browser_with(app, &session, Some(&csrf))
}

/// A client with the session cookie, and the CSRF header if given.
pub fn browser_with(app: &TestApp, session: &str, csrf: Option<&str>) -> reqwest::Client {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let url: reqwest::Url = app.address.parse().expect("address");
    jar.add_cookie_str(
        &format!("{}={session}; Path=/", aftersales::auth::extract::SESSION_COOKIE),
        &url,
    );
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(csrf) = csrf {
        headers.insert("x-csrf-token", csrf.parse().expect("header value"));
    }
    reqwest::Client::builder()
        .cookie_provider(jar)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The `kind` of each event of a ticket's timeline, in order.
pub fn timeline_kinds(ticket: &Value) -> Vec<String> {
    ticket["timeline"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter_map(|e| e["kind"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

//! The test harness: one throw-away PostgreSQL cluster per test binary (or `DATABASE_URL`),
//! migrations applied once into a template database, and a fresh database per test cloned from
//! it. Each test gets the real application on a random loopback port.

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
    /// Connection options for a database on the server, by name.
    base: PgConnectOptions,
    /// Kept for the life of the process; the watchdog stops and removes it at exit.
    _cluster: Option<Cluster>,
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
            runtime.block_on(prepare_template(&base));
            Server {
                base,
                _cluster: cluster,
            }
        })
        .join()
        .expect("test database set-up")
    })
}

async fn prepare_template(base: &PgConnectOptions) {
    let mut admin = PgConnection::connect_with(base)
        .await
        .expect("connect to the test server");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .expect("drop old template");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {TEMPLATE}")))
        .execute(&mut admin)
        .await
        .expect("create template");
    let mut template = base
        .clone()
        .database(TEMPLATE)
        .connect()
        .await
        .expect("connect to template");
    aftersales::db::MIGRATOR
        .run(&mut template)
        .await
        .expect("migrations apply");
    template.close().await.expect("close template");
    admin.close().await.expect("close admin");
}

/// A fresh directory under the system temp dir (short: socket paths are limited).
pub fn temp_dir(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("as-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A fresh database with the schema, for one test.
pub async fn fresh_pool() -> (PgPool, PgConnectOptions) {
    let server = server();
    let name = format!("t{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    let mut admin = PgConnection::connect_with(&server.base)
        .await
        .expect("connect to the test server");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} TEMPLATE {TEMPLATE}"
    )))
    .execute(&mut admin)
    .await
    .expect("create test database");
    admin.close().await.expect("close admin");
    let options = server.base.clone().database(&name);
    let pool = aftersales::db::pool(options.clone(), 8)
        .await
        .expect("pool for the test database");
    (pool, options)
}

/// The application, running for one test.
pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
    /// Where the test's database is, for opening a second pool (a second server).
    pub db_options: PgConnectOptions,
    pub client: reqwest::Client,
    /// The application's state (its metrics, for counting a sweep the test runs).
    pub state: aftersales::app::AppState,
}

/// Starts the application on a random port against a fresh database.
pub async fn spawn_app() -> TestApp {
    let (pool, db_options) = fresh_pool().await;
    let state = aftersales::app::AppState::new(pool.clone());
    let app = aftersales::app::router(state.clone());
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
        pool,
        db_options,
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
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The text of `/metrics`, scraped from loopback.
    pub async fn metrics(&self) -> String {
        let response = self.client.get(self.url("/metrics")).send().await.expect("scrape");
        assert_eq!(response.status(), StatusCode::OK, "/metrics");
        response.text().await.expect("metrics text")
    }

    async fn answer(response: reqwest::Response) -> Answer {
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
    let app = spawn_app().await;
    let shop = app.shop("shop-a").await;
    let (agent, agent_token) = app.user("agent-a", Role::Agent, &[shop]).await;
    let (supervisor, supervisor_token) = app.user("super-a", Role::Supervisor, &[shop]).await;
    let signed = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
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
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = plain
        .post(app.url("/login"))
        .form(&[
            ("login", login),
            ("password", &format!("password-{login}")),
            ("next", "/"),
        ])
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
    jar.add_cookie_str(&format!("{}={session}; Path=/", aftersales::auth::SESSION_COOKIE), &url);
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

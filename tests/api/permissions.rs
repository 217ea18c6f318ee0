//! The permission matrix, route by route: every route of the desk called by an agent, a
//! supervisor, an owner and an admin of shop A, and by an agent of shop B — each answer checked
//! against the expected status. Another shop's things are 404, never 403.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, browser, spawn_app};
use aftersales::auth::Role;

const ROLES: [&str; 5] = ["agent", "supervisor", "owner", "admin", "foreign"];

struct World {
    app: TestApp,
    shop: i64,
    tokens: Vec<String>,
    browsers: Vec<reqwest::Client>,
    admin: String,
    supervisor_id: i64,
}

async fn world() -> World {
    let app = spawn_app().await;
    let shop = app.shop("shop-a").await;
    let other = app.shop("shop-b").await;
    let mut tokens = Vec::new();
    let mut supervisor_id = 0;
    for (login, role, shops) in [
        ("m-agent", Role::Agent, vec![shop]),
        ("m-supervisor", Role::Supervisor, vec![shop]),
        ("m-owner", Role::Owner, vec![shop]),
        ("m-admin", Role::Admin, vec![]),
        ("m-foreign", Role::Agent, vec![other]),
    ] {
        let (id, token) = app.user(login, role, &shops).await;
        if role == Role::Supervisor {
            supervisor_id = id.0;
        }
        tokens.push(token);
    }
    let mut browsers = Vec::new();
    for login in ["m-agent", "m-supervisor", "m-owner", "m-admin", "m-foreign"] {
        browsers.push(browser(&app, login).await);
    }
    let admin = tokens[3].clone();
    let signed = (app.now() - chrono::Duration::days(2)).to_rfc3339();
    let order = app.order(&admin, shop, "O-1", json!(signed), "none").await;
    assert_eq!(order.status, StatusCode::CREATED);
    World {
        app,
        shop: shop.0,
        tokens,
        browsers,
        admin,
        supervisor_id,
    }
}

impl World {
    /// A fresh ticket for one call, so that every role meets the same state.
    async fn ticket(&self) -> i64 {
        let answer = self
            .app
            .post(
                &format!("/api/v1/shops/{}/tickets", self.shop),
                &self.admin,
                json!({ "kind": "refund", "order_no": "O-1", "reason": "quality" }),
            )
            .await;
        answer.body["id"].as_i64().expect("ticket id")
    }
}

/// What a route needs from the world.
enum Needs {
    Nothing,
    Ticket,
}

struct Case {
    method: Method,
    path: &'static str,
    body: Value,
    needs: Needs,
    /// Expected status per role, in the order of [`ROLES`].
    expect: [u16; 5],
    /// Called as a browser (session cookie + CSRF) instead of with a bearer token.
    page: bool,
}

fn api(method: Method, path: &'static str, body: Value, needs: Needs, expect: [u16; 5]) -> Case {
    Case {
        method,
        path,
        body,
        needs,
        expect,
        page: false,
    }
}

fn page(method: Method, path: &'static str, body: Value, needs: Needs, expect: [u16; 5]) -> Case {
    Case {
        method,
        path,
        body,
        needs,
        expect,
        page: true,
    }
}

fn cases() -> Vec<Case> {
    use Method as M;
    use Needs::*;
    let none = json!(null);
    vec![
        api(M::GET, "/api/v1/me", none.clone(), Nothing, [200, 200, 200, 200, 200]),
        api(
            M::GET,
            "/api/v1/auth/tokens",
            none.clone(),
            Nothing,
            [200, 200, 200, 200, 200],
        ),
        api(
            M::GET,
            "/api/v1/shops",
            none.clone(),
            Nothing,
            [200, 200, 200, 200, 200],
        ),
        api(
            M::POST,
            "/api/v1/shops",
            json!({ "code": "new-{role}", "name": "新店" }),
            Nothing,
            [403, 403, 403, 201, 403],
        ),
        api(
            M::PUT,
            "/api/v1/shops/{shop}/settings",
            json!({ "follow_up_hours": 24 }),
            Nothing,
            [403, 403, 403, 200, 404],
        ),
        api(
            M::POST,
            "/api/v1/users",
            json!({ "login": "made-by-{role}", "password": "long-enough", "role": "agent" }),
            Nothing,
            [403, 403, 403, 201, 403],
        ),
        api(
            M::PUT,
            "/api/v1/shops/{shop}/orders/N-{role}",
            json!({ "buyer": "b", "lines": [{ "sku": "S", "title": "t", "quantity": 1, "unit_price_fen": 1 }] }),
            Nothing,
            [201, 201, 403, 201, 404],
        ),
        api(
            M::GET,
            "/api/v1/shops/{shop}/orders/O-1",
            none.clone(),
            Nothing,
            [200, 200, 200, 200, 404],
        ),
        api(
            M::POST,
            "/api/v1/shops/{shop}/tickets",
            json!({ "kind": "complaint", "order_no": "O-1", "reason": "other" }),
            Nothing,
            [201, 201, 403, 201, 404],
        ),
        api(
            M::GET,
            "/api/v1/shops/{shop}/tickets",
            none.clone(),
            Nothing,
            [200, 200, 200, 200, 404],
        ),
        api(
            M::GET,
            "/api/v1/tickets/{ticket}",
            none.clone(),
            Ticket,
            [200, 200, 200, 200, 404],
        ),
        api(
            M::POST,
            "/api/v1/tickets/{ticket}/follow-ups",
            json!({ "channel": "phone", "summary": "s" }),
            Ticket,
            [201, 201, 403, 201, 404],
        ),
        api(
            M::POST,
            "/api/v1/tickets/{ticket}/notes",
            json!({ "text": "n" }),
            Ticket,
            [201, 201, 403, 201, 404],
        ),
        api(
            M::POST,
            "/api/v1/tickets/{ticket}/transitions",
            json!({ "to": "approved", "version": 1 }),
            Ticket,
            [200, 200, 403, 200, 404],
        ),
        api(
            M::POST,
            "/api/v1/tickets/{ticket}/assignment",
            json!({ "assignee": "{supervisor}" }),
            Ticket,
            [403, 200, 403, 200, 404],
        ),
        api(
            M::GET,
            "/api/v1/shops/{shop}/follow-ups",
            none.clone(),
            Nothing,
            [403, 200, 200, 200, 404],
        ),
        api(
            M::GET,
            "/api/v1/shops/{shop}/reports/returns",
            none.clone(),
            Nothing,
            [403, 200, 200, 200, 404],
        ),
        api(
            M::GET,
            "/api/v1/calendar/deadline?from=2025-03-10T10:00:00%2B08:00&working_days=4",
            none.clone(),
            Nothing,
            [200, 200, 200, 200, 200],
        ),
        api(
            M::GET,
            "/api/v1/calendar/years",
            none.clone(),
            Nothing,
            [200, 200, 200, 200, 200],
        ),
        api(
            M::GET,
            "/api/v1/calendar/years/2025",
            none.clone(),
            Nothing,
            [200, 200, 200, 200, 200],
        ),
        api(
            M::PUT,
            "/api/v1/calendar/years/2027",
            json!({ "source": "test", "days": [{ "date": "2027-01-01", "is_off_day": true, "name": "元旦" }] }),
            Nothing,
            [403, 403, 403, 200, 403],
        ),
        page(M::GET, "/?view=mine", none.clone(), Nothing, [200, 200, 200, 200, 200]),
        // `/` itself leads supervisors, owners and admins on to where their work is.
        page(M::GET, "/", none.clone(), Nothing, [200, 303, 303, 303, 200]),
        page(M::GET, "/tickets/new", none.clone(), Nothing, [200, 200, 200, 200, 200]),
        page(
            M::GET,
            "/tickets/{ticket}",
            none.clone(),
            Ticket,
            [200, 200, 200, 200, 404],
        ),
        page(
            M::POST,
            "/tickets/{ticket}/notes",
            json!({ "text": "n", "version": "1" }),
            Ticket,
            [303, 303, 403, 303, 404],
        ),
        page(
            M::POST,
            "/tickets/{ticket}/follow-ups",
            json!({ "channel": "chat", "summary": "s" }),
            Ticket,
            [303, 303, 403, 303, 404],
        ),
        page(
            M::POST,
            "/tickets/{ticket}/transitions",
            json!({ "to": "approved", "version": "1" }),
            Ticket,
            [303, 303, 403, 303, 404],
        ),
        page(
            M::POST,
            "/tickets/{ticket}/assignment",
            json!({ "assignee": "{supervisor}" }),
            Ticket,
            [403, 303, 403, 303, 404],
        ),
        page(M::GET, "/follow-ups", none.clone(), Nothing, [403, 200, 200, 200, 403]),
        page(
            M::POST,
            "/follow-ups/reassign",
            json!({ "ticket": "{ticket}", "assignee": "{supervisor}" }),
            Ticket,
            [403, 303, 403, 303, 403],
        ),
        page(
            M::POST,
            "/follow-ups/escalate",
            json!({ "ticket": "{ticket}" }),
            Ticket,
            [403, 303, 403, 303, 403],
        ),
        page(M::GET, "/calendar", none.clone(), Nothing, [200, 200, 200, 200, 200]),
        page(M::GET, "/admin", none.clone(), Nothing, [403, 403, 403, 200, 403]),
        page(M::GET, "/reports", none.clone(), Nothing, [403, 200, 200, 200, 403]),
    ]
}

fn fill(text: &str, world: &World, role: &str, ticket: Option<i64>) -> String {
    text.replace("{shop}", &world.shop.to_string())
        .replace("{role}", role)
        .replace("{ticket}", &ticket.map(|t| t.to_string()).unwrap_or_default())
        .replace("{supervisor}", &world.supervisor_id.to_string())
}

fn fill_json(value: &Value, world: &World, role: &str, ticket: Option<i64>) -> Value {
    serde_json::from_str(&fill(&value.to_string(), world, role, ticket)).expect("json")
}

#[tokio::test]
async fn every_route_answers_each_role_as_the_matrix_says() {
    let world = world().await;
    let mut wrong = Vec::new();
    for case in cases() {
        for (index, role) in ROLES.iter().enumerate() {
            let ticket = match case.needs {
                Needs::Ticket => Some(world.ticket().await),
                Needs::Nothing => None,
            };
            let url = world.app.url(&fill(case.path, &world, role, ticket));
            let response = if case.page {
                let client = &world.browsers[index];
                let request = client.request(case.method.clone(), &url);
                let request = match case.body.as_object() {
                    Some(fields) => {
                        let form: Vec<(String, String)> = fields
                            .iter()
                            .map(|(k, v)| (k.clone(), fill(v.as_str().unwrap_or(""), &world, role, ticket)))
                            .collect();
                        request.form(&form)
                    }
                    None => request,
                };
                request.send().await.expect("page request")
            } else {
                let request = world
                    .app
                    .client
                    .request(case.method.clone(), &url)
                    .bearer_auth(&world.tokens[index]);
                let request = if case.body.is_null() {
                    request
                } else {
                    let mut body = fill_json(&case.body, &world, role, ticket);
                    if case.path.ends_with("/assignment") {
                        // The id is a number in JSON.
                        body = json!({ "assignee": world.supervisor_id });
                    }
                    request.json(&body)
                };
                request.send().await.expect("api request")
            };
            let got = response.status().as_u16();
            if got != case.expect[index] {
                wrong.push(format!(
                    "{} {} as {role}: expected {}, got {got}",
                    case.method, case.path, case.expect[index]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "answers that break the matrix:\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn without_signing_in_the_api_answers_401_and_pages_go_to_the_login() {
    let world = world().await;
    let ticket = world.ticket().await;
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for case in cases() {
        let url = world.app.url(&fill(case.path, &world, "anon", Some(ticket)));
        let request = anonymous.request(case.method.clone(), &url);
        let request = if case.body.is_null() {
            request
        } else {
            request.json(&case.body)
        };
        let status = request.send().await.expect("request").status();
        if case.page {
            assert_eq!(status, StatusCode::SEE_OTHER, "{} {}", case.method, case.path);
        } else {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{} {}", case.method, case.path);
        }
    }
}

//! The OpenAPI document against the route table, both ways (every documented operation is
//! answered; every API route answered is documented), and against its committed snapshot
//! `tests/snapshots/openapi.json` (`UPDATE_SNAPSHOTS=1 cargo test --test api openapi` rewrites
//! it after an intended change of the API).

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::support::{TestApp, spawn_app};

/// The committed snapshot of the served document.
const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/openapi.json");

/// The methods tried on every API path (HEAD follows GET; OPTIONS and TRACE are not routed).
const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// The routes under `/api/` that serve the document itself rather than being part of it.
const DOCUMENT_ROUTES: [&str; 2] = ["/api/v1/openapi.json", "/api/docs"];

/// The document as the server serves it.
async fn served_document(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("document");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("the document is JSON")
}

/// Every operation of the document, as (lower-case method, path).
fn documented(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().expect("paths");
    let mut operations = BTreeSet::new();
    for (path, item) in paths {
        let item = item.as_object().expect("path item");
        for method in item.keys().filter(|key| METHODS.contains(&key.as_str())) {
            operations.insert((method.clone(), path.clone()));
        }
    }
    operations
}

/// Every path under `/api/` registered in the application's route table, whichever router
/// registered it. axum lists no routes, but a router's `Debug` shows each registered path as a
/// quoted string; `every_api_route_is_in_the_document` checks that this finds every documented
/// path, so a change of that output fails the test instead of making it pass on nothing.
fn routed_api_paths(app: &TestApp) -> BTreeSet<String> {
    let table = format!("{:?}", aftersales::router::router(app.state.clone()));
    table
        .match_indices("\"/api/")
        .filter_map(|(at, _)| {
            let rest = &table[at + 1..];
            rest.find('"').map(|end| rest[..end].to_string())
        })
        .filter(|path| !DOCUMENT_ROUTES.contains(&path.as_str()))
        .collect()
}

/// `path` with each parameter filled in (a year where a year is wanted, else 1).
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{year}" => "2026",
            s if s.starts_with('{') => "1",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The status of `method path` sent without credentials or body.
async fn status_of(app: &TestApp, method: &str, path: &str) -> StatusCode {
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
    app.client
        .request(method, app.url(&concrete(path)))
        .send()
        .await
        .expect("request")
        .status()
}

/// Whether a route answered: the fallback says 404 (`endpoint` not found) and a path without
/// this method 405; without credentials no handler gets as far as looking anything up.
fn answered(status: StatusCode) -> bool {
    status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED
}

#[tokio::test]
async fn every_documented_operation_is_answered_by_a_route() {
    let app = spawn_app().await;
    let document = served_document(&app).await;
    let operations = documented(&document);
    assert!(operations.len() > 30, "only {} operations documented", operations.len());
    for (method, path) in &operations {
        let status = status_of(&app, method, path).await;
        assert!(answered(status), "{method} {path} is documented but answers {status}");
        // Signing in needs no token (an empty body is refused); everything else asks for one.
        let expected = if path == "/api/v1/auth/tokens" && method == "post" {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(status, expected, "{method} {path} without credentials");
    }
}

#[tokio::test]
async fn every_api_route_is_in_the_document() {
    let app = spawn_app().await;
    let operations = documented(&served_document(&app).await);
    let routed = routed_api_paths(&app);
    for (_, path) in &operations {
        assert!(routed.contains(path), "{path} not found in the route table: {routed:?}");
    }
    let mut answered_operations = BTreeSet::new();
    for path in &routed {
        for method in METHODS {
            let status = status_of(&app, method, path).await;
            if answered(status) {
                answered_operations.insert((method.to_string(), path.clone()));
            }
        }
    }
    let undocumented: Vec<_> = answered_operations.difference(&operations).collect();
    assert!(
        undocumented.is_empty(),
        "routes answered but not in the OpenAPI document (register them with `routes!` and a \
         `#[utoipa::path]`): {undocumented:?}"
    );
    assert_eq!(answered_operations, operations);
}

#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let app = spawn_app().await;
    let document = served_document(&app).await;
    // serde_json's maps are sorted by key: the text is stable whatever order the server wrote.
    let text = serde_json::to_string_pretty(&document).expect("pretty") + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(std::path::Path::new(SNAPSHOT).parent().expect("folder")).expect("snapshot folder");
        std::fs::write(SNAPSHOT, &text).expect("snapshot written");
        return;
    }
    let committed = std::fs::read_to_string(SNAPSHOT).expect("tests/snapshots/openapi.json");
    if committed != text {
        let line = committed
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(text.lines().count()));
        let near = |t: &str| {
            t.lines()
                .skip(line.saturating_sub(3))
                .take(7)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "the OpenAPI document differs from tests/snapshots/openapi.json from line {}:\n\
             --- committed\n{}\n--- served\n{}\n\
             If the API change is intended, run `UPDATE_SNAPSHOTS=1 cargo test --test api openapi` \
             and commit the file.",
            line + 1,
            near(&committed),
            near(&text)
        );
    }
}

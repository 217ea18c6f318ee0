//! The OpenAPI document (`/api/v1/openapi.json`), built from the handlers' annotations, and a
//! small page that lists it for people (`/api/docs`).

use std::sync::Arc;

use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::state::AppState;

/// The document's frame: title, the bearer scheme and the default security, the tags. Its
/// operations are not listed here: [`document`] adds the ones the route table collected, each
/// from its handler's `#[utoipa::path]`.
#[derive(OpenApi)]
#[openapi(
    info(title = "Aftersales Desk API", description = "售后工作台: after-sales tickets for marketplace shops."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "auth"), (name = "shops"), (name = "users"), (name = "orders"), (name = "tickets"), (name = "follow-ups"), (name = "calendar"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The answers any operation can give, documented on every one: 400 (unreadable request),
/// 401 (not signed in; not for signing in itself), 403 (role or CSRF), 503 (database away).
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let error = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.get, &mut item.post, &mut item.put, &mut item.delete]
                .into_iter()
                .flatten()
            {
                let responses = &mut operation.responses.responses;
                responses
                    .entry("400".into())
                    .or_insert_with(|| error("the request could not be read"));
                responses.entry("401".into()).or_insert_with(|| error("not signed in"));
                responses
                    .entry("403".into())
                    .or_insert_with(|| error("the role may not do this"));
                responses
                    .entry("503".into())
                    .or_insert_with(|| error("the database is unreachable; retry later"));
            }
        }
    }
}

/// The whole document: the frame ([`ApiDoc`]) with the operations (and their schemas) that the
/// route table collected from the handlers, each given the answers common to all.
pub fn document(operations: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document.merge(operations);
    CommonResponses.modify(&mut document);
    document
}

/// Routes of this module, serving `document` (built once, when the route table is).
pub fn router(document: utoipa::openapi::OpenApi) -> Router<AppState> {
    let page = Html(docs_page(&document));
    let document = Arc::new(document);
    Router::new()
        .route(
            "/api/v1/openapi.json",
            get(move || std::future::ready(Json(document.as_ref().clone()))),
        )
        .route("/api/docs", get(move || std::future::ready(page.clone())))
}

/// A plain listing of the operations, readable without JavaScript.
fn docs_page(doc: &utoipa::openapi::OpenApi) -> String {
    let mut rows = String::new();
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            if let Some(op) = op {
                let summary = op
                    .summary
                    .clone()
                    .or_else(|| op.description.clone())
                    .unwrap_or_default();
                rows.push_str(&format!(
                    "<tr><td class=\"mono\">{method}</td><td class=\"mono\">{}</td><td>{}</td></tr>",
                    escape(path),
                    escape(&summary)
                ));
            }
        }
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Aftersales Desk API</title>\
         <link rel=\"stylesheet\" href=\"{css}\"></head><body><main class=\"container\">\
         <div class=\"page-head\"><h1>Aftersales Desk API</h1><div class=\"actions\"><a class=\"btn\" href=\"/api/v1/openapi.json\">openapi.json</a></div></div>\
         <div class=\"card\"><table class=\"data\"><thead><tr><th>Method</th><th>Path</th><th>What it does</th></tr></thead><tbody>{rows}</tbody></table></div>\
         </main></body></html>",
        css = crate::assets::url("app.css")
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

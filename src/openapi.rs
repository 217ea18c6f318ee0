//! The OpenAPI document (`/api/v1/openapi.json`), built from the handlers' annotations, and a
//! small page that lists it for people (`/api/docs`).

use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::state::AppState;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Aftersales Desk API", description = "售后工作台: after-sales tickets for marketplace shops."),
    paths(
        crate::auth::api::create_token,
        crate::auth::api::revoke_current_token,
        crate::auth::api::me,
        crate::auth::api::list_tokens,
        crate::auth::api::revoke_token,
        crate::auth::api::change_password,
        crate::shops::api::create_shop,
        crate::shops::api::list_shops,
        crate::shops::api::update_shop_settings,
        crate::users::api::create_user,
        crate::orders::api::upsert_order,
        crate::orders::api::get_order,
        crate::tickets::api::create_ticket,
        crate::tickets::api::list_tickets,
        crate::tickets::api::get_ticket,
        crate::tickets::api::record_follow_up,
        crate::tickets::api::add_note,
        crate::tickets::api::move_ticket,
        crate::tickets::api::assign_ticket,
        crate::follow_ups::api::follow_up_queue,
        crate::reports::api::returns_report,
        crate::replies::api::list_replies, crate::replies::api::create_reply, crate::replies::api::update_reply, crate::replies::api::archive_reply, crate::replies::api::update_reply_settings, crate::replies::api::ticket_replies,
        crate::buyers::api::buyer_file,
        crate::visits::api::record_visit, crate::visits::api::list_ticket_visits, crate::visits::api::list_waiting_visits, crate::visits::api::satisfaction_report,
        crate::evidence::api::attach_evidence, crate::evidence::api::list_evidence,
        crate::calendar::api::compute_deadline,
        crate::calendar::api::list_years,
        crate::calendar::api::get_year,
        crate::calendar::api::replace_year,
        crate::calendar::api::delete_year,
    ),
    modifiers(&BearerAuth, &CommonResponses),
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

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(document))
        .route("/api/docs", get(docs_page))
}

async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// A plain listing of the operations, readable without JavaScript.
async fn docs_page() -> Html<String> {
    let doc = ApiDoc::openapi();
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
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Aftersales Desk API</title>\
         <link rel=\"stylesheet\" href=\"{css}\"></head><body><main class=\"container\">\
         <div class=\"page-head\"><h1>Aftersales Desk API</h1><div class=\"actions\"><a class=\"btn\" href=\"/api/v1/openapi.json\">openapi.json</a></div></div>\
         <div class=\"card\"><table class=\"data\"><thead><tr><th>Method</th><th>Path</th><th>What it does</th></tr></thead><tbody>{rows}</tbody></table></div>\
         </main></body></html>",
        css = crate::assets::url("app.css")
    ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

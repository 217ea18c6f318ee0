//! `/login` and `/logout`: a session cookie (HttpOnly, SameSite=Lax) holding a random token.

use crate::api::ApiForm;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use crate::auth::extract::{SESSION_COOKIE, client_address, request_token};
use crate::auth::{AuthError, tokens};
use crate::state::AppState;
use crate::web::views::Layout;
use crate::web::{PageResult, render};
use crate::web::{safe_next, translator};

/// The sign-in pages' routes.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/login", get(show_login).post(sign_in))
        .route("/logout", post(sign_out))
}

/// The login page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub next: String,
    pub login: String,
    pub error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    /// Set when a form was posted after the session had expired.
    expired: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    next: Option<String>,
}

/// Shows the login form (saying the session expired when a form post was sent here).
pub async fn show_login(headers: HeaderMap, Query(query): Query<LoginQuery>) -> PageResult {
    let t = translator(&headers);
    let page = LoginPage {
        layout: Layout::anonymous(t),
        next: safe_next(query.next.as_deref()),
        login: String::new(),
        error: query
            .expired
            .is_some()
            .then(|| t.t("drafts.session_expired").to_string()),
    };
    Ok(render(&page)?.into_response())
}

/// Checks the credentials, starts a session and goes on to where the user wanted to be.
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    ApiForm(form): ApiForm<LoginForm>,
) -> PageResult {
    let t = translator(&headers);
    let next = safe_next(form.next.as_deref());
    let public_origin = state.transport.public_url.as_ref().map(|url| url.origin());
    if !crate::web::csrf::same_origin(&headers, public_origin) {
        tracing::warn!("sign-in posted from another site refused");
        let page = LoginPage {
            layout: Layout::anonymous(t),
            next,
            login: String::new(),
            error: Some(t.t("login.cross_site").to_string()),
        };
        return Ok((StatusCode::FORBIDDEN, render(&page)?).into_response());
    }
    let address = client_address(&extensions);
    let now = state.now();
    let signed_in = match crate::auth::sign_in(
        &state.pool,
        &state.sign_in_policy,
        form.login.trim(),
        &form.password,
        &address,
        now,
    )
    .await
    {
        Ok(user) => user,
        Err(AuthError::RateLimited { retry_after }) => {
            // As the API says it (`ApiError::too_many`): whole seconds, at least one.
            let seconds = retry_after.as_secs().max(1);
            let page = LoginPage {
                layout: Layout::anonymous(t),
                next,
                login: form.login,
                error: Some(t.f("login.rate_limited", &[("seconds", &seconds)])),
            };
            let mut response = (StatusCode::TOO_MANY_REQUESTS, render(&page)?).into_response();
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return Ok(response);
        }
        Err(error) => return Err(error.into()),
    };
    let Some(user) = signed_in else {
        let page = LoginPage {
            layout: Layout::anonymous(t),
            next,
            login: form.login,
            error: Some(t.t("login.failed").to_string()),
        };
        return Ok((StatusCode::UNAUTHORIZED, render(&page)?).into_response());
    };
    let (token, _) = tokens::issue(&state.pool, user, tokens::TokenKind::Session, None).await?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        tokens::SESSION_LIFETIME.num_seconds()
    );
    let mut response = Redirect::to(&next).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// Ends the session.
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    if let Some(token) = request_token(&headers) {
        tokens::revoke(&state.pool, &token).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    let expired = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&expired) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

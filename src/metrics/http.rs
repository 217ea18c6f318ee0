//! The HTTP side of the figures: the request layer ([`track`]) that counts and times every
//! response, and `GET /metrics` ([`scrape`]), which shows them to those [`Access`] lets in.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::{Access, Metrics};
use crate::state::AppState;

/// The route label of a request that matched no route (its raw path is not used: unbounded).
const UNMATCHED: &str = "unmatched";

impl Access {
    /// Whether a request with these headers, from `peer`, may scrape.
    fn allows(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> bool {
        match self {
            Access::Token(expected) => headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                // Comparing digests: the time taken says nothing about the token.
                .is_some_and(|given| <[u8; 32]>::from(Sha256::digest(given.trim().as_bytes())) == *expected),
            Access::LoopbackOnly => {
                let forwarded = ["x-forwarded-for", "x-real-ip", "forwarded"]
                    .iter()
                    .any(|name| headers.contains_key(*name));
                !forwarded && peer.is_some_and(|peer| peer.ip().is_loopback())
            }
        }
    }
}

/// A request's method as a label: the usual ones by name, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The request layer: counts every response by method, matched route and status, and times it.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.record_request(method, route, response.status().as_u16(), started.elapsed());
    response
}

/// `GET /metrics`: the figures in Prometheus' text format, for those [`Access`] lets in.
pub async fn scrape(State(state): State<AppState>, request: Request) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| *peer);
    if !state.metrics.access.allows(request.headers(), peer) {
        tracing::warn!(?peer, "metrics scrape refused");
        return StatusCode::FORBIDDEN.into_response();
    }
    state.metrics.set_pool(&state.pool);
    state.metrics.set_live_streams(state.live.streams());
    let ready = tokio::time::timeout(Duration::from_secs(2), crate::health::readiness(&state))
        .await
        .is_ok_and(|ready| ready.is_ok());
    state.metrics.ready.set(i64::from(ready));
    match state.metrics.encode() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(prometheus_client::encoding::prometheus_text::CONTENT_TYPE),
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(address: &str) -> Option<SocketAddr> {
        Some(address.parse().expect("socket address"))
    }

    #[test]
    fn without_a_token_only_direct_loopback_clients_may_scrape() {
        let access = Access::from_setting(Some("  "));
        let mut headers = HeaderMap::new();
        assert!(access.allows(&headers, peer("127.0.0.1:5000")));
        assert!(access.allows(&headers, peer("[::1]:5000")));
        assert!(!access.allows(&headers, peer("10.0.0.7:5000")));
        assert!(!access.allows(&headers, None));
        headers.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9"));
        assert!(
            !access.allows(&headers, peer("127.0.0.1:5000")),
            "came through the proxy"
        );
    }

    #[test]
    fn with_a_token_only_its_bearer_may_scrape_from_anywhere() {
        let access = Access::from_setting(Some("s3cret-scrape"));
        let mut headers = HeaderMap::new();
        assert!(!access.allows(&headers, peer("127.0.0.1:5000")));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer wrong"));
        assert!(!access.allows(&headers, peer("10.0.0.7:5000")));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer s3cret-scrape"));
        assert!(access.allows(&headers, peer("10.0.0.7:5000")));
    }
}

//! Whether a request reached the desk over TLS, and what follows from it: the cookies are marked
//! `Secure` and the response carries `Strict-Transport-Security`.
//!
//! The desk itself speaks plain HTTP; TLS ends at a reverse proxy. It counts as served over TLS
//! when its public URL is https (`--public-url`), or when a trusted proxy (`--trusted-proxy`,
//! by the TCP peer's address) says `X-Forwarded-Proto: https`. The header from anyone else is
//! ignored: a client could send it to itself.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// How long browsers are told to insist on https (one year).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// The address people use to reach the desk, e.g. `https://desk.example.com`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    /// Scheme, host and port, without a trailing slash: what browsers send as `Origin`.
    origin: String,
    https: bool,
}

impl PublicUrl {
    /// Parses an `http://` or `https://` URL with a host (a path is allowed and ignored).
    pub fn parse(text: &str) -> Result<PublicUrl, String> {
        let text = text.trim();
        let (https, rest) = if let Some(rest) = text.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = text.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(format!(
                "`{text}` is not a URL the desk can be reached at; give it with its scheme, e.g. https://desk.example.com"
            ));
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(format!(
                "`{text}` has no host; give it as e.g. https://desk.example.com"
            ));
        }
        let scheme = if https { "https" } else { "http" };
        Ok(PublicUrl {
            origin: format!("{scheme}://{}", host.to_ascii_lowercase()),
            https,
        })
    }

    /// Scheme, host and port, as browsers send it in `Origin`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Whether people reach the desk over https.
    pub fn is_https(&self) -> bool {
        self.https
    }
}

/// The transport settings of a server.
#[derive(Clone, Debug, Default)]
pub struct Transport {
    /// Where people reach the desk, if configured.
    pub public_url: Option<PublicUrl>,
    /// Reverse proxies whose `X-Forwarded-Proto` is believed.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Transport {
    /// Whether a request from `peer` with `headers` was served over TLS.
    pub fn is_tls(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> bool {
        if self.public_url.as_ref().is_some_and(PublicUrl::is_https) {
            return true;
        }
        let trusted = peer.is_some_and(|peer| self.trusted_proxies.contains(&peer));
        trusted
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
    }
}

/// Marks the cookies `Secure` and adds `Strict-Transport-Security` on responses served over TLS.
pub async fn secure_when_tls(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let tls = state.transport.is_tls(request.headers(), peer);
    let mut response = next.run(request).await;
    if !tls {
        return response;
    }
    let headers = response.headers_mut();
    let cookies: Vec<HeaderValue> = headers.get_all(header::SET_COOKIE).iter().cloned().collect();
    if !cookies.is_empty() {
        headers.remove(header::SET_COOKIE);
        for cookie in cookies {
            let secured = cookie
                .to_str()
                .ok()
                .filter(|text| !text.split(';').any(|part| part.trim().eq_ignore_ascii_case("secure")))
                .and_then(|text| HeaderValue::from_str(&format!("{text}; Secure")).ok())
                .unwrap_or(cookie);
            headers.append(header::SET_COOKIE, secured);
        }
    }
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_parse_to_their_origin() {
        let url = PublicUrl::parse("https://Desk.Example.com:8443/desk/").expect("parses");
        assert_eq!(url.origin(), "https://desk.example.com:8443");
        assert!(url.is_https());
        assert!(!PublicUrl::parse("http://desk.example.com").expect("parses").is_https());
        assert!(PublicUrl::parse("desk.example.com").is_err());
        assert!(PublicUrl::parse("https://").is_err());
    }

    #[test]
    fn forwarded_proto_counts_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.5".parse().expect("ip");
        let other: IpAddr = "10.0.0.6".parse().expect("ip");
        let transport = Transport {
            public_url: None,
            trusted_proxies: vec![proxy],
        };
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(transport.is_tls(&headers, Some(proxy)));
        assert!(!transport.is_tls(&headers, Some(other)));
        assert!(!transport.is_tls(&HeaderMap::new(), Some(proxy)));
    }
}

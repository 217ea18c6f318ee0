//! The HTTP(S) client that posts deliveries: hyper over rustls with the ring provider and
//! Mozilla's roots compiled in (webpki-roots), HTTP/1.1, one pool per server. Why not reqwest's
//! TLS: see Cargo.toml. It answers a [`Reply`] the pure [`super::format::judge`] decides on.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::format::{Outgoing, Reply};

/// How long one try may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// How much of a receiver's answer is read (for the delivery log and a robot's `errcode`).
const BODY_LIMIT: usize = 4096;

/// Posts deliveries.
#[derive(Clone)]
pub struct Sender {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl Default for Sender {
    fn default() -> Self {
        Sender::new(TIMEOUT)
    }
}

impl Sender {
    /// A sender whose tries give up after `timeout`.
    pub fn new(timeout: Duration) -> Sender {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .expect("the ring provider supports the default TLS versions")
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Sender {
            client: Client::builder(TokioExecutor::new()).build(connector),
            timeout,
        }
    }

    /// Posts one request; what came back.
    pub async fn post(&self, out: &Outgoing) -> Reply {
        let mut request = axum::http::Request::post(out.url.as_str());
        for (name, value) in &out.headers {
            request = request.header(*name, value.as_str());
        }
        request = request.header("user-agent", "aftersales-desk-webhooks/1");
        let request = match request.body(Full::new(Bytes::from(out.body.clone()))) {
            Ok(request) => request,
            Err(error) => return Reply::Unreachable(format!("bad request: {error}")),
        };
        let exchange = async {
            let response = self.client.request(request).await?;
            let status = response.status().as_u16();
            let mut body = Vec::new();
            let mut incoming = response.into_body();
            while let Some(frame) = incoming.frame().await {
                let Ok(frame) = frame else { break };
                if let Some(data) = frame.data_ref() {
                    body.extend_from_slice(data);
                    if body.len() >= BODY_LIMIT {
                        body.truncate(BODY_LIMIT);
                        break;
                    }
                }
            }
            Ok::<_, hyper_util::client::legacy::Error>((status, String::from_utf8_lossy(&body).into_owned()))
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Err(_) => Reply::TimedOut,
            Ok(Ok((status, body))) => Reply::Answered { status, body },
            Ok(Err(error)) => Reply::Unreachable(describe(&error)),
        }
    }
}

/// An error with its causes, for the log.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

//! What goes over the wire to a hook, as pure functions: the three formats (generic JSON signed
//! with HMAC-SHA256, the WeCom group robot's markdown, the DingTalk robot's markdown with its
//! 加签 signature in the URL), the message text of an event, and the retry policy. No I/O and no
//! clock: the time to sign with is a parameter.
//!
//! Generic hooks — what a receiver checks (also in the page's help and docs/ARCHITECTURE.md):
//! the body is the event's JSON; `X-Aftersales-Timestamp` is the Unix time in seconds;
//! `X-Aftersales-Signature` is `sha256=` and the lowercase hex of
//! HMAC-SHA256(key = the hook's secret, message = timestamp + "." + body), over the body's bytes
//! exactly as received. `Idempotency-Key` (every format) is the event's id, the same on every
//! retry of it.

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{KeyInit, Mac};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Event, HookFormat};
use crate::i18n::Tr;
use crate::money::Fen;
use crate::rules::workflow::{Status, TicketKind};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The header carrying the generic signature.
pub const SIGNATURE_HEADER: &str = "x-aftersales-signature";
/// The header carrying the Unix time (seconds) the generic signature was made at.
pub const TIMESTAMP_HEADER: &str = "x-aftersales-timestamp";
/// The header naming the event (`ticket_assigned`, …).
pub const EVENT_HEADER: &str = "x-aftersales-event";
/// The header with the event's id, the same on every retry: receivers drop repeats by it.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// How many times a delivery is tried before it is marked failed.
pub const MAX_ATTEMPTS: i32 = 6;

/// The facts of an event as the outbox keeps them (`webhook_deliveries.payload`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    pub event: String,
    pub at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketFacts>,
    /// Who made the change (absent: the desk itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The timeline event's data, as stored.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub data: Value,
    /// The deadline a reminder is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<DigestFacts>,
}

/// The ticket an event is about, as it stood then.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketFacts {
    pub id: i64,
    pub kind: String,
    pub status: String,
    #[serde(default)]
    pub order_no: Option<String>,
    #[serde(default)]
    pub buyer: Option<String>,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub refund_fen: Option<i64>,
}

/// A shop's daily digest.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DigestFacts {
    /// The shop's local day.
    pub day: chrono::NaiveDate,
    /// Overdue follow-ups per person (`None`: not assigned), most first.
    pub overdue: Vec<(Option<String>, i64)>,
    /// Refund amounts of open tickets whose platform clock runs out within 24 h or has run out.
    pub money_at_risk_fen: i64,
    /// How many tickets that amount is over.
    pub tickets_at_risk: i64,
}

impl DigestFacts {
    /// All overdue follow-ups.
    pub fn overdue_total(&self) -> i64 {
        self.overdue.iter().map(|(_, n)| n).sum()
    }
}

/// An HTTP request ready to send.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// The text of an event for people (a robot's message).
#[derive(Clone, Debug, PartialEq)]
pub struct MessageText {
    pub title: String,
    pub lines: Vec<String>,
    pub link: Option<(String, String)>,
}

/// The request for one delivery of `payload` to a hook.
#[allow(clippy::too_many_arguments)]
pub fn outgoing(
    format: HookFormat,
    url: &str,
    secret: &str,
    event_id: &str,
    shop: i64,
    payload: &Payload,
    text: &MessageText,
    at: DateTime<Utc>,
) -> Outgoing {
    match format {
        HookFormat::Generic => generic(url, secret, event_id, shop, payload, at.timestamp()),
        HookFormat::WeCom => wecom(url, event_id, text),
        HookFormat::DingTalk => dingtalk(url, secret, event_id, text, at.timestamp_millis()),
    }
}

/// The generic JSON body: the payload with the event's `id` and `shop`.
pub fn generic_body(event_id: &str, shop: i64, payload: &Payload) -> Vec<u8> {
    let mut body = serde_json::to_value(payload).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut body {
        fields.insert("id".into(), Value::from(event_id));
        fields.insert("shop".into(), Value::from(shop));
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The generic signature: lowercase hex of HMAC-SHA256(secret, timestamp + "." + body).
pub fn generic_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex(&mac.finalize().into_bytes())
}

/// A generic delivery: JSON, signed when the hook has a secret.
pub fn generic(url: &str, secret: &str, event_id: &str, shop: i64, payload: &Payload, unix_secs: i64) -> Outgoing {
    let body = generic_body(event_id, shop, payload);
    let mut headers = vec![
        ("content-type", "application/json".to_string()),
        (IDEMPOTENCY_HEADER, event_id.to_string()),
        (EVENT_HEADER, payload.event.clone()),
        (TIMESTAMP_HEADER, unix_secs.to_string()),
    ];
    if !secret.is_empty() {
        headers.push((
            SIGNATURE_HEADER,
            format!("sha256={}", generic_signature(secret, unix_secs, &body)),
        ));
    }
    Outgoing {
        url: url.to_string(),
        headers,
        body,
    }
}

/// A WeCom group robot's message (企业微信群机器人, `msgtype` markdown; no signature — the key is
/// in the robot's URL).
pub fn wecom(url: &str, event_id: &str, text: &MessageText) -> Outgoing {
    let body = serde_json::json!({ "msgtype": "markdown", "markdown": { "content": markdown(text) } });
    Outgoing {
        url: url.to_string(),
        headers: robot_headers(event_id),
        body: serde_json::to_vec(&body).unwrap_or_default(),
    }
}

/// DingTalk's 加签 as its documentation gives it ("自定义机器人安全设置 → 加签",
/// open.dingtalk.com/document/robots/customize-robot-security-settings; mirrored at
/// apifox.com/apidoc/docs-site/467052/doc-3550006): the string to sign is
/// timestamp (ms) + "\n" + secret; HMAC-SHA256 keyed with the secret, in UTF-8; Base64. The URL
/// then carries `timestamp` and `sign` = urlEncode(that Base64), which [`dingtalk`] does.
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A DingTalk robot's message (`msgtype` markdown), signed in the URL when the robot has a
/// 加签 secret.
pub fn dingtalk(url: &str, secret: &str, event_id: &str, text: &MessageText, timestamp_ms: i64) -> Outgoing {
    let url = if secret.is_empty() {
        url.to_string()
    } else {
        let sign = utf8_percent_encode(&dingtalk_sign(secret, timestamp_ms), NON_ALPHANUMERIC).to_string();
        let joiner = if url.contains('?') { '&' } else { '?' };
        format!("{url}{joiner}timestamp={timestamp_ms}&sign={sign}")
    };
    let body = serde_json::json!({
        "msgtype": "markdown",
        "markdown": { "title": text.title, "text": markdown(text) },
    });
    Outgoing {
        url,
        headers: robot_headers(event_id),
        body: serde_json::to_vec(&body).unwrap_or_default(),
    }
}

fn robot_headers(event_id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "application/json".to_string()),
        (IDEMPOTENCY_HEADER, event_id.to_string()),
    ]
}

/// The markdown both robots show: the title in bold, a line each, the link last.
pub fn markdown(text: &MessageText) -> String {
    let mut out = format!("**{}**", escape_markdown(&text.title));
    for line in &text.lines {
        out.push_str("\n\n");
        out.push_str(&escape_markdown(line));
    }
    if let Some((label, href)) = &text.link {
        out.push_str(&format!("\n\n[{}]({href})", escape_markdown(label)));
    }
    out
}

/// Keeps typed text (a buyer's nick, a note) from turning into markdown.
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '_' | '[' | ']' | '`' | '#' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The message of an event in `tr`'s language; `base_url` (the desk's public address, if
/// configured) makes the link to the ticket or the follow-up queue.
pub fn message(payload: &Payload, tr: Tr, base_url: Option<&str>) -> MessageText {
    let event = Event::parse(&payload.event);
    let mut lines = Vec::new();
    let mut link = None;
    let ticket_no = payload
        .ticket
        .as_ref()
        .map(|t| format!("#{}", t.id))
        .unwrap_or_default();
    let title = match event {
        Some(event) => tr.f(event.title_key(), &[("ticket", &ticket_no)]),
        None => payload.event.clone(),
    };
    if let Some(ticket) = &payload.ticket {
        let kind = TicketKind::parse(&ticket.kind).map_or(ticket.kind.as_str(), |k| k.label(tr.lang));
        let status = Status::parse(&ticket.status).map_or(ticket.status.as_str(), |s| s.label(tr.lang));
        lines.push(tr.f("webhooks.msg.kind_status", &[("kind", &kind), ("status", &status)]));
        if let (Some(buyer), Some(order)) = (&ticket.buyer, &ticket.order_no) {
            lines.push(tr.f("webhooks.msg.buyer_order", &[("buyer", buyer), ("order", order)]));
        }
        let assignee = ticket
            .assignee
            .clone()
            .unwrap_or_else(|| tr.t("webhooks.msg.unassigned").to_string());
        lines.push(tr.f("webhooks.msg.assignee", &[("who", &assignee)]));
        if let Some(fen) = ticket.refund_fen {
            lines.push(tr.f("webhooks.msg.refund", &[("amount", &Fen(fen))]));
        }
        if let Some(base) = base_url {
            link = Some((
                tr.t("webhooks.msg.open_ticket").to_string(),
                format!("{}/tickets/{}", base.trim_end_matches('/'), ticket.id),
            ));
        }
    }
    if event == Some(Event::StatusChanged)
        && let (Some(from), Some(to)) = (payload.data["from"].as_str(), payload.data["to"].as_str())
    {
        let from = Status::parse(from).map_or(from, |s| s.label(tr.lang));
        let to = Status::parse(to).map_or(to, |s| s.label(tr.lang));
        lines.push(tr.f("webhooks.msg.moved", &[("from", &from), ("to", &to)]));
    }
    if let Some(note) = payload.data["note"].as_str().filter(|n| !n.is_empty()) {
        lines.push(tr.f("webhooks.msg.note", &[("note", &note)]));
    }
    if let Some(actor) = &payload.actor {
        lines.push(tr.f("webhooks.msg.actor", &[("who", actor)]));
    }
    if let Some(due) = payload.due_at {
        lines.push(tr.f("webhooks.msg.due", &[("at", &tr.datetime(&due))]));
    }
    if let Some(digest) = &payload.digest {
        lines.push(tr.f("webhooks.msg.digest_overdue", &[("count", &digest.overdue_total())]));
        for (who, count) in &digest.overdue {
            let who = who
                .clone()
                .unwrap_or_else(|| tr.t("webhooks.msg.unassigned").to_string());
            lines.push(format!("- {who}: {count}"));
        }
        lines.push(tr.f(
            "webhooks.msg.digest_money",
            &[
                ("amount", &Fen(digest.money_at_risk_fen)),
                ("count", &digest.tickets_at_risk),
            ],
        ));
        if let Some(base) = base_url {
            link = Some((
                tr.t("webhooks.msg.open_follow_ups").to_string(),
                format!("{}/follow-ups", base.trim_end_matches('/')),
            ));
        }
    }
    MessageText { title, lines, link }
}

/// How long to wait before the next try after `attempts` tries failed: 30 s, doubling, at most
/// an hour.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let doublings = attempts.clamp(1, 8) - 1;
    std::cmp::min(
        chrono::Duration::seconds(30 * (1i64 << doublings)),
        chrono::Duration::hours(1),
    )
}

/// What came back from one try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// An HTTP answer: its status and the start of its body.
    Answered { status: u16, body: String },
    /// No answer in time.
    TimedOut,
    /// The connection could not be made (refused, no such host, TLS failed).
    Unreachable(String),
}

/// What happens to a delivery after a try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Try again later (unless tries are used up: then failed).
    Retry(String),
    /// Failed for good: another try would get the same answer.
    Failed(String),
}

/// Judges a reply. 2xx is delivered — except a robot's `errcode` other than 0 (a bad signature,
/// a wrong key, a message refused: the same again would fail again); 5xx, 429, a timeout and an
/// unreachable receiver are worth another try; other answers are not.
pub fn judge(format: HookFormat, reply: &Reply) -> Verdict {
    match reply {
        Reply::Answered { status, body } if (200..300).contains(status) => {
            if format == HookFormat::Generic {
                return Verdict::Delivered;
            }
            match serde_json::from_str::<Value>(body)
                .ok()
                .and_then(|v| v["errcode"].as_i64())
            {
                Some(code) if code != 0 => Verdict::Failed(format!("errcode {code}: {}", short(body))),
                _ => Verdict::Delivered,
            }
        }
        Reply::Answered { status, body } if *status >= 500 || *status == 429 => {
            Verdict::Retry(format!("HTTP {status}: {}", short(body)))
        }
        Reply::Answered { status, body } => Verdict::Failed(format!("HTTP {status}: {}", short(body))),
        Reply::TimedOut => Verdict::Retry("timed out".to_string()),
        Reply::Unreachable(error) => Verdict::Retry(short(error)),
    }
}

/// At most 300 characters of a body or error, for the log.
fn short(text: &str) -> String {
    text.chars().take(300).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A secret as the page shows it: never whole — its last four characters at most.
pub fn masked(secret: &str) -> String {
    let count = secret.chars().count();
    if count == 0 {
        return String::new();
    }
    let tail: String = if count >= 12 {
        secret.chars().skip(count - 4).collect()
    } else {
        String::new()
    };
    format!("••••{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn payload() -> Payload {
        Payload {
            event: "ticket_assigned".into(),
            at: Some(DateTime::parse_from_rfc3339("2026-06-15T02:00:00Z").unwrap().to_utc()),
            ticket: Some(TicketFacts {
                id: 42,
                kind: "refund".into(),
                status: "new".into(),
                order_no: Some("O-1".into()),
                buyer: Some("买家*小王".into()),
                assignee: Some("张三".into()),
                refund_fen: Some(6400),
            }),
            actor: Some("李主管".into()),
            data: serde_json::json!({"from": null, "to": 7}),
            ..Payload::default()
        }
    }

    fn zh() -> Tr {
        Tr::new(Lang::Zh, chrono_tz::Asia::Shanghai)
    }

    #[test]
    fn hmac_sha256_matches_the_rfc_4231_test_vector() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?". The generic
        // signature is HMAC over timestamp + "." + body, so split the data at a dot-free place
        // by signing it through the same HMAC directly.
        let mut mac = HmacSha256::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn generic_signature_is_hmac_of_timestamp_dot_body() {
        let body = br#"{"a":1}"#;
        let mut mac = HmacSha256::new_from_slice(b"key").unwrap();
        mac.update(b"1781488800.{\"a\":1}");
        assert_eq!(
            generic_signature("key", 1781488800, body),
            hex(&mac.finalize().into_bytes())
        );
        assert_ne!(
            generic_signature("key", 1781488801, body),
            generic_signature("key", 1781488800, body)
        );
        assert_ne!(
            generic_signature("other", 1781488800, body),
            generic_signature("key", 1781488800, body)
        );
    }

    #[test]
    fn a_generic_delivery_carries_its_id_event_timestamp_and_signature() {
        let out = generic("http://x/hook", "s3cret", "1-9", 1, &payload(), 1781488800);
        let header = |name: &str| out.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
        assert_eq!(header(IDEMPOTENCY_HEADER).as_deref(), Some("1-9"));
        assert_eq!(header(EVENT_HEADER).as_deref(), Some("ticket_assigned"));
        assert_eq!(header(TIMESTAMP_HEADER).as_deref(), Some("1781488800"));
        assert_eq!(
            header(SIGNATURE_HEADER),
            Some(format!("sha256={}", generic_signature("s3cret", 1781488800, &out.body)))
        );
        let body: Value = serde_json::from_slice(&out.body).unwrap();
        assert_eq!(body["id"], "1-9");
        assert_eq!(body["shop"], 1);
        assert_eq!(body["ticket"]["id"], 42);
        let unsigned = generic("http://x/hook", "", "1-9", 1, &payload(), 1781488800);
        assert!(unsigned.headers.iter().all(|(n, _)| *n != SIGNATURE_HEADER));
    }

    #[test]
    fn dingtalk_sign_follows_the_documented_algorithm() {
        // Recomputed step by step as the documentation says: HMAC-SHA256 keyed with the secret
        // over "<ms>\n<secret>", then Base64.
        let secret = "SECabc123";
        let ms = 1_781_488_800_000_i64;
        let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(b"1781488800000\nSECabc123");
        let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(dingtalk_sign(secret, ms), expected);
        let out = dingtalk(
            "https://oapi.dingtalk.com/robot/send?access_token=T",
            secret,
            "1-9",
            &message(&payload(), zh(), None),
            ms,
        );
        let encoded = utf8_percent_encode(&expected, NON_ALPHANUMERIC).to_string();
        assert_eq!(
            out.url,
            format!("https://oapi.dingtalk.com/robot/send?access_token=T&timestamp={ms}&sign={encoded}")
        );
        assert!(!encoded.contains('+') && !encoded.contains('/') && !encoded.contains('='));
        let body: Value = serde_json::from_slice(&out.body).unwrap();
        assert_eq!(body["msgtype"], "markdown");
        assert!(body["markdown"]["title"].as_str().unwrap().contains("#42"));
        assert!(body["markdown"]["text"].as_str().unwrap().starts_with("**"));
    }

    #[test]
    fn a_dingtalk_robot_without_a_secret_is_posted_to_as_is() {
        let out = dingtalk(
            "https://oapi.dingtalk.com/robot/send?access_token=T",
            "",
            "1-9",
            &message(&payload(), zh(), None),
            1,
        );
        assert_eq!(out.url, "https://oapi.dingtalk.com/robot/send?access_token=T");
    }

    #[test]
    fn wecom_is_a_markdown_message_with_the_ticket_and_who() {
        let out = wecom(
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K",
            "1-9",
            &message(&payload(), zh(), Some("https://desk.example.com/")),
        );
        let body: Value = serde_json::from_slice(&out.body).unwrap();
        assert_eq!(body["msgtype"], "markdown");
        let content = body["markdown"]["content"].as_str().unwrap();
        assert!(content.contains("#42"), "{content}");
        assert!(content.contains("张三"), "{content}");
        assert!(content.contains("李主管"), "{content}");
        assert!(content.contains("¥64.00"), "{content}");
        assert!(content.contains("买家\\*小王"), "typed text is escaped: {content}");
        assert!(content.contains("(https://desk.example.com/tickets/42)"), "{content}");
    }

    #[test]
    fn without_a_public_address_the_message_has_no_link() {
        assert_eq!(message(&payload(), zh(), None).link, None);
    }

    #[test]
    fn the_digest_lists_overdue_per_person_and_money_at_risk() {
        let digest = Payload {
            event: "daily_digest".into(),
            digest: Some(DigestFacts {
                day: chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap(),
                overdue: vec![(Some("张三".into()), 3), (None, 1)],
                money_at_risk_fen: 12_800,
                tickets_at_risk: 2,
            }),
            ..Payload::default()
        };
        let text = message(
            &digest,
            Tr::new(Lang::En, chrono_tz::Asia::Shanghai),
            Some("https://d.example"),
        );
        let all = markdown(&text);
        assert!(all.contains("4"), "{all}");
        assert!(all.contains("张三: 3"), "{all}");
        assert!(all.contains("¥128.00"), "{all}");
        assert!(all.contains("https://d.example/follow-ups"), "{all}");
    }

    #[test]
    fn retries_double_from_thirty_seconds_up_to_an_hour() {
        assert_eq!(backoff(1), chrono::Duration::seconds(30));
        assert_eq!(backoff(2), chrono::Duration::seconds(60));
        assert_eq!(backoff(3), chrono::Duration::seconds(120));
        assert_eq!(backoff(20), chrono::Duration::hours(1));
    }

    #[test]
    fn server_errors_timeouts_and_refused_connections_are_retried_other_refusals_are_not() {
        let answered = |status: u16, body: &str| Reply::Answered {
            status,
            body: body.into(),
        };
        assert_eq!(judge(HookFormat::Generic, &answered(200, "")), Verdict::Delivered);
        assert!(matches!(
            judge(HookFormat::Generic, &answered(500, "")),
            Verdict::Retry(_)
        ));
        assert!(matches!(
            judge(HookFormat::Generic, &answered(503, "")),
            Verdict::Retry(_)
        ));
        assert!(matches!(
            judge(HookFormat::Generic, &answered(429, "")),
            Verdict::Retry(_)
        ));
        assert!(matches!(
            judge(HookFormat::Generic, &answered(404, "")),
            Verdict::Failed(_)
        ));
        assert!(matches!(
            judge(HookFormat::Generic, &Reply::TimedOut),
            Verdict::Retry(_)
        ));
        assert!(matches!(
            judge(HookFormat::Generic, &Reply::Unreachable("refused".into())),
            Verdict::Retry(_)
        ));
        assert_eq!(
            judge(HookFormat::DingTalk, &answered(200, r#"{"errcode":0,"errmsg":"ok"}"#)),
            Verdict::Delivered
        );
        assert!(matches!(
            judge(HookFormat::DingTalk, &answered(200, r#"{"errcode":310000,"errmsg":"sign not match"}"#)),
            Verdict::Failed(e) if e.contains("310000")
        ));
        assert!(matches!(
            judge(HookFormat::WeCom, &answered(200, r#"{"errcode":93000}"#)),
            Verdict::Failed(_)
        ));
    }

    #[test]
    fn secrets_are_never_shown_whole() {
        assert_eq!(masked(""), "");
        assert_eq!(masked("short"), "••••");
        assert_eq!(masked("SEC0123456789abcdef"), "••••cdef");
    }

    proptest::proptest! {
        #[test]
        fn any_change_to_the_body_changes_the_signature(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200), flip in 0usize..200) {
            let signature = generic_signature("key", 1, &body);
            proptest::prop_assert_eq!(signature.len(), 64);
            if !body.is_empty() {
                let mut changed = body.clone();
                let at = flip % changed.len();
                changed[at] ^= 1;
                proptest::prop_assert_ne!(generic_signature("key", 1, &changed), signature);
            }
        }

        #[test]
        fn the_dingtalk_sign_always_reads_back_as_a_32_byte_mac(secret in "[A-Za-z0-9]{1,60}", ms in 0i64..4_000_000_000_000) {
            let sign = dingtalk_sign(&secret, ms);
            let decoded = base64::engine::general_purpose::STANDARD.decode(&sign).unwrap();
            proptest::prop_assert_eq!(decoded.len(), 32);
        }
    }
}

//! The live desk through its public surface: the event stream tells a person what changed in
//! their shops (from whichever server made the change), presence on a ticket, what others did
//! under a page whose move was refused as stale, the notices' settings and the return visit's
//! notice.

use std::time::Duration;

use aftersales::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{browser, desk, html, spawn_second_server};

/// An open event stream, read as `(event, data)` pairs.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(client: &reqwest::Client, url: String) -> Stream {
        let response = client.get(url).send().await.expect("stream");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"].to_str().expect("type"),
            "text/event-stream"
        );
        let mut stream = Stream {
            response,
            buffer: String::new(),
        };
        let (event, _) = stream.next().await.expect("the stream says it is open");
        assert_eq!(event, "ready");
        stream
    }

    /// The next event within five seconds (keep-alive comments skipped).
    async fn next(&mut self) -> Option<(String, Value)> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(name) = line.strip_prefix("event:") {
                        event = name.trim().to_string();
                    } else if let Some(text) = line.strip_prefix("data:") {
                        data.push_str(text.trim());
                    }
                }
                if event.is_empty() {
                    continue;
                }
                return Some((event, serde_json::from_str(&data).unwrap_or(Value::Null)));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?;
            let bytes = chunk.expect("chunk")?;
            self.buffer.push_str(&String::from_utf8_lossy(&bytes));
        }
    }

    /// Whether nothing more comes within a second and a half.
    async fn quiet(&mut self) -> bool {
        let more = tokio::time::timeout(Duration::from_millis(1500), self.next()).await;
        !matches!(more, Ok(Some(_)))
    }

    /// Waits for an event named `name` whose data satisfies `wanted`, skipping others.
    async fn until(&mut self, name: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let (event, data) = self
                .next()
                .await
                .unwrap_or_else(|| panic!("no `{name}` event within five seconds"));
            if event == name && wanted(&data) {
                return data;
            }
        }
    }
}

fn ids(data: &Value) -> Vec<i64> {
    data["ids"]
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_reassignment_made_on_one_server_reaches_the_new_holder_on_another_with_its_notice() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let version = ticket["version"].as_i64().expect("version");
    let second = spawn_second_server(&desk.app).await;
    let (agent_b, _) = desk.app.user("agent-b", Role::Agent, &[desk.shop]).await;
    // Someone of another shop hears nothing of this one.
    let other_shop = desk.app.shop("shop-z").await;
    desk.app.user("agent-z", Role::Agent, &[other_shop]).await;

    let b = browser(&second, "agent-b").await;
    let mut stream_b = Stream::open(&b, second.url("/live/events")).await;
    let z = browser(&desk.app, "agent-z").await;
    let mut stream_z = Stream::open(&z, desk.app.url("/live/events")).await;
    // Each server counts the streams it holds.
    assert!(
        second.metrics().await.contains("aftersales_live_streams 1\n"),
        "{}",
        second.metrics().await
    );

    let given = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/assignment"),
            &desk.supervisor_token,
            json!({ "assignee": agent_b.0, "version": version }),
        )
        .await;
    assert_eq!(given.status, StatusCode::OK, "{:?}", given.body);

    // The ticket's change (each statement of the change says so) and the notice, in whichever
    // order they come.
    let (mut holders, mut told) = (Vec::new(), false);
    while !(told && holders.contains(&agent_b.0) && holders.contains(&desk.agent.0)) {
        let (event, data) = stream_b
            .next()
            .await
            .unwrap_or_else(|| panic!("the change naming both holders and the notice; heard {holders:?}, told {told}"));
        match event.as_str() {
            "tickets" if ids(&data).contains(&id) => {
                assert_eq!(data["shop"], desk.shop.0);
                holders.extend(data["to"].as_array().expect("holders").iter().filter_map(Value::as_i64));
            }
            "notices" => told = true,
            _ => {}
        }
    }
    let badge = html(&b, second.url("/notifications/badge")).await.1;
    assert!(badge.contains(">1</span>"), "{badge}");

    // Nothing of shop-a reaches shop-z's agent (the stream only says it is alive).
    let heard = stream_z.next().await;
    assert!(heard.is_none(), "shop-z heard {heard:?}");
}

#[tokio::test]
async fn without_a_session_the_stream_only_says_it_expired() {
    let desk = desk().await;
    let anonymous = reqwest::Client::new();
    let answer = anonymous
        .get(desk.app.url("/live/events"))
        .send()
        .await
        .expect("stream");
    assert_eq!(answer.status(), StatusCode::OK);
    let text = answer.text().await.expect("the stream ends");
    assert_eq!(text.trim(), "event: expired\ndata: {}");
}

#[tokio::test]
async fn presence_shows_who_else_views_or_types_and_goes_when_they_leave() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let agent = browser(&desk.app, "agent-a").await;
    let supervisor = browser(&desk.app, "super-a").await;
    let presence = desk.app.url(&format!("/tickets/{id}/presence"));

    // Alone: nobody else is shown, and one's own beat is not shown to oneself.
    let alone = agent
        .post(&presence)
        .form(&[("typing", "0")])
        .send()
        .await
        .expect("beat");
    assert_eq!(alone.status(), StatusCode::OK);
    assert!(!alone.text().await.expect("text").contains("agent-a"));
    // What was announced before the stream opens (the opening, the agent's own arrival) is said
    // now, so that the stream below hears only what follows.
    aftersales::live::relay_once(&desk.app.pool).await.expect("relay");
    let mut stream = Stream::open(&agent, desk.app.url("/live/events")).await;

    // The supervisor opens it: the agent's stream hears, and the fragment names them.
    let beat = supervisor
        .post(&presence)
        .form(&[("typing", "0")])
        .send()
        .await
        .expect("beat");
    assert_eq!(beat.status(), StatusCode::OK);
    stream.until("presence", |d| d["ticket"] == id).await;
    let shown = html(&agent, presence.clone()).await.1;
    assert!(shown.contains("super-a 也在查看"), "{shown}");

    // A beat that changes nothing is not announced (waited out on its own: a stream gathers
    // what comes within a quarter second into one event); typing is.
    supervisor
        .post(&presence)
        .form(&[("typing", "0")])
        .send()
        .await
        .expect("beat");
    assert!(stream.quiet().await, "the plain beat was not announced");
    supervisor
        .post(&presence)
        .form(&[("typing", "1")])
        .send()
        .await
        .expect("beat");
    let (event, data) = stream.next().await.expect("typing is announced");
    assert_eq!((event.as_str(), data["ticket"].as_i64()), ("presence", Some(id)));
    let shown = html(&agent, presence.clone()).await.1;
    assert!(shown.contains("super-a 正在输入…"), "{shown}");
    // The queue's row says it too.
    let queue = html(&agent, desk.app.url("/?view=mine")).await.1;
    assert!(queue.contains("super-a 在写"), "{queue}");

    // Leaving: gone, and said.
    supervisor
        .post(&presence)
        .form(&[("leave", "1")])
        .send()
        .await
        .expect("leave");
    stream.until("presence", |d| d["ticket"] == id).await;
    let shown = html(&agent, presence.clone()).await.1;
    assert!(!shown.contains("super-a"), "{shown}");

    // Another shop's ticket is not found.
    let other = desk.app.shop("shop-z").await;
    let (_, _) = desk.app.user("agent-z", Role::Agent, &[other]).await;
    let outsider = browser(&desk.app, "agent-z").await;
    let refused = outsider
        .post(&presence)
        .form(&[("typing", "0")])
        .send()
        .await
        .expect("beat");
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_stale_move_shows_what_others_did_since_the_page_and_keeps_the_typed_note() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let agent = browser(&desk.app, "agent-a").await;
    let page = html(&agent, desk.app.url(&format!("/tickets/{id}"))).await.1;
    let seen = attribute(&page, "data-seen=\"");
    let version = attribute(&page, "name=\"version\" value=\"");

    // Nothing yet by anyone else.
    let none = html(&agent, desk.app.url(&format!("/tickets/{id}/changes?seen={seen}")))
        .await
        .1;
    assert!(!none.contains("<li>"), "{none}");

    // Meanwhile the supervisor writes a note on it.
    let noted = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/notes"),
            &desk.supervisor_token,
            json!({ "text": "买家来电催促" }),
        )
        .await;
    assert!(noted.status.is_success(), "{:?}", noted.body);
    let changes = html(&agent, desk.app.url(&format!("/tickets/{id}/changes?seen={seen}")))
        .await
        .1;
    assert!(
        changes.contains("你打开此页后，这个工单有了变化") && changes.contains("买家来电催促"),
        "{changes}"
    );
    // and takes it over and gives it back, which moves the ticket's version on.
    for to in [desk.supervisor.0, desk.agent.0] {
        desk.assign(id, json!(to)).await;
    }

    // The agent's move from the old page is refused; what happened is listed and marked, and
    // the note typed is still in its box.
    let answer = agent
        .post(desk.app.url(&format!("/tickets/{id}/transitions")))
        .header("hx-request", "true")
        .form(&[
            ("to", "approved"),
            ("version", version.as_str()),
            ("seen", seen.as_str()),
            ("note", "已核实质量问题"),
        ])
        .send()
        .await
        .expect("move");
    let body = answer.text().await.expect("body");
    assert!(body.contains("该工单刚被他人修改"), "{body}");
    assert!(body.contains("你打开此页后，这个工单有了变化"), "{body}");
    assert!(body.contains("买家来电催促") && body.contains("live-fresh"), "{body}");
    assert!(body.contains("已核实质量问题"), "the typed note is kept: {body}");

    // One's own doings are not "changes by others".
    let own = desk
        .app
        .post(
            &format!("/api/v1/tickets/{id}/notes"),
            &desk.agent_token,
            json!({ "text": "自己的备注" }),
        )
        .await;
    assert!(own.status.is_success());
    let now_seen = attribute(&body, "data-seen=\"");
    let changes = html(&agent, desk.app.url(&format!("/tickets/{id}/changes?seen={now_seen}")))
        .await
        .1;
    assert!(!changes.contains("自己的备注"), "{changes}");
}

fn attribute(page: &str, prefix: &str) -> String {
    let start = page.find(prefix).unwrap_or_else(|| panic!("{prefix} in page")) + prefix.len();
    page[start..].split('"').next().expect("value").to_string()
}

#[tokio::test]
async fn a_person_can_turn_a_kind_of_notice_off_and_on_again() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let agent = browser(&desk.app, "agent-a").await;
    let page = html(&agent, desk.app.url("/notifications")).await.1;
    assert!(
        page.contains("value=\"assigned_to_you\" checked"),
        "all on by default: {page}"
    );

    // Everything but the assignment notice.
    let saved = agent
        .post(desk.app.url("/notifications/settings"))
        .form(&[
            ("kind", "escalated_to_you"),
            ("kind", "follow_up_due"),
            ("kind", "nonsense"),
        ])
        .send()
        .await
        .expect("save");
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = html(&agent, desk.app.url("/notifications?saved=1")).await.1;
    assert!(page.contains("通知设置已保存。"), "{page}");
    assert!(page.contains("value=\"assigned_to_you\" >"), "{page}");
    assert!(page.contains("value=\"follow_up_due\" checked"), "{page}");

    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM notifications WHERE user_id = $1")
            .bind(desk.agent)
            .fetch_one(&desk.app.pool)
            .await
            .expect("count")
    };
    let give = |to: Option<i64>| {
        let app = &desk.app;
        let token = desk.supervisor_token.clone();
        async move {
            let answer = app
                .post(
                    &format!("/api/v1/tickets/{id}/assignment"),
                    &token,
                    json!({ "assignee": to }),
                )
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        }
    };
    give(None).await;
    give(Some(desk.agent.0)).await;
    assert_eq!(count().await, 0, "turned off");

    // On again: told.
    agent
        .post(desk.app.url("/notifications/settings"))
        .form(&[("kind", "assigned_to_you")])
        .send()
        .await
        .expect("save");
    give(None).await;
    give(Some(desk.agent.0)).await;
    assert_eq!(count().await, 1, "turned on again");
}

#[tokio::test]
async fn a_return_visit_that_fell_due_is_told_to_the_holder_once() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    let version = ticket["version"].as_i64().expect("v");
    let approved = desk.transition(id, "approved", version, json!({})).await;
    let refunded = desk
        .transition(id, "refunded", approved.body["version"].as_i64().expect("v"), json!({}))
        .await;
    assert_eq!(refunded.status, StatusCode::OK, "{:?}", refunded.body);
    let due: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT due_at FROM return_visits WHERE ticket_id = $1 AND answered_at IS NULL")
            .bind(id)
            .fetch_one(&desk.app.pool)
            .await
            .expect("a visit is scheduled");
    let pool = &desk.app.pool;
    // Not yet due: nothing.
    aftersales::notifications::remind_due(pool, due - chrono::Duration::minutes(1))
        .await
        .expect("remind");
    let visits = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'return_visit_due'",
        )
        .bind(desk.agent)
        .fetch_one(pool)
        .await
        .expect("count")
    };
    assert_eq!(visits().await, 0);
    // Due: told once, however often the reminder runs.
    for minutes in [1, 30, 90] {
        aftersales::notifications::remind_due(pool, due + chrono::Duration::minutes(minutes))
            .await
            .expect("remind");
    }
    assert_eq!(visits().await, 1);
    let agent = browser(&desk.app, "agent-a").await;
    let page = html(&agent, desk.app.url("/notifications")).await.1;
    assert!(
        page.contains(&format!("工单 #{id} tb_buyer01 到了回访的时间")),
        "{page}"
    );
}

/// The writes do not announce in their own transactions (a NOTIFY there makes every commit wait
/// for every other one's flush): they leave the announcement in the outbox, and the relay says
/// what committed, each different announcement once. No stream is open here, so nothing but the
/// test relays.
#[tokio::test]
async fn a_change_is_said_by_the_relay_not_by_its_own_commit_and_said_once() {
    let desk = desk().await;
    let pool = &desk.app.pool;
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await.expect("listener");
    listener.listen(aftersales::live::CHANNEL).await.expect("listen");
    let waiting = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM live_outbox")
            .fetch_one(pool)
            .await
            .expect("outbox")
    };

    let ticket = desk.open("refund", "quality").await;
    let id = ticket["id"].as_i64().expect("id");
    assert_eq!(
        heard_on(&mut listener).await,
        Vec::<String>::new(),
        "the commit itself says nothing"
    );
    assert_eq!(waiting().await, 1, "the opening waits in the outbox");
    assert_eq!(
        aftersales::live::relay_once(pool).await.expect("relay"),
        aftersales::live::Relayed { taken: 1, said: 1 }
    );
    let said = heard_on(&mut listener).await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(
        aftersales::live::Signal::parse(&said[0]),
        Some(aftersales::live::Signal::Tickets {
            shop: desk.shop,
            tickets: Some(vec![aftersales::ids::TicketId(id)]),
            holders: Some(vec![desk.agent]),
        })
    );
    assert_eq!(waiting().await, 0, "what was said is gone");
    assert_eq!(
        aftersales::live::relay_once(pool).await.expect("relay"),
        aftersales::live::Relayed { taken: 0, said: 0 }
    );

    // Two notes: two announcements alike, said once.
    for version in [1, 2] {
        let note = desk
            .app
            .post(
                &format!("/api/v1/tickets/{id}/notes"),
                &desk.agent_token,
                json!({ "text": format!("第{version}次"), "version": version }),
            )
            .await;
        assert_eq!(note.status, StatusCode::CREATED, "{:?}", note.body);
    }
    assert_eq!(waiting().await, 2);
    assert_eq!(
        aftersales::live::relay_once(pool).await.expect("relay"),
        aftersales::live::Relayed { taken: 2, said: 1 }
    );
    assert_eq!(heard_on(&mut listener).await.len(), 1);
    assert_eq!(waiting().await, 0);
    // The relay may vacuum the outbox from a pool's connection (outside any transaction).
    aftersales::live::vacuum_outbox(pool).await.expect("vacuum");

    // Two servers' passes at once take each announcement once between them.
    for text in ["甲", "乙", "丙"] {
        let note = desk
            .app
            .post(
                &format!("/api/v1/tickets/{id}/notes"),
                &desk.agent_token,
                json!({ "text": text, "version": 0 }),
            )
            .await;
        assert_eq!(note.status, StatusCode::CREATED, "{:?}", note.body);
    }
    let (first, second) = tokio::join!(aftersales::live::relay_once(pool), aftersales::live::relay_once(pool));
    let (first, second) = (first.expect("relay"), second.expect("relay"));
    assert_eq!(first.taken + second.taken, 3, "{first:?} {second:?}");
    assert_eq!(waiting().await, 0);
}

/// The payloads heard on `listener` until it is quiet for 0.7 s.
async fn heard_on(listener: &mut sqlx::postgres::PgListener) -> Vec<String> {
    let mut payloads = Vec::new();
    while let Ok(Ok(notification)) = tokio::time::timeout(Duration::from_millis(700), listener.recv()).await {
        payloads.push(notification.payload().to_string());
    }
    payloads
}

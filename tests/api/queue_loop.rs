//! The agent's loop through the queue: `n` (next ticket) follows the queue in the order the
//! agent saw it, even after the follow-up just saved has moved the current ticket to the end.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{browser, desk, html, test_now};

/// The `from=` of the row link to ticket `id` on the queue page.
fn row_link(queue: &str, id: i64) -> String {
    let start = format!("href=\"/tickets/{id}?from=");
    let at = queue
        .find(&start)
        .unwrap_or_else(|| panic!("a row link to #{id} in the queue"));
    let link = &queue[at + "href=\"".len()..];
    link[..link.find('"').expect("end of the link")].to_string()
}

/// The position of ticket `id`'s row on the queue page.
fn row_at(queue: &str, id: i64) -> usize {
    queue
        .find(&format!("href=\"/tickets/{id}?from="))
        .unwrap_or_else(|| panic!("#{id} in the queue"))
}

/// Where `n` on the ticket page at `page` (a `/tickets/{id}?from=…` link) leads.
async fn next_from(client: &reqwest::Client, app: &crate::support::TestApp, page: &str) -> String {
    let (path, query) = page.split_once('?').unwrap_or((page, ""));
    let next = client
        .get(app.url(&format!("{path}/next?{query}")))
        .send()
        .await
        .expect("next");
    assert_eq!(next.status(), StatusCode::SEE_OTHER);
    next.headers()["location"].to_str().expect("location").to_string()
}

/// Records a follow-up on ticket `id` through the ticket page's form.
async fn follow_up(client: &reqwest::Client, app: &crate::support::TestApp, id: i64) {
    let posted = client
        .post(app.url(&format!("/tickets/{id}/follow-ups")))
        .header("HX-Request", "true")
        .form(&[("channel", "chat"), ("summary", "已联系买家")])
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), StatusCode::OK);
}

#[tokio::test]
async fn next_ticket_follows_the_queue_as_shown_past_the_follow_up_just_saved() {
    let desk = desk().await;
    let app = &desk.app;
    // Three tickets opened a minute apart, all overdue two days later: A, B, C by due time.
    let mut ids = Vec::new();
    for minute in 0..3 {
        app.clock.set(test_now() + Duration::minutes(minute));
        ids.push(desk.open("complaint", "quality").await["id"].as_i64().expect("id"));
    }
    let [a, b, c] = ids[..] else { unreachable!() };
    // A fourth, opened later and not yet due: its due time falls after A's once A is followed up,
    // so going after A's place *now* would land on it and skip B and C.
    app.clock.set(test_now() + Duration::days(2) + Duration::minutes(1));
    let d = desk.open("complaint", "quality").await["id"].as_i64().expect("id");
    app.clock.set(test_now() + Duration::days(2));
    let client = browser(app, "agent-a").await;
    let queue = html(&client, app.url("/")).await.1;
    assert!(row_at(&queue, a) < row_at(&queue, b) && row_at(&queue, b) < row_at(&queue, c));

    // Open A from the queue, follow up: A's due moves to the end of the queue.
    let opened = row_link(&queue, a);
    assert_eq!(html(&client, app.url(&opened)).await.0, StatusCode::OK);
    follow_up(&client, app, a).await;
    let queue_now = html(&client, app.url("/")).await.1;
    assert!(
        row_at(&queue_now, c) < row_at(&queue_now, a) && row_at(&queue_now, a) < row_at(&queue_now, d),
        "A has moved behind C, before D"
    );

    // `n` goes to B, the next in the order shown, not past it.
    let on_b = next_from(&client, app, &opened).await;
    assert!(on_b.starts_with(&format!("/tickets/{b}?from=")), "{on_b}");
    assert_eq!(html(&client, app.url(&on_b)).await.0, StatusCode::OK);
    follow_up(&client, app, b).await;
    let on_c = next_from(&client, app, &on_b).await;
    assert!(on_c.starts_with(&format!("/tickets/{c}?from=")), "{on_c}");
    // Past the last overdue one the queue goes on in its order: A and B, followed up, now
    // stand at their new due times, before D.
    follow_up(&client, app, c).await;
    let after_c = next_from(&client, app, &on_c).await;
    assert!(after_c.starts_with(&format!("/tickets/{a}?from=")), "{after_c}");

    // Without the place shown, `n` goes after the ticket's place now: C, then A and B followed
    // up at the same instant (A before B by id), so after A comes B.
    let plain = next_from(&client, app, &format!("/tickets/{a}")).await;
    assert!(plain.starts_with(&format!("/tickets/{b}?from=")), "{plain}");
    // A place naming another ticket is not this ticket's: A's place now is used (B's old place
    // would lead to C).
    let foreign = next_from(
        &client,
        app,
        &format!("/tickets/{a}?{}", on_b.split_once('?').expect("query").1),
    )
    .await;
    assert!(foreign.starts_with(&format!("/tickets/{b}?from=")), "{foreign}");
}

/// Signs `login` in through the login form with `next` (if any) and follows the redirects
/// within the desk: the path each one led to, in order.
async fn sign_in_and_follow(app: &crate::support::TestApp, login: &str, next: Option<&str>) -> Vec<String> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let password = format!("password-{login}");
    let mut form = vec![("login", login), ("password", password.as_str())];
    if let Some(next) = next {
        form.push(("next", next));
    }
    let mut response = client.post(app.url("/login")).form(&form).send().await.expect("login");
    let mut path = Vec::new();
    while response.status() == StatusCode::SEE_OTHER {
        let location = response.headers()["location"].to_str().expect("location").to_string();
        path.push(location.clone());
        assert!(path.len() < 5, "a short way: {path:?}");
        response = client.get(app.url(&location)).send().await.expect("get");
    }
    assert_eq!(response.status(), StatusCode::OK, "{path:?}");
    let page = response.text().await.expect("text");
    assert!(
        page.contains("href=\"/?view=mine\""),
        "my queue is in the menu: {path:?}"
    );
    path
}

#[tokio::test]
async fn each_role_lands_where_its_work_is_unless_another_page_was_asked_for() {
    let desk = desk().await;
    let app = &desk.app;
    app.user("owner-a", aftersales::auth::Role::Owner, &[desk.shop]).await;
    app.user("admin-a", aftersales::auth::Role::Admin, &[]).await;
    let ticket = desk.open("complaint", "quality").await["id"].as_i64().expect("id");
    for (login, lands) in [
        ("agent-a", vec!["/"]),
        ("super-a", vec!["/", "/follow-ups"]),
        ("owner-a", vec!["/", "/reports"]),
        ("admin-a", vec!["/", "/admin"]),
    ] {
        assert_eq!(sign_in_and_follow(app, login, None).await, lands, "{login}");
        let asked = format!("/tickets/{ticket}");
        assert_eq!(
            sign_in_and_follow(app, login, Some(&asked)).await,
            vec![asked.clone()],
            "{login} asked for the ticket"
        );
    }
    // My queue stays reachable for everyone: the queue itself, not the landing.
    for login in ["super-a", "owner-a", "admin-a"] {
        let client = browser(app, login).await;
        let (status, page) = html(&client, app.url("/?view=mine")).await;
        assert_eq!(status, StatusCode::OK, "{login}");
        assert!(page.contains("id=\"queue-results\""), "{login}");
    }
}

#[tokio::test]
async fn an_unassigned_row_is_taken_from_the_queue_with_its_assign_to_me_form() {
    let desk = desk().await;
    let app = &desk.app;
    let id = desk.open("complaint", "quality").await["id"].as_i64().expect("id");
    let freed = app
        .post(
            &format!("/api/v1/tickets/{id}/assignment"),
            &desk.supervisor_token,
            serde_json::json!({ "assignee": null }),
        )
        .await;
    assert_eq!(freed.status, StatusCode::OK, "{:?}", freed.body);
    assert!(freed.body["assignee"].is_null());
    let version = freed.body["version"].as_i64().expect("version").to_string();

    let client = browser(app, "agent-a").await;
    let (status, queue) = html(&client, app.url("/?view=unassigned")).await;
    assert_eq!(status, StatusCode::OK);
    let form = format!("action=\"/tickets/{id}/assignment\"");
    let at = queue.find(&form).expect("the row offers assign-to-me");
    let row_form = &queue[at..at + queue[at..].find("</form>").expect("end of form")];
    assert!(
        row_form.contains("name=\"csrf\" value=\"")
            && row_form.contains(&format!("name=\"version\" value=\"{version}\""))
            && row_form.contains("name=\"back\" value=\"/?view=unassigned\"")
            && row_form.contains("name=\"assignee\" value=\"me\""),
        "{row_form}"
    );
    // The help overlay names the keys that walk the rows.
    let help = html(&client, app.url("/shortcuts")).await.1;
    assert!(
        help.contains("<kbd>j / k</kbd>") && help.contains("在工单列表中上下移动") && help.contains("<kbd>Enter</kbd>"),
        "{help}"
    );
    // An owner, who does not work tickets, is offered no such form.
    app.user("owner-a", aftersales::auth::Role::Owner, &[desk.shop]).await;
    let owner = browser(app, "owner-a").await;
    assert!(!html(&owner, app.url("/?view=unassigned")).await.1.contains(&form));

    // The plain form (no htmx): taken, and back to the queue it came from.
    let csrf = row_form
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's token")
        .to_string();
    let taken = client
        .post(app.url(&format!("/tickets/{id}/assignment")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("version", version.as_str()),
            ("back", "/?view=unassigned"),
            ("assignee", "me"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(taken.status(), StatusCode::SEE_OTHER);
    assert_eq!(taken.headers()["location"], "/?view=unassigned");
    let ticket = app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await;
    assert_eq!(ticket.body["assignee"], desk.agent.0);
    assert!(!html(&client, app.url("/?view=unassigned")).await.1.contains(&form));
    assert!(
        html(&client, app.url("/?view=mine"))
            .await
            .1
            .contains(&format!("href=\"/tickets/{id}?from="))
    );

    // A stale row (taken meanwhile) is refused, not sent back as if done.
    let stale = client
        .post(app.url(&format!("/tickets/{id}/assignment")))
        .form(&[
            ("version", version.as_str()),
            ("back", "/?view=unassigned"),
            ("assignee", "me"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    // Back goes only to a page of the desk.
    let current = app.get(&format!("/api/v1/tickets/{id}"), &desk.agent_token).await.body["version"]
        .as_i64()
        .expect("version")
        .to_string();
    let elsewhere = client
        .post(app.url(&format!("/tickets/{id}/assignment")))
        .form(&[
            ("version", current.as_str()),
            ("back", "//evil.example/"),
            ("assignee", "me"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(elsewhere.status(), StatusCode::SEE_OTHER);
    assert_eq!(elsewhere.headers()["location"], "/");
}

#[tokio::test]
async fn the_header_count_follows_the_status_filter_like_the_list() {
    let desk = crate::support::desk().await;
    let first = desk.open("refund", "quality").await;
    desk.open("refund", "quality").await;
    let approved = desk
        .transition(first["id"].as_i64().expect("id"), "approved", 1, serde_json::json!({}))
        .await;
    assert_eq!(approved.status, reqwest::StatusCode::OK, "{:?}", approved.body);
    let client = crate::support::browser(&desk.app, "agent-a").await;
    let all = crate::support::html(&client, desk.app.url("/?view=mine")).await.1;
    assert!(all.contains("2 条未结"), "both open");
    let filtered = crate::support::html(&client, desk.app.url("/?view=mine&status=approved"))
        .await
        .1;
    assert!(filtered.contains("1 条未结"), "only the approved one counted");
}

/// The count on the queue's chip for `kind` ("" for all kinds).
fn chip_count(queue: &str, kind: &str) -> i64 {
    let chips = &queue[queue.find("id=\"queue-chips\"").expect("the chips")..];
    let start = if kind.is_empty() {
        chips.find("href=\"/?view=").expect("the first chip")
    } else {
        chips
            .find(&format!("kind={kind}\""))
            .unwrap_or_else(|| panic!("the {kind} chip"))
    };
    let count = &chips[start..];
    let count = &count[count.find("class=\"count\">").expect("a count") + "class=\"count\">".len()..];
    count[..count.find('<').expect("end of the count")]
        .trim()
        .parse()
        .expect("a number")
}

#[tokio::test]
async fn the_kind_chips_count_the_open_tickets_of_the_view_mine_unassigned_or_all() {
    let desk = desk().await;
    let app = &desk.app;
    // The agent's own: two complaints and a refund, and a complaint being investigated; one
    // complaint handed back to nobody; one refund given to the supervisor.
    let mut ids = Vec::new();
    for kind in ["complaint", "complaint", "refund", "complaint", "refund", "complaint"] {
        ids.push(desk.open(kind, "quality").await["id"].as_i64().expect("id"));
    }
    desk.assign(ids[3], json!(null)).await;
    desk.assign(ids[4], json!(desk.supervisor.0)).await;
    let moved = desk.transition(ids[5], "investigating", 1, json!({})).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);

    let client = desk.browser("agent-a").await;
    let counts = |view: &'static str| {
        let client = client.clone();
        async move {
            let (status, queue) = html(&client, app.url(&format!("/?view={view}"))).await;
            assert_eq!(status, StatusCode::OK);
            (
                chip_count(&queue, ""),
                chip_count(&queue, "complaint"),
                chip_count(&queue, "refund"),
            )
        }
    };
    assert_eq!(counts("mine").await, (4, 3, 1));
    assert_eq!(counts("unassigned").await, (1, 1, 0));
    assert_eq!(counts("all").await, (6, 4, 2));
    // With a status chosen, the chips count that status only.
    let (_, queue) = html(&client, app.url("/?view=mine&status=investigating")).await;
    assert_eq!((chip_count(&queue, ""), chip_count(&queue, "complaint")), (1, 1));
    let (_, queue) = html(&client, app.url("/?view=unassigned&status=investigating")).await;
    assert_eq!(chip_count(&queue, ""), 0);
    let (_, queue) = html(&client, app.url("/?view=all&status=open")).await;
    assert_eq!(
        (chip_count(&queue, ""), chip_count(&queue, "complaint")),
        (3, 3),
        "the three complaints not moved are open (a refund starts elsewhere)"
    );
}

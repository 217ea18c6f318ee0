//! The SQL ceiling of `bench run` (`aftersales::bench::ceiling`): a request of the desk is
//! recorded as the statements PostgreSQL ran for it, and pgbench runs them again.

use chrono::{DateTime, Utc};
use reqwest::Method;

use std::path::PathBuf;

use crate::support::{Desk, desk, fresh_database, postmaster_pid, server_log, temp_dir};
use aftersales::bench::{ceiling, cpu};

/// A desk with one ticket, and the recording application on its database writing its scripts
/// to a directory of the test's own; `None` with `DATABASE_URL` (the recorder reads the embedded
/// cluster's log).
struct Recording {
    desk: Desk,
    ticket: i64,
    recorder: ceiling::Recorder,
    dir: PathBuf,
    log: PathBuf,
}

impl Recording {
    /// Stops the recording application and removes the scripts' directory.
    async fn finish(self) {
        self.recorder.stop().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn recording(tag: &str) -> Option<Recording> {
    let Some(log) = server_log() else {
        eprintln!("the SQL ceiling reads the embedded cluster's log: not checked with DATABASE_URL");
        return None;
    };
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await["id"].as_i64().expect("id");
    let dir = temp_dir(tag);
    let recorder = ceiling::Recorder::start(desk.app.admin_options.clone(), log.clone(), dir.clone())
        .await
        .expect("the recording application starts");
    Some(Recording {
        desk,
        ticket,
        recorder,
        dir,
        log,
    })
}

#[tokio::test]
async fn a_ticket_pages_statements_are_recorded_with_their_values_and_pgbench_runs_them_and_it_reads_its_order_once_in_few_statements()
 {
    let Some(r) = recording("ceiling").await else {
        return;
    };
    let (desk, ticket, recorder, dir) = (&r.desk, r.ticket, &r.recorder, &r.dir);
    let page = (
        Method::GET,
        format!("/tickets/{ticket}"),
        desk.agent_token.clone(),
        None,
    );
    let scripts = recorder
        .record("ticket", &page, std::slice::from_ref(&page), ceiling::Requests::Reads)
        .await
        .expect("recorded");
    assert_eq!(scripts, [dir.join("ticket-0.sql")]);
    let script = std::fs::read_to_string(&scripts[0]).expect("script");
    // The page's own statements, with the ticket and the shop written in as typed values and
    // nothing left to bind.
    assert!(script.contains("FROM tickets t"), "{script}");
    assert!(script.contains(&format!("E'{ticket}'::bigint")), "{script}");
    assert!(script.contains(&format!("E'{}'::bigint", desk.shop.0)), "{script}");
    assert!(!script.contains("$1"), "{script}");
    // What the page reads goes to PostgreSQL as one statement (`db::batch`) after the ticket's:
    // the cards', the order, the buyer's counts, the notes on the ticket's goods, the timeline
    // (whose assignments are named from the workers it reads), the replies and the return
    // addresses for them — two statements, not the thirty it made when each card read on its
    // own, nor the seven of when the timeline and the replies went alone. The session's holder
    // is kept from the request before (`auth::held`), as the desk keeps it, and not read again.
    // The recorder's own look at the sessions is not among them.
    let statements = script.lines().filter(|l| l.ends_with(';')).count();
    assert_eq!(statements, 2, "{script}");
    assert!(!script.contains("auth_tokens"), "{script}");
    assert!(!script.contains("pg_stat_activity"), "{script}");
    assert_eq!(script.matches("json_agg(part)").count(), 24, "{script}");
    assert_eq!(script.matches("FROM ticket_events e").count(), 1, "{script}");
    assert_eq!(script.matches("FROM canned_replies").count(), 1, "{script}");
    assert_eq!(script.matches("FROM return_addresses").count(), 1, "{script}");
    // The order with its lines and the ticket's files are read once for the whole page, not
    // again by each card that shows them (the goods card, the knowledge panel); the only other
    // read of the lines is the notes' look-up of the ticket's one line for its category.
    assert_eq!(script.matches("array_agg(l.sku ORDER BY l.sku)").count(), 1, "{script}");
    assert_eq!(script.matches("FROM order_lines l").count(), 2, "{script}");
    assert_eq!(script.matches("FROM evidence e").count(), 1, "{script}");
    let tps = recorder
        .pgbench(&[], &scripts, 1, std::time::Duration::from_secs(1))
        .await
        .expect("pgbench runs the recorded statements");
    assert!(tps > 0.0, "{tps}");
    // Regrouped for pgbench's clients, each replaying its own client's requests: the script is
    // the page's under pgbench's `\if`, and a second client, which sent nothing, replays it too.
    let turns = recorder
        .by_client("ticket", &[(0, scripts[0].clone())])
        .expect("regrouped");
    assert_eq!(turns, [dir.join("ticket-turn-0.sql")]);
    let turn = std::fs::read_to_string(&turns[0]).expect("script");
    assert!(turn.starts_with("\\if :client_id = 0\n"), "{turn}");
    assert_eq!(turn.matches("FROM ticket_events e").count(), 2, "{turn}");
    let tps = recorder
        .pgbench(&[], &turns, 2, std::time::Duration::from_secs(1))
        .await
        .expect("pgbench runs the regrouped statements");
    assert!(tps > 0.0, "{tps}");
    r.finish().await;
}

#[tokio::test]
async fn a_replayed_follow_up_moves_its_tickets_times_to_when_it_is_replayed() {
    let Some(r) = recording("ceiling-follow-up").await else {
        return;
    };
    let (desk, ticket, recorder) = (&r.desk, r.ticket, &r.recorder);
    let follow_up = (
        Method::POST,
        format!("/api/v1/tickets/{ticket}/follow-ups"),
        desk.agent_token.clone(),
        Some(serde_json::json!({ "channel": "chat", "summary": "已联系买家" })),
    );
    let scripts = recorder
        .record(
            "follow-up",
            &follow_up,
            std::slice::from_ref(&follow_up),
            ceiling::Requests::Writes,
        )
        .await
        .expect("recorded");
    let due = || async {
        sqlx::query_as::<_, (DateTime<Utc>, DateTime<Utc>)>(
            "SELECT last_follow_up_at, follow_up_due_at FROM tickets WHERE id = $1",
        )
        .bind(ticket)
        .fetch_one(&desk.app.pool)
        .await
        .expect("ticket")
    };
    let (recorded_at, recorded_due) = due().await;
    let script = std::fs::read_to_string(&scripts[0]).expect("script");
    assert!(script.contains("(now() + interval '"), "{script}");
    let tps = recorder
        .pgbench(&[], &scripts, 1, std::time::Duration::from_secs(1))
        .await
        .expect("pgbench replays the follow-up");
    assert!(tps > 0.0, "{tps}");
    // Replayed a second later, the follow-up wrote its own time and a due time as far from it
    // as the recorded one was from the recorded follow-up: the ticket's indexed due time moved,
    // as a follow-up's of the desk does.
    let (replayed_at, replayed_due) = due().await;
    assert!(replayed_at > recorded_at, "{recorded_at} → {replayed_at}");
    assert!(replayed_due > recorded_due, "{recorded_due} → {replayed_due}");
    let (before, after) = (recorded_due - recorded_at, replayed_due - replayed_at);
    assert!(
        (before - after).num_milliseconds().abs() < 100,
        "{before} against {after}"
    );
    r.finish().await;
}

#[tokio::test]
async fn the_searchs_text_matches_are_prepared_statements_not_parsed_again_at_each_search() {
    let Some(r) = recording("ceiling-search").await else {
        return;
    };
    let (desk, recorder) = (&r.desk, &r.recorder);
    let search = (
        Method::GET,
        format!("/api/v1/shops/{}/search?q=%E7%A0%B4%E6%8D%9F", desk.shop),
        desk.agent_token.clone(),
        None,
    );
    recorder
        .record(
            "search",
            &search,
            std::slice::from_ref(&search),
            ceiling::Requests::Reads,
        )
        .await
        .expect("recorded");
    let log = r.log.clone();
    r.finish().await;
    // Each logged `execute <name>: <text>` with its text's further lines: a prepared statement
    // (`sqlx_s_…`) is parsed and planned once per connection and costs one round trip; an
    // unnamed one is parsed and planned at each run and costs two.
    let text = std::fs::read_to_string(&log).expect("log");
    let mut executed: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(more) = line.strip_prefix('\t') {
            if let Some(last) = executed.last_mut() {
                last.1.push_str(more);
            }
        } else if let Some((_, rest)) = line.split_once("LOG:  execute ") {
            let (name, first) = rest.split_once(": ").unwrap_or((rest, ""));
            executed.push((name.to_string(), first.to_string()));
        } else {
            executed.push((String::new(), String::new()));
        }
    }
    let matches: Vec<&(String, String)> = executed.iter().filter(|(_, sql)| sql.contains("doc @@")).collect();
    assert!(
        matches.len() >= 3,
        "the tickets', buyers' and orders' matches ran: {executed:?}"
    );
    for (name, sql) in matches {
        assert!(name.starts_with("sqlx_s_"), "prepared, not `{name}`: {sql}");
    }
}

#[tokio::test]
async fn the_processor_time_of_a_statement_is_counted_as_postgresqls() {
    let Some(postmaster) = postmaster_pid() else {
        eprintln!("PostgreSQL's processes are known on the embedded cluster: not checked with DATABASE_URL");
        return;
    };
    let (pool, _, _) = fresh_database().await;
    let processes = cpu::Processes {
        server: Some(std::process::id()),
        postmaster: Some(postmaster),
    };
    let before = processes.sample();
    // Some hundreds of milliseconds of one backend's work.
    let counted: i64 = sqlx::query_scalar("SELECT count(*) FROM generate_series(1, 5000000) AS g WHERE g % 7 = 3")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(counted, 714_286);
    let spent = cpu::spent(&before, &processes.sample());
    let postgres = spent.postgres_ms.expect("PostgreSQL's time is read");
    // Other tests share the cluster and this process: their time only adds to each figure.
    assert!(postgres >= 100.0, "the backend's counting is PostgreSQL's: {spent:?}");
    assert!(spent.server_ms.is_some(), "this process's time is read: {spent:?}");
    assert!(spent.machine_busy.is_some_and(|busy| busy > 0.0), "{spent:?}");
}

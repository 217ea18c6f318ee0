//! The timeline partitioned by month: events land in their month's partition, a one-month read
//! plans one partition, rows written before their month had a partition move into it without
//! loss, the partitions keep the append-only guard, and an old month detaches for the archive.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use crate::support::{desk, desk_at};
use aftersales::tickets::{months, repo};

/// Midnight on the first of a month in China Standard Time, the partitions' clock.
fn month_start(year: i32, month: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .expect("offset")
        .with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .expect("date")
        .with_timezone(&Utc)
}

async fn insert_note(
    db: impl sqlx::PgExecutor<'_>,
    shop: aftersales::ids::ShopId,
    ticket: i64,
    at: DateTime<Utc>,
    text: &str,
) {
    sqlx::query(
        "INSERT INTO ticket_events (shop_id, ticket_id, at, actor_id, kind, data) VALUES ($1, $2, $3, NULL, 'note', $4)",
    )
    .bind(shop)
    .bind(ticket)
    .bind(at)
    .bind(json!({ "text": text }))
    .execute(db)
    .await
    .expect("event");
}

/// Where each note of the ticket is stored, oldest first: (partition, text).
async fn homes(pool: &sqlx::PgPool, ticket: i64) -> Vec<(String, String)> {
    // Each partition read by its name (on Citus `tableoid` names a shard of it, not the table).
    let partitions: Vec<String> = sqlx::query_scalar(
        "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'ticket_events'::regclass",
    )
    .fetch_all(pool)
    .await
    .expect("partitions");
    let mut notes: Vec<(chrono::DateTime<chrono::Utc>, i64, String, String)> = Vec::new();
    for partition in partitions {
        let rows: Vec<(chrono::DateTime<chrono::Utc>, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT at, id, data ->> 'text' FROM {partition} WHERE ticket_id = $1 AND kind = 'note'"
        )))
        .bind(ticket)
        .fetch_all(pool)
        .await
        .expect("homes");
        notes.extend(rows.into_iter().map(|(at, id, text)| (at, id, partition.clone(), text)));
    }
    notes.sort();
    notes
        .into_iter()
        .map(|(_, _, partition, text)| (partition, text))
        .collect()
}

/// The relations a plan reads; on Citus, those its tasks read on the workers, each shard named
/// as its table (`ticket_events_2025_04_102345` is `ticket_events_2025_04`).
fn relations(plan: &Value, into: &mut Vec<String>) {
    if let Some(name) = plan.get("Relation Name").and_then(Value::as_str) {
        into.push(name.to_string());
    }
    for child in plan.get("Plans").and_then(Value::as_array).into_iter().flatten() {
        relations(child, into);
    }
    let tasks = plan.pointer("/Distributed Query/Job/Tasks").and_then(Value::as_array);
    for task in tasks.into_iter().flatten() {
        // `Remote Plan` holds the worker's EXPLAIN output: a list of plans.
        let remote = task.get("Remote Plan").and_then(Value::as_array).into_iter().flatten();
        for explained in remote.filter_map(Value::as_array).flatten() {
            let mut read = Vec::new();
            relations(&explained["Plan"], &mut read);
            into.extend(read.into_iter().map(|shard| match shard.rsplit_once('_') {
                Some((table, id)) if id.len() > 4 && id.bytes().all(|b| b.is_ascii_digit()) => table.to_string(),
                _ => shard,
            }));
        }
    }
}

#[tokio::test]
async fn a_month_of_the_timeline_reads_one_partition_and_old_months_detach() {
    // The ticket is opened before the months its events are dated in (a timeline never starts
    // before its ticket: the ticket's page reads from its opening on).
    let desk = desk_at(month_start(2025, 2) + chrono::Duration::days(10)).await;
    let ticket = desk.open("complaint", "quality").await["id"].as_i64().expect("id");
    let pool = &desk.app.pool;

    // The desk's own role gives three months their partitions, as the server does.
    let made = repo::cover_event_months(pool, month_start(2025, 3), month_start(2025, 5))
        .await
        .expect("cover");
    assert_eq!(made, 3);
    assert_eq!(
        repo::cover_event_months(pool, month_start(2025, 3), month_start(2025, 5))
            .await
            .expect("again"),
        0,
        "a covered month is not made twice"
    );
    // The last minute of a month in China is still that month; the next minute is the next.
    let march_last_minute = month_start(2025, 4) - chrono::Duration::minutes(1);
    insert_note(
        pool,
        desk.shop,
        ticket,
        month_start(2025, 3) + chrono::Duration::days(3),
        "三月",
    )
    .await;
    insert_note(pool, desk.shop, ticket, march_last_minute, "三月底").await;
    insert_note(pool, desk.shop, ticket, month_start(2025, 4), "四月").await;
    insert_note(
        pool,
        desk.shop,
        ticket,
        month_start(2025, 5) + chrono::Duration::days(20),
        "五月",
    )
    .await;
    assert_eq!(
        homes(pool, ticket).await,
        [
            ("ticket_events_2025_03", "三月"),
            ("ticket_events_2025_03", "三月底"),
            ("ticket_events_2025_04", "四月"),
            ("ticket_events_2025_05", "五月"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );

    // One month of a shop's timeline: the planner reads April's partition and no other.
    let plan: Value = sqlx::query_scalar(
        "EXPLAIN (FORMAT JSON) SELECT e.id, e.at, e.kind, e.data FROM ticket_events e
         WHERE e.shop_id = $1 AND e.at >= $2 AND e.at < $3 ORDER BY e.at, e.id",
    )
    .bind(desk.shop)
    .bind(month_start(2025, 4))
    .bind(month_start(2025, 5))
    .fetch_one(pool)
    .await
    .expect("explain");
    let mut read = Vec::new();
    relations(&plan[0]["Plan"], &mut read);
    assert_eq!(read, ["ticket_events_2025_04"], "{plan:#}");
    let april: Vec<String> = sqlx::query_scalar(
        "SELECT e.data ->> 'text' FROM ticket_events e
         WHERE e.shop_id = $1 AND e.at >= $2 AND e.at < $3 AND e.kind = 'note' ORDER BY e.at, e.id",
    )
    .bind(desk.shop)
    .bind(month_start(2025, 4))
    .bind(month_start(2025, 5))
    .fetch_all(pool)
    .await
    .expect("april");
    assert_eq!(april, ["四月"]);
    // A month made while the desk runs is readable as its own table by whoever reads the
    // timeline (a backup dumps it), and writable by no one but through the timeline.
    let in_april: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_events_2025_04")
        .fetch_one(pool)
        .await
        .expect("the desk's role reads a month");
    assert_eq!(in_april, 1);
    let refused = sqlx::raw_sql("DELETE FROM ticket_events_2025_04")
        .execute(pool)
        .await
        .expect_err("a month is not the desk's to delete from")
        .to_string();
    // Refused to the desk's own role by its rights; to a role with every right, by the guard.
    let why = if crate::support::desk_has_its_own_role() {
        "permission denied"
    } else {
        "append-only"
    };
    assert!(refused.contains(why), "{refused}");

    // The ticket's page reads its whole timeline across the months.
    let answer = desk
        .app
        .get(&format!("/api/v1/tickets/{ticket}"), &desk.agent_token)
        .await;
    let notes: Vec<&str> = answer.body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "note")
        .filter_map(|e| e["data"]["text"].as_str())
        .collect();
    assert_eq!(notes, ["三月", "三月底", "四月", "五月"]);

    // Not even a superuser empties or rewrites a month in place: each partition carries the
    // append-only guard (detaching it is the way out, below).
    let admin = aftersales::db::pool(desk.app.admin_options.clone(), 1)
        .await
        .expect("pool");
    for statement in [
        "TRUNCATE ticket_events_2025_04",
        "DELETE FROM ticket_events_2025_04",
        "UPDATE ticket_events_2025_04 SET data = '{}'",
        "TRUNCATE ticket_events_other",
    ] {
        let error = sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&admin)
            .await
            .expect_err(statement)
            .to_string();
        assert!(error.contains("append-only"), "{statement}: {error}");
    }
    // The operator archives March: detached, it is a table of its own, out of the timeline.
    sqlx::raw_sql("ALTER TABLE ticket_events DETACH PARTITION ticket_events_2025_03")
        .execute(&admin)
        .await
        .expect("detach");
    let archived: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_events_2025_03")
        .fetch_one(&admin)
        .await
        .expect("archived");
    assert_eq!(archived, 2);
    let left: Vec<String> = homes(pool, ticket).await.into_iter().map(|(_, text)| text).collect();
    assert_eq!(left, ["四月", "五月"]);
    admin.close().await;
}

#[tokio::test]
async fn events_of_a_month_without_its_partition_wait_in_the_default_one_and_move_whole() {
    let desk = desk().await;
    let ticket = desk.open("refund", "quality").await["id"].as_i64().expect("id");
    let pool = &desk.app.pool;

    // Old history (an import reaching back) lands where no month was made.
    let old = month_start(2024, 1) + chrono::Duration::hours(5);
    insert_note(pool, desk.shop, ticket, old, "一月旧账").await;
    insert_note(pool, desk.shop, ticket, old + chrono::Duration::days(40), "二月旧账").await;
    let before = homes(pool, ticket).await;
    assert_eq!(
        before,
        [("ticket_events_other", "一月旧账"), ("ticket_events_other", "二月旧账")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let ids_before: Vec<i64> = sqlx::query_scalar("SELECT id FROM ticket_events WHERE ticket_id = $1 ORDER BY id")
        .bind(ticket)
        .fetch_all(pool)
        .await
        .expect("ids");

    // The server's pass: the clock's months ahead, and the strays' months.
    let made = months::cover(pool, desk.app.now()).await.expect("cover");
    assert!(made >= 2, "{made}");
    assert_eq!(
        homes(pool, ticket).await,
        [
            ("ticket_events_2024_01", "一月旧账"),
            ("ticket_events_2024_02", "二月旧账")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let ids_after: Vec<i64> = sqlx::query_scalar("SELECT id FROM ticket_events WHERE ticket_id = $1 ORDER BY id")
        .bind(ticket)
        .fetch_all(pool)
        .await
        .expect("ids");
    assert_eq!(ids_after, ids_before, "every event kept, with its id");
    let strays: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_events_other")
        .fetch_one(pool)
        .await
        .expect("strays");
    assert_eq!(strays, 0);
    // The clock's month and the next two exist; a second pass makes nothing.
    let now_month = desk
        .app
        .now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset"));
    let name = format!("ticket_events_{}", now_month.format("%Y_%m"));
    let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(&name)
        .fetch_one(pool)
        .await
        .expect("exists");
    assert!(exists, "{name}");
    assert_eq!(months::cover(pool, desk.app.now()).await.expect("again"), 0);

    // A new event of the moved month goes straight to its partition, and the timeline is whole.
    insert_note(pool, desk.shop, ticket, old + chrono::Duration::days(1), "一月补记").await;
    let texts: Vec<String> = homes(pool, ticket).await.into_iter().map(|(_, text)| text).collect();
    assert_eq!(texts, ["一月旧账", "一月补记", "二月旧账"]);
}

#[tokio::test]
async fn two_servers_covering_at_once_both_succeed_and_a_row_written_meanwhile_is_moved_not_lost() {
    let desk = desk().await;
    let ticket = desk.open("complaint", "quality").await["id"].as_i64().expect("id");
    let pool = &desk.app.pool;

    // A writer of a month without its partition holds its transaction open…
    let mut writer = pool.begin().await.expect("begin");
    insert_note(
        &mut *writer,
        desk.shop,
        ticket,
        month_start(2023, 6) + chrono::Duration::days(2),
        "六月",
    )
    .await;
    // …while two servers cover that month and the next at once.
    let first = repo::cover_event_months(pool, month_start(2023, 6), month_start(2023, 7));
    let second = repo::cover_event_months(pool, month_start(2023, 6), month_start(2023, 7));
    let commit = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        writer.commit().await.expect("commit");
    };
    let (first, second, ()) = tokio::join!(first, second, commit);
    let made = first.expect("first cover") + second.expect("second cover");
    assert_eq!(made, 2, "each month made once, by one of them");
    assert_eq!(
        homes(pool, ticket).await,
        [("ticket_events_2023_06".to_string(), "六月".to_string())],
        "the row committed while the month was made is in it"
    );
}

#[tokio::test]
async fn a_cover_waits_for_another_servers_cover_longer_than_for_the_timelines_locks() {
    let desk = desk().await;
    let pool = &desk.app.pool;

    // Another server's cover holds the covers' lock for longer than the 2 s a cover waits for
    // the timeline's own locks (on Citus, making a month on every node takes seconds)…
    let mut other = pool.begin().await.expect("begin");
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('ticket_events_cover'))")
        .execute(&mut *other)
        .await
        .expect("the covers' lock");
    let waiting = repo::cover_event_months(pool, month_start(2022, 3), month_start(2022, 3));
    let finish = async {
        tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
        other.commit().await.expect("commit");
    };
    let (made, ()) = tokio::join!(waiting, finish);
    // …and this one waits its turn and makes the month, instead of failing on a lock timeout.
    assert_eq!(made.expect("the waiting cover"), 1);
    assert_eq!(
        repo::cover_event_months(pool, month_start(2022, 3), month_start(2022, 3))
            .await
            .expect("again"),
        0
    );
}

/// A cover that loses a deadlock is made again. On Citus a node's autovacuum, analysing a
/// month's table while a cover changed the timeline there, deadlocked with it, and the cover
/// failed. Here another session makes such a cycle on purpose: it reads the default partition,
/// which the cover wants alone, and once the cover waits for it, asks for the timeline alone,
/// which the cover has read; PostgreSQL's deadlock check ends the cover's statement (it waited
/// first), and the cover, made again once the other session is done, makes the month.
#[tokio::test]
async fn a_cover_that_loses_a_deadlock_is_made_again() {
    let desk = desk().await;
    let pool = &desk.app.pool;
    let admin = aftersales::db::pool(desk.app.admin_options.clone(), 2)
        .await
        .expect("an admin pool");
    let mut other = admin.begin().await.expect("begin");
    sqlx::query("SELECT count(*) FROM ticket_events_other")
        .execute(&mut *other)
        .await
        .expect("the default partition read");
    let cover = repo::cover_event_months(pool, month_start(2021, 5), month_start(2021, 5));
    let cycle = async {
        // The cover waits for the default partition…
        let mut waited = 0;
        loop {
            let waiting: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'ticket_events_other'::regclass
                                AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
            )
            .fetch_one(&admin)
            .await
            .expect("the locks");
            if waiting {
                break;
            }
            waited += 1;
            assert!(waited < 500, "the cover never waited for the default partition");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // …and this session asks for the timeline, which the cover has read.
        let locked = sqlx::query("LOCK TABLE ticket_events IN ACCESS EXCLUSIVE MODE")
            .execute(&mut *other)
            .await;
        other.rollback().await.expect("rollback");
        locked
    };
    let (made, locked) = tokio::join!(cover, cycle);
    locked.expect("this session had the timeline once the cover's statement ended");
    assert_eq!(made.expect("the cover, made again"), 1);
    assert_eq!(
        repo::cover_event_months(pool, month_start(2021, 5), month_start(2021, 5))
            .await
            .expect("again"),
        0
    );
}

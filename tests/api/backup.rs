//! `aftersales backup` and `aftersales restore` as an operator runs them: every row and every
//! evidence file comes back, and a database that holds something is not overwritten by mistake.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use aftersales::db::embedded::{Cluster, Options};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use sqlx::{ConnectOptions, Connection, PgConnection};

use crate::evidence::{PNG, upload};
use crate::support::{desk, temp_dir};

const BIN: &str = env!("CARGO_BIN_EXE_aftersales");

/// Every table of the schema with its row count, by name (a partitioned table counts its
/// partitions' rows; its partitions, the ledger's, are listed by name with no count).
async fn row_counts(conn: &mut PgConnection) -> Vec<(String, i64)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("tables");
    let partitions: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relispartition ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("partitions");
    let mut counts = Vec::new();
    for table in tables {
        let sql = format!("SELECT count(*) FROM \"{table}\"");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await
            .expect("count");
        counts.push((table, n));
    }
    counts.extend(partitions.into_iter().map(|name| (name, -1)));
    counts
}

/// The SHA-256 of every evidence file's content, by (shop, id), checked against the stored one.
async fn evidence_checksums(conn: &mut PgConnection) -> Vec<(i64, i64, String)> {
    let rows: Vec<(i64, i64, Vec<u8>, Vec<u8>)> =
        sqlx::query_as("SELECT shop_id, id, content, sha256 FROM evidence ORDER BY shop_id, id")
            .fetch_all(&mut *conn)
            .await
            .expect("evidence");
    rows.into_iter()
        .map(|(shop, id, content, stored)| {
            let digest = Sha256::digest(&content);
            assert_eq!(
                digest.as_slice(),
                stored.as_slice(),
                "evidence {id} matches its checksum"
            );
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            (shop, id, hex)
        })
        .collect()
}

fn aftersales(args: &[&str], database_url: Option<&str>, data_dir: &Path) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("AFTERSALES_DATA_DIR", data_dir)
        .env("AFTERSALES_LOG", "warn");
    match database_url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    command.output().expect("run aftersales")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn start_cluster(dir: &Path) -> Cluster {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        Cluster::start(
            &dir,
            &Options {
                unsafe_fast: true,
                // Removed with the test's directory below (the stop script may not remove a
                // directory inside another).
                remove_on_exit: false,
                exclusive: false,
            },
        )
    })
    .await
    .expect("join")
    .expect("start the restored cluster")
}

#[tokio::test]
async fn a_backup_restored_into_a_fresh_data_directory_has_every_row_and_evidence_file() {
    let desk = desk().await;
    let first = desk.open("return", "quality").await["id"].as_i64().expect("id");
    let second = desk.open("complaint", "quality").await["id"].as_i64().expect("id");
    let mut larger = PNG.to_vec();
    larger.extend(std::iter::repeat_n(7u8, 300_000));
    for (id, name, bytes) in [(first, "破损.png", PNG), (second, "包装.png", larger.as_slice())] {
        let (status, body) = upload(&desk, &desk.agent_token, id, name, bytes).await;
        assert_eq!(status, StatusCode::CREATED, "{body:?}");
    }
    let mut source = desk.app.db_options.connect().await.expect("connect");
    let counts = row_counts(&mut source).await;
    let checksums = evidence_checksums(&mut source).await;
    assert_eq!(checksums.len(), 2);
    for table in ["shops", "users", "orders", "tickets", "ticket_events", "evidence"] {
        assert!(
            counts.iter().any(|(name, n)| name == table && *n > 0),
            "{table} has rows: {counts:?}"
        );
    }

    // Back up the running desk's database, as DATABASE_URL names it.
    let work = temp_dir("bk");
    let file = work.join("desk.dump");
    let url = desk.app.db_options.to_url_lossy().to_string();
    let backup = aftersales(&["backup", file.to_str().expect("path")], Some(&url), &work);
    assert!(backup.status.success(), "{}", text(&backup));
    assert!(text(&backup).contains("backup written to"), "{}", text(&backup));
    let mode = std::fs::metadata(&file).expect("backup file").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "only its owner may read a backup");

    // Restore it into an embedded cluster in a directory that does not exist yet.
    let data = work.join("restored");
    let restore = aftersales(&["restore", file.to_str().expect("path")], None, &data);
    assert!(restore.status.success(), "{}", text(&restore));
    let cluster = start_cluster(&data).await;
    let mut restored = PgConnection::connect_with(&cluster.connect_options(aftersales::db::EMBEDDED_DATABASE))
        .await
        .expect("connect to the restored database");
    assert_eq!(row_counts(&mut restored).await, counts);
    assert_eq!(evidence_checksums(&mut restored).await, checksums);

    // The restored database is not empty any more: a second restore is refused without --force,
    // as is a file that is not a backup, and nothing changes.
    let again = aftersales(&["restore", file.to_str().expect("path")], None, &data);
    assert!(!again.status.success());
    assert!(
        text(&again).contains("not empty") && text(&again).contains("--force"),
        "{}",
        text(&again)
    );
    let junk = work.join("junk.dump");
    std::fs::write(&junk, b"not a dump").expect("write junk");
    let refused = aftersales(&["restore", "--force", junk.to_str().expect("path")], None, &data);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("is not a backup"), "{}", text(&refused));
    sqlx::query("DELETE FROM evidence")
        .execute(&mut restored)
        .await
        .expect("change the restored database");

    let forced = aftersales(&["restore", "--force", file.to_str().expect("path")], None, &data);
    assert!(forced.status.success(), "{}", text(&forced));
    assert_eq!(row_counts(&mut restored).await, counts);
    assert_eq!(evidence_checksums(&mut restored).await, checksums);

    restored.close().await.expect("close");
    source.close().await.expect("close");
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .expect("join")
        .expect("stop the restored cluster");
    let _ = std::fs::remove_dir_all(&work);
}

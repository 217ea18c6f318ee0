//! `aftersales backup FILE` and `aftersales restore FILE`: the whole database (evidence files
//! included, they live in it) as one `pg_dump` archive in custom format, and back.
//!
//! The database is the one the server uses: `DATABASE_URL`, or the embedded cluster in the data
//! directory (started for the command if no server runs it, joined if one does). The PostgreSQL
//! tools come from the same place as the embedded cluster's ([`embedded::find_binaries`]) and
//! connect with the same options as the server, handed over in libpq's environment variables so
//! that a password never shows in the process list. The tools may run as root: only the server
//! itself refuses to, and root may use the cluster's socket.
//!
//! A restore goes into an empty database only (a fresh data directory gives one); `--force`
//! first drops every schema of a database that holds something. It runs in one transaction: a
//! restore that fails leaves the database as it found it.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, bail};
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::{ConnectOptions, Connection, PgConnection};
use tokio::process::Command;

use super::embedded;

/// The database a backup reads or a restore writes, and the embedded cluster behind it.
pub struct Target {
    options: PgConnectOptions,
    cluster: Option<embedded::Cluster>,
}

impl Target {
    /// `DATABASE_URL` if given, else the embedded cluster in `data_dir` (created if missing: a
    /// fresh directory is where a restore starts), with the application database in it.
    pub async fn open(database_url: Option<&str>, data_dir: &Path) -> anyhow::Result<Target> {
        match database_url {
            Some(url) => Ok(Target {
                options: url.parse::<PgConnectOptions>()?,
                cluster: None,
            }),
            None => {
                let dir = data_dir.to_path_buf();
                let cluster =
                    tokio::task::spawn_blocking(move || embedded::Cluster::start(&dir, &embedded::Options::default()))
                        .await??;
                super::ensure_database(&cluster.connect_options("postgres"), super::EMBEDDED_DATABASE).await?;
                Ok(Target {
                    options: cluster.connect_options(super::EMBEDDED_DATABASE),
                    cluster: Some(cluster),
                })
            }
        }
    }

    /// Stops the embedded cluster if this command started it.
    pub async fn close(self) -> anyhow::Result<()> {
        if let Some(cluster) = self.cluster {
            tokio::task::spawn_blocking(move || cluster.stop()).await??;
        }
        Ok(())
    }

    fn database(&self) -> &str {
        self.options.get_database().unwrap_or("postgres")
    }

    /// A PostgreSQL tool with the connection in its environment.
    fn tool(&self, name: &str) -> anyhow::Result<Command> {
        let program = embedded::find_binaries()?.join(name);
        if !program.is_file() {
            bail!("{name} was not found beside initdb in {}", program.display());
        }
        let options = &self.options;
        let mut command = Command::new(program);
        let host = match options.get_socket() {
            Some(socket) => socket.display().to_string(),
            None => options.get_host().to_string(),
        };
        command
            .env("PGHOST", host)
            .env("PGPORT", options.get_port().to_string())
            .env("PGUSER", options.get_username())
            .env("PGDATABASE", self.database())
            .env("PGSSLMODE", ssl_mode(options.get_ssl_mode()))
            .env("PGAPPNAME", "aftersales-backup")
            .stdin(Stdio::null());
        // The options hold the password given in DATABASE_URL (or PGPASSWORD); the URL they
        // print has it percent-encoded.
        if let Some(password) = options.to_url_lossy().password() {
            let password = percent_encoding::percent_decode_str(password).decode_utf8_lossy();
            command.env("PGPASSWORD", password.as_ref());
        }
        Ok(command)
    }

    async fn connect(&self) -> anyhow::Result<PgConnection> {
        PgConnection::connect_with(&self.options)
            .await
            .with_context(|| format!("cannot connect to the database `{}`", self.database()))
    }
}

fn ssl_mode(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupSummary {
    pub file: PathBuf,
    pub bytes: u64,
}

/// Writes the whole database to `file` (pg_dump custom format). The file is readable by its
/// owner only (it holds buyers' details and password hashes), written beside the target under a
/// temporary name and renamed when complete, so `file` is never half a backup.
pub async fn backup(target: &Target, file: &Path) -> anyhow::Result<BackupSummary> {
    let partial = partial_name(file);
    let out = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    let result = target
        .tool("pg_dump")?
        .args(["--format=custom", "--no-password"])
        .stdout(out)
        .stderr(Stdio::piped())
        // `spawn`, not `output`: `output` would capture stdout instead of writing the file.
        .spawn()
        .context("cannot run pg_dump");
    let result = match result {
        Ok(child) => child.wait_with_output().await.context("pg_dump did not finish"),
        Err(error) => Err(error),
    };
    let output = match result {
        Ok(output) => output,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(error);
        }
    };
    if !output.status.success() {
        let _ = std::fs::remove_file(&partial);
        bail!("pg_dump failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, file).with_context(|| format!("cannot rename the backup to {}", file.display()))?;
    let bytes = std::fs::metadata(file)?.len();
    Ok(BackupSummary {
        file: file.to_path_buf(),
        bytes,
    })
}

fn partial_name(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_os_string();
    name.push(".partial");
    PathBuf::from(name)
}

/// What a restore did.
#[derive(Debug)]
pub struct RestoreSummary {
    pub database: String,
    /// Tables in the database afterwards.
    pub tables: i64,
    /// Tables dropped first (with `--force`).
    pub replaced: i64,
}

/// The archive's table of contents (`pg_restore --list`) without the entries of the Citus
/// extensions, or `None` when it has none.
fn leave_out_citus(contents: &str) -> Option<String> {
    let citus = |line: &str| {
        ["EXTENSION - ", "COMMENT - EXTENSION "].iter().any(|kind| {
            line.split_once(kind)
                .is_some_and(|(_, rest)| matches!(rest.split_whitespace().next(), Some("citus" | "citus_columnar")))
        })
    };
    if !contents.lines().any(citus) {
        return None;
    }
    Some(
        contents
            .lines()
            .filter(|line| !citus(line))
            .map(|line| format!("{line}\n"))
            .collect(),
    )
}

/// Tables, views and sequences outside PostgreSQL's own schemas.
const USER_RELATIONS: &str = "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

/// Loads a backup into the target database, which must be empty unless `force`.
pub async fn restore(target: &Target, file: &Path, force: bool) -> anyhow::Result<RestoreSummary> {
    if !file.is_file() {
        bail!("no backup file at {}", file.display());
    }
    // Read the archive's table of contents before touching the database.
    let listing = target
        .tool("pg_restore")?
        .arg("--list")
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .context("cannot run pg_restore")?;
    if !listing.status.success() {
        bail!(
            "{} is not a backup made by `aftersales backup` (pg_dump custom format): {}",
            file.display(),
            String::from_utf8_lossy(&listing.stderr).trim()
        );
    }

    let mut conn = target.connect().await?;
    let existing: i64 = sqlx::query_scalar(USER_RELATIONS).fetch_one(&mut conn).await?;
    if existing > 0 && !force {
        bail!(
            "the database `{}` is not empty ({existing} tables, views or sequences); restore into a fresh \
             data directory or an empty database, or pass --force to replace everything in it",
            target.database()
        );
    }
    if existing > 0 {
        drop_everything(&mut conn).await?;
    }

    // A backup of a Citus coordinator restores as one PostgreSQL's database: the extension is
    // left out (it loads only where the server preloads it), and the tables come back as plain
    // tables, holding every shard's rows (`aftersales distribute` spreads them again).
    let contents = String::from_utf8_lossy(&listing.stdout);
    let without_citus = leave_out_citus(&contents);
    let mut restoring = target.tool("pg_restore")?;
    restoring
        .args([
            "--no-password",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
        ])
        .arg(format!("--dbname={}", target.database()));
    if without_citus.is_some() {
        restoring.arg("--use-list=/dev/stdin").stdin(Stdio::piped());
    }
    let mut child = restoring
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run pg_restore")?;
    if let (Some(list), Some(mut stdin)) = (without_citus, child.stdin.take()) {
        use tokio::io::AsyncWriteExt;
        stdin.write_all(list.as_bytes()).await?;
        // Closed: pg_restore reads the list to its end.
        drop(stdin);
    }
    let output = child.wait_with_output().await.context("cannot run pg_restore")?;
    if !output.status.success() {
        bail!(
            "pg_restore failed, nothing was restored: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    // In the embedded cluster, what was restored is handed to the desk's role and the
    // append-only tables sealed, as at every start (and any newer migration applied).
    if target.cluster.is_some() {
        super::migrate_as_app(&mut conn).await?;
    }
    // A restore brings no planner statistics; the queue's plans need them.
    sqlx::query("ANALYZE").execute(&mut conn).await?;
    // A server still running on the database forgets the tokens' holders it kept.
    crate::auth::held::announce(&mut conn).await?;
    let tables: i64 = sqlx::query_scalar(USER_RELATIONS).fetch_one(&mut conn).await?;
    conn.close().await?;
    Ok(RestoreSummary {
        database: target.database().to_string(),
        tables,
        replaced: existing,
    })
}

/// Drops every schema but PostgreSQL's own and recreates an empty `public`, in one transaction.
async fn drop_everything(conn: &mut PgConnection) -> anyhow::Result<()> {
    let mut tx = conn.begin().await?;
    let schemas: Vec<String> = sqlx::query_scalar(
        "SELECT nspname FROM pg_namespace
         WHERE nspname NOT IN ('pg_catalog', 'information_schema')
           AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%'",
    )
    .fetch_all(&mut *tx)
    .await?;
    for schema in schemas {
        // Names cannot be bound; this one comes from the catalogue and is quoted as an identifier.
        let sql = format!("DROP SCHEMA \"{}\" CASCADE", schema.replace('"', "\"\""));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
    }
    sqlx::query("CREATE SCHEMA public").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_is_written_under_a_temporary_name_beside_the_file() {
        assert_eq!(
            partial_name(Path::new("/var/backups/desk-2026-12-01.dump")),
            PathBuf::from("/var/backups/desk-2026-12-01.dump.partial")
        );
    }

    #[test]
    fn a_citus_coordinators_backup_is_restored_without_the_extension() {
        let listing = ";\n; Archive created at 2026-12-03 02:00:00 UTC\n;\n\
            3; 3079 16385 EXTENSION - citus \n\
            4852; 0 0 COMMENT - EXTENSION citus \n\
            5; 3079 16400 EXTENSION - citus_columnar \n\
            6; 3079 16401 EXTENSION - citusish \n\
            230; 1259 16500 TABLE public tickets aftersales_app\n\
            231; 1259 16501 TABLE public citus_notes aftersales_app\n";
        assert_eq!(
            leave_out_citus(listing).as_deref(),
            Some(
                ";\n; Archive created at 2026-12-03 02:00:00 UTC\n;\n\
                 6; 3079 16401 EXTENSION - citusish \n\
                 230; 1259 16500 TABLE public tickets aftersales_app\n\
                 231; 1259 16501 TABLE public citus_notes aftersales_app\n"
            )
        );
        assert_eq!(
            leave_out_citus("230; 1259 16500 TABLE public tickets aftersales_app\n"),
            None
        );
    }
}

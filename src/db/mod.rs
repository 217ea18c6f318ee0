//! The database: where it is (the embedded cluster or `DATABASE_URL`), the pool, migrations.

pub mod backup;
pub mod embedded;

use std::path::Path;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// The migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The database the process uses, and the embedded cluster behind it if there is one.
pub struct Database {
    pub pool: PgPool,
    pub cluster: Option<embedded::Cluster>,
}

/// The name of the application database inside the embedded cluster.
pub const EMBEDDED_DATABASE: &str = "aftersales";

/// Opens a pool with the settings the server uses.
pub async fn pool(options: PgConnectOptions, max_connections: u32) -> sqlx::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        // Fail fast when the database is down: requests get 503 instead of hanging.
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options.application_name("aftersales"))
        .await
}

/// Opens the database: `DATABASE_URL` if given, else the embedded cluster in `data_dir`
/// (started if it is not running), and applies the migrations.
pub async fn open(database_url: Option<&str>, data_dir: &Path, max_connections: u32) -> anyhow::Result<Database> {
    let (options, cluster) = match database_url {
        Some(url) => (url.parse::<PgConnectOptions>()?, None),
        None => {
            let dir = data_dir.to_path_buf();
            let cluster =
                tokio::task::spawn_blocking(move || embedded::Cluster::start(&dir, &embedded::Options::default()))
                    .await??;
            create_database_if_missing(&cluster, EMBEDDED_DATABASE).await?;
            (cluster.connect_options(EMBEDDED_DATABASE), Some(cluster))
        }
    };
    let pool = pool(options, max_connections).await?;
    MIGRATOR.run(&pool).await?;
    Ok(Database { pool, cluster })
}

/// Creates `name` in the embedded cluster unless it exists.
pub async fn create_database_if_missing(cluster: &embedded::Cluster, name: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect_with(&cluster.connect_options("postgres")).await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut conn)
        .await?;
    if !exists {
        // Database names cannot be bound as parameters; `name` is one of our own constants.
        let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', ""));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await?;
    }
    conn.close().await?;
    Ok(())
}

impl Database {
    /// Closes the pool and stops the embedded cluster if this process started it.
    pub async fn close(self) -> anyhow::Result<()> {
        self.pool.close().await;
        if let Some(cluster) = self.cluster {
            tokio::task::spawn_blocking(move || cluster.stop()).await??;
        }
        Ok(())
    }
}

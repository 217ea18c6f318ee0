//! The embedded database: a private PostgreSQL cluster started from the machine's own binaries.
//!
//! `aftersales serve` without `DATABASE_URL` keeps its data in a directory (default `./data`):
//! the cluster in `pgdata/`, its Unix socket in `run/`, its log in `postgres.log`. No TCP port is
//! opened. PostgreSQL refuses to run as root, so as root every PostgreSQL command runs through
//! `runuser -u postgres` and the directory is handed to that user.
//!
//! A cluster we start is stopped by [`Cluster::stop`]; should the process die first, a small
//! watchdog shell (blocked reading a pipe from us) sees the pipe close and stops it, so no
//! PostgreSQL process is ever left behind. A cluster that was already running (another
//! `aftersales` command owns it) is used as it is and left running.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnectOptions;

/// The superuser and database names inside the private cluster.
pub const SUPERUSER: &str = "aftersales";
/// Unix socket paths are limited to about 107 bytes (`sun_path`).
const MAX_SOCKET_PATH: usize = 100;
const PORT: u16 = 5432;

/// Why the embedded database could not be started.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "no PostgreSQL server binaries (initdb, pg_ctl) were found on PATH or under \
         /usr/lib/postgresql/*/bin. Install PostgreSQL (Debian/Ubuntu: `apt-get install postgresql`) \
         or set DATABASE_URL to use an existing PostgreSQL server."
    )]
    NoBinaries,
    #[error(
        "running as root, PostgreSQL must run as the `postgres` user, which does not exist here. \
         Install the distribution's postgresql package (it creates the user) or run as an ordinary user."
    )]
    NoPostgresUser,
    #[error(
        "the data directory {0} cannot be used by the `postgres` user (a parent directory is closed \
         to it). Choose a data directory it can reach, e.g. `--data-dir /var/lib/aftersales`."
    )]
    Unreachable(PathBuf),
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// How to start the cluster.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Turn off fsync: for throw-away test clusters only.
    pub unsafe_fast: bool,
    /// Delete the whole directory once the cluster has stopped (test clusters).
    pub remove_on_exit: bool,
}

/// A running PostgreSQL cluster in a data directory.
#[derive(Debug)]
pub struct Cluster {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    bin_dir: PathBuf,
    as_postgres_user: bool,
    /// Present when this process started the cluster: closing it stops the cluster.
    watchdog: Option<(Child, ChildStdin)>,
}

impl Cluster {
    /// Starts (or joins) the cluster in `data_dir`, creating it on first use.
    pub fn start(data_dir: &Path, options: &Options) -> Result<Cluster, EmbeddedError> {
        let bin_dir = find_binaries()?;
        std::fs::create_dir_all(data_dir)?;
        let data_dir = data_dir.canonicalize()?;
        let as_postgres_user = is_root();
        let socket_dir = socket_dir_for(&data_dir);
        std::fs::create_dir_all(&socket_dir)?;

        let mut cluster = Cluster {
            data_dir,
            socket_dir,
            bin_dir,
            as_postgres_user,
            watchdog: None,
        };
        if cluster.as_postgres_user {
            cluster.hand_to_postgres_user()?;
        }
        if !cluster.pgdata().join("PG_VERSION").exists() {
            cluster.init()?;
        }
        if cluster.is_running() {
            tracing::info!(data_dir = %cluster.data_dir.display(), "using the PostgreSQL cluster that is already running");
            return Ok(cluster);
        }
        // A crash can leave a stale pid file behind; pg_ctl start copes with that itself.
        cluster.launch(options)?;
        Ok(cluster)
    }

    /// Connection options for `database` over the cluster's socket.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(PORT)
            .username(SUPERUSER)
            .database(database)
    }

    /// Stops the cluster if this process started it, waiting until PostgreSQL has exited.
    pub fn stop(mut self) -> Result<(), EmbeddedError> {
        if let Some((mut child, mut stdin)) = self.watchdog.take() {
            // Any byte, or closing the pipe, tells the watchdog to stop the cluster.
            let _ = stdin.write_all(b"stop\n");
            drop(stdin);
            let status = child.wait()?;
            if !status.success() {
                return Err(EmbeddedError::Command {
                    what: "stopping PostgreSQL".into(),
                    detail: format!("the stop script exited with {status}"),
                });
            }
        }
        Ok(())
    }

    fn pgdata(&self) -> PathBuf {
        self.data_dir.join("pgdata")
    }

    fn log_file(&self) -> PathBuf {
        self.data_dir.join("postgres.log")
    }

    fn tool(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// A command for a PostgreSQL tool, run as the `postgres` user when we are root.
    fn command(&self, program: &Path) -> Command {
        if self.as_postgres_user {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        }
    }

    fn hand_to_postgres_user(&self) -> Result<(), EmbeddedError> {
        let known = Command::new("id")
            .args(["-u", "postgres"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        if !known.success() {
            return Err(EmbeddedError::NoPostgresUser);
        }
        for dir in [&self.data_dir, &self.socket_dir] {
            run(
                Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir),
                "chown of the data directory",
            )?;
        }
        let reachable = self
            .command(Path::new("test"))
            .arg("-w")
            .arg(&self.data_dir)
            .stderr(Stdio::null())
            .status()?;
        if !reachable.success() {
            return Err(EmbeddedError::Unreachable(self.data_dir.clone()));
        }
        Ok(())
    }

    fn init(&self) -> Result<(), EmbeddedError> {
        tracing::info!(data_dir = %self.data_dir.display(), "creating a new PostgreSQL cluster");
        run(
            self.command(&self.tool("initdb")).arg("-D").arg(self.pgdata()).args([
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-instructions",
            ]),
            "initdb",
        )
    }

    fn is_running(&self) -> bool {
        self.command(&self.tool("pg_ctl"))
            .arg("status")
            .arg("-D")
            .arg(self.pgdata())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    fn launch(&mut self, options: &Options) -> Result<(), EmbeddedError> {
        let mut server_options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -c port={PORT} -c max_connections=200",
            self.socket_dir.display()
        );
        if options.unsafe_fast {
            server_options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        run(
            self.command(&self.tool("pg_ctl"))
                .arg("start")
                .arg("-D")
                .arg(self.pgdata())
                .arg("-l")
                .arg(self.log_file())
                .args(["-w", "-t", "120", "-o", &server_options])
                .stdout(Stdio::null())
                // Its own process group: a Ctrl-C in the terminal reaches us, and we stop the
                // cluster in order, instead of the signal hitting PostgreSQL directly.
                .process_group(0),
            "starting PostgreSQL (see postgres.log in the data directory)",
        )?;

        // $0 = pg_ctl, $1 = the cluster, $2 and $3 = directories to remove afterwards.
        let mut script = String::from("read _ignored; \"$0\" stop -D \"$1\" -m fast -w -t 120 >/dev/null");
        let mut args: Vec<String> = vec![
            self.tool("pg_ctl").display().to_string(),
            self.pgdata().display().to_string(),
        ];
        if options.remove_on_exit {
            script.push_str(" && rm -rf \"$2\" \"$3\"");
            args.push(self.data_dir.display().to_string());
            args.push(self.socket_dir.display().to_string());
        }
        let mut watchdog = self.command(Path::new("sh"));
        watchdog
            .arg("-c")
            .arg(script)
            .args(args)
            .stdin(Stdio::piped())
            .process_group(0);
        let mut child = watchdog.spawn()?;
        let stdin = child.stdin.take().ok_or_else(|| EmbeddedError::Command {
            what: "starting the PostgreSQL watchdog".into(),
            detail: "no pipe to it".into(),
        })?;
        self.watchdog = Some((child, stdin));
        tracing::info!(data_dir = %self.data_dir.display(), "PostgreSQL started");
        Ok(())
    }
}

/// Finds the directory holding `initdb` and `pg_ctl`: PATH first, then the newest
/// `/usr/lib/postgresql/*/bin`.
pub fn find_binaries() -> Result<PathBuf, EmbeddedError> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_tools(&dir) {
                // Debian links /usr/local/bin tools to the versioned directory; follow the link so
                // that pg_ctl finds its `postgres` beside it.
                let initdb = dir.join("initdb").canonicalize()?;
                return Ok(initdb.parent().map(Path::to_path_buf).unwrap_or(dir));
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_tools(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or(EmbeddedError::NoBinaries)
}

fn socket_dir_for(data_dir: &Path) -> PathBuf {
    let preferred = data_dir.join("run");
    let socket_file_len = preferred.as_os_str().len() + "/.s.PGSQL.5432".len();
    if socket_file_len <= MAX_SOCKET_PATH {
        return preferred;
    }
    // Too long for a socket address: use a short directory named after the data directory.
    let digest = Sha256::digest(data_dir.as_os_str().as_encoded_bytes());
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    std::env::temp_dir().join(format!("aftersales-{short}"))
}

fn is_root() -> bool {
    // `id -u` spares a libc dependency for one call at start-up.
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| out.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

fn run(cmd: &mut Command, what: &str) -> Result<(), EmbeddedError> {
    let output = cmd.stdin(Stdio::null()).output()?;
    if output.status.success() {
        return Ok(());
    }
    let mut detail = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if detail.is_empty() {
        detail = format!("exited with {}", output.status);
    }
    Err(EmbeddedError::Command {
        what: what.to_string(),
        detail,
    })
}

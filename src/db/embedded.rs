//! The embedded database: a private PostgreSQL cluster started from the machine's own binaries.
//!
//! `aftersales serve` without `DATABASE_URL` keeps its data under a directory (default `./data`):
//! the cluster in `pgdata/`, its Unix socket in `run/`, its log in `log/postgres.log`. No TCP
//! port is opened, and nobody but the desk's own operating-system user can connect: the socket's
//! directory is closed to everyone else (0700), and PostgreSQL accepts only *peer*
//! authentication, mapped from that user to the cluster's two roles — [`SUPERUSER`], for setting
//! up, and [`APP_ROLE`], which the desk works as (see `db::prepare`).
//!
//! PostgreSQL refuses to run as root, so as root every PostgreSQL command runs through `runuser -u
//! postgres` and the directories we create are handed to that user — only those: nothing the
//! desk did not create changes owner. When the `postgres` user cannot reach the data directory
//! (a clone under root's home, a private temporary folder), the cluster lives under
//! [`ROOT_FALLBACK`] instead, in a folder named after the data directory, and
//! [`Cluster::home`] says where.
//!
//! A cluster we start is stopped by [`Cluster::stop`]; should the process die first, a small
//! watchdog shell (blocked reading a pipe from us) sees the pipe close and stops it, so no
//! PostgreSQL process is ever left behind. The watchdog also holds the server lock
//! ([`Options::exclusive`]) until PostgreSQL has stopped, so that a server started right after a
//! `kill -9` waits for the old cluster to go instead of joining it as it dies. A cluster that was
//! already running (another `aftersales` command owns it) is used as it is and left running.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnectOptions;

/// The cluster's superuser: used to set the database up, never by the desk's requests.
pub const SUPERUSER: &str = "aftersales";
/// The role the desk works as: it owns the application's tables, and is not a superuser.
pub const APP_ROLE: &str = "aftersales_app";
/// Where the cluster of a data directory the `postgres` user cannot reach lives, as root.
pub const ROOT_FALLBACK: &str = "/var/lib/aftersales";
/// Unix socket paths are limited to about 107 bytes (`sun_path`).
const MAX_SOCKET_PATH: usize = 100;
const PORT: u16 = 5432;
/// How long a new server waits for the cluster of a server that just died to stop.
const LOCK_WAIT: Duration = Duration::from_secs(90);

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
    #[error(
        "another `aftersales serve` (process {pid}) is already using the database in {dir}. \
         Stop it first, or give this one another --data-dir."
    )]
    InUse { pid: u32, dir: PathBuf },
    #[error(
        "the database in {0} is still being stopped by a server that exited; it did not stop within \
         90 seconds. See log/postgres.log there, then try again."
    )]
    StillStopping(PathBuf),
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// What the desk's own cluster changes from PostgreSQL's defaults, every commit still flushed
/// to disk before it is answered. A checkpoint at most every 15 minutes or 2 GB of WAL (the
/// defaults: 5 minutes, 1 GB): after each checkpoint a row's first change writes its whole page
/// to the WAL, and on a busy desk that was most of a follow-up's WAL. The WAL's page images
/// compressed ([`Server::wal_compression`]). Memory settings stay PostgreSQL's: a larger `shared_buffers` measured nothing
/// here (docs/PERFORMANCE.md) and would be taken whole at start on the smallest machines, and
/// more room for the WAL than 2 GB would crowd the smallest disks.
const DURABLE_SETTINGS: &str = " -c max_wal_size=2GB -c checkpoint_timeout=15min";

/// How to start the cluster.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Turn off fsync: for throw-away test clusters only.
    pub unsafe_fast: bool,
    /// Delete the whole directory once the cluster has stopped (test clusters).
    pub remove_on_exit: bool,
    /// Take the server lock: one `serve` per cluster. Commands that only join leave it alone.
    pub exclusive: bool,
}

/// A running PostgreSQL cluster in a data directory.
#[derive(Debug)]
pub struct Cluster {
    /// Where `pgdata/`, `run/` and `log/` live: the data directory, or its stand-in under
    /// [`ROOT_FALLBACK`].
    home: PathBuf,
    socket_dir: PathBuf,
    server: Server,
    /// Present when this process started the cluster: closing it stops the cluster.
    watchdog: Option<(Child, ChildStdin)>,
    /// The server lock, while this process holds it ([`Options::exclusive`]).
    lock: Option<File>,
}

/// What it takes to run PostgreSQL commands on the cluster; cheap to clone, for the supervisor.
#[derive(Clone, Debug)]
pub struct Server {
    pgdata: PathBuf,
    log_file: PathBuf,
    bin_dir: PathBuf,
    as_postgres_user: bool,
    server_options: String,
    /// Whether the WAL's page images are compressed (not on throw-away test clusters, which
    /// write none).
    compress_wal: bool,
    /// The `postgres` binary as it was when the cluster was started: size, change time, inode.
    binary: Option<(u64, i64, u64)>,
}

impl Cluster {
    /// Starts (or joins) the cluster for `data_dir`, creating it on first use.
    pub fn start(data_dir: &Path, options: &Options) -> Result<Cluster, EmbeddedError> {
        let mut cluster = Cluster::laid_out(data_dir, options)?;
        if !cluster.server.pgdata.join("PG_VERSION").exists() {
            cluster.init()?;
        }
        if cluster.server.is_running() {
            tracing::info!(home = %cluster.home.display(), "using the PostgreSQL cluster that is already running");
            return Ok(cluster);
        }
        cluster.write_access_rules()?;
        cluster.launch(options)?;
        Ok(cluster)
    }

    /// Starts a hot standby of this cluster in `data_dir` (which must not hold one yet): a copy
    /// streamed over the socket (`pg_basebackup --write-recovery-conf`), started beside it,
    /// read-only, replaying what this cluster writes. For report reads off the primary
    /// (`serve --replica-url`) and the tests that prove them.
    pub fn start_standby(&self, data_dir: &Path, options: &Options) -> Result<Cluster, EmbeddedError> {
        let mut standby = Cluster::laid_out(data_dir, options)?;
        if standby.server.pgdata.join("PG_VERSION").exists() {
            return Err(EmbeddedError::Command {
                what: "copying the cluster for a standby".into(),
                detail: format!("{} holds a cluster already", standby.server.pgdata.display()),
            });
        }
        create_private_dir(&standby.server.pgdata, true, standby.server.as_postgres_user)?;
        run(
            standby
                .server
                .command(&standby.server.tool("pg_basebackup"))
                .arg("-D")
                .arg(&standby.server.pgdata)
                .arg("-h")
                .arg(&self.socket_dir)
                .args(["-p", &PORT.to_string(), "-U", SUPERUSER])
                .args([
                    "--write-recovery-conf",
                    "--wal-method=stream",
                    "--checkpoint=fast",
                    "--no-password",
                ]),
            "copying the cluster for a standby (pg_basebackup)",
        )?;
        standby.write_access_rules()?;
        standby.launch(options)?;
        Ok(standby)
    }

    /// The directories and settings of the cluster for `data_dir`, made ready; nothing started.
    fn laid_out(data_dir: &Path, options: &Options) -> Result<Cluster, EmbeddedError> {
        let bin_dir = find_binaries()?;
        let as_postgres_user = is_root();
        if as_postgres_user && !user_exists("postgres")? {
            return Err(EmbeddedError::NoPostgresUser);
        }
        // The data directory may be the user's own: closed only if we create it, never re-owned.
        // As root we leave it searchable (not readable) by others, so that `postgres` reaches the
        // cluster's own directories inside, which are closed.
        let created = !data_dir.exists();
        create_private_dir(data_dir, false, false)?;
        if created && as_postgres_user {
            std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o711))?;
        }
        let data_dir = data_dir.canonicalize()?;
        let home = if as_postgres_user && !reachable_by_postgres(&data_dir)? {
            let home = fallback_home(&data_dir);
            std::fs::create_dir_all(ROOT_FALLBACK)?;
            create_private_dir(&home, true, true)?;
            tracing::warn!(
                data_dir = %data_dir.display(),
                home = %home.display(),
                "the postgres user cannot reach the data directory; the database lives in {} instead",
                home.display()
            );
            home
        } else {
            data_dir.clone()
        };
        if as_postgres_user && !reachable_by_postgres(&home)? {
            return Err(EmbeddedError::Unreachable(home));
        }
        let lock = if options.exclusive {
            Some(take_lock(&home)?)
        } else {
            None
        };
        let socket_dir = socket_dir_for(&home);
        // Ours: created here, closed to everyone else, handed to the server's user.
        for dir in [&socket_dir, &home.join("log")] {
            create_private_dir(dir, true, as_postgres_user)?;
        }
        let mut server_options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -c unix_socket_permissions=0700 \
             -c port={PORT} -c max_connections=200",
            socket_dir.display()
        );
        if options.unsafe_fast {
            server_options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        } else {
            server_options.push_str(DURABLE_SETTINGS);
        }
        Ok(Cluster {
            socket_dir,
            server: Server {
                pgdata: home.join("pgdata"),
                log_file: home.join("log").join("postgres.log"),
                bin_dir,
                as_postgres_user,
                server_options,
                compress_wal: !options.unsafe_fast,
                binary: None,
            },
            home,
            watchdog: None,
            lock,
        })
    }

    /// Where the cluster lives: the data directory, or its stand-in when the `postgres` user
    /// could not reach that.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The server's log file.
    pub fn log_file(&self) -> &Path {
        &self.server.log_file
    }

    /// The postmaster's process id, from `postmaster.pid` (none when it is not running).
    pub fn postmaster_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.server.pgdata.join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// The directory of the cluster's socket.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// Connection options for `database` as the superuser, over the cluster's socket.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        self.options_as(SUPERUSER, database)
    }

    /// Connection options for `database` as the desk's own role ([`APP_ROLE`]).
    pub fn app_options(&self, database: &str) -> PgConnectOptions {
        self.options_as(APP_ROLE, database)
    }

    fn options_as(&self, role: &str, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(PORT)
            .username(role)
            .database(database)
    }

    /// What the supervisor needs to restart the cluster and notice an upgrade under it.
    pub fn server(&self) -> Server {
        self.server.clone()
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

    fn init(&self) -> Result<(), EmbeddedError> {
        tracing::info!(home = %self.home.display(), "creating a new PostgreSQL cluster");
        create_private_dir(&self.server.pgdata, true, self.server.as_postgres_user)?;
        run(
            self.server
                .command(&self.server.tool("initdb"))
                .arg("-D")
                .arg(&self.server.pgdata)
                .args([
                    "-U",
                    SUPERUSER,
                    "--auth-local=peer",
                    "--auth-host=reject",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-instructions",
                ]),
            "initdb",
        )
    }

    /// Who may connect: over the socket only, by peer authentication, and only the desk's own
    /// operating-system user (and, as root, `postgres`, who owns the files anyway), as the
    /// superuser or the application's role; the same people may stream the cluster to a standby
    /// (as the superuser: the application's role may not replicate). Written at every start, so
    /// that a cluster made by an older version (which trusted every local connection) is closed
    /// too.
    fn write_access_rules(&self) -> Result<(), EmbeddedError> {
        let me = current_user()?;
        let mut users = vec![me];
        if self.server.as_postgres_user {
            users.push("postgres".into());
        }
        let mut ident = String::from("# Written by aftersales at every start: who may connect as which role.\n");
        for user in &users {
            for role in [SUPERUSER, APP_ROLE] {
                ident.push_str(&format!("desk {user} {role}\n"));
            }
        }
        let hba = "# Written by aftersales at every start. No TCP; peer authentication over the socket,\n\
                   # mapped in pg_ident.conf.\nlocal all all peer map=desk\nlocal replication all peer map=desk\n";
        for (name, text) in [("pg_hba.conf", hba), ("pg_ident.conf", ident.as_str())] {
            let path = self.server.pgdata.join(name);
            std::fs::write(&path, text)?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            if self.server.as_postgres_user {
                run(
                    Command::new("chown").arg("postgres:postgres").arg(&path),
                    "handing the access rules to postgres",
                )?;
            }
        }
        Ok(())
    }

    fn launch(&mut self, options: &Options) -> Result<(), EmbeddedError> {
        self.server.start()?;

        // $0 = pg_ctl, $1 = the cluster, $2 and $3 = directories to remove afterwards. `pg_ctl
        // stop -w` returns once the postmaster has removed its pid file, which it does on its way
        // out, before the process is gone (letting go of its shared memory takes a moment more):
        // the script then waits, up to 10 s, until the process has no command line left (gone,
        // or a zombie waiting for whoever reaps it).
        let mut script = String::from(
            "read _ignored; pid=$(head -n 1 \"$1/postmaster.pid\" 2>/dev/null); \
             \"$0\" stop -D \"$1\" -m fast -w -t 120 >/dev/null && \
             for _ in $(seq 200); do \
             [ -n \"$pid\" ] && grep -q . \"/proc/$pid/cmdline\" 2>/dev/null || break; sleep 0.05; done",
        );
        let mut args: Vec<String> = vec![
            self.server.tool("pg_ctl").display().to_string(),
            self.server.pgdata.display().to_string(),
        ];
        if options.remove_on_exit {
            script.push_str(" && rm -rf \"$2\" \"$3\"");
            args.push(self.home.display().to_string());
            args.push(self.socket_dir.display().to_string());
        }
        // The watchdog runs as us (root may remove what `postgres` cannot), stopping the cluster
        // as its owner.
        if self.server.as_postgres_user {
            script = script.replacen("\"$0\" stop", "runuser -u postgres -- \"$0\" stop", 1);
        }
        let mut watchdog = Command::new("sh");
        watchdog
            .arg("-c")
            .arg(script)
            .args(args)
            .stdin(Stdio::piped())
            .process_group(0);
        // The server lock goes with the watchdog (as its standard output, which it never writes):
        // it is released only once PostgreSQL has stopped.
        if let Some(lock) = &self.lock {
            watchdog.stdout(Stdio::from(lock.try_clone()?));
        }
        let mut child = watchdog.spawn()?;
        let stdin = child.stdin.take().ok_or_else(|| EmbeddedError::Command {
            what: "starting the PostgreSQL watchdog".into(),
            detail: "no pipe to it".into(),
        })?;
        self.watchdog = Some((child, stdin));
        tracing::info!(home = %self.home.display(), "PostgreSQL started");
        Ok(())
    }
}

impl Server {
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

    /// Whether PostgreSQL is running on the cluster.
    pub fn is_running(&self) -> bool {
        self.command(&self.tool("pg_ctl"))
            .arg("status")
            .arg("-D")
            .arg(&self.pgdata)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    fn start(&mut self) -> Result<(), EmbeddedError> {
        let mut options = self.server_options.clone();
        if self.compress_wal {
            options.push_str(" -c wal_compression=");
            options.push_str(self.wal_compression());
        }
        // A crash leaves postmaster.pid behind; pg_ctl starts anyway when its process is gone.
        run(
            self.command(&self.tool("pg_ctl"))
                .arg("start")
                .arg("-D")
                .arg(&self.pgdata)
                .arg("-l")
                .arg(&self.log_file)
                .args(["-w", "-t", "120", "-o", &options])
                .stdout(Stdio::null())
                // Its own process group: a Ctrl-C in the terminal reaches us, and we stop the
                // cluster in order, instead of the signal hitting PostgreSQL directly.
                .process_group(0),
            "starting PostgreSQL (see log/postgres.log where the cluster lives)",
        )?;
        self.binary = binary_identity(&self.tool("postgres"));
        Ok(())
    }

    /// How the WAL's page images are compressed: with lz4 where this server was built with it
    /// (asked of the binary itself, `postgres -C`), else with PostgreSQL's own pglz. Every page's
    /// first change after a checkpoint and every page of a new index goes to the WAL whole: on
    /// the generated big shop, a million page images, and pglz was the largest single cost of
    /// writing its rows; with lz4 the generation took a sixth less time (docs/PERFORMANCE.md).
    fn wal_compression(&self) -> &'static str {
        let has_lz4 = self
            .command(&self.tool("postgres"))
            .arg("-D")
            .arg(&self.pgdata)
            .args(["-C", "wal_compression", "-c", "wal_compression=lz4"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if has_lz4 { "lz4" } else { "pglz" }
    }

    /// Starts PostgreSQL again if it is not running (it crashed, or was killed). Returns whether
    /// it had to. The watchdog of the process that started it still stops it at the end.
    pub fn restart_if_down(&mut self) -> Result<bool, EmbeddedError> {
        if self.is_running() {
            return Ok(false);
        }
        tracing::error!(pgdata = %self.pgdata.display(), "PostgreSQL is not running; starting it again");
        self.start()?;
        tracing::warn!("PostgreSQL started again after it stopped unexpectedly");
        Ok(true)
    }

    /// Whether the `postgres` binary changed under the running server (a package upgrade): its
    /// processes then load files of another version, and only a restart of the desk is safe.
    pub fn binary_changed(&self) -> bool {
        match (self.binary, binary_identity(&self.tool("postgres"))) {
            (Some(before), Some(now)) => before != now,
            (Some(_), None) => true,
            _ => false,
        }
    }
}

fn binary_identity(path: &Path) -> Option<(u64, i64, u64)> {
    // Follow links: Debian links the versioned binary.
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.size(), meta.ctime(), meta.ino()))
}

/// Takes the server lock of the cluster at `home`. Another live server holding it is refused;
/// a lock still held by the watchdog of a server that died is waited for.
fn take_lock(home: &Path) -> Result<File, EmbeddedError> {
    let path = home.join("serve.lock");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)?;
    let started = Instant::now();
    let mut said = false;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                file.seek(std::io::SeekFrom::Start(0))?;
                file.read_to_string(&mut text)?;
                if let Ok(pid) = text.trim().parse::<u32>()
                    && pid != std::process::id()
                    && Path::new(&format!("/proc/{pid}")).exists()
                {
                    return Err(EmbeddedError::InUse {
                        pid,
                        dir: home.to_path_buf(),
                    });
                }
                if started.elapsed() > LOCK_WAIT {
                    return Err(EmbeddedError::StillStopping(home.to_path_buf()));
                }
                if !said {
                    tracing::warn!(home = %home.display(), "waiting for the database of a server that exited to stop");
                    said = true;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(std::fs::TryLockError::Error(error)) => return Err(error.into()),
        }
    }
    file.set_len(0)?;
    file.seek(std::io::SeekFrom::Start(0))?;
    writeln!(file, "{}", std::process::id())?;
    file.flush()?;
    Ok(file)
}

/// Creates `dir` (and parents) if missing. A directory we create, or one that is `ours` (the
/// cluster's own sub-directories), is closed to everyone but its owner, and handed to `postgres`
/// when `for_postgres`; anything else is left as it is.
fn create_private_dir(dir: &Path, ours: bool, for_postgres: bool) -> Result<(), EmbeddedError> {
    let existed = dir.exists();
    std::fs::create_dir_all(dir)?;
    if !existed || ours {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    if for_postgres {
        run(
            Command::new("chown").arg("postgres:postgres").arg(dir),
            "handing a directory to postgres",
        )?;
    }
    Ok(())
}

/// Whether the `postgres` user can reach (search) `dir`.
fn reachable_by_postgres(dir: &Path) -> Result<bool, EmbeddedError> {
    Ok(Command::new("runuser")
        .args(["-u", "postgres", "--", "test", "-x"])
        .arg(dir)
        .stderr(Stdio::null())
        .status()?
        .success())
}

/// The stand-in home of a data directory `postgres` cannot reach: named after the directory,
/// the same at every start.
fn fallback_home(data_dir: &Path) -> PathBuf {
    let digest = Sha256::digest(data_dir.as_os_str().as_encoded_bytes());
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let name = data_dir
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "data".into());
    Path::new(ROOT_FALLBACK).join(format!("{name}-{short}"))
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

fn socket_dir_for(home: &Path) -> PathBuf {
    let preferred = home.join("run");
    let socket_file_len = preferred.as_os_str().len() + "/.s.PGSQL.5432".len();
    if socket_file_len <= MAX_SOCKET_PATH {
        return preferred;
    }
    // Too long for a socket address: use a short directory named after the cluster's home.
    let digest = Sha256::digest(home.as_os_str().as_encoded_bytes());
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

fn current_user() -> Result<String, EmbeddedError> {
    let out = Command::new("id").arg("-un").output()?;
    let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if name.is_empty() {
        return Err(EmbeddedError::Command {
            what: "finding the current user".into(),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(name)
}

fn user_exists(name: &str) -> Result<bool, EmbeddedError> {
    Ok(Command::new("id")
        .args(["-u", name])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?
        .success())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binary_replaced_by_a_package_upgrade_is_noticed() {
        let dir = std::env::temp_dir().join(format!("as-binary-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let binary = dir.join("postgres");
        std::fs::write(&binary, b"version 15.14").expect("write");
        let before = binary_identity(&binary);
        assert!(before.is_some());
        assert_eq!(binary_identity(&binary), before, "nothing changed");
        // A package manager writes the new file beside the old one and renames it into place.
        let new = dir.join("postgres.dpkg-new");
        std::fs::write(&new, b"version 15.15").expect("write");
        std::fs::rename(&new, &binary).expect("rename");
        assert_ne!(binary_identity(&binary), before);
        std::fs::remove_file(&binary).expect("remove");
        assert_eq!(binary_identity(&binary), None, "a removed binary is noticed too");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_stand_in_home_is_named_after_the_data_directory_and_stable() {
        let home = fallback_home(Path::new("/root/work/desk/data"));
        assert!(home.starts_with(ROOT_FALLBACK));
        assert!(
            home.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("data-"))
        );
        assert_eq!(home, fallback_home(Path::new("/root/work/desk/data")));
        assert_ne!(home, fallback_home(Path::new("/root/other/data")));
    }
}

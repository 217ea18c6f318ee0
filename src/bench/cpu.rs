//! The processor time a scenario costs, read from `/proc` (Linux) before and after it: the
//! server's, PostgreSQL's (the postmaster and every process it started, those that ended during
//! the scenario included) and how busy the whole machine was: whether a scenario was bound by
//! the processors, and whose time a change has to save.
//!
//! Elsewhere than on Linux every figure is unknown.

use std::path::Path;

/// The processes whose time is counted.
#[derive(Clone, Copy, Debug, Default)]
pub struct Processes {
    pub server: Option<u32>,
    /// PostgreSQL's postmaster (its children are found at each sample).
    pub postmaster: Option<u32>,
}

/// Processor time so far, in clock ticks, each figure as far as it could be read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    server: Option<u64>,
    postgres: Option<u64>,
    /// Ticks the machine's cores were busy, and all ticks.
    machine: Option<(u64, u64)>,
}

/// What a scenario cost between two samples.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Spent {
    /// Milliseconds of processor time.
    pub server_ms: Option<f64>,
    pub postgres_ms: Option<f64>,
    /// The share of the machine's processor time that was busy, 0 to 1.
    pub machine_busy: Option<f64>,
}

impl Spent {
    /// Milliseconds a request of the server's and of PostgreSQL's time.
    pub fn per_request(&self, requests: usize) -> (Option<f64>, Option<f64>) {
        let per = |ms: Option<f64>| ms.filter(|_| requests > 0).map(|ms| ms / requests as f64);
        (per(self.server_ms), per(self.postgres_ms))
    }
}

impl Processes {
    /// Reads the counters now.
    pub fn sample(&self) -> Sample {
        let proc = Path::new("/proc");
        Sample {
            server: self.server.and_then(|pid| read_stat(proc, pid)).map(|s| s.own()),
            postgres: self.postmaster.and_then(|pid| family_ticks(proc, pid)),
            machine: std::fs::read_to_string(proc.join("stat"))
                .ok()
                .and_then(|text| machine_ticks(&text)),
        }
    }
}

/// The cost between `before` and `after`.
pub fn spent(before: &Sample, after: &Sample) -> Spent {
    let ms_per_tick = 1_000.0 / clock_ticks_per_second();
    let delta = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) if b >= a => Some((b - a) as f64 * ms_per_tick),
        _ => None,
    };
    Spent {
        server_ms: delta(before.server, after.server),
        postgres_ms: delta(before.postgres, after.postgres),
        machine_busy: match (before.machine, after.machine) {
            (Some((busy_a, all_a)), Some((busy_b, all_b))) if all_b > all_a && busy_b >= busy_a => {
                Some((busy_b - busy_a) as f64 / (all_b - all_a) as f64)
            }
            _ => None,
        },
    }
}

/// A process's line of `/proc/<pid>/stat`, the fields used here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stat {
    parent: u32,
    /// Its own user and system time.
    user: u64,
    system: u64,
    /// Its children's that ended and were waited for.
    children_user: u64,
    children_system: u64,
}

impl Stat {
    fn own(&self) -> u64 {
        self.user + self.system
    }

    fn with_ended_children(&self) -> u64 {
        self.own() + self.children_user + self.children_system
    }
}

/// Parses a `/proc/<pid>/stat` line. The command name, in parentheses, may hold spaces and
/// parentheses itself: the fields are counted from the last `)`.
fn parse_stat(line: &str) -> Option<Stat> {
    let (_, rest) = line.rsplit_once(')')?;
    // After the name: state (field 3), parent (4), …, utime (14), stime (15), cutime (16),
    // cstime (17).
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let number = |field: usize| fields.get(field - 3)?.parse::<u64>().ok();
    Some(Stat {
        parent: u32::try_from(number(4)?).ok()?,
        user: number(14)?,
        system: number(15)?,
        children_user: number(16)?,
        children_system: number(17)?,
    })
}

fn read_stat(proc: &Path, pid: u32) -> Option<Stat> {
    let line = std::fs::read_to_string(proc.join(pid.to_string()).join("stat")).ok()?;
    parse_stat(&line)
}

/// The time of `root` and of every process it started: those running now, and through its
/// children's counters those that ended (PostgreSQL waits for each backend that exits).
fn family_ticks(proc: &Path, root: u32) -> Option<u64> {
    let mut total = read_stat(proc, root)?.with_ended_children();
    for entry in std::fs::read_dir(proc).ok()?.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else {
            continue;
        };
        // A process may end between the listing and the read: it is counted by its parent.
        if let Some(stat) = read_stat(proc, pid).filter(|stat| stat.parent == root) {
            total += stat.with_ended_children();
        }
    }
    Some(total)
}

/// Busy and all ticks of the machine, from the `cpu` line of `/proc/stat` (user, nice, system,
/// idle, iowait, irq, softirq, steal; the guest fields are already in user's).
fn machine_ticks(proc_stat: &str) -> Option<(u64, u64)> {
    let line = proc_stat.lines().find(|line| line.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|field| field.parse().ok())
        .collect::<Option<_>>()?;
    let all: u64 = fields.iter().sum();
    let idle = fields.get(3)? + fields.get(4).copied().unwrap_or(0);
    Some((all - idle, all))
}

/// The kernel's clock ticks per second (`sysconf(_SC_CLK_TCK)`).
#[cfg(target_os = "linux")]
fn clock_ticks_per_second() -> f64 {
    use std::ffi::{c_int, c_long};
    // <unistd.h> on Linux.
    const SC_CLK_TCK: c_int = 2;
    unsafe extern "C" {
        fn sysconf(name: c_int) -> c_long;
    }
    // SAFETY: sysconf reads a constant of the system and has no other effect.
    let ticks = unsafe { sysconf(SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

#[cfg(not(target_os = "linux"))]
fn clock_ticks_per_second() -> f64 {
    100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_is_read_from_the_last_parenthesis() {
        let line = "4242 (postgres: a (b) c) S 4100 4100 4100 0 -1 4194560 900 0 0 0 \
                    1234 567 89 10 20 0 1 0 555 1000 100 18446744073709551615";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                parent: 4100,
                user: 1234,
                system: 567,
                children_user: 89,
                children_system: 10,
            })
        );
        assert_eq!(parse_stat("4242 (cut short) S 1 2"), None);
        assert_eq!(parse_stat("no parenthesis"), None);
    }

    #[test]
    fn the_machine_is_busy_for_all_but_idle_and_waiting_for_the_disk() {
        let text = "cpu  100 5 50 800 40 3 2 0 7 0\ncpu0 50 2 25 400 20 1 1 0 3 0\nintr 1\n";
        assert_eq!(machine_ticks(text), Some((160, 1_000)));
        assert_eq!(machine_ticks("intr 1\n"), None);
        assert_eq!(machine_ticks("cpu  1 2 x\n"), None);
    }

    #[test]
    fn the_cost_is_the_difference_and_unknown_when_a_figure_is() {
        let ms_per_tick = 1_000.0 / clock_ticks_per_second();
        let before = Sample {
            server: Some(100),
            postgres: Some(1_000),
            machine: Some((500, 2_000)),
        };
        let after = Sample {
            server: Some(150),
            postgres: None,
            machine: Some((1_400, 3_000)),
        };
        let cost = spent(&before, &after);
        assert_eq!(cost.server_ms, Some(50.0 * ms_per_tick));
        assert_eq!(cost.postgres_ms, None);
        assert_eq!(cost.machine_busy, Some(0.9));
        assert_eq!(cost.per_request(25).0, Some(2.0 * ms_per_tick));
        assert_eq!(cost.per_request(0), (None, None));
        // A counter that went backwards (another process took the id) is not a cost.
        let reused = Sample {
            server: Some(10),
            ..after
        };
        assert_eq!(spent(&before, &reused).server_ms, None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_and_the_machine_are_read() {
        let me = Processes {
            server: Some(std::process::id()),
            postmaster: Some(std::process::id()),
        };
        let sample = me.sample();
        assert!(sample.server.is_some(), "{sample:?}");
        assert!(sample.postgres.is_some(), "a process and its children: {sample:?}");
        assert!(sample.postgres >= sample.server);
        assert!(sample.machine.is_some_and(|(busy, all)| busy <= all), "{sample:?}");
        let gone = Processes {
            server: Some(u32::MAX),
            postmaster: None,
        };
        assert_eq!(gone.sample().server, None);
    }
}

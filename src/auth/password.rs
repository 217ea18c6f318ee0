//! Password hashing with argon2id (the crate's defaults: m=19 MiB, t=2, p=1, OWASP's minimum).

use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, LazyLock, Mutex};

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Threads that do the password work.
const THREADS: usize = 2;

type Job = Box<dyn FnOnce() + Send>;

/// The queue to the password threads, started on first use.
static QUEUE: LazyLock<Sender<Job>> = LazyLock::new(|| {
    let (sender, receiver) = channel::<Job>();
    let receiver = Arc::new(Mutex::new(receiver));
    for n in 0..THREADS {
        let receiver = Arc::clone(&receiver);
        let started = std::thread::Builder::new()
            .name(format!("password-{n}"))
            .spawn(move || {
                loop {
                    // The lock is held while waiting, so one thread waits at a time; it is let go
                    // as soon as a job arrives.
                    let job = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match job {
                        // A job that panics loses its answer (the caller is told), not the thread.
                        Ok(job) => {
                            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                                tracing::error!("password work panicked (see the message above)");
                            }
                        }
                        Err(_) => return,
                    }
                }
            });
        if let Err(error) = started {
            tracing::error!(%error, "cannot start a password thread");
        }
    }
    sender
});

/// Runs password work (Argon2: tens of milliseconds and 19 MiB each) on the desk's own
/// password threads, off the async workers. However many people sign in at once, at most
/// [`THREADS`] hashes run: a burst of sign-ins queues instead of taking 19 MiB each and every
/// core from the desk's requests (`main` has the allocator give the memory back after). The
/// work is queued at the call, as `spawn_blocking` does; the answer comes when the returned
/// future is awaited.
pub fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> impl Future<Output = anyhow::Result<T>> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    let queued = QUEUE.send(Box::new(move || {
        // Whoever asked is gone (the request was dropped): the work would be for no one.
        if !answer.is_closed() {
            let _ = answer.send(work());
        }
    }));
    async move {
        queued.map_err(|_| anyhow::anyhow!("the password threads are gone"))?;
        answered.await.map_err(|_| anyhow::anyhow!("the password work failed"))
    }
}

/// Hashes a password into a PHC string (`$argon2id$v=19$...`).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let hashed = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))?;
    Ok(hashed.to_string())
}

/// Whether `password` matches the stored PHC string. A malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), stored).is_ok()
}

/// A hash of a random password that nobody knows: verifying against it costs the same time as
/// a real one, so a wrong login name cannot be told from a wrong password by timing.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        hash(&super::tokens::random_token()).unwrap_or_else(|_| "$argon2id$invalid".to_string())
    });
    &DECOY
}

/// The fewest characters a password may have.
pub const MIN_LENGTH: usize = 10;

/// Passwords every guesser tries first (compared without regard to case). The short ones are
/// refused for their length anyway; they are here so the list reads as what it is.
const COMMON: &[&str] = &[
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "12345678910",
    "0123456789",
    "111111",
    "000000",
    "666666",
    "888888",
    "123123",
    "654321",
    "987654321",
    "9876543210",
    "password",
    "password1",
    "password12",
    "password123",
    "password1234",
    "passw0rd",
    "p@ssw0rd",
    "qwerty",
    "qwerty123",
    "qwertyuiop",
    "qwerty12345",
    "1qaz2wsx",
    "1qaz2wsx3edc",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "q1w2e3r4t5",
    "asdfghjkl",
    "zxcvbnm",
    "abc123",
    "abc123456",
    "abcd1234",
    "a123456",
    "a12345678",
    "a123456789",
    "a1234567890",
    "aa123456",
    "aa12345678",
    "123456a",
    "123456789a",
    "123qwe",
    "123qweasd",
    "qweasdzxc",
    "iloveyou",
    "iloveyou1",
    "iloveyou123",
    "admin",
    "admin123",
    "admin12345",
    "administrator",
    "root1234",
    "welcome",
    "welcome123",
    "letmein",
    "letmein123",
    "changeme",
    "changeme123",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "dragon",
    "monkey",
    "master",
    "superman",
    "trustno1",
    "5201314",
    "52013145201314",
    "5201314520",
    "1314520",
    "woaini",
    "woaini1314",
    "woaini520",
    "woaini123",
    "woaiwojia",
    "iloveyou1314",
    "aini1314",
    "wangyi",
    "taobao",
    "taobao123",
    "tianmao",
    "zhanghao",
    "mima",
    "mima1234",
    "mima123456",
    "mimamima",
    "shouhou",
    "shouhou123",
    "kefu",
    "kefu123456",
];

/// Why a new password is refused. Each says what to do in the catalogue ([`Self::catalogue_key`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeakPassword {
    /// Fewer than [`MIN_LENGTH`] characters.
    TooShort,
    /// On the list of passwords guessers try first, or one character repeated.
    Common,
    /// The login itself.
    SameAsLogin,
}

impl WeakPassword {
    /// The catalogue entry that explains it.
    pub fn catalogue_key(self) -> &'static str {
        match self {
            WeakPassword::TooShort => "password.too_short",
            WeakPassword::Common => "password.common",
            WeakPassword::SameAsLogin => "password.same_as_login",
        }
    }

    /// The explanation in `lang`.
    pub fn message(self, lang: crate::i18n::Lang) -> String {
        crate::i18n::Tr::new(lang, chrono_tz::UTC).f(self.catalogue_key(), &[("min", &MIN_LENGTH)])
    }
}

impl std::fmt::Display for WeakPassword {
    /// In English (the command line's language).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(crate::i18n::Lang::En))
    }
}

impl std::error::Error for WeakPassword {}

/// Checks a new password for the user `login`: long enough, not a common one, not the login.
pub fn check_strength(password: &str, login: &str) -> Result<(), WeakPassword> {
    if password.chars().count() < MIN_LENGTH {
        return Err(WeakPassword::TooShort);
    }
    let folded = password.to_lowercase();
    if folded == login.trim().to_lowercase() {
        return Err(WeakPassword::SameAsLogin);
    }
    let mut chars = folded.chars();
    let first = chars.next();
    if COMMON.contains(&folded.as_str()) || chars.all(|c| Some(c) == first) {
        return Err(WeakPassword::Common);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn password_work_answers_and_a_job_that_panics_does_not_stop_the_threads() {
        for _ in 0..THREADS + 1 {
            let failed = off_thread(|| -> u32 { panic!("a job that fails") }).await;
            assert!(failed.is_err());
        }
        let answers: Vec<_> = (0..4u32).map(|n| off_thread(move || n * 10)).collect();
        let mut got = Vec::new();
        for answer in answers {
            got.push(answer.await.expect("answered"));
        }
        assert_eq!(got, vec![0, 10, 20, 30]);
        let checked = off_thread(|| verify("correct horse", &hash("correct horse").expect("hashes")))
            .await
            .expect("answered");
        assert!(checked);
    }

    #[test]
    fn a_hash_verifies_only_its_own_password() {
        let stored = hash("correct horse").expect("hashes");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse", &stored));
        assert!(!verify("wrong horse", &stored));
        assert!(!verify("correct horse", "not a hash"));
    }

    #[test]
    fn short_passwords_are_refused_counting_characters_not_bytes() {
        assert_eq!(check_strength("123456789", "agent1"), Err(WeakPassword::TooShort));
        assert_eq!(
            check_strength("密码密码密码密码密", "agent1"),
            Err(WeakPassword::TooShort)
        );
        assert!(check_strength("售后工作台的密码很长", "agent1").is_ok());
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        for common in [
            "1234567890",
            "Password123",
            "QWERTYUIOP",
            "woaini1314",
            "a123456789",
            "5201314520",
        ] {
            assert_eq!(check_strength(common, "agent1"), Err(WeakPassword::Common), "{common}");
        }
        assert_eq!(check_strength("aaaaaaaaaaaa", "agent1"), Err(WeakPassword::Common));
        for short in ["123456", "password", "qwerty", "111111", "5201314", "a123456"] {
            assert!(check_strength(short, "agent1").is_err(), "{short}");
        }
    }

    #[test]
    fn the_login_is_not_a_password() {
        assert_eq!(
            check_strength("Supervisor", "supervisor"),
            Err(WeakPassword::SameAsLogin)
        );
    }

    #[test]
    fn the_passwords_of_the_demo_and_the_tests_are_acceptable() {
        for user in crate::demo::USERS {
            assert_eq!(check_strength(user.password, user.login), Ok(()), "{}", user.login);
        }
        assert_eq!(check_strength("password-agent-a", "agent-a"), Ok(()));
        assert_eq!(check_strength("password-x2", "x2"), Ok(()));
    }

    #[test]
    fn every_refusal_is_explained_in_both_languages() {
        for weak in [WeakPassword::TooShort, WeakPassword::Common, WeakPassword::SameAsLogin] {
            assert!(crate::i18n::has(weak.catalogue_key()));
        }
        assert!(WeakPassword::TooShort.to_string().contains("10"));
        assert!(WeakPassword::TooShort.message(crate::i18n::Lang::Zh).contains("10"));
    }
}

//! The time the desk works with: the system's, or an instant a test sets and moves. Services
//! take a `now` from it; nothing else reads the system clock.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};

/// The system clock, or a fixed instant that tests move.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    /// A clock standing at `at` until [`Clock::set`] moves it.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock::Fixed(Arc::new(Mutex::new(at)))
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(at) => match at.lock() {
                Ok(at) => *at,
                Err(poisoned) => *poisoned.into_inner(),
            },
        }
    }

    /// Today in mainland China, whose calendar of working days the desk keeps.
    pub fn today_in_china(&self) -> NaiveDate {
        self.now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
    }

    /// Moves a fixed clock to `at` (a system clock cannot be moved).
    pub fn set(&self, to: DateTime<Utc>) {
        if let Clock::Fixed(at) = self {
            match at.lock() {
                Ok(mut at) => *at = to,
                Err(poisoned) => *poisoned.into_inner() = to,
            }
        }
    }
}

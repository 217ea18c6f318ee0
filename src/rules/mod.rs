//! The rules of after-sales work, as pure functions: no database, no clock, no I/O.
//!
//! Everything here takes facts (statuses, sign times, calendars, `now`) and returns decisions
//! with explanations. The HTTP and database layers call into this module; it never calls out.
//!
//! - [`workflow`]: ticket kinds, statuses and the legal moves between them.
//! - [`reason`]: the reason-code taxonomy (DOMAIN.md §5).
//! - [`seven_day`]: the seven-day no-reason return window (DOMAIN.md §1).
//! - [`calendar`]: working days and statutory holidays (DOMAIN.md §3).
//! - [`follow_up`]: the 24-hour follow-up cycle (DOMAIN.md §2).
//! - [`timers`]: the platform's seller/buyer response timers (DOMAIN.md §4).
//! - [`review`]: a bad review's clocks — the buyer's revision window, the explanation deadline.
//! - [`risk`]: what a supervisor looks at first, and who gets unassigned work.
//! - [`inspection`]: what each goods step of a return or exchange records; the inspection checklist.
//! - [`shipment`]: the carriers and the shape of their tracking numbers.
//! - [`move_details`]: which moves need details typed before they happen.
//! - [`rejection`]: the reasons a request may be refused for.
//! - [`refund`]: how much a refund may be.
//! - [`links`]: which tickets of an order may be linked or merged, and a merged ticket's status.
//! - [`compensation`]: the compensation ledger — limits, maker-checker approval, reversals.

pub mod calendar;
pub mod compensation;
pub mod follow_up;
pub mod inspection;
pub mod knowledge;
pub mod links;
pub mod move_details;
pub mod reason;
pub mod refund;
pub mod rejection;
pub mod review;
pub mod risk;
pub mod seven_day;
pub mod shipment;
pub mod stock;
pub mod timers;
pub mod workflow;

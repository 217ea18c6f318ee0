//! The platform's response timers (DOMAIN.md §4) and the statutory refund deadline: which ones
//! run at the current point of a case, and their countdowns.
//!
//! The durations are per-shop settings with the platform's defaults, because the marketplace
//! changes its published rules from time to time. They run in plain hours (a "day" is 24 h):
//! the platform's clocks do not stop at night or on holidays. The statutory 7 days for the
//! refund (消费者权益保护法 第二十五条第三款) are law, not a setting.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::i18n::Lang;
use crate::rules::workflow::{Position, Status, TicketKind};

/// Days the seller has to refund after the returned parcel is signed for (第二十五条第三款).
pub const STATUTORY_REFUND_DAYS: u32 = 7;

/// The platform timer durations a shop works under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlatformTimers {
    /// The seller answers a refund request on a paid, unshipped order (timeout: the refund
    /// succeeds automatically).
    pub answer_unshipped_hours: u32,
    /// The seller answers a request after shipping (timeout: deemed agreed).
    pub answer_shipped_days: u32,
    /// The same for virtual goods.
    pub answer_shipped_virtual_days: u32,
    /// The buyer ships the return after the seller agreed (timeout: the request closes).
    pub buyer_ship_days: u32,
    /// The seller confirms receipt after the buyer's tracking number (timeout: automatic refund).
    pub seller_confirm_days: u32,
}

impl Default for PlatformTimers {
    fn default() -> Self {
        PlatformTimers {
            answer_unshipped_hours: 48,
            answer_shipped_days: 5,
            answer_shipped_virtual_days: 3,
            buyer_ship_days: 7,
            seller_confirm_days: 10,
        }
    }
}

/// Which clock is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    SellerAnswerUnshipped,
    SellerAnswerShipped,
    BuyerShipReturn,
    SellerConfirmReceipt,
    /// 7 days after the returned parcel is signed for at the seller (law).
    StatutoryRefund,
}

impl TimerKind {
    /// Every kind, in the order a case meets them.
    pub const ALL: [TimerKind; 5] = [
        TimerKind::SellerAnswerUnshipped,
        TimerKind::SellerAnswerShipped,
        TimerKind::BuyerShipReturn,
        TimerKind::SellerConfirmReceipt,
        TimerKind::StatutoryRefund,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            TimerKind::SellerAnswerUnshipped => "seller_answer_unshipped",
            TimerKind::SellerAnswerShipped => "seller_answer_shipped",
            TimerKind::BuyerShipReturn => "buyer_ship_return",
            TimerKind::SellerConfirmReceipt => "seller_confirm_receipt",
            TimerKind::StatutoryRefund => "statutory_refund",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<TimerKind> {
        TimerKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What the countdown is for.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (TimerKind::SellerAnswerUnshipped, Lang::Zh) => "商家处理退款申请（未发货）",
            (TimerKind::SellerAnswerUnshipped, Lang::En) => "Seller answers the refund request (not shipped)",
            (TimerKind::SellerAnswerShipped, Lang::Zh) => "商家处理售后申请（已发货）",
            (TimerKind::SellerAnswerShipped, Lang::En) => "Seller answers the request (shipped)",
            (TimerKind::BuyerShipReturn, Lang::Zh) => "买家寄回退货",
            (TimerKind::BuyerShipReturn, Lang::En) => "Buyer ships the return",
            (TimerKind::SellerConfirmReceipt, Lang::Zh) => "商家确认收货",
            (TimerKind::SellerConfirmReceipt, Lang::En) => "Seller confirms receipt of the return",
            (TimerKind::StatutoryRefund, Lang::Zh) => "商家法定退款期限（收到退货后七日）",
            (TimerKind::StatutoryRefund, Lang::En) => "Statutory refund deadline (7 days after receiving the return)",
        }
    }

    /// What happens when the countdown runs out.
    pub fn on_timeout_label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (TimerKind::SellerAnswerUnshipped, Lang::Zh) => "退款自动达成",
            (TimerKind::SellerAnswerUnshipped, Lang::En) => "The refund succeeds automatically",
            (TimerKind::SellerAnswerShipped, Lang::Zh) => "视为商家同意",
            (TimerKind::SellerAnswerShipped, Lang::En) => "The request is deemed agreed",
            (TimerKind::BuyerShipReturn, Lang::Zh) => "退款申请关闭",
            (TimerKind::BuyerShipReturn, Lang::En) => "The request closes",
            (TimerKind::SellerConfirmReceipt, Lang::Zh) => "系统自动退款",
            (TimerKind::SellerConfirmReceipt, Lang::En) => "The platform refunds automatically",
            (TimerKind::StatutoryRefund, Lang::Zh) => "逾期未退款，违反消费者权益保护法第二十五条",
            (TimerKind::StatutoryRefund, Lang::En) => "The refund is late under Consumer Rights Protection Law art. 25",
        }
    }
}

/// Where a case stands, as far as the timers care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerFacts {
    /// When the buyer made the request.
    pub requested_at: DateTime<Utc>,
    /// Whether the order had shipped when the request was made.
    pub order_shipped: bool,
    /// Virtual goods get the shorter answer time.
    pub virtual_goods: bool,
    /// When the seller agreed (to the return, or to the refund).
    pub agreed_at: Option<DateTime<Utc>>,
    /// When the buyer entered the return's tracking number.
    pub buyer_shipped_at: Option<DateTime<Utc>>,
    /// When the returned parcel was signed for at the seller.
    pub seller_received_at: Option<DateTime<Utc>>,
    /// Whether the seller has answered the request (agreed or refused).
    pub answered: bool,
}

/// One running clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Countdown {
    pub kind: TimerKind,
    /// The instant the timer runs out.
    pub deadline: DateTime<Utc>,
}

impl Countdown {
    /// Time left at `now`; negative once the deadline has passed.
    pub fn remaining(&self, now: DateTime<Utc>) -> TimeDelta {
        self.deadline - now
    }

    /// Whether the timer has run out at `now`: from the deadline instant on (nothing remains).
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.deadline
    }
}

/// The clocks running at this point of the case, in the order the case meets them:
///
/// - until the seller answers (and has not agreed): the answer timer — 48 h on an unshipped
///   order, 5 days after shipping, 3 days for virtual goods;
/// - once the seller agreed to a shipped order's request and until the buyer ships the return:
///   the buyer's 7 days (an unshipped order has nothing to send back);
/// - once the buyer shipped and until the parcel is signed for at the seller: the seller's 10
///   days to confirm receipt (signing for it is the confirmation);
/// - once the parcel is signed for at the seller: the statutory 7 days to refund, instead.
///
/// A case that is closed has no timers; the caller does not ask.
pub fn active_timers(facts: &TimerFacts, timers: &PlatformTimers) -> Vec<Countdown> {
    let mut running = Vec::new();
    if !facts.answered && facts.agreed_at.is_none() {
        running.push(if facts.order_shipped {
            let days = if facts.virtual_goods {
                timers.answer_shipped_virtual_days
            } else {
                timers.answer_shipped_days
            };
            countdown(TimerKind::SellerAnswerShipped, facts.requested_at, days_of(days))
        } else {
            countdown(
                TimerKind::SellerAnswerUnshipped,
                facts.requested_at,
                TimeDelta::hours(i64::from(timers.answer_unshipped_hours)),
            )
        });
    }
    if let Some(agreed_at) = facts.agreed_at
        && facts.order_shipped
        && facts.buyer_shipped_at.is_none()
    {
        running.push(countdown(
            TimerKind::BuyerShipReturn,
            agreed_at,
            days_of(timers.buyer_ship_days),
        ));
    }
    if let Some(shipped_at) = facts.buyer_shipped_at
        && facts.seller_received_at.is_none()
    {
        running.push(countdown(
            TimerKind::SellerConfirmReceipt,
            shipped_at,
            days_of(timers.seller_confirm_days),
        ));
    }
    if let Some(received_at) = facts.seller_received_at {
        running.push(countdown(
            TimerKind::StatutoryRefund,
            received_at,
            days_of(STATUTORY_REFUND_DAYS),
        ));
    }
    running
}

/// The clocks that apply to a ticket of `kind` in `status` — those that can still run out on
/// the seller or the buyer at that point (the facts then say whether and from when they run):
///
/// - `requested`: the seller's answer (refund, return, exchange);
/// - `approved`: the buyer's shipping of the return (return, exchange; a refund-only request
///   expects no goods back);
/// - `buyer_shipped`: the seller's confirmation of receipt;
/// - `received` and `inspection_failed` of a return: the statutory 7 days to refund (an exchange
///   refunds nothing: the replacement is sent instead);
/// - any other status — settled (refunded, replacement sent, rejected, closed), held by the
///   platform, or a kind without platform clocks — none.
///
/// `escalated` without knowing where from: every clock of the kind (an internal escalation does
/// not stop the platform's clocks; [`timers_for_position`] knows where it was held from).
pub fn clocks_for(kind: TicketKind, status: Status) -> &'static [TimerKind] {
    use TimerKind::*;
    const ANSWER: &[TimerKind] = &[SellerAnswerUnshipped, SellerAnswerShipped];
    match (kind, status) {
        (TicketKind::Refund | TicketKind::Return | TicketKind::Exchange, Status::Requested) => ANSWER,
        (TicketKind::Return | TicketKind::Exchange, Status::Approved) => &[BuyerShipReturn],
        (TicketKind::Return | TicketKind::Exchange, Status::BuyerShipped) => &[SellerConfirmReceipt],
        (TicketKind::Return, Status::Received | Status::InspectionFailed) => &[StatutoryRefund],
        (TicketKind::Refund, Status::Escalated) => ANSWER,
        (TicketKind::Return, Status::Escalated) => &TimerKind::ALL,
        (TicketKind::Exchange, Status::Escalated) => &[
            SellerAnswerUnshipped,
            SellerAnswerShipped,
            BuyerShipReturn,
            SellerConfirmReceipt,
        ],
        _ => &[],
    }
}

/// The clocks running for a ticket of `kind` in `status`: those the facts start, of those that
/// still apply ([`clocks_for`]).
pub fn timers_for_ticket(
    kind: TicketKind,
    status: Status,
    facts: &TimerFacts,
    timers: &PlatformTimers,
) -> Vec<Countdown> {
    let applies = clocks_for(kind, status);
    let mut running = active_timers(facts, timers);
    running.retain(|c| applies.contains(&c.kind));
    running
}

/// The clocks running for a ticket at `position`: an escalated ticket keeps the clocks of the
/// status it was escalated from (the platform does not know about the escalation).
pub fn timers_for_position(position: &Position, facts: &TimerFacts, timers: &PlatformTimers) -> Vec<Countdown> {
    let status = match (position.status, position.held_from) {
        (Status::Escalated, Some(back)) => back,
        (status, _) => status,
    };
    timers_for_ticket(position.kind, status, facts, timers)
}

/// The countdown that runs out first (the first listed on a tie): the one to alert on.
pub fn earliest(countdowns: &[Countdown]) -> Option<&Countdown> {
    countdowns.iter().min_by_key(|c| c.deadline)
}

fn days_of(days: u32) -> TimeDelta {
    TimeDelta::hours(24 * i64::from(days))
}

/// A deadline past the end of representable time saturates rather than overflowing.
fn countdown(kind: TimerKind, from: DateTime<Utc>, duration: TimeDelta) -> Countdown {
    Countdown {
        kind,
        deadline: from.checked_add_signed(duration).unwrap_or(DateTime::<Utc>::MAX_UTC),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Asia::Shanghai;
    use proptest::prelude::*;

    fn shanghai(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Shanghai
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("valid Shanghai time")
            .with_timezone(&Utc)
    }

    fn requested() -> DateTime<Utc> {
        shanghai(2025, 3, 10, 10, 0)
    }

    fn facts() -> TimerFacts {
        TimerFacts {
            requested_at: requested(),
            order_shipped: true,
            virtual_goods: false,
            agreed_at: None,
            buyer_shipped_at: None,
            seller_received_at: None,
            answered: false,
        }
    }

    fn kinds(countdowns: &[Countdown]) -> Vec<TimerKind> {
        countdowns.iter().map(|c| c.kind).collect()
    }

    #[test]
    fn the_defaults_are_the_platforms() {
        let timers = PlatformTimers::default();
        assert_eq!(timers.answer_unshipped_hours, 48);
        assert_eq!(timers.answer_shipped_days, 5);
        assert_eq!(timers.answer_shipped_virtual_days, 3);
        assert_eq!(timers.buyer_ship_days, 7);
        assert_eq!(timers.seller_confirm_days, 10);
    }

    #[test]
    fn settings_missing_from_stored_json_take_the_defaults() {
        let timers: PlatformTimers = serde_json::from_str(r#"{"buyer_ship_days": 5}"#).expect("valid settings");
        assert_eq!(timers.buyer_ship_days, 5);
        assert_eq!(timers.seller_confirm_days, 10);
        let round_trip: PlatformTimers =
            serde_json::from_value(serde_json::to_value(timers).expect("serialises")).expect("parses");
        assert_eq!(round_trip, timers);
    }

    #[test]
    fn an_unshipped_order_gives_the_seller_48_hours() {
        let running = active_timers(
            &TimerFacts {
                order_shipped: false,
                ..facts()
            },
            &PlatformTimers::default(),
        );
        assert_eq!(
            running,
            vec![Countdown {
                kind: TimerKind::SellerAnswerUnshipped,
                deadline: shanghai(2025, 3, 12, 10, 0)
            }]
        );
    }

    #[test]
    fn a_shipped_order_gives_the_seller_5_days() {
        let running = active_timers(&facts(), &PlatformTimers::default());
        assert_eq!(
            running,
            vec![Countdown {
                kind: TimerKind::SellerAnswerShipped,
                deadline: shanghai(2025, 3, 15, 10, 0)
            }]
        );
    }

    #[test]
    fn virtual_goods_give_the_seller_3_days() {
        let running = active_timers(
            &TimerFacts {
                virtual_goods: true,
                ..facts()
            },
            &PlatformTimers::default(),
        );
        assert_eq!(running[0].deadline, shanghai(2025, 3, 13, 10, 0));
    }

    #[test]
    fn a_refused_request_has_no_timer() {
        let running = active_timers(
            &TimerFacts {
                answered: true,
                ..facts()
            },
            &PlatformTimers::default(),
        );
        assert!(running.is_empty());
    }

    #[test]
    fn after_agreement_the_buyer_has_7_days_to_ship() {
        let agreed = shanghai(2025, 3, 11, 9, 0);
        let running = active_timers(
            &TimerFacts {
                answered: true,
                agreed_at: Some(agreed),
                ..facts()
            },
            &PlatformTimers::default(),
        );
        assert_eq!(
            running,
            vec![Countdown {
                kind: TimerKind::BuyerShipReturn,
                deadline: shanghai(2025, 3, 18, 9, 0)
            }]
        );
    }

    #[test]
    fn an_agreement_stops_the_answer_timer_even_if_answered_was_not_set() {
        let running = active_timers(
            &TimerFacts {
                agreed_at: Some(shanghai(2025, 3, 11, 9, 0)),
                ..facts()
            },
            &PlatformTimers::default(),
        );
        assert_eq!(kinds(&running), vec![TimerKind::BuyerShipReturn]);
    }

    #[test]
    fn an_agreed_refund_on_an_unshipped_order_has_nothing_to_send_back() {
        let running = active_timers(
            &TimerFacts {
                order_shipped: false,
                answered: true,
                agreed_at: Some(requested()),
                ..facts()
            },
            &PlatformTimers::default(),
        );
        assert!(running.is_empty());
    }

    #[test]
    fn after_the_buyer_ships_the_seller_has_10_days_to_confirm() {
        let running = active_timers(
            &TimerFacts {
                answered: true,
                agreed_at: Some(shanghai(2025, 3, 11, 9, 0)),
                buyer_shipped_at: Some(shanghai(2025, 3, 12, 20, 0)),
                ..facts()
            },
            &PlatformTimers::default(),
        );
        assert_eq!(
            running,
            vec![Countdown {
                kind: TimerKind::SellerConfirmReceipt,
                deadline: shanghai(2025, 3, 22, 20, 0)
            }]
        );
    }

    #[test]
    fn once_the_parcel_is_signed_for_the_statutory_7_days_replace_the_confirm_timer() {
        let running = active_timers(
            &TimerFacts {
                answered: true,
                agreed_at: Some(shanghai(2025, 3, 11, 9, 0)),
                buyer_shipped_at: Some(shanghai(2025, 3, 12, 20, 0)),
                seller_received_at: Some(shanghai(2025, 3, 14, 15, 0)),
                ..facts()
            },
            &PlatformTimers::default(),
        );
        // Signing for the parcel is the confirmation of receipt: that clock has done its work.
        assert_eq!(kinds(&running), vec![TimerKind::StatutoryRefund]);
        assert_eq!(running[0].deadline, shanghai(2025, 3, 21, 15, 0));
        assert_eq!(earliest(&running).map(|c| c.kind), Some(TimerKind::StatutoryRefund));
    }

    #[test]
    fn the_confirm_timer_runs_until_the_parcel_arrives_however_long_it_takes() {
        let in_transit = TimerFacts {
            answered: true,
            agreed_at: Some(shanghai(2025, 3, 11, 9, 0)),
            buyer_shipped_at: Some(shanghai(2025, 3, 12, 20, 0)),
            ..facts()
        };
        let running = active_timers(&in_transit, &PlatformTimers::default());
        assert_eq!(
            earliest(&running).map(|c| (c.kind, c.deadline)),
            Some((TimerKind::SellerConfirmReceipt, shanghai(2025, 3, 22, 20, 0)))
        );
        let late = active_timers(
            &TimerFacts {
                seller_received_at: Some(shanghai(2025, 3, 20, 15, 0)),
                ..in_transit
            },
            &PlatformTimers::default(),
        );
        assert_eq!(
            earliest(&late).map(|c| (c.kind, c.deadline)),
            Some((TimerKind::StatutoryRefund, shanghai(2025, 3, 27, 15, 0)))
        );
    }

    #[test]
    fn timers_do_not_stop_for_holidays() {
        // 5 days from 2025-09-30 10:00 run through National Day.
        let running = active_timers(
            &TimerFacts {
                requested_at: shanghai(2025, 9, 30, 10, 0),
                ..facts()
            },
            &PlatformTimers::default(),
        );
        assert_eq!(running[0].deadline, shanghai(2025, 10, 5, 10, 0));
    }

    #[test]
    fn shop_settings_change_the_durations() {
        let timers = PlatformTimers {
            answer_shipped_days: 2,
            ..PlatformTimers::default()
        };
        assert_eq!(
            active_timers(&facts(), &timers)[0].deadline,
            shanghai(2025, 3, 12, 10, 0)
        );
    }

    #[test]
    fn huge_settings_saturate_instead_of_overflowing() {
        let timers = PlatformTimers {
            answer_shipped_days: u32::MAX,
            ..PlatformTimers::default()
        };
        let far = active_timers(
            &TimerFacts {
                requested_at: DateTime::<Utc>::MAX_UTC,
                ..facts()
            },
            &timers,
        );
        assert_eq!(far[0].deadline, DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn a_countdown_expires_at_its_deadline() {
        let countdown = Countdown {
            kind: TimerKind::BuyerShipReturn,
            deadline: shanghai(2025, 3, 18, 9, 0),
        };
        assert_eq!(countdown.remaining(shanghai(2025, 3, 17, 9, 0)), TimeDelta::hours(24));
        assert!(!countdown.is_expired(shanghai(2025, 3, 18, 8, 59)));
        assert!(countdown.is_expired(shanghai(2025, 3, 18, 9, 0)));
        assert_eq!(countdown.remaining(shanghai(2025, 3, 18, 10, 0)), TimeDelta::hours(-1));
    }

    #[test]
    fn no_countdowns_have_no_earliest() {
        assert_eq!(earliest(&[]), None);
    }

    #[test]
    fn a_tie_goes_to_the_first_listed() {
        let at = shanghai(2025, 3, 18, 9, 0);
        let tied = [
            Countdown {
                kind: TimerKind::SellerConfirmReceipt,
                deadline: at,
            },
            Countdown {
                kind: TimerKind::StatutoryRefund,
                deadline: at,
            },
        ];
        assert_eq!(earliest(&tied).map(|c| c.kind), Some(TimerKind::SellerConfirmReceipt));
    }

    #[test]
    fn kinds_round_trip_and_have_labels_in_both_languages() {
        for kind in TimerKind::ALL {
            assert_eq!(TimerKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).expect("serialises"), kind.as_str());
            for lang in [Lang::Zh, Lang::En] {
                assert!(!kind.label(lang).is_empty());
                assert!(!kind.on_timeout_label(lang).is_empty());
            }
            assert_ne!(kind.label(Lang::Zh), kind.label(Lang::En));
        }
        assert_eq!(TimerKind::parse("nonsense"), None);
    }

    fn any_kind() -> impl Strategy<Value = TicketKind> {
        prop::sample::select(TicketKind::ALL.to_vec())
    }

    proptest! {
        /// Wherever a walk of legal moves stops, every running clock is one that applies there;
        /// the seller's confirmation never runs beside the statutory refund deadline; nothing runs
        /// on a settled or platform-held ticket.
        #[test]
        fn running_clocks_are_those_that_still_apply(kind in any_kind(), steps in prop::collection::vec(0usize..8, 0..20)) {
            let mut path = Vec::new();
            let mut position = Position::new(kind);
            for step in steps {
                let moves = position.allowed_moves();
                if moves.is_empty() { break; }
                let to = moves[step % moves.len()];
                position = position.apply(to, Some(crate::rules::workflow::Resolution::Delivered)).expect("legal");
                path.push(to);
            }
            let (position, facts) = walked(kind, &path);
            let running = kinds(&timers_for_position(&position, &facts, &PlatformTimers::default()));
            let here = match (position.status, position.held_from) {
                (Status::Escalated, Some(back)) => back,
                (status, _) => status,
            };
            for clock in &running {
                prop_assert!(clocks_for(kind, here).contains(clock), "{:?} in {:?}", clock, here);
            }
            prop_assert!(!(running.contains(&TimerKind::SellerConfirmReceipt) && running.contains(&TimerKind::StatutoryRefund)));
            if matches!(here, Status::Closed | Status::Rejected | Status::Refunded | Status::ReplacementShipped | Status::PlatformIntervention) {
                prop_assert!(running.is_empty());
            }
            prop_assert!(running.len() <= 1, "one clock at a time on a walked ticket: {:?}", running);
        }

        #[test]
        fn every_running_timer_ends_after_the_event_that_started_it(
            requested_s in 1_600_000_000i64..1_900_000_000,
            shipped in any::<bool>(),
            virtual_goods in any::<bool>(),
            answered in any::<bool>(),
            agreed_after in proptest::option::of(0i64..1_000_000),
            buyer_after in proptest::option::of(0i64..1_000_000),
            received_after in proptest::option::of(0i64..1_000_000),
        ) {
            let at = |s: i64| DateTime::<Utc>::from_timestamp(s, 0).expect("in range");
            let facts = TimerFacts {
                requested_at: at(requested_s),
                order_shipped: shipped,
                virtual_goods,
                agreed_at: agreed_after.map(|a| at(requested_s + a)),
                buyer_shipped_at: buyer_after.map(|b| at(requested_s + b)),
                seller_received_at: received_after.map(|r| at(requested_s + r)),
                answered,
            };
            let running = active_timers(&facts, &PlatformTimers::default());
            for countdown in &running {
                prop_assert!(countdown.deadline > facts.requested_at);
            }
            if let Some(first) = earliest(&running) {
                prop_assert!(running.iter().all(|c| c.deadline >= first.deadline));
            }
        }
    }

    fn facts_at(requested_at: DateTime<Utc>) -> TimerFacts {
        TimerFacts {
            requested_at,
            order_shipped: true,
            virtual_goods: false,
            agreed_at: None,
            buyer_shipped_at: None,
            seller_received_at: None,
            answered: false,
        }
    }

    #[test]
    fn complaints_and_logistics_cases_have_no_platform_timers() {
        let facts = facts_at(shanghai(2025, 3, 10, 10, 0));
        for kind in [TicketKind::Complaint, TicketKind::Logistics] {
            assert!(timers_for_ticket(kind, Status::Open, &facts, &PlatformTimers::default()).is_empty());
        }
    }

    #[test]
    fn settled_or_platform_held_tickets_have_no_running_timers() {
        let facts = facts_at(shanghai(2025, 3, 10, 10, 0));
        for status in [
            Status::Closed,
            Status::Rejected,
            Status::Refunded,
            Status::PlatformIntervention,
        ] {
            assert!(timers_for_ticket(TicketKind::Return, status, &facts, &PlatformTimers::default()).is_empty());
        }
        let escalated = timers_for_ticket(
            TicketKind::Return,
            Status::Escalated,
            &facts,
            &PlatformTimers::default(),
        );
        assert_eq!(
            escalated.len(),
            1,
            "an internal escalation does not stop the platform's clock"
        );
    }

    /// The facts a ticket gathers walking `path` from its request, an hour a step (as the
    /// ticket service records them).
    fn walked(kind: TicketKind, path: &[Status]) -> (Position, TimerFacts) {
        let mut position = Position::new(kind);
        let mut facts = facts_at(shanghai(2025, 3, 10, 10, 0));
        for (i, &to) in path.iter().enumerate() {
            let at = shanghai(2025, 3, 10, 11, 0) + TimeDelta::hours(i as i64);
            position = position
                .apply(to, Some(crate::rules::workflow::Resolution::Delivered))
                .expect("legal");
            match to {
                Status::Approved => facts.agreed_at = facts.agreed_at.or(Some(at)),
                Status::BuyerShipped => facts.buyer_shipped_at = facts.buyer_shipped_at.or(Some(at)),
                Status::Received => facts.seller_received_at = facts.seller_received_at.or(Some(at)),
                _ => {}
            }
            facts.answered = facts.agreed_at.is_some() || position.status != Status::Requested;
        }
        (position, facts)
    }

    fn running_at(kind: TicketKind, path: &[Status]) -> Vec<TimerKind> {
        let (position, facts) = walked(kind, path);
        kinds(&timers_for_position(&position, &facts, &PlatformTimers::default()))
    }

    #[test]
    fn every_status_of_every_kind_runs_exactly_the_clocks_that_still_apply() {
        use Status::*;
        use TimerKind::*;
        let cases: &[(TicketKind, &[Status], &[TimerKind])] = &[
            (TicketKind::Refund, &[], &[SellerAnswerShipped]),
            (TicketKind::Refund, &[Approved], &[]),
            (TicketKind::Refund, &[Approved, Refunded], &[]),
            (TicketKind::Refund, &[Approved, Refunded, Closed], &[]),
            (TicketKind::Refund, &[Rejected], &[]),
            (TicketKind::Return, &[], &[SellerAnswerShipped]),
            (TicketKind::Return, &[Approved], &[BuyerShipReturn]),
            (TicketKind::Return, &[Approved, BuyerShipped], &[SellerConfirmReceipt]),
            (
                TicketKind::Return,
                &[Approved, BuyerShipped, Received],
                &[StatutoryRefund],
            ),
            (
                TicketKind::Return,
                &[Approved, BuyerShipped, Received, InspectionFailed],
                &[StatutoryRefund],
            ),
            (TicketKind::Return, &[Approved, BuyerShipped, Received, Refunded], &[]),
            (
                TicketKind::Return,
                &[Approved, BuyerShipped, Received, InspectionFailed, Rejected],
                &[],
            ),
            (TicketKind::Return, &[Rejected], &[]),
            (TicketKind::Exchange, &[], &[SellerAnswerShipped]),
            (TicketKind::Exchange, &[Approved], &[BuyerShipReturn]),
            (TicketKind::Exchange, &[Approved, BuyerShipped], &[SellerConfirmReceipt]),
            (TicketKind::Exchange, &[Approved, BuyerShipped, Received], &[]),
            (
                TicketKind::Exchange,
                &[Approved, BuyerShipped, Received, ReplacementShipped],
                &[],
            ),
            // Held: escalated keeps the clocks of where it was; the platform's own decision stops them.
            (
                TicketKind::Return,
                &[Approved, BuyerShipped, Escalated],
                &[SellerConfirmReceipt],
            ),
            (
                TicketKind::Return,
                &[Approved, BuyerShipped, Received, Escalated],
                &[StatutoryRefund],
            ),
            (TicketKind::Return, &[Approved, BuyerShipped, PlatformIntervention], &[]),
            (
                TicketKind::Return,
                &[Approved, BuyerShipped, Received, InspectionFailed, Rejected, Escalated],
                &[],
            ),
            (TicketKind::Complaint, &[], &[]),
            (TicketKind::Logistics, &[], &[]),
            (TicketKind::BadReview, &[], &[]),
        ];
        for (kind, path, expected) in cases {
            assert_eq!(running_at(*kind, path), expected.to_vec(), "{kind:?} after {path:?}");
        }
    }

    #[test]
    fn a_refund_only_request_never_waits_for_goods_to_come_back() {
        let mut facts = facts_at(shanghai(2025, 3, 10, 10, 0));
        facts.answered = true;
        facts.agreed_at = Some(shanghai(2025, 3, 10, 12, 0));
        let refund = timers_for_ticket(TicketKind::Refund, Status::Approved, &facts, &PlatformTimers::default());
        assert!(refund.is_empty());
        let ret = timers_for_ticket(TicketKind::Return, Status::Approved, &facts, &PlatformTimers::default());
        assert_eq!(
            ret.iter().map(|c| c.kind).collect::<Vec<_>>(),
            vec![TimerKind::BuyerShipReturn]
        );
        assert_eq!(ret[0].deadline, shanghai(2025, 3, 17, 12, 0));
    }
}

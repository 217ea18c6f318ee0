//! The compensation ledger's rules: money moved to or from a buyer outside the refund itself —
//! a small payout (小额打款), a coupon (优惠券), a small collection (小额收款, e.g. postage the
//! buyer still owes) — and the shop's limits on what one person may give away alone.
//!
//! Entries are append-only: a booked entry is never changed, a mistake is corrected by a
//! reversing entry that cancels it exactly ([`signed`], [`balance`]). An entry that goes over
//! one of the shop's limits — per entry, per person per day, per buyer per 30 days — is not
//! booked: it waits for someone else's approval (maker-checker, [`may_decide`]). Collections
//! bring money in and never wait; a payout or coupon reversed still counts toward the limits
//! unless someone other than its maker reversed it ([`counted`]), so that no one frees their own
//! limit by reversing their own entries; a collection is not reversed (money given back is a
//! payout, which the limits judge).

use serde::{Deserialize, Serialize};

use crate::ids::UserId;
use crate::money::Fen;

/// How the money moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// 小额打款: money paid to the buyer.
    Payout,
    /// 优惠券: a coupon given to the buyer (counted at its face value).
    Coupon,
    /// 小额收款: money the buyer pays the shop (extra postage, a price difference).
    Collection,
}

impl Method {
    /// Every method, in the order the form offers them.
    pub const ALL: [Method; 3] = [Method::Payout, Method::Coupon, Method::Collection];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Payout => "payout",
            Method::Coupon => "coupon",
            Method::Collection => "collection",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            Method::Payout => "ledger.method.payout",
            Method::Coupon => "ledger.method.coupon",
            Method::Collection => "ledger.method.collection",
        }
    }

    /// Whether the money goes to the buyer (a payout, a coupon) rather than from them.
    pub fn gives(self) -> bool {
        !matches!(self, Method::Collection)
    }

    /// The reasons an entry of this method may give.
    pub fn reasons(self) -> &'static [Reason] {
        use Reason::*;
        match self {
            Method::Payout | Method::Coupon => &[Postage, PriceDifference, Damage, LateShipment, Goodwill, Other],
            Method::Collection => &[ExtraPostage, PriceDifference, Other],
        }
    }
}

/// Why the money moves (the reason code kept on the entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// 运费补偿: the buyer's postage for a return, paid back.
    Postage,
    /// 差价: a price difference (a price drop after purchase, a cheaper replacement).
    PriceDifference,
    /// 破损/瑕疵补偿: the goods arrived damaged or flawed and the buyer keeps them.
    Damage,
    /// 延迟发货补偿: shipped later than promised.
    LateShipment,
    /// 安抚补偿: goodwill to settle a complaint.
    Goodwill,
    /// 补运费: postage the buyer owes (a remote area, an exchange the buyer pays for).
    ExtraPostage,
    /// 其他: anything else (say what in the note).
    Other,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 7] = [
        Reason::Postage,
        Reason::PriceDifference,
        Reason::Damage,
        Reason::LateShipment,
        Reason::Goodwill,
        Reason::ExtraPostage,
        Reason::Other,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Postage => "postage",
            Reason::PriceDifference => "price_difference",
            Reason::Damage => "damage",
            Reason::LateShipment => "late_shipment",
            Reason::Goodwill => "goodwill",
            Reason::ExtraPostage => "extra_postage",
            Reason::Other => "other",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            Reason::Postage => "ledger.reason.postage",
            Reason::PriceDifference => "ledger.reason.price_difference",
            Reason::Damage => "ledger.reason.damage",
            Reason::LateShipment => "ledger.reason.late_shipment",
            Reason::Goodwill => "ledger.reason.goodwill",
            Reason::ExtraPostage => "ledger.reason.extra_postage",
            Reason::Other => "ledger.reason.other",
        }
    }
}

/// Where an entry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Over a limit: waits for someone else's approval; counts for nothing yet.
    Pending,
    /// In the ledger (within the limits, or approved).
    Booked,
    /// Refused by the approver.
    Rejected,
    /// Taken back by its maker before anyone decided.
    Withdrawn,
}

impl EntryStatus {
    /// Every status.
    pub const ALL: [EntryStatus; 4] = [
        EntryStatus::Pending,
        EntryStatus::Booked,
        EntryStatus::Rejected,
        EntryStatus::Withdrawn,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Pending => "pending",
            EntryStatus::Booked => "booked",
            EntryStatus::Rejected => "rejected",
            EntryStatus::Withdrawn => "withdrawn",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<EntryStatus> {
        EntryStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            EntryStatus::Pending => "ledger.status.pending",
            EntryStatus::Booked => "ledger.status.booked",
            EntryStatus::Rejected => "ledger.status.rejected",
            EntryStatus::Withdrawn => "ledger.status.withdrawn",
        }
    }
}

/// A shop's limits on what one person gives away without approval, in fen. Zero means every
/// such entry waits for approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// One entry.
    pub per_entry_fen: i64,
    /// Everything one person gives in a day of the shop's time zone.
    pub per_person_day_fen: i64,
    /// Everything one buyer is given in 30 days, by anyone.
    pub per_buyer_30_days_fen: i64,
}

impl Default for Limits {
    /// ¥50 an entry, ¥300 a person a day, ¥100 a buyer in 30 days.
    fn default() -> Self {
        Limits {
            per_entry_fen: 5_000,
            per_person_day_fen: 30_000,
            per_buyer_30_days_fen: 10_000,
        }
    }
}

/// The largest limit a shop may set: ¥100,000.
pub const MAX_LIMIT_FEN: i64 = 10_000_000;

impl Limits {
    /// Whether every limit is one the desk accepts as a setting: ¥0 to ¥100,000.
    pub fn is_valid(&self) -> bool {
        [self.per_entry_fen, self.per_person_day_fen, self.per_buyer_30_days_fen]
            .iter()
            .all(|fen| (0..=MAX_LIMIT_FEN).contains(fen))
    }
}

/// One of the limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    PerEntry,
    PerPersonDay,
    #[serde(rename = "per_buyer_30_days")]
    PerBuyer30Days,
}

impl Limit {
    /// Every limit, in the order they are said.
    pub const ALL: [Limit; 3] = [Limit::PerEntry, Limit::PerPersonDay, Limit::PerBuyer30Days];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::PerEntry => "per_entry",
            Limit::PerPersonDay => "per_person_day",
            Limit::PerBuyer30Days => "per_buyer_30_days",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<Limit> {
        Limit::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            Limit::PerEntry => "ledger.limit.per_entry",
            Limit::PerPersonDay => "ledger.limit.per_person_day",
            Limit::PerBuyer30Days => "ledger.limit.per_buyer_30_days",
        }
    }

    /// This limit's amount in `limits`.
    pub fn of(self, limits: &Limits) -> i64 {
        match self {
            Limit::PerEntry => limits.per_entry_fen,
            Limit::PerPersonDay => limits.per_person_day_fen,
            Limit::PerBuyer30Days => limits.per_buyer_30_days_fen,
        }
    }
}

/// What has already been given that a new entry is judged with ([`counted`]): by its maker
/// today, and to its buyer in the last 30 days (booked payouts and coupons, less those another
/// person reversed; what waits for approval counts once approved).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Given {
    pub by_person_today: Fen,
    pub to_buyer_30_days: Fen,
}

/// What happens to a new entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Within every limit (or money coming back): booked at once.
    Book,
    /// Over these limits: it waits for someone else's approval.
    NeedsApproval(Vec<Limit>),
}

/// Why an amount cannot be entered at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmountError {
    /// Zero or less.
    NotPositive,
    /// Above what the desk accepts for one entry ([`MAX_LIMIT_FEN`]).
    TooLarge,
}

/// Checks an entry's amount: more than nothing, at most ¥100,000.
pub fn check_amount(amount: Fen) -> Result<Fen, AmountError> {
    if amount.0 <= 0 {
        Err(AmountError::NotPositive)
    } else if amount.0 > MAX_LIMIT_FEN {
        Err(AmountError::TooLarge)
    } else {
        Ok(amount)
    }
}

/// Whether a new entry of `method` for `amount` is booked at once or waits: money given to the
/// buyer waits when it goes over any limit, counting what was already given; money collected
/// never waits.
pub fn decide(method: Method, amount: Fen, limits: &Limits, given: Given) -> Decision {
    if !method.gives() {
        return Decision::Book;
    }
    let over: Vec<Limit> = Limit::ALL
        .into_iter()
        .filter(|limit| {
            let before = match limit {
                Limit::PerEntry => 0,
                Limit::PerPersonDay => given.by_person_today.0,
                Limit::PerBuyer30Days => given.to_buyer_30_days.0,
            };
            before.saturating_add(amount.0) > limit.of(limits)
        })
        .collect();
    if over.is_empty() {
        Decision::Book
    } else {
        Decision::NeedsApproval(over)
    }
}

/// Why an entry cannot be approved, rejected, withdrawn or reversed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecisionRefusal {
    /// The maker cannot approve or reject their own entry (maker-checker).
    OwnEntry,
    /// Only the maker takes back their own entry.
    NotTheMaker,
    /// The entry was already decided (booked, rejected or withdrawn).
    NotPending,
    /// Only a booked entry is reversed.
    NotBooked,
    /// The entry is itself a reversal, or was already reversed.
    AlreadyReversed,
    /// A collection is not reversed: money given back is a payout, judged by the limits.
    CollectionNotReversed,
}

impl DecisionRefusal {
    /// The catalogue key of what is said.
    pub fn message_key(self) -> &'static str {
        match self {
            DecisionRefusal::OwnEntry => "ledger.error.own_entry",
            DecisionRefusal::NotTheMaker => "ledger.error.not_the_maker",
            DecisionRefusal::NotPending => "ledger.error.not_pending",
            DecisionRefusal::NotBooked => "ledger.error.not_booked",
            DecisionRefusal::AlreadyReversed => "ledger.error.already_reversed",
            DecisionRefusal::CollectionNotReversed => "ledger.error.collection_not_reversed",
        }
    }
}

/// What is done to a waiting entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Reject,
    Withdraw,
}

impl Verdict {
    /// The status the entry takes.
    pub fn status(self) -> EntryStatus {
        match self {
            Verdict::Approve => EntryStatus::Booked,
            Verdict::Reject => EntryStatus::Rejected,
            Verdict::Withdraw => EntryStatus::Withdrawn,
        }
    }
}

/// Whether `by` may give `verdict` on an entry `maker` made that stands at `status`: only a
/// waiting entry is decided; approving and rejecting are for someone other than the maker
/// (whether their role may approve at all is the permission matrix's question); withdrawing
/// is the maker's alone.
pub fn may_decide(status: EntryStatus, maker: UserId, by: UserId, verdict: Verdict) -> Result<(), DecisionRefusal> {
    if status != EntryStatus::Pending {
        return Err(DecisionRefusal::NotPending);
    }
    match verdict {
        Verdict::Approve | Verdict::Reject if by == maker => Err(DecisionRefusal::OwnEntry),
        Verdict::Withdraw if by != maker => Err(DecisionRefusal::NotTheMaker),
        _ => Ok(()),
    }
}

/// Whether an entry may be reversed: it is a booked payout or coupon, is not itself a reversal,
/// and has not been reversed already.
pub fn may_reverse(
    method: Method,
    status: EntryStatus,
    is_reversal: bool,
    reversed: bool,
) -> Result<(), DecisionRefusal> {
    if status != EntryStatus::Booked {
        return Err(DecisionRefusal::NotBooked);
    }
    if is_reversal || reversed {
        return Err(DecisionRefusal::AlreadyReversed);
    }
    if !method.gives() {
        return Err(DecisionRefusal::CollectionNotReversed);
    }
    Ok(())
}

/// An entry as the balance sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub method: Method,
    pub amount: Fen,
    pub status: EntryStatus,
    /// A reversal of another entry (same method and amount, the other way).
    pub reversal: bool,
}

/// What an entry adds to the buyer's balance: positive for money given to the buyer, negative
/// for money collected, the other way for a reversal; nothing unless booked.
pub fn signed(entry: &Entry) -> i64 {
    if entry.status != EntryStatus::Booked {
        return 0;
    }
    let toward_buyer = if entry.method.gives() {
        entry.amount.0
    } else {
        -entry.amount.0
    };
    if entry.reversal { -toward_buyer } else { toward_buyer }
}

/// What was given to the buyer net of what was collected, over booked entries.
pub fn balance<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Fen {
    Fen(entries.into_iter().map(signed).sum())
}

/// What the limits count of an entry: a booked payout or coupon, unless someone other than its
/// maker reversed it (a second person confirmed the money did not go). A reversal counts for
/// nothing itself, and collections count for nothing. So what one person has given without
/// approval only grows by entries judged against the limits, and only shrinks by another's word.
pub fn counted(entry: &Entry, reversed_by_another: bool) -> i64 {
    if entry.method.gives() && entry.status == EntryStatus::Booked && !entry.reversal && !reversed_by_another {
        entry.amount.0
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LIMITS: Limits = Limits {
        per_entry_fen: 5_000,
        per_person_day_fen: 20_000,
        per_buyer_30_days_fen: 10_000,
    };

    #[test]
    fn a_thirty_yuan_payout_under_a_fifty_yuan_limit_is_booked_and_eighty_waits() {
        assert_eq!(
            decide(Method::Payout, Fen(3_000), &LIMITS, Given::default()),
            Decision::Book
        );
        assert_eq!(
            decide(Method::Payout, Fen(5_000), &LIMITS, Given::default()),
            Decision::Book,
            "exactly the limit is within it"
        );
        assert_eq!(
            decide(Method::Payout, Fen(8_000), &LIMITS, Given::default()),
            Decision::NeedsApproval(vec![Limit::PerEntry])
        );
    }

    #[test]
    fn what_was_given_today_and_to_the_buyer_counts() {
        let given = Given {
            by_person_today: Fen(18_000),
            to_buyer_30_days: Fen(0),
        };
        assert_eq!(
            decide(Method::Coupon, Fen(3_000), &LIMITS, given),
            Decision::NeedsApproval(vec![Limit::PerPersonDay])
        );
        let given = Given {
            by_person_today: Fen(0),
            to_buyer_30_days: Fen(9_000),
        };
        assert_eq!(decide(Method::Payout, Fen(1_000), &LIMITS, given), Decision::Book);
        assert_eq!(
            decide(Method::Payout, Fen(1_001), &LIMITS, given),
            Decision::NeedsApproval(vec![Limit::PerBuyer30Days])
        );
    }

    #[test]
    fn a_collection_never_waits_and_a_zero_limit_sends_every_gift_for_approval() {
        let none = Limits {
            per_entry_fen: 0,
            per_person_day_fen: 0,
            per_buyer_30_days_fen: 0,
        };
        assert_eq!(
            decide(Method::Collection, Fen(9_999_999), &none, Given::default()),
            Decision::Book
        );
        assert_eq!(
            decide(Method::Payout, Fen(1), &none, Given::default()),
            Decision::NeedsApproval(Limit::ALL.to_vec())
        );
    }

    #[test]
    fn the_maker_never_approves_their_own_and_only_the_maker_withdraws() {
        let (maker, other) = (UserId(1), UserId(2));
        assert_eq!(
            may_decide(EntryStatus::Pending, maker, maker, Verdict::Approve),
            Err(DecisionRefusal::OwnEntry)
        );
        assert_eq!(
            may_decide(EntryStatus::Pending, maker, maker, Verdict::Reject),
            Err(DecisionRefusal::OwnEntry)
        );
        assert_eq!(may_decide(EntryStatus::Pending, maker, other, Verdict::Approve), Ok(()));
        assert_eq!(
            may_decide(EntryStatus::Pending, maker, maker, Verdict::Withdraw),
            Ok(())
        );
        assert_eq!(
            may_decide(EntryStatus::Pending, maker, other, Verdict::Withdraw),
            Err(DecisionRefusal::NotTheMaker)
        );
        for status in [EntryStatus::Booked, EntryStatus::Rejected, EntryStatus::Withdrawn] {
            assert_eq!(
                may_decide(status, maker, other, Verdict::Approve),
                Err(DecisionRefusal::NotPending)
            );
        }
    }

    #[test]
    fn only_a_booked_entry_not_yet_reversed_is_reversed() {
        assert_eq!(may_reverse(Method::Payout, EntryStatus::Booked, false, false), Ok(()));
        assert_eq!(may_reverse(Method::Coupon, EntryStatus::Booked, false, false), Ok(()));
        assert_eq!(
            may_reverse(Method::Payout, EntryStatus::Pending, false, false),
            Err(DecisionRefusal::NotBooked)
        );
        assert_eq!(
            may_reverse(Method::Payout, EntryStatus::Booked, true, false),
            Err(DecisionRefusal::AlreadyReversed)
        );
        assert_eq!(
            may_reverse(Method::Payout, EntryStatus::Booked, false, true),
            Err(DecisionRefusal::AlreadyReversed)
        );
        assert_eq!(
            may_reverse(Method::Collection, EntryStatus::Booked, false, false),
            Err(DecisionRefusal::CollectionNotReversed),
            "money given back is a payout, which the limits judge"
        );
    }

    #[test]
    fn amounts_are_positive_and_bounded() {
        assert_eq!(check_amount(Fen(0)), Err(AmountError::NotPositive));
        assert_eq!(check_amount(Fen(-5)), Err(AmountError::NotPositive));
        assert_eq!(check_amount(Fen(MAX_LIMIT_FEN)), Ok(Fen(MAX_LIMIT_FEN)));
        assert_eq!(check_amount(Fen(MAX_LIMIT_FEN + 1)), Err(AmountError::TooLarge));
    }

    #[test]
    fn every_form_reads_back_and_every_name_is_in_the_catalogue() {
        for method in Method::ALL {
            assert_eq!(Method::parse(method.as_str()), Some(method));
            assert!(crate::i18n::has(method.label_key()), "{}", method.label_key());
            assert!(!method.reasons().is_empty());
        }
        for reason in Reason::ALL {
            assert_eq!(Reason::parse(reason.as_str()), Some(reason));
            assert!(crate::i18n::has(reason.label_key()), "{}", reason.label_key());
            assert!(
                Method::ALL.iter().any(|m| m.reasons().contains(&reason)),
                "{reason:?} is offered by some method"
            );
        }
        for status in EntryStatus::ALL {
            assert_eq!(EntryStatus::parse(status.as_str()), Some(status));
            assert!(crate::i18n::has(status.label_key()), "{}", status.label_key());
        }
        // The wire form (serde) is the stored form, for each.
        let wire = |value: serde_json::Value| value.as_str().map(str::to_string);
        for method in Method::ALL {
            assert_eq!(wire(serde_json::json!(method)).as_deref(), Some(method.as_str()));
        }
        for reason in Reason::ALL {
            assert_eq!(wire(serde_json::json!(reason)).as_deref(), Some(reason.as_str()));
        }
        for status in EntryStatus::ALL {
            assert_eq!(wire(serde_json::json!(status)).as_deref(), Some(status.as_str()));
        }
        for limit in Limit::ALL {
            assert_eq!(wire(serde_json::json!(limit)).as_deref(), Some(limit.as_str()));
            assert_eq!(Limit::parse(limit.as_str()), Some(limit));
            assert!(crate::i18n::has(limit.label_key()), "{}", limit.label_key());
        }
        for refusal in [
            DecisionRefusal::OwnEntry,
            DecisionRefusal::NotTheMaker,
            DecisionRefusal::NotPending,
            DecisionRefusal::NotBooked,
            DecisionRefusal::AlreadyReversed,
            DecisionRefusal::CollectionNotReversed,
        ] {
            assert!(crate::i18n::has(refusal.message_key()), "{}", refusal.message_key());
        }
        assert!(Limits::default().is_valid());
        assert!(
            !Limits {
                per_entry_fen: -1,
                ..Limits::default()
            }
            .is_valid()
        );
    }

    /// One step of a simulated day at the desk.
    #[derive(Clone, Debug)]
    enum Step {
        /// Person `maker` (0–2) enters `amount` of `method` for buyer `buyer` (0–1).
        Enter {
            maker: u64,
            buyer: usize,
            method: Method,
            amount: i64,
        },
        /// Person `by` gives `verdict` on the `nth` waiting entry.
        Decide { nth: usize, by: u64, verdict: Verdict },
        /// Person `by` reverses the `nth` entry.
        Reverse { nth: usize, by: u64 },
    }

    fn method() -> impl Strategy<Value = Method> {
        prop::sample::select(Method::ALL.to_vec())
    }

    fn verdict() -> impl Strategy<Value = Verdict> {
        prop::sample::select(vec![Verdict::Approve, Verdict::Reject, Verdict::Withdraw])
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0u64..3, 0usize..2, method(), 1i64..12_000)
                .prop_map(|(maker, buyer, method, amount)| Step::Enter { maker, buyer, method, amount }),
            2 => (0usize..20, 0u64..3, verdict()).prop_map(|(nth, by, verdict)| Step::Decide { nth, by, verdict }),
            1 => (0usize..20, 0u64..3).prop_map(|(nth, by)| Step::Reverse { nth, by }),
        ]
    }

    /// An entry of the simulated ledger.
    #[derive(Clone, Debug)]
    struct Row {
        entry: Entry,
        maker: u64,
        buyer: usize,
        approver: Option<u64>,
        reverses: Option<usize>,
        /// Someone other than its maker reversed it.
        reversed_by_another: bool,
        reversed: bool,
    }

    /// What the limits count of `rows` by `maker` and to `buyer`, with the entries each total
    /// took in.
    fn given(rows: &[Row], maker: u64, buyer: usize) -> Given {
        let mut given = Given::default();
        for row in rows {
            if row.maker == maker {
                given.by_person_today.0 += counted(&row.entry, row.reversed_by_another);
            }
            if row.buyer == buyer {
                given.to_buyer_30_days.0 += counted(&row.entry, row.reversed_by_another);
            }
        }
        given
    }

    proptest! {
        /// However entries, decisions and reversals follow each other in one day, a limit is
        /// never exceeded unless an entry approved by someone other than its maker is counted
        /// in the total that exceeds it; and no one ever approves their own entry.
        #[test]
        fn a_limit_is_never_exceeded_without_an_approval_by_another_person(
            steps in prop::collection::vec(step(), 1..60),
            per_entry in 0i64..8_000,
            per_day in 0i64..25_000,
            per_buyer in 0i64..15_000,
        ) {
            let limits = Limits { per_entry_fen: per_entry, per_person_day_fen: per_day, per_buyer_30_days_fen: per_buyer };
            let mut rows: Vec<Row> = Vec::new();
            for step in steps {
                match step {
                    Step::Enter { maker, buyer, method, amount } => {
                        let decision = decide(method, Fen(amount), &limits, given(&rows, maker, buyer));
                        let status = match decision {
                            Decision::Book => EntryStatus::Booked,
                            Decision::NeedsApproval(_) => EntryStatus::Pending,
                        };
                        rows.push(Row { entry: Entry { method, amount: Fen(amount), status, reversal: false }, maker, buyer, approver: None, reverses: None, reversed_by_another: false, reversed: false });
                    }
                    Step::Decide { nth, by, verdict } => {
                        let waiting: Vec<usize> = (0..rows.len()).filter(|i| rows[*i].entry.status == EntryStatus::Pending).collect();
                        if let Some(&i) = waiting.get(nth) {
                            let row = &mut rows[i];
                            if may_decide(row.entry.status, UserId(row.maker as i64), UserId(by as i64), verdict).is_ok() {
                                prop_assert!(verdict == Verdict::Withdraw || by != row.maker);
                                row.entry.status = verdict.status();
                                if verdict == Verdict::Approve { row.approver = Some(by); }
                            }
                        }
                    }
                    Step::Reverse { nth, by } => {
                        if nth < rows.len() {
                            let original = rows[nth].clone();
                            if may_reverse(original.entry.method, original.entry.status, original.reverses.is_some(), original.reversed).is_ok() {
                                rows[nth].reversed = true;
                                rows[nth].reversed_by_another = by != original.maker;
                                rows.push(Row { entry: Entry { reversal: true, ..original.entry }, maker: by, buyer: original.buyer, approver: None, reverses: Some(nth), reversed_by_another: false, reversed: false });
                            }
                        }
                    }
                }
                // The invariant, after every step, for every person and buyer.
                let approved_by_another = |row: &Row| row.approver.is_some_and(|a| a != row.maker);
                // Measured without `counted`: the money a person (or to a buyer) went out on
                // entries nobody else approved, less only what another person reversed, never
                // exceeds the limits.
                let unapproved_out = |row: &Row| {
                    row.reverses.is_none() && row.entry.method.gives() && row.entry.status == EntryStatus::Booked
                        && row.approver.is_none() && !row.reversed_by_another
                };
                for maker in 0..3u64 {
                    let out: i64 = rows.iter().filter(|r| r.maker == maker && unapproved_out(r)).map(|r| r.entry.amount.0).sum();
                    prop_assert!(out <= limits.per_person_day_fen, "person {maker} gave {out} without approval");
                }
                for buyer in 0..2usize {
                    let out: i64 = rows.iter().filter(|r| r.buyer == buyer && unapproved_out(r)).map(|r| r.entry.amount.0).sum();
                    prop_assert!(out <= limits.per_buyer_30_days_fen, "buyer {buyer} was given {out} without approval");
                }
                for row in &rows {
                    if row.entry.status == EntryStatus::Booked && row.reverses.is_none() && row.entry.method.gives() && row.entry.amount.0 > limits.per_entry_fen {
                        prop_assert!(approved_by_another(row), "an entry over the per-entry limit booked without approval: {row:?}");
                    }
                }
                for maker in 0..3u64 {
                    let total = given(&rows, maker, usize::MAX).by_person_today.0;
                    if total > limits.per_person_day_fen {
                        prop_assert!(rows.iter().any(|r| r.maker == maker && counted(&r.entry, r.reversed_by_another) > 0 && approved_by_another(r)),
                            "person {maker} over the day's limit ({total}) without an approved entry");
                    }
                }
                for buyer in 0..2usize {
                    let total = given(&rows, u64::MAX, buyer).to_buyer_30_days.0;
                    if total > limits.per_buyer_30_days_fen {
                        prop_assert!(rows.iter().any(|r| r.buyer == buyer && counted(&r.entry, r.reversed_by_another) > 0 && approved_by_another(r)),
                            "buyer {buyer} over the 30 days' limit ({total}) without an approved entry");
                    }
                }
            }
        }

        /// A reversing entry brings the balance back exactly to what it was before the entry
        /// it reverses, whatever else is in the ledger.
        #[test]
        fn a_reversing_entry_brings_the_balance_back_exactly(
            others in prop::collection::vec((method(), 1i64..10_000_000, prop::sample::select(EntryStatus::ALL.to_vec()), any::<bool>()), 0..20),
            method in method(),
            amount in 1i64..10_000_000,
        ) {
            let mut ledger: Vec<Entry> = others.into_iter().map(|(method, amount, status, reversal)| Entry { method, amount: Fen(amount), status, reversal }).collect();
            let before = balance(&ledger);
            let entry = Entry { method, amount: Fen(amount), status: EntryStatus::Booked, reversal: false };
            ledger.push(entry);
            let with_entry = balance(&ledger);
            prop_assert_eq!(with_entry.0 - before.0, if method.gives() { amount } else { -amount });
            ledger.push(Entry { reversal: true, ..entry });
            prop_assert_eq!(balance(&ledger), before);
        }

        /// An entry is booked at once exactly when it is a collection or stays within every
        /// limit; the limits named are exactly those it goes over.
        #[test]
        fn a_decision_names_exactly_the_limits_gone_over(
            method in method(),
            amount in 1i64..20_000,
            person in 0i64..30_000,
            buyer in 0i64..30_000,
        ) {
            let given = Given { by_person_today: Fen(person), to_buyer_30_days: Fen(buyer) };
            match decide(method, Fen(amount), &LIMITS, given) {
                Decision::Book => prop_assert!(!method.gives() || (amount <= LIMITS.per_entry_fen && person + amount <= LIMITS.per_person_day_fen && buyer + amount <= LIMITS.per_buyer_30_days_fen)),
                Decision::NeedsApproval(over) => {
                    prop_assert!(method.gives());
                    prop_assert_eq!(over.contains(&Limit::PerEntry), amount > LIMITS.per_entry_fen);
                    prop_assert_eq!(over.contains(&Limit::PerPersonDay), person + amount > LIMITS.per_person_day_fen);
                    prop_assert_eq!(over.contains(&Limit::PerBuyer30Days), buyer + amount > LIMITS.per_buyer_30_days_fen);
                }
            }
        }
    }
}

//! The seven-day no-reason return (七日无理由退货, DOMAIN.md §1): whether a no-reason request is
//! eligible, goes to a supervisor's review, waits for evidence of signing, or is refused — with
//! the window it was judged against and an explanation a person can read.
//!
//! The law: 消费者权益保护法 第二十五条; 网络购买商品七日无理由退货暂行办法; 消费者权益保护法实施条例
//! 第十九条; and 民法典 第二百零三条 for a period whose last day is a statutory day off.
//! Which reasons the window binds is decided elsewhere (`rules::reason`): this module assumes it
//! was asked about a no-reason request.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize, Serializer};

use crate::i18n::Lang;
use crate::rules::calendar::{Calendar, CalendarError, end_of_local_day, local_date, start_of_local_day};

/// The legal minimum window: a shop may promise more days, never fewer.
pub const STATUTORY_WINDOW_DAYS: u32 = 7;

/// The longest window this module computes. Far beyond any shop's promise; it keeps date
/// arithmetic in range whatever a setting says.
pub const MAX_WINDOW_DAYS: u32 = 3_660;

/// How the goods stand with respect to the no-reason return, as recorded on the order line.
///
/// Only the law excludes goods: a seller's own "not supported" label on ordinary goods has no
/// effect (实施条例 第十九条) and so has no variant here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoReasonExclusion {
    /// Ordinary goods: the no-reason return applies.
    #[default]
    None,
    /// Made to the consumer's order (定作, 第二十五条第一款).
    CustomMade,
    /// Fresh and perishable goods (鲜活易腐).
    Perishable,
    /// Digital goods downloaded online, or audio/video/software the consumer unsealed.
    DigitalUnsealed,
    /// Newspapers and periodicals delivered.
    Periodical,
    /// A 第二十五条第二款 / 暂行办法第七条 good (unsealing risks health or quality, loses value
    /// once activated, sold as near expiry or flawed) whose buyer confirmed at purchase that it
    /// is not returnable without reason. Without that confirmation such goods are eligible.
    ConfirmedAtPurchase,
}

impl NoReasonExclusion {
    /// Every value, ordinary goods first.
    pub const ALL: [NoReasonExclusion; 6] = [
        NoReasonExclusion::None,
        NoReasonExclusion::CustomMade,
        NoReasonExclusion::Perishable,
        NoReasonExclusion::DigitalUnsealed,
        NoReasonExclusion::Periodical,
        NoReasonExclusion::ConfirmedAtPurchase,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            NoReasonExclusion::None => "none",
            NoReasonExclusion::CustomMade => "custom_made",
            NoReasonExclusion::Perishable => "perishable",
            NoReasonExclusion::DigitalUnsealed => "digital_unsealed",
            NoReasonExclusion::Periodical => "periodical",
            NoReasonExclusion::ConfirmedAtPurchase => "confirmed_at_purchase",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<NoReasonExclusion> {
        NoReasonExclusion::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// Whether the law takes these goods out of the no-reason return.
    pub fn is_excluded(self) -> bool {
        self != NoReasonExclusion::None
    }

    /// A label for forms and explanations.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (NoReasonExclusion::None, Lang::Zh) => "普通商品（适用七天无理由退货）",
            (NoReasonExclusion::None, Lang::En) => "Ordinary goods (no-reason return applies)",
            (NoReasonExclusion::CustomMade, Lang::Zh) => "消费者定作的商品",
            (NoReasonExclusion::CustomMade, Lang::En) => "Made to the buyer's order",
            (NoReasonExclusion::Perishable, Lang::Zh) => "鲜活易腐的商品",
            (NoReasonExclusion::Perishable, Lang::En) => "Fresh or perishable goods",
            (NoReasonExclusion::DigitalUnsealed, Lang::Zh) => {
                "在线下载或者消费者拆封的音像制品、计算机软件等数字化商品"
            }
            (NoReasonExclusion::DigitalUnsealed, Lang::En) => {
                "Digital goods downloaded online, or audio, video or software the buyer unsealed"
            }
            (NoReasonExclusion::Periodical, Lang::Zh) => "交付的报纸、期刊",
            (NoReasonExclusion::Periodical, Lang::En) => "Newspapers and periodicals delivered",
            (NoReasonExclusion::ConfirmedAtPurchase, Lang::Zh) => "购买时经消费者确认不宜退货的商品",
            (NoReasonExclusion::ConfirmedAtPurchase, Lang::En) => {
                "Goods the buyer confirmed at purchase as not returnable without reason"
            }
        }
    }

    /// The provision that excludes these goods (empty for ordinary goods).
    pub fn legal_basis(self) -> &'static str {
        match self {
            NoReasonExclusion::None => "",
            NoReasonExclusion::CustomMade
            | NoReasonExclusion::Perishable
            | NoReasonExclusion::DigitalUnsealed
            | NoReasonExclusion::Periodical => {
                "消费者权益保护法第二十五条第一款；网络购买商品七日无理由退货暂行办法第六条"
            }
            NoReasonExclusion::ConfirmedAtPurchase => {
                "消费者权益保护法第二十五条第二款；网络购买商品七日无理由退货暂行办法第七条"
            }
        }
    }
}

/// The outcome of judging a no-reason request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum SevenDayVerdict {
    /// Within the window: accepted.
    Eligible,
    /// Only the statutory holiday extension (民法典 第二百零三条) admits it: a supervisor decides.
    Review,
    /// The order line has no sign time: the clock has not started, nothing is decided yet.
    AwaitingSignEvidence,
    /// Refused: the window (even extended) closed before the request.
    OutsideReturnWindow,
    /// Refused: the law excludes these goods.
    ExcludedCategory,
    /// Refused: the goods are declared not intact (暂行办法 第八、九条).
    NotIntact,
}

impl SevenDayVerdict {
    /// Every verdict.
    pub const ALL: [SevenDayVerdict; 6] = [
        SevenDayVerdict::Eligible,
        SevenDayVerdict::Review,
        SevenDayVerdict::AwaitingSignEvidence,
        SevenDayVerdict::OutsideReturnWindow,
        SevenDayVerdict::ExcludedCategory,
        SevenDayVerdict::NotIntact,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            SevenDayVerdict::Eligible => "eligible",
            SevenDayVerdict::Review => "review",
            SevenDayVerdict::AwaitingSignEvidence => "awaiting_sign_evidence",
            SevenDayVerdict::OutsideReturnWindow => "outside_return_window",
            SevenDayVerdict::ExcludedCategory => "excluded_category",
            SevenDayVerdict::NotIntact => "not_intact",
        }
    }

    /// Parses the stored and wire form.
    pub fn parse(s: &str) -> Option<SevenDayVerdict> {
        SevenDayVerdict::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether the request is refused (a supervisor may still override with a justification).
    pub fn is_refusal(self) -> bool {
        matches!(
            self,
            SevenDayVerdict::OutsideReturnWindow | SevenDayVerdict::ExcludedCategory | SevenDayVerdict::NotIntact
        )
    }

    /// A short label for badges and lists.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (SevenDayVerdict::Eligible, Lang::Zh) => "符合七天无理由退货",
            (SevenDayVerdict::Eligible, Lang::En) => "Eligible for no-reason return",
            (SevenDayVerdict::Review, Lang::Zh) => "待主管复核（节假日顺延）",
            (SevenDayVerdict::Review, Lang::En) => "Supervisor review (holiday extension)",
            (SevenDayVerdict::AwaitingSignEvidence, Lang::Zh) => "等待签收证明",
            (SevenDayVerdict::AwaitingSignEvidence, Lang::En) => "Awaiting proof of delivery",
            (SevenDayVerdict::OutsideReturnWindow, Lang::Zh) => "已超过无理由退货期限",
            (SevenDayVerdict::OutsideReturnWindow, Lang::En) => "Outside the return window",
            (SevenDayVerdict::ExcludedCategory, Lang::Zh) => "依法不适用无理由退货",
            (SevenDayVerdict::ExcludedCategory, Lang::En) => "Excluded by law",
            (SevenDayVerdict::NotIntact, Lang::Zh) => "商品不完好",
            (SevenDayVerdict::NotIntact, Lang::En) => "Goods not intact",
        }
    }
}

/// The facts a no-reason request is judged on.
#[derive(Clone, Debug, PartialEq)]
pub struct SevenDayRequest {
    /// When the buyer signed for the goods (物流签收); `None` when there is no signing event yet.
    pub signed_at: Option<DateTime<Utc>>,
    /// When the request was made (for an imported ticket: its `opened_at`).
    pub requested_at: DateTime<Utc>,
    /// The shop's time zone (Asia/Shanghai unless the shop set another).
    pub zone: Tz,
    /// The window the shop promises; fewer than 7 days counts as 7, the legal minimum.
    pub window_days: u32,
    /// What the order line records about legal exclusions.
    pub exclusion: NoReasonExclusion,
    /// `Some(false)`: the buyer or agent says the goods are not intact. `None`: not declared;
    /// treated as intact until the returned goods are inspected.
    pub declared_intact: Option<bool>,
}

/// A verdict with the window it was judged against.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SevenDayDecision {
    pub verdict: SevenDayVerdict,
    /// 00:00 local of the day after signing. `None` without a sign time, and for excluded goods
    /// (no window applies to them).
    pub window_start: Option<DateTime<Utc>>,
    /// The platform's end: 00:00 local after the last day (exclusive).
    pub window_end: Option<DateTime<Utc>>,
    /// The end under 民法典 第二百零三条: later than `window_end` only when the last day is a
    /// statutory day off. `None` also when the verdict did not need it and the calendar has no
    /// data for the years involved (it is never guessed).
    pub statutory_window_end: Option<DateTime<Utc>>,
    #[serde(serialize_with = "serialize_zone")]
    pub zone: Tz,
    /// The window actually applied (at least [`STATUTORY_WINDOW_DAYS`]).
    pub window_days: u32,
    pub exclusion: NoReasonExclusion,
    /// The year whose holiday schedule the statutory end needed and the calendar did not hold:
    /// that end was counted on weekends only, and the decision is provisional until the year is
    /// loaded ([`SevenDayDecision::recount`]).
    pub provisional_year: Option<i32>,
}

fn serialize_zone<S: Serializer>(zone: &Tz, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(zone.name())
}

/// The window of one signing, before any verdict.
struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// The last valid day, `d + N`.
    last_day: NaiveDate,
}

/// Judges a no-reason request (DOMAIN.md §1). The checks run in this order, the first that
/// applies giving the verdict:
///
/// 1. excluded goods → [`SevenDayVerdict::ExcludedCategory`] (no window applies);
/// 2. no sign time → [`SevenDayVerdict::AwaitingSignEvidence`] (no clock yet);
/// 3. declared not intact → [`SevenDayVerdict::NotIntact`];
/// 4. before the platform window ends → [`SevenDayVerdict::Eligible`]. This includes a request
///    made on the signing day itself, before the window formally starts: the buyer already
///    holds the goods, and the law starts the count late in the buyer's favour, not to forbid
///    an early request;
/// 5. before the statutory (holiday-extended) end → [`SevenDayVerdict::Review`];
/// 6. otherwise → [`SevenDayVerdict::OutsideReturnWindow`].
///
/// The calendar is consulted only for the statutory end. When the year of the last day (or of
/// the days after it) has no holiday schedule, that end is counted on weekends only and the
/// decision carries the year ([`SevenDayDecision::provisional_year`]). A provisional end never
/// refuses a request that the real schedule could still admit: a request after it, but within
/// the longest run of days off the known years have had, goes to review. The only error is a
/// date beyond chrono's range.
pub fn judge(req: &SevenDayRequest, calendar: &Calendar) -> Result<SevenDayDecision, CalendarError> {
    let window_days = req.window_days.clamp(STATUTORY_WINDOW_DAYS, MAX_WINDOW_DAYS);
    let decided = |verdict| SevenDayDecision {
        verdict,
        window_start: None,
        window_end: None,
        statutory_window_end: None,
        zone: req.zone,
        window_days,
        exclusion: req.exclusion,
        provisional_year: None,
    };

    if req.exclusion.is_excluded() {
        return Ok(decided(SevenDayVerdict::ExcludedCategory));
    }
    let Some(signed_at) = req.signed_at else {
        return Ok(decided(SevenDayVerdict::AwaitingSignEvidence));
    };
    let window = window_after_signing(signed_at, window_days, req.zone)?;
    let verdict = if req.declared_intact == Some(false) {
        SevenDayVerdict::NotIntact
    } else if req.requested_at < window.end {
        SevenDayVerdict::Eligible
    } else {
        // Only the statutory end can still admit it.
        SevenDayVerdict::Review
    };
    judged_on_window(decided(verdict), &window, req.requested_at, calendar)
}

/// Completes a decision taken before or after the platform end with the window and the
/// statutory end; after the platform end, the statutory end gives the verdict.
fn judged_on_window(
    mut decision: SevenDayDecision,
    window: &Window,
    requested_at: DateTime<Utc>,
    calendar: &Calendar,
) -> Result<SevenDayDecision, CalendarError> {
    let (statutory_end, provisional_year) = statutory_end(window, decision.zone, calendar)?;
    if matches!(
        decision.verdict,
        SevenDayVerdict::Review | SevenDayVerdict::OutsideReturnWindow
    ) {
        let could_still_extend = || {
            let longest = TimeDelta::days(i64::from(calendar.longest_run_of_days_off()));
            requested_at < statutory_end + longest
        };
        decision.verdict = if requested_at < statutory_end || (provisional_year.is_some() && could_still_extend()) {
            SevenDayVerdict::Review
        } else {
            SevenDayVerdict::OutsideReturnWindow
        };
    }
    decision.window_start = Some(window.start);
    decision.window_end = Some(window.end);
    decision.statutory_window_end = Some(statutory_end);
    decision.provisional_year = provisional_year;
    Ok(decision)
}

/// `[d+1 00:00, d+1+N 00:00)` local, with `d` the local date of signing: the time of day of
/// signing does not matter, and the local date is taken before any days are added.
fn window_after_signing(signed_at: DateTime<Utc>, days: u32, zone: Tz) -> Result<Window, CalendarError> {
    let signed_on = local_date(signed_at, zone)?;
    // Out of chrono's date range no calendar has data: report it as an unknown year.
    let out_of_range = || CalendarError::UnknownYear(signed_on.year().saturating_add(1));
    let last_day = signed_on
        .checked_add_days(Days::new(u64::from(days)))
        .ok_or_else(out_of_range)?;
    let start = signed_on
        .succ_opt()
        .and_then(|first_day| start_of_local_day(first_day, zone))
        .ok_or_else(out_of_range)?;
    let end = end_of_local_day(last_day, zone)?;
    Ok(Window { start, end, last_day })
}

/// 民法典 第二百零三条: "期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日。"
///
/// Read here as: when the last day is not a working day (a statutory holiday, or a weekend that
/// is not a make-up day — 法定休假日 covers the weekly rest days as well as the holidays), the
/// period ends at 24:00 of the first working day after it. The day after the run of days off
/// "ends" is exactly that first working day.
///
/// Returns the end and, when a year on the way had no holiday schedule (so weekends only were
/// taken as days off there), that year.
fn statutory_end(
    window: &Window,
    zone: Tz,
    calendar: &Calendar,
) -> Result<(DateTime<Utc>, Option<i32>), CalendarError> {
    let mut provisional_year = None;
    if calendar.is_working_day_or_weekday(window.last_day, &mut provisional_year) {
        return Ok((window.end, provisional_year));
    }
    let extended = calendar.first_working_day_after(window.last_day)?;
    Ok((
        end_of_local_day(extended.date, zone)?,
        provisional_year.or(extended.provisional_year),
    ))
}

impl SevenDayDecision {
    /// The decision counted again on `calendar` — for a provisional one, once the year it lacked
    /// is loaded. The verdicts taken before the platform end stay; after it, the statutory end
    /// decides again. A decision that is not provisional comes back unchanged.
    pub fn recount(&self, requested_at: DateTime<Utc>, calendar: &Calendar) -> Result<SevenDayDecision, CalendarError> {
        let (Some(_), Some(start), Some(end)) = (self.provisional_year, self.window_start, self.window_end) else {
            return Ok(self.clone());
        };
        // The window is [d+1 00:00, d+1+N 00:00): its last day is the local date just before its end.
        let last_day = local_date(end - TimeDelta::seconds(1), self.zone)?;
        let window = Window { start, end, last_day };
        judged_on_window(self.clone(), &window, requested_at, calendar)
    }

    /// The sentence that says the decision rests on a year without holiday schedule.
    fn provisional_note(&self, lang: Lang) -> Option<String> {
        let year = self.provisional_year?;
        Some(match lang {
            Lang::Zh => format!("{year} 年法定节假日尚未录入，按周末计算，结果为暂定，录入后将自动重新计算。"),
            Lang::En => format!(
                "The statutory holidays of {year} are not loaded yet: counted on weekends only, this is \
                 provisional and will be counted again once they are."
            ),
        })
    }
}

const LAW_CONSUMER_25: &str = "消费者权益保护法第二十五条";
const LAW_MEASURES: &str = "网络购买商品七日无理由退货暂行办法";
const LAW_CIVIL_203: &str = "民法典第二百零三条";
const LAW_REGULATION_19: &str = "消费者权益保护法实施条例第十九条";
const EN_LAW_CONSUMER_25: &str = "Consumer Rights Protection Law art. 25";
const EN_MEASURES: &str = "Interim Measures for the Seven-Day No-Reason Return of Goods Bought Online";
const EN_CIVIL_203: &str = "Civil Code art. 203";
const EN_REGULATION_19: &str = "Regulations for the Implementation of the Consumer Rights Protection Law art. 19";

impl SevenDayDecision {
    /// The provisions the verdict rests on, as the UI cites them.
    pub fn legal_basis(&self) -> &'static str {
        match self.verdict {
            SevenDayVerdict::Eligible => {
                "消费者权益保护法第二十五条；网络购买商品七日无理由退货暂行办法；消费者权益保护法实施条例第十九条"
            }
            SevenDayVerdict::Review => {
                "民法典第二百零三条；消费者权益保护法第二十五条；网络购买商品七日无理由退货暂行办法"
            }
            SevenDayVerdict::AwaitingSignEvidence => {
                "网络购买商品七日无理由退货暂行办法（七日期间自消费者签收商品的次日开始起算）"
            }
            SevenDayVerdict::OutsideReturnWindow => {
                "消费者权益保护法第二十五条；网络购买商品七日无理由退货暂行办法；民法典第二百零三条"
            }
            SevenDayVerdict::ExcludedCategory => self.exclusion.legal_basis(),
            SevenDayVerdict::NotIntact => "网络购买商品七日无理由退货暂行办法第八条、第九条",
        }
    }

    /// A sentence or two a person can read: the verdict, the window in local time and the law,
    /// and whether the statutory end is provisional.
    pub fn explanation(&self, lang: Lang) -> String {
        let explanation = match lang {
            Lang::Zh => self.explanation_zh(),
            Lang::En => self.explanation_en(),
        };
        match self.provisional_note(lang) {
            Some(note) => format!("{explanation}{}{note}", if lang == Lang::Zh { "" } else { " " }),
            None => explanation,
        }
    }

    /// `%Y-%m-%d %H:%M` in the shop's zone.
    fn local(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.zone).format("%Y-%m-%d %H:%M").to_string()
    }

    fn window_text(&self, lang: Lang) -> Option<String> {
        let (start, end) = (self.window_start?, self.window_end?);
        let zone = self.zone.name();
        let (start, end) = (self.local(start), self.local(end));
        Some(match lang {
            Lang::Zh => format!("{}天无理由退货期限自 {start} 起至 {end} 止（{zone}）", self.window_days),
            Lang::En => format!(
                "the {}-day no-reason window runs from {start} until {end} ({zone})",
                self.window_days
            ),
        })
    }

    /// The statutory end, when it differs from the platform's.
    fn extended_end(&self) -> Option<String> {
        match (self.window_end, self.statutory_window_end) {
            (Some(end), Some(statutory)) if statutory > end => Some(self.local(statutory)),
            _ => None,
        }
    }

    fn explanation_zh(&self) -> String {
        let window = self.window_text(Lang::Zh).unwrap_or_default();
        match self.verdict {
            SevenDayVerdict::Eligible => format!(
                "{window}，申请在期限届满前提出，符合七天无理由退货（{LAW_CONSUMER_25}，{LAW_MEASURES}）。\
                 商家自行标注的“不支持七天无理由”对普通商品无效（{LAW_REGULATION_19}）。\
                 商品是否完好在退回验货时判断。"
            ),
            SevenDayVerdict::Review if self.provisional_year.is_some() => format!(
                "{window}；平台期限已届满，期限是否因法定休假日依{LAW_CIVIL_203}顺延尚无法确定，\
                 需主管复核（倾向于同意）。"
            ),
            SevenDayVerdict::Review => format!(
                "{window}；平台期限已届满，但期限最后一日为法定休假日，依{LAW_CIVIL_203}顺延至 {}。\
                 申请仅在顺延后的期限内，需主管复核（倾向于同意）。",
                self.extended_end().unwrap_or_default()
            ),
            SevenDayVerdict::AwaitingSignEvidence => format!(
                "订单没有签收时间，七天无理由退货期限尚未开始计算（{LAW_MEASURES}：自签收次日起算）。\
                 请记录签收时间并附说明后再判断。"
            ),
            SevenDayVerdict::OutsideReturnWindow => {
                let extension = match self.extended_end() {
                    Some(extended) => format!("，依{LAW_CIVIL_203}顺延后也已于 {extended} 届满"),
                    None => String::new(),
                };
                format!(
                    "{window}{extension}；申请已超过期限，不适用七天无理由退货（{LAW_CONSUMER_25}）。\
                     质量问题、错发漏发或与描述不符不受七日限制（消费者权益保护法第二十四条）。"
                )
            }
            SevenDayVerdict::ExcludedCategory => format!(
                "该商品属于“{}”，依{}，不适用七天无理由退货。\
                 如属质量问题，请按质量问题处理（消费者权益保护法第二十四条）。",
                self.exclusion.label(Lang::Zh),
                self.exclusion.legal_basis().replace('；', "、")
            ),
            SevenDayVerdict::NotIntact => {
                let window = if window.is_empty() {
                    String::new()
                } else {
                    format!("{window}；")
                };
                format!(
                    "{window}商品被申报为不完好，依网络购买商品七日无理由退货暂行办法第八条、第九条\
                     不适用七天无理由退货。如属质量问题，请按质量问题处理。"
                )
            }
        }
    }

    fn explanation_en(&self) -> String {
        let window = self.window_text(Lang::En).unwrap_or_default();
        let mut window_capitalised = window.clone();
        if let Some(first) = window_capitalised.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        match self.verdict {
            SevenDayVerdict::Eligible => format!(
                "{window_capitalised}; the request was made before it closed, so the seven-day \
                 no-reason return applies ({EN_LAW_CONSUMER_25}, {LAW_CONSUMER_25}; {EN_MEASURES}, \
                 {LAW_MEASURES}). A seller's own \"not supported\" label has no effect on ordinary \
                 goods ({EN_REGULATION_19}, {LAW_REGULATION_19}). Whether the goods are intact is judged when they \
                 come back."
            ),
            SevenDayVerdict::Review if self.provisional_year.is_some() => format!(
                "{window_capitalised}. The platform window has closed; whether a statutory day \
                 off extends it under {EN_CIVIL_203} ({LAW_CIVIL_203}) cannot be known yet, so a \
                 supervisor decides (leaning to accept)."
            ),
            SevenDayVerdict::Review => format!(
                "{window_capitalised}. The platform window has closed, but its last day is a \
                 statutory day off, so under {EN_CIVIL_203} ({LAW_CIVIL_203}) the period \
                 extends until {}. Only the extension admits the request: a supervisor decides \
                 (leaning to accept).",
                self.extended_end().unwrap_or_default()
            ),
            SevenDayVerdict::AwaitingSignEvidence => format!(
                "The order has no sign time, so the seven-day window has not started (it counts \
                 from the day after signing: {EN_MEASURES}, {LAW_MEASURES}). Record the sign time with a note, \
                 then judge again."
            ),
            SevenDayVerdict::OutsideReturnWindow => {
                let extension = match self.extended_end() {
                    Some(extended) => format!(
                        "; even extended for the holiday under {EN_CIVIL_203} ({LAW_CIVIL_203}) \
                         it closed at {extended}"
                    ),
                    None => String::new(),
                };
                format!(
                    "{window_capitalised}{extension}. The request came after the window closed, so \
                     the no-reason return does not apply ({EN_LAW_CONSUMER_25}, {LAW_CONSUMER_25}). \
                     Quality problems, wrong or missing items and goods not as \
                     described are not bound by the seven days (art. 24)."
                )
            }
            SevenDayVerdict::ExcludedCategory => format!(
                "These goods are \"{}\", which the law excludes from the no-reason return ({}). \
                 A quality problem is handled as a quality claim (Consumer Rights Protection Law \
                 art. 24).",
                self.exclusion.label(Lang::En).to_lowercase(),
                self.exclusion.legal_basis()
            ),
            SevenDayVerdict::NotIntact => {
                let window = if window.is_empty() {
                    String::new()
                } else {
                    format!("{window_capitalised}. ")
                };
                format!(
                    "{window}The goods are declared not intact, so the no-reason return does not \
                     apply ({EN_MEASURES} arts. 8 and 9, {LAW_MEASURES}第八条、第九条). A quality problem is handled as a \
                     quality claim."
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone};
    use chrono_tz::Asia::Shanghai;
    use proptest::prelude::*;

    /// An instant given in Shanghai local time.
    fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        Shanghai
            .with_ymd_and_hms(y, m, d, h, min, s)
            .single()
            .expect("valid Shanghai time")
            .with_timezone(&Utc)
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("valid UTC time")
    }

    /// An ordinary no-reason request with the legal 7 days in Shanghai.
    fn request(signed_at: DateTime<Utc>, requested_at: DateTime<Utc>) -> SevenDayRequest {
        SevenDayRequest {
            signed_at: Some(signed_at),
            requested_at,
            zone: Shanghai,
            window_days: 7,
            exclusion: NoReasonExclusion::None,
            declared_intact: None,
        }
    }

    fn judged(req: &SevenDayRequest) -> SevenDayDecision {
        judge(req, &Calendar::bundled()).expect("the bundled calendar knows these years")
    }

    fn verdict(signed_at: DateTime<Utc>, requested_at: DateTime<Utc>) -> SevenDayVerdict {
        judged(&request(signed_at, requested_at)).verdict
    }

    // --- the worked cases of DOMAIN.md ---

    #[test]
    fn request_in_the_last_second_of_the_seventh_day_is_eligible() {
        let decision = judged(&request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 17, 23, 59, 59)));
        assert_eq!(decision.verdict, SevenDayVerdict::Eligible);
        assert_eq!(decision.window_start, Some(at(2025, 3, 11, 0, 0, 0)));
        assert_eq!(decision.window_end, Some(at(2025, 3, 18, 0, 0, 0)));
        assert_eq!(decision.statutory_window_end, Some(at(2025, 3, 18, 0, 0, 0)));
    }

    #[test]
    fn the_time_of_day_of_signing_does_not_matter() {
        let decision = judged(&request(at(2025, 3, 10, 0, 5, 0), at(2025, 3, 17, 12, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::Eligible);
        assert_eq!(decision.window_start, Some(at(2025, 3, 11, 0, 0, 0)));
        assert_eq!(decision.window_end, Some(at(2025, 3, 18, 0, 0, 0)));
    }

    #[test]
    fn a_sign_time_late_in_the_utc_day_is_the_next_local_day() {
        // 17:30 UTC is 01:30 on 03-11 in Shanghai: the window ends 03-19 00:00.
        let decision = judged(&request(utc(2025, 3, 10, 17, 30), at(2025, 3, 18, 20, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::Eligible);
        assert_eq!(decision.window_start, Some(at(2025, 3, 12, 0, 0, 0)));
        assert_eq!(decision.window_end, Some(at(2025, 3, 19, 0, 0, 0)));
    }

    #[test]
    fn fresh_lychees_are_excluded_by_law() {
        let req = SevenDayRequest {
            exclusion: NoReasonExclusion::Perishable,
            ..request(at(2025, 6, 1, 11, 0, 0), at(2025, 6, 2, 9, 0, 0))
        };
        let decision = judged(&req);
        assert_eq!(decision.verdict, SevenDayVerdict::ExcludedCategory);
        assert!(decision.verdict.is_refusal());
        assert_eq!(decision.window_start, None);
        assert_eq!(decision.window_end, None);
    }

    #[test]
    fn a_t_shirt_the_seller_marked_not_supported_is_eligible() {
        // The seller's label is not an exclusion: the order line records `none`.
        let decision = judged(&request(at(2025, 3, 10, 14, 0, 0), at(2025, 3, 12, 14, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::Eligible);
        assert!(decision.explanation(Lang::Zh).contains(LAW_REGULATION_19));
    }

    // --- the edges of the window ---

    #[test]
    fn request_at_the_instant_the_window_closes_is_refused() {
        assert_eq!(
            verdict(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 18, 0, 0, 0)),
            SevenDayVerdict::OutsideReturnWindow
        );
    }

    #[test]
    fn request_one_second_after_window_is_refused() {
        let decision = judged(&request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 18, 0, 0, 1)));
        assert_eq!(decision.verdict, SevenDayVerdict::OutsideReturnWindow);
        assert!(decision.verdict.is_refusal());
        // The last day, Monday 03-17, is a working day: no extension.
        assert_eq!(decision.statutory_window_end, decision.window_end);
    }

    #[test]
    fn request_months_later_is_refused() {
        assert_eq!(
            verdict(at(2025, 3, 10, 15, 20, 0), at(2025, 9, 1, 10, 0, 0)),
            SevenDayVerdict::OutsideReturnWindow
        );
    }

    #[test]
    fn request_on_the_first_second_of_the_window_is_eligible() {
        assert_eq!(
            verdict(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 11, 0, 0, 0)),
            SevenDayVerdict::Eligible
        );
    }

    #[test]
    fn request_on_the_signing_day_itself_is_eligible() {
        // Before the window formally starts, but the buyer already holds the goods.
        assert_eq!(
            verdict(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 10, 18, 0, 0)),
            SevenDayVerdict::Eligible
        );
    }

    #[test]
    fn request_recorded_before_the_sign_time_is_eligible() {
        assert_eq!(
            verdict(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 9, 18, 0, 0)),
            SevenDayVerdict::Eligible
        );
    }

    #[test]
    fn signing_in_the_last_second_of_a_day_counts_from_the_next_day() {
        let decision = judged(&request(at(2025, 3, 10, 23, 59, 59), at(2025, 3, 17, 23, 0, 0)));
        assert_eq!(decision.window_start, Some(at(2025, 3, 11, 0, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::Eligible);
        let one_second_later = judged(&request(at(2025, 3, 11, 0, 0, 0), at(2025, 3, 18, 23, 0, 0)));
        assert_eq!(one_second_later.window_end, Some(at(2025, 3, 19, 0, 0, 0)));
        assert_eq!(one_second_later.verdict, SevenDayVerdict::Eligible);
    }

    #[test]
    fn a_signing_on_new_years_eve_runs_into_the_new_year() {
        let decision = judged(&request(at(2024, 12, 31, 23, 59, 59), at(2025, 1, 7, 23, 59, 59)));
        assert_eq!(decision.window_start, Some(at(2025, 1, 1, 0, 0, 0)));
        assert_eq!(decision.window_end, Some(at(2025, 1, 8, 0, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::Eligible);
    }

    #[test]
    fn a_utc_sign_time_on_new_years_eve_is_already_new_years_day_in_shanghai() {
        let decision = judged(&request(utc(2024, 12, 31, 16, 0), at(2025, 1, 8, 12, 0, 0)));
        assert_eq!(decision.window_start, Some(at(2025, 1, 2, 0, 0, 0)));
        assert_eq!(decision.window_end, Some(at(2025, 1, 9, 0, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::Eligible);
    }

    #[test]
    fn a_window_across_a_leap_day_is_one_day_shorter_in_the_calendar() {
        // Signed Thu 2024-02-22: the last day is the leap day 02-29, a Thursday.
        let decision = judged(&request(at(2024, 2, 22, 10, 0, 0), at(2024, 3, 1, 0, 0, 0)));
        assert_eq!(decision.window_end, Some(at(2024, 3, 1, 0, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::OutsideReturnWindow);
    }

    #[test]
    fn a_window_across_an_ordinary_february_ends_in_march() {
        // Signed Sat 2025-02-22: the last day is Sat 03-01, extended by law to Mon 03-03.
        let decision = judged(&request(at(2025, 2, 22, 10, 0, 0), at(2025, 3, 1, 22, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::Eligible);
        assert_eq!(decision.window_end, Some(at(2025, 3, 2, 0, 0, 0)));
        assert_eq!(decision.statutory_window_end, Some(at(2025, 3, 4, 0, 0, 0)));
    }

    #[test]
    fn the_window_is_read_in_the_shops_zone() {
        // The same instant, 2025-03-10T17:30Z, is 03-10 in UTC and 03-11 in Shanghai.
        let req = SevenDayRequest {
            zone: chrono_tz::UTC,
            ..request(utc(2025, 3, 10, 17, 30), utc(2025, 3, 17, 23, 0))
        };
        let decision = judged(&req);
        assert_eq!(decision.window_start, Some(utc(2025, 3, 11, 0, 0)));
        assert_eq!(decision.window_end, Some(utc(2025, 3, 18, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::Eligible);
    }

    // --- longer and shorter windows ---

    #[test]
    fn a_shop_promising_15_days_keeps_the_window_open_longer() {
        let req = SevenDayRequest {
            window_days: 15,
            ..request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 25, 23, 0, 0))
        };
        let decision = judged(&req);
        assert_eq!(decision.verdict, SevenDayVerdict::Eligible);
        assert_eq!(decision.window_end, Some(at(2025, 3, 26, 0, 0, 0)));
        assert_eq!(decision.window_days, 15);
    }

    #[test]
    fn a_window_shorter_than_seven_days_counts_as_seven() {
        let req = SevenDayRequest {
            window_days: 3,
            ..request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 17, 23, 0, 0))
        };
        let decision = judged(&req);
        assert_eq!(decision.verdict, SevenDayVerdict::Eligible);
        assert_eq!(decision.window_days, 7);
        assert_eq!(decision.window_end, Some(at(2025, 3, 18, 0, 0, 0)));
    }

    #[test]
    fn an_absurd_window_setting_does_not_panic() {
        let req = SevenDayRequest {
            window_days: u32::MAX,
            ..request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 17, 23, 0, 0))
        };
        let decision = judged(&req);
        assert_eq!(decision.window_days, MAX_WINDOW_DAYS);
        assert_eq!(decision.verdict, SevenDayVerdict::Eligible);
        for signed_at in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
            let at_the_edge_of_time = SevenDayRequest {
                signed_at: Some(signed_at),
                ..req.clone()
            };
            // Either out of chrono's range, or counted on weekends only: never a panic, never exact.
            match judge(&at_the_edge_of_time, &Calendar::bundled()) {
                Err(CalendarError::UnknownYear(_)) => {}
                Ok(decision) => assert!(decision.provisional_year.is_some(), "{decision:?}"),
            }
        }
    }

    // --- the statutory holiday extension (民法典 第二百零三条) ---

    #[test]
    fn a_last_day_in_national_day_extends_to_the_first_working_day_after() {
        // Signed Fri 2025-09-26: the last day 10-03 is a holiday; 10-01..10-08 are off.
        let decision = judged(&request(at(2025, 9, 26, 10, 0, 0), at(2025, 10, 5, 10, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::Review);
        assert!(!decision.verdict.is_refusal());
        assert_eq!(decision.window_end, Some(at(2025, 10, 4, 0, 0, 0)));
        assert_eq!(decision.statutory_window_end, Some(at(2025, 10, 10, 0, 0, 0)));
    }

    #[test]
    fn the_platform_window_still_admits_a_request_before_the_holiday_ends_it() {
        assert_eq!(
            verdict(at(2025, 9, 26, 10, 0, 0), at(2025, 10, 3, 23, 59, 59)),
            SevenDayVerdict::Eligible
        );
    }

    #[test]
    fn the_extension_reaches_the_last_second_of_the_first_working_day() {
        assert_eq!(
            verdict(at(2025, 9, 26, 10, 0, 0), at(2025, 10, 9, 23, 59, 59)),
            SevenDayVerdict::Review
        );
        assert_eq!(
            verdict(at(2025, 9, 26, 10, 0, 0), at(2025, 10, 10, 0, 0, 0)),
            SevenDayVerdict::OutsideReturnWindow
        );
    }

    #[test]
    fn a_last_day_on_an_ordinary_saturday_extends_to_monday() {
        // Signed Sat 2025-03-08: last day Sat 03-15; Sun 03-16 off; Mon 03-17 working.
        let signed = at(2025, 3, 8, 9, 0, 0);
        let decision = judged(&request(signed, at(2025, 3, 16, 10, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::Review);
        assert_eq!(decision.statutory_window_end, Some(at(2025, 3, 18, 0, 0, 0)));
        assert_eq!(verdict(signed, at(2025, 3, 17, 23, 59, 59)), SevenDayVerdict::Review);
        assert_eq!(
            verdict(signed, at(2025, 3, 18, 0, 0, 1)),
            SevenDayVerdict::OutsideReturnWindow
        );
    }

    #[test]
    fn a_last_day_on_a_make_up_working_saturday_is_not_extended() {
        // Signed 2025-02-01: last day Sat 02-08 is a 调休 working day.
        let decision = judged(&request(at(2025, 2, 1, 9, 0, 0), at(2025, 2, 9, 10, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::OutsideReturnWindow);
        assert_eq!(decision.statutory_window_end, decision.window_end);
    }

    #[test]
    fn an_extension_stops_at_a_make_up_working_sunday() {
        // Signed 2025-01-18: last day Sat 01-25 is off; Sun 01-26 is a 调休 working day.
        let signed = at(2025, 1, 18, 9, 0, 0);
        let decision = judged(&request(signed, at(2025, 1, 26, 15, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::Review);
        assert_eq!(decision.statutory_window_end, Some(at(2025, 1, 27, 0, 0, 0)));
        assert_eq!(
            verdict(signed, at(2025, 1, 27, 0, 0, 0)),
            SevenDayVerdict::OutsideReturnWindow
        );
    }

    #[test]
    fn an_extension_across_the_2024_spring_festival_ends_after_the_make_up_sunday() {
        // Signed 2024-02-03: last day 02-10 is 春节; off through 02-17; Sun 02-18 is working.
        let decision = judged(&request(at(2024, 2, 3, 9, 0, 0), at(2024, 2, 16, 10, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::Review);
        assert_eq!(decision.statutory_window_end, Some(at(2024, 2, 19, 0, 0, 0)));
    }

    #[test]
    fn an_eligible_decision_shows_the_extension_too() {
        let decision = judged(&request(at(2025, 9, 26, 10, 0, 0), at(2025, 9, 29, 10, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::Eligible);
        assert_eq!(decision.statutory_window_end, Some(at(2025, 10, 10, 0, 0, 0)));
    }

    /// A made-up 2027 schedule in the holiday-cn format (not the real notice): 01-01..03 off.
    const TEST_2027: &str = r#"{"year": 2027, "days": [
        {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
        {"name": "元旦", "date": "2027-01-02", "isOffDay": true},
        {"name": "元旦", "date": "2027-01-03", "isOffDay": true}]}"#;

    #[test]
    fn an_eligible_request_whose_last_day_is_in_an_unknown_year_stands_with_a_provisional_end() {
        // Signed 2026-12-25: the last day, Fri 2027-01-01, is in a year the calendar does not know.
        let decision = judged(&request(at(2026, 12, 25, 9, 0, 0), at(2026, 12, 28, 10, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::Eligible);
        assert_eq!(decision.window_end, Some(at(2027, 1, 2, 0, 0, 0)));
        // Counted on weekends only: Friday is taken for a working day, so no extension.
        assert_eq!(decision.statutory_window_end, Some(at(2027, 1, 2, 0, 0, 0)));
        assert_eq!(decision.provisional_year, Some(2027));
        assert!(
            decision
                .explanation(Lang::Zh)
                .contains("2027 年法定节假日尚未录入，按周末计算")
        );
        assert!(
            decision
                .explanation(Lang::En)
                .contains("holidays of 2027 are not loaded yet")
        );
    }

    #[test]
    fn a_late_request_whose_last_day_is_in_an_unknown_year_goes_to_review_not_refusal() {
        // The real schedule could make 2027-01-01 a holiday and extend the window: never refuse
        // on a guess.
        let req = request(at(2026, 12, 25, 9, 0, 0), at(2027, 1, 2, 10, 0, 0));
        let decision = judged(&req);
        assert_eq!(decision.verdict, SevenDayVerdict::Review);
        assert_eq!(decision.provisional_year, Some(2027));
        assert!(decision.explanation(Lang::Zh).contains("尚无法确定"));
        // Later than any run of days off the known years have had (9 days): refused.
        let much_later = request(at(2026, 12, 25, 9, 0, 0), at(2027, 1, 11, 0, 0, 0));
        let decision = judged(&much_later);
        assert_eq!(decision.verdict, SevenDayVerdict::OutsideReturnWindow);
        assert_eq!(decision.provisional_year, Some(2027));
    }

    #[test]
    fn a_provisional_decision_is_counted_again_once_the_year_is_loaded() {
        let mut calendar = Calendar::bundled();
        let requested = at(2027, 1, 2, 10, 0, 0);
        let provisional = judged(&request(at(2026, 12, 25, 9, 0, 0), requested));
        calendar.load_holiday_cn_json(TEST_2027).expect("test year parses");
        let counted = provisional.recount(requested, &calendar).expect("in range");
        // 01-01..03 off: the statutory period ends with Monday 01-04.
        assert_eq!(counted.verdict, SevenDayVerdict::Review);
        assert_eq!(counted.statutory_window_end, Some(at(2027, 1, 5, 0, 0, 0)));
        assert_eq!(counted.provisional_year, None);
        assert_eq!(
            counted,
            judge(&request(at(2026, 12, 25, 9, 0, 0), requested), &calendar).expect("known")
        );
        // A request after the real end is now refused.
        let late = at(2027, 1, 5, 0, 0, 1);
        let provisional = judged(&request(at(2026, 12, 25, 9, 0, 0), late));
        assert_eq!(provisional.verdict, SevenDayVerdict::Review);
        let counted = provisional.recount(late, &calendar).expect("in range");
        assert_eq!(counted.verdict, SevenDayVerdict::OutsideReturnWindow);
        // Nothing provisional: nothing changes.
        assert_eq!(counted.recount(late, &Calendar::new()), Ok(counted.clone()));
    }

    #[test]
    fn a_late_request_whose_extension_runs_into_an_unknown_year_is_provisional() {
        let mut calendar = Calendar::new();
        calendar.mark_year_known(2033);
        // Signed 2033-12-24: the last day, Sat 2033-12-31, is off; what follows is 2034, counted
        // on weekends only: Monday 2034-01-02.
        let req = request(at(2033, 12, 24, 9, 0, 0), at(2034, 1, 1, 10, 0, 0));
        let decision = judge(&req, &calendar).expect("in range");
        assert_eq!(decision.verdict, SevenDayVerdict::Review);
        assert_eq!(decision.statutory_window_end, Some(at(2034, 1, 3, 0, 0, 0)));
        assert_eq!(decision.provisional_year, Some(2034));
    }

    #[test]
    fn a_late_request_needs_no_data_for_the_next_year_when_the_last_day_is_worked() {
        // Signed 2026-12-24: the last day, Thu 2026-12-31, is a working day.
        let decision = judged(&request(at(2026, 12, 24, 9, 0, 0), at(2027, 1, 1, 10, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::OutsideReturnWindow);
        assert_eq!(decision.statutory_window_end, Some(at(2027, 1, 1, 0, 0, 0)));
    }

    #[test]
    fn an_empty_calendar_gives_every_verdict_and_marks_the_late_ones_provisional() {
        let empty = Calendar::new();
        let in_window = request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 12, 10, 0, 0));
        assert_eq!(
            judge(&in_window, &empty).map(|d| d.verdict),
            Ok(SevenDayVerdict::Eligible)
        );
        let unsigned = SevenDayRequest {
            signed_at: None,
            ..in_window.clone()
        };
        assert_eq!(
            judge(&unsigned, &empty).map(|d| d.verdict),
            Ok(SevenDayVerdict::AwaitingSignEvidence)
        );
        // Without any schedule, weekends only: the last day, Monday 03-17, ends the period, and a
        // request more than a weekend later is refused — provisionally.
        let late = request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 20, 10, 0, 0));
        let decision = judge(&late, &empty).expect("in range");
        assert_eq!(decision.verdict, SevenDayVerdict::OutsideReturnWindow);
        assert_eq!(decision.provisional_year, Some(2025));
    }

    // --- no sign time, exclusions, intactness ---

    #[test]
    fn without_a_sign_time_the_request_waits_for_evidence() {
        let req = SevenDayRequest {
            signed_at: None,
            ..request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 12, 10, 0, 0))
        };
        let decision = judged(&req);
        assert_eq!(decision.verdict, SevenDayVerdict::AwaitingSignEvidence);
        assert!(!decision.verdict.is_refusal());
        assert_eq!(decision.window_start, None);
        assert_eq!(decision.window_end, None);
        assert_eq!(decision.statutory_window_end, None);
    }

    #[test]
    fn every_legal_exclusion_refuses_the_request() {
        for exclusion in NoReasonExclusion::ALL.into_iter().filter(|e| e.is_excluded()) {
            let req = SevenDayRequest {
                exclusion,
                ..request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 11, 10, 0, 0))
            };
            let decision = judged(&req);
            assert_eq!(decision.verdict, SevenDayVerdict::ExcludedCategory, "{exclusion:?}");
            assert_eq!(decision.exclusion, exclusion);
            assert_eq!(decision.legal_basis(), exclusion.legal_basis());
        }
    }

    #[test]
    fn goods_confirmed_at_purchase_cite_article_seven_and_the_others_article_six() {
        assert!(NoReasonExclusion::ConfirmedAtPurchase.legal_basis().contains("第七条"));
        assert!(
            NoReasonExclusion::ConfirmedAtPurchase
                .legal_basis()
                .contains("第二十五条第二款")
        );
        for exclusion in [
            NoReasonExclusion::CustomMade,
            NoReasonExclusion::Perishable,
            NoReasonExclusion::DigitalUnsealed,
            NoReasonExclusion::Periodical,
        ] {
            assert!(exclusion.legal_basis().contains("第六条"), "{exclusion:?}");
        }
    }

    #[test]
    fn an_exclusion_is_decided_before_the_missing_sign_time() {
        let req = SevenDayRequest {
            signed_at: None,
            exclusion: NoReasonExclusion::CustomMade,
            ..request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 12, 10, 0, 0))
        };
        assert_eq!(judged(&req).verdict, SevenDayVerdict::ExcludedCategory);
    }

    #[test]
    fn an_exclusion_is_decided_before_the_window_and_needs_no_calendar() {
        let req = SevenDayRequest {
            exclusion: NoReasonExclusion::Periodical,
            declared_intact: Some(false),
            ..request(at(2020, 3, 10, 15, 20, 0), at(2025, 3, 12, 10, 0, 0))
        };
        assert_eq!(
            judge(&req, &Calendar::new()).map(|d| d.verdict),
            Ok(SevenDayVerdict::ExcludedCategory)
        );
    }

    #[test]
    fn goods_declared_not_intact_are_refused_with_the_window_shown() {
        let req = SevenDayRequest {
            declared_intact: Some(false),
            ..request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 12, 10, 0, 0))
        };
        let decision = judged(&req);
        assert_eq!(decision.verdict, SevenDayVerdict::NotIntact);
        assert!(decision.verdict.is_refusal());
        assert_eq!(decision.window_end, Some(at(2025, 3, 18, 0, 0, 0)));
    }

    #[test]
    fn not_intact_is_decided_before_the_window() {
        let req = SevenDayRequest {
            declared_intact: Some(false),
            ..request(at(2025, 3, 10, 15, 20, 0), at(2025, 5, 12, 10, 0, 0))
        };
        assert_eq!(judged(&req).verdict, SevenDayVerdict::NotIntact);
    }

    #[test]
    fn no_sign_time_is_decided_before_not_intact() {
        let req = SevenDayRequest {
            signed_at: None,
            declared_intact: Some(false),
            ..request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 12, 10, 0, 0))
        };
        assert_eq!(judged(&req).verdict, SevenDayVerdict::AwaitingSignEvidence);
    }

    #[test]
    fn goods_declared_intact_or_not_declared_are_eligible() {
        for declared_intact in [Some(true), None] {
            let req = SevenDayRequest {
                declared_intact,
                ..request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 12, 10, 0, 0))
            };
            assert_eq!(judged(&req).verdict, SevenDayVerdict::Eligible);
        }
    }

    // --- names, labels, wire forms ---

    #[test]
    fn exclusions_round_trip_through_their_wire_form() {
        let names: Vec<&str> = NoReasonExclusion::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(
            names,
            [
                "none",
                "custom_made",
                "perishable",
                "digital_unsealed",
                "periodical",
                "confirmed_at_purchase"
            ]
        );
        for exclusion in NoReasonExclusion::ALL {
            assert_eq!(NoReasonExclusion::parse(exclusion.as_str()), Some(exclusion));
            assert_eq!(serde_json::to_value(exclusion).expect("serialises"), exclusion.as_str());
            assert_ne!(exclusion.label(Lang::Zh), exclusion.label(Lang::En));
        }
        assert_eq!(NoReasonExclusion::parse("not_supported_by_seller"), None);
        assert_eq!(NoReasonExclusion::default(), NoReasonExclusion::None);
        assert!(!NoReasonExclusion::None.is_excluded());
    }

    #[test]
    fn verdicts_round_trip_and_only_three_are_refusals() {
        let names: Vec<&str> = SevenDayVerdict::ALL.iter().map(|v| v.as_str()).collect();
        assert_eq!(
            names,
            [
                "eligible",
                "review",
                "awaiting_sign_evidence",
                "outside_return_window",
                "excluded_category",
                "not_intact"
            ]
        );
        for v in SevenDayVerdict::ALL {
            assert_eq!(SevenDayVerdict::parse(v.as_str()), Some(v));
            assert_eq!(serde_json::to_value(v).expect("serialises"), v.as_str());
            assert_ne!(v.label(Lang::Zh), v.label(Lang::En));
        }
        let refusals: Vec<SevenDayVerdict> = SevenDayVerdict::ALL.into_iter().filter(|v| v.is_refusal()).collect();
        assert_eq!(
            refusals,
            [
                SevenDayVerdict::OutsideReturnWindow,
                SevenDayVerdict::ExcludedCategory,
                SevenDayVerdict::NotIntact
            ]
        );
        assert_eq!(SevenDayVerdict::parse("Eligible"), None);
    }

    #[test]
    fn a_decision_serialises_with_snake_case_names_and_the_zone_name() {
        let decision = judged(&request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 17, 23, 59, 59)));
        let json = serde_json::to_value(&decision).expect("serialises");
        assert_eq!(json["verdict"], "eligible");
        assert_eq!(json["zone"], "Asia/Shanghai");
        assert_eq!(json["exclusion"], "none");
        assert_eq!(json["window_days"], 7);
        assert_eq!(json["window_start"], "2025-03-10T16:00:00Z");
        assert_eq!(json["window_end"], "2025-03-17T16:00:00Z");
        assert_eq!(json["statutory_window_end"], "2025-03-17T16:00:00Z");
    }

    // --- explanations ---

    #[test]
    fn an_eligible_explanation_shows_the_local_window_and_the_law_in_both_languages() {
        let decision = judged(&request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 17, 23, 59, 59)));
        let zh = decision.explanation(Lang::Zh);
        assert!(zh.contains("2025-03-11 00:00"), "{zh}");
        assert!(zh.contains("2025-03-18 00:00"), "{zh}");
        assert!(zh.contains("消费者权益保护法第二十五条"), "{zh}");
        assert!(zh.contains("符合七天无理由退货"), "{zh}");
        let en = decision.explanation(Lang::En);
        assert!(
            en.starts_with("The 7-day no-reason window runs from 2025-03-11 00:00 until 2025-03-18 00:00"),
            "{en}"
        );
        assert!(en.contains("art. 25"), "{en}");
        assert!(decision.legal_basis().contains("第二十五条"));
    }

    #[test]
    fn the_explanation_uses_the_shops_zone() {
        let req = SevenDayRequest {
            zone: chrono_tz::UTC,
            ..request(utc(2025, 3, 10, 17, 30), utc(2025, 3, 12, 0, 0))
        };
        let en = judged(&req).explanation(Lang::En);
        assert!(
            en.contains("from 2025-03-11 00:00 until 2025-03-18 00:00 (UTC)"),
            "{en}"
        );
    }

    #[test]
    fn a_review_explanation_cites_the_civil_code_and_the_extended_end() {
        let decision = judged(&request(at(2025, 9, 26, 10, 0, 0), at(2025, 10, 5, 10, 0, 0)));
        let zh = decision.explanation(Lang::Zh);
        assert!(zh.contains("民法典第二百零三条"), "{zh}");
        assert!(zh.contains("2025-10-10 00:00"), "{zh}");
        assert!(zh.contains("主管"), "{zh}");
        let en = decision.explanation(Lang::En);
        assert!(en.contains("Civil Code art. 203"), "{en}");
        assert!(en.contains("2025-10-10 00:00"), "{en}");
        assert!(decision.legal_basis().starts_with("民法典第二百零三条"));
    }

    #[test]
    fn an_outside_explanation_points_to_quality_claims() {
        let decision = judged(&request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 18, 0, 0, 1)));
        let zh = decision.explanation(Lang::Zh);
        assert!(zh.contains("超过期限"), "{zh}");
        assert!(zh.contains("第二十四条"), "{zh}");
        assert!(!zh.contains("顺延"), "{zh}");
        let en = decision.explanation(Lang::En);
        assert!(en.contains("after the window closed"), "{en}");
    }

    #[test]
    fn an_outside_explanation_mentions_an_extension_that_also_ran_out() {
        let decision = judged(&request(at(2025, 9, 26, 10, 0, 0), at(2025, 10, 12, 10, 0, 0)));
        assert_eq!(decision.verdict, SevenDayVerdict::OutsideReturnWindow);
        assert!(
            decision
                .explanation(Lang::Zh)
                .contains("顺延后也已于 2025-10-10 00:00 届满")
        );
        assert!(decision.explanation(Lang::En).contains("it closed at 2025-10-10 00:00"));
    }

    #[test]
    fn an_excluded_explanation_names_the_category_and_the_article() {
        let req = SevenDayRequest {
            exclusion: NoReasonExclusion::Perishable,
            ..request(at(2025, 6, 1, 11, 0, 0), at(2025, 6, 2, 9, 0, 0))
        };
        let decision = judged(&req);
        let zh = decision.explanation(Lang::Zh);
        assert!(zh.contains("鲜活易腐"), "{zh}");
        assert!(zh.contains("第六条"), "{zh}");
        let en = decision.explanation(Lang::En);
        assert!(en.contains("fresh or perishable goods"), "{en}");
    }

    #[test]
    fn an_awaiting_explanation_asks_for_the_sign_time() {
        let req = SevenDayRequest {
            signed_at: None,
            ..request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 12, 10, 0, 0))
        };
        let decision = judged(&req);
        assert!(decision.explanation(Lang::Zh).contains("签收时间"));
        assert!(decision.explanation(Lang::En).contains("sign time"));
    }

    #[test]
    fn a_not_intact_explanation_cites_articles_eight_and_nine() {
        let req = SevenDayRequest {
            declared_intact: Some(false),
            ..request(at(2025, 3, 10, 15, 20, 0), at(2025, 3, 12, 10, 0, 0))
        };
        let decision = judged(&req);
        assert!(decision.explanation(Lang::Zh).contains("第八条、第九条"));
        assert!(decision.explanation(Lang::En).contains("arts. 8 and 9"));
        assert!(decision.explanation(Lang::En).starts_with("The 7-day"));
    }

    #[test]
    fn every_verdict_has_an_explanation_and_a_legal_basis_in_both_languages() {
        let signed = at(2025, 9, 26, 10, 0, 0);
        let cases = [
            request(signed, at(2025, 9, 29, 10, 0, 0)),
            request(signed, at(2025, 10, 5, 10, 0, 0)),
            request(signed, at(2025, 10, 12, 10, 0, 0)),
            SevenDayRequest {
                signed_at: None,
                ..request(signed, at(2025, 9, 29, 10, 0, 0))
            },
            SevenDayRequest {
                exclusion: NoReasonExclusion::DigitalUnsealed,
                ..request(signed, at(2025, 9, 29, 10, 0, 0))
            },
            SevenDayRequest {
                declared_intact: Some(false),
                ..request(signed, at(2025, 9, 29, 10, 0, 0))
            },
        ];
        let mut seen = Vec::new();
        for req in &cases {
            let decision = judged(req);
            seen.push(decision.verdict);
            assert!(!decision.legal_basis().is_empty(), "{:?}", decision.verdict);
            for lang in [Lang::Zh, Lang::En] {
                let text = decision.explanation(lang);
                assert!(text.len() > 40, "{:?} {lang:?}: {text}", decision.verdict);
            }
        }
        seen.sort_by_key(|v| v.as_str());
        let mut all = SevenDayVerdict::ALL.to_vec();
        all.sort_by_key(|v| v.as_str());
        assert_eq!(seen, all);
    }

    // --- properties ---

    fn instant(lo: DateTime<Utc>, hi: DateTime<Utc>) -> impl Strategy<Value = DateTime<Utc>> {
        (lo.timestamp()..hi.timestamp()).prop_map(|s| DateTime::<Utc>::from_timestamp(s, 0).expect("in range"))
    }

    /// The properties below use windows of at most this many days.
    const LONGEST_WINDOW_IN_PROPERTIES: u64 = 40;

    fn sign_time() -> impl Strategy<Value = DateTime<Utc>> {
        // Inside the bundled years, early enough that the longest window generated, extended by
        // the longest run of days off (9), still ends in 2026: every decision here is exact.
        let last_sign_day =
            NaiveDate::from_ymd_opt(2026, 12, 31).expect("valid") - Days::new(LONGEST_WINDOW_IN_PROPERTIES + 10);
        let hi = at(
            last_sign_day.year(),
            last_sign_day.month(),
            last_sign_day.day(),
            0,
            0,
            0,
        );
        instant(at(2024, 1, 1, 0, 0, 0), hi)
    }

    fn sign_time_in_any_supported_year() -> impl Strategy<Value = DateTime<Utc>> {
        instant(at(2000, 1, 1, 0, 0, 0), at(2100, 11, 1, 0, 0, 0))
    }

    fn rank(verdict: SevenDayVerdict) -> u8 {
        match verdict {
            SevenDayVerdict::Eligible => 0,
            SevenDayVerdict::Review => 1,
            _ => 2,
        }
    }

    proptest! {
        #[test]
        fn a_window_never_ends_before_it_starts(
            signed in sign_time(), later in 0i64..40 * 86_400, days in 0u32..=LONGEST_WINDOW_IN_PROPERTIES as u32,
        ) {
            let req = SevenDayRequest { window_days: days, ..request(signed, signed + TimeDelta::seconds(later)) };
            let decision = judged(&req);
            let (start, end) = (decision.window_start.expect("signed"), decision.window_end.expect("signed"));
            prop_assert!(start > signed);
            prop_assert!(end > start);
            // Shanghai has no daylight saving: the window is exactly N whole days.
            prop_assert_eq!(end - start, TimeDelta::days(i64::from(decision.window_days)));
            prop_assert!(decision.window_days >= STATUTORY_WINDOW_DAYS);
        }

        #[test]
        fn the_statutory_end_is_never_before_the_platform_end(
            signed in sign_time(), later in 0i64..40 * 86_400, days in 7u32..30,
        ) {
            let req = SevenDayRequest { window_days: days, ..request(signed, signed + TimeDelta::seconds(later)) };
            let decision = judged(&req);
            let end = decision.window_end.expect("signed");
            let statutory = decision.statutory_window_end.expect("known years");
            prop_assert_eq!(decision.provisional_year, None);
            prop_assert!(statutory >= end);
            // The extension ends at local midnight after a working day.
            let extended_last_day = (statutory - TimeDelta::seconds(1)).with_timezone(&Shanghai).date_naive();
            prop_assert_eq!(Calendar::bundled().is_working_day(extended_last_day), Ok(true));
        }

        #[test]
        fn the_verdict_follows_the_two_ends(signed in sign_time(), later in -86_400i64..40 * 86_400) {
            let decision = judged(&request(signed, signed + TimeDelta::seconds(later)));
            let requested = signed + TimeDelta::seconds(later);
            let (end, statutory) = (decision.window_end.expect("signed"), decision.statutory_window_end.expect("known"));
            let expected = if requested < end {
                SevenDayVerdict::Eligible
            } else if requested < statutory {
                SevenDayVerdict::Review
            } else {
                SevenDayVerdict::OutsideReturnWindow
            };
            prop_assert_eq!(decision.verdict, expected);
        }

        #[test]
        fn an_earlier_request_never_gets_a_worse_verdict(
            signed in sign_time(), a in 0i64..30 * 86_400, b in 0i64..30 * 86_400,
        ) {
            let (earlier, later) = (a.min(b), a.max(b));
            let first = verdict(signed, signed + TimeDelta::seconds(earlier));
            let second = verdict(signed, signed + TimeDelta::seconds(later));
            prop_assert!(rank(first) <= rank(second));
        }

        #[test]
        fn a_longer_promise_never_closes_earlier(signed in sign_time(), days in 7u32..30) {
            let shorter = judged(&SevenDayRequest { window_days: days, ..request(signed, signed) });
            let longer = judged(&SevenDayRequest { window_days: days + 1, ..request(signed, signed) });
            prop_assert!(longer.window_end > shorter.window_end);
            prop_assert!(longer.window_start == shorter.window_start);
        }

        #[test]
        fn the_window_starts_at_local_midnight_whatever_the_sign_time(signed in sign_time()) {
            let decision = judged(&request(signed, signed));
            let start = decision.window_start.expect("signed").with_timezone(&Shanghai);
            prop_assert_eq!(start.format("%H:%M:%S").to_string(), "00:00:00");
            prop_assert_eq!(start.date_naive(), signed.with_timezone(&Shanghai).date_naive() + Days::new(1));
            prop_assert_eq!(decision.verdict, SevenDayVerdict::Eligible);
        }

        #[test]
        fn any_supported_year_is_judged_and_provisional_only_where_a_year_is_missing(
            signed in sign_time_in_any_supported_year(), a in -86_400i64..40 * 86_400, b in -86_400i64..40 * 86_400,
        ) {
            let calendar = Calendar::bundled();
            let (earlier, later) = (a.min(b), a.max(b));
            let first = judge(&request(signed, signed + TimeDelta::seconds(earlier)), &calendar).expect("in range");
            let second = judge(&request(signed, signed + TimeDelta::seconds(later)), &calendar).expect("in range");
            prop_assert!(rank(first.verdict) <= rank(second.verdict));
            let statutory = first.statutory_window_end.expect("always counted");
            prop_assert!(statutory >= first.window_end.expect("signed"));
            // Provisional exactly when a year between the last day and the statutory end is unknown.
            let last_day = (first.window_end.expect("signed") - TimeDelta::seconds(1)).with_timezone(&Shanghai).date_naive();
            let end_day = (statutory - TimeDelta::seconds(1)).with_timezone(&Shanghai).date_naive();
            let unknown = last_day
                .iter_days()
                .take_while(|d| *d <= end_day)
                .map(|d| d.year())
                .find(|y| !calendar.known_years().any(|k| k == *y));
            prop_assert_eq!(first.provisional_year, unknown);
        }
    }
}

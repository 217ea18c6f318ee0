//! Which knowledge fits a ticket, and in what order: product notes about the ticket's SKU and
//! about its category (a SKU's own notes add to its category's, never replace them), and the
//! policy articles whose kinds and reasons take in the ticket's; each list ranked by what helped
//! most (tickets it solved, then times it was used), the newest first on a tie.

use serde::{Deserialize, Serialize};

/// What a product note is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// A known issue, with its fix or the decision to take.
    KnownIssue,
    /// How to use it.
    Usage,
    SizeChart,
    Material,
    /// What counts as intact for this item (tags, seals, accessories).
    Intact,
    Other,
}

impl NoteKind {
    pub const ALL: [NoteKind; 6] = [
        NoteKind::KnownIssue,
        NoteKind::Usage,
        NoteKind::SizeChart,
        NoteKind::Material,
        NoteKind::Intact,
        NoteKind::Other,
    ];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::KnownIssue => "known_issue",
            NoteKind::Usage => "usage",
            NoteKind::SizeChart => "size_chart",
            NoteKind::Material => "material",
            NoteKind::Intact => "intact",
            NoteKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<NoteKind> {
        NoteKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            NoteKind::KnownIssue => "knowledge.kind.known_issue",
            NoteKind::Usage => "knowledge.kind.usage",
            NoteKind::SizeChart => "knowledge.kind.size_chart",
            NoteKind::Material => "knowledge.kind.material",
            NoteKind::Intact => "knowledge.kind.intact",
            NoteKind::Other => "knowledge.kind.other",
        }
    }
}

/// Whom a note is about: one SKU, or every SKU of a category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Sku,
    Category,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Sku => "sku",
            Scope::Category => "category",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        [Scope::Sku, Scope::Category].into_iter().find(|x| x.as_str() == s)
    }

    /// The catalogue key of its name.
    pub fn label_key(self) -> &'static str {
        match self {
            Scope::Sku => "knowledge.scope.sku",
            Scope::Category => "knowledge.scope.category",
        }
    }
}

/// A rule of the desk that a policy article explains, so that its verdicts link to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleArticle {
    /// 七天无理由退货 (`rules::seven_day`).
    SevenDay,
    /// The 24-hour follow-up cycle (`rules::follow_up`).
    FollowUp,
    /// The platform's response timers (`rules::timers`).
    PlatformTimers,
    /// A bad review's clocks (`rules::review`).
    BadReview,
}

impl RuleArticle {
    pub const ALL: [RuleArticle; 4] = [
        RuleArticle::SevenDay,
        RuleArticle::FollowUp,
        RuleArticle::PlatformTimers,
        RuleArticle::BadReview,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleArticle::SevenDay => "seven_day",
            RuleArticle::FollowUp => "follow_up",
            RuleArticle::PlatformTimers => "platform_timers",
            RuleArticle::BadReview => "bad_review",
        }
    }

    pub fn parse(s: &str) -> Option<RuleArticle> {
        RuleArticle::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The catalogue keys of the desk's own article on the rule: title, text, source.
    pub fn keys(self) -> (String, String, String) {
        let base = format!("knowledge.rule.{}", self.as_str());
        (
            format!("{base}.title"),
            format!("{base}.body"),
            format!("{base}.source"),
        )
    }
}

/// How much a piece of knowledge helped, to rank it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Helped {
    /// Tickets it solved.
    pub solved: i64,
    /// Times it was put into a follow-up.
    pub uses: i64,
    /// Its id: newer first on a tie.
    pub id: i64,
}

/// Sorts by what helped most: solved, then used, then newest.
pub fn rank<T>(items: &mut [T], helped: impl Fn(&T) -> Helped) {
    items.sort_by_key(|item| std::cmp::Reverse(helped(item)));
}

/// Whether an article for `kinds` and `reasons` (empty: all) fits a ticket of `kind` opened for
/// `reason`.
pub fn fits(kinds: &[String], reasons: &[String], kind: &str, reason: &str) -> bool {
    (kinds.is_empty() || kinds.iter().any(|k| k == kind)) && (reasons.is_empty() || reasons.iter().any(|r| r == reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_article_without_kinds_or_reasons_fits_every_ticket_and_one_with_them_only_those() {
        let none: Vec<String> = Vec::new();
        assert!(fits(&none, &none, "return", "quality"));
        let returns = vec!["return".to_string(), "exchange".to_string()];
        assert!(fits(&returns, &none, "exchange", "size"));
        assert!(!fits(&returns, &none, "complaint", "size"));
        let sizes = vec!["wrong_size".to_string()];
        assert!(fits(&returns, &sizes, "return", "wrong_size"));
        assert!(!fits(&returns, &sizes, "return", "quality"));
    }

    #[test]
    fn what_solved_most_comes_first_then_what_was_used_then_the_newest() {
        let mut items = vec![
            Helped {
                solved: 0,
                uses: 9,
                id: 1,
            },
            Helped {
                solved: 2,
                uses: 0,
                id: 2,
            },
            Helped {
                solved: 2,
                uses: 1,
                id: 3,
            },
            Helped {
                solved: 0,
                uses: 9,
                id: 4,
            },
        ];
        rank(&mut items, |h| *h);
        assert_eq!(items.iter().map(|h| h.id).collect::<Vec<_>>(), vec![3, 2, 4, 1]);
    }

    #[test]
    fn every_form_reads_back_and_every_name_is_in_the_catalogue() {
        for kind in NoteKind::ALL {
            assert_eq!(NoteKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::json!(kind), serde_json::json!(kind.as_str()));
            assert!(crate::i18n::has(kind.label_key()), "{}", kind.label_key());
        }
        for scope in [Scope::Sku, Scope::Category] {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
            assert!(crate::i18n::has(scope.label_key()));
        }
        for rule in RuleArticle::ALL {
            assert_eq!(RuleArticle::parse(rule.as_str()), Some(rule));
            let (title, body, source) = rule.keys();
            for key in [title, body, source] {
                assert!(crate::i18n::has(&key), "{key}");
            }
        }
    }

    proptest! {
        /// Ranking keeps every item and puts them in order of (solved, uses, id), highest first.
        #[test]
        fn ranking_is_a_sorted_permutation(items in prop::collection::vec((0i64..5, 0i64..5, 0i64..1000), 0..30)) {
            let mut ranked: Vec<Helped> = items.iter().map(|(solved, uses, id)| Helped { solved: *solved, uses: *uses, id: *id }).collect();
            rank(&mut ranked, |h| *h);
            prop_assert_eq!(ranked.len(), items.len());
            for pair in ranked.windows(2) {
                prop_assert!(pair[0] >= pair[1]);
            }
        }
    }
}

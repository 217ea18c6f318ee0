//! Age buckets: how a search reads the newest matches first without reading all of them (pure).
//!
//! A GIN index finds every document holding a word, in no order; a list shows the newest 25. A
//! word held by a tenth of a million tickets would have every one of them fetched and sorted.
//! So each document also holds the lexemes of its **age buckets**: its row's id divided into
//! ranges of 4,096, 32,768 and 262,144 consecutive ids (`~a244`, `~b30`, `~c3`). A search asks
//! the index for the word *and* a bucket, newest bucket first ([`levels`]): the index
//! intersects the two lists itself, and only matches from that bucket are fetched. Each level
//! is at most eight times the one before, so a level is read only when the one before it, an
//! eighth of its size, did not fill the page: what it fetches stays about as small whether the
//! word is in one ticket of ten or one of ten thousand.

/// The sizes of the buckets, as shifts of the id: 4,096, 32,768 and 262,144 ids.
const SHIFTS: [(char, u32); 3] = [('a', 12), ('b', 15), ('c', 18)];

/// The first character of an age lexeme: the tokeniser never makes a lexeme that starts with it.
const MARK: char = '~';

/// The lexemes of the buckets the row `id` belongs to.
pub fn lexemes(id: i64) -> [String; 3] {
    SHIFTS.map(|(name, shift)| lexeme(name, id >> shift))
}

fn lexeme(name: char, bucket: i64) -> String {
    format!("{MARK}{name}{bucket}")
}

/// One step of a newest-first search: the rows with ids in `from..below`, found with the word
/// and `bucket` (every row of the range is in that bucket), or with the word alone (`None`, the
/// last step: everything older).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Level {
    pub bucket: Option<String>,
    pub from: i64,
    pub below: i64,
}

impl Level {
    /// The `tsquery` of this step for the word's `tsquery`.
    pub fn tsquery(&self, query: &str) -> String {
        match &self.bucket {
            Some(bucket) => format!("({query}) & '{bucket}'"),
            None => query.to_string(),
        }
    }
}

/// The steps that read the rows with ids below `top` newest first: two buckets of each size,
/// smallest first, then everything older. The ranges are disjoint, descending, and together
/// they are every id below `top` (ids are positive).
pub fn levels(top: i64) -> Vec<Level> {
    let mut out = Vec::with_capacity(2 * SHIFTS.len() + 1);
    let mut below = top;
    for (name, shift) in SHIFTS {
        for _ in 0..2 {
            // Ids start at 1.
            if below <= 1 {
                return out;
            }
            let bucket = (below - 1) >> shift;
            let from = bucket << shift;
            out.push(Level {
                bucket: Some(lexeme(name, bucket)),
                from,
                below,
            });
            below = from;
        }
    }
    if below > 1 {
        out.push(Level {
            bucket: None,
            from: 0,
            below,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_million_rows_are_read_in_seven_steps_growing_eightfold() {
        let steps = levels(1_000_001);
        let ranges: Vec<(Option<&str>, i64, i64)> =
            steps.iter().map(|l| (l.bucket.as_deref(), l.from, l.below)).collect();
        assert_eq!(
            ranges,
            vec![
                (Some("~a244"), 999_424, 1_000_001),
                (Some("~a243"), 995_328, 999_424),
                (Some("~b30"), 983_040, 995_328),
                (Some("~b29"), 950_272, 983_040),
                (Some("~c3"), 786_432, 950_272),
                (Some("~c2"), 524_288, 786_432),
                (None, 0, 524_288),
            ]
        );
        assert_eq!(steps[0].tsquery("'破损'"), "('破损') & '~a244'");
        assert_eq!(steps[6].tsquery("'破损'"), "'破损'");
    }

    #[test]
    fn a_small_shop_needs_few_steps() {
        assert_eq!(levels(1), vec![]);
        assert_eq!(
            levels(11),
            vec![Level {
                bucket: Some("~a0".into()),
                from: 0,
                below: 11
            }]
        );
        assert_eq!(levels(5000).len(), 2);
    }

    #[test]
    fn a_row_holds_the_lexemes_of_its_buckets() {
        assert_eq!(lexemes(999_999), ["~a244", "~b30", "~c3"].map(String::from));
        assert_eq!(lexemes(1), ["~a0", "~b0", "~c0"].map(String::from));
    }

    proptest! {
        /// The steps cover every id below the top once, newest first, and each row of a step's
        /// range holds the step's bucket.
        #[test]
        fn the_steps_cover_every_row_once_newest_first(top in 1i64..5_000_000, probe in 0i64..5_000_000) {
            let steps = levels(top);
            let mut below = top;
            for step in &steps {
                prop_assert_eq!(step.below, below);
                prop_assert!(step.from < step.below);
                below = step.from;
            }
            prop_assert!(below <= 1 || steps.last().is_some_and(|s| s.bucket.is_none() && s.from == 0));
            let id = 1 + probe % top.max(1);
            if id < top {
                let step = steps.iter().find(|s| s.from <= id && id < s.below);
                prop_assert!(step.is_some());
                if let Some(bucket) = step.and_then(|s| s.bucket.as_ref()) {
                    prop_assert!(lexemes(id).contains(bucket));
                }
            }
        }
    }
}

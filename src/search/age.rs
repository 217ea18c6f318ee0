//! Age buckets: how a search reads the newest matches first without reading all of them (pure).
//!
//! A GIN index finds every document holding a word, in no order; a list shows the newest 25. A
//! word held by a tenth of a million tickets would have every one of them fetched and sorted.
//! So each document also holds the lexemes of its **age buckets**: its row's id divided into
//! ranges of 4,096, 32,768 and 262,144 consecutive ids (`~a244`, `~b30`, `~c3`). A search asks
//! the index for the word *and* a bucket, newest bucket first ([`levels`]): the index
//! intersects the two lists itself, and only matches from that bucket are fetched. A level
//! fetches every match in its range, so the ranges stay small where the matches are likely to
//! be, the newest rows: eight of the smallest buckets first, then four of the middle size,
//! then the largest. A common word is then fetched at most a middle bucket's matches at a time
//! even when the newest tickets do not hold it (a word in six tickets of ten, absent from the
//! newest 45,000, had 117,000 matches fetched at once when the steps grew eightfold after two
//! of each size);
//! a rare word costs one cheap probe of the index per step, sixteen for a million rows (more
//! small steps cost rare words more than they saved common ones: sixteen and eight gave 520-540
//! searches a second against 620-640 on the generated million, and no better after the drift).

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
/// and `bucket` (every row of the range is in that bucket).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Level {
    pub bucket: String,
    pub from: i64,
    pub below: i64,
}

impl Level {
    /// The `tsquery` of this step for the word's `tsquery`.
    pub fn tsquery(&self, query: &str) -> String {
        format!("({query}) & '{}'", self.bucket)
    }
}

/// How many steps of each bucket size come before the next size (the largest: to the end).
const STEPS: [usize; 3] = [8, 4, usize::MAX];

/// The steps that read the rows with ids below `top` newest first: [`STEPS`] buckets of each
/// size, smallest first, the largest to the first row. The ranges are disjoint, descending, and
/// together they are every id below `top` (ids are positive).
pub fn levels(top: i64) -> Vec<Level> {
    let mut out = Vec::new();
    let mut below = top;
    for ((name, shift), steps) in SHIFTS.into_iter().zip(STEPS) {
        for _ in 0..steps {
            // Ids start at 1.
            if below <= 1 {
                return out;
            }
            let bucket = (below - 1) >> shift;
            let from = bucket << shift;
            out.push(Level {
                bucket: lexeme(name, bucket),
                from,
                below,
            });
            below = from;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_million_rows_are_read_in_eight_small_steps_four_middle_ones_then_large_ones() {
        let steps = levels(1_000_001);
        let ranges: Vec<(&str, i64, i64)> = steps.iter().map(|l| (l.bucket.as_str(), l.from, l.below)).collect();
        assert_eq!(steps.len(), 8 + 4 + 4);
        assert_eq!(ranges[0], ("~a244", 999_424, 1_000_001));
        assert_eq!(ranges[1], ("~a243", 995_328, 999_424));
        assert_eq!(ranges[7], ("~a237", 970_752, 974_848));
        // The first middle step covers what is left of its bucket.
        assert_eq!(ranges[8], ("~b29", 950_272, 970_752));
        assert_eq!(ranges[11], ("~b26", 851_968, 884_736));
        // So does the first large one.
        assert_eq!(ranges[12], ("~c3", 786_432, 851_968));
        assert_eq!(ranges[15], ("~c0", 0, 262_144));
        assert_eq!(steps[0].tsquery("'破损'"), "('破损') & '~a244'");
    }

    #[test]
    fn ten_million_rows_take_a_step_of_the_largest_size_per_quarter_million() {
        let steps = levels(10_000_001);
        assert_eq!(steps.len(), 8 + 4 + 38);
        assert!(steps.iter().all(|s| s.below - s.from <= 1 << 18));
    }

    #[test]
    fn a_small_shop_needs_few_steps() {
        assert_eq!(levels(1), vec![]);
        assert_eq!(
            levels(11),
            vec![Level {
                bucket: "~a0".into(),
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
            prop_assert!(below <= 1 || steps.last().is_some_and(|s| s.from == 0));
            let id = 1 + probe % top.max(1);
            if id < top {
                let step = steps.iter().find(|s| s.from <= id && id < s.below);
                prop_assert!(step.is_some());
                if let Some(step) = step {
                    prop_assert!(lexemes(id).contains(&step.bucket));
                }
            }
        }
    }
}

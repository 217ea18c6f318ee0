//! How the search reads text, pure (no I/O): the tokeniser that turns a ticket's, buyer's or
//! order's words into a `tsvector`, the reader that turns what a person typed into a `tsquery`,
//! and the marking of what matched in a piece of text.
//!
//! PostgreSQL's own parser splits text at spaces and, in a database whose `LC_CTYPE` is `C`,
//! does not even see Chinese characters as letters; Chinese has no spaces and most words are two
//! characters. So the desk tokenises in Rust and hands PostgreSQL finished lexemes, quoted, which
//! it stores and compares byte for byte whatever the database's locale:
//!
//! - a run of Chinese (and Japanese, Korean) characters becomes its overlapping **bigrams**, one
//!   per position, and each of its characters alone (`蓝牙耳机` → `蓝牙` `牙耳` `耳机` and `蓝`
//!   `牙` `耳` `机`); a query of two or more characters is the phrase of its bigrams, of one
//!   character that character: one lexeme each, never a prefix that the index would have to
//!   gather from many;
//! - a run of letters and a run of digits are each one token, lower-cased, full-width forms read
//!   as their ASCII (`ＳＦ１２３` is `sf` `123`); runs written together with nothing between them
//!   stand at one position and are indexed whole as well (`sf123`), which is how a query reads
//!   them: `SF123`, `ili72` are one token each; the last token a person typed matches as a prefix
//!   when it has four characters or more (fewer would gather millions of lexemes);
//! - identifiers (order and tracking numbers, nicks, SKUs) also index every ending of three
//!   characters or more of each run of digits, and every piece of four letters or more of each
//!   run of letters (`~szhou`), so that a query finds them from the middle with one lexeme or a
//!   short prefix: the last eight digits of an order number, `zhouzhou` in `tb_zhouzhou8614`;
//! - phone numbers are indexed under their own name (`~p138…`, a sign no query token holds), so a
//!   query reaches them only when it asks for them, for the people who may see a buyer's phone.
//!
//! Weights say where a word came from: `A` identifiers, `B` what the ticket is about
//! (description, review, names, titles), `C` what was said on its timeline. A query limited to
//! `A` without prefixes is the "best match" (this ticket, this order, this waybill).

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Where a piece of text comes from, which sets how it is indexed and how a hit in it is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    TicketNo,
    OrderNo,
    Tracking,
    RefundNo,
    Nick,
    Sku,
    Phone,
    Name,
    Title,
    Description,
    Reason,
    Review,
    FollowUp,
    Note,
    Comment,
    FileName,
}

impl Source {
    /// The weight of its words in the `tsvector`.
    pub fn weight(self) -> char {
        match self {
            Source::TicketNo
            | Source::OrderNo
            | Source::Tracking
            | Source::RefundNo
            | Source::Nick
            | Source::Sku
            | Source::Phone => 'A',
            Source::Name | Source::Title | Source::Description | Source::Reason | Source::Review => 'B',
            Source::FollowUp | Source::Note | Source::Comment | Source::FileName => 'C',
        }
    }

    /// Whether every ending of its runs is indexed too (a search from the middle).
    fn endings(self) -> bool {
        matches!(
            self,
            Source::OrderNo | Source::Tracking | Source::RefundNo | Source::Nick | Source::Sku | Source::Phone
        )
    }

    /// Its name in the API (`matched_in`).
    pub fn name(self) -> &'static str {
        self.label_key().trim_start_matches("search.in.")
    }

    /// The catalogue key that names it next to a hit.
    pub fn label_key(self) -> &'static str {
        match self {
            Source::TicketNo => "search.in.ticket_no",
            Source::OrderNo => "search.in.order_no",
            Source::Tracking => "search.in.tracking",
            Source::RefundNo => "search.in.refund_no",
            Source::Nick => "search.in.nick",
            Source::Sku => "search.in.sku",
            Source::Phone => "search.in.phone",
            Source::Name => "search.in.name",
            Source::Title => "search.in.title",
            Source::Description => "search.in.description",
            Source::Reason => "search.in.reason",
            Source::Review => "search.in.review",
            Source::FollowUp => "search.in.follow_up",
            Source::Note => "search.in.note",
            Source::Comment => "search.in.comment",
            Source::FileName => "search.in.file_name",
        }
    }

    /// Every source (for the catalogue's check).
    pub const ALL: [Source; 16] = [
        Source::TicketNo,
        Source::OrderNo,
        Source::Tracking,
        Source::RefundNo,
        Source::Nick,
        Source::Sku,
        Source::Phone,
        Source::Name,
        Source::Title,
        Source::Description,
        Source::Reason,
        Source::Review,
        Source::FollowUp,
        Source::Note,
        Source::Comment,
        Source::FileName,
    ];
}

/// The prefix that keeps phone numbers apart from every other token (no token a person's query
/// makes starts with a sign).
const PHONE: &str = "~p";
/// The prefix of the lexemes of runs written together (`~gsf1234`): apart from the runs' own, so
/// that a query of letters alone (`zhou`) does not gather every buyer's `zhouzhou8614` as well.
const GLUED: &str = "~g";
/// The prefix of the pieces of identifiers' runs of letters ([`pieces`]).
const PIECE: &str = "~s";
/// Runs of letters longer than this index no pieces (no nick is this long).
const MAX_PIECES_RUN_CHARS: usize = 16;
/// A query's letters or digits match as a prefix from this many on; fewer match whole tokens only
/// (the lexemes that start with two or three digits are counted in millions).
const MIN_PREFIX_CHARS: usize = 4;
/// PostgreSQL keeps positions up to 16,383 and 256 positions per lexeme.
const MAX_POSITION: u32 = 16_383;
const MAX_POSITIONS_PER_LEXEME: usize = 256;
/// New lexemes stop being added past this many bytes of them (a tsvector is at most 1 MB, with
/// its positions).
const MAX_DOC_BYTES: usize = 400_000;
/// A longer run is cut (a lexeme is at most 2 KiB; nothing searched for is this long).
const MAX_RUN_CHARS: usize = 40;
/// Endings shorter than this are not indexed (a prefix query of one or two characters from the
/// middle of an identifier would find everything).
const MIN_ENDING_CHARS: usize = 3;
/// Runs longer than this do not index their endings (no identifier is this long).
const MAX_ENDING_RUN_CHARS: usize = 32;

/// What kind of character, for cutting text into runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Chinese, Japanese and Korean characters: no spaces between words.
    Cjk,
    Letter,
    Digit,
    /// Spaces, punctuation, symbols: cut between runs.
    Other,
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'       // hiragana, katakana
        | '\u{3400}'..='\u{4DBF}'     // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'     // CJK unified ideographs
        | '\u{AC00}'..='\u{D7AF}'     // Hangul syllables
        | '\u{F900}'..='\u{FAFF}'     // CJK compatibility ideographs
        | '\u{20000}'..='\u{3134F}') // CJK extensions B–G
}

/// A character as the search compares it: full-width ASCII forms as ASCII, letters in lower
/// case (when that is one character).
pub fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

fn class(c: char) -> Class {
    if c.is_ascii_digit() {
        Class::Digit
    } else if is_cjk(c) {
        Class::Cjk
    } else if c.is_alphabetic() {
        Class::Letter
    } else {
        Class::Other
    }
}

/// A run of one class of characters, folded, with where it stands in the original text.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Run {
    class: Class,
    chars: Vec<char>,
    /// Byte range in the text it was read from.
    start: usize,
    end: usize,
}

/// Cuts text into runs of CJK characters, letters and digits (everything else separates them).
/// `gaps` receives, for each run after the first, whether something (a space, a sign) stood
/// between it and the run before.
fn runs(text: &str) -> Vec<(Run, bool)> {
    let mut out: Vec<(Run, bool)> = Vec::new();
    let mut gap = false;
    for (at, raw) in text.char_indices() {
        let c = fold(raw);
        let class = class(c);
        let end = at + raw.len_utf8();
        if class == Class::Other {
            gap = true;
            continue;
        }
        match out.last_mut() {
            Some((run, _)) if run.class == class && !gap && run.end == at => {
                run.chars.push(c);
                run.end = end;
            }
            _ => {
                out.push((
                    Run {
                        class,
                        chars: vec![c],
                        start: at,
                        end,
                    },
                    gap,
                ));
            }
        }
        gap = false;
    }
    out
}

/// The lexeme of a token: runs written together under [`GLUED`].
fn glued_lexeme(text: &str, glued: bool) -> String {
    if glued {
        format!("{GLUED}{text}")
    } else {
        text.to_string()
    }
}

/// What takes positions in a document and tokens in a query: a run of CJK characters, or runs
/// of letters and digits written together with nothing between them (`SF1234`,
/// `zhouzhou8614`), which stand at one position and are also indexed and asked for whole.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Group {
    Cjk(Vec<char>),
    Glued(Vec<(Class, Vec<char>)>),
}

/// Cuts text into groups, each run cut to [`MAX_RUN_CHARS`].
fn groups(text: &str) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for (run, gap) in runs(text) {
        let chars = run.chars[..run.chars.len().min(MAX_RUN_CHARS)].to_vec();
        match (run.class, out.last_mut()) {
            (Class::Cjk, _) => out.push(Group::Cjk(chars)),
            (class, Some(Group::Glued(runs))) if !gap => runs.push((class, chars)),
            (class, _) => out.push(Group::Glued(vec![(class, chars)])),
        }
    }
    out
}

fn string(chars: &[char]) -> String {
    chars.iter().collect()
}

/// A document being built: lexemes with their positions and weights, as a `tsvector`'s text.
#[derive(Debug)]
pub struct Doc {
    lexemes: BTreeMap<String, Vec<(u32, char)>>,
    /// The next free position.
    next: u32,
    /// About how many bytes the lexemes take.
    bytes: usize,
}

impl Default for Doc {
    fn default() -> Doc {
        Doc::new()
    }
}

impl Doc {
    pub fn new() -> Doc {
        Doc {
            lexemes: BTreeMap::new(),
            next: 1,
            bytes: 0,
        }
    }

    /// A document to be appended to another with PostgreSQL's `||` (which moves its positions
    /// past the other's last): it starts one position further, the gap that [`Doc::add`]
    /// leaves between any two pieces, so that no phrase runs from the other's last piece into
    /// its first.
    pub fn continuing() -> Doc {
        Doc { next: 2, ..Doc::new() }
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.lexemes.is_empty()
    }

    /// Adds the lexemes of the age buckets of the row `id` (no positions: no phrase reaches
    /// them, and the tokeniser never makes a lexeme that starts like them).
    pub fn add_age(&mut self, id: i64) {
        for lexeme in super::age::lexemes(id) {
            self.lexemes.entry(lexeme).or_default();
        }
    }

    /// Adds `lexeme` at `position`; the lexeme is copied only when it is new to the document
    /// (most of a document's words come again: a character, a digit run's endings).
    fn put(&mut self, lexeme: &str, position: u32, weight: char) {
        let at = (position.min(MAX_POSITION), weight);
        if let Some(positions) = self.lexemes.get_mut(lexeme) {
            if positions.len() < MAX_POSITIONS_PER_LEXEME {
                positions.push(at);
            }
            return;
        }
        // PostgreSQL refuses a tsvector over 1 MB: a huge text is indexed up to a bound.
        if self.bytes > MAX_DOC_BYTES {
            return;
        }
        self.bytes += lexeme.len() + 8;
        self.lexemes.insert(lexeme.to_owned(), vec![at]);
    }

    /// Adds `prefix` followed by `chars` at `position`, spelled out in `spelled` (a buffer
    /// reused from lexeme to lexeme).
    fn put_chars(&mut self, spelled: &mut String, prefix: &str, chars: &[char], position: u32, weight: char) {
        spelled.clear();
        spelled.push_str(prefix);
        spelled.extend(chars);
        self.put(spelled, position, weight);
    }

    /// Adds one piece of text from `source`. Pieces are kept apart: a phrase never runs from one
    /// into the next.
    pub fn add(&mut self, source: Source, text: &str) {
        let weight = source.weight();
        let mut spelled = String::new();
        for group in groups(text) {
            if self.next > MAX_POSITION {
                return;
            }
            let at = self.next;
            match group {
                Group::Cjk(chars) => {
                    // n characters take n - 1 positions (one), as a query's bigrams do: each
                    // character stands beside the bigram it starts, the last one beside the
                    // last bigram.
                    for (i, pair) in chars.windows(2).enumerate() {
                        self.put_chars(&mut spelled, "", pair, at + i as u32, weight);
                    }
                    let taken = (chars.len() as u32 - 1).max(1);
                    for (i, c) in chars.iter().enumerate() {
                        self.put(c.encode_utf8(&mut [0; 4]), at + (i as u32).min(taken - 1), weight);
                    }
                    self.next += taken;
                }
                Group::Glued(runs) if source == Source::Phone => {
                    for (class, chars) in &runs {
                        if *class == Class::Digit {
                            self.put_chars(&mut spelled, PHONE, chars, at, weight);
                            for ending in endings(chars, source) {
                                self.put_chars(&mut spelled, PHONE, ending, at, weight);
                            }
                        }
                    }
                    self.next += 1;
                }
                Group::Glued(runs) => {
                    for (class, chars) in &runs {
                        self.put_chars(&mut spelled, "", chars, at, weight);
                        if *class == Class::Letter {
                            for piece in letter_pieces(chars, source) {
                                self.put_chars(&mut spelled, PIECE, piece, at, weight);
                            }
                        } else {
                            for ending in endings(chars, source) {
                                self.put_chars(&mut spelled, "", ending, at, weight);
                            }
                        }
                    }
                    if let [.., (_, last)] = runs.as_slice()
                        && runs.len() > 1
                    {
                        // Whole, and (identifiers) from every character before the last run:
                        // an ending that starts in the last run is that run's own.
                        let whole: Vec<char> = runs.iter().flat_map(|(_, chars)| chars.iter().copied()).collect();
                        let whole = &whole[..whole.len().min(MAX_RUN_CHARS)];
                        self.put_chars(&mut spelled, GLUED, whole, at, weight);
                        let before_last = whole.len().saturating_sub(last.len());
                        for ending in endings(whole, source).take(before_last.saturating_sub(1)) {
                            self.put_chars(&mut spelled, GLUED, ending, at, weight);
                        }
                    }
                    self.next += 1;
                }
            }
        }
        // A gap of one position between pieces: `<->` never joins two of them.
        self.next += 1;
    }

    /// The `tsvector` in PostgreSQL's input syntax, every lexeme quoted (so that nothing of it
    /// depends on the database's locale).
    pub fn to_tsvector(&self) -> String {
        let mut out = String::with_capacity(self.lexemes.len() * 12);
        let mut kept = Vec::with_capacity(MAX_POSITIONS_PER_LEXEME);
        for (lexeme, positions) in &self.lexemes {
            if !out.is_empty() {
                out.push(' ');
            }
            quote(&mut out, lexeme);
            if positions.is_empty() {
                continue;
            }
            out.push(':');
            kept.clear();
            keep_once(positions, &mut kept);
            for (i, (position, weight)) in kept.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{position}{weight}");
            }
        }
        out
    }

    /// Appends the `tsvector` in PostgreSQL's binary form, as its receive function reads it
    /// (`tsvectorrecv`): the count of lexemes, then each lexeme ended by a zero byte with the
    /// count of its positions and each position (weight in the top two bits, A = 3 … D = 0), all
    /// integers big-endian. The same value as [`Doc::to_tsvector`] read by PostgreSQL, which
    /// takes it without parsing text: the lexemes are in PostgreSQL's order already (bytewise,
    /// a prefix first, as a `BTreeMap` of `String` keeps them), each position once with the
    /// weight it first had, in ascending order.
    pub fn write_binary(&self, out: &mut Vec<u8>) {
        let count = u32::try_from(self.lexemes.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&count.to_be_bytes());
        let mut kept: Vec<(u32, char)> = Vec::with_capacity(MAX_POSITIONS_PER_LEXEME);
        for (lexeme, positions) in &self.lexemes {
            out.extend_from_slice(lexeme.as_bytes());
            out.push(0);
            kept.clear();
            keep_once(positions, &mut kept);
            kept.sort_by_key(|(position, _)| *position);
            let npos = u16::try_from(kept.len()).unwrap_or(u16::MAX);
            out.extend_from_slice(&npos.to_be_bytes());
            for (position, weight) in &kept {
                let weight: u16 = match weight {
                    'A' => 3,
                    'B' => 2,
                    'C' => 1,
                    _ => 0,
                };
                let position = u16::try_from(*position).unwrap_or(u16::MAX) & 0x3fff;
                out.extend_from_slice(&(weight << 14 | position).to_be_bytes());
            }
        }
    }
}

/// A lexeme's positions into `kept`, each position once with the weight it was first put with
/// (PostgreSQL keeps one weight per position too), in the order they were put.
fn keep_once(positions: &[(u32, char)], kept: &mut Vec<(u32, char)>) {
    for &(position, weight) in positions {
        if !kept.iter().any(|&(p, _)| p == position) {
            kept.push((position, weight));
        }
    }
}

/// The endings of a run worth indexing for `source`.
fn endings(chars: &[char], source: Source) -> impl Iterator<Item = &[char]> + '_ {
    let wanted = source.endings() && chars.len() <= MAX_ENDING_RUN_CHARS;
    let count = if wanted {
        chars.len().saturating_sub(MIN_ENDING_CHARS)
    } else {
        0
    };
    (1..=count).map(move |from| &chars[from..])
}

/// Every piece of [`MIN_PREFIX_CHARS`] letters or more of an identifier's run of letters: a
/// query of letters from the middle of a nick is then one lexeme, where a prefix of its endings
/// would have the index gather every one of them (11 ms for `ngqin:*` among a million tickets,
/// 0.3 ms for the lexeme).
fn letter_pieces(chars: &[char], source: Source) -> impl Iterator<Item = &[char]> + '_ {
    let n = if source.endings() && chars.len() <= MAX_PIECES_RUN_CHARS {
        chars.len()
    } else {
        0
    };
    (0..n).flat_map(move |from| (from + MIN_PREFIX_CHARS..=n).map(move |to| &chars[from..to]))
}

/// Appends `text` as a quoted lexeme: `'…'` with quotes doubled and backslashes escaped.
fn quote(out: &mut String, text: &str) {
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('\'');
}

/// One token of a query.
#[derive(Clone, Debug, PartialEq, Eq)]
enum QueryToken {
    /// A bigram of CJK characters, matched exactly.
    Pair(String),
    /// One CJK character alone, matched exactly (every character is indexed alone too).
    Single(char),
    /// A run of letters or digits, or runs of them written together (`glued`); `last` when
    /// nothing follows it in its word (a prefix).
    Word {
        text: String,
        digits: bool,
        glued: bool,
        last: bool,
    },
}

/// What a person typed, read: words (separated by spaces, or a quoted phrase), each a phrase of
/// tokens; every word must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    words: Vec<Vec<QueryToken>>,
    /// The runs as typed (folded), for marking what matched.
    needles: Vec<String>,
    /// A ticket number when the query is one (`156`, `#156`).
    pub ticket_no: Option<i64>,
    /// Whether it is a ticket number with its sign (`#156`): that ticket, not the text.
    pub only_number: bool,
}

/// A query as asked of a ticket's two documents: the one built whole and the words added to it
/// since (`ticket_search_added`). A ticket holds every word when the two together do (`all` of
/// their concatenation); where its document alone does not, some word is in the added words
/// alone — a phrase never runs from one document into the other (each piece stands apart) — so
/// the added words match `any`: the same words joined by "or", which the added words' own index
/// answers first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asked {
    pub all: String,
    pub any: String,
}

/// How [`Query::render`] joins the words.
#[derive(Clone, Copy)]
enum Join {
    All,
    Any,
}

/// A token of [`Query::to_tsquery`]: `phones`, whether digits may also match a phone number.
fn plain_token(out: &mut String, token: &QueryToken, phones: bool) {
    match token {
        QueryToken::Pair(pair) => quote(out, pair),
        QueryToken::Single(c) => quote(out, &c.to_string()),
        QueryToken::Word {
            text,
            digits,
            glued,
            last,
        } => {
            let star = if *last && text.chars().count() >= MIN_PREFIX_CHARS {
                ":*"
            } else {
                ""
            };
            if *digits && phones {
                out.push('(');
                quote(out, text);
                out.push_str(star);
                out.push_str(" | ");
                quote(out, &format!("{PHONE}{text}"));
                out.push_str(star);
                out.push(')');
            } else if !*digits && !*glued && text.chars().count() >= MIN_PREFIX_CHARS {
                // Letters: a piece of an identifier, or a word (or its start) anywhere.
                out.push('(');
                quote(out, &format!("{PIECE}{text}"));
                out.push_str(" | ");
                quote(out, text);
                out.push_str(star);
                out.push(')');
            } else {
                quote(out, &glued_lexeme(text, *glued));
                out.push_str(star);
            }
        }
    }
}

/// A token of [`Query::to_best_tsquery`]: exactly, in an identifier.
fn best_token(out: &mut String, token: &QueryToken) {
    match token {
        QueryToken::Pair(pair) => quote(out, pair),
        QueryToken::Single(c) => quote(out, &c.to_string()),
        QueryToken::Word { text, glued, .. } => quote(out, &glued_lexeme(text, *glued)),
    }
    out.push_str(":A");
}

/// At most this many words are read from a query, and this many tokens from each.
const MAX_WORDS: usize = 8;
const MAX_TOKENS_PER_WORD: usize = 24;

impl Query {
    /// Reads a query; `None` when it holds nothing to search for (only signs and spaces).
    pub fn parse(input: &str) -> Option<Query> {
        let trimmed = input.trim();
        let signed = trimmed.strip_prefix('#');
        let ticket_no = signed
            .or(Some(trimmed))
            .filter(|digits| !digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse::<i64>().ok())
            .filter(|n| *n > 0);
        let mut words = Vec::new();
        let mut needles = Vec::new();
        for part in split_words(trimmed) {
            let mut tokens = Vec::new();
            for group in groups(&part) {
                match group {
                    Group::Cjk(chars) => {
                        needles.push(string(&chars));
                        if let [c] = chars.as_slice() {
                            tokens.push(QueryToken::Single(*c));
                        } else {
                            tokens.extend(chars.windows(2).map(|pair| QueryToken::Pair(string(pair))));
                        }
                    }
                    Group::Glued(runs) => {
                        needles.extend(runs.iter().map(|(_, chars)| string(chars)));
                        let whole: Vec<char> = runs.iter().flat_map(|(_, chars)| chars.iter().copied()).collect();
                        tokens.push(QueryToken::Word {
                            text: string(&whole[..whole.len().min(MAX_RUN_CHARS)]),
                            digits: matches!(runs.as_slice(), [(Class::Digit, _)]),
                            glued: runs.len() > 1,
                            last: false,
                        });
                    }
                }
            }
            tokens.truncate(MAX_TOKENS_PER_WORD);
            if let Some(QueryToken::Word { last, .. }) = tokens.last_mut() {
                *last = true;
            }
            if !tokens.is_empty() {
                words.push(tokens);
            }
            if words.len() == MAX_WORDS {
                break;
            }
        }
        needles.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
        needles.dedup();
        (!words.is_empty()).then_some(Query {
            words,
            needles,
            ticket_no,
            only_number: signed.is_some() && ticket_no.is_some(),
        })
    }

    /// The `tsquery` that finds every document holding all the words. `phones`: whether digits
    /// may also match a buyer's phone number.
    pub fn to_tsquery(&self, phones: bool) -> String {
        self.render(Join::All, |out, token| plain_token(out, token, phones))
    }

    /// What a search asks of a ticket's two documents ([`Query::to_tsquery`] for every word, and
    /// the same words joined by "or"): see [`Asked`].
    pub fn asked(&self, phones: bool) -> Asked {
        Asked {
            all: self.to_tsquery(phones),
            any: self.render(Join::Any, |out, token| plain_token(out, token, phones)),
        }
    }

    /// Whether it holds letters or digits (an identifier can match it exactly), four or more of
    /// them.
    pub fn has_long_words(&self) -> bool {
        let words: Vec<&String> = self
            .words
            .iter()
            .flatten()
            .filter_map(|t| match t {
                QueryToken::Word { text, .. } => Some(text),
                _ => None,
            })
            .collect();
        words.iter().map(|w| w.chars().count()).sum::<usize>() >= 4
    }

    /// The `tsquery` of the best matches: every token exactly, in an identifier (weight `A`).
    pub fn to_best_tsquery(&self) -> String {
        self.render(Join::All, best_token)
    }

    /// [`Query::to_best_tsquery`] as asked of a ticket's two documents ([`Asked`]).
    pub fn best_asked(&self) -> Asked {
        Asked {
            all: self.to_best_tsquery(),
            any: self.render(Join::Any, best_token),
        }
    }

    fn render(&self, join: Join, mut token: impl FnMut(&mut String, &QueryToken)) -> String {
        let mut out = String::new();
        for (w, word) in self.words.iter().enumerate() {
            if w > 0 {
                out.push_str(match join {
                    Join::All => " & ",
                    Join::Any => " | ",
                });
            }
            let phrase = word.len() > 1;
            if phrase {
                out.push('(');
            }
            for (i, t) in word.iter().enumerate() {
                if i > 0 {
                    out.push_str(" <-> ");
                }
                token(&mut out, t);
            }
            if phrase {
                out.push(')');
            }
        }
        out
    }

    /// Marks what the query's runs match in `text`: `None` when nothing does, else the text cut
    /// to about `width` characters around the first hit, in pieces that are or are not a hit.
    pub fn mark(&self, text: &str, width: usize) -> Option<Vec<Piece>> {
        let chars: Vec<(usize, char)> = text.char_indices().map(|(at, c)| (at, fold(c))).collect();
        let mut hit = vec![false; chars.len()];
        for needle in &self.needles {
            let needle: Vec<char> = needle.chars().collect();
            if needle.is_empty() || needle.len() > chars.len() {
                continue;
            }
            for start in 0..=chars.len() - needle.len() {
                if chars[start..start + needle.len()]
                    .iter()
                    .map(|(_, c)| *c)
                    .eq(needle.iter().copied())
                {
                    hit[start..start + needle.len()].iter_mut().for_each(|h| *h = true);
                }
            }
        }
        let first = hit.iter().position(|h| *h)?;
        let before = width / 4;
        let from = first.saturating_sub(before);
        let to = (from + width).min(chars.len());
        let byte = |i: usize| chars.get(i).map_or(text.len(), |(at, _)| *at);
        let mut pieces: Vec<Piece> = Vec::new();
        if from > 0 {
            pieces.push(Piece::plain("…"));
        }
        let mut i = from;
        while i < to {
            let marked = hit[i];
            let mut j = i;
            while j < to && hit[j] == marked {
                j += 1;
            }
            pieces.push(Piece {
                text: text[byte(i)..byte(j)].to_string(),
                hit: marked,
            });
            i = j;
        }
        if to < chars.len() {
            pieces.push(Piece::plain("…"));
        }
        Some(pieces)
    }
}

/// A piece of a marked text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Piece {
    pub text: String,
    /// Whether it is what the query matched.
    pub hit: bool,
}

impl Piece {
    pub fn plain(text: &str) -> Piece {
        Piece {
            text: text.to_string(),
            hit: false,
        }
    }
}

/// The text cut to `width` characters, unmarked (a hit's context when the hit was in another
/// piece of text).
pub fn excerpt(text: &str, width: usize) -> Vec<Piece> {
    let mut pieces = vec![Piece::plain(&text.chars().take(width).collect::<String>())];
    if text.chars().nth(width).is_some() {
        pieces.push(Piece::plain("…"));
    }
    pieces
}

/// Splits a query at spaces, keeping a quoted phrase (`"…"` or `“…”`) whole.
fn split_words(input: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in input.chars() {
        match c {
            '"' | '“' | '”' => {
                quoted = !quoted;
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            // Inside quotes, spaces separate runs but not words.
            c => current.push(if c.is_whitespace() { ' ' } else { c }),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn doc(pieces: &[(Source, &str)]) -> String {
        let mut doc = Doc::new();
        for (source, text) in pieces {
            doc.add(*source, text);
        }
        doc.to_tsvector()
    }

    #[test]
    fn a_cjk_run_becomes_its_bigrams_and_its_characters() {
        assert_eq!(
            doc(&[(Source::Description, "蓝牙耳机")]),
            "'机':3B '牙':2B '牙耳':2B '耳':3B '耳机':3B '蓝':1B '蓝牙':1B"
        );
    }

    #[test]
    fn letters_and_digits_are_runs_of_their_own_lower_cased_and_full_width_read_as_ascii() {
        assert_eq!(
            doc(&[(Source::FollowUp, "ＳＦ快递 SF1234")]),
            "'1234':3C 'sf':1C,3C '~gsf1234':3C '快':2C '快递':2C '递':2C"
        );
    }

    #[test]
    fn identifiers_index_the_endings_of_their_digits_and_the_pieces_of_their_letters() {
        let v = doc(&[(Source::Nick, "tb_zhouzhou8614")]);
        for lexeme in [
            "'tb':1A",
            "'zhouzhou':2A",
            "'~szhouzhou':2A",
            "'~shouzhou':2A",
            "'~souzho':2A",
            "'~szhou':2A",
            "'8614':2A",
            "'614':2A",
            "'~gzhouzhou8614':2A",
            "'~gouzhou8614':2A",
            "'~gu8614':2A",
        ] {
            assert!(v.contains(lexeme), "{lexeme} in {v}");
        }
        assert!(!v.contains("'ou'"), "two characters are not an ending: {v}");
        assert!(!v.contains("'~shou'"), "pieces have four letters or more: {v}");
        assert!(!v.contains("'houzhou'"), "pieces are apart from words: {v}");
        assert!(!v.contains("'~g8614'"), "the last run's endings are its own: {v}");
        let free = doc(&[(Source::FollowUp, "zhouzhou")]);
        assert_eq!(free, "'zhouzhou':1C", "free text does not index endings");
    }

    #[test]
    fn letters_and_digits_written_together_stand_at_one_position_and_whole() {
        assert_eq!(
            doc(&[(Source::Description, "iPhone15 SF-1234")]),
            "'1234':3B '15':1B 'iphone':1B 'sf':2B '~giphone15':1B"
        );
        let tracking = doc(&[(Source::Tracking, "SF123456")]);
        for lexeme in ["'~gsf123456':1A", "'~gf123456':1A", "'123456':1A", "'3456':1A"] {
            assert!(tracking.contains(lexeme), "{lexeme} in {tracking}");
        }
    }

    #[test]
    fn phones_are_kept_under_their_own_name() {
        let v = doc(&[(Source::Phone, "138-1234-5678")]);
        assert!(v.contains("'~p138':1A"), "{v}");
        assert!(v.contains("'~p5678':3A"), "{v}");
        assert!(!v.contains("'5678'"), "{v}");
    }

    #[test]
    fn pieces_are_kept_apart_so_that_no_phrase_spans_two() {
        // 破 ends the first piece (position 1), 损 starts the second (position 3): no `破损`.
        let v = doc(&[(Source::Note, "打破"), (Source::Note, "损坏")]);
        assert_eq!(v, "'坏':3C '打':1C '打破':1C '损':3C '损坏':3C '破':1C");
    }

    #[test]
    fn age_lexemes_have_no_positions() {
        let mut d = Doc::new();
        d.add(Source::Description, "破损");
        d.add_age(5000);
        assert_eq!(d.to_tsvector(), "'~a1' '~b0' '~c0' '损':1B '破':1B '破损':1B");
    }

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(doc(&[(Source::FollowUp, "o'neil")]), "'neil':2C 'o':1C");
        let mut out = String::new();
        quote(&mut out, "a'b\\c");
        assert_eq!(out, r"'a''b\\c'");
    }

    #[test]
    fn queries_become_phrases_of_bigrams_and_prefixes() {
        let q = |s: &str| Query::parse(s).expect("a query").to_tsquery(false);
        assert_eq!(q("蓝牙耳机"), "('蓝牙' <-> '牙耳' <-> '耳机')");
        assert_eq!(q("破损"), "'破损'");
        assert_eq!(q("破"), "'破'");
        assert_eq!(q("zhouzhou"), "('~szhouzhou' | 'zhouzhou':*)");
        assert_eq!(q("tb_zhou 破损"), "('tb' <-> ('~szhou' | 'zhou':*)) & '破损'");
        assert_eq!(q("\"bad box\""), "('bad' <-> 'box')", "three letters match whole");
        assert_eq!(q("\"bad boxes\""), "('bad' <-> ('~sboxes' | 'boxes':*))");
        assert_eq!(q("#156"), "'156'");
        assert_eq!(
            q("ili72"),
            "'~gili72':*",
            "letters and digits written together are one token"
        );
        assert_eq!(q("SF-1234"), "('sf' <-> '1234':*)");
        assert_eq!(q("iPhone充电"), "(('~siphone' | 'iphone') <-> '充电')");
        assert_eq!(Query::parse("  ,,, ！ "), None);
    }

    #[test]
    fn digits_reach_phones_only_when_asked() {
        let q = Query::parse("5678").expect("a query");
        assert_eq!(q.to_tsquery(false), "'5678':*");
        assert_eq!(q.to_tsquery(true), "('5678':* | '~p5678':*)");
        let short = Query::parse("tel1").expect("a query");
        assert_eq!(
            short.to_tsquery(false),
            "'~gtel1':*",
            "no query reaches the phones' names"
        );
    }

    #[test]
    fn a_ticket_is_asked_for_every_word_and_its_added_words_for_any() {
        let q = Query::parse("tb_zhou 破损 5678").expect("a query");
        let asked = q.asked(true);
        assert_eq!(asked.all, q.to_tsquery(true));
        assert_eq!(
            asked.all,
            "('tb' <-> ('~szhou' | 'zhou':*)) & '破损' & ('5678':* | '~p5678':*)"
        );
        assert_eq!(
            asked.any,
            "('tb' <-> ('~szhou' | 'zhou':*)) | '破损' | ('5678':* | '~p5678':*)"
        );
        let best = Query::parse("SF1234 tb_zhou").expect("a query").best_asked();
        assert_eq!(best.all, "'~gsf1234':A & ('tb':A <-> 'zhou':A)");
        assert_eq!(best.any, "'~gsf1234':A | ('tb':A <-> 'zhou':A)");
        let one = Query::parse("破损").expect("a query").asked(false);
        assert_eq!(one.all, one.any, "one word: the same");
    }

    #[test]
    fn the_best_matches_are_exact_identifiers() {
        let q = Query::parse("SF1234").expect("a query");
        assert_eq!(q.to_best_tsquery(), "'~gsf1234':A");
    }

    #[test]
    fn long_words_are_four_letters_or_digits_or_more() {
        let words = |s: &str| Query::parse(s).expect("a query").has_long_words();
        assert!(words("12345678") && words("破损 zhouzhou") && words("SF1234"));
        assert!(!words("蓝牙耳机") && !words("123") && !words("破损 tb"));
    }

    #[test]
    fn a_ticket_number_is_read_with_or_without_its_sign() {
        assert_eq!(Query::parse("#156").and_then(|q| q.ticket_no), Some(156));
        assert_eq!(Query::parse("156").and_then(|q| q.ticket_no), Some(156));
        assert_eq!(Query::parse("15a").and_then(|q| q.ticket_no), None);
        assert_eq!(Query::parse("#0").and_then(|q| q.ticket_no), None);
        assert!(Query::parse("#156").is_some_and(|q| q.only_number));
        assert!(!Query::parse("156").is_some_and(|q| q.only_number));
        assert!(!Query::parse("#15a").is_some_and(|q| q.only_number));
    }

    #[test]
    fn marking_cuts_around_the_first_hit() {
        let q = Query::parse("破损").expect("a query");
        let pieces = q.mark("已联系买家，外箱破损，安排补发", 40).expect("a hit");
        let joined: Vec<(String, bool)> = pieces.into_iter().map(|p| (p.text, p.hit)).collect();
        assert_eq!(
            joined,
            vec![
                ("已联系买家，外箱".to_string(), false),
                ("破损".to_string(), true),
                ("，安排补发".to_string(), false)
            ]
        );
        assert_eq!(q.mark("完好无损", 40), None);
        let long = format!("{}破损{}", "啊".repeat(50), "哦".repeat(50));
        let pieces = q.mark(&long, 20).expect("a hit");
        assert_eq!(pieces.first().map(|p| p.text.as_str()), Some("…"));
        assert_eq!(pieces.last().map(|p| p.text.as_str()), Some("…"));
        assert!(pieces.iter().any(|p| p.hit && p.text == "破损"));
    }

    #[test]
    fn marking_ignores_case_and_width() {
        let q = Query::parse("zhouzhou").expect("a query");
        let pieces = q.mark("tb_ZhouZhou8614", 40).expect("a hit");
        assert!(pieces.iter().any(|p| p.hit && p.text == "ZhouZhou"));
    }

    /// Whether `query` finds `text` by the index's logic: each word's tokens stand at
    /// consecutive positions (a model of PostgreSQL's phrase match over the document).
    fn model_finds(text: &str, query: &Query, source: Source) -> bool {
        let mut d = Doc::new();
        d.add(source, text);
        query.words.iter().all(|word| {
            (1..=d.next).any(|start| {
                word.iter().enumerate().all(|(i, token)| {
                    let at = start + i as u32;
                    d.lexemes.iter().any(|(lexeme, positions)| {
                        positions.iter().any(|(p, _)| *p == at)
                            && match token {
                                QueryToken::Pair(pair) => lexeme == pair,
                                QueryToken::Single(c) => *lexeme == c.to_string(),
                                QueryToken::Word {
                                    text,
                                    digits: false,
                                    glued: false,
                                    ..
                                } if text.chars().count() >= MIN_PREFIX_CHARS
                                    && *lexeme == format!("{PIECE}{text}") =>
                                {
                                    true
                                }
                                QueryToken::Word {
                                    text,
                                    glued,
                                    last: true,
                                    ..
                                } if text.chars().count() >= MIN_PREFIX_CHARS => {
                                    lexeme.starts_with(glued_lexeme(text, *glued).as_str())
                                }
                                QueryToken::Word { text, glued, .. } => *lexeme == glued_lexeme(text, *glued),
                            }
                    })
                })
            })
        })
    }

    proptest! {
        /// Any piece of a text's CJK runs (one character or more) is found in it.
        #[test]
        fn any_piece_of_chinese_text_is_found(chars in proptest::collection::vec(0x4E00u32..0x4E40, 1..12), from in 0usize..12, len in 1usize..6) {
            let text: String = chars.iter().filter_map(|c| char::from_u32(*c)).collect();
            let n = text.chars().count();
            let from = from % n;
            let len = len.min(n - from);
            let piece: String = text.chars().skip(from).take(len).collect();
            let query = Query::parse(&piece).expect("a query");
            prop_assert!(model_finds(&text, &query, Source::FollowUp), "{piece} in {text}");
        }

        /// Any ending of an identifier, and any start of one of its runs, finds it.
        #[test]
        fn identifiers_are_found_by_their_endings(digits in "[0-9]{6,20}", cut in 0usize..20) {
            let cut = cut % (digits.len() - MIN_ENDING_CHARS + 1);
            let ending = &digits[cut..];
            let query = Query::parse(ending).expect("a query");
            prop_assert!(model_finds(&digits, &query, Source::OrderNo));
        }

        /// Any four characters or more of a nick's letters and digits written together find it,
        /// whether they fall in the letters, the digits or across both.
        #[test]
        fn any_piece_of_a_glued_identifier_is_found(letters in "[a-z]{3,10}", digits in "[0-9]{3,8}", from in 0usize..18, len in 4usize..18) {
            let glued = format!("{letters}{digits}");
            let from = from % (glued.len() - 3);
            let len = len.min(glued.len() - from).max(4);
            let piece = &glued[from..from + len];
            let query = Query::parse(piece).expect("a query");
            prop_assert!(model_finds(&format!("tb_{glued}"), &query, Source::Nick), "{piece} in {glued}");
        }

        /// Documents and queries never fail to be written, whatever the text.
        #[test]
        fn any_text_makes_a_document_and_any_query_a_tsquery(text in "\\PC{0,80}") {
            let mut d = Doc::new();
            d.add(Source::Description, &text);
            let v = d.to_tsvector();
            prop_assert_eq!(v.matches('\'').count() % 2, 0);
            if let Some(q) = Query::parse(&text) {
                prop_assert!(!q.to_tsquery(true).is_empty());
                prop_assert!(model_finds(&text, &q, Source::Description) || text.contains('"') || text.contains('“') || text.contains('”') || q.words.len() == MAX_WORDS || q.words.iter().any(|w| w.len() == MAX_TOKENS_PER_WORD));
            }
        }
    }
}

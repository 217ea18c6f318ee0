//! Translation: every string a person reads goes through the one catalogue in [`catalogue`].
//!
//! Simplified Chinese is the default; English is complete and switched on per user with the
//! language switch in the header (a `lang` cookie) or `Accept-Language` for API messages.

mod catalogue;

use std::collections::HashMap;
use std::sync::LazyLock;

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;

/// A language the desk speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The code used in cookies and query strings.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The value for `<html lang>`.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Parses `zh`/`en` (and `zh-CN`, `en-US`, ...).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
}

static CATALOGUE: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> = LazyLock::new(|| {
    catalogue::SECTIONS
        .iter()
        .flat_map(|section| section.iter())
        .map(|&(key, zh, en)| (key, (zh, en)))
        .collect()
});

/// Whether the catalogue knows `key`.
pub fn has(key: &str) -> bool {
    CATALOGUE.contains_key(key)
}

/// A message for a person, not yet in a language: a catalogue key and the values of its
/// `{name}` placeholders. Services and importers say what was wrong with one; the page or the
/// API puts it into words with [`Tr::message`] (the API in English).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Message {
    /// The message of `key`, without placeholders.
    pub fn new(key: &'static str) -> Message {
        Message { key, args: Vec::new() }
    }

    /// The same message with `{name}` standing for `value`.
    pub fn with(mut self, name: &'static str, value: impl std::fmt::Display) -> Message {
        self.args.push((name, value.to_string()));
        self
    }

    /// The message in English (the JSON API's language).
    pub fn english(&self) -> String {
        Tr::new(Lang::En, chrono_tz::Asia::Shanghai).message(self)
    }
}

/// Stored as `{"key": "…", "args": {"name": "value"}}` (an import job's wrong rows keep theirs).
impl serde::Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let args: serde_json::Map<String, serde_json::Value> = self
            .args
            .iter()
            .map(|(name, value)| (name.to_string(), serde_json::Value::String(value.clone())))
            .collect();
        let mut out = serializer.serialize_struct("Message", 2)?;
        out.serialize_field("key", self.key)?;
        out.serialize_field("args", &args)?;
        out.end()
    }
}

/// Read back only for a key the catalogue has, with the placeholders its English text names
/// (others are dropped): a key and names that live as long as the program.
impl<'de> serde::Deserialize<'de> for Message {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Message, D::Error> {
        #[derive(serde::Deserialize)]
        struct Stored {
            key: String,
            #[serde(default)]
            args: std::collections::BTreeMap<String, String>,
        }
        let stored = Stored::deserialize(deserializer)?;
        let (&key, &(_, en)) = CATALOGUE
            .get_key_value(stored.key.as_str())
            .ok_or_else(|| serde::de::Error::custom(format!("no catalogue key `{}`", stored.key)))?;
        let mut message = Message::new(key);
        for (name, value) in stored.args {
            let placeholder = format!("{{{name}}}");
            if let Some(at) = en.find(&placeholder) {
                message.args.push((&en[at + 1..at + 1 + name.len()], value));
            }
        }
        Ok(message)
    }
}

/// The translator handed to every template: `{{ t.t("queue.title") }}`.
#[derive(Clone, Copy, Debug)]
pub struct Tr {
    pub lang: Lang,
    pub zone: Tz,
}

impl Tr {
    /// A translator for `lang`, showing times in `zone`.
    pub fn new(lang: Lang, zone: Tz) -> Tr {
        Tr { lang, zone }
    }

    /// The text for `key`.
    pub fn t(&self, key: &str) -> &'static str {
        match CATALOGUE.get(key) {
            Some((zh, _)) if self.lang == Lang::Zh => zh,
            Some((_, en)) => en,
            None => "??",
        }
    }

    /// The text for `key` with `{name}` placeholders filled in.
    pub fn f(&self, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
        fill(self.t(key), |name, out| {
            let value = args.iter().find(|(arg, _)| *arg == name)?.1;
            // Writing to a String cannot fail.
            let _ = write!(out, "{value}");
            Some(())
        })
    }

    /// A [`Message`] in this language.
    pub fn message(&self, message: &Message) -> String {
        fill(self.t(message.key), |name, out| {
            out.push_str(&message.args.iter().find(|(arg, _)| *arg == name)?.1);
            Some(())
        })
    }

    /// An instant as local date and time in the shop's zone.
    pub fn datetime(&self, at: &DateTime<Utc>) -> String {
        // Written out rather than through a `format` string, which is parsed again at each
        // call: a list page writes two of these a row.
        let local = at.with_timezone(&self.zone);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            local.year(),
            local.month(),
            local.day(),
            local.hour(),
            local.minute()
        )
    }

    /// An optional instant, or a dash.
    pub fn datetime_opt(&self, at: &Option<DateTime<Utc>>) -> String {
        at.as_ref().map(|at| self.datetime(at)).unwrap_or_else(|| "—".into())
    }

    /// An instant in RFC 3339 with the shop's offset, for `<time datetime>`.
    pub fn rfc3339(&self, at: &DateTime<Utc>) -> String {
        at.with_timezone(&self.zone).to_rfc3339()
    }

    /// A duration in words ("3 小时 12 分" / "3 h 12 min"), for countdowns.
    pub fn duration(&self, seconds: i64) -> String {
        let seconds = seconds.abs();
        let (days, hours, minutes) = (seconds / 86_400, seconds % 86_400 / 3_600, seconds % 3_600 / 60);
        match self.lang {
            Lang::Zh if days > 0 => format!("{days}天{hours}小时"),
            Lang::Zh if hours > 0 => format!("{hours}小时{minutes}分"),
            Lang::Zh => format!("{minutes}分钟"),
            Lang::En if days > 0 => format!("{days} d {hours} h"),
            Lang::En if hours > 0 => format!("{hours} h {minutes} min"),
            Lang::En => format!("{minutes} min"),
        }
    }
}

/// `template` with each `{name}` placeholder replaced by what `value` writes for it, in one
/// pass (a value is never searched for placeholders itself); a placeholder `value` does not know
/// (`None`) is kept as written.
fn fill(template: &str, mut value: impl FnMut(&str, &mut String) -> Option<()>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if value(&after[..close], &mut out).is_some() => rest = &after[close + 1..],
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The language of a request: the `lang` cookie (the header switch), else `Accept-Language`,
/// else Chinese.
pub fn request_lang(headers: &axum::http::HeaderMap) -> Lang {
    if let Some(lang) = crate::auth::extract::cookie(headers, "lang").and_then(|v| Lang::parse(&v)) {
        return lang;
    }
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(Lang::parse)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_in_one_pass_and_unknown_ones_are_kept() {
        let fill_with = |template: &str, args: &[(&str, &str)]| {
            fill(template, |name, out| {
                out.push_str(args.iter().find(|(arg, _)| *arg == name)?.1);
                Some(())
            })
        };
        assert_eq!(fill_with("{n} 张，共 {n} 张", &[("n", "3")]), "3 张，共 3 张");
        assert_eq!(fill_with("{a}{b}", &[("a", "1"), ("b", "2")]), "12");
        // A value is not searched for placeholders, whatever order the arguments come in.
        assert_eq!(fill_with("{a} / {b}", &[("a", "{b}"), ("b", "x")]), "{b} / x");
        assert_eq!(fill_with("{b} / {a}", &[("a", "{b}"), ("b", "x")]), "x / {b}");
        // What is not a known placeholder stays as written.
        assert_eq!(fill_with("{x} {a", &[("a", "1")]), "{x} {a");
        assert_eq!(fill_with("{{a}}", &[("a", "1")]), "{1}");
        assert_eq!(fill_with("", &[]), "");
        assert_eq!(fill_with("没有占位", &[("a", "1")]), "没有占位");
    }

    #[test]
    fn a_local_date_and_time_is_written_with_leading_zeros_in_the_shops_zone() {
        let t = Tr::new(Lang::Zh, chrono_tz::Asia::Shanghai);
        let at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, 2, 16, 5, 59)
            .single()
            .expect("instant");
        assert_eq!(t.datetime(&at), "2026-01-03 00:05");
        let t = Tr::new(Lang::En, chrono_tz::America::New_York);
        assert_eq!(t.datetime(&at), "2026-01-02 11:05");
    }

    #[test]
    fn every_entry_has_both_languages_and_keys_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for (key, zh, en) in catalogue::SECTIONS.iter().flat_map(|section| section.iter()) {
            assert!(keys.insert(*key), "duplicate key {key}");
            assert!(!zh.trim().is_empty(), "{key} has no Chinese text");
            assert!(!en.trim().is_empty(), "{key} has no English text");
        }
    }

    /// An English message with a count reads right for one and for many: the catalogue has no
    /// plural forms, so a count stands where its noun need not agree with it ("Rows that are
    /// wrong: 1"), never after a hedged "(s)" ("1 day(s)", as the reports' notice once said).
    #[test]
    fn no_english_message_hedges_a_plural_with_s_in_brackets() {
        let hedged: Vec<&str> = catalogue::SECTIONS
            .iter()
            .flat_map(|section| section.iter())
            .filter(|(_, _, en)| en.contains("(s)"))
            .map(|(key, _, _)| *key)
            .collect();
        assert!(hedged.is_empty(), "{hedged:?}");
    }

    /// Every `t("…")` / `f("…"` used in a template or in the code must be in the catalogue.
    #[test]
    fn every_key_used_in_templates_and_code_is_in_the_catalogue() {
        let mut missing = Vec::new();
        for dir in ["templates", "src"] {
            visit(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).as_path(),
                &mut |text| {
                    for marker in [".t(\"", ".f(\"", "tr_key(\""] {
                        for (pos, _) in text.match_indices(marker) {
                            let rest = &text[pos + marker.len()..];
                            if let Some(end) = rest.find('"') {
                                let key = &rest[..end];
                                if key.contains('.') && !key.contains(' ') && !has(key) {
                                    missing.push(key.to_string());
                                }
                            }
                        }
                    }
                },
            );
        }
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "keys missing from the catalogue: {missing:?}");
    }

    fn visit(dir: &std::path::Path, check: &mut dyn FnMut(&str)) {
        for entry in std::fs::read_dir(dir).expect("readable dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                visit(&path, check);
            } else if path.extension().is_some_and(|e| e == "html" || e == "rs") {
                check(&std::fs::read_to_string(&path).expect("readable file"));
            }
        }
    }

    #[test]
    fn a_message_reads_back_as_stored() {
        let message = Message::new("import.row.not_whole")
            .with("column", "数量")
            .with("value", "two");
        let stored = serde_json::to_value(&message).expect("stored");
        assert_eq!(serde_json::from_value::<Message>(stored).expect("read"), message);
        let unknown = serde_json::json!({ "key": "no.such.key", "args": {} });
        assert!(serde_json::from_value::<Message>(unknown).is_err());
    }

    #[test]
    fn languages_parse_from_codes_and_headers() {
        assert_eq!(Lang::parse("en-US"), Some(Lang::En));
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("fr"), None);
    }

    #[test]
    fn durations_read_naturally() {
        let zh = Tr::new(Lang::Zh, chrono_tz::Asia::Shanghai);
        assert_eq!(zh.duration(3 * 3600 + 12 * 60), "3小时12分");
        let en = Tr::new(Lang::En, chrono_tz::Asia::Shanghai);
        assert_eq!(en.duration(-(26 * 3600)), "1 d 2 h");
    }
}

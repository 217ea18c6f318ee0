//! An audit entry's details (stored as JSON) as a person reads them: labelled key/value pairs in
//! the reader's language, with user ids and shop ids given as names, roles, kinds of import and
//! yes/no in words, nested settings and counts flattened (their own labels say what they are),
//! nothing empty.

use std::collections::HashMap;

use serde_json::Value;

use crate::i18n::Tr;

/// The names ids stand for.
#[derive(Debug, Default)]
pub struct Names {
    pub users: HashMap<i64, String>,
    pub shops: HashMap<i64, String>,
}

/// One detail: its label and its value, both readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub label: String,
    pub value: String,
}

/// Keys whose value is a user id.
const USER_KEYS: &[&str] = &["user", "from", "to", "maker"];
/// Keys whose value is a list of shop ids.
const SHOP_KEYS: &[&str] = &["shops"];
/// Keys not shown: an import's dry-run flag (dry runs are never recorded, so it always says no).
const HIDDEN_KEYS: &[&str] = &["dry_run"];

/// The details of an entry, in order; an entry without details gives none.
pub fn describe(t: Tr, details: &Value, names: &Names) -> Vec<Detail> {
    let mut out = Vec::new();
    if let Value::Object(map) = details {
        for (key, value) in map {
            push(t, names, key, value, &mut out);
        }
    }
    out
}

fn label(t: Tr, key: &str) -> String {
    let catalogue_key = format!("admin_pages.key.{key}");
    if crate::i18n::has(&catalogue_key) {
        t.t(&catalogue_key).to_string()
    } else {
        key.replace('_', " ")
    }
}

fn push(t: Tr, names: &Names, key: &str, value: &Value, out: &mut Vec<Detail>) {
    if HIDDEN_KEYS.contains(&key) {
        return;
    }
    if let Value::Object(map) = value {
        for (child, value) in map {
            push(t, names, child, value, out);
        }
        return;
    }
    let label = label(t, key);
    let text = match value {
        Value::Null => return,
        Value::Number(n) if USER_KEYS.contains(&key) => n
            .as_i64()
            .map(|id| user_name(t, names, id))
            .unwrap_or_else(|| n.to_string()),
        Value::Array(items) if SHOP_KEYS.contains(&key) => {
            if items.is_empty() {
                "—".to_string()
            } else {
                items
                    .iter()
                    .map(|item| match item.as_i64() {
                        Some(id) => names
                            .shops
                            .get(&id)
                            .cloned()
                            .unwrap_or_else(|| t.t("admin_pages.unknown_shop").to_string()),
                        None => scalar(t, item),
                    })
                    .collect::<Vec<_>>()
                    .join("、")
            }
        }
        Value::String(role) if key == "role" => crate::auth::Role::parse(role)
            .map(|r| t.t(r.label_key()).to_string())
            .unwrap_or_else(|| role.clone()),
        Value::String(kind) if key == "kind" => match kind.as_str() {
            "orders" => t.t("import.kind_orders_short").to_string(),
            "refunds" => t.t("import.kind_refunds_short").to_string(),
            other => other.to_string(),
        },
        Value::String(method) if key == "method" => crate::rules::compensation::Method::parse(method)
            .map(|m| t.t(m.label_key()).to_string())
            .unwrap_or_else(|| method.clone()),
        Value::String(reason) if key == "reason" => crate::rules::compensation::Reason::parse(reason)
            .map(|r| t.t(r.label_key()).to_string())
            .unwrap_or_else(|| reason.clone()),
        Value::Number(n) if key.ends_with("_fen") => n
            .as_i64()
            .map(|fen| crate::money::Fen(fen).to_string())
            .unwrap_or_else(|| n.to_string()),
        Value::Array(items) if key == "over_limits" => items
            .iter()
            .map(
                |item| match item.as_str().and_then(crate::rules::compensation::Limit::parse) {
                    Some(limit) => t.t(limit.label_key()).to_string(),
                    None => scalar(t, item),
                },
            )
            .collect::<Vec<_>>()
            .join(t.t("ledger.list_sep")),
        Value::String(via) if key == "via" => match via.as_str() {
            "upload" => t.t("admin_pages.via.upload").to_string(),
            "cli" => t.t("admin_pages.via.cli").to_string(),
            other => other.to_string(),
        },
        Value::Array(items) => items.iter().map(|item| scalar(t, item)).collect::<Vec<_>>().join("、"),
        other => scalar(t, other),
    };
    if text.is_empty() {
        return;
    }
    out.push(Detail { label, value: text });
}

fn user_name(t: Tr, names: &Names, id: i64) -> String {
    names
        .users
        .get(&id)
        .cloned()
        .unwrap_or_else(|| t.t("admin_pages.unknown_user").to_string())
}

fn scalar(t: Tr, value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => t.t("admin_pages.yes").to_string(),
        Value::Bool(false) => t.t("admin_pages.no").to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use serde_json::json;

    fn names() -> Names {
        Names {
            users: HashMap::from([(7, "王小明".to_string()), (9, "李主管".to_string())]),
            shops: HashMap::from([(1, "示例旗舰店".to_string())]),
        }
    }

    fn tr(lang: Lang) -> Tr {
        Tr::new(lang, chrono_tz::Asia::Shanghai)
    }

    #[test]
    fn user_and_shop_ids_read_as_names() {
        let details = json!({ "user": 7, "login": "wang", "role": "agent", "shops": [1] });
        let lines = describe(tr(Lang::Zh), &details, &names());
        let text = format!("{lines:?}");
        assert!(text.contains("王小明") && text.contains("示例旗舰店"), "{text}");
        assert!(!lines.iter().any(|d| d.value == "7" || d.value == "1"), "{text}");
        let role = lines.iter().find(|d| d.value == tr(Lang::Zh).t("role.agent"));
        assert!(role.is_some(), "the role in words: {text}");
    }

    #[test]
    fn a_reassignment_names_both_people_and_skips_an_empty_side() {
        let lines = describe(tr(Lang::En), &json!({ "ticket": 42, "from": null, "to": 9 }), &names());
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0].value, "42");
        assert_eq!(lines[1].value, "李主管");
    }

    #[test]
    fn nested_settings_are_flattened_under_their_own_labels() {
        let lines = describe(
            tr(Lang::En),
            &json!({ "platform_timers": { "answer_shipped_days": 5 }, "disabled": false }),
            &names(),
        );
        assert_eq!(lines.len(), 2);
        let timer = lines
            .iter()
            .find(|d| d.label == tr(Lang::En).t("admin_pages.key.answer_shipped_days"))
            .expect("the nested timer");
        assert_eq!(timer.value, "5");
        assert!(lines.iter().any(|d| d.value == tr(Lang::En).t("admin_pages.no")));
    }

    #[test]
    fn an_import_reads_its_kind_and_way_in_words_without_the_dry_run_flag() {
        let lines = describe(
            tr(Lang::Zh),
            &json!({ "kind": "orders", "via": "upload", "summary": { "rows": 3, "dry_run": false } }),
            &names(),
        );
        let values: Vec<&str> = lines.iter().map(|d| d.value.as_str()).collect();
        assert_eq!(values, ["订单", "3", "网页上传"], "{lines:?}");
    }

    #[test]
    fn an_unknown_id_is_not_shown_as_a_number() {
        let lines = describe(tr(Lang::En), &json!({ "user": 12345 }), &names());
        assert_eq!(lines[0].value, tr(Lang::En).t("admin_pages.unknown_user"));
    }
}

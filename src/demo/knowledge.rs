//! The demo shop's knowledge: a few product notes about its catalogue (a known issue with its
//! fix, a size chart, what counts as intact for clothes and for cosmetics) and two policies of
//! its own, written by the demo supervisor, so that the ticket page's panel and the knowledge
//! page are not empty on a first look. The same rows `knowledge::create_note` and
//! `create_article` write.

use chrono::{DateTime, Utc};

use crate::ids::{ShopId, UserId};

/// `(scope, subject, kind, title, body, fix)`.
#[rustfmt::skip]
const NOTES: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("sku", "DG-EARBUD-BLK", "known_issue", "左耳机不响：重置配对",
     "左耳机没有声音多数是两只耳机配对错乱，不是坏了；黑色批次反馈最多。",
     "请把两只耳机放回充电仓，开着仓盖长按仓上按键 10 秒，指示灯白灯快闪后在手机蓝牙里删除旧设备，再重新连接。"),
    ("sku", "DG-EARBUD-WHT", "known_issue", "左耳机不响：重置配对",
     "与黑色款相同：多数是配对错乱。",
     "请把两只耳机放回充电仓，开着仓盖长按仓上按键 10 秒，再在手机蓝牙里删除旧设备后重新连接。"),
    ("category", "服装", "intact", "衣物的完好标准",
     "吊牌齐全、未剪；无洗涤、穿着痕迹，无异味、污渍。试穿不影响完好。", ""),
    ("sku", "TS-COTTON-WHT-L", "size_chart", "T 恤尺码（厘米）",
     "M：胸围 100，衣长 68；L：胸围 104，衣长 70；XL：胸围 108，衣长 72。偏大一码的买家建议选小一码。",
     "请买家量一件合身 T 恤的胸围对照尺码表；差 2 厘米以内属正常误差。"),
    ("category", "美妆", "intact", "美妆的完好标准",
     "塑封、防伪贴未拆为完好；拆封后且购买时已确认不适用七天无理由的，不能无理由退货，质量问题除外。", ""),
    ("sku", "HM-MUG-BLU", "known_issue", "杯身小黑点",
     "釉面上针尖大小的黑点是烧制时的铁点，属正常，不影响使用。",
     "先发实物放大图说明；买家仍不接受可换货，运费由本店承担。"),
];

/// A policy: `(title, body, source, rule, kinds)`.
type Policy = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
);

#[rustfmt::skip]
const ARTICLES: &[Policy] = &[
    ("本店七天无理由退货说明",
     "签收次日起 7 天内可申请无理由退货，商品须完好（衣物吊牌齐全，美妆未拆封）。退货运费由买家承担，有运费险的由保险理赔；质量问题、发错货由本店承担运费。收到退货后 48 小时内退款。",
     "《网络购买商品七日无理由退货暂行办法》；本店售后政策", Some("seven_day"), &["return", "exchange", "refund"]),
    ("补偿标准",
     "商品有轻微瑕疵、买家愿意保留的，可按实付金额 10%–20% 小额打款补偿，单笔 ¥50 以内客服可直接处理，超出需主管审批。",
     "本店售后政策", None, &["complaint", "return", "refund"]),
];

/// Writes the demo notes and policies as `author`, in the loading transaction.
pub(super) async fn write(
    tx: &mut sqlx::PgConnection,
    shop: ShopId,
    author: UserId,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    for (scope, subject, kind, title, body, fix) in NOTES {
        sqlx::query(
            "INSERT INTO knowledge_notes (shop_id, scope, subject, kind, title, body, fix, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(shop)
        .bind(scope)
        .bind(subject)
        .bind(kind)
        .bind(title)
        .bind(body)
        .bind(fix)
        .bind(author)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    for (title, body, source, rule, kinds) in ARTICLES {
        let kinds: Vec<&str> = kinds.to_vec();
        sqlx::query(
            "INSERT INTO policy_articles (shop_id, title, body, source, rule, kinds, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(shop)
        .bind(title)
        .bind(body)
        .bind(source)
        .bind(rule)
        .bind(&kinds)
        .bind(author)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::knowledge::{NoteKind, RuleArticle, Scope};
    use crate::rules::workflow::TicketKind;

    #[test]
    fn every_demo_note_and_policy_is_one_the_desk_would_take() {
        for (scope, subject, kind, title, body, fix) in NOTES {
            assert!(Scope::parse(scope).is_some(), "{scope}");
            assert!(NoteKind::parse(kind).is_some(), "{kind}");
            assert!(!subject.is_empty() && !title.is_empty(), "{subject}");
            assert!(!body.is_empty() || !fix.is_empty(), "{title}");
        }
        for (_, _, _, rule, kinds) in ARTICLES {
            assert!(rule.is_none_or(|r| RuleArticle::parse(r).is_some()));
            assert!(kinds.iter().all(|k| TicketKind::parse(k).is_some()), "{kinds:?}");
        }
    }
}

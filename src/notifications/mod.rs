//! Notices to a person in the desk about a ticket: a ticket assigned or escalated to them, handed
//! back to them, a follow-up, a platform clock or a return visit falling due, a buyer not
//! satisfied. Each person may turn kinds off (`notice_muted`). Owns `notifications` and
//! `notice_muted`. Written inside the transaction of the change they tell of; read by the
//! header's badge and the `/notifications` page (`page.rs`). The text is made when shown, in
//! the reader's language, from the kind, the ticket, who did it and their note.

pub mod page;

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

use crate::ids::{ShopId, TicketId, UserId};

/// What a notice tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Someone else assigned a ticket to you.
    AssignedToYou,
    /// A ticket was escalated to you (a supervisor).
    EscalatedToYou,
    /// A supervisor handed a ticket you escalated back to you.
    HandedBack,
    /// The buyer of a ticket you hold said at the return visit they are not satisfied.
    VisitNotSatisfied,
    /// A ticket you hold is due for its follow-up within the hour.
    FollowUpDue,
    /// A platform clock on a ticket you hold runs out within two hours.
    TimerExpiring,
    /// The return visit of a ticket you hold fell due.
    ReturnVisitDue,
    /// The shop's daily digest, to each supervisor (about no one ticket; `webhooks::digest`).
    DailyDigest,
    /// A compensation over the shop's limits waits for your approval (`compensation`).
    CompensationWaiting,
    /// Your compensation that waited was approved.
    CompensationApproved,
    /// Your compensation that waited was rejected.
    CompensationRejected,
}

impl Kind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::AssignedToYou => "assigned_to_you",
            Kind::EscalatedToYou => "escalated_to_you",
            Kind::HandedBack => "handed_back",
            Kind::VisitNotSatisfied => "visit_not_satisfied",
            Kind::FollowUpDue => "follow_up_due",
            Kind::TimerExpiring => "timer_expiring",
            Kind::ReturnVisitDue => "return_visit_due",
            Kind::DailyDigest => "daily_digest",
            Kind::CompensationWaiting => "compensation_waiting",
            Kind::CompensationApproved => "compensation_approved",
            Kind::CompensationRejected => "compensation_rejected",
        }
    }

    /// Every kind.
    pub const ALL: [Kind; 11] = [
        Kind::AssignedToYou,
        Kind::EscalatedToYou,
        Kind::HandedBack,
        Kind::VisitNotSatisfied,
        Kind::FollowUpDue,
        Kind::TimerExpiring,
        Kind::ReturnVisitDue,
        Kind::DailyDigest,
        Kind::CompensationWaiting,
        Kind::CompensationApproved,
        Kind::CompensationRejected,
    ];

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The catalogue key of its sentence (`{ticket}`, `{who}`).
    pub fn text_key(self) -> &'static str {
        match self {
            Kind::AssignedToYou => "notice.assigned_to_you",
            Kind::EscalatedToYou => "notice.escalated_to_you",
            Kind::HandedBack => "notice.handed_back",
            Kind::VisitNotSatisfied => "notice.visit_not_satisfied",
            Kind::FollowUpDue => "notice.follow_up_due",
            Kind::TimerExpiring => "notice.timer_expiring",
            Kind::ReturnVisitDue => "notice.return_visit_due",
            Kind::DailyDigest => "notice.daily_digest",
            Kind::CompensationWaiting => "notice.compensation_waiting",
            Kind::CompensationApproved => "notice.compensation_approved",
            Kind::CompensationRejected => "notice.compensation_rejected",
        }
    }

    /// The catalogue key of its line in the settings ("notify me when …").
    pub fn setting_key(self) -> String {
        format!("notice.kind.{}", self.as_str())
    }
}

/// Tells `user` about `ticket`, inside the caller's transaction — unless they turned that kind
/// of notice off.
#[allow(clippy::too_many_arguments)]
pub async fn notify(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    user: UserId,
    ticket: TicketId,
    kind: Kind,
    actor: UserId,
    note: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO notifications (shop_id, user_id, ticket_id, kind, actor_id, note, created_at)
         SELECT $1, $2, $3, $4, $5, $6, $7
         WHERE NOT EXISTS (SELECT 1 FROM notice_muted WHERE user_id = $2 AND kind = $4)",
    )
    .bind(shop)
    .bind(user)
    .bind(ticket)
    .bind(kind.as_str())
    .bind(actor)
    .bind(note)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Gives `user` the shop's daily digest (`note`: its figures), inside the caller's transaction.
pub async fn notify_digest(
    db: impl PgExecutor<'_>,
    shop: ShopId,
    user: UserId,
    note: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO notifications (shop_id, user_id, kind, note, created_at)
         SELECT $1, $2, 'daily_digest', $3, $4
         WHERE NOT EXISTS (SELECT 1 FROM notice_muted WHERE user_id = $2 AND kind = 'daily_digest')",
    )
    .bind(shop)
    .bind(user)
    .bind(note)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// How far ahead a follow-up's holder is reminded.
pub const FOLLOW_UP_AHEAD: chrono::Duration = chrono::Duration::hours(1);
/// How far ahead a platform clock's holder is warned.
pub const TIMER_AHEAD: chrono::Duration = chrono::Duration::hours(2);
/// How long after a return visit fell due its holder is still told of it.
pub const VISIT_LOOKBACK: chrono::Duration = chrono::Duration::days(2);

/// Reminds each holder of an open ticket whose follow-up falls due within [`FOLLOW_UP_AHEAD`],
/// or whose earliest platform clock runs out within [`TIMER_AHEAD`] — once per ticket and
/// deadline, however often it runs and from however many servers. Shop by shop, so that each
/// read uses the shop's deadline indexes. Returns the notices written.
pub async fn remind_due(pool: &PgPool, now: DateTime<Utc>) -> sqlx::Result<u64> {
    let shops: Vec<ShopId> = sqlx::query_scalar("SELECT id FROM shops ORDER BY id")
        .fetch_all(pool)
        .await?;
    let mut written = 0;
    for shop in shops {
        // One statement for both deadlines: each open held ticket gives a row per deadline that
        // falls in its window. The rows written are counted from RETURNING: on Citus an INSERT …
        // SELECT run through the coordinator reports the rows selected, conflicts included.
        written += sqlx::query(
            "INSERT INTO notifications (shop_id, user_id, ticket_id, kind, note, created_at, about_due_at)
             SELECT t.shop_id, t.assignee_id, t.id, d.kind, '', $2, d.due
             FROM tickets t
             CROSS JOIN LATERAL (VALUES ('follow_up_due', t.follow_up_due_at, $3::timestamptz),
                                        ('timer_expiring', t.timer_due_at, $4::timestamptz)) AS d (kind, due, until)
             WHERE t.shop_id = $1 AND t.closed_at IS NULL AND t.assignee_id IS NOT NULL
               AND (t.follow_up_due_at > $2 AND t.follow_up_due_at <= $3 OR t.timer_due_at > $2 AND t.timer_due_at <= $4)
               AND d.due > $2 AND d.due <= d.until
               AND NOT EXISTS (SELECT 1 FROM notice_muted m WHERE m.user_id = t.assignee_id AND m.kind = d.kind)
             ON CONFLICT DO NOTHING RETURNING 1",
        )
        .bind(shop)
        .bind(now)
        .bind(now + FOLLOW_UP_AHEAD)
        .bind(now + TIMER_AHEAD)
        .fetch_all(pool)
        .await?
        .len() as u64;
        // Return visits that fell due lately, told to the ticket's holder (visits long overdue
        // when the desk first reminds are on the visits page, not in everyone's notices).
        written += sqlx::query(
            "INSERT INTO notifications (shop_id, user_id, ticket_id, kind, note, created_at, about_due_at)
             SELECT v.shop_id, t.assignee_id, v.ticket_id, 'return_visit_due', '', $2, v.due_at
             FROM return_visits v
             JOIN tickets t ON t.shop_id = v.shop_id AND t.id = v.ticket_id
             WHERE v.shop_id = $1 AND v.answered_at IS NULL AND v.due_at <= $2 AND v.due_at > $3
               AND t.assignee_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM notice_muted m
                               WHERE m.user_id = t.assignee_id AND m.kind = 'return_visit_due')
             ON CONFLICT DO NOTHING RETURNING 1",
        )
        .bind(shop)
        .bind(now)
        .bind(now - VISIT_LOOKBACK)
        .fetch_all(pool)
        .await?
        .len() as u64;
    }
    Ok(written)
}

/// The kinds of notice `user` turned off.
pub async fn muted(pool: &PgPool, user: UserId) -> sqlx::Result<Vec<Kind>> {
    let kinds: Vec<String> = sqlx::query_scalar("SELECT kind FROM notice_muted WHERE user_id = $1")
        .bind(user)
        .fetch_all(pool)
        .await?;
    Ok(kinds.iter().filter_map(|k| Kind::parse(k)).collect())
}

/// Turns off exactly the kinds `off` for `user` (the others on), in one transaction.
pub async fn set_muted(pool: &PgPool, user: UserId, off: &[Kind]) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM notice_muted WHERE user_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    let kinds: Vec<&str> = off.iter().map(|k| k.as_str()).collect();
    sqlx::query("INSERT INTO notice_muted (user_id, kind) SELECT $1, unnest($2::text[])")
        .bind(user)
        .bind(&kinds)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// A notice as shown.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Notice {
    pub shop_id: ShopId,
    pub id: i64,
    /// `None` for a notice about the shop (the daily digest).
    pub ticket_id: Option<TicketId>,
    pub kind: String,
    pub actor: Option<String>,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    /// The ticket's buyer and status now, to tell which one it is.
    pub buyer: Option<String>,
    pub status: Option<String>,
}

/// How many notices `user` has not opened.
pub async fn unread_count(pool: &PgPool, user: UserId) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user)
        .fetch_one(pool)
        .await
}

/// `user`'s notices, newest first (at most `limit`), in the shops they may see.
pub async fn recent(pool: &PgPool, user: UserId, shops: &[ShopId], limit: i64) -> sqlx::Result<Vec<Notice>> {
    sqlx::query_as(
        "SELECT n.shop_id, n.id, n.ticket_id, n.kind, a.display_name AS actor, n.note, n.created_at, n.read_at,
                c.nick AS buyer, t.status
         FROM notifications n
         LEFT JOIN tickets t ON t.shop_id = n.shop_id AND t.id = n.ticket_id
         LEFT JOIN customers c ON c.shop_id = t.shop_id AND c.id = t.customer_id
         LEFT JOIN users a ON a.id = n.actor_id
         WHERE n.user_id = $1 AND n.shop_id = ANY($2)
         ORDER BY n.created_at DESC, n.id DESC LIMIT $3",
    )
    .bind(user)
    .bind(shops)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Marks one of `user`'s notices read; answers the ticket it is about (`None`: not theirs;
/// `Some(None)`: about no one ticket).
pub async fn open(
    pool: &PgPool,
    user: UserId,
    shop: ShopId,
    id: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Option<TicketId>>> {
    sqlx::query_scalar(
        "UPDATE notifications SET read_at = COALESCE(read_at, $4)
         WHERE shop_id = $1 AND id = $2 AND user_id = $3 RETURNING ticket_id",
    )
    .bind(shop)
    .bind(id)
    .bind(user)
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// Marks all of `user`'s notices read.
pub async fn read_all(pool: &PgPool, user: UserId, now: DateTime<Utc>) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL")
            .bind(user)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_and_has_its_sentence_in_the_catalogue() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            assert!(crate::i18n::has(kind.text_key()), "{}", kind.text_key());
            assert!(crate::i18n::has(&kind.setting_key()), "{}", kind.setting_key());
        }
        assert_eq!(Kind::parse("something_else"), None);
    }
}

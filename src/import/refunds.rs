//! The seller centre's refund report (退款报表) into tickets with their history. Each row opens a
//! ticket through `tickets::service::create` with `opened_at` = 退款的申请时间, so the rules judge
//! it as of then (a refusal the platform already overrode is recorded as an override with the
//! refund number as justification), then walks the workflow to where the platform's 退款状态
//! says it ended, dated 完结时间. The buyer's words (买家退款原因) are kept verbatim beside the
//! mapped reason code, and the platform's own timeout (超时时间) is kept on the ticket.
//!
//! Every row is checked before anything is written (a bad row stops the import and is named).
//! Tickets are then opened one by one, each in its own transaction as the ticket service does;
//! the refund number makes that safe to repeat: a ticket whose refund number is already known
//! is left as it is, so re-importing a file (or finishing one an error interrupted) changes
//! nothing that was already imported.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::PgPool;

use super::orders::parse_local_time;
use super::reason_text::reason_from_text;
use super::table::{self, Columns, RowSink, cell};
use super::{Cancel, CellError, Column, ImportError, ImportSummary, Progress, ProgressFn, RowError};
use crate::auth::permissions::{self, Action};
use crate::auth::{CurrentUser, Role};
use crate::clock::Clock;
use crate::i18n::{Lang, Message};
use crate::ids::{ShopId, TicketId, UserId};
use crate::money::Fen;
use crate::rules::calendar::Calendar;
use crate::rules::rejection::RejectionReason;
use crate::rules::workflow::{Status, TicketKind};
use crate::shops::Shop;
use crate::tickets::repo;
use crate::tickets::service::{self, NewTicket, NewTransition};

/// One row of the refund report.
#[derive(Clone, Debug)]
pub struct RefundRecord {
    pub line: u64,
    pub refund_no: String,
    pub order_no: String,
    pub sku: Option<String>,
    pub kind: TicketKind,
    pub reason_text: String,
    pub description: String,
    pub refund_fen: Option<i64>,
    pub applied_at: DateTime<Utc>,
    pub timeout_at: Option<DateTime<Utc>>,
    pub status_text: String,
    pub finished_at: Option<DateTime<Utc>>,
    /// Who or what decided and paid, as the platform says (kept for the reconciliation):
    /// 手工退款/系统退款, 智能退款策略, 执行方案, 审核操作人, 退款操作人.
    pub refund_mode: String,
    pub automation: String,
    pub plan: String,
    pub reviewer: String,
    pub operator: String,
    /// 小额收款: a small collection that went with the refund, in fen.
    pub collected_fen: Option<i64>,
}

/// The statuses a ticket passes through to reach the platform's final 退款状态 (empty: it is
/// still waiting for the seller).
pub fn history_path(kind: TicketKind, platform_status: &str) -> &'static [Status] {
    use Status::*;
    let status = platform_status.trim();
    if status.contains("成功") {
        match kind {
            TicketKind::Return => &[Approved, BuyerShipped, Received, Refunded, Closed],
            TicketKind::Exchange => &[Approved, BuyerShipped, Received, ReplacementShipped, Closed],
            _ => &[Approved, Refunded, Closed],
        }
    } else if status.contains("关闭") {
        &[Rejected, Closed]
    } else if status.contains("拒绝") {
        &[Rejected]
    } else if status.contains("等待卖家确认收货") {
        &[Approved, BuyerShipped]
    } else if status.contains("等待买家退货") {
        &[Approved]
    } else {
        &[]
    }
}

struct Mapping {
    order_no: Option<usize>,
    refund_no: Option<usize>,
    sku: Option<usize>,
    amount: Option<usize>,
    after_sale_type: Option<usize>,
    needs_return: Option<usize>,
    applied_at: Option<usize>,
    timeout_at: Option<usize>,
    status: Option<usize>,
    reason: Option<usize>,
    description: Option<usize>,
    finished_at: Option<usize>,
    refund_mode: Option<usize>,
    automation: Option<usize>,
    plan: Option<usize>,
    reviewer: Option<usize>,
    reviewer_new: Option<usize>,
    operator: Option<usize>,
    operator_new: Option<usize>,
    collected: Option<usize>,
}

struct Collector {
    zone: Tz,
    mapping: Option<Mapping>,
    records: Vec<RefundRecord>,
    errors: Vec<RowError>,
}

impl RowSink for Collector {
    fn headers(&mut self, headers: &[String]) -> Result<(), ImportError> {
        let c = Columns::new(headers);
        let mapping = Mapping {
            order_no: c.find(&["订单编号"]),
            refund_no: c.find(&["退款编号"]),
            sku: c.find(&["商品编码"]),
            amount: c.find(&["买家退款金额", "退款金额"]),
            after_sale_type: c.find(&["售后类型"]),
            needs_return: c.find(&["是否需要退货"]),
            applied_at: c.find(&["退款的申请时间", "申请时间"]),
            timeout_at: c.find(&["超时时间"]),
            status: c.find(&["退款状态"]),
            reason: c.find(&["买家退款原因", "退款原因"]),
            description: c.find(&["买家退款说明"]),
            finished_at: c.find(&["完结时间", "退款完结时间"]),
            refund_mode: c.find(&["手工退款/系统退款"]),
            automation: c.find(&["智能退款策略"]),
            plan: c.find(&["执行方案"]),
            reviewer: c.find(&["审核操作人"]),
            reviewer_new: c.find(&["审核操作人新会员名"]),
            operator: c.find(&["退款操作人"]),
            operator_new: c.find(&["退款操作人新会员名"]),
            collected: c.find(&["小额收款"]),
        };
        let mut missing = Vec::new();
        for (col, name) in [
            (mapping.order_no, "订单编号"),
            (mapping.refund_no, "退款编号"),
            (mapping.applied_at, "退款的申请时间"),
            (mapping.reason, "买家退款原因"),
        ] {
            if col.is_none() {
                missing.push(name);
            }
        }
        if !missing.is_empty() {
            return Err(ImportError::Unreadable(
                Message::new("import.error.unknown_refunds_layout").with("columns", missing.join(", ")),
            ));
        }
        self.mapping = Some(mapping);
        Ok(())
    }

    fn row(&mut self, line: u64, cells: &[String]) {
        let Some(m) = &self.mapping else { return };
        match record(m, line, cells, self.zone) {
            Ok(r) => self.records.push(r),
            Err((column, message)) => self.errors.push(RowError::in_column(line, column, message)),
        }
    }
}

fn record(m: &Mapping, line: u64, cells: &[String], zone: Tz) -> Result<RefundRecord, CellError> {
    let refund_no = cell(cells, m.refund_no).to_string();
    let order_no = cell(cells, m.order_no).to_string();
    if refund_no.is_empty() {
        return Err((Column::RefundNo, Message::new("import.row.empty")));
    }
    if order_no.is_empty() {
        return Err((Column::OrderNo, Message::new("import.row.empty")));
    }
    let type_text = cell(cells, m.after_sale_type);
    let kind = if type_text.contains("换货") {
        TicketKind::Exchange
    } else if type_text.contains("退货") || cell(cells, m.needs_return) == "是" {
        TicketKind::Return
    } else {
        TicketKind::Refund
    };
    let amount = cell(cells, m.amount);
    let refund_fen = if amount.is_empty() {
        None
    } else {
        match Fen::parse_yuan(amount) {
            Some(Fen(fen)) if fen >= 0 => Some(fen),
            _ => {
                return Err((
                    Column::RefundAmount,
                    Message::new("import.row.not_money").with("value", amount),
                ));
            }
        }
    };
    let collected = cell(cells, m.collected);
    // The column is sometimes a yes/no flag rather than an amount: only an amount is kept.
    let collected_fen = Fen::parse_yuan(collected).map(|f| f.0).filter(|fen| *fen > 0);
    // The newer layout names the operator twice (the old name and the new member name).
    let person = |old: Option<usize>, new: Option<usize>| {
        let new = cell(cells, new);
        if new.is_empty() { cell(cells, old) } else { new }.to_string()
    };
    let time = |col: Option<usize>, column: Column| parse_local_time(cell(cells, col), zone).map_err(|e| (column, e));
    let applied_at =
        time(m.applied_at, Column::AppliedAt)?.ok_or((Column::AppliedAt, Message::new("import.row.empty")))?;
    Ok(RefundRecord {
        line,
        refund_no,
        order_no,
        sku: Some(cell(cells, m.sku).to_string()).filter(|s| !s.is_empty()),
        kind,
        reason_text: cell(cells, m.reason).to_string(),
        description: cell(cells, m.description).to_string(),
        refund_fen,
        applied_at,
        timeout_at: time(m.timeout_at, Column::TimeoutAt)?,
        status_text: cell(cells, m.status).to_string(),
        finished_at: time(m.finished_at, Column::FinishedAt)?,
        refund_mode: cell(cells, m.refund_mode).to_string(),
        automation: cell(cells, m.automation).to_string(),
        plan: cell(cells, m.plan).to_string(),
        reviewer: person(m.reviewer, m.reviewer_new),
        operator: person(m.operator, m.operator_new),
        collected_fen,
    })
}

/// Reads and checks a refund report; every bad row is named.
pub fn parse(bytes: &[u8], zone: Tz) -> Result<(table::Encoding, Vec<RefundRecord>), ImportError> {
    let mut collector = Collector {
        zone,
        mapping: None,
        records: Vec::new(),
        errors: Vec::new(),
    };
    let encoding = table::read_table(bytes, &mut collector)?;
    let mut errors = collector.errors;
    let mut seen = HashSet::new();
    for r in &collector.records {
        if !seen.insert(r.refund_no.as_str()) {
            errors.push(RowError::new(
                r.line,
                Message::new("import.row.refund_twice").with("refund_no", &r.refund_no),
            ));
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(ImportError::Rows(errors));
    }
    Ok((encoding, collector.records))
}

/// The user whose name imported tickets carry: a supervisor or admin of the shop, by login.
pub async fn actor(pool: &sqlx::PgPool, login: &str, shop: ShopId) -> Result<CurrentUser, ImportError> {
    let row: Option<(UserId, String, String)> =
        sqlx::query_as("SELECT id, display_name, role FROM users WHERE lower(login) = lower($1) AND NOT disabled")
            .bind(login)
            .fetch_optional(pool)
            .await?;
    let (id, display_name, role) =
        row.ok_or_else(|| ImportError::Refused(Message::new("import.error.no_user").with("login", login)))?;
    let role = Role::parse(&role).unwrap_or(Role::Agent);
    let allowed = permissions::allows(role, Action::WorkTickets) && permissions::allows(role, Action::OverrideRules);
    let member: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM shop_members WHERE shop_id = $1 AND user_id = $2)")
            .bind(shop)
            .bind(id)
            .fetch_one(pool)
            .await?;
    if !allowed || (role != Role::Admin && !member) {
        return Err(ImportError::Refused(
            Message::new("import.error.actor_not_allowed").with("login", login),
        ));
    }
    Ok(CurrentUser {
        id,
        login: login.to_string(),
        display_name,
        role,
        shops: vec![shop],
        token: String::new(),
    })
}

/// What importing refunds works with: the database, the working-day calendar the rules judge
/// by, and the clock that says when each ticket is opened.
#[derive(Clone)]
pub struct Desk {
    pub pool: PgPool,
    pub calendar: Arc<Calendar>,
    pub clock: Clock,
}

/// Imports a refund report as `user` (a supervisor or admin of the shop).
pub async fn import(
    desk: &Desk,
    user: &CurrentUser,
    shop: &Shop,
    bytes: &[u8],
    dry_run: bool,
    progress: ProgressFn<'_>,
) -> Result<ImportSummary, ImportError> {
    import_until(desk, user, shop, bytes, dry_run, progress, &Cancel::never()).await
}

/// [`import`], stopping before the next ticket once `cancel` is raised. Each ticket is its own
/// transaction: the tickets opened before the stop stay, and importing the file again opens
/// the rest (a refund already there is left alone).
pub async fn import_until(
    desk: &Desk,
    user: &CurrentUser,
    shop: &Shop,
    bytes: &[u8],
    dry_run: bool,
    progress: ProgressFn<'_>,
    cancel: &Cancel,
) -> Result<ImportSummary, ImportError> {
    let pool = &desk.pool;
    let (encoding, records) = parse(bytes, shop.zone())?;
    let order_nos: Vec<&str> = records.iter().map(|r| r.order_no.as_str()).collect();
    let known: Vec<String> =
        sqlx::query_scalar("SELECT order_no FROM orders WHERE shop_id = $1 AND order_no = ANY($2)")
            .bind(shop.id)
            .bind(&order_nos)
            .fetch_all(pool)
            .await?;
    let known: HashSet<&str> = known.iter().map(String::as_str).collect();
    let missing: Vec<RowError> = records
        .iter()
        .filter(|r| !known.contains(r.order_no.as_str()))
        .map(|r| {
            RowError::new(
                r.line,
                Message::new("import.row.order_unknown_refunds").with("order_no", &r.order_no),
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::Rows(missing));
    }
    let mut summary = ImportSummary {
        layout: "taobao_refunds".into(),
        encoding: encoding.as_str().into(),
        rows: records.len() as u64,
        dry_run,
        ..ImportSummary::default()
    };
    let refund_nos: Vec<&str> = records.iter().map(|r| r.refund_no.as_str()).collect();
    let existing = repo::existing_refund_nos(pool, shop.id, &refund_nos).await?;
    let existing: HashSet<&str> = existing.iter().map(String::as_str).collect();
    let total = records.len() as u64;
    for (done, record) in records.iter().enumerate() {
        cancel.check()?;
        if existing.contains(record.refund_no.as_str()) {
            summary.tickets_unchanged += 1;
        } else if !dry_run {
            open_ticket(desk, user, shop, record)
                .await
                .map_err(|message| ImportError::Rows(vec![RowError::new(record.line, message)]))?;
            summary.tickets_created += 1;
        } else {
            summary.tickets_created += 1;
        }
        progress(Progress {
            done: done as u64 + 1,
            total,
            phase: "write",
        });
    }
    if !dry_run {
        // The platform's own record of each refund, as it says it now, for the reconciliation:
        // once every row has its ticket (a stopped import records none of the file).
        crate::reconciliation::record_export(pool, shop.id, &records, desk.clock.now()).await?;
    }
    Ok(summary)
}

async fn open_ticket(desk: &Desk, user: &CurrentUser, shop: &Shop, record: &RefundRecord) -> Result<(), Message> {
    let now = desk.clock.now();
    let order = crate::orders::find(&desk.pool, shop.id, &record.order_no)
        .await
        .map_err(|e| {
            Message::new("import.row.order_unreadable")
                .with("order_no", &record.order_no)
                .with("error", e)
        })?
        .ok_or_else(|| Message::new("import.row.order_unknown").with("order_no", &record.order_no))?;
    let sku = record.sku.clone().filter(|sku| order.line(sku).is_some());
    let input = NewTicket {
        kind: record.kind,
        order_no: record.order_no.clone(),
        sku,
        reason: reason_from_text(&record.reason_text),
        description: record.description.clone(),
        refund_fen: record.refund_fen,
        intact: None,
        opened_at: Some(record.applied_at),
        priority: None,
        assignee: None,
        override_justification: Some(format!(
            "导入平台退款记录（退款编号 {}）：平台已处理 / imported from the platform's refund export",
            record.refund_no
        )),
        review_rating: None,
        review_text: None,
        reviewed_at: None,
    };
    // The ticket service's refusal, in its own (English) words.
    let explain = |e: &crate::tickets::TicketError| {
        Message::new("import.row.ticket_refused")
            .with("refund_no", &record.refund_no)
            .with("problem", e)
    };
    // One record after another: each ticket written alone.
    let openings = crate::tickets::openings::Openings::alone(desk.pool.clone());
    let created = service::create(&openings, &desk.calendar, user, shop, input, None, Lang::Zh, now)
        .await
        .map_err(|e| explain(&e))?;
    let id: TicketId = created.ticket.id;
    crate::tickets::repo::set_platform_refund(
        &desk.pool,
        shop.id,
        id,
        &record.refund_no,
        &record.reason_text,
        record.timeout_at,
    )
    .await
    .map_err(|e| {
        Message::new("import.row.facts_unstored")
            .with("id", id)
            .with("error", e)
    })?;
    let at = record
        .finished_at
        .filter(|f| *f >= record.applied_at)
        .unwrap_or(record.applied_at);
    let mut version = created.ticket.version;
    let calendar = &desk.calendar;
    for &to in history_path(record.kind, &record.status_text) {
        let moved = service::replay_platform_move(
            &desk.pool,
            calendar,
            user,
            id,
            NewTransition {
                note: Some(format!("平台退款状态：{}", record.status_text)),
                // The report says the seller refused, not why: the note quotes the platform.
                rejection_reason: (to == Status::Rejected).then_some(RejectionReason::Other),
                ..NewTransition::plain(to, version)
            },
            at,
        )
        .await
        .map_err(|e| explain(&e))?;
        version = moved.version;
    }
    // The platform's history before the import is not the agents' missed follow-ups: a ticket
    // still open starts its cycle now.
    let hours = u32::try_from(shop.follow_up_hours).unwrap_or(crate::rules::follow_up::DEFAULT_FOLLOW_UP_HOURS);
    let due = crate::rules::follow_up::follow_up_due_at(now, hours);
    crate::tickets::repo::restart_follow_up_cycle(&desk.pool, shop.id, id, due)
        .await
        .map_err(|e| {
            Message::new("import.row.cycle_unstarted")
                .with("id", id)
                .with("error", e)
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_successful_return_walks_the_whole_workflow() {
        assert_eq!(
            history_path(TicketKind::Return, "退款成功"),
            &[
                Status::Approved,
                Status::BuyerShipped,
                Status::Received,
                Status::Refunded,
                Status::Closed
            ]
        );
        assert_eq!(
            history_path(TicketKind::Refund, "退款关闭"),
            &[Status::Rejected, Status::Closed]
        );
        assert!(history_path(TicketKind::Refund, "等待卖家同意退款").is_empty());
    }
}

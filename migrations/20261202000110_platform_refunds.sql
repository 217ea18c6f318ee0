-- The platform's own record of refunds (`reconciliation/`): every row of an imported refund
-- export, kept as the platform last said it — amount, status, and who or what decided and paid
-- (手工退款/系统退款, 智能退款策略, 执行方案, 审核操作人, 退款操作人, 小额收款) — so that the
-- reconciliation page can set it beside the desk's own decisions.
CREATE TABLE platform_refunds (
    shop_id        bigint NOT NULL REFERENCES shops (id),
    refund_no      text NOT NULL,
    order_no       text NOT NULL,
    sku            text,
    amount_fen     bigint,
    status_text    text NOT NULL DEFAULT '',
    applied_at     timestamptz NOT NULL,
    finished_at    timestamptz,
    refund_mode    text NOT NULL DEFAULT '',
    automation     text NOT NULL DEFAULT '',
    plan           text NOT NULL DEFAULT '',
    reviewer       text NOT NULL DEFAULT '',
    operator       text NOT NULL DEFAULT '',
    collected_fen  bigint,
    imported_at    timestamptz NOT NULL,
    PRIMARY KEY (shop_id, refund_no)
);
CREATE INDEX platform_refunds_by_order ON platform_refunds (shop_id, order_no);
CREATE INDEX platform_refunds_by_time ON platform_refunds (shop_id, applied_at);

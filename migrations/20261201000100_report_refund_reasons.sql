-- The owner's reports count refund reasons over refund and return tickets only, with the other
-- kinds apart: a grouping by kind and reason together (`kind_reason`, value `kind/reason`).
-- A ticket refunded without any amount recorded (a logistics case resolved by refund, which
-- asks for none) is counted at the amount paid for its line, or its order; how much of the
-- refunded total is counted so, and on how many tickets, is kept beside it.
ALTER TABLE report_days DROP CONSTRAINT report_days_dim_check;
ALTER TABLE report_days ADD CONSTRAINT report_days_dim_check
    CHECK (dim IN ('total', 'sku', 'category', 'reason', 'kind', 'kind_reason'));
ALTER TABLE report_days ADD COLUMN tickets_refund_estimated integer NOT NULL DEFAULT 0;
ALTER TABLE report_days ADD COLUMN refund_estimated_fen bigint NOT NULL DEFAULT 0;

-- What is already stored is recounted at the first refresh, with the new grouping and amounts.
SELECT report_mark_shop(id) FROM shops;

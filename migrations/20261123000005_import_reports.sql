-- Order and refund import, and the owners' reports (issue 5).

-- A ticket imported from the marketplace's refund export keeps the platform's own facts beside
-- ours: the refund number (the key that makes a re-import change nothing), the buyer's reason as
-- written (mapped to `reason`, kept verbatim here), and the platform's timeout (超时时间).
ALTER TABLE tickets
    ADD COLUMN refund_no text,
    ADD COLUMN reason_text text,
    ADD COLUMN platform_timeout_at timestamptz;
CREATE UNIQUE INDEX tickets_refund_no ON tickets (shop_id, refund_no) WHERE refund_no IS NOT NULL;

-- Reports read order lines by sign date and orders by payment date, per shop and period
-- (see docs/ARCHITECTURE.md, "Reports"). A line's own sign time is rare: a small partial index.
CREATE INDEX orders_paid_at ON orders (shop_id, paid_at) WHERE paid_at IS NOT NULL;
CREATE INDEX orders_signed_at ON orders (shop_id, signed_at) WHERE signed_at IS NOT NULL;
CREATE INDEX order_lines_signed_at ON order_lines (shop_id, signed_at) WHERE signed_at IS NOT NULL;
-- Time to resolve reads tickets by closing time; reason and kind breakdowns by opening time.
CREATE INDEX tickets_closed_at ON tickets (shop_id, closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX tickets_opened_at ON tickets (shop_id, opened_at);
-- "Was this ticket ever approved / refunded": status changes by ticket and target status.
CREATE INDEX ticket_events_status_to ON ticket_events (shop_id, ticket_id, (data ->> 'to'))
    WHERE kind = 'status_changed';

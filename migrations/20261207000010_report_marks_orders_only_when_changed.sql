-- A new ticket marks its order's payment day only when it can change the order's figures
-- (issue 17). Those figures count, per payment day (and SKU, category), the orders paid and of
-- them those with a ticket refunded, refunded for a quality reason, or a complaint
-- (`FILL_ORDERS`, `FILL_ORDER_LINES` in `reports::rollup`). A ticket written unrefunded changes
-- them only if it is a complaint: a refund request or a logistics ticket changes them when it is
-- refunded, and that move marks the day itself (`report_ticket_moved`). Every new ticket marked
-- its order's payment day, and the background recount counted that whole day again for nothing
-- — on the generated shop a day's order figures take 12–18 ms to count, and most after-sales
-- tickets are refund requests (docs/PERFORMANCE.md). A return or an exchange still marks its
-- order, for the signing days' line figures that go with it.
--
-- What is decided here is the row's own (a ticket deleted takes away only what it counted for):
-- no other row, no concurrent writer can make the choice wrong. (Leaving out the complaints on
-- an order already complained of was measured too, and not kept: the look for a covering
-- complaint, with the lock that keeps it covering, cost more a statement than the recounts it
-- saved.)
CREATE OR REPLACE FUNCTION report_tickets_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ats timestamptz[];
    figures smallint[];
    order_shops bigint[];
    order_ids bigint[];
    returned_orders bigint[];
BEGIN
    SELECT array_agg(c.shop_id), array_agg(v.at), array_agg(v.figures) INTO shops, ats, figures
    FROM changed c CROSS JOIN LATERAL (VALUES (c.opened_at, 4::smallint), (c.closed_at, 8::smallint)) AS v (at, figures)
    WHERE v.at IS NOT NULL;
    SELECT array_agg(DISTINCT shop_id),
           array_agg(DISTINCT order_id) FILTER (
               WHERE kind IN ('complaint', 'return', 'exchange') OR resolution = 'refunded' OR refunded_at IS NOT NULL),
           array_agg(DISTINCT order_id) FILTER (WHERE kind IN ('return', 'exchange'))
    INTO order_shops, order_ids, returned_orders
    FROM changed WHERE order_id IS NOT NULL;
    PERFORM report_stale_mark_ticket_days(shops, ats, figures, order_shops, order_ids, returned_orders);
    RETURN NULL;
END
$$;

-- A new ticket marks its order's payment day only when it can change the order's figures
-- (issue 17). Those figures count, per payment day (and SKU, category), the orders paid and of
-- them those with a ticket refunded, refunded for a quality reason, or a complaint — a complaint
-- counting for the lines of its SKU, or for every line without one (`FILL_ORDERS`,
-- `FILL_ORDER_LINES` in `reports::rollup`). So a ticket written unrefunded changes them only as a
-- complaint, and a complaint only where no complaint already covers its lines: an earlier one on
-- the same order without a SKU, or with the same SKU. Every new ticket marked its order's payment
-- day, and the background recount counted that whole day again, for nothing, after a buyer's
-- second complaint on an order, after each refund request (its refund marks the day when it comes)
-- — on the generated shop a day's order figures take 12–18 ms to count
-- (docs/PERFORMANCE.md). A return or an exchange still marks its order, for the signing days'
-- line figures that go with it.
--
-- Skipping a mark relies on the covering complaint staying one. The desk never changes a ticket's
-- kind, order or SKU, nor deletes one; an edit by hand that does — the only way a complaint can
-- stop covering its order — locks the order (`FOR UPDATE`) before it commits. A new ticket's
-- foreign key holds that order `FOR KEY SHARE`, and the new ticket's trigger takes that lock
-- before it looks for a covering complaint: either the edit waits for the new ticket's commit,
-- then marks the day (and the recount after it sees the new complaint), or the new ticket waits
-- for the edit's, then (reading committed, each statement seeing what is committed when it
-- starts) finds the complaint gone and marks. Under another isolation, or on Citus (where a
-- shard's trigger may not lock rows across shops), every complaint marks its order as before.
CREATE FUNCTION report_marks_narrowed() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')
$$;

-- The new complaints `ids` (on the orders `order_ids` of `shop_ids`, each with its SKU in `skus`)
-- whose lines an earlier complaint on their order covers: one without a SKU, or with theirs. Each
-- looks for one such complaint and stops there, by the index of the order's tickets; a bitmap scan
-- would read every ticket of the order before the first (4 ms for an order with 100,000 tickets,
-- 0.1 ms by the index: `EXPLAIN ANALYZE`).
CREATE FUNCTION report_complaints_covered(shop_ids bigint[], order_ids bigint[], skus text[], ids bigint[])
RETURNS bigint[] LANGUAGE plpgsql STABLE SET enable_bitmapscan = off AS $$
BEGIN
    RETURN ARRAY(
        SELECT c.id FROM unnest(shop_ids, order_ids, skus, ids) AS c (shop_id, order_id, sku, id)
        WHERE EXISTS (SELECT 1 FROM tickets t
                      WHERE t.shop_id = c.shop_id AND t.order_id = c.order_id AND t.kind = 'complaint'
                        AND (t.sku IS NULL OR t.sku = c.sku) AND t.id <> ALL (ids)));
END;
$$;

CREATE OR REPLACE FUNCTION report_tickets_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ats timestamptz[];
    figures smallint[];
    order_shops bigint[];
    order_ids bigint[];
    returned_orders bigint[];
    complaint_shops bigint[];
    complaint_orders bigint[];
    complaint_skus text[];
    complaints bigint[];
    covered bigint[] := '{}';
BEGIN
    SELECT array_agg(c.shop_id), array_agg(v.at), array_agg(v.figures) INTO shops, ats, figures
    FROM changed c CROSS JOIN LATERAL (VALUES (c.opened_at, 4::smallint), (c.closed_at, 8::smallint)) AS v (at, figures)
    WHERE v.at IS NOT NULL;
    IF TG_OP = 'INSERT' THEN
        IF report_marks_narrowed() AND current_setting('transaction_isolation') = 'read committed' THEN
            SELECT array_agg(shop_id), array_agg(order_id), array_agg(sku), array_agg(id)
            INTO complaint_shops, complaint_orders, complaint_skus, complaints
            FROM changed WHERE kind = 'complaint';
            IF cardinality(complaints) > 0 THEN
                PERFORM 1 FROM orders WHERE shop_id = ANY (complaint_shops) AND id = ANY (complaint_orders)
                FOR KEY SHARE;
                covered := report_complaints_covered(complaint_shops, complaint_orders, complaint_skus, complaints);
            END IF;
        END IF;
        SELECT array_agg(DISTINCT shop_id),
               array_agg(DISTINCT order_id) FILTER (
                   WHERE kind IN ('return', 'exchange') OR resolution = 'refunded' OR refunded_at IS NOT NULL
                      OR (kind = 'complaint' AND id <> ALL (covered))),
               array_agg(DISTINCT order_id) FILTER (WHERE kind IN ('return', 'exchange'))
        INTO order_shops, order_ids, returned_orders
        FROM changed WHERE order_id IS NOT NULL;
    ELSE
        IF report_marks_narrowed() THEN
            SELECT array_agg(shop_id), array_agg(order_id) INTO complaint_shops, complaint_orders
            FROM changed WHERE kind = 'complaint';
            PERFORM 1 FROM orders WHERE shop_id = ANY (complaint_shops) AND id = ANY (complaint_orders)
            FOR UPDATE;
        END IF;
        SELECT array_agg(DISTINCT shop_id), array_agg(DISTINCT order_id),
               array_agg(DISTINCT order_id) FILTER (WHERE kind IN ('return', 'exchange'))
        INTO order_shops, order_ids, returned_orders
        FROM changed WHERE order_id IS NOT NULL;
    END IF;
    PERFORM report_stale_mark_ticket_days(shops, ats, figures, order_shops, order_ids, returned_orders);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION report_ticket_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ats timestamptz[] := ARRAY[OLD.opened_at, NEW.opened_at, OLD.closed_at, NEW.closed_at];
    figures smallint[] := ARRAY[4, 4, 8, 8]::smallint[];
    order_ids bigint[] := array_remove(ARRAY[OLD.order_id, NEW.order_id], NULL);
    refunds timestamptz[];
BEGIN
    -- A complaint that stops covering its order's lines waits for the tickets being added to
    -- that order, which may have counted on it (see the top of this file).
    IF OLD.kind = 'complaint'
       AND (NEW.kind IS DISTINCT FROM OLD.kind OR NEW.order_id IS DISTINCT FROM OLD.order_id
            OR NEW.sku IS DISTINCT FROM OLD.sku)
       AND report_marks_narrowed() THEN
        PERFORM 1 FROM orders WHERE shop_id = OLD.shop_id AND id = OLD.order_id FOR UPDATE;
    END IF;
    -- A ticket whose SKU changes after a refund moves that refund's days from one SKU to another.
    IF OLD.sku IS DISTINCT FROM NEW.sku AND NEW.refunded_at IS NOT NULL THEN
        refunds := ARRAY(SELECT e.at FROM ticket_events e
                         WHERE e.shop_id = NEW.shop_id AND e.ticket_id = NEW.id
                           AND e.kind = 'status_changed' AND e.data ->> 'to' = 'refunded');
        ats := ats || refunds;
        figures := figures || array_fill(16::smallint, ARRAY[cardinality(refunds)]);
    END IF;
    PERFORM report_stale_mark_ticket_days(
        array_fill(NEW.shop_id, ARRAY[cardinality(ats)]), ats, figures, ARRAY[NEW.shop_id], order_ids,
        CASE WHEN OLD.kind IN ('return', 'exchange') OR NEW.kind IN ('return', 'exchange')
             THEN order_ids ELSE '{}' END);
    RETURN NULL;
END
$$;

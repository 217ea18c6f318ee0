-- A stale day names the figures to recount (issue 17). Every mark asked for every figure of its
-- day, and the recount ran all six fills over it: a complaint opened on a months-old order marked
-- the order's payment day, its signing day and its lines' signing days, each recounted whole —
-- return rate, refund rates, tickets opened and closed, refunds paid — though only the order's
-- complaint count could change. With tickets opened on orders spread over a year, the background
-- recount went over most of the year every 30 seconds, and took nearly a processor's whole time
-- beside the desk (docs/PERFORMANCE.md).
--
-- `figures` holds bits, one per group of figures counted together (twin of
-- `reports::rollup::Figures`):
--   1  lines signed and returned, by the signing day (`FILL_LINES`)
--   2  orders paid, refunded, refunded for quality, complained of, by the payment day
--      (`FILL_ORDERS`, `FILL_ORDER_LINES`)
--   4  tickets opened and their refunds, by the opening day (`FILL_OPENED`)
--   8  tickets closed and their time to resolve, by the closing day (`FILL_CLOSED`)
--   16 refunds paid, by the day of the move to `refunded` (`FILL_REFUNDS`)
-- A mark that does not say asks for all of them (31): orders and lines written, a new time
-- zone, a bulk load. A ticket written or moved asks for what it can change: its opening and
-- closing days' ticket figures, its order's payment day's order figures and — only for a return
-- or an exchange, the only tickets the return rate counts — the signing days' line figures.
ALTER TABLE report_stale ADD COLUMN figures smallint NOT NULL DEFAULT 31
    CONSTRAINT report_stale_figures_check CHECK (figures BETWEEN 1 AND 31);

-- Marks the local days of the instants `ats` (NULLs skipped) of the shops `shop_ids` stale for
-- the figures `figures` (one shop and one set of figures per instant); a day named more than once
-- is marked once, for all it was named for.
CREATE FUNCTION report_stale_mark_figures(shop_ids bigint[], ats timestamptz[], figures smallint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(ats) > 0 THEN
        INSERT INTO report_stale (shop_id, day, figures)
        SELECT m.shop_id, (m.at AT TIME ZONE s.time_zone)::date, bit_or(m.figures)
        FROM unnest(shop_ids, ats, figures) AS m (shop_id, at, figures)
        JOIN shops s ON s.id = m.shop_id
        WHERE m.at IS NOT NULL
        GROUP BY 1, 2;
    END IF;
END;
$$;

-- Marks the days `ats` of tickets (`figures` each), the payment days of the orders `order_ids`
-- (of the shops `order_shops`) for the order figures and, of the orders in `returned_orders`,
-- the days they and their lines were signed on for the line figures.
CREATE FUNCTION report_stale_mark_ticket_days(shop_ids bigint[], ats timestamptz[], figures smallint[],
                                              order_shops bigint[], order_ids bigint[], returned_orders bigint[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[] := COALESCE(shop_ids, '{}');
    days timestamptz[] := COALESCE(ats, '{}');
    marked smallint[] := COALESCE(figures, '{}');
    more_shops bigint[];
    more_ats timestamptz[];
    more_figures smallint[];
BEGIN
    IF cardinality(order_ids) > 0 THEN
        SELECT array_agg(o.shop_id), array_agg(v.at), array_agg(v.figures)
        INTO more_shops, more_ats, more_figures
        FROM orders o CROSS JOIN LATERAL (VALUES
            (o.paid_at, 2::smallint),
            (CASE WHEN o.id = ANY (COALESCE(returned_orders, '{}')) THEN o.signed_at END, 1::smallint)) AS v (at, figures)
        WHERE o.shop_id = ANY (order_shops) AND o.id = ANY (order_ids) AND v.at IS NOT NULL;
        shops := shops || COALESCE(more_shops, '{}');
        days := days || COALESCE(more_ats, '{}');
        marked := marked || COALESCE(more_figures, '{}');
    END IF;
    IF cardinality(returned_orders) > 0 THEN
        SELECT array_agg(l.shop_id), array_agg(l.signed_at), array_agg(1::smallint)
        INTO more_shops, more_ats, more_figures
        FROM order_lines l
        WHERE l.shop_id = ANY (order_shops) AND l.order_id = ANY (returned_orders) AND l.signed_at IS NOT NULL;
        shops := shops || COALESCE(more_shops, '{}');
        days := days || COALESCE(more_ats, '{}');
        marked := marked || COALESCE(more_figures, '{}');
    END IF;
    PERFORM report_stale_mark_figures(shops, days, marked);
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
BEGIN
    SELECT array_agg(c.shop_id), array_agg(v.at), array_agg(v.figures) INTO shops, ats, figures
    FROM changed c CROSS JOIN LATERAL (VALUES (c.opened_at, 4::smallint), (c.closed_at, 8::smallint)) AS v (at, figures)
    WHERE v.at IS NOT NULL;
    SELECT array_agg(DISTINCT shop_id), array_agg(DISTINCT order_id),
           array_agg(DISTINCT order_id) FILTER (WHERE kind IN ('return', 'exchange'))
    INTO order_shops, order_ids, returned_orders
    FROM changed WHERE order_id IS NOT NULL;
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

-- A move to `refunded` changes the refunds paid on its own day; what it changes of its ticket's
-- figures is marked by the ticket's own move.
CREATE OR REPLACE FUNCTION report_refund_moves_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ats timestamptz[];
BEGIN
    SELECT array_agg(shop_id), array_agg(at) INTO shops, ats FROM new_rows
    WHERE kind = 'status_changed' AND data ->> 'to' = 'refunded';
    PERFORM report_stale_mark_figures(shops, ats, array_fill(16::smallint, ARRAY[COALESCE(cardinality(ats), 0)]));
    RETURN NULL;
END;
$$;

DROP FUNCTION report_stale_mark_tickets(bigint[], timestamptz[], bigint[], bigint[]);

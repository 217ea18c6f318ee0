-- A ticket written marks its report days with one insert instead of three (issue 17). The
-- ticket's own days (opened, closed), its order's (paid, signed) and its order's lines' (signed on
-- their own) were each marked by a helper of their own, three inserts into `report_stale` and
-- two more calls per ticket created or moved: about a quarter of a creation's PostgreSQL time
-- (docs/PERFORMANCE.md). The orders and lines are still read by statements that name their shops
-- and ids, each on its own (migration `…_triggers_read_their_rows_first`: on Citus a trigger runs
-- on a shard); what they find is marked with the ticket's days at once.

-- Marks the local days of the instants `ats` of the shops `shop_ids` (one per instant), and the
-- days of the orders `order_ids` of the shops `order_shops`: paid, signed, and their lines'
-- own signing.
CREATE FUNCTION report_stale_mark_tickets(shop_ids bigint[], ats timestamptz[], order_shops bigint[], order_ids bigint[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[] := COALESCE(shop_ids, '{}');
    days timestamptz[] := COALESCE(ats, '{}');
    more_shops bigint[];
    more_ats timestamptz[];
BEGIN
    IF cardinality(order_ids) > 0 THEN
        SELECT array_agg(o.shop_id), array_agg(v.at) INTO more_shops, more_ats
        FROM orders o CROSS JOIN LATERAL (VALUES (o.paid_at), (o.signed_at)) AS v (at)
        WHERE o.shop_id = ANY (order_shops) AND o.id = ANY (order_ids) AND v.at IS NOT NULL;
        shops := shops || COALESCE(more_shops, '{}');
        days := days || COALESCE(more_ats, '{}');
        SELECT array_agg(l.shop_id), array_agg(l.signed_at) INTO more_shops, more_ats
        FROM order_lines l
        WHERE l.shop_id = ANY (order_shops) AND l.order_id = ANY (order_ids) AND l.signed_at IS NOT NULL;
        shops := shops || COALESCE(more_shops, '{}');
        days := days || COALESCE(more_ats, '{}');
    END IF;
    PERFORM report_stale_mark(shops, days);
END;
$$;

CREATE OR REPLACE FUNCTION report_tickets_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ats timestamptz[];
    order_shops bigint[];
    order_ids bigint[];
BEGIN
    SELECT array_agg(c.shop_id), array_agg(v.at) INTO shops, ats
    FROM changed c CROSS JOIN LATERAL (VALUES (c.opened_at), (c.closed_at)) AS v (at)
    WHERE v.at IS NOT NULL;
    SELECT array_agg(DISTINCT shop_id), array_agg(DISTINCT order_id) INTO order_shops, order_ids
    FROM changed WHERE order_id IS NOT NULL;
    PERFORM report_stale_mark_tickets(shops, ats, order_shops, order_ids);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION report_ticket_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ats timestamptz[] := array_remove(ARRAY[OLD.opened_at, OLD.closed_at, NEW.opened_at, NEW.closed_at], NULL);
BEGIN
    PERFORM report_stale_mark_tickets(
        array_fill(NEW.shop_id, ARRAY[cardinality(ats)]), ats,
        ARRAY[NEW.shop_id], array_remove(ARRAY[OLD.order_id, NEW.order_id], NULL));
    RETURN NULL;
END
$$;

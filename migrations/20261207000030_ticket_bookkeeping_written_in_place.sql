-- A new ticket's bookkeeping written by the triggers themselves, without the helpers between
-- (issue 17). The `tickets` insert triggers gathered their rows into arrays and handed them to a
-- helper function — `report_stale_mark_ticket_days`, which called `report_stale_mark_figures`;
-- `search_pending_queue`; `open_load_change` — and each call was a statement of its own, with
-- its executor started and its arrays copied: on the generated 100,000-ticket shop, tickets
-- created at four connections, the report marks' two calls cost 138 µs a statement around their
-- one insert of 63 µs, the search queue's 53 around 35, the open counts' 38 around 22
-- (`pg_stat_statements` with nested statements, docs/PERFORMANCE.md). The statements are the
-- same (the rows read into arrays first, then written from them: on Citus a trigger runs on a
-- shard, as in `…_triggers_read_their_rows_first`); only the calls are gone. The helpers stay
-- for the other triggers (a ticket moved or deleted, refunds on the timeline, orders changed).
--
-- The search's queue is written without `ON CONFLICT DO NOTHING`, here and in its helper: its
-- only unique key is `(shop_id, seq)`, `seq` from a sequence, so nothing can conflict, and the
-- clause made every row a speculative insertion (a second look at the key and a second WAL
-- record a row).
--
-- And the two bookkeeping tables written at every new ticket no longer check their shop:
-- `report_stale` and `open_load_changes` are written only by these triggers, from rows whose own
-- keys hold their shop, and no shop is ever deleted. Each check locked the shop's one row
-- (`FOR KEY SHARE`), at every ticket written by every connection at once.

ALTER TABLE report_stale DROP CONSTRAINT IF EXISTS report_stale_shop_id_fkey;
ALTER TABLE open_load_changes DROP CONSTRAINT IF EXISTS open_load_changes_shop_id_fkey;

CREATE OR REPLACE FUNCTION report_tickets_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ats timestamptz[];
    figures smallint[];
    order_shops bigint[];
    order_ids bigint[];
    returned_orders bigint[];
    more_shops bigint[];
    more_ats timestamptz[];
    more_figures smallint[];
BEGIN
    -- The days the tickets were opened and closed on.
    SELECT array_agg(c.shop_id), array_agg(v.at), array_agg(v.figures) INTO shops, ats, figures
    FROM changed c CROSS JOIN LATERAL (VALUES (c.opened_at, 4::smallint), (c.closed_at, 8::smallint)) AS v (at, figures)
    WHERE v.at IS NOT NULL;
    -- The orders whose figures they change (`…_report_marks_orders_only_when_changed`).
    SELECT array_agg(DISTINCT shop_id),
           array_agg(DISTINCT order_id) FILTER (
               WHERE kind IN ('complaint', 'return', 'exchange') OR resolution = 'refunded' OR refunded_at IS NOT NULL),
           array_agg(DISTINCT order_id) FILTER (WHERE kind IN ('return', 'exchange'))
    INTO order_shops, order_ids, returned_orders
    FROM changed WHERE order_id IS NOT NULL;
    -- Their payment days, and for a return or an exchange their signing days.
    IF cardinality(order_ids) > 0 THEN
        SELECT array_agg(o.shop_id), array_agg(v.at), array_agg(v.figures)
        INTO more_shops, more_ats, more_figures
        FROM orders o CROSS JOIN LATERAL (VALUES
            (o.paid_at, 2::smallint),
            (CASE WHEN o.id = ANY (COALESCE(returned_orders, '{}')) THEN o.signed_at END, 1::smallint)) AS v (at, figures)
        WHERE o.shop_id = ANY (order_shops) AND o.id = ANY (order_ids) AND v.at IS NOT NULL;
        shops := COALESCE(shops, '{}') || COALESCE(more_shops, '{}');
        ats := COALESCE(ats, '{}') || COALESCE(more_ats, '{}');
        figures := COALESCE(figures, '{}') || COALESCE(more_figures, '{}');
    END IF;
    IF cardinality(returned_orders) > 0 THEN
        SELECT array_agg(l.shop_id), array_agg(l.signed_at), array_agg(1::smallint)
        INTO more_shops, more_ats, more_figures
        FROM order_lines l
        WHERE l.shop_id = ANY (order_shops) AND l.order_id = ANY (returned_orders) AND l.signed_at IS NOT NULL;
        shops := COALESCE(shops, '{}') || COALESCE(more_shops, '{}');
        ats := COALESCE(ats, '{}') || COALESCE(more_ats, '{}');
        figures := COALESCE(figures, '{}') || COALESCE(more_figures, '{}');
    END IF;
    IF cardinality(ats) > 0 THEN
        INSERT INTO report_stale (shop_id, day, figures)
        SELECT m.shop_id, (m.at AT TIME ZONE s.time_zone)::date, bit_or(m.figures)
        FROM unnest(shops, ats, figures) AS m (shop_id, at, figures)
        JOIN shops s ON s.id = m.shop_id
        WHERE m.at IS NOT NULL
        GROUP BY 1, 2;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION search_pending_new_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ids bigint[];
BEGIN
    IF NOT search_deferred() THEN
        SELECT array_agg(shop_id), array_agg(id) INTO shops, ids FROM new_rows;
        IF ids IS NOT NULL THEN
            INSERT INTO search_pending (shop_id, kind, id)
            SELECT DISTINCT q.shop_id, TG_ARGV[0], q.id FROM unnest(shops, ids) AS q (shop_id, id);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION search_pending_queue(kind text, shop_ids bigint[], ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(ids) > 0 THEN
        INSERT INTO search_pending (shop_id, kind, id)
        SELECT DISTINCT q.shop_id, search_pending_queue.kind, q.id FROM unnest(shop_ids, ids) AS q (shop_id, id);
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION open_load_tickets_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sign integer := CASE TG_OP WHEN 'DELETE' THEN -1 ELSE 1 END;
    shops bigint[];
    keys bigint[];
    changes integer[];
BEGIN
    SELECT array_agg(c.shop_id), array_agg(c.assignee_key), array_agg(c.change) INTO shops, keys, changes
    FROM (SELECT shop_id, COALESCE(assignee_id, 0) AS assignee_key, sign * count(*)::integer AS change
          FROM changed WHERE closed_at IS NULL GROUP BY 1, 2) AS c;
    IF shops IS NOT NULL THEN
        INSERT INTO open_load_changes (shop_id, assignee_key, change)
        SELECT c.shop_id, c.assignee_key, c.change FROM unnest(shops, keys, changes) AS c (shop_id, assignee_key, change);
    END IF;
    RETURN NULL;
END;
$$;

-- The orders' read keeps its plan made once, as the helper's did (`…_report_marks_planned_once`),
-- but on Citus.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        ALTER FUNCTION report_tickets_added() SET plan_cache_mode = force_generic_plan;
    END IF;
END
$$;

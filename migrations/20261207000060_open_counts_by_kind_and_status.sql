-- The open counts kept on write by kind and status too (issue 17). The page of open tickets shows
-- how many are open of each kind, for the same assignee and status as its list; it counted them
-- from the tickets on every read, so the page of all open tickets grew with the shop (21,225 open
-- in the generated million: 3.7 times the work of a hundred thousand, docs/PERFORMANCE.md). The
-- counts per worker (`…_open_loads`) are now kept per worker, kind and status: the page adds up a
-- few dozen rows for its chips (`tickets::repo::open_counts`), the supervisor's counts per worker
-- add up the same rows over kinds and statuses (`open_load_by_worker`). A ticket moved from one
-- status to another while open is one count out and one in, as a ticket handed on is.
--
-- (A ticket's kind never changes once it is opened; its status does.)

DELETE FROM open_load_changes;
DELETE FROM open_loads;
ALTER TABLE open_loads
    ADD COLUMN kind text NOT NULL,
    ADD COLUMN status text NOT NULL,
    DROP CONSTRAINT open_loads_pkey,
    ADD PRIMARY KEY (shop_id, assignee_key, kind, status);
ALTER TABLE open_load_changes
    ADD COLUMN kind text NOT NULL,
    ADD COLUMN status text NOT NULL;

-- What the tickets hold now.
INSERT INTO open_loads (shop_id, assignee_key, kind, status, open)
SELECT shop_id, COALESCE(assignee_id, 0), kind, status, count(*) FROM tickets WHERE closed_at IS NULL GROUP BY 1, 2, 3, 4;

-- Tickets deleted: each one open counted out.
CREATE OR REPLACE FUNCTION open_load_tickets_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sign integer := CASE TG_OP WHEN 'DELETE' THEN -1 ELSE 1 END;
    shops bigint[];
    keys bigint[];
    kinds text[];
    statuses text[];
    changes integer[];
BEGIN
    SELECT array_agg(c.shop_id), array_agg(c.assignee_key), array_agg(c.kind), array_agg(c.status), array_agg(c.change)
    INTO shops, keys, kinds, statuses, changes
    FROM (SELECT shop_id, COALESCE(assignee_id, 0) AS assignee_key, kind, status, sign * count(*)::integer AS change
          FROM changed WHERE closed_at IS NULL GROUP BY 1, 2, 3, 4) AS c;
    IF shops IS NOT NULL THEN
        INSERT INTO open_load_changes (shop_id, assignee_key, kind, status, change)
        SELECT * FROM unnest(shops, keys, kinds, statuses, changes);
    END IF;
    RETURN NULL;
END;
$$;

-- A ticket handed to someone else, closed, reopened or moved to another status while open: out of
-- one count, into the other (each a plain insert of one row, which Citus sends to its shard; the
-- helper `open_load_change` is left to no one).
CREATE OR REPLACE FUNCTION open_load_ticket_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.closed_at IS NULL THEN
        INSERT INTO open_load_changes (shop_id, assignee_key, kind, status, change)
        VALUES (OLD.shop_id, COALESCE(OLD.assignee_id, 0), OLD.kind, OLD.status, -1);
    END IF;
    IF NEW.closed_at IS NULL THEN
        INSERT INTO open_load_changes (shop_id, assignee_key, kind, status, change)
        VALUES (NEW.shop_id, COALESCE(NEW.assignee_id, 0), NEW.kind, NEW.status, 1);
    END IF;
    RETURN NULL;
END;
$$;
DROP FUNCTION open_load_change(bigint[], bigint[], integer[]);

DROP TRIGGER open_load_ticket_moved ON tickets;
CREATE TRIGGER open_load_ticket_moved AFTER UPDATE OF assignee_id, closed_at, status ON tickets FOR EACH ROW
    WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR (OLD.closed_at IS NULL) <> (NEW.closed_at IS NULL)
          OR (NEW.closed_at IS NULL AND OLD.status <> NEW.status))
    EXECUTE FUNCTION open_load_ticket_moved();

-- New tickets: the open ones counted by worker, kind and status (the rest of the trigger as it was,
-- `…_new_rows_kept_by_one_trigger`).
CREATE OR REPLACE FUNCTION tickets_added() RETURNS trigger LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
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
    load_shops bigint[];
    load_keys bigint[];
    load_kinds text[];
    load_statuses text[];
    load_changes integer[];
    queue_shops bigint[];
    queue_ids bigint[];
    live_shops bigint[];
    live_payloads text[];
BEGIN
    -- The new rows, read once: the days they were opened (and closed) on, the orders whose figures
    -- they change (`…_report_marks_orders_only_when_changed`), the open ones by owner, the rows
    -- for the search, and one announcement a shop.
    SELECT d.shops, d.ats, d.figures, o.shops, o.ids, o.returned, l.shops, l.keys, l.kinds, l.statuses, l.changes,
           q.shops, q.ids, a.shops, a.payloads
    INTO shops, ats, figures, order_shops, order_ids, returned_orders, load_shops, load_keys, load_kinds, load_statuses,
         load_changes,
         queue_shops, queue_ids, live_shops, live_payloads
    FROM (SELECT array_agg(c.shop_id) AS shops, array_agg(v.at) AS ats, array_agg(v.figures) AS figures
          FROM added c
          CROSS JOIN LATERAL (VALUES (c.opened_at, 4::smallint), (c.closed_at, 8::smallint)) AS v (at, figures)
          WHERE v.at IS NOT NULL) AS d,
         (SELECT array_agg(DISTINCT shop_id) AS shops,
                 array_agg(DISTINCT order_id) FILTER (
                     WHERE kind IN ('complaint', 'return', 'exchange') OR resolution = 'refunded'
                        OR refunded_at IS NOT NULL) AS ids,
                 array_agg(DISTINCT order_id) FILTER (WHERE kind IN ('return', 'exchange')) AS returned
          FROM added WHERE order_id IS NOT NULL) AS o,
         (SELECT array_agg(c.shop_id) AS shops, array_agg(c.assignee_key) AS keys, array_agg(c.kind) AS kinds,
                 array_agg(c.status) AS statuses, array_agg(c.change) AS changes
          FROM (SELECT shop_id, COALESCE(assignee_id, 0) AS assignee_key, kind, status, count(*)::integer AS change
                FROM added WHERE closed_at IS NULL GROUP BY 1, 2, 3, 4) AS c) AS l,
         (SELECT array_agg(shop_id) AS shops, array_agg(id) AS ids FROM added WHERE NOT search_deferred()) AS q,
         (SELECT array_agg(shop_id) AS shops,
                 array_agg(json_build_object(
                     'k', 't',
                     's', shop_id,
                     'ids', CASE WHEN cardinality(ids) <= 100 THEN ids END,
                     'to', CASE WHEN cardinality(holders) <= 100 THEN holders END)::text) AS payloads
          FROM (SELECT shop_id,
                       array_agg(DISTINCT id ORDER BY id) AS ids,
                       array_agg(DISTINCT assignee_id) FILTER (WHERE assignee_id IS NOT NULL) AS holders
                FROM added GROUP BY shop_id) AS per_shop) AS a;
    -- The orders' payment days, and for a return or an exchange their signing days.
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
        GROUP BY 1, 2;
    END IF;
    IF load_shops IS NOT NULL THEN
        INSERT INTO open_load_changes (shop_id, assignee_key, kind, status, change)
        SELECT * FROM unnest(load_shops, load_keys, load_kinds, load_statuses, load_changes);
    END IF;
    IF queue_ids IS NOT NULL THEN
        INSERT INTO search_pending (shop_id, kind, id)
        SELECT DISTINCT q.shop_id, 'ticket', q.id FROM unnest(queue_shops, queue_ids) AS q (shop_id, id);
    END IF;
    IF live_shops IS NOT NULL THEN
        INSERT INTO live_outbox (shop_id, payload) SELECT * FROM unnest(live_shops, live_payloads);
    END IF;
    RETURN NULL;
END;
$$;

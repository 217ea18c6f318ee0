-- The statement triggers read their transition tables on their own first, then write (issue 17).
-- On Citus a trigger of a shop table runs on the shard, and a write into another distributed or
-- reference table (`report_stale`, `search_pending`, `live_outbox`) is planned by Citus, which
-- cannot see the trigger's transition table from there ("could not find named tuplestore"). Each
-- function now gathers what it needs from its transition table into arrays with a statement
-- that reads nothing else, and writes from those arrays; the look-ups of orders, lines and
-- tickets name the shops and ids they need. One statement still marks a whole import's days and
-- queues its rows for the search at once, and on one PostgreSQL the result is the same rows.

-- Marks the local days of the instants `ats` (NULLs skipped) of the shops `shop_ids` (one per
-- instant) stale for the report figures.
CREATE FUNCTION report_stale_mark(shop_ids bigint[], ats timestamptz[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(ats) > 0 THEN
        INSERT INTO report_stale (shop_id, day)
        SELECT DISTINCT m.shop_id, (m.at AT TIME ZONE s.time_zone)::date
        FROM unnest(shop_ids, ats) AS m (shop_id, at)
        JOIN shops s ON s.id = m.shop_id
        WHERE m.at IS NOT NULL;
    END IF;
END;
$$;

-- Marks the days of the payment and signing of the orders `order_ids` of the shops `shop_ids`
-- (ids are unique across shops: any shop of the list may hold any of the orders).
CREATE FUNCTION report_stale_mark_orders(shop_ids bigint[], order_ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ats timestamptz[];
BEGIN
    IF cardinality(order_ids) > 0 THEN
        SELECT array_agg(o.shop_id), array_agg(v.at) INTO shops, ats
        FROM orders o CROSS JOIN LATERAL (VALUES (o.paid_at), (o.signed_at)) AS v (at)
        WHERE o.shop_id = ANY (shop_ids) AND o.id = ANY (order_ids) AND v.at IS NOT NULL;
        PERFORM report_stale_mark(shops, ats);
    END IF;
END;
$$;

-- Marks the days the lines of the orders `order_ids` were signed on.
CREATE FUNCTION report_stale_mark_lines(shop_ids bigint[], order_ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ats timestamptz[];
BEGIN
    IF cardinality(order_ids) > 0 THEN
        SELECT array_agg(l.shop_id), array_agg(l.signed_at) INTO shops, ats
        FROM order_lines l
        WHERE l.shop_id = ANY (shop_ids) AND l.order_id = ANY (order_ids) AND l.signed_at IS NOT NULL;
        PERFORM report_stale_mark(shops, ats);
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION report_orders_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ats timestamptz[];
    ids bigint[];
BEGIN
    SELECT array_agg(c.shop_id), array_agg(v.at) INTO shops, ats
    FROM changed c CROSS JOIN LATERAL (VALUES (c.paid_at), (c.signed_at)) AS v (at)
    WHERE v.at IS NOT NULL;
    PERFORM report_stale_mark(shops, ats);
    IF TG_OP = 'UPDATE' THEN
        SELECT array_agg(c.shop_id), array_agg(v.at) INTO shops, ats
        FROM changed_before c CROSS JOIN LATERAL (VALUES (c.paid_at), (c.signed_at)) AS v (at)
        WHERE v.at IS NOT NULL;
        PERFORM report_stale_mark(shops, ats);
        -- Lines signed on their own keep their day, but their order's payment day moved.
        SELECT array_agg(DISTINCT shop_id), array_agg(DISTINCT id) INTO shops, ids FROM changed;
        PERFORM report_stale_mark_lines(shops, ids);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION report_lines_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    order_ids bigint[];
    ats timestamptz[];
BEGIN
    SELECT array_agg(shop_id), array_agg(signed_at) INTO shops, ats FROM changed;
    PERFORM report_stale_mark(shops, ats);
    SELECT array_agg(DISTINCT shop_id), array_agg(DISTINCT order_id) INTO shops, order_ids FROM changed;
    PERFORM report_stale_mark_orders(shops, order_ids);
    IF TG_OP = 'UPDATE' THEN
        SELECT array_agg(shop_id), array_agg(signed_at) INTO shops, ats FROM changed_before;
        PERFORM report_stale_mark(shops, ats);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION report_tickets_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ats timestamptz[];
    order_ids bigint[];
BEGIN
    SELECT array_agg(c.shop_id), array_agg(v.at) INTO shops, ats
    FROM changed c CROSS JOIN LATERAL (VALUES (c.opened_at), (c.closed_at)) AS v (at)
    WHERE v.at IS NOT NULL;
    PERFORM report_stale_mark(shops, ats);
    SELECT array_agg(DISTINCT shop_id), array_agg(DISTINCT order_id) INTO shops, order_ids
    FROM changed WHERE order_id IS NOT NULL;
    PERFORM report_stale_mark_orders(shops, order_ids);
    PERFORM report_stale_mark_lines(shops, order_ids);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION announce_ticket_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    payloads text[];
BEGIN
    SELECT array_agg(json_build_object(
               'k', 't',
               's', shop_id,
               'ids', CASE WHEN cardinality(ids) <= 100 THEN ids END,
               'to', CASE WHEN cardinality(holders) <= 100 THEN holders END)::text)
    INTO payloads
    FROM (SELECT shop_id,
                 array_agg(DISTINCT id ORDER BY id) AS ids,
                 array_agg(DISTINCT assignee_id) FILTER (WHERE assignee_id IS NOT NULL) AS holders
          FROM changed GROUP BY shop_id) AS per_shop;
    INSERT INTO live_outbox (payload) SELECT unnest(payloads);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION announce_notices() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    payloads text[];
BEGIN
    SELECT array_agg(json_build_object('k', 'n', 'u', user_id)::text) INTO payloads
    FROM (SELECT DISTINCT user_id FROM written) AS readers;
    INSERT INTO live_outbox (payload) SELECT unnest(payloads);
    RETURN NULL;
END;
$$;

-- Queues rows of `kind` for the search: the shops `shop_ids` and ids `ids`, pairwise.
CREATE FUNCTION search_pending_queue(kind text, shop_ids bigint[], ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(ids) > 0 THEN
        INSERT INTO search_pending (shop_id, kind, id)
        SELECT DISTINCT q.shop_id, search_pending_queue.kind, q.id FROM unnest(shop_ids, ids) AS q (shop_id, id)
        ON CONFLICT DO NOTHING;
    END IF;
END;
$$;

-- Queues for the search the tickets on the orders `order_ids` of the shops `shop_ids`.
CREATE FUNCTION search_pending_queue_orders_tickets(shop_ids bigint[], order_ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ids bigint[];
BEGIN
    IF cardinality(order_ids) > 0 THEN
        SELECT array_agg(t.shop_id), array_agg(t.id) INTO shops, ids
        FROM tickets t WHERE t.shop_id = ANY (shop_ids) AND t.order_id = ANY (order_ids);
        PERFORM search_pending_queue('ticket', shops, ids);
    END IF;
END;
$$;

-- Tickets, buyers and orders written: the rows themselves, of the kind the trigger names. One
-- function for the three instead of one each.
CREATE FUNCTION search_pending_new_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ids bigint[];
BEGIN
    IF NOT search_deferred() THEN
        SELECT array_agg(shop_id), array_agg(id) INTO shops, ids FROM new_rows;
        PERFORM search_pending_queue(TG_ARGV[0], shops, ids);
    END IF;
    RETURN NULL;
END;
$$;
DROP TRIGGER tickets_to_search ON tickets;
CREATE TRIGGER tickets_to_search AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_pending_new_rows('ticket');
DROP TRIGGER customers_to_search ON customers;
CREATE TRIGGER customers_to_search AFTER INSERT ON customers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_pending_new_rows('buyer');
DROP TRIGGER orders_to_search ON orders;
CREATE TRIGGER orders_to_search AFTER INSERT ON orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_pending_new_rows('order');
DROP FUNCTION search_pending_new_tickets();
DROP FUNCTION search_pending_new_customers();
DROP FUNCTION search_pending_new_orders();

CREATE OR REPLACE FUNCTION search_pending_new_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ids bigint[];
BEGIN
    IF NOT search_deferred() THEN
        SELECT array_agg(shop_id), array_agg(ticket_id) INTO shops, ids FROM new_rows
        WHERE kind IN ('follow_up', 'note', 'status_changed', 'override', 'return_visit', 'evidence_added', 'link');
        PERFORM search_pending_queue('ticket', shops, ids);
    END IF;
    RETURN NULL;
END;
$$;

-- Lines added to or taken off an order: the order, and the tickets on it. One function for both
-- triggers (each reads the transition table it has).
CREATE FUNCTION search_pending_lines_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    order_ids bigint[];
BEGIN
    IF NOT search_deferred() THEN
        IF TG_OP = 'DELETE' THEN
            SELECT array_agg(shop_id), array_agg(order_id) INTO shops, order_ids
            FROM (SELECT DISTINCT shop_id, order_id FROM old_rows) AS lines_orders;
        ELSE
            SELECT array_agg(shop_id), array_agg(order_id) INTO shops, order_ids
            FROM (SELECT DISTINCT shop_id, order_id FROM new_rows) AS lines_orders;
        END IF;
        PERFORM search_pending_queue('order', shops, order_ids);
        PERFORM search_pending_queue_orders_tickets(shops, order_ids);
    END IF;
    RETURN NULL;
END;
$$;
DROP TRIGGER order_lines_to_search ON order_lines;
CREATE TRIGGER order_lines_to_search AFTER INSERT ON order_lines
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_pending_lines_changed();
DROP TRIGGER order_lines_removed_to_search ON order_lines;
CREATE TRIGGER order_lines_removed_to_search AFTER DELETE ON order_lines
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search_pending_lines_changed();
DROP FUNCTION search_pending_new_lines();
DROP FUNCTION search_pending_removed_lines();

-- The two markers written in SQL become PL/pgSQL: Citus cannot plan a statement of an SQL
-- function that uses its parameters. Same rows as before.
CREATE OR REPLACE FUNCTION report_mark_days(shop bigint, instants timestamptz[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    zone text := (SELECT time_zone FROM shops WHERE id = shop);
BEGIN
    IF zone IS NOT NULL THEN
        INSERT INTO report_stale (shop_id, day)
        SELECT DISTINCT shop, (i AT TIME ZONE zone)::date
        FROM unnest(instants) AS i
        WHERE i IS NOT NULL;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION report_mark_shop(shop bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    zone text := (SELECT time_zone FROM shops WHERE id = shop);
BEGIN
    IF zone IS NOT NULL THEN
        INSERT INTO report_stale (shop_id, day)
        SELECT DISTINCT shop, (v.at AT TIME ZONE zone)::date
        FROM (SELECT paid_at FROM orders WHERE shop_id = shop
              UNION ALL SELECT signed_at FROM orders WHERE shop_id = shop
              UNION ALL SELECT signed_at FROM order_lines WHERE shop_id = shop
              UNION ALL SELECT opened_at FROM tickets WHERE shop_id = shop
              UNION ALL SELECT closed_at FROM tickets WHERE shop_id = shop) AS v (at)
        WHERE v.at IS NOT NULL;
    END IF;
END;
$$;

-- A shop's change of time zone recounts its figures from the settings' own transaction
-- (`shops::change_settings` → `reports::rollup::shop_rezoned`), not from a trigger on `shops`:
-- on Citus the shops table is copied to every node, and a trigger there would run on each copy
-- and could not write the shop's shards.
DROP TRIGGER report_shop_rezoned ON shops;
DROP FUNCTION report_shop_rezoned();

-- A ticket that moves marks its days through the same helpers (Citus cannot push down the
-- lateral UNION of values without a FROM that this read before).
CREATE OR REPLACE FUNCTION report_ticket_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    order_ids bigint[] := array_remove(ARRAY[OLD.order_id, NEW.order_id], NULL);
BEGIN
    PERFORM report_mark_days(NEW.shop_id, ARRAY[OLD.opened_at, OLD.closed_at, NEW.opened_at, NEW.closed_at]);
    PERFORM report_stale_mark_orders(ARRAY[NEW.shop_id], order_ids);
    PERFORM report_stale_mark_lines(ARRAY[NEW.shop_id], order_ids);
    RETURN NULL;
END
$$;

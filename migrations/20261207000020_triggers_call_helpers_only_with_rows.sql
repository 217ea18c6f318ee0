-- The statement triggers call their helpers only when their rows give them something to do
-- (issue 17). Each of them gathers what its statement changed into arrays and hands them to a
-- helper (`report_stale_mark_figures`, `search_pending_queue`, …) that writes nothing for empty
-- arrays; but the call itself was paid at every statement: a timeline written without a refund
-- still called `report_stale_mark_figures`, whose own setting (`plan_cache_mode`) is put in place
-- and taken back at each call, and one without words still called the search's queue. Every new
-- ticket and every follow-up writes such a timeline. The bodies are those of the migrations
-- before, each call now behind the test of its arrays.

CREATE OR REPLACE FUNCTION report_refund_moves_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ats timestamptz[];
BEGIN
    SELECT array_agg(shop_id), array_agg(at) INTO shops, ats FROM new_rows
    WHERE kind = 'status_changed' AND data ->> 'to' = 'refunded';
    IF ats IS NOT NULL THEN
        PERFORM report_stale_mark_figures(shops, ats, array_fill(16::smallint, ARRAY[cardinality(ats)]));
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION search_pending_new_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    tickets bigint[];
    events bigint[];
    ats timestamptz[];
BEGIN
    IF NOT search_deferred() THEN
        SELECT array_agg(shop_id), array_agg(ticket_id), array_agg(id), array_agg(at)
        INTO shops, tickets, events, ats
        FROM new_rows
        WHERE kind IN ('follow_up', 'note', 'status_changed', 'override', 'return_visit', 'evidence_added', 'link');
        IF events IS NOT NULL THEN
            PERFORM search_pending_queue_events(shops, tickets, events, ats);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION search_pending_new_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ids bigint[];
BEGIN
    IF NOT search_deferred() THEN
        SELECT array_agg(shop_id), array_agg(id) INTO shops, ids FROM new_rows;
        IF ids IS NOT NULL THEN
            PERFORM search_pending_queue(TG_ARGV[0], shops, ids);
        END IF;
    END IF;
    RETURN NULL;
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
        PERFORM open_load_change(shops, keys, changes);
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION announce_ticket_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    payloads text[];
BEGIN
    SELECT array_agg(shop_id),
           array_agg(json_build_object(
               'k', 't',
               's', shop_id,
               'ids', CASE WHEN cardinality(ids) <= 100 THEN ids END,
               'to', CASE WHEN cardinality(holders) <= 100 THEN holders END)::text)
    INTO shops, payloads
    FROM (SELECT shop_id,
                 array_agg(DISTINCT id ORDER BY id) AS ids,
                 array_agg(DISTINCT assignee_id) FILTER (WHERE assignee_id IS NOT NULL) AS holders
          FROM changed GROUP BY shop_id) AS per_shop;
    IF shops IS NOT NULL THEN
        INSERT INTO live_outbox (shop_id, payload) SELECT * FROM unnest(shops, payloads);
    END IF;
    RETURN NULL;
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
    SELECT array_agg(DISTINCT shop_id),
           array_agg(DISTINCT order_id) FILTER (
               WHERE kind IN ('complaint', 'return', 'exchange') OR resolution = 'refunded' OR refunded_at IS NOT NULL),
           array_agg(DISTINCT order_id) FILTER (WHERE kind IN ('return', 'exchange'))
    INTO order_shops, order_ids, returned_orders
    FROM changed WHERE order_id IS NOT NULL;
    IF shops IS NOT NULL OR order_ids IS NOT NULL OR returned_orders IS NOT NULL THEN
        PERFORM report_stale_mark_ticket_days(shops, ats, figures, order_shops, order_ids, returned_orders);
    END IF;
    RETURN NULL;
END;
$$;


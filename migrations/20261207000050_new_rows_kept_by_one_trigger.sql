-- A new ticket's bookkeeping in one trigger a table (issue 17). Opening a ticket fired four
-- statement triggers on `tickets` (the report marks, the open counts, the search's queue, the
-- live desk's announcement) and, on `ticket_events`, two statement triggers (the search's queue,
-- the refunds' report marks) and the webhooks' row trigger once for every event written. Each
-- call is a function started, its transition table set up and its statements' executors started
-- again: on the generated 100,000-ticket shop, tickets created at four connections, the calls cost
-- 480 µs a creation statement of 1,050, and half of that was neither reading nor writing rows
-- (`pg_stat_user_functions` against the nested statements of `pg_stat_statements`,
-- docs/PERFORMANCE.md). Now each table has one insert trigger that reads its new rows once and
-- writes the same rows as before: `tickets_added` and `ticket_events_added`.
--
-- The webhooks are looked for once a statement: a statement whose shops have no active hook (most
-- shops, and every ticket opened in them) writes no delivery and calls nothing more; otherwise
-- each event is handed to `webhook_outbox_for`, which does what the row trigger did, in the order
-- the events were written.
--
-- The statements keep their shapes (rows read into arrays first, then written from them: on Citus
-- a trigger runs on a shard, `…_triggers_read_their_rows_first`), and the plans are kept as the
-- report marks' are (`…_report_marks_planned_once`; `db::citus::distribute` resets that on Citus).
-- The deleted tickets keep their triggers (`report_tickets_added`, `open_load_tickets_changed`).

CREATE FUNCTION tickets_added() RETURNS trigger LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
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
    load_changes integer[];
    queue_shops bigint[];
    queue_ids bigint[];
    live_shops bigint[];
    live_payloads text[];
BEGIN
    -- The new rows, read once: the days they were opened (and closed) on, the orders whose figures
    -- they change (`…_report_marks_orders_only_when_changed`), the open ones by owner, the rows
    -- for the search, and one announcement a shop.
    SELECT d.shops, d.ats, d.figures, o.shops, o.ids, o.returned, l.shops, l.keys, l.changes,
           q.shops, q.ids, a.shops, a.payloads
    INTO shops, ats, figures, order_shops, order_ids, returned_orders, load_shops, load_keys, load_changes,
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
         (SELECT array_agg(c.shop_id) AS shops, array_agg(c.assignee_key) AS keys, array_agg(c.change) AS changes
          FROM (SELECT shop_id, COALESCE(assignee_id, 0) AS assignee_key, count(*)::integer AS change
                FROM added WHERE closed_at IS NULL GROUP BY 1, 2) AS c) AS l,
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
        INSERT INTO open_load_changes (shop_id, assignee_key, change)
        SELECT * FROM unnest(load_shops, load_keys, load_changes);
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

-- What the webhooks' row trigger did for one event: the hook event it is, if any; one delivery
-- for each of its shop's active hooks that asked for it, unless the event is history (more than a
-- day before the desk learnt of its ticket: an imported refund report's opening and its replayed
-- moves alert no one).
-- (The event comes as its columns, not as a `ticket_events` row: a function whose signature
-- names a table depends on it, and Citus will not make such a function known to its nodes before
-- the table is distributed.)
CREATE FUNCTION webhook_outbox_for(event_shop_id bigint, event_ticket_id bigint, event_id bigint,
                                   event_at timestamptz, event_actor_id bigint, event_kind text,
                                   event_data jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    hook_event text;
BEGIN
    hook_event := CASE event_kind
        WHEN 'created' THEN 'ticket_opened'
        WHEN 'assigned' THEN 'ticket_assigned'
        WHEN 'escalated' THEN 'follow_up_overdue'
        WHEN 'status_changed' THEN CASE
            WHEN event_data->>'to' = 'escalated' THEN 'ticket_escalated'
            WHEN event_data->>'from' = 'escalated' THEN 'ticket_handed_back'
            ELSE 'status_changed' END
        WHEN 'return_visit' THEN CASE
            WHEN event_data->>'satisfied' = 'false' THEN 'visit_not_satisfied' END
        END;
    IF hook_event IS NULL OR NOT EXISTS (
        SELECT 1 FROM webhooks WHERE shop_id = event_shop_id AND active AND hook_event = ANY (events)) THEN
        RETURN;
    END IF;
    IF event_at < (SELECT (e.data->>'recorded_at')::timestamptz - interval '1 day' FROM ticket_events e
                   WHERE e.shop_id = event_shop_id AND e.ticket_id = event_ticket_id AND e.kind = 'created'
                   ORDER BY e.id LIMIT 1) THEN
        RETURN;
    END IF;
    -- The event's own time is when it happened by the desk's clock; it is due at once.
    INSERT INTO webhook_deliveries (shop_id, hook_id, event, event_key, ticket_id, payload, next_attempt_at, created_at)
    SELECT w.shop_id, w.id, hook_event, 'ticket_event:' || event_id, event_ticket_id,
           jsonb_build_object(
               'event', hook_event,
               'at', event_at,
               'ticket', jsonb_build_object(
                   'id', t.id, 'kind', t.kind, 'status', t.status, 'order_no', o.order_no,
                   'buyer', c.nick, 'assignee', assignee.display_name, 'refund_fen', t.refund_fen),
               'actor', actor.display_name,
               'data', event_data),
           event_at, event_at
    FROM webhooks w
    JOIN tickets t ON t.shop_id = event_shop_id AND t.id = event_ticket_id
    JOIN orders o ON o.shop_id = t.shop_id AND o.id = t.order_id
    JOIN customers c ON c.shop_id = t.shop_id AND c.id = t.customer_id
    LEFT JOIN users assignee ON assignee.id = t.assignee_id
    LEFT JOIN users actor ON actor.id = event_actor_id
    WHERE w.shop_id = event_shop_id AND w.active AND hook_event = ANY (w.events)
    ON CONFLICT DO NOTHING;
END;
$$;

CREATE FUNCTION ticket_events_added() RETURNS trigger LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    queue_shops bigint[];
    queue_tickets bigint[];
    queue_events bigint[];
    queue_ats timestamptz[];
    refund_shops bigint[];
    refund_ats timestamptz[];
    hook_shops bigint[];
    event ticket_events;
BEGIN
    -- The new events, read once: those with words for the search, the refunds the reports count
    -- on their day, and the shops of those a hook may ask for.
    SELECT q.shops, q.tickets, q.events, q.ats, r.shops, r.ats, h.shops
    INTO queue_shops, queue_tickets, queue_events, queue_ats, refund_shops, refund_ats, hook_shops
    FROM (SELECT array_agg(shop_id) AS shops, array_agg(ticket_id) AS tickets, array_agg(id) AS events,
                 array_agg(at) AS ats
          FROM added
          WHERE kind IN ('follow_up', 'note', 'status_changed', 'override', 'return_visit', 'evidence_added', 'link')
            AND NOT search_deferred()) AS q,
         (SELECT array_agg(shop_id) AS shops, array_agg(at) AS ats FROM added
          WHERE kind = 'status_changed' AND data ->> 'to' = 'refunded') AS r,
         (SELECT array_agg(DISTINCT shop_id) AS shops FROM added
          WHERE kind IN ('created', 'assigned', 'escalated', 'status_changed', 'return_visit')) AS h;
    IF queue_events IS NOT NULL THEN
        INSERT INTO search_pending (shop_id, kind, id, event_id, event_at)
        SELECT q.shop_id, 'event', q.ticket_id, q.event_id, q.at
        FROM unnest(queue_shops, queue_tickets, queue_events, queue_ats) AS q (shop_id, ticket_id, event_id, at);
    END IF;
    IF refund_ats IS NOT NULL THEN
        INSERT INTO report_stale (shop_id, day, figures)
        SELECT m.shop_id, (m.at AT TIME ZONE s.time_zone)::date, 16::smallint
        FROM unnest(refund_shops, refund_ats) AS m (shop_id, at)
        JOIN shops s ON s.id = m.shop_id
        GROUP BY 1, 2;
    END IF;
    IF hook_shops IS NOT NULL AND EXISTS (SELECT 1 FROM webhooks WHERE shop_id = ANY (hook_shops) AND active) THEN
        FOR event IN SELECT * FROM added LOOP
            PERFORM webhook_outbox_for(event.shop_id, event.ticket_id, event.id, event.at, event.actor_id,
                                       event.kind, event.data);
        END LOOP;
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER report_tickets_inserted ON tickets;
DROP TRIGGER open_load_tickets_inserted ON tickets;
DROP TRIGGER tickets_to_search ON tickets;
DROP TRIGGER tickets_announce_inserts ON tickets;
CREATE TRIGGER tickets_added AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION tickets_added();

RESET ROLE;
-- (ticket_events belongs to the ledger role: its triggers are changed as the superuser, and the
-- database owner's role is taken again at the end, as in the webhook outbox's migration.)
DROP TRIGGER ticket_events_to_webhooks ON ticket_events;
DROP TRIGGER ticket_events_to_search ON ticket_events;
DROP TRIGGER report_refund_moves_added ON ticket_events;
CREATE TRIGGER ticket_events_added AFTER INSERT ON ticket_events
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_added();
DROP FUNCTION webhook_outbox_from_event();
DROP FUNCTION search_pending_new_events();
DROP FUNCTION search_pending_queue_events(bigint[], bigint[], bigint[], timestamptz[]);
DROP FUNCTION report_refund_moves_added();
DROP FUNCTION announce_ticket_changes();

DO $$
DECLARE
    database_owner name := (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database());
BEGIN
    IF database_owner <> current_user AND pg_has_role(session_user, database_owner, 'MEMBER') THEN
        EXECUTE format('SET ROLE %I', database_owner);
    END IF;
END;
$$;

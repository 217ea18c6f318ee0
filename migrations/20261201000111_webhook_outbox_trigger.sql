RESET ROLE;
-- (ticket_events belongs to the ledger role: a trigger on it is created as the superuser. At
-- the end the database owner's role — the application's, as `db::migrate_as_app` runs the
-- migrations — is taken again, so the migrations after this one still make objects it owns.)

-- The outbox is written by the database itself, in the transaction that appends the event:
-- whoever writes a ticket's timeline (the service, the sweep, an import, a return visit), the
-- delivery exists exactly when the change committed. One row per subscribed hook and event.
-- Events that tell no one anything outside (notes, follow-ups, evidence…) write nothing, and a
-- shop without active hooks costs one index probe.
CREATE FUNCTION webhook_outbox_from_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    hook_event text;
BEGIN
    hook_event := CASE NEW.kind
        WHEN 'created' THEN 'ticket_opened'
        WHEN 'assigned' THEN 'ticket_assigned'
        WHEN 'escalated' THEN 'follow_up_overdue'
        WHEN 'status_changed' THEN CASE
            WHEN NEW.data->>'to' = 'escalated' THEN 'ticket_escalated'
            WHEN NEW.data->>'from' = 'escalated' THEN 'ticket_handed_back'
            ELSE 'status_changed' END
        WHEN 'return_visit' THEN CASE
            WHEN NEW.data->>'satisfied' = 'false' THEN 'visit_not_satisfied' END
        END;
    IF hook_event IS NULL OR NOT EXISTS (
        SELECT 1 FROM webhooks WHERE shop_id = NEW.shop_id AND active AND hook_event = ANY (events)) THEN
        RETURN NULL;
    END IF;
    -- History is not news: an event that happened more than a day before the desk learnt of its
    -- ticket (an imported refund report's opening and its replayed moves) alerts no one.
    IF NEW.at < (SELECT (e.data->>'recorded_at')::timestamptz - interval '1 day' FROM ticket_events e
                 WHERE e.shop_id = NEW.shop_id AND e.ticket_id = NEW.ticket_id AND e.kind = 'created'
                 ORDER BY e.id LIMIT 1) THEN
        RETURN NULL;
    END IF;
    -- The event's own time is when it happened by the desk's clock; it is due at once.
    INSERT INTO webhook_deliveries (shop_id, hook_id, event, event_key, ticket_id, payload, next_attempt_at, created_at)
    SELECT w.shop_id, w.id, hook_event, 'ticket_event:' || NEW.id, NEW.ticket_id,
           jsonb_build_object(
               'event', hook_event,
               'at', NEW.at,
               'ticket', jsonb_build_object(
                   'id', t.id, 'kind', t.kind, 'status', t.status, 'order_no', o.order_no,
                   'buyer', c.nick, 'assignee', assignee.display_name, 'refund_fen', t.refund_fen),
               'actor', actor.display_name,
               'data', NEW.data),
           NEW.at, NEW.at
    FROM webhooks w
    JOIN tickets t ON t.shop_id = NEW.shop_id AND t.id = NEW.ticket_id
    JOIN orders o ON o.shop_id = t.shop_id AND o.id = t.order_id
    JOIN customers c ON c.shop_id = t.shop_id AND c.id = t.customer_id
    LEFT JOIN users assignee ON assignee.id = t.assignee_id
    LEFT JOIN users actor ON actor.id = NEW.actor_id
    WHERE w.shop_id = NEW.shop_id AND w.active AND hook_event = ANY (w.events)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ticket_events_to_webhooks
    AFTER INSERT ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION webhook_outbox_from_event();

DO $$
DECLARE
    database_owner name := (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database());
BEGIN
    IF database_owner <> current_user AND pg_has_role(session_user, database_owner, 'MEMBER') THEN
        EXECUTE format('SET ROLE %I', database_owner);
    END IF;
END;
$$;

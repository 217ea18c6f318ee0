-- A live desk (issue 15): every change to tickets and every new notice is announced on the
-- channel `desk_live` inside the transaction that makes it (PostgreSQL delivers a NOTIFY only
-- at commit, and not at all on rollback), so each server process, listening, can push it to
-- the browsers it serves. One announcement per statement and shop, not per row: a bulk
-- reassignment of 300 tickets is one message. Payloads stay far below NOTIFY's 8000 bytes:
-- past 100 tickets only the shop is named and the pages refresh whole.

CREATE FUNCTION announce_ticket_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT shop_id,
               array_agg(DISTINCT id ORDER BY id) AS ids,
               array_agg(DISTINCT assignee_id) FILTER (WHERE assignee_id IS NOT NULL) AS holders
        FROM changed GROUP BY shop_id
    LOOP
        PERFORM pg_notify('desk_live', json_build_object(
            'k', 't',
            's', r.shop_id,
            'ids', CASE WHEN cardinality(r.ids) <= 100 THEN r.ids END,
            'to', CASE WHEN cardinality(r.holders) <= 100 THEN r.holders END)::text);
    END LOOP;
    RETURN NULL;
END;
$$;

-- Inserts and updates (a transition table serves one event per trigger); on an update the old
-- holder is told too: the ticket left their queue.
CREATE FUNCTION announce_ticket_updates() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT shop_id,
               array_agg(DISTINCT id ORDER BY id) AS ids,
               array_agg(DISTINCT holder) FILTER (WHERE holder IS NOT NULL) AS holders
        FROM (SELECT shop_id, id, assignee_id AS holder FROM changed
              UNION ALL SELECT shop_id, id, assignee_id FROM before) AS both_sides
        GROUP BY shop_id
    LOOP
        PERFORM pg_notify('desk_live', json_build_object(
            'k', 't',
            's', r.shop_id,
            'ids', CASE WHEN cardinality(r.ids) <= 100 THEN r.ids END,
            'to', CASE WHEN cardinality(r.holders) <= 100 THEN r.holders END)::text);
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tickets_announce_inserts AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION announce_ticket_changes();
CREATE TRIGGER tickets_announce_updates AFTER UPDATE ON tickets
    REFERENCING OLD TABLE AS before NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION announce_ticket_updates();

-- A new notice: its reader's badge counts again.
CREATE FUNCTION announce_notices() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT DISTINCT user_id FROM written LOOP
        PERFORM pg_notify('desk_live', json_build_object('k', 'n', 'u', r.user_id)::text);
    END LOOP;
    RETURN NULL;
END;
$$;
CREATE TRIGGER notifications_announce AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION announce_notices();

-- Who has a ticket open, and whether they are typing in it. Soft and short-lived: a row older
-- than a minute means nothing (the page beats every 20 seconds), so it need not survive a
-- crash (unlogged, cheap to write).
CREATE UNLOGGED TABLE presence (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    shop_id     bigint NOT NULL,
    ticket_id   bigint NOT NULL,
    typing      boolean NOT NULL DEFAULT false,
    seen_at     timestamptz NOT NULL,
    PRIMARY KEY (shop_id, ticket_id, user_id)
);

-- Which notices a person does not want (none by default).
CREATE TABLE notice_muted (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- A return visit that fell due, told to the ticket's holder once.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('assigned_to_you', 'escalated_to_you', 'handed_back', 'visit_not_satisfied',
                    'follow_up_due', 'timer_expiring', 'return_visit_due'));

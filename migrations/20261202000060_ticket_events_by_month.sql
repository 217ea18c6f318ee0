RESET ROLE;
-- (ticket_events belongs to the ledger role: it is rebuilt as the superuser, and the database
-- owner's role is taken again at the end, as in the webhook outbox's migration. `db::migrate_as_app`
-- hands the new table, its partitions, its sequence and the month function to the ledger role.)

-- The timeline, partitioned by month of `at`: a month's reads touch one partition, and an old
-- month can be detached and archived whole (docs/OPERATIONS.md, "Archiving old months").
--
-- Months are those of China Standard Time (Asia/Shanghai), the marketplaces' clock. Every key
-- holds `at`, as PostgreSQL asks of a partitioned table's unique indexes: the primary key is
-- (shop_id, id, at), and the one-escalation-per-cycle index holds `at`, which an escalation sets
-- to its cycle's due time (`tickets::repo::append_escalation`), so the cycle decides it as before.
-- Ids come from a sequence, the column's default, which partitions attached later share as they
-- are.
--
-- A month without its partition is written to `ticket_events_other`, the default partition;
-- `ticket_events_cover` gives months their partitions (moving any of their rows out of the
-- default one), and the server keeps this month and the next two covered and the strays moved
-- (`tickets::months::keep`).

ALTER TABLE ticket_events RENAME TO ticket_events_unpartitioned;
ALTER SEQUENCE ticket_events_id_seq RENAME TO ticket_events_unpartitioned_id_seq;
ALTER INDEX ticket_events_pkey RENAME TO ticket_events_unpartitioned_pkey;
ALTER INDEX ticket_events_ticket RENAME TO ticket_events_unpartitioned_ticket;
ALTER INDEX ticket_events_one_escalation_per_cycle RENAME TO ticket_events_unpartitioned_escalation;
ALTER INDEX ticket_events_kind_at RENAME TO ticket_events_unpartitioned_kind_at;
ALTER INDEX ticket_events_status_to RENAME TO ticket_events_unpartitioned_status_to;

CREATE SEQUENCE ticket_events_id_seq AS bigint;
SELECT setval('ticket_events_id_seq', COALESCE((SELECT max(id) FROM ticket_events_unpartitioned), 0) + 1, false);

CREATE TABLE ticket_events (
    shop_id          bigint NOT NULL,
    id               bigint NOT NULL DEFAULT nextval('ticket_events_id_seq'),
    ticket_id        bigint NOT NULL,
    at               timestamptz NOT NULL DEFAULT now(),
    actor_id         bigint,
    kind             text NOT NULL,
    data             jsonb NOT NULL DEFAULT '{}'
) PARTITION BY RANGE (at);
ALTER SEQUENCE ticket_events_id_seq OWNED BY ticket_events.id;

CREATE TABLE ticket_events_other PARTITION OF ticket_events DEFAULT;

-- Gives every month from `from_at`'s to `to_at`'s its partition, `ticket_events_YYYY_MM`, and
-- returns how many it made. A month counts as covered when a partition of that name exists; a
-- table of that name that is not a partition (a detached month kept for the archive) leaves the
-- month to the default partition, with a notice. Rows of a month already in the default
-- partition move into the new one in one statement, under a lock that keeps writers of the
-- default partition out meanwhile (the append-only guard is lifted on it for that move alone).
-- One caller at a time: servers keeping the months may run at once. A lock it cannot have
-- within two seconds (a long reader of the timeline: a backup) fails the call, to be tried
-- again, rather than queue every reader of the timeline behind it.
CREATE FUNCTION ticket_events_cover(from_at timestamptz, to_at timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET datestyle = 'ISO, YMD' SET lock_timeout = '2s' AS $$
DECLARE
    month timestamp := date_trunc('month', from_at AT TIME ZONE 'Asia/Shanghai');
    last  timestamp := date_trunc('month', to_at AT TIME ZONE 'Asia/Shanghai');
    low   timestamptz;
    high  timestamptz;
    part  text;
    reader regrole;
    made  integer := 0;
BEGIN
    IF month IS NULL OR last IS NULL OR last < month THEN
        RETURN 0;
    END IF;
    IF last > month + interval '10 years' THEN
        RAISE EXCEPTION 'ticket_events_cover: % to % spans more than ten years; cover it in parts', from_at, to_at
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('ticket_events_cover'));
    WHILE month <= last LOOP
        part := 'ticket_events_' || to_char(month, 'YYYY_MM');
        IF to_regclass(part) IS NOT NULL THEN
            IF NOT EXISTS (SELECT 1 FROM pg_inherits
                           WHERE inhrelid = to_regclass(part) AND inhparent = 'ticket_events'::regclass) THEN
                RAISE NOTICE 'ticket_events_cover: % exists and is not a partition of ticket_events; its month stays in ticket_events_other', part;
            END IF;
        ELSE
            low := month AT TIME ZONE 'Asia/Shanghai';
            high := (month + interval '1 month') AT TIME ZONE 'Asia/Shanghai';
            EXECUTE format('CREATE TABLE %I (LIKE ticket_events INCLUDING DEFAULTS)', part);
            LOCK TABLE ticket_events_other IN ACCESS EXCLUSIVE MODE;
            IF EXISTS (SELECT 1 FROM ticket_events_other WHERE at >= low AND at < high) THEN
                ALTER TABLE ticket_events_other DISABLE TRIGGER ticket_events_no_update_delete;
                EXECUTE format('WITH moved AS (DELETE FROM ticket_events_other WHERE at >= $1 AND at < $2 RETURNING *) '
                               'INSERT INTO %I SELECT * FROM moved', part)
                    USING low, high;
                ALTER TABLE ticket_events_other ENABLE TRIGGER ticket_events_no_update_delete;
            END IF;
            EXECUTE format('ALTER TABLE ticket_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                           part, low, high);
            EXECUTE format('CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON %I '
                           'FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_are_append_only()', part);
            -- Who may read the timeline may read its months (a backup reads each partition).
            FOR reader IN SELECT DISTINCT a.grantee::regrole FROM pg_class c, aclexplode(c.relacl) a
                           WHERE c.oid = 'ticket_events'::regclass AND a.privilege_type = 'SELECT'
                             AND a.grantee <> 0 AND a.grantee <> c.relowner LOOP
                EXECUTE format('GRANT SELECT ON %I TO %s', part, reader);
            END LOOP;
            made := made + 1;
        END IF;
        month := month + interval '1 month';
    END LOOP;
    RETURN made;
END;
$$;

-- Gives the months of the rows waiting in the default partition their partitions (at most
-- `months` of them, oldest first; not those whose name a detached month holds), and returns how
-- many it made.
CREATE FUNCTION ticket_events_cover_strays(months integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    month  timestamptz;
    strays timestamptz[];
    made   integer := 0;
BEGIN
    -- Read whole before the first move: the default partition is altered by each.
    SELECT array_agg(m ORDER BY m) INTO strays FROM (
        SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai' AS m
        FROM ticket_events_other
        WHERE to_regclass('ticket_events_' || to_char(date_trunc('month', at AT TIME ZONE 'Asia/Shanghai'), 'YYYY_MM')) IS NULL
        ORDER BY m LIMIT months) first_months;
    FOREACH month IN ARRAY COALESCE(strays, '{}') LOOP
        made := made + ticket_events_cover(month, month);
    END LOOP;
    RETURN made;
END;
$$;

-- The guards first, so that the partitions made below get theirs as they are attached.
CREATE TRIGGER ticket_events_no_update_delete
    BEFORE UPDATE OR DELETE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION ticket_events_are_append_only();
CREATE TRIGGER ticket_events_no_truncate
    BEFORE TRUNCATE ON ticket_events
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_are_append_only();
CREATE TRIGGER ticket_events_no_truncate
    BEFORE TRUNCATE ON ticket_events_other
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_are_append_only();

-- A partition for every month the timeline has, and this month and the next two.
SELECT ticket_events_cover(m, m)
FROM (SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai' AS m
      FROM ticket_events_unpartitioned) months;
SELECT ticket_events_cover(now(), now() + interval '2 months');

INSERT INTO ticket_events (shop_id, id, ticket_id, at, actor_id, kind, data)
SELECT shop_id, id, ticket_id, at, actor_id, kind, data FROM ticket_events_unpartitioned;
DROP TABLE ticket_events_unpartitioned;

ALTER TABLE ticket_events ADD PRIMARY KEY (shop_id, id, at);
ALTER TABLE ticket_events ADD FOREIGN KEY (actor_id) REFERENCES users (id);
ALTER TABLE ticket_events ADD FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id);
CREATE INDEX ticket_events_ticket ON ticket_events (shop_id, ticket_id, id);
CREATE UNIQUE INDEX ticket_events_one_escalation_per_cycle
    ON ticket_events (shop_id, ticket_id, at, (data ->> 'cycle_due_at'))
    WHERE kind = 'escalated';
CREATE INDEX ticket_events_kind_at ON ticket_events (shop_id, kind, at);
CREATE INDEX ticket_events_status_to ON ticket_events (shop_id, ticket_id, (data ->> 'to'))
    WHERE kind = 'status_changed';

-- What the old table's other triggers did, on the new one (the functions are unchanged).
CREATE TRIGGER ticket_events_to_webhooks
    AFTER INSERT ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION webhook_outbox_from_event();
CREATE TRIGGER ticket_events_to_search AFTER INSERT ON ticket_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_pending_new_events();

DO $$
DECLARE
    database_owner name := (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database());
BEGIN
    IF database_owner <> current_user AND pg_has_role(session_user, database_owner, 'MEMBER') THEN
        EXECUTE format('SET ROLE %I', database_owner);
    END IF;
END;
$$;

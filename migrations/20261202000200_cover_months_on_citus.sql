-- Giving a month its partition works on Citus too (issue 17). `ticket_events_cover` and
-- `ticket_events_cover_strays` as in migration `…60`, with two changes:
-- - they ask Citus for one connection per node for the whole call: a month's table cannot be
--   made and attached after a parallel read of the default partition in the same transaction;
-- - the append-only guard is lifted for the move through the timeline itself, not through the
--   default partition: ALTER TABLE recurses to the partitions (on Citus, to the shards' copies of
--   the guard, which are named after the timeline's shards, not the partition's). The whole
--   timeline is then locked against writers until the call ends, as the default partition alone
--   was; a move happens only when rows wait there (old history imported, a clock set back).
-- (The function belongs to the ledger role, hence RESET ROLE; the database owner's role is taken
-- again at the end, as in `…60`.)
RESET ROLE;

CREATE OR REPLACE FUNCTION ticket_events_cover(from_at timestamptz, to_at timestamptz) RETURNS integer
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
    -- On Citus: one connection per node for the whole call, so that the months' tables can be
    -- made and attached after the default partition was read (a plain PostgreSQL keeps the
    -- setting as a placeholder and ignores it).
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
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
                ALTER TABLE ticket_events DISABLE TRIGGER ticket_events_no_update_delete;
                EXECUTE format('WITH moved AS (DELETE FROM ticket_events_other WHERE at >= $1 AND at < $2 RETURNING *) '
                               'INSERT INTO %I SELECT * FROM moved', part)
                    USING low, high;
                ALTER TABLE ticket_events ENABLE TRIGGER ticket_events_no_update_delete;
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

CREATE OR REPLACE FUNCTION ticket_events_cover_strays(months integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    month  timestamptz;
    strays timestamptz[];
    made   integer := 0;
BEGIN
    -- Sequential from the start on Citus, as in ticket_events_cover: the read below comes first.
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
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

DO $$
DECLARE
    database_owner name := (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database());
BEGIN
    IF database_owner <> current_user AND pg_has_role(session_user, database_owner, 'MEMBER') THEN
        EXECUTE format('SET ROLE %I', database_owner);
    END IF;
END;
$$;

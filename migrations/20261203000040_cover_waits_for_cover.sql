-- Two servers giving months their partitions at once (issue 17): the second now waits for the
-- first instead of failing after 2 s. The 2 s lock timeout of `ticket_events_cover` is for the
-- timeline's own locks (a cover must not hold the writers queued behind it for long); it also
-- bounded the wait for the covers' advisory lock, and on Citus, where a month's table is made on
-- every node and one call may take seconds, the second server's cover failed although nothing
-- was wrong. The months are now made by `ticket_events_cover_months` (the function as `…200`
-- left it, renamed); `ticket_events_cover` takes the covers' lock with a minute's patience, then
-- calls it (which takes the same lock again at once: it is this transaction's already).
-- (The function belongs to the ledger role, hence RESET ROLE; the database owner's role is taken
-- again at the end, as in `…60`.)
RESET ROLE;

ALTER FUNCTION ticket_events_cover(timestamptz, timestamptz) RENAME TO ticket_events_cover_months;

CREATE FUNCTION ticket_events_cover(from_at timestamptz, to_at timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET lock_timeout = '60s' AS $$
BEGIN
    -- First in the transaction, as `ticket_events_cover_months` needs it (`…200`).
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    PERFORM pg_advisory_xact_lock(hashtext('ticket_events_cover'));
    RETURN ticket_events_cover_months(from_at, to_at);
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

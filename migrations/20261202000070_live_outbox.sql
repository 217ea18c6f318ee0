-- The live desk's announcements leave the writing transaction (issue 17). A NOTIFY holds one
-- database-wide lock from the moment its transaction commits until the commit is on disk, so
-- every transaction that announced waited for every other one's flush: no group commit, and
-- under `aftersales bench` a quarter of the creation throughput and a third of the follow-ups'
-- lost. The triggers now append the announcement to an unlogged table (no WAL, no lock beyond
-- the row's own); each server's relay (`live::relay`) takes what has committed a few times a
-- second and says it on `desk_live` in one transaction of its own that does not wait for the
-- disk. A crash loses what was not yet said, as a dropped listening connection always did:
-- the pages resync.

CREATE UNLOGGED TABLE live_outbox (
    payload text NOT NULL
);

CREATE OR REPLACE FUNCTION announce_ticket_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO live_outbox (payload)
    SELECT json_build_object(
               'k', 't',
               's', shop_id,
               'ids', CASE WHEN cardinality(ids) <= 100 THEN ids END,
               'to', CASE WHEN cardinality(holders) <= 100 THEN holders END)::text
    FROM (SELECT shop_id,
                 array_agg(DISTINCT id ORDER BY id) AS ids,
                 array_agg(DISTINCT assignee_id) FILTER (WHERE assignee_id IS NOT NULL) AS holders
          FROM changed GROUP BY shop_id) AS per_shop;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION announce_ticket_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO live_outbox (payload) VALUES (json_build_object(
        'k', 't',
        's', NEW.shop_id,
        'ids', json_build_array(NEW.id),
        'to', to_json(CASE WHEN OLD.assignee_id IS NOT DISTINCT FROM NEW.assignee_id
                           THEN array_remove(ARRAY[NEW.assignee_id], NULL)
                           ELSE array_remove(ARRAY[OLD.assignee_id, NEW.assignee_id], NULL) END))::text);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION announce_notices() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO live_outbox (payload)
    SELECT json_build_object('k', 'n', 'u', user_id)::text FROM (SELECT DISTINCT user_id FROM written) AS readers;
    RETURN NULL;
END;
$$;

-- The live outbox carries the shop of each announcement and a number of its own (issue 17). On
-- Citus the triggers of a shop's shard may write only into the shards beside it, so the outbox is
-- distributed by shop like the tables that announce (`aftersales distribute`, src/db/citus.rs),
-- and the relay takes its rows by number, not by their place on disk (a distributed table has
-- none to offer): `live::relay_once` reads a pass's numbers, then deletes those rows and says
-- what it deleted; a second server's relay that read the same numbers deletes nothing.
-- What was waiting is dropped: pages resync, as after any lost announcement.

TRUNCATE live_outbox;
CREATE SEQUENCE live_outbox_seq_seq AS bigint;
ALTER TABLE live_outbox
    ADD COLUMN shop_id bigint NOT NULL,
    ADD COLUMN seq bigint NOT NULL DEFAULT nextval('live_outbox_seq_seq');
ALTER SEQUENCE live_outbox_seq_seq OWNED BY live_outbox.seq;

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
    INSERT INTO live_outbox (shop_id, payload) SELECT * FROM unnest(shops, payloads);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION announce_ticket_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO live_outbox (shop_id, payload) VALUES (NEW.shop_id, json_build_object(
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
DECLARE
    shops bigint[];
    payloads text[];
BEGIN
    SELECT array_agg(shop_id), array_agg(json_build_object('k', 'n', 'u', user_id)::text) INTO shops, payloads
    FROM (SELECT DISTINCT shop_id, user_id FROM written) AS readers;
    INSERT INTO live_outbox (shop_id, payload) SELECT * FROM unnest(shops, payloads);
    RETURN NULL;
END;
$$;

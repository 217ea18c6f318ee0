-- The search's pending list becomes a queue that is only appended to (issue 16, review): with
-- one row per (shop, kind, id), a writer whose row was already listed wrote nothing, so an
-- indexer that took the row while the writer's change was uncommitted indexed the old text and
-- the change was never indexed; and a writer's insert waited on the indexer's delete of the
-- same row while the indexer's foreign-key check waited on the writer's lock of the ticket.
-- Now every change adds its own row (`ON CONFLICT DO NOTHING` in the triggers has nothing to
-- conflict with), the indexer deletes the rows it read and drops repeats itself.
ALTER TABLE search_pending DROP CONSTRAINT search_pending_pkey;
ALTER TABLE search_pending ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
CREATE INDEX search_pending_shop ON search_pending (shop_id, seq);

-- Lines taken off an order: its tickets show the lines' titles too.
CREATE OR REPLACE FUNCTION search_pending_removed_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT search_deferred() THEN
        INSERT INTO search_pending (shop_id, kind, id)
        SELECT DISTINCT shop_id, 'order', order_id FROM old_rows;
        INSERT INTO search_pending (shop_id, kind, id)
        SELECT t.shop_id, 'ticket', t.id
        FROM (SELECT DISTINCT shop_id, order_id FROM old_rows) n
        JOIN tickets t ON t.shop_id = n.shop_id AND t.order_id = n.order_id;
    END IF;
    RETURN NULL;
END;
$$;

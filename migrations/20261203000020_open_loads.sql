-- Each worker's open tickets, counted on write (issue 17). The supervisor's queue and the daily
-- digest showed every agent's open count by counting the shop's open tickets on every read: a
-- cost that grows with the shop (15,000 open tickets: 12 ms a page). The count is now kept as a
-- base per shop and assignee (`open_loads`) and the changes since (`open_load_changes`), which
-- the tickets' triggers append to and nothing updates in place: creating tickets in parallel
-- takes no lock on a shared counter. A reader adds the changes to the base in one statement; the
-- server's sweeper folds the changes into the base (`tickets::repo::fold_open_loads`), so the
-- changes a reader adds stay few. Overdue and due-soon counts depend on the hour and are still
-- read from the tickets, through the follow-up due index (only the tickets due soon are read).
-- `assignee_key` 0 stands for the unassigned tickets.
CREATE TABLE open_loads (
    shop_id      bigint NOT NULL REFERENCES shops (id),
    assignee_key bigint NOT NULL,
    open         bigint NOT NULL,
    PRIMARY KEY (shop_id, assignee_key)
);

CREATE TABLE open_load_changes (
    shop_id      bigint NOT NULL REFERENCES shops (id),
    assignee_key bigint NOT NULL,
    change       integer NOT NULL
);
CREATE INDEX open_load_changes_shop ON open_load_changes (shop_id);

-- Appends the changes `changes` to the open counts of the assignees `keys` of the shops
-- `shop_ids` (zero changes skipped). Written from arrays, as the other triggers' helpers are
-- (migration `…_triggers_read_their_rows_first`): on Citus a trigger runs on a shard.
CREATE FUNCTION open_load_change(shop_ids bigint[], keys bigint[], changes integer[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(shop_ids) > 0 THEN
        INSERT INTO open_load_changes (shop_id, assignee_key, change)
        SELECT c.shop_id, c.assignee_key, c.change FROM unnest(shop_ids, keys, changes) AS c (shop_id, assignee_key, change)
        WHERE c.change <> 0;
    END IF;
END;
$$;

-- Tickets written or deleted: each shop's and assignee's open ones counted in or out.
CREATE FUNCTION open_load_tickets_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sign integer := CASE TG_OP WHEN 'DELETE' THEN -1 ELSE 1 END;
    shops bigint[];
    keys bigint[];
    changes integer[];
BEGIN
    SELECT array_agg(c.shop_id), array_agg(c.assignee_key), array_agg(c.change) INTO shops, keys, changes
    FROM (SELECT shop_id, COALESCE(assignee_id, 0) AS assignee_key, sign * count(*)::integer AS change
          FROM changed WHERE closed_at IS NULL GROUP BY 1, 2) AS c;
    PERFORM open_load_change(shops, keys, changes);
    RETURN NULL;
END;
$$;

CREATE TRIGGER open_load_tickets_inserted AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION open_load_tickets_changed();
CREATE TRIGGER open_load_tickets_deleted AFTER DELETE ON tickets
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION open_load_tickets_changed();

-- A ticket handed to someone else, closed or reopened: out of one count, into the other.
CREATE FUNCTION open_load_ticket_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM open_load_change(
        ARRAY[OLD.shop_id, NEW.shop_id],
        ARRAY[COALESCE(OLD.assignee_id, 0), COALESCE(NEW.assignee_id, 0)],
        ARRAY[CASE WHEN OLD.closed_at IS NULL THEN -1 ELSE 0 END, CASE WHEN NEW.closed_at IS NULL THEN 1 ELSE 0 END]);
    RETURN NULL;
END;
$$;

CREATE TRIGGER open_load_ticket_moved AFTER UPDATE OF assignee_id, closed_at ON tickets FOR EACH ROW
    WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR (OLD.closed_at IS NULL) <> (NEW.closed_at IS NULL))
    EXECUTE FUNCTION open_load_ticket_moved();

-- What the tickets hold now.
INSERT INTO open_loads (shop_id, assignee_key, open)
SELECT shop_id, COALESCE(assignee_id, 0), count(*) FROM tickets WHERE closed_at IS NULL GROUP BY 1, 2;

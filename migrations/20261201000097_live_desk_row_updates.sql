-- The live desk's announcement of ticket updates, cheaper (measured under `aftersales bench`:
-- the statement trigger with transition tables, run for every UPDATE of `tickets`, took about a
-- quarter of the create and follow-up throughput). Every change a person can see moves the
-- ticket's version (`tickets::repo::touch`), gives it to someone else or closes it: a row
-- trigger whose WHEN clause (checked without calling any function) picks exactly those, and
-- says the ticket and its old and new holders. Bulk statements (the sweep, an import) announce
-- one row each; PostgreSQL folds identical announcements of one transaction into one. Inserts
-- keep their statement trigger: an import of many tickets is one announcement.

DROP TRIGGER tickets_announce_updates ON tickets;
DROP FUNCTION announce_ticket_updates();

CREATE FUNCTION announce_ticket_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('desk_live', json_build_object(
        'k', 't',
        's', NEW.shop_id,
        'ids', json_build_array(NEW.id),
        'to', to_json(CASE WHEN OLD.assignee_id IS NOT DISTINCT FROM NEW.assignee_id
                           THEN array_remove(ARRAY[NEW.assignee_id], NULL)
                           ELSE array_remove(ARRAY[OLD.assignee_id, NEW.assignee_id], NULL) END))::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER tickets_announce_updates AFTER UPDATE ON tickets
    FOR EACH ROW
    WHEN (OLD.version IS DISTINCT FROM NEW.version
          OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id
          OR OLD.closed_at IS DISTINCT FROM NEW.closed_at)
    EXECUTE FUNCTION announce_ticket_update();

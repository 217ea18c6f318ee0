-- A follow-up, a note or any event with words of its own no longer has its ticket's whole
-- document built again: the event itself is queued for the search (kind `event`: the ticket in
-- `id`, the event by its key in `event_id` and `event_at`), and the indexer adds its words to
-- the ticket's document. Queued as its ticket, each event had the indexer read the ticket's
-- whole timeline again: a ticket followed up two hundred times cost two hundred events read
-- for its next follow-up (3 ms of PostgreSQL's time on a generated shop; docs/PERFORMANCE.md).
ALTER TABLE search_pending
    ADD COLUMN event_id bigint,
    ADD COLUMN event_at timestamptz,
    DROP CONSTRAINT search_pending_kind_check,
    ADD CONSTRAINT search_pending_kind_check CHECK (kind IN ('ticket', 'buyer', 'order', 'event')),
    ADD CONSTRAINT search_pending_event_key CHECK ((kind = 'event') = (event_id IS NOT NULL AND event_at IS NOT NULL));

-- Queues the events `event_ids` dated `ats` of the tickets `ticket_ids` of the shops `shop_ids`,
-- pairwise (from arrays, as `search_pending_queue`: on Citus a trigger runs on a shard).
CREATE FUNCTION search_pending_queue_events(shop_ids bigint[], ticket_ids bigint[], event_ids bigint[],
                                            ats timestamptz[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(event_ids) > 0 THEN
        INSERT INTO search_pending (shop_id, kind, id, event_id, event_at)
        SELECT q.shop_id, 'event', q.ticket_id, q.event_id, q.at
        FROM unnest(shop_ids, ticket_ids, event_ids, ats) AS q (shop_id, ticket_id, event_id, at);
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION search_pending_new_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    tickets bigint[];
    events bigint[];
    ats timestamptz[];
BEGIN
    IF NOT search_deferred() THEN
        SELECT array_agg(shop_id), array_agg(ticket_id), array_agg(id), array_agg(at)
        INTO shops, tickets, events, ats
        FROM new_rows
        WHERE kind IN ('follow_up', 'note', 'status_changed', 'override', 'return_visit', 'evidence_added', 'link');
        PERFORM search_pending_queue_events(shops, tickets, events, ats);
    END IF;
    RETURN NULL;
END;
$$;

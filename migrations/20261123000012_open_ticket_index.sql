-- The agent's queue page and the supervisor's per-agent counts read only the open tickets of a
-- shop by assignee: with the kind, status and follow-up due time in the index they are answered
-- from the index alone, without visiting hundreds of table rows (docs/PERFORMANCE.md).
DROP INDEX tickets_assignee_queue;
CREATE INDEX tickets_assignee_queue ON tickets (shop_id, assignee_id, queue_due_at, id)
    INCLUDE (kind, status, follow_up_due_at) WHERE closed_at IS NULL;

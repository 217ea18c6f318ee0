-- The supervisor's page counts, for each worker, the open tickets overdue and due soon
-- (`tickets::repo::open_load_by_worker`). The follow-up due index holds the tickets with a due
-- time (the open ones: closing a ticket clears it) in due order, but neither their worker nor
-- whether they are open, so the count read every open ticket of the shop through
-- `tickets_assignee_queue` instead: 20,751 index entries for 2,226 counted on a shop of
-- 1,000,000 tickets, 16 ms a page. With both columns carried in the index, the count reads the
-- due range alone, from the index.
DROP INDEX IF EXISTS tickets_follow_up_due;
CREATE INDEX tickets_follow_up_due ON tickets (shop_id, follow_up_due_at, id) INCLUDE (assignee_id, closed_at)
    WHERE follow_up_due_at IS NOT NULL;

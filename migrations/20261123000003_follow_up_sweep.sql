-- The follow-up sweep (SPEC rule 2): one `escalated` event per missed 24-hour cycle.
--
-- next_escalation_at is the sweep's work pointer: the due instant of the next cycle that has not
-- been escalated yet (equal to follow_up_due_at until the first escalation; NULL out of the
-- cycle). The sweep only looks at tickets whose pointer has passed, through a small index.
ALTER TABLE tickets ADD COLUMN next_escalation_at timestamptz;
UPDATE tickets SET next_escalation_at = follow_up_due_at WHERE follow_up_due_at IS NOT NULL;
CREATE INDEX tickets_next_escalation ON tickets (next_escalation_at) WHERE next_escalation_at IS NOT NULL;

-- Never two escalations for one cycle, however many servers sweep at once: the database itself
-- refuses the second (the sweep inserts with ON CONFLICT DO NOTHING).
CREATE UNIQUE INDEX ticket_events_one_escalation_per_cycle
    ON ticket_events (shop_id, ticket_id, (data ->> 'cycle_due_at'))
    WHERE kind = 'escalated';

-- Compliance figures read follow-ups and escalations by time.
CREATE INDEX ticket_events_kind_at ON ticket_events (shop_id, kind, at);

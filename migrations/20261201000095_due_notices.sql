-- Notices ahead of a deadline (issue 15): a follow-up due within the hour, a platform clock
-- running out within two hours. One notice per ticket and deadline, however many servers
-- remind at once (the unique index, with ON CONFLICT DO NOTHING).
ALTER TABLE notifications ADD COLUMN about_due_at timestamptz;
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('assigned_to_you', 'escalated_to_you', 'handed_back', 'visit_not_satisfied',
                    'follow_up_due', 'timer_expiring'));
CREATE UNIQUE INDEX notifications_once_per_deadline ON notifications (shop_id, ticket_id, kind, about_due_at)
    WHERE about_due_at IS NOT NULL;

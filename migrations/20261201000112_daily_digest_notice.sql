-- The daily digest (issue 15) is a notice to each supervisor about the shop, not about one
-- ticket: a notice's ticket becomes optional, and the kinds are all of them — those before,
-- `return_visit_due` (a return visit falling due) and `daily_digest`.
ALTER TABLE notifications ALTER COLUMN ticket_id DROP NOT NULL;
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('assigned_to_you', 'escalated_to_you', 'handed_back', 'visit_not_satisfied',
                    'follow_up_due', 'timer_expiring', 'return_visit_due', 'daily_digest'));
ALTER TABLE notifications ADD CONSTRAINT notifications_ticket_unless_digest
    CHECK (ticket_id IS NOT NULL OR kind = 'daily_digest');

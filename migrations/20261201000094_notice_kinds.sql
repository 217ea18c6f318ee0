-- More notices (issue 15): a ticket assigned to you by someone else, and a not-satisfied
-- answer at the return visit of a ticket you hold.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('assigned_to_you', 'escalated_to_you', 'handed_back', 'visit_not_satisfied'));

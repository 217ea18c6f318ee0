-- The supervisor's risk view (issue 14) reads the open tickets whose platform clock or platform
-- decision deadline runs out soonest. Partial indexes keep that read small on a large shop.
-- (The unassigned open tickets are read through tickets_assignee_queue: assignee_id IS NULL.)
CREATE INDEX tickets_open_timer_due ON tickets (shop_id, timer_due_at)
    WHERE closed_at IS NULL AND timer_due_at IS NOT NULL;
CREATE INDEX tickets_open_platform_deadline ON tickets (shop_id, platform_deadline_at)
    WHERE closed_at IS NULL AND platform_deadline_at IS NOT NULL;

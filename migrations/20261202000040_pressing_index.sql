-- The supervisor's overdue page reads the open tickets whose platform clock or platform decision
-- deadline runs out first, soonest first, 300 at most. One index in that order (the earlier of
-- the two, which LEAST takes ignoring a missing one) lets it stop at the 300th instead of
-- sorting every pressing ticket of a big shop; it replaces the two partial indexes that served
-- each deadline apart.
CREATE INDEX tickets_open_pressing ON tickets (shop_id, (LEAST(timer_due_at, platform_deadline_at)), id)
    WHERE closed_at IS NULL AND LEAST(timer_due_at, platform_deadline_at) IS NOT NULL;
DROP INDEX tickets_open_timer_due;
DROP INDEX tickets_open_platform_deadline;

-- Platform response timers (DOMAIN.md §4): per-shop settings, the facts on the ticket that start
-- each clock, and the earliest running deadline, which drives a ticket's place in the queues.

-- PlatformTimers as JSON; missing keys take the platform's defaults (48 h / 5 d / 3 d / 7 d / 10 d).
ALTER TABLE shops ADD COLUMN platform_timers jsonb NOT NULL DEFAULT '{}';

ALTER TABLE tickets
    -- Whether the order had left the shop when the request was made (answer timer 48 h vs 5 d).
    ADD COLUMN order_shipped boolean NOT NULL DEFAULT false,
    ADD COLUMN agreed_at timestamptz,
    ADD COLUMN buyer_shipped_at timestamptz,
    ADD COLUMN goods_received_at timestamptz,
    -- The earliest platform timer still running (NULL: none).
    ADD COLUMN timer_due_at timestamptz;

-- The first of the follow-up due time, the platform timers and the platform's decision deadline:
-- what the agent must act on first. Kept by the database itself.
ALTER TABLE tickets ADD COLUMN queue_due_at timestamptz
    GENERATED ALWAYS AS (LEAST(follow_up_due_at, timer_due_at, platform_deadline_at)) STORED;

DROP INDEX tickets_assignee_queue;
CREATE INDEX tickets_assignee_queue ON tickets (shop_id, assignee_id, queue_due_at, id) WHERE closed_at IS NULL;
CREATE INDEX tickets_open_queue ON tickets (shop_id, queue_due_at, id) WHERE closed_at IS NULL;

-- Bad reviews: when the review was posted (its two clocks, the buyer's revision window and the
-- shop's explanation deadline, count from it); the shop's durations for those clocks, like
-- `platform_timers` (keys left out take the platform's defaults).
ALTER TABLE tickets ADD COLUMN reviewed_at timestamptz;
ALTER TABLE tickets ADD CONSTRAINT tickets_reviewed_at_bad_review_only
    CHECK (reviewed_at IS NULL OR kind = 'bad_review');
ALTER TABLE shops ADD COLUMN review_timers jsonb NOT NULL DEFAULT '{}';

-- Return visits: a not-satisfied answer on a closed ticket opens a follow-up ticket; the new
-- ticket names the one it came from, and the visit names the ticket it opened.
ALTER TABLE tickets ADD COLUMN follow_up_of bigint;
ALTER TABLE tickets ADD CONSTRAINT tickets_follow_up_of_fkey
    FOREIGN KEY (shop_id, follow_up_of) REFERENCES tickets (shop_id, id);
ALTER TABLE return_visits ADD COLUMN follow_up_ticket_id bigint;
ALTER TABLE return_visits ADD CONSTRAINT return_visits_follow_up_ticket_fkey
    FOREIGN KEY (shop_id, follow_up_ticket_id) REFERENCES tickets (shop_id, id);

-- The reminders of a platform clock running out (notifications::remind_due) and the webhooks'
-- (webhooks::outbox::enqueue_due) read the open tickets whose clock falls in a window, after
-- every sweep: the partial index on the clock alone serves that range, which the index on the
-- earlier of the two deadlines (…000040) cannot. Made again.
CREATE INDEX tickets_open_timer_due ON tickets (shop_id, timer_due_at)
    WHERE closed_at IS NULL AND timer_due_at IS NOT NULL;

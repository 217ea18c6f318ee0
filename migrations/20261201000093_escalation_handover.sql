-- Escalation as a hand-over (issue 14): an escalated ticket goes to a supervisor, who is told
-- in the desk; handing it back returns it to whoever escalated it, who is told with the note.

-- Who held the ticket when it was escalated (it goes back to them), while escalated.
ALTER TABLE tickets ADD COLUMN escalated_by bigint REFERENCES users (id);

-- Notices to a person in the desk, about a ticket. Shop-owned like the ticket they are about.
CREATE TABLE notifications (
    shop_id     bigint NOT NULL REFERENCES shops (id),
    id          bigint GENERATED ALWAYS AS IDENTITY,
    user_id     bigint NOT NULL REFERENCES users (id),
    ticket_id   bigint NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('escalated_to_you', 'handed_back')),
    actor_id    bigint REFERENCES users (id),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 5000),
    created_at  timestamptz NOT NULL,
    read_at     timestamptz,
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id)
);
CREATE INDEX notifications_of_user ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

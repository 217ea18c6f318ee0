-- The agent's day (issue 7): canned replies, return visits with satisfaction, evidence.
-- Every table is shop-owned: shop_id leads the primary key and every foreign key.

-- 快捷短语: a shop's library of reply templates, grouped by situation. Replies are archived,
-- never deleted, so that a follow-up that used one can still name it.
CREATE TABLE canned_replies (
    shop_id          bigint NOT NULL REFERENCES shops (id),
    id               bigint GENERATED ALWAYS AS IDENTITY,
    situation        text NOT NULL CHECK (situation IN
        ('greeting', 'urge_shipment', 'logistics_check', 'return_guide', 'refund_done', 'apology')),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    body             text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    archived         boolean NOT NULL DEFAULT false,
    used_count       bigint NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, id)
);
CREATE INDEX canned_replies_live ON canned_replies (shop_id, situation, id) WHERE NOT archived;

-- Per-shop facts the replies fill in, and whether the default library was seeded (once).
CREATE TABLE canned_reply_settings (
    shop_id          bigint PRIMARY KEY REFERENCES shops (id),
    return_address   text NOT NULL DEFAULT '' CHECK (length(return_address) <= 500),
    seeded_at        timestamptz NOT NULL DEFAULT now()
);

-- 回访: once a ticket is done (resolved, refunded, replacement shipped) the buyer is asked
-- whether the problem is solved. At most one unanswered visit per ticket.
CREATE TABLE return_visits (
    shop_id          bigint NOT NULL,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    ticket_id        bigint NOT NULL,
    created_at       timestamptz NOT NULL,
    due_at           timestamptz NOT NULL,
    answered_at      timestamptz,
    answered_by      bigint REFERENCES users (id),
    satisfied        boolean,
    comment          text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
    -- Whether the not-satisfied answer reopened the ticket.
    reopened         boolean NOT NULL DEFAULT false,
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id),
    CHECK ((answered_at IS NULL) = (satisfied IS NULL))
);
CREATE UNIQUE INDEX return_visits_one_open ON return_visits (shop_id, ticket_id) WHERE answered_at IS NULL;
CREATE INDEX return_visits_due ON return_visits (shop_id, due_at) WHERE answered_at IS NULL;
CREATE INDEX return_visits_answered ON return_visits (shop_id, answered_at) WHERE answered_at IS NOT NULL;

-- 凭证: photos and files on a ticket, in the database (one store to back up). The type is the
-- one recognised from the content, never the name's.
CREATE TABLE evidence (
    shop_id          bigint NOT NULL,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    ticket_id        bigint NOT NULL,
    file_name        text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 200),
    content_type     text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp', 'application/pdf')),
    size_bytes       integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 5242880),
    sha256           bytea NOT NULL,
    content          bytea NOT NULL CHECK (octet_length(content) = size_bytes),
    uploaded_by      bigint REFERENCES users (id),
    uploaded_at      timestamptz NOT NULL,
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id)
);
CREATE INDEX evidence_ticket ON evidence (shop_id, ticket_id, id);
CREATE INDEX evidence_id ON evidence (id);

-- Linked and merged tickets, per-shop tags, saved queue views (issue 15).

-- A merged ticket is closed (status `closed`, `closed_at` set) and points at the ticket it was
-- merged into, of the same shop. Its timeline stays where it is; nothing is moved or deleted.
ALTER TABLE tickets ADD COLUMN merged_into bigint;
ALTER TABLE tickets ADD CONSTRAINT tickets_merged_into_fk
    FOREIGN KEY (shop_id, merged_into) REFERENCES tickets (shop_id, id);
ALTER TABLE tickets ADD CONSTRAINT tickets_merged_is_closed
    CHECK (merged_into IS NULL OR (status = 'closed' AND closed_at IS NOT NULL AND merged_into <> id));
-- The tickets merged into one (its page lists them).
CREATE INDEX tickets_merged_into ON tickets (shop_id, merged_into) WHERE merged_into IS NOT NULL;

-- Two tickets of the same order, linked: stored once, the smaller id first; read both ways.
CREATE TABLE ticket_links (
    shop_id     bigint NOT NULL,
    ticket_low  bigint NOT NULL,
    ticket_high bigint NOT NULL,
    created_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (shop_id, ticket_low, ticket_high),
    CHECK (ticket_low < ticket_high),
    FOREIGN KEY (shop_id, ticket_low) REFERENCES tickets (shop_id, id),
    FOREIGN KEY (shop_id, ticket_high) REFERENCES tickets (shop_id, id)
);
CREATE INDEX ticket_links_high ON ticket_links (shop_id, ticket_high, ticket_low);

-- A shop's tags: a name (unique without regard to case) and a colour from a fixed palette.
CREATE TABLE tags (
    shop_id    bigint NOT NULL REFERENCES shops (id),
    id         bigint GENERATED ALWAYS AS IDENTITY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 30),
    colour     text NOT NULL CHECK (colour IN ('grey', 'red', 'orange', 'green', 'blue', 'purple')),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (shop_id, id)
);
CREATE UNIQUE INDEX tags_name ON tags (shop_id, lower(name));

-- Tags on tickets. The primary key serves a ticket's tags; the second index the queue's tag
-- filter, read from the tag's side (a tag on a few hundred of a million tickets reads those).
CREATE TABLE ticket_tags (
    shop_id    bigint NOT NULL,
    ticket_id  bigint NOT NULL,
    tag_id     bigint NOT NULL,
    added_by   bigint REFERENCES users (id),
    added_at   timestamptz NOT NULL,
    PRIMARY KEY (shop_id, ticket_id, tag_id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id),
    FOREIGN KEY (shop_id, tag_id) REFERENCES tags (shop_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_tags_by_tag ON ticket_tags (shop_id, tag_id, ticket_id);

-- A saved queue view: the queue's query (filters and order) under a name; a person's own, or
-- shared with the shop.
CREATE TABLE saved_views (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id    bigint NOT NULL REFERENCES shops (id),
    owner_id   bigint NOT NULL REFERENCES users (id),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
    shared     boolean NOT NULL DEFAULT false,
    query      text NOT NULL CHECK (length(query) <= 1000),
    created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX saved_views_name ON saved_views (shop_id, owner_id, lower(name));
CREATE INDEX saved_views_shared ON saved_views (shop_id) WHERE shared;

-- The spine: shops, people, orders, tickets and their append-only timeline.
--
-- Every shop-owned table carries shop_id and leads its primary key with it, so that every query
-- is scoped by shop and the schema can be distributed by shop_id (e.g. Citus) later. Foreign keys
-- between shop-owned tables include shop_id: a ticket cannot point at another shop's order.

CREATE TABLE shops (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code             text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{1,39}$'),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    time_zone        text NOT NULL DEFAULT 'Asia/Shanghai',
    return_window_days integer NOT NULL DEFAULT 7 CHECK (return_window_days BETWEEN 7 AND 90),
    follow_up_hours  integer NOT NULL DEFAULT 24 CHECK (follow_up_hours BETWEEN 1 AND 168),
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login            text NOT NULL UNIQUE CHECK (login ~ '^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$'),
    display_name     text NOT NULL,
    role             text NOT NULL CHECK (role IN ('agent', 'supervisor', 'owner', 'admin')),
    password_hash    text NOT NULL,
    disabled         boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shop_members (
    shop_id          bigint NOT NULL REFERENCES shops (id),
    user_id          bigint NOT NULL REFERENCES users (id),
    PRIMARY KEY (shop_id, user_id)
);
CREATE INDEX shop_members_user ON shop_members (user_id);

-- Browser sessions and API tokens. Only the SHA-256 of the random token is stored.
CREATE TABLE auth_tokens (
    token_hash       bytea PRIMARY KEY,
    user_id          bigint NOT NULL REFERENCES users (id),
    kind             text NOT NULL CHECK (kind IN ('session', 'api')),
    label            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

-- Buyers, as the marketplace names them (会员名).
CREATE TABLE customers (
    shop_id          bigint NOT NULL REFERENCES shops (id),
    id               bigint GENERATED ALWAYS AS IDENTITY,
    nick             text NOT NULL,
    name             text,
    phone            text,
    address          text,
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, nick)
);

CREATE TABLE orders (
    shop_id          bigint NOT NULL REFERENCES shops (id),
    id               bigint GENERATED ALWAYS AS IDENTITY,
    order_no         text NOT NULL,
    customer_id      bigint NOT NULL,
    paid_at          timestamptz,
    shipped_at       timestamptz,
    signed_at        timestamptz,
    note             text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, order_no),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id)
);
CREATE INDEX orders_customer ON orders (shop_id, customer_id);

CREATE TABLE order_lines (
    shop_id          bigint NOT NULL,
    order_id         bigint NOT NULL,
    sku              text NOT NULL,
    title            text NOT NULL,
    category         text NOT NULL DEFAULT '',
    quantity         integer NOT NULL CHECK (quantity > 0),
    unit_price_fen   bigint NOT NULL CHECK (unit_price_fen >= 0),
    no_reason_exclusion text NOT NULL DEFAULT 'none' CHECK (no_reason_exclusion IN
        ('none', 'custom_made', 'perishable', 'digital_unsealed', 'periodical', 'confirmed_at_purchase')),
    signed_at        timestamptz,
    PRIMARY KEY (shop_id, order_id, sku),
    FOREIGN KEY (shop_id, order_id) REFERENCES orders (shop_id, id) ON DELETE CASCADE
);

CREATE TABLE tickets (
    shop_id          bigint NOT NULL REFERENCES shops (id),
    id               bigint GENERATED ALWAYS AS IDENTITY,
    kind             text NOT NULL CHECK (kind IN ('refund', 'return', 'exchange', 'complaint', 'logistics')),
    status           text NOT NULL,
    -- Where an escalated / platform-intervention ticket goes back to.
    held_from        text,
    reason           text NOT NULL,
    description      text NOT NULL DEFAULT '',
    order_id         bigint NOT NULL,
    sku              text,
    customer_id      bigint NOT NULL,
    assignee_id      bigint REFERENCES users (id),
    priority         text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    refund_fen       bigint CHECK (refund_fen >= 0),
    resolution       text CHECK (resolution IN ('delivered', 'reshipped', 'refunded', 'compensated')),
    intact           boolean,
    -- The seven-day rule's decision at opening (verdict kept apart for queue filters).
    seven_day_verdict text,
    seven_day        jsonb,
    -- Set while the platform intervenes: the end of its 4th working day.
    platform_deadline_at timestamptz,
    version          integer NOT NULL DEFAULT 1,
    opened_at        timestamptz NOT NULL,
    follow_up_due_at timestamptz,
    last_follow_up_at timestamptz,
    closed_at        timestamptz,
    created_by       bigint REFERENCES users (id),
    idempotency_key  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, created_by, idempotency_key),
    FOREIGN KEY (shop_id, order_id) REFERENCES orders (shop_id, id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id)
);
-- Look-ups by id alone (GET /tickets/{id}) are still filtered by the caller's shops.
CREATE INDEX tickets_id ON tickets (id);
-- The agent's queue: my open tickets by follow-up due time.
CREATE INDEX tickets_assignee_queue ON tickets (shop_id, assignee_id, follow_up_due_at, id)
    WHERE closed_at IS NULL;
-- The supervisor's follow-up queue: every ticket in the cycle by due time.
CREATE INDEX tickets_follow_up_due ON tickets (shop_id, follow_up_due_at, id)
    WHERE follow_up_due_at IS NOT NULL;
-- Lists newest first with keyset paging.
CREATE INDEX tickets_shop_recent ON tickets (shop_id, id DESC);
CREATE INDEX tickets_order ON tickets (shop_id, order_id);
CREATE INDEX tickets_customer ON tickets (shop_id, customer_id);

-- The timeline. Append-only: corrections are new events.
CREATE TABLE ticket_events (
    shop_id          bigint NOT NULL,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    ticket_id        bigint NOT NULL,
    at               timestamptz NOT NULL DEFAULT now(),
    actor_id         bigint REFERENCES users (id),
    kind             text NOT NULL,
    data             jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id)
);
CREATE INDEX ticket_events_ticket ON ticket_events (shop_id, ticket_id, id);

CREATE FUNCTION ticket_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_events is append-only: % is not allowed; record a correcting event instead', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER ticket_events_no_update_delete
    BEFORE UPDATE OR DELETE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION ticket_events_are_append_only();
CREATE TRIGGER ticket_events_no_truncate
    BEFORE TRUNCATE ON ticket_events
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_are_append_only();

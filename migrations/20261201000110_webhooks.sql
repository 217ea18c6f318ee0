-- Alerts outside the desk (issue 15): per-shop webhooks and their outbox of deliveries.
-- A delivery row is written in the transaction of the change it tells of (the trigger of the
-- next migration, or the sweeper's statements for deadlines and the daily digest), then sent by
-- the delivery worker of any server: it claims due rows with FOR UPDATE SKIP LOCKED and a lease.

CREATE TABLE webhooks (
    shop_id     bigint NOT NULL REFERENCES shops (id),
    id          bigint GENERATED ALWAYS AS IDENTITY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- generic: JSON signed with HMAC-SHA256; wecom: 企业微信群机器人; dingtalk: 钉钉机器人.
    format      text NOT NULL CHECK (format IN ('generic', 'wecom', 'dingtalk')),
    url         text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    -- generic: the HMAC key; dingtalk: the robot's 加签 secret (SEC…); wecom: unused.
    secret      text NOT NULL DEFAULT '' CHECK (length(secret) <= 200),
    events      text[] NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (shop_id, id)
);
-- The trigger on ticket_events looks here on every event: a shop's active hooks.
CREATE INDEX webhooks_active ON webhooks (shop_id) WHERE active;

CREATE TABLE webhook_deliveries (
    shop_id         bigint NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    hook_id         bigint NOT NULL,
    event           text NOT NULL,
    -- What the delivery is of, unique per hook: `ticket_event:<id>`, `follow_up_due:<ticket>:<due>`,
    -- `digest:<day>`, `test:<random>`. A second writer of the same event writes nothing.
    event_key       text NOT NULL,
    ticket_id       bigint,
    payload         jsonb NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    -- Set by the server sending it; another server takes the row only after it passed.
    leased_until    timestamptz,
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, hook_id, event_key),
    FOREIGN KEY (shop_id, hook_id) REFERENCES webhooks (shop_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_of_hook ON webhook_deliveries (shop_id, hook_id, id DESC);

-- One daily digest per shop and local day, whichever server gets there first.
CREATE TABLE daily_digests (
    shop_id  bigint NOT NULL REFERENCES shops (id),
    day      date NOT NULL,
    sent_at  timestamptz NOT NULL,
    PRIMARY KEY (shop_id, day)
);

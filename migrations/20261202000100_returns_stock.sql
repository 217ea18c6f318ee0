-- Goods after the sale (`returns/`): what a returned parcel held when it reached the returns
-- warehouse (退货入库: per line good / defective / missing, with the inspection photos),
-- reships (补发) and intercepts (拦截) of a ticket, and parcels that came back without a
-- ticket (无主件) until they are matched to one by tracking number. Ids come from sequences.

CREATE SEQUENCE return_receipts_id_seq;
CREATE TABLE return_receipts (
    shop_id      bigint NOT NULL REFERENCES shops (id),
    id           bigint NOT NULL DEFAULT nextval('return_receipts_id_seq'),
    ticket_id    bigint NOT NULL,
    sku          text NOT NULL,
    returned     integer NOT NULL CHECK (returned >= 1),
    good         integer NOT NULL CHECK (good >= 0),
    defective    integer NOT NULL CHECK (defective >= 0),
    missing      integer NOT NULL CHECK (missing >= 0),
    -- The inspection photos: images among the ticket's evidence.
    photos       bigint[] NOT NULL DEFAULT '{}',
    note         text NOT NULL DEFAULT '',
    received_by  bigint NOT NULL REFERENCES users (id),
    received_at  timestamptz NOT NULL,
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, ticket_id, sku),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id),
    CHECK (good + defective + missing = returned)
);
CREATE INDEX return_receipts_by_time ON return_receipts (shop_id, received_at);

CREATE SEQUENCE reships_id_seq;
CREATE TABLE reships (
    shop_id      bigint NOT NULL REFERENCES shops (id),
    id           bigint NOT NULL DEFAULT nextval('reships_id_seq'),
    ticket_id    bigint NOT NULL,
    reason       text NOT NULL CHECK (reason IN ('wrong_item', 'missing_item', 'damaged', 'defective')),
    sku          text NOT NULL,
    quantity     integer NOT NULL CHECK (quantity >= 1),
    carrier      text NOT NULL,
    tracking_no  text NOT NULL,
    -- What the reship cost the shop: the goods and the postage.
    cost_fen     bigint NOT NULL CHECK (cost_fen >= 0),
    note         text NOT NULL DEFAULT '',
    shipped_by   bigint NOT NULL REFERENCES users (id),
    shipped_at   timestamptz NOT NULL,
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id)
);
CREATE INDEX reships_by_ticket ON reships (shop_id, ticket_id, id);
CREATE INDEX reships_by_time ON reships (shop_id, shipped_at);

CREATE SEQUENCE intercepts_id_seq;
CREATE TABLE intercepts (
    shop_id       bigint NOT NULL REFERENCES shops (id),
    id            bigint NOT NULL DEFAULT nextval('intercepts_id_seq'),
    ticket_id     bigint NOT NULL,
    carrier       text NOT NULL,
    tracking_no   text NOT NULL,
    outcome       text NOT NULL CHECK (outcome IN ('requested', 'intercepted', 'failed', 'returned_to_sender')),
    -- The carrier's fee for the intercept.
    fee_fen       bigint NOT NULL DEFAULT 0 CHECK (fee_fen >= 0),
    note          text NOT NULL DEFAULT '',
    requested_by  bigint NOT NULL REFERENCES users (id),
    requested_at  timestamptz NOT NULL,
    outcome_by    bigint REFERENCES users (id),
    outcome_at    timestamptz,
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id),
    CHECK ((outcome = 'requested') = (outcome_at IS NULL))
);
CREATE INDEX intercepts_by_ticket ON intercepts (shop_id, ticket_id, id);
CREATE INDEX intercepts_by_time ON intercepts (shop_id, requested_at);

CREATE SEQUENCE unclaimed_parcels_id_seq;
CREATE TABLE unclaimed_parcels (
    shop_id      bigint NOT NULL REFERENCES shops (id),
    id           bigint NOT NULL DEFAULT nextval('unclaimed_parcels_id_seq'),
    carrier      text NOT NULL,
    tracking_no  text NOT NULL,
    contents     text NOT NULL DEFAULT '',
    received_at  timestamptz NOT NULL,
    recorded_by  bigint NOT NULL REFERENCES users (id),
    ticket_id    bigint,
    matched_by   bigint REFERENCES users (id),
    matched_at   timestamptz,
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id),
    CHECK ((ticket_id IS NULL) = (matched_at IS NULL))
);
CREATE INDEX unclaimed_parcels_open ON unclaimed_parcels (shop_id, received_at) WHERE ticket_id IS NULL;
CREATE INDEX unclaimed_parcels_tracking ON unclaimed_parcels (shop_id, tracking_no);
-- Matching a parcel to the ticket whose buyer shipped it back.
CREATE INDEX tickets_return_tracking ON tickets (shop_id, return_tracking_no) WHERE return_tracking_no IS NOT NULL;

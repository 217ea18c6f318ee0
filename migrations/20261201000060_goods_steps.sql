-- The goods steps of a return or exchange (issue 13): where the buyer sends the goods back,
-- the carrier and tracking number they shipped with, and (on the timeline) the inspection.

-- A shop's return addresses (退货地址): several, exactly one default while any is live.
-- Archived, never deleted, so that a ticket that recorded one can still name it.
CREATE TABLE return_addresses (
    shop_id          bigint NOT NULL REFERENCES shops (id),
    id               bigint GENERATED ALWAYS AS IDENTITY,
    label            text NOT NULL CHECK (length(label) BETWEEN 1 AND 50),
    -- The recipient and their phone; empty only on an address copied from the old single
    -- setting, where they were part of the text.
    recipient        text NOT NULL DEFAULT '' CHECK (length(recipient) <= 50),
    phone            text NOT NULL DEFAULT '' CHECK (length(phone) <= 30),
    address          text NOT NULL CHECK (length(address) BETWEEN 1 AND 500),
    is_default       boolean NOT NULL DEFAULT false,
    archived_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, id),
    CHECK (NOT (is_default AND archived_at IS NOT NULL))
);
CREATE UNIQUE INDEX return_addresses_one_default ON return_addresses (shop_id) WHERE is_default;

-- The single address the canned replies kept so far becomes each shop's default.
INSERT INTO return_addresses (shop_id, label, address, is_default)
SELECT shop_id, '默认退货地址', left(btrim(return_address), 500), true
FROM canned_reply_settings
WHERE btrim(return_address) <> '';

-- What a ticket recorded: the address as approved (its text kept, whatever later edits), and
-- the buyer's shipment back.
ALTER TABLE tickets
    ADD COLUMN return_address_id bigint,
    ADD COLUMN return_address    text CHECK (length(return_address) <= 700),
    ADD COLUMN return_carrier    text,
    ADD COLUMN return_tracking_no text CHECK (length(return_tracking_no) <= 30),
    ADD FOREIGN KEY (shop_id, return_address_id) REFERENCES return_addresses (shop_id, id);

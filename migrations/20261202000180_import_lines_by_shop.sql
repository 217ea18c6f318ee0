-- The order import's rows wait in a table of the shop's own instead of a temporary table (issue
-- 17). On Citus a temporary table is the coordinator's alone and cannot be joined with the
-- shop's orders and buyers in a write; distributed by shop like them, the staged rows are, and
-- each statement of the import names one shop. Each import takes a batch number; its rows are
-- written and deleted inside its own transaction (a dry run's roll back with it), unlogged as
-- the temporary table was, and without an index as it was (the statements read a batch whole).
CREATE UNLOGGED TABLE import_lines (
    shop_id        bigint NOT NULL,
    batch          bigint NOT NULL,
    line           bigint NOT NULL,
    order_no       text NOT NULL,
    buyer          text,
    buyer_name     text,
    address        text,
    note           text,
    paid_at        timestamptz,
    shipped_at     timestamptz,
    signed_at      timestamptz,
    sku            text NOT NULL,
    title          text NOT NULL,
    category       text,
    quantity       integer NOT NULL,
    unit_price_fen bigint NOT NULL,
    exclusion      text NOT NULL
);
CREATE SEQUENCE import_lines_batch_seq AS bigint;

-- Two of the tickets' indexes were written by every ticket opened and read by nothing:
--
-- * `tickets_shop_recent (shop_id, id DESC)` repeats the primary key `(shop_id, id)`, which a
--   scan reads backwards as well; it is in no plan (the lists newest first across the reader's
--   shops read `tickets_id` backwards). Ids grow, so every insert went to its leftmost page:
--   the pages split in halves, the index larger than the key it repeats.
-- * The idempotency keys' uniqueness held a row for every ticket, most of them without a key;
--   a key can only clash with a key, so the index keeps the tickets that carry one (the insert's
--   `ON CONFLICT … WHERE idempotency_key IS NOT NULL` names it).
DROP INDEX IF EXISTS tickets_shop_recent;
CREATE UNIQUE INDEX tickets_idempotency_key ON tickets (shop_id, created_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
ALTER TABLE tickets DROP CONSTRAINT tickets_shop_id_created_by_idempotency_key_key;
-- `import_jobs_recent (shop_id, id DESC)` repeated the import jobs' primary key the same way.
DROP INDEX IF EXISTS import_jobs_recent;

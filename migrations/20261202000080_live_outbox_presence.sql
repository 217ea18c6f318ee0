-- The live outbox, mended (issue 17).
--
-- A vacuum of `live_outbox` that cuts off the empty pages at its end needs the table's strongest
-- lock, which every announcing writer's row lock holds off (the vacuum retries for seconds) and
-- which, once granted, makes writers wait: the outbox is vacuumed without truncation, by
-- autovacuum as by the relay.
ALTER TABLE live_outbox SET (vacuum_truncate = false);

-- (Migration `…97` says PostgreSQL folds identical announcements of one transaction; since
-- `…70` the relay folds the identical announcements of one pass instead.)

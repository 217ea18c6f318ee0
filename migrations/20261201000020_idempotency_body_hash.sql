-- The SHA-256 of the request that opened a ticket under an Idempotency-Key, so that the same key
-- sent with a different request is refused instead of answered with the first ticket. NULL for
-- tickets opened without a key (and for those opened before this column existed).
ALTER TABLE tickets ADD COLUMN idempotency_body_sha256 bytea;

-- `search_pending` carried two indexes on the same columns: its primary key `(shop_id, seq)`
-- and `search_pending_shop (shop_id, seq)`, made before the key took the shop (…000140). Every
-- change queued for the search wrote both; the key alone serves every read of the queue.
DROP INDEX IF EXISTS search_pending_shop;

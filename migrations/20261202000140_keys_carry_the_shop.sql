-- Every shop table's primary key carries `shop_id` (issue 17): the three whose key was an id of
-- its own alone get `(shop_id, id)`, so that each can be distributed by shop on Citus (a
-- distributed table's unique keys must hold its distribution column; `aftersales distribute`,
-- src/db/citus.rs). The ids stay unique on their own: they come from one identity sequence.

ALTER TABLE report_stale DROP CONSTRAINT report_stale_pkey, ADD PRIMARY KEY (shop_id, id);
ALTER TABLE saved_views DROP CONSTRAINT saved_views_pkey, ADD PRIMARY KEY (shop_id, id);
ALTER TABLE search_pending DROP CONSTRAINT search_pending_pkey, ADD PRIMARY KEY (shop_id, seq);

-- The search queue is still read oldest first across shops (`search::index::drain`).
CREATE INDEX search_pending_seq ON search_pending (seq);

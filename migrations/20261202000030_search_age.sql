-- The search's documents change shape (issue 16): each holds the lexemes of its age buckets,
-- by which a search reads the newest matches first (`src/search/age.rs`); every Chinese
-- character is indexed alone as well as in its bigrams (a one-character query is one lexeme,
-- not a prefix the index gathers from many); letters and digits written together are indexed
-- whole too, apart from the runs' own lexemes (`~gsf1234`); phone numbers are kept under a
-- sign no query makes (`~p…`). The documents are written by the desk, not here: every row is
-- listed again, and the indexer (the server's worker, or `aftersales search-index`) rewrites
-- them. Until it has, a search says that the index is catching up.
INSERT INTO search_pending (shop_id, kind, id) SELECT shop_id, 'ticket', id FROM tickets;
INSERT INTO search_pending (shop_id, kind, id) SELECT shop_id, 'buyer', id FROM customers;
INSERT INTO search_pending (shop_id, kind, id) SELECT shop_id, 'order', id FROM orders;

-- A ticket's words added since its search document was last written whole (issue 17). A
-- follow-up's words used to be added to the ticket's document itself: PostgreSQL wrote the
-- whole document again and entered every word of it in the GIN index again (0.58 ms of the
-- database's time a follow-up on a generated shop of 100,000 tickets, a third of what a
-- follow-up cost; docs/PERFORMANCE.md). They are now added to this small document beside it,
-- whose GIN entries are the new words alone; a search reads the two together
-- (`src/search/mod.rs`, `ticket_levels!`), and the desk's indexer folds it into the ticket's
-- document once the ticket has been quiet a while or it has grown (`search::index::fold`).
--
-- An empty `doc`: nothing added since the document was built whole (a whole build empties it
-- in the same ordered statement as it adds to others; the fold deletes such rows).
CREATE TABLE ticket_search_added (
    shop_id          bigint NOT NULL,
    ticket_id        bigint NOT NULL,
    doc              tsvector NOT NULL,
    added_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shop_id, ticket_id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id) ON DELETE CASCADE
);
-- Entered in the index at once (`fastupdate` off), not kept in GIN's pending list first: every
-- search reads the whole pending list of each index it asks, and the added words are written
-- all day. On the generated 100,000-ticket shop, 15 seconds of follow-ups left 452 pending
-- pages, and the search answered 62 a second instead of about 500 until they were merged
-- (docs/PERFORMANCE.md).
CREATE INDEX ticket_search_added_doc ON ticket_search_added USING gin (doc) WITH (fastupdate = off);

-- A ticket's search document kept in its own row (issue 17). Most documents are 2 to 3 kB: over
-- the 2 kB above which PostgreSQL moves a value out to the table's TOAST relation, trying pglz on
-- it first. Tokens do not compress (on the generated big shop nine documents in ten stayed as
-- they were), so every write paid for a compression that failed and for the TOAST relation's
-- chunks and index, and every read of a document (a search's recheck, the GIN build) fetched
-- them back. Up to 8,160 bytes, a document now stays in its row; longer ones are still
-- compressed and moved out.
ALTER TABLE ticket_search SET (toast_tuple_target = 8160);

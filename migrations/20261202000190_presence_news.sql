-- Whether a presence beat was news (the person arrived, began or stopped typing, or came back
-- after their presence had lapsed), worked out by the beat's own upsert from the row it replaces
-- and returned by it: the announcement then depends on no other read in the statement. (Citus
-- runs a statement's CTEs one after the other, so a CTE reading the row before the upsert saw
-- the upsert's own write and no arrival was ever announced.)
ALTER TABLE presence ADD COLUMN news boolean NOT NULL DEFAULT true;

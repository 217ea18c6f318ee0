-- A recount finds a shop's day rows by their day (issue 17). Each recount of stale days reads
-- the rows of its days (their fingerprints, before and after) and deletes them, by shop, span
-- and a range of days; the primary key leads with the dimension after the shop, so it could
-- not bound the days, and each of the three statements read the whole table: 104 ms and 50,000
-- buffers for one day of a 100,000-ticket shop whose table had grown to 392 MB
-- (docs/PERFORMANCE.md). A background recount runs every 30 seconds while tickets are opened
-- and moved, and a ticket on an older order marks that order's days too.
CREATE INDEX report_days_days ON report_days (shop_id, start) WHERE span = 'day';

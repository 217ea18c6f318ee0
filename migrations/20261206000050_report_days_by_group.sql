-- A group's day rows in the order of its days (issue 17). After a ticket is created or changed,
-- the recount sums the month rows of the few groups whose days it wrote (`reports::rollup`,
-- `FILL_MONTHS_FEW`): through the primary key, (shop, dimension, span, day, value), each group's
-- month was every value's rows of that month (the SKUs': tens of thousands), and matched by hash
-- it was every day row between the first month and the last — 79 ms a recount on a generated
-- 100,000-ticket shop, a quarter of PostgreSQL's time while tickets were being created. Through
-- this index a group's month is its own dozen rows (docs/PERFORMANCE.md). Updates of the figures
-- stay HOT: none of its columns is a figure.
CREATE INDEX report_days_groups ON report_days (shop_id, dim, value, start) WHERE span = 'day';

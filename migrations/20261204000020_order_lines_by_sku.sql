-- A SKU's lines, newest order first (issue 17): the after-sales cost card names each SKU by the
-- title of its latest line, and the returns' stock list the same way. With only the primary key
-- (shop, order, SKU), finding a SKU's latest line walked the shop's lines backwards until one
-- matched: 0.5 ms a SKU, 1.7 s for the 3,339 SKUs of a year's cost card on a 100,000-ticket
-- shop (`EXPLAIN ANALYZE`, docs/PERFORMANCE.md). One probe now.
CREATE INDEX order_lines_by_sku ON order_lines (shop_id, sku, order_id);

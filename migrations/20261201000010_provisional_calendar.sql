-- Deadlines counted into a year whose holiday schedule is not loaded yet are counted on weekends
-- only and marked provisional with that year; they are counted again when the year is loaded.

-- The platform's decision deadline (平台介入, 4 working days): from when it was counted, and the
-- year it lacked (NULL: exact).
ALTER TABLE tickets
    ADD COLUMN platform_deadline_from timestamptz,
    ADD COLUMN platform_deadline_provisional_year integer;

-- Tickets carried over from before this migration: their deadline was counted from the move
-- into platform intervention, the newest such event.
UPDATE tickets t
   SET platform_deadline_from = e.at
  FROM (SELECT DISTINCT ON (shop_id, ticket_id) shop_id, ticket_id, at
          FROM ticket_events
         WHERE kind = 'status_changed' AND data->>'to' = 'platform_intervention'
         ORDER BY shop_id, ticket_id, at DESC) e
 WHERE t.platform_deadline_at IS NOT NULL
   AND e.shop_id = t.shop_id AND e.ticket_id = t.id;

-- What a loaded year has to count again: few rows, found without reading the table.
CREATE INDEX tickets_provisional_platform_deadline ON tickets (platform_deadline_provisional_year)
    WHERE platform_deadline_provisional_year IS NOT NULL;
CREATE INDEX tickets_provisional_seven_day ON tickets (((seven_day->>'provisional_year')::integer))
    WHERE seven_day ? 'provisional_year';

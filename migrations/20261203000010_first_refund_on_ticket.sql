-- When a ticket was first moved to refunded, kept on the ticket as the other first moves are
-- (`agreed_at`, `buyer_shipped_at`, `goods_received_at`; migration `…_platform_timers`): the
-- buyer's file counts and marks refunded tickets, and the reports count refunds, without looking
-- through the timeline's months for each ticket (issue 17). Filled from the timelines kept so
-- far; the service sets it with the move from then on. The column is in no index, so setting
-- it keeps the update HOT.
ALTER TABLE tickets ADD COLUMN refunded_at timestamptz;

-- (The timeline belongs to the ledger role, which the database owner's role may not read while
-- migrating, hence RESET ROLE for the fill; the database owner's role is taken again at the end,
-- as in migration `…_ticket_events_by_month`.)
RESET ROLE;

UPDATE tickets t SET refunded_at = e.first
FROM (SELECT shop_id, ticket_id, min(at) AS first FROM ticket_events
      WHERE kind = 'status_changed' AND data ->> 'to' = 'refunded'
      GROUP BY shop_id, ticket_id) e
WHERE t.shop_id = e.shop_id AND t.id = e.ticket_id;

DO $$
DECLARE
    database_owner name := (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database());
BEGIN
    IF database_owner <> current_user AND pg_has_role(session_user, database_owner, 'MEMBER') THEN
        EXECUTE format('SET ROLE %I', database_owner);
    END IF;
END;
$$;

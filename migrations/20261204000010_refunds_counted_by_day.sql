-- The after-sales cost card's refunds are counted ahead with the other report figures (issue 17).
-- The card read every move to `refunded` of its period from the timeline, each time it was
-- shown: some 60,000 moves for a year of a 100,000-ticket shop, ten times that for a shop ten
-- times larger, most of the yearly report's time there. Each day's refunds per SKU are now a
-- column of `report_days`, recounted with the day like every other figure
-- (`reports::rollup::FILL_REFUNDS`), and the card reads whole months from the month rows.
--
-- A move counts what it added to the ticket's refund before it: a ticket refunded ¥100, reopened
-- after an unhappy return visit and refunded ¥150 in all counts ¥100 on the first day and ¥50 on
-- the second, so the months of a year add up to the year (the card counted a period's last
-- refund whole: ¥150 in the second month, ¥250 over the two months against ¥150 for the year).

ALTER TABLE report_days ADD COLUMN refunds_paid_fen bigint NOT NULL DEFAULT 0;
-- The card reads the SKUs' rows with refunds only: a third of them on a generated shop (22,541
-- of 76,000 for a year), found by this index in a third of the time.
CREATE INDEX report_days_refunds ON report_days (shop_id, span, start) INCLUDE (value, refunds_paid_fen)
    WHERE dim = 'sku' AND refunds_paid_fen <> 0;

-- The moves to `refunded` mark their own days (the ticket's days, marked when it moves, are its
-- opening and closing ones). Imports replay moves that happened long before: the event's time
-- is the day, not the clock.
CREATE FUNCTION report_refund_moves_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ats timestamptz[];
BEGIN
    SELECT array_agg(shop_id), array_agg(at) INTO shops, ats FROM new_rows
    WHERE kind = 'status_changed' AND data ->> 'to' = 'refunded';
    PERFORM report_stale_mark(shops, ats);
    RETURN NULL;
END;
$$;

-- A ticket whose SKU changes after a refund moves that refund's days from one SKU to another.
CREATE OR REPLACE FUNCTION report_ticket_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ats timestamptz[] := array_remove(ARRAY[OLD.opened_at, OLD.closed_at, NEW.opened_at, NEW.closed_at], NULL);
BEGIN
    IF OLD.sku IS DISTINCT FROM NEW.sku AND NEW.refunded_at IS NOT NULL THEN
        ats := ats || ARRAY(SELECT e.at FROM ticket_events e
                            WHERE e.shop_id = NEW.shop_id AND e.ticket_id = NEW.id
                              AND e.kind = 'status_changed' AND e.data ->> 'to' = 'refunded');
    END IF;
    PERFORM report_stale_mark_tickets(
        array_fill(NEW.shop_id, ARRAY[cardinality(ats)]), ats,
        ARRAY[NEW.shop_id], array_remove(ARRAY[OLD.order_id, NEW.order_id], NULL));
    RETURN NULL;
END
$$;

-- Every day a shop has figures on, the refunds' days included (a new time zone, a bulk load).
CREATE OR REPLACE FUNCTION report_mark_shop(shop bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    zone text := (SELECT time_zone FROM shops WHERE id = shop);
BEGIN
    IF zone IS NOT NULL THEN
        INSERT INTO report_stale (shop_id, day)
        SELECT DISTINCT shop, (v.at AT TIME ZONE zone)::date
        FROM (SELECT paid_at FROM orders WHERE shop_id = shop
              UNION ALL SELECT signed_at FROM orders WHERE shop_id = shop
              UNION ALL SELECT signed_at FROM order_lines WHERE shop_id = shop
              UNION ALL SELECT opened_at FROM tickets WHERE shop_id = shop
              UNION ALL SELECT closed_at FROM tickets WHERE shop_id = shop
              UNION ALL SELECT at FROM ticket_events
                        WHERE shop_id = shop AND kind = 'status_changed' AND data ->> 'to' = 'refunded') AS v (at)
        WHERE v.at IS NOT NULL;
    END IF;
END;
$$;

-- (The timeline belongs to the ledger role: the trigger is made, and the days with refunds
-- marked, as the migrating session's own user; the database owner's role is taken again at the
-- end, as in migration `…_first_refund_on_ticket`.)
RESET ROLE;

CREATE TRIGGER report_refund_moves_added AFTER INSERT ON ticket_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_refund_moves_added();

-- The days already holding refunds are recounted by the background recount (or by the first
-- report read without one), which fills the new column.
INSERT INTO report_stale (shop_id, day)
SELECT DISTINCT e.shop_id, (e.at AT TIME ZONE s.time_zone)::date
FROM ticket_events e JOIN shops s ON s.id = e.shop_id
WHERE e.kind = 'status_changed' AND e.data ->> 'to' = 'refunded';

DO $$
DECLARE
    database_owner name := (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database());
BEGIN
    IF database_owner <> current_user AND pg_has_role(session_user, database_owner, 'MEMBER') THEN
        EXECUTE format('SET ROLE %I', database_owner);
    END IF;
END;
$$;

-- The owners' reports read pre-counted figures per shop and local day instead of every order
-- line of the period (docs/ARCHITECTURE.md, "Reports"; measured in docs/PERFORMANCE.md).
--
-- `report_days` holds, per shop, local day (span 'day') or local month (span 'month', the sum of
-- its days), and grouping (dim: the whole shop, one SKU, category, reason or ticket kind), every
-- count a report needs: lines signed and returned (by sign day), orders paid and refunded,
-- refunded for a quality reason, complained about (by payment day), tickets opened with refunds
-- issued (by opening day), tickets closed with their time to resolve (by closing day) as a sum and
-- a histogram (for the p90). A report over a year reads twelve month rows per group and the days
-- of its partial months at the edges.
--
-- The rates are cohorts (a line signed in March counts as returned when its return is accepted in
-- April), so figures of old days change when tickets move. Rather than keep deltas right on every
-- write, every write that can change a day's figures marks the day stale (`report_stale`, by the
-- triggers below, whoever writes: the API, the import, the sweep, a bulk load), and
-- `reports::rollup::refresh` recounts the stale days from the base tables before each report
-- reads them, and in the background. The figures are therefore always those of the base tables.
--
-- A mark is a plain insert, never an upsert: writers never wait for each other or for a recount
-- on a mark (a day may be marked many times; the recount deletes the marks it read).
CREATE TABLE report_stale (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id          bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    day              date NOT NULL
);
CREATE INDEX report_stale_day ON report_stale (shop_id, day);

CREATE TABLE report_days (
    shop_id          bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    dim              text NOT NULL CHECK (dim IN ('total', 'sku', 'category', 'reason', 'kind')),
    span             text NOT NULL CHECK (span IN ('day', 'month')),
    start            date NOT NULL,
    -- The SKU, category, reason or kind; '' for the whole shop (and for tickets on a whole order).
    value            text NOT NULL,
    lines_signed     integer NOT NULL DEFAULT 0,
    lines_returned   integer NOT NULL DEFAULT 0,
    orders_paid      integer NOT NULL DEFAULT 0,
    orders_refunded  integer NOT NULL DEFAULT 0,
    orders_quality   integer NOT NULL DEFAULT 0,
    orders_complained integer NOT NULL DEFAULT 0,
    tickets_opened   integer NOT NULL DEFAULT 0,
    tickets_refunded integer NOT NULL DEFAULT 0,
    refund_fen       bigint NOT NULL DEFAULT 0,
    tickets_closed   integer NOT NULL DEFAULT 0,
    resolve_seconds  bigint NOT NULL DEFAULT 0,
    -- Time to resolve as a histogram (`reports::rates::resolve_bucket`): bucket numbers in
    -- ascending order, the tickets in each and the longest time (seconds) in each.
    resolve_buckets  smallint[] NOT NULL DEFAULT '{}',
    resolve_counts   integer[] NOT NULL DEFAULT '{}',
    resolve_max      integer[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (shop_id, dim, span, start, value)
);

-- The histogram bucket of a time to resolve (twin of `reports::rates::resolve_bucket`): whole
-- minutes below an hour, then buckets 2 % wide.
CREATE FUNCTION report_bucket(seconds bigint) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (CASE WHEN seconds < 3600 THEN GREATEST(seconds, 0) / 60
                 ELSE 60 + LEAST(floor(ln(seconds::float8 / 3600.0) / ln(1.02::float8)), 32707) END)::smallint
$$;

-- Marks the local days of the given instants of one shop stale.
CREATE FUNCTION report_mark_days(shop bigint, instants timestamptz[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO report_stale (shop_id, day)
    SELECT DISTINCT shop, (i AT TIME ZONE s.time_zone)::date
    FROM shops s CROSS JOIN unnest(instants) AS i
    WHERE s.id = shop AND i IS NOT NULL
$$;

-- Marks every day a shop has data on (in its current zone): after a change of zone, for what a
-- shop already holds, and for bulk loaders that write without triggers.
CREATE FUNCTION report_mark_shop(shop bigint) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO report_stale (shop_id, day)
    SELECT DISTINCT shop, (v.at AT TIME ZONE s.time_zone)::date
    FROM shops s CROSS JOIN LATERAL (
        SELECT paid_at FROM orders WHERE shop_id = s.id
        UNION ALL SELECT signed_at FROM orders WHERE shop_id = s.id
        UNION ALL SELECT signed_at FROM order_lines WHERE shop_id = s.id
        UNION ALL SELECT opened_at FROM tickets WHERE shop_id = s.id
        UNION ALL SELECT closed_at FROM tickets WHERE shop_id = s.id
    ) AS v (at)
    WHERE s.id = shop AND v.at IS NOT NULL
$$;

-- Orders: their payment and sign days (and those of their lines, signed on their own).
CREATE FUNCTION report_orders_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_stale (shop_id, day)
    SELECT DISTINCT c.shop_id, (v.at AT TIME ZONE s.time_zone)::date
    FROM changed c JOIN shops s ON s.id = c.shop_id
    CROSS JOIN LATERAL (VALUES (c.paid_at), (c.signed_at)) AS v (at)
    WHERE v.at IS NOT NULL;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO report_stale (shop_id, day)
        SELECT DISTINCT c.shop_id, (v.at AT TIME ZONE s.time_zone)::date
        FROM changed_before c JOIN shops s ON s.id = c.shop_id
        CROSS JOIN LATERAL (VALUES (c.paid_at), (c.signed_at)) AS v (at)
        WHERE v.at IS NOT NULL;
        -- Lines signed on their own keep their day, but their order's payment day moved.
        INSERT INTO report_stale (shop_id, day)
        SELECT DISTINCT l.shop_id, (l.signed_at AT TIME ZONE s.time_zone)::date
        FROM changed c JOIN shops s ON s.id = c.shop_id
        JOIN order_lines l ON l.shop_id = c.shop_id AND l.order_id = c.id
        WHERE l.signed_at IS NOT NULL;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER report_orders_inserted AFTER INSERT ON orders
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION report_orders_changed();
CREATE TRIGGER report_orders_updated AFTER UPDATE ON orders
    REFERENCING OLD TABLE AS changed_before NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION report_orders_changed();
CREATE TRIGGER report_orders_deleted AFTER DELETE ON orders
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION report_orders_changed();

-- Order lines: their own sign day, and their order's payment and sign days (the SKU and
-- category rows of the order figures are made of lines).
CREATE FUNCTION report_lines_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_stale (shop_id, day)
    SELECT DISTINCT c.shop_id, (v.at AT TIME ZONE s.time_zone)::date
    FROM changed c JOIN shops s ON s.id = c.shop_id
    LEFT JOIN orders o ON o.shop_id = c.shop_id AND o.id = c.order_id
    CROSS JOIN LATERAL (VALUES (c.signed_at), (o.paid_at), (o.signed_at)) AS v (at)
    WHERE v.at IS NOT NULL;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO report_stale (shop_id, day)
        SELECT DISTINCT c.shop_id, (c.signed_at AT TIME ZONE s.time_zone)::date
        FROM changed_before c JOIN shops s ON s.id = c.shop_id
        WHERE c.signed_at IS NOT NULL;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER report_lines_inserted AFTER INSERT ON order_lines
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION report_lines_changed();
CREATE TRIGGER report_lines_updated AFTER UPDATE ON order_lines
    REFERENCING OLD TABLE AS changed_before NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION report_lines_changed();
CREATE TRIGGER report_lines_deleted AFTER DELETE ON order_lines
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION report_lines_changed();

-- Tickets, as a set (new tickets, one by one or by COPY): their opening and closing days and the
-- days of their orders.
CREATE FUNCTION report_tickets_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_stale (shop_id, day)
    SELECT DISTINCT c.shop_id, (v.at AT TIME ZONE s.time_zone)::date
    FROM changed c JOIN shops s ON s.id = c.shop_id
    LEFT JOIN orders o ON o.shop_id = c.shop_id AND o.id = c.order_id
    CROSS JOIN LATERAL (VALUES (c.opened_at), (c.closed_at), (o.paid_at), (o.signed_at)) AS v (at)
    WHERE v.at IS NOT NULL;
    INSERT INTO report_stale (shop_id, day)
    SELECT DISTINCT c.shop_id, (l.signed_at AT TIME ZONE s.time_zone)::date
    FROM changed c JOIN shops s ON s.id = c.shop_id
    JOIN order_lines l ON l.shop_id = c.shop_id AND l.order_id = c.order_id
    WHERE l.signed_at IS NOT NULL;
    RETURN NULL;
END $$;

CREATE TRIGGER report_tickets_inserted AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION report_tickets_added();
CREATE TRIGGER report_tickets_deleted AFTER DELETE ON tickets
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION report_tickets_added();

-- A ticket that moves (only what a report reads: a follow-up or an escalation changes nothing
-- counted; of the statuses, only reaching `approved` or `refunded` is counted, through the
-- timeline, and closing through `closed_at`).
CREATE FUNCTION report_ticket_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM report_mark_days(NEW.shop_id, ARRAY[OLD.opened_at, OLD.closed_at, NEW.opened_at, NEW.closed_at]);
    PERFORM report_mark_days(NEW.shop_id, array_agg(v.at))
    FROM orders o
    CROSS JOIN LATERAL (
        SELECT o.paid_at UNION ALL SELECT o.signed_at
        UNION ALL SELECT l.signed_at FROM order_lines l
                  WHERE l.shop_id = o.shop_id AND l.order_id = o.id AND l.signed_at IS NOT NULL
    ) AS v (at)
    WHERE o.shop_id = NEW.shop_id AND o.id IN (OLD.order_id, NEW.order_id);
    RETURN NULL;
END $$;

CREATE TRIGGER report_ticket_moved
    AFTER UPDATE OF kind, status, resolution, reason, sku, order_id, refund_fen, opened_at, closed_at ON tickets
    FOR EACH ROW
    WHEN (OLD.kind IS DISTINCT FROM NEW.kind
          OR (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('approved', 'refunded'))
          OR OLD.resolution IS DISTINCT FROM NEW.resolution OR OLD.reason IS DISTINCT FROM NEW.reason
          OR OLD.sku IS DISTINCT FROM NEW.sku OR OLD.order_id IS DISTINCT FROM NEW.order_id
          OR OLD.refund_fen IS DISTINCT FROM NEW.refund_fen OR OLD.opened_at IS DISTINCT FROM NEW.opened_at
          OR OLD.closed_at IS DISTINCT FROM NEW.closed_at)
    EXECUTE FUNCTION report_ticket_moved();

-- A shop that changes its time zone changes which day everything falls on: recount it all.
CREATE FUNCTION report_shop_rezoned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM report_days WHERE shop_id = NEW.id;
    DELETE FROM report_stale WHERE shop_id = NEW.id;
    PERFORM report_mark_shop(NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER report_shop_rezoned AFTER UPDATE OF time_zone ON shops
    FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone)
    EXECUTE FUNCTION report_shop_rezoned();

-- What is already stored is counted at the first refresh.
SELECT report_mark_shop(id) FROM shops;

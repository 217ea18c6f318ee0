-- The report marks' statements planned once (issue 17). `report_stale_mark_ticket_days` reads
-- the orders of the tickets written (`o.id = ANY (order_ids)`) and `report_stale_mark_figures`
-- inserts the marked days; PostgreSQL's own choice planned the first for its values at every
-- call (its plan made once looks dearer to it for an array of unknown length), which was two
-- thirds of the function's own time: 129–159 µs a ticket created at four connections against
-- 43–51 µs with the plan kept (docs/PERFORMANCE.md). Both plans read the orders' primary key.
-- On Citus a statement goes to its shop's shard by the values it names, and a plan made before
-- them cannot be sent anywhere: there the marks are planned for their values, as before (and
-- `db::citus::distribute` takes the setting away from a database distributed later).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        ALTER FUNCTION report_stale_mark_ticket_days(bigint[], timestamptz[], smallint[], bigint[], bigint[], bigint[])
            SET plan_cache_mode = force_generic_plan;
        ALTER FUNCTION report_stale_mark_figures(bigint[], timestamptz[], smallint[])
            SET plan_cache_mode = force_generic_plan;
    END IF;
END
$$;

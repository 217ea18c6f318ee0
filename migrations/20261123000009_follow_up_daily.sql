-- Follow-up compliance per agent and local day, kept on write (a follow-up in time adds one to
-- in_time, the sweep's escalation of a missed cycle adds one to missed), so that the supervisor's
-- figures read a handful of rows instead of a week of timeline events (docs/PERFORMANCE.md).
-- agent_id 0 stands for "unassigned".
CREATE TABLE follow_up_daily (
    shop_id     bigint NOT NULL REFERENCES shops (id),
    day         date NOT NULL,
    agent_id    bigint NOT NULL DEFAULT 0,
    in_time     integer NOT NULL DEFAULT 0,
    missed      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (shop_id, day, agent_id)
);

-- What the timeline already holds.
INSERT INTO follow_up_daily (shop_id, day, agent_id, in_time, missed)
SELECT e.shop_id,
       (e.at AT TIME ZONE s.time_zone)::date,
       COALESCE(e.actor_id, (e.data ->> 'assignee_id')::bigint, 0),
       count(*) FILTER (WHERE e.kind = 'follow_up' AND NOT COALESCE((e.data ->> 'was_overdue')::boolean, false)),
       count(*) FILTER (WHERE e.kind = 'escalated')
FROM ticket_events e JOIN shops s ON s.id = e.shop_id
WHERE e.kind IN ('follow_up', 'escalated')
GROUP BY 1, 2, 3;

-- The compensation ledger (`compensation/`): money moved to or from a buyer outside the refund
-- itself — a payout (小额打款), a coupon, a collection (小额收款) — one row per entry on a ticket.
-- Entries are append-only: a booked entry is never changed or removed, a correction is a
-- reversing entry (`reverses`, at most one per entry). The only change allowed is the decision
-- on a waiting entry (pending → booked, rejected or withdrawn), made once. The table belongs to
-- the ledger role (sealed by `db::migrate_as_app`); the desk's role may read it, insert and
-- update the decision's columns, and the guard below refuses anything else.
--
-- The limits a shop sets (`rules::compensation::Limits`) are kept with its other settings.

ALTER TABLE shops ADD COLUMN compensation_limits jsonb NOT NULL DEFAULT '{}';

CREATE SEQUENCE compensations_id_seq;

CREATE TABLE compensations (
    shop_id        bigint NOT NULL REFERENCES shops (id),
    id             bigint NOT NULL DEFAULT nextval('compensations_id_seq'),
    ticket_id      bigint NOT NULL,
    customer_id    bigint NOT NULL,
    method         text NOT NULL CHECK (method IN ('payout', 'coupon', 'collection')),
    reason         text NOT NULL,
    amount_fen     bigint NOT NULL CHECK (amount_fen > 0),
    note           text NOT NULL DEFAULT '',
    reverses       bigint,
    status         text NOT NULL CHECK (status IN ('pending', 'booked', 'rejected', 'withdrawn')),
    -- The limits the entry went over when it was made (empty: booked within them).
    over_limits    text[] NOT NULL DEFAULT '{}',
    made_by        bigint NOT NULL REFERENCES users (id),
    made_at        timestamptz NOT NULL,
    decided_by     bigint REFERENCES users (id),
    decided_at     timestamptz,
    decision_note  text NOT NULL DEFAULT '',
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id),
    FOREIGN KEY (shop_id, reverses) REFERENCES compensations (shop_id, id),
    -- A decision is recorded with who and when, and only on an entry that waited.
    CHECK ((decided_by IS NULL) = (decided_at IS NULL)),
    CHECK (decided_at IS NULL OR cardinality(over_limits) > 0),
    -- Maker-checker, in the database too: an entry over a limit is booked or rejected only by
    -- someone other than its maker; only the maker withdraws.
    CHECK (status <> 'booked' OR cardinality(over_limits) = 0 OR (decided_by IS NOT NULL AND decided_by <> made_by)),
    CHECK (status <> 'rejected' OR (decided_by IS NOT NULL AND decided_by <> made_by)),
    CHECK (status <> 'withdrawn' OR decided_by = made_by),
    -- A reversal is booked at once.
    CHECK (reverses IS NULL OR (status = 'booked' AND cardinality(over_limits) = 0))
);

CREATE UNIQUE INDEX compensations_one_reversal ON compensations (shop_id, reverses) WHERE reverses IS NOT NULL;
CREATE INDEX compensations_by_ticket ON compensations (shop_id, ticket_id, id);
CREATE INDEX compensations_by_buyer ON compensations (shop_id, customer_id, made_at);
CREATE INDEX compensations_by_maker ON compensations (shop_id, made_by, made_at);
CREATE INDEX compensations_waiting ON compensations (shop_id, id) WHERE status = 'pending';

CREATE FUNCTION compensations_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = 'pending' AND NEW.status <> 'pending'
           AND (NEW.shop_id, NEW.id, NEW.ticket_id, NEW.customer_id, NEW.method, NEW.reason, NEW.amount_fen,
                NEW.note, NEW.reverses, NEW.over_limits, NEW.made_by, NEW.made_at)
               IS NOT DISTINCT FROM
               (OLD.shop_id, OLD.id, OLD.ticket_id, OLD.customer_id, OLD.method, OLD.reason, OLD.amount_fen,
                OLD.note, OLD.reverses, OLD.over_limits, OLD.made_by, OLD.made_at) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'compensations is append-only: only a waiting entry''s decision is recorded (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER compensations_guard
    BEFORE UPDATE OR DELETE ON compensations
    FOR EACH ROW EXECUTE FUNCTION compensations_are_append_only();
CREATE TRIGGER compensations_no_truncate
    BEFORE TRUNCATE ON compensations
    FOR EACH STATEMENT EXECUTE FUNCTION compensations_are_append_only();

-- Notices of the ledger: an entry waiting for approval (to the shop's approvers), and its
-- approval or rejection (to its maker).
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('assigned_to_you', 'escalated_to_you', 'handed_back', 'visit_not_satisfied',
                    'follow_up_due', 'timer_expiring', 'return_visit_due', 'daily_digest',
                    'compensation_waiting', 'compensation_approved', 'compensation_rejected'));

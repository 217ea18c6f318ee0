-- Ids come from sequences of their own instead of identity columns (issue 17). Citus cannot move a
-- table with an identity column between its kinds of table, and making the shared tables
-- reference tables first turns every shop table tied to them by a foreign key into such a move
-- (`aftersales distribute`, src/db/citus.rs). A sequence behind the column's default numbers rows
-- as the identity did and goes on from where it stood; each sequence belongs to its column (and
-- so to the table's owner), so dropping the table drops it, and pg_get_serial_sequence still
-- finds it. The audit log belongs to the ledger role, hence RESET ROLE (docs: src/db/mod.rs).
RESET ROLE;

DO $$
DECLARE
    r record;
    last bigint;
    called boolean;
BEGIN
    FOR r IN
        SELECT c.oid::regclass AS tbl, a.attname AS col, pg_get_userbyid(c.relowner) AS owner,
               pg_get_serial_sequence(c.oid::regclass::text, a.attname) AS seq
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND a.attidentity <> '' AND NOT a.attisdropped
        ORDER BY 1
    LOOP
        EXECUTE format('SELECT last_value, is_called FROM %s', r.seq) INTO last, called;
        EXECUTE format('ALTER TABLE %s ALTER COLUMN %I DROP IDENTITY', r.tbl, r.col);
        EXECUTE format('CREATE SEQUENCE %s AS bigint', r.seq);
        EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', r.seq, r.owner);
        EXECUTE format('ALTER SEQUENCE %s OWNED BY %s.%I', r.seq, r.tbl, r.col);
        PERFORM setval(r.seq, last, called);
        EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT nextval(%L::regclass)', r.tbl, r.col, r.seq);
    END LOOP;
END;
$$;

DO $$
DECLARE
    database_owner name := (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database());
BEGIN
    IF database_owner <> current_user AND pg_has_role(session_user, database_owner, 'MEMBER') THEN
        EXECUTE format('SET ROLE %I', database_owner);
    END IF;
END;
$$;

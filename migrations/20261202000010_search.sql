-- Search (issue 16): one document per ticket, buyer and order, tokenised by the desk in Rust
-- (`src/search/text.rs`: bigrams for Chinese, whole runs for letters and digits) and stored as a
-- `tsvector` of quoted lexemes, so that neither the tokenising nor the matching depends on the
-- database's locale. A GIN index over each.

CREATE TABLE ticket_search (
    shop_id          bigint NOT NULL,
    ticket_id        bigint NOT NULL,
    doc              tsvector NOT NULL,
    PRIMARY KEY (shop_id, ticket_id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_search_doc ON ticket_search USING gin (doc);

CREATE TABLE buyer_search (
    shop_id          bigint NOT NULL,
    customer_id      bigint NOT NULL,
    doc              tsvector NOT NULL,
    PRIMARY KEY (shop_id, customer_id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id) ON DELETE CASCADE
);
CREATE INDEX buyer_search_doc ON buyer_search USING gin (doc);

CREATE TABLE order_search (
    shop_id          bigint NOT NULL,
    order_id         bigint NOT NULL,
    doc              tsvector NOT NULL,
    PRIMARY KEY (shop_id, order_id),
    FOREIGN KEY (shop_id, order_id) REFERENCES orders (shop_id, id) ON DELETE CASCADE
);
CREATE INDEX order_search_doc ON order_search USING gin (doc);

-- What changed and is to be indexed again. Written by the triggers below in the transaction
-- that makes the change; emptied by the desk (`search::index::drain`, `catch_up`).
CREATE TABLE search_pending (
    shop_id          bigint NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('ticket', 'buyer', 'order')),
    id               bigint NOT NULL,
    PRIMARY KEY (shop_id, kind, id)
);

-- A bulk loader that indexes the whole shop when it is done sets this on its connections
-- (`search::index::DEFER_SETTING`).
CREATE FUNCTION search_deferred() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT COALESCE(current_setting('aftersales.search_deferred', true), '') = 'on'
$$;

-- New rows, one statement at a time (an import or a COPY is one insert into the list).
CREATE FUNCTION search_pending_new_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT search_deferred() THEN
        INSERT INTO search_pending (shop_id, kind, id)
        SELECT DISTINCT shop_id, 'ticket', id FROM new_rows ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER tickets_to_search AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_pending_new_tickets();

-- Events that carry words (a follow-up, a note, a tracking number…): their ticket.
CREATE FUNCTION search_pending_new_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT search_deferred() THEN
        INSERT INTO search_pending (shop_id, kind, id)
        SELECT DISTINCT shop_id, 'ticket', ticket_id FROM new_rows
        WHERE kind IN ('follow_up', 'note', 'status_changed', 'override', 'return_visit', 'evidence_added', 'link')
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION search_pending_new_customers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT search_deferred() THEN
        INSERT INTO search_pending (shop_id, kind, id)
        SELECT DISTINCT shop_id, 'buyer', id FROM new_rows ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER customers_to_search AFTER INSERT ON customers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_pending_new_customers();

CREATE FUNCTION search_pending_new_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT search_deferred() THEN
        INSERT INTO search_pending (shop_id, kind, id)
        SELECT DISTINCT shop_id, 'order', id FROM new_rows ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER orders_to_search AFTER INSERT ON orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_pending_new_orders();

-- An order's lines (its SKUs and titles) and, for its tickets, the titles of what they are about.
CREATE FUNCTION search_pending_new_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT search_deferred() THEN
        INSERT INTO search_pending (shop_id, kind, id)
        SELECT DISTINCT shop_id, 'order', order_id FROM new_rows ON CONFLICT DO NOTHING;
        INSERT INTO search_pending (shop_id, kind, id)
        SELECT t.shop_id, 'ticket', t.id
        FROM (SELECT DISTINCT shop_id, order_id FROM new_rows) n
        JOIN tickets t ON t.shop_id = n.shop_id AND t.order_id = n.order_id
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER order_lines_to_search AFTER INSERT ON order_lines
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_pending_new_lines();

-- Lines taken off an order.
CREATE FUNCTION search_pending_removed_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT search_deferred() THEN
        INSERT INTO search_pending (shop_id, kind, id)
        SELECT DISTINCT shop_id, 'order', order_id FROM old_rows ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER order_lines_removed_to_search AFTER DELETE ON order_lines
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search_pending_removed_lines();

-- Changes to what a document holds: the row, and the tickets that show its words.
CREATE FUNCTION search_pending_changed_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF search_deferred() THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'tickets' THEN
        INSERT INTO search_pending (shop_id, kind, id) VALUES (NEW.shop_id, 'ticket', NEW.id)
        ON CONFLICT DO NOTHING;
    ELSIF TG_TABLE_NAME = 'customers' THEN
        INSERT INTO search_pending (shop_id, kind, id) VALUES (NEW.shop_id, 'buyer', NEW.id)
        ON CONFLICT DO NOTHING;
        INSERT INTO search_pending (shop_id, kind, id)
        SELECT shop_id, 'ticket', id FROM tickets WHERE shop_id = NEW.shop_id AND customer_id = NEW.id
        ON CONFLICT DO NOTHING;
    ELSIF TG_TABLE_NAME = 'orders' THEN
        INSERT INTO search_pending (shop_id, kind, id) VALUES (NEW.shop_id, 'order', NEW.id)
        ON CONFLICT DO NOTHING;
        INSERT INTO search_pending (shop_id, kind, id)
        SELECT shop_id, 'ticket', id FROM tickets WHERE shop_id = NEW.shop_id AND order_id = NEW.id
        ON CONFLICT DO NOTHING;
    ELSIF TG_TABLE_NAME = 'order_lines' THEN
        INSERT INTO search_pending (shop_id, kind, id) VALUES (NEW.shop_id, 'order', NEW.order_id)
        ON CONFLICT DO NOTHING;
        INSERT INTO search_pending (shop_id, kind, id)
        SELECT shop_id, 'ticket', id FROM tickets WHERE shop_id = NEW.shop_id AND order_id = NEW.order_id
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER tickets_changed_to_search
    AFTER UPDATE OF description, reason_text, review_text, refund_no, return_tracking_no, sku, order_id, customer_id
    ON tickets FOR EACH ROW
    WHEN ((OLD.description, OLD.reason_text, OLD.review_text, OLD.refund_no, OLD.return_tracking_no, OLD.sku,
           OLD.order_id, OLD.customer_id)
          IS DISTINCT FROM (NEW.description, NEW.reason_text, NEW.review_text, NEW.refund_no, NEW.return_tracking_no,
           NEW.sku, NEW.order_id, NEW.customer_id))
    EXECUTE FUNCTION search_pending_changed_row();
CREATE TRIGGER customers_changed_to_search
    AFTER UPDATE OF nick, name, phone ON customers FOR EACH ROW
    WHEN ((OLD.nick, OLD.name, OLD.phone) IS DISTINCT FROM (NEW.nick, NEW.name, NEW.phone))
    EXECUTE FUNCTION search_pending_changed_row();
CREATE TRIGGER orders_changed_to_search
    AFTER UPDATE OF order_no ON orders FOR EACH ROW
    WHEN (OLD.order_no IS DISTINCT FROM NEW.order_no)
    EXECUTE FUNCTION search_pending_changed_row();
CREATE TRIGGER order_lines_changed_to_search
    AFTER UPDATE OF sku, title ON order_lines FOR EACH ROW
    WHEN ((OLD.sku, OLD.title) IS DISTINCT FROM (NEW.sku, NEW.title))
    EXECUTE FUNCTION search_pending_changed_row();

-- What exists already is indexed by the desk once it runs (every server's worker, or
-- `aftersales search-index`).
INSERT INTO search_pending (shop_id, kind, id) SELECT shop_id, 'ticket', id FROM tickets;
INSERT INTO search_pending (shop_id, kind, id) SELECT shop_id, 'buyer', id FROM customers;
INSERT INTO search_pending (shop_id, kind, id) SELECT shop_id, 'order', id FROM orders;

-- ticket_events belongs to the ledger role: its trigger is created as the superuser, and the
-- database owner's role is taken again at the end (as in the webhook outbox's migration).
RESET ROLE;
CREATE TRIGGER ticket_events_to_search AFTER INSERT ON ticket_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_pending_new_events();

DO $$
DECLARE
    database_owner name := (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database());
BEGIN
    IF database_owner <> current_user AND pg_has_role(session_user, database_owner, 'MEMBER') THEN
        EXECUTE format('SET ROLE %I', database_owner);
    END IF;
END;
$$;

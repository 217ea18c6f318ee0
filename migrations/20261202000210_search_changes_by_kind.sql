-- The search's queue hears of changed rows on Citus too (issue 17). The trigger function of
-- migration `…10_search` chose what to queue by the name of the table it fired on; on Citus a
-- trigger fires on a shard (`customers_102041`), whose name matched none, so a buyer renamed or an
-- order renumbered outside the desk was never indexed again there. Each trigger now names its
-- kind as its argument, as the triggers of new rows do since migration `…160`, and reads the
-- tickets to queue before writing, through that migration's helpers (on Citus a trigger runs on a
-- shard, where an INSERT … SELECT over another table is a distributed query it may not start).
CREATE OR REPLACE FUNCTION search_pending_changed_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shops bigint[];
    ids bigint[];
BEGIN
    IF search_deferred() THEN
        RETURN NULL;
    END IF;
    CASE TG_ARGV[0]
    WHEN 'ticket' THEN
        PERFORM search_pending_queue('ticket', ARRAY[NEW.shop_id], ARRAY[NEW.id]);
    WHEN 'buyer' THEN
        PERFORM search_pending_queue('buyer', ARRAY[NEW.shop_id], ARRAY[NEW.id]);
        SELECT array_agg(t.shop_id), array_agg(t.id) INTO shops, ids
        FROM tickets t WHERE t.shop_id = NEW.shop_id AND t.customer_id = NEW.id;
        PERFORM search_pending_queue('ticket', shops, ids);
    WHEN 'order' THEN
        PERFORM search_pending_queue('order', ARRAY[NEW.shop_id], ARRAY[NEW.id]);
        PERFORM search_pending_queue_orders_tickets(ARRAY[NEW.shop_id], ARRAY[NEW.id]);
    WHEN 'line' THEN
        PERFORM search_pending_queue('order', ARRAY[NEW.shop_id], ARRAY[NEW.order_id]);
        PERFORM search_pending_queue_orders_tickets(ARRAY[NEW.shop_id], ARRAY[NEW.order_id]);
    END CASE;
    RETURN NULL;
END;
$$;

DROP TRIGGER tickets_changed_to_search ON tickets;
CREATE TRIGGER tickets_changed_to_search
    AFTER UPDATE OF description, reason_text, review_text, refund_no, return_tracking_no, sku, order_id, customer_id
    ON tickets FOR EACH ROW
    WHEN ((OLD.description, OLD.reason_text, OLD.review_text, OLD.refund_no, OLD.return_tracking_no, OLD.sku,
           OLD.order_id, OLD.customer_id)
          IS DISTINCT FROM (NEW.description, NEW.reason_text, NEW.review_text, NEW.refund_no, NEW.return_tracking_no,
           NEW.sku, NEW.order_id, NEW.customer_id))
    EXECUTE FUNCTION search_pending_changed_row('ticket');
DROP TRIGGER customers_changed_to_search ON customers;
CREATE TRIGGER customers_changed_to_search
    AFTER UPDATE OF nick, name, phone ON customers FOR EACH ROW
    WHEN ((OLD.nick, OLD.name, OLD.phone) IS DISTINCT FROM (NEW.nick, NEW.name, NEW.phone))
    EXECUTE FUNCTION search_pending_changed_row('buyer');
DROP TRIGGER orders_changed_to_search ON orders;
CREATE TRIGGER orders_changed_to_search
    AFTER UPDATE OF order_no ON orders FOR EACH ROW
    WHEN (OLD.order_no IS DISTINCT FROM NEW.order_no)
    EXECUTE FUNCTION search_pending_changed_row('order');
DROP TRIGGER order_lines_changed_to_search ON order_lines;
CREATE TRIGGER order_lines_changed_to_search
    AFTER UPDATE OF sku, title ON order_lines FOR EACH ROW
    WHEN ((OLD.sku, OLD.title) IS DISTINCT FROM (NEW.sku, NEW.title))
    EXECUTE FUNCTION search_pending_changed_row('line');

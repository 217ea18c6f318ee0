-- The money steps of a ticket: why a request was refused, and the amounts agreed and refunded.
--
-- A refusal (拒绝) names a reason from a fixed list (rules::rejection) and says what happened.
ALTER TABLE tickets ADD COLUMN rejection_reason text CHECK (rejection_reason IN (
    'outside_no_reason_window', 'resale_affected', 'missing_evidence', 'received_intact',
    'returned_goods_mismatch', 'agreed_with_buyer', 'other'));
ALTER TABLE tickets ADD COLUMN rejection_note text;
-- The refund the seller agreed to (同意退款) and the amount actually refunded (已退款), in fen;
-- `refund_fen` stays what the buyer asked for.
ALTER TABLE tickets ADD COLUMN approved_refund_fen bigint CHECK (approved_refund_fen > 0);
ALTER TABLE tickets ADD COLUMN refunded_fen bigint CHECK (refunded_fen > 0);

-- The reports count the amount actually refunded: a change of it marks its days stale.
DROP TRIGGER report_ticket_moved ON tickets;
CREATE TRIGGER report_ticket_moved
    AFTER UPDATE OF kind, status, resolution, reason, sku, order_id, refund_fen, refunded_fen, opened_at, closed_at
    ON tickets
    FOR EACH ROW
    WHEN (OLD.kind IS DISTINCT FROM NEW.kind
          OR (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('approved', 'refunded'))
          OR OLD.resolution IS DISTINCT FROM NEW.resolution OR OLD.reason IS DISTINCT FROM NEW.reason
          OR OLD.sku IS DISTINCT FROM NEW.sku OR OLD.order_id IS DISTINCT FROM NEW.order_id
          OR OLD.refund_fen IS DISTINCT FROM NEW.refund_fen OR OLD.refunded_fen IS DISTINCT FROM NEW.refunded_fen
          OR OLD.opened_at IS DISTINCT FROM NEW.opened_at OR OLD.closed_at IS DISTINCT FROM NEW.closed_at)
    EXECUTE FUNCTION report_ticket_moved();

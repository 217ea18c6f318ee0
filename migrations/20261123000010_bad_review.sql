-- Bad reviews (中差评) become a ticket kind of their own, with the review they are about.
ALTER TABLE tickets DROP CONSTRAINT tickets_kind_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_kind_check
    CHECK (kind IN ('refund', 'return', 'exchange', 'complaint', 'logistics', 'bad_review'));
-- The review: its stars (1–5; a 中评 is usually 3, a 差评 1–2) and the buyer's words, verbatim.
ALTER TABLE tickets ADD COLUMN review_rating smallint CHECK (review_rating BETWEEN 1 AND 5);
ALTER TABLE tickets ADD COLUMN review_text text;

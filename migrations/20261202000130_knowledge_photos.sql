-- Photos of a good item on a product note: images among the shop's evidence (ids), chosen from
-- the tickets about the note's SKU or category.
ALTER TABLE knowledge_notes ADD COLUMN photos bigint[] NOT NULL DEFAULT '{}';

-- +goose Up
-- Typo fallback on titles only; the trigram index on the whole search text is no longer used.
CREATE INDEX products_title_trgm_idx ON products USING GIN ((title_fr || ' ' || title_ar || ' ' || title_en) gin_trgm_ops);
DROP INDEX products_search_trgm_idx;

-- +goose Down
CREATE INDEX products_search_trgm_idx ON products USING GIN ((search_fr || ' ' || search_ar || ' ' || search_en) gin_trgm_ops);
DROP INDEX products_title_trgm_idx;

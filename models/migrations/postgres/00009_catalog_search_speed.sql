-- +goose Up
-- Catalog search at 50k products (models/catalog.go, measured by models/catalog_measure_test.go).
-- The tables are filled from every product below: a few seconds per hundred thousand.
SET LOCAL statement_timeout = '10min';
-- No product is written while they are filled (the triggers below take over afterwards).
LOCK TABLE products IN SHARE MODE;

-- 1. product_search: what a search reads of each product, in narrow rows (about 80 bytes, the
-- vector out of line), with the GIN index. A search reads every match before it counts, sorts
-- and ranks them; on products (a row of 2 kB per 8 kB page) the five thousand matches of
-- "zellige" were five thousand pages, here a few hundred. Triggers on products keep the copy.
CREATE TABLE product_search (
    id            BIGINT PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    artisan_id    BIGINT NOT NULL,
    status        TEXT NOT NULL,
    craft_code    TEXT NOT NULL,
    price_cents   BIGINT NOT NULL,
    stock         INTEGER NOT NULL,
    made_to_order BOOLEAN NOT NULL,
    published_at  TIMESTAMPTZ,
    search_tsv    TSVECTOR NOT NULL
) WITH (toast_tuple_target = 128, fillfactor = 90);
-- Out of line and uncompressed (vectors hardly compress): read only by ts_rank, for the ranked
-- matches. fillfactor leaves room for stock and status changes to stay on their page (no new
-- GIN entries).
ALTER TABLE product_search ALTER COLUMN search_tsv SET STORAGE EXTERNAL;

INSERT INTO product_search (id, artisan_id, status, craft_code, price_cents, stock, made_to_order, published_at, search_tsv)
SELECT id, artisan_id, status, craft_code, price_cents, stock, made_to_order, published_at, search_tsv
FROM products ORDER BY id;
-- New entries wait in a pending list that every search reads through, until it is merged into
-- the index (when full, or by vacuum): a small one keeps searches fast after a bulk load, at
-- little cost to the load (a few merges per thousand rows).
CREATE INDEX product_search_tsv_idx ON product_search USING GIN (search_tsv) WITH (gin_pending_list_limit = 256);

-- 2. search_words: the vocabulary of the vectors (words, and French and English stems),
-- trigram-indexed, for the typo fallback: a query word that matches nothing is replaced by the
-- nearest known word and searched again through the GIN index (the "text search integration"
-- of the pg_trgm documentation). Comparing the query with every title sharing a trigram with
-- it (00005) cost some 50 µs per title: 170 ms for "zelige". Words are never removed: a stale
-- word only leads to an empty search, as without the correction. No unique constraint: two
-- transactions adding the same new word would wait for each other (a bulk load's writers
-- hold theirs for a whole chunk, beyond lock_timeout), so such a word may be there twice.
CREATE TABLE search_words (
    word TEXT NOT NULL
);
INSERT INTO search_words (word)
SELECT word FROM ts_stat('SELECT search_tsv FROM products') WHERE char_length(word) BETWEEN 3 AND 64;
CREATE INDEX search_words_word_idx ON search_words (word);
CREATE INDEX search_words_trgm_idx ON search_words USING GIN (word gin_trgm_ops);

-- +goose StatementBegin
-- Bulk loads insert a thousand rows per statement: one copy and one vocabulary insert each.
CREATE FUNCTION products_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The vectors are read back from products, where they are stored out of line: so they are
    -- out of line in product_search too. (The rows of new_products hold them inline, and a row
    -- under 2 kB is stored as it is, whatever toast_tuple_target says: a page would hold a
    -- few rows instead of sixty.)
    INSERT INTO product_search (id, artisan_id, status, craft_code, price_cents, stock, made_to_order, published_at, search_tsv)
    SELECT p.id, p.artisan_id, p.status, p.craft_code, p.price_cents, p.stock, p.made_to_order, p.published_at, p.search_tsv
    FROM products p WHERE p.id IN (SELECT id FROM new_products);
    INSERT INTO search_words (word)
    SELECT DISTINCT w.word
    FROM new_products p, unnest(tsvector_to_array(p.search_tsv)) AS w (word)
    WHERE char_length(w.word) BETWEEN 3 AND 64
      AND NOT EXISTS (SELECT 1 FROM search_words s WHERE s.word = w.word);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION products_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    text_changed BOOLEAN := OLD.search_fr IS DISTINCT FROM NEW.search_fr
        OR OLD.search_ar IS DISTINCT FROM NEW.search_ar OR OLD.search_en IS DISTINCT FROM NEW.search_en;
BEGIN
    -- The vector is rewritten only when the text changed; otherwise the row keeps its toast
    -- value and its GIN entries.
    UPDATE product_search s SET artisan_id = NEW.artisan_id, status = NEW.status, craft_code = NEW.craft_code,
        price_cents = NEW.price_cents, stock = NEW.stock, made_to_order = NEW.made_to_order,
        published_at = NEW.published_at,
        search_tsv = CASE WHEN text_changed THEN (SELECT p.search_tsv FROM products p WHERE p.id = NEW.id) ELSE s.search_tsv END
    WHERE s.id = NEW.id;
    IF text_changed THEN
        INSERT INTO search_words (word)
        SELECT DISTINCT w.word
        FROM unnest(tsvector_to_array(NEW.search_tsv)) AS w (word)
        WHERE char_length(w.word) BETWEEN 3 AND 64
          AND NOT EXISTS (SELECT 1 FROM search_words s WHERE s.word = w.word);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER products_search_insert AFTER INSERT ON products
    REFERENCING NEW TABLE AS new_products
    FOR EACH STATEMENT EXECUTE FUNCTION products_search_insert();
CREATE TRIGGER products_search_update AFTER UPDATE ON products
    FOR EACH ROW
    WHEN (OLD.artisan_id IS DISTINCT FROM NEW.artisan_id OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.craft_code IS DISTINCT FROM NEW.craft_code OR OLD.price_cents IS DISTINCT FROM NEW.price_cents
          OR OLD.stock IS DISTINCT FROM NEW.stock OR OLD.made_to_order IS DISTINCT FROM NEW.made_to_order
          OR OLD.published_at IS DISTINCT FROM NEW.published_at OR OLD.search_fr IS DISTINCT FROM NEW.search_fr
          OR OLD.search_ar IS DISTINCT FROM NEW.search_ar OR OLD.search_en IS DISTINCT FROM NEW.search_en)
    EXECUTE FUNCTION products_search_update();

-- 3. The indexes searches read on products before: the vectors (now on product_search) and the
-- title trigrams of the former typo fallback.
DROP INDEX products_search_idx;
DROP INDEX products_title_trgm_idx;

-- +goose Down
SET LOCAL statement_timeout = '10min';
CREATE INDEX products_search_idx ON products USING GIN (search_tsv);
CREATE INDEX products_title_trgm_idx ON products USING GIN ((title_fr || ' ' || title_ar || ' ' || title_en) gin_trgm_ops);
DROP TRIGGER products_search_update ON products;
DROP TRIGGER products_search_insert ON products;
DROP FUNCTION products_search_update();
DROP FUNCTION products_search_insert();
DROP TABLE search_words;
DROP TABLE product_search;

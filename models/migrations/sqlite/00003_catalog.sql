-- +goose Up
ALTER TABLE artisans ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE artisans ADD COLUMN bio_fr TEXT NOT NULL DEFAULT '';
ALTER TABLE artisans ADD COLUMN bio_ar TEXT NOT NULL DEFAULT '';
ALTER TABLE artisans ADD COLUMN bio_en TEXT NOT NULL DEFAULT '';
ALTER TABLE artisans ADD COLUMN registry_number TEXT;
ALTER TABLE artisans ADD COLUMN card_number TEXT;
ALTER TABLE artisans ADD COLUMN workshop_photo_key TEXT NOT NULL DEFAULT '';
ALTER TABLE artisans ADD COLUMN review_note TEXT NOT NULL DEFAULT '';
ALTER TABLE artisans ADD COLUMN submitted_at DATETIME;
CREATE UNIQUE INDEX artisans_registry_number_key ON artisans (registry_number) WHERE registry_number IS NOT NULL;
CREATE UNIQUE INDEX artisans_card_number_key ON artisans (card_number) WHERE card_number IS NOT NULL;

CREATE TABLE products (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    artisan_id      INTEGER NOT NULL REFERENCES artisans (id) ON DELETE CASCADE,
    status          TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    title_fr        TEXT NOT NULL DEFAULT '',
    title_ar        TEXT NOT NULL DEFAULT '',
    title_en        TEXT NOT NULL DEFAULT '',
    description_fr  TEXT NOT NULL DEFAULT '',
    description_ar  TEXT NOT NULL DEFAULT '',
    description_en  TEXT NOT NULL DEFAULT '',
    craft_code      TEXT NOT NULL REFERENCES crafts (code),
    materials       TEXT NOT NULL DEFAULT '',
    dimensions      TEXT NOT NULL DEFAULT '',
    weight_grams    INTEGER NOT NULL DEFAULT 0 CHECK (weight_grams >= 0),
    price_cents     INTEGER NOT NULL CHECK (price_cents >= 0),
    stock           INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
    made_to_order   BOOLEAN NOT NULL DEFAULT 0,
    lead_time_days  INTEGER NOT NULL DEFAULT 0 CHECK (lead_time_days >= 0),
    pickup_at_fair  BOOLEAN NOT NULL DEFAULT 1,
    ships           BOOLEAN NOT NULL DEFAULT 0,
    search_fr       TEXT NOT NULL DEFAULT '',
    search_ar       TEXT NOT NULL DEFAULT '',
    search_en       TEXT NOT NULL DEFAULT '',
    published_at    DATETIME,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT products_title CHECK (title_fr <> '' OR title_ar <> '' OR title_en <> '')
);
CREATE INDEX products_artisan_idx ON products (artisan_id, status);
CREATE INDEX products_listing_idx ON products (status, published_at DESC, id DESC);
CREATE INDEX products_craft_idx ON products (craft_code, status);
CREATE INDEX products_price_idx ON products (status, price_cents, id);

-- Full-text index over the normalised text (accents already folded by the program).
CREATE VIRTUAL TABLE products_fts USING fts5(
    search_fr, search_ar, search_en,
    content='products', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
-- +goose StatementBegin
CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
    INSERT INTO products_fts (rowid, search_fr, search_ar, search_en) VALUES (new.id, new.search_fr, new.search_ar, new.search_en);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, search_fr, search_ar, search_en) VALUES ('delete', old.id, old.search_fr, old.search_ar, old.search_en);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER products_fts_update AFTER UPDATE OF search_fr, search_ar, search_en ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, search_fr, search_ar, search_en) VALUES ('delete', old.id, old.search_fr, old.search_ar, old.search_en);
    INSERT INTO products_fts (rowid, search_fr, search_ar, search_en) VALUES (new.id, new.search_fr, new.search_ar, new.search_en);
END;
-- +goose StatementEnd

CREATE TABLE product_photos (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id  INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    key_base    TEXT NOT NULL UNIQUE,
    position    INTEGER NOT NULL DEFAULT 0,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    variants    TEXT NOT NULL,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX product_photos_product_idx ON product_photos (product_id, position);

CREATE TABLE favourites (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id  INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (user_id, product_id)
);

-- +goose Down
DROP TABLE favourites;
DROP TABLE product_photos;
DROP TRIGGER products_fts_update;
DROP TRIGGER products_fts_delete;
DROP TRIGGER products_fts_insert;
DROP TABLE products_fts;
DROP TABLE products;
DROP INDEX artisans_card_number_key;
DROP INDEX artisans_registry_number_key;
ALTER TABLE artisans DROP COLUMN submitted_at;
ALTER TABLE artisans DROP COLUMN review_note;
ALTER TABLE artisans DROP COLUMN workshop_photo_key;
ALTER TABLE artisans DROP COLUMN card_number;
ALTER TABLE artisans DROP COLUMN registry_number;
ALTER TABLE artisans DROP COLUMN bio_en;
ALTER TABLE artisans DROP COLUMN bio_ar;
ALTER TABLE artisans DROP COLUMN bio_fr;
ALTER TABLE artisans DROP COLUMN phone;

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE artisans ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE artisans ADD COLUMN bio_fr TEXT NOT NULL DEFAULT '';
ALTER TABLE artisans ADD COLUMN bio_ar TEXT NOT NULL DEFAULT '';
ALTER TABLE artisans ADD COLUMN bio_en TEXT NOT NULL DEFAULT '';
ALTER TABLE artisans ADD COLUMN registry_number TEXT;
ALTER TABLE artisans ADD COLUMN card_number TEXT;
ALTER TABLE artisans ADD COLUMN workshop_photo_key TEXT NOT NULL DEFAULT '';
ALTER TABLE artisans ADD COLUMN review_note TEXT NOT NULL DEFAULT '';
ALTER TABLE artisans ADD COLUMN submitted_at TIMESTAMPTZ;
CREATE UNIQUE INDEX artisans_registry_number_key ON artisans (registry_number) WHERE registry_number IS NOT NULL;
CREATE UNIQUE INDEX artisans_card_number_key ON artisans (card_number) WHERE card_number IS NOT NULL;

CREATE TABLE products (
    id              BIGSERIAL PRIMARY KEY,
    artisan_id      BIGINT NOT NULL REFERENCES artisans (id) ON DELETE CASCADE,
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
    price_cents     BIGINT NOT NULL CHECK (price_cents >= 0),
    stock           INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
    made_to_order   BOOLEAN NOT NULL DEFAULT FALSE,
    lead_time_days  INTEGER NOT NULL DEFAULT 0 CHECK (lead_time_days >= 0),
    pickup_at_fair  BOOLEAN NOT NULL DEFAULT TRUE,
    ships           BOOLEAN NOT NULL DEFAULT FALSE,
    -- Normalised text (accents and Arabic forms folded) per language, written by the program.
    search_fr       TEXT NOT NULL DEFAULT '',
    search_ar       TEXT NOT NULL DEFAULT '',
    search_en       TEXT NOT NULL DEFAULT '',
    search_tsv      TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('french', search_fr), 'A') ||
        setweight(to_tsvector('english', search_en), 'A') ||
        setweight(to_tsvector('simple', search_ar), 'A') ||
        setweight(to_tsvector('simple', search_fr || ' ' || search_en), 'B')
    ) STORED,
    published_at    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT products_title CHECK (title_fr <> '' OR title_ar <> '' OR title_en <> '')
);
CREATE INDEX products_artisan_idx ON products (artisan_id, status);
CREATE INDEX products_listing_idx ON products (status, published_at DESC, id DESC);
CREATE INDEX products_craft_idx ON products (craft_code, status);
CREATE INDEX products_price_idx ON products (status, price_cents, id);
CREATE INDEX products_search_idx ON products USING GIN (search_tsv);
CREATE INDEX products_search_trgm_idx ON products USING GIN ((search_fr || ' ' || search_ar || ' ' || search_en) gin_trgm_ops);

CREATE TABLE product_photos (
    id          BIGSERIAL PRIMARY KEY,
    product_id  BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    key_base    TEXT NOT NULL UNIQUE,
    position    INTEGER NOT NULL DEFAULT 0,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    variants    TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX product_photos_product_idx ON product_photos (product_id, position);

CREATE TABLE favourites (
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id  BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, product_id)
);

-- +goose Down
DROP TABLE favourites;
DROP TABLE product_photos;
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

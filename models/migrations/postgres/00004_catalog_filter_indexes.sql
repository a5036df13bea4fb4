-- +goose Up
-- Catalog filters at 50k products (see models/catalog_bench_test.go): "craft + region + price"
-- walks the region's artisans, then their published products of the craft within the price
-- range, from the index alone; "craft + price" ranges over the craft's published products
-- (the new index replaces products_craft_idx, its prefix).
CREATE INDEX products_artisan_craft_price_idx ON products (artisan_id, status, craft_code, price_cents);
CREATE INDEX products_craft_price_idx ON products (craft_code, status, price_cents);
DROP INDEX products_craft_idx;

-- +goose Down
CREATE INDEX products_craft_idx ON products (craft_code, status);
DROP INDEX products_craft_price_idx;
DROP INDEX products_artisan_craft_price_idx;

-- +goose Up
-- PostgreSQL only (the vocabulary of the typo fallback); kept so both dialects share version
-- numbers. SQLite searches read FTS5 backwards from the newest match (models/catalog.go) and
-- need no new index.
SELECT 1;

-- +goose Down
SELECT 1;

-- +goose Up
-- PostgreSQL only (typo fallback on titles); kept so both dialects share version numbers.
SELECT 1;

-- +goose Down
SELECT 1;

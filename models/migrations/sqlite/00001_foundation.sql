-- +goose Up
CREATE TABLE regions (
    code        TEXT PRIMARY KEY,
    name_fr     TEXT NOT NULL,
    name_ar     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    chamber_fr  TEXT NOT NULL,
    chamber_ar  TEXT NOT NULL,
    chamber_en  TEXT NOT NULL,
    sort_order  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE crafts (
    code        TEXT PRIMARY KEY,
    name_fr     TEXT NOT NULL,
    name_ar     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    sort_order  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('visitor', 'artisan', 'chamber', 'organizer')),
    region_code    TEXT REFERENCES regions (code),
    locale         TEXT NOT NULL DEFAULT 'fr',
    session_epoch  INTEGER NOT NULL DEFAULT 0,
    disabled_at    DATETIME,
    created_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT users_chamber_region CHECK (role <> 'chamber' OR region_code IS NOT NULL)
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE artisans (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    slug           TEXT NOT NULL UNIQUE,
    business_name  TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('individual', 'cooperative', 'company')),
    region_code    TEXT NOT NULL REFERENCES regions (code),
    craft_code     TEXT NOT NULL REFERENCES crafts (code),
    city           TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'pending', 'verified', 'rejected')),
    verified_at    DATETIME,
    created_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX artisans_region_status_idx ON artisans (region_code, status);

CREATE TABLE fairs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    city        TEXT NOT NULL,
    country     TEXT NOT NULL CHECK (length(country) = 2),
    venue       TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT '',
    starts_on   DATETIME NOT NULL,
    ends_on     DATETIME NOT NULL,
    timezone    TEXT NOT NULL DEFAULT 'Europe/Brussels',
    status      TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed', 'live', 'archived')),
    is_demo     BOOLEAN NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT fairs_dates CHECK (ends_on >= starts_on)
);
CREATE INDEX fairs_starts_on_idx ON fairs (starts_on);

-- Key/value rows behind sessions and rate limits (fiber.Storage), shared by every instance.
CREATE TABLE kv_entries (
    key         TEXT PRIMARY KEY,
    value       BLOB NOT NULL,
    expires_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX kv_entries_expires_idx ON kv_entries (expires_at) WHERE expires_at > 0;

CREATE TABLE audit_entries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    subject_id  BIGINT NOT NULL DEFAULT 0,
    before      TEXT NOT NULL DEFAULT '',
    after       TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX audit_entries_subject_idx ON audit_entries (subject, subject_id);

-- +goose Down
DROP TABLE audit_entries;
DROP TABLE kv_entries;
DROP TABLE fairs;
DROP TABLE artisans;
DROP TABLE users;
DROP TABLE crafts;
DROP TABLE regions;

-- +goose Up
-- Fair editions: application window, currency, booth-fee policy, visitor registration.
ALTER TABLE fairs ADD COLUMN applications_open_at DATETIME;
ALTER TABLE fairs ADD COLUMN applications_close_at DATETIME;
ALTER TABLE fairs ADD COLUMN currency TEXT NOT NULL DEFAULT 'EUR' CHECK (currency IN ('EUR'));
ALTER TABLE fairs ADD COLUMN fee_policy TEXT NOT NULL DEFAULT 'stand_price' CHECK (fee_policy IN ('stand_price', 'free'));
ALTER TABLE fairs ADD COLUMN visitor_registration BOOLEAN NOT NULL DEFAULT 0;

CREATE TABLE halls (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    fair_id     INTEGER NOT NULL REFERENCES fairs (id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (name <> ''),
    width_cm    INTEGER NOT NULL CHECK (width_cm BETWEEN 100 AND 100000),
    depth_cm    INTEGER NOT NULL CHECK (depth_cm BETWEEN 100 AND 100000),
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (fair_id, name)
);

CREATE TABLE stands (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    fair_id     INTEGER NOT NULL REFERENCES fairs (id) ON DELETE CASCADE,
    hall_id     INTEGER NOT NULL REFERENCES halls (id) ON DELETE CASCADE,
    code        TEXT NOT NULL CHECK (code <> '' AND length(code) <= 16),
    zone        TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL DEFAULT 'standard' CHECK (kind IN ('standard', 'corner', 'island', 'premium')),
    x_cm        INTEGER NOT NULL CHECK (x_cm >= 0),
    y_cm        INTEGER NOT NULL CHECK (y_cm >= 0),
    width_cm    INTEGER NOT NULL CHECK (width_cm > 0),
    depth_cm    INTEGER NOT NULL CHECK (depth_cm > 0),
    price_cents INTEGER NOT NULL DEFAULT 0 CHECK (price_cents >= 0),
    status      TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'held', 'assigned', 'blocked')),
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (fair_id, code)
);
CREATE INDEX stands_hall_idx ON stands (hall_id);

CREATE TABLE applications (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    fair_id               INTEGER NOT NULL REFERENCES fairs (id) ON DELETE CASCADE,
    artisan_id            INTEGER NOT NULL REFERENCES artisans (id) ON DELETE CASCADE,
    status                TEXT NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'chamber_reviewed', 'accepted', 'waitlisted', 'offered', 'rejected', 'withdrawn', 'released', 'offer_expired')),
    preferred_kind        TEXT NOT NULL DEFAULT '' CHECK (preferred_kind IN ('', 'standard', 'corner', 'island', 'premium')),
    preferred_size_m2     INTEGER NOT NULL DEFAULT 0 CHECK (preferred_size_m2 >= 0),
    preferred_zone        TEXT NOT NULL DEFAULT '',
    motivation            TEXT NOT NULL DEFAULT '',
    needs_chamber_funding BOOLEAN NOT NULL DEFAULT 0,
    chamber_recommended   BOOLEAN,
    chamber_rank          INTEGER CHECK (chamber_rank IS NULL OR chamber_rank > 0),
    chamber_note          TEXT NOT NULL DEFAULT '',
    chamber_reviewed_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    chamber_reviewed_at   DATETIME,
    decision_note         TEXT NOT NULL DEFAULT '',
    decided_by            INTEGER REFERENCES users (id) ON DELETE SET NULL,
    decided_at            DATETIME,
    waitlist_position     INTEGER,
    offer_expires_at      DATETIME,
    stand_id              INTEGER REFERENCES stands (id) ON DELETE SET NULL,
    fee_state             TEXT NOT NULL DEFAULT 'none' CHECK (fee_state IN ('none', 'fee_due', 'fee_covered', 'fee_paid')),
    fee_cents             INTEGER NOT NULL DEFAULT 0 CHECK (fee_cents >= 0),
    fee_covered           BOOLEAN NOT NULL DEFAULT 0,
    fee_note              TEXT NOT NULL DEFAULT '',
    fee_paid_at           DATETIME,
    submitted_at          DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    withdrawn_at          DATETIME,
    created_at            DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at            DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (fair_id, artisan_id),
    -- A stand holds at most one application; an application holds one stand column.
    CONSTRAINT applications_stand_key UNIQUE (stand_id),
    CONSTRAINT applications_stand_accepted CHECK (stand_id IS NULL OR status = 'accepted')
);
CREATE INDEX applications_fair_status_idx ON applications (fair_id, status);
CREATE INDEX applications_artisan_idx ON applications (artisan_id);

CREATE TABLE application_products (
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    product_id     INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    PRIMARY KEY (application_id, product_id)
);

-- Per-region quotas of accepted exhibitors for a fair (keeps all 12 regions represented).
CREATE TABLE fair_region_quotas (
    fair_id     INTEGER NOT NULL REFERENCES fairs (id) ON DELETE CASCADE,
    region_code TEXT NOT NULL REFERENCES regions (code),
    quota       INTEGER NOT NULL CHECK (quota >= 0),
    PRIMARY KEY (fair_id, region_code)
);

-- An auto-allocation proposal waiting for the organizer to apply or discard it.
CREATE TABLE allocation_proposals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    fair_id     INTEGER NOT NULL UNIQUE REFERENCES fairs (id) ON DELETE CASCADE,
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    payload     TEXT NOT NULL,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- E-mails: written in the transaction of the decision; sent by SMTP when configured,
-- otherwise read by organizers at /admin/outbox. Kind + locale + params are written with the
-- decision; subject and body are rendered from them by the sender (translations live with
-- the pages, not the models).
CREATE TABLE outbox_emails (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    to_address  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    locale      TEXT NOT NULL DEFAULT 'fr',
    params      TEXT NOT NULL DEFAULT '{}',
    subject     TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT '',
    sent_at     DATETIME,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX outbox_emails_unsent_idx ON outbox_emails (id) WHERE sent_at IS NULL;

-- +goose Down
DROP TABLE outbox_emails;
DROP TABLE allocation_proposals;
DROP TABLE fair_region_quotas;
DROP TABLE application_products;
DROP TABLE applications;
DROP TABLE stands;
DROP TABLE halls;
ALTER TABLE fairs DROP COLUMN visitor_registration;
ALTER TABLE fairs DROP COLUMN fee_policy;
ALTER TABLE fairs DROP COLUMN currency;
ALTER TABLE fairs DROP COLUMN applications_close_at;
ALTER TABLE fairs DROP COLUMN applications_open_at;

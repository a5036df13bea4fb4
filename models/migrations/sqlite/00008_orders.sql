-- +goose Up
-- Carts: one per signed-in visitor, or per anonymous session (merged at login).
CREATE TABLE carts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    session_key TEXT UNIQUE,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT carts_owner CHECK (user_id IS NOT NULL OR session_key IS NOT NULL)
);

CREATE TABLE cart_items (
    cart_id     INTEGER NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id  INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity    INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (cart_id, product_id)
);

-- Flat shipping rates per destination country, set by organizers.
CREATE TABLE shipping_rates (
    country      TEXT PRIMARY KEY CHECK (country IN ('BE', 'FR')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- The organizer's commission on sales at a fair, in basis points (1000 = 10 %).
ALTER TABLE fairs ADD COLUMN commission_bp INTEGER NOT NULL DEFAULT 0 CHECK (commission_bp BETWEEN 0 AND 10000);

CREATE TABLE orders (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    code                TEXT NOT NULL UNIQUE,
    user_id             INTEGER REFERENCES users (id) ON DELETE SET NULL,
    email               TEXT NOT NULL,
    name                TEXT NOT NULL,
    phone               TEXT NOT NULL DEFAULT '',
    locale              TEXT NOT NULL DEFAULT 'fr',
    status              TEXT NOT NULL DEFAULT 'pending_payment' CHECK (status IN ('pending_payment', 'paid', 'completed', 'cancelled', 'expired', 'refunded', 'needs_review')),
    gateway             TEXT NOT NULL CHECK (gateway IN ('stripe', 'stand')),
    currency            TEXT NOT NULL DEFAULT 'EUR',
    items_cents         INTEGER NOT NULL CHECK (items_cents >= 0),
    shipping_cents      INTEGER NOT NULL DEFAULT 0 CHECK (shipping_cents >= 0),
    total_cents         INTEGER NOT NULL CHECK (total_cents >= 0),
    refunded_cents      INTEGER NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0),
    attempt             INTEGER NOT NULL DEFAULT 0,
    checkout_session_id TEXT UNIQUE,
    checkout_expires_at DATETIME,
    payment_intent_id   TEXT,
    ship_name           TEXT NOT NULL DEFAULT '',
    ship_line1          TEXT NOT NULL DEFAULT '',
    ship_line2          TEXT NOT NULL DEFAULT '',
    ship_postcode       TEXT NOT NULL DEFAULT '',
    ship_city           TEXT NOT NULL DEFAULT '',
    ship_country        TEXT NOT NULL DEFAULT '',
    holds_released_at   DATETIME,
    paid_at             DATETIME,
    closed_at           DATETIME,
    created_at          DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at          DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX orders_user_idx ON orders (user_id, created_at DESC);
CREATE INDEX orders_pending_idx ON orders (status, created_at) WHERE status = 'pending_payment';
CREATE INDEX orders_payment_intent_idx ON orders (payment_intent_id) WHERE payment_intent_id IS NOT NULL;

-- One part per artisan in an order: fulfilled on its own (pickup at a stand, or shipping).
CREATE TABLE order_parts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id        INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    artisan_id      INTEGER NOT NULL REFERENCES artisans (id),
    fulfilment      TEXT NOT NULL CHECK (fulfilment IN ('pickup', 'shipping')),
    fair_id         INTEGER REFERENCES fairs (id),
    stand_id        INTEGER REFERENCES stands (id) ON DELETE SET NULL,
    stand_code      TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'to_prepare', 'ready', 'shipped', 'picked_up', 'delivered', 'cancelled', 'refunded')),
    pickup_code     TEXT NOT NULL UNIQUE,
    tracking_number TEXT NOT NULL DEFAULT '',
    items_cents     INTEGER NOT NULL CHECK (items_cents >= 0),
    shipping_cents  INTEGER NOT NULL DEFAULT 0 CHECK (shipping_cents >= 0),
    ready_at        DATETIME,
    shipped_at      DATETIME,
    handed_over_at  DATETIME,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (order_id, artisan_id),
    CONSTRAINT order_parts_pickup_place CHECK (fulfilment <> 'pickup' OR fair_id IS NOT NULL)
);
CREATE INDEX order_parts_artisan_idx ON order_parts (artisan_id, status);
CREATE INDEX order_parts_fair_idx ON order_parts (fair_id, status);

CREATE TABLE order_lines (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id          INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    part_id           INTEGER NOT NULL REFERENCES order_parts (id) ON DELETE CASCADE,
    product_id        INTEGER NOT NULL REFERENCES products (id),
    title             TEXT NOT NULL,
    unit_cents        INTEGER NOT NULL CHECK (unit_cents >= 0),
    quantity          INTEGER NOT NULL CHECK (quantity > 0),
    holds_stock       BOOLEAN NOT NULL DEFAULT 1,
    refunded_quantity INTEGER NOT NULL DEFAULT 0 CHECK (refunded_quantity >= 0 AND refunded_quantity <= quantity),
    refunded_cents    INTEGER NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0)
);
CREATE INDEX order_lines_order_idx ON order_lines (order_id);
CREATE INDEX order_lines_product_idx ON order_lines (product_id);

-- Stripe events, stored by id in the transaction of their effect: a duplicate does nothing.
CREATE TABLE stripe_events (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    order_id    INTEGER REFERENCES orders (id) ON DELETE SET NULL,
    received_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE refunds (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id         INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_id          INTEGER REFERENCES order_lines (id) ON DELETE SET NULL,
    amount_cents     INTEGER NOT NULL CHECK (amount_cents > 0),
    reason           TEXT NOT NULL DEFAULT '',
    gateway_refund_id TEXT UNIQUE,
    created_by       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- Sales made on the stand, recorded by the artisan so online stock stays true.
CREATE TABLE stand_sales (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    artisan_id  INTEGER NOT NULL REFERENCES artisans (id) ON DELETE CASCADE,
    product_id  INTEGER NOT NULL REFERENCES products (id),
    fair_id     INTEGER REFERENCES fairs (id),
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    unit_cents  INTEGER NOT NULL CHECK (unit_cents >= 0),
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX stand_sales_artisan_idx ON stand_sales (artisan_id, created_at DESC);

-- Booth fees paid online: the checkout attempt of the application's fee.
ALTER TABLE applications ADD COLUMN fee_attempt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN fee_checkout_session_id TEXT;
CREATE UNIQUE INDEX applications_fee_session_key ON applications (fee_checkout_session_id) WHERE fee_checkout_session_id IS NOT NULL;

-- +goose Down
DROP INDEX applications_fee_session_key;
ALTER TABLE applications DROP COLUMN fee_checkout_session_id;
ALTER TABLE applications DROP COLUMN fee_attempt;
DROP TABLE stand_sales;
DROP TABLE refunds;
DROP TABLE stripe_events;
DROP TABLE order_lines;
DROP TABLE order_parts;
DROP TABLE orders;
ALTER TABLE fairs DROP COLUMN commission_bp;
DROP TABLE shipping_rates;
DROP TABLE cart_items;
DROP TABLE carts;

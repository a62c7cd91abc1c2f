-- The tenants store, version 1. One script for SQLite and PostgreSQL: only types and syntax both
-- accept (TEXT, BIGINT, INTEGER, DOUBLE PRECISION; times are Unix epoch milliseconds in BIGINT).
-- Released migrations are never edited; a change is a new V<n>__ file.

CREATE TABLE tenant (
    id                  TEXT PRIMARY KEY,
    parent_id           TEXT REFERENCES tenant (id),
    jurisdictions       TEXT NOT NULL,        -- comma-separated ISO 3166-1 alpha-2; empty: inherit
    min_tier            TEXT,                 -- high | moderate | low; null: inherit / no minimum
    pii                 TEXT NOT NULL,        -- TYPE=action,... ; empty: inherit / the default policy
    requests_per_minute BIGINT,               -- null: unlimited
    tokens_per_minute   BIGINT,
    tokens_per_day      BIGINT,
    tokens_per_month    BIGINT,
    max_concurrent      BIGINT,
    share_weight        INTEGER NOT NULL,
    priority            TEXT NOT NULL,        -- high | normal | low
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX tenant_parent ON tenant (parent_id);

-- The row a reservation locks (SELECT ... FOR UPDATE on PostgreSQL; SQLite's write lock).
CREATE TABLE quota_counter (
    tenant_id TEXT PRIMARY KEY REFERENCES tenant (id) ON DELETE CASCADE,
    version   BIGINT NOT NULL
);

CREATE TABLE api_key (
    lookup     TEXT PRIMARY KEY,              -- the public part of sk-sov-<lookup>_<secret>
    tenant_id  TEXT NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    sha256     TEXT NOT NULL,                 -- hex SHA-256 of the whole key
    scopes     TEXT NOT NULL,                 -- comma-separated: inference, auditor, admin
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    replaced_by TEXT
);
CREATE INDEX api_key_tenant ON api_key (tenant_id);

CREATE TABLE tenant_grant (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    model      TEXT NOT NULL,                 -- a model name, or * for every model
    starts_at  BIGINT NOT NULL,
    ends_at    BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX tenant_grant_tenant ON tenant_grant (tenant_id);

-- Admitted usage per tenant in buckets of span milliseconds (1 s, 1 min, 1 h), for sliding windows.
CREATE TABLE usage_bucket (
    tenant_id    TEXT NOT NULL,
    span         BIGINT NOT NULL,
    bucket_start BIGINT NOT NULL,
    tokens       BIGINT NOT NULL,
    requests     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, span, bucket_start)
);

-- Requests admitted and not yet settled; a lease that expires frees its concurrency slot.
CREATE TABLE reservation (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    organization_id TEXT,
    model           TEXT NOT NULL,
    tokens          BIGINT NOT NULL,
    admitted_at     BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX reservation_tenant ON reservation (tenant_id);
CREATE INDEX reservation_organization ON reservation (organization_id);

-- One row per served request (metering).
CREATE TABLE usage_record (
    request_id      TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    organization_id TEXT,
    model           TEXT NOT NULL,
    node            TEXT NOT NULL,
    started_at      BIGINT NOT NULL,
    duration_ms     BIGINT NOT NULL,
    tokens_in       BIGINT NOT NULL,
    tokens_out      BIGINT NOT NULL,
    energy_joules   DOUBLE PRECISION NOT NULL
);
CREATE INDEX usage_record_time ON usage_record (started_at);
CREATE INDEX usage_record_tenant ON usage_record (tenant_id, started_at);

-- Admin changes, written in the transaction that makes them; the server drains them to the ledger.
CREATE TABLE admin_event (
    id         TEXT PRIMARY KEY,
    time_ms    BIGINT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    attributes TEXT NOT NULL,                 -- key=value lines
    drained_at BIGINT
);
CREATE INDEX admin_event_pending ON admin_event (drained_at, time_ms);

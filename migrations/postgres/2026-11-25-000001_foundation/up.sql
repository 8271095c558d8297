-- Portable column types only (see docs/architecture.md): ids are TEXT UUIDs, money is BIGINT
-- minor units, times are TIMESTAMP holding UTC, statuses are TEXT.
CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    currency TEXT NOT NULL,
    locale TEXT NOT NULL,
    goal BIGINT NOT NULL,
    min_pledge BIGINT NOT NULL,
    max_pledge BIGINT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE budget_lines (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    position INTEGER NOT NULL,
    key TEXT NOT NULL,
    title TEXT NOT NULL,
    tier TEXT NOT NULL,
    target BIGINT,
    UNIQUE (campaign_id, key),
    UNIQUE (campaign_id, position)
);

CREATE TABLE pledges (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    donor_name TEXT,
    email TEXT,
    anonymous BOOLEAN NOT NULL,
    hide_amount BOOLEAN NOT NULL,
    message TEXT,
    subscribe BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    received BIGINT NOT NULL,
    refunded BIGINT NOT NULL,
    disputed BIGINT NOT NULL,
    method TEXT NOT NULL,
    reference TEXT,
    provider_session_id TEXT,
    provider_payment_id TEXT,
    checkout_url TEXT,
    flag TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    counted_at TIMESTAMP
);
CREATE INDEX pledges_campaign_created ON pledges (campaign_id, created_at);
CREATE UNIQUE INDEX pledges_provider_payment ON pledges (provider_payment_id);
CREATE UNIQUE INDEX pledges_provider_session ON pledges (provider_session_id);

CREATE TABLE ledger_entries (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    pledge_id TEXT NOT NULL REFERENCES pledges (id),
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    source TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ledger_entries_campaign ON ledger_entries (campaign_id);
CREATE INDEX ledger_entries_pledge ON ledger_entries (pledge_id);

CREATE TABLE campaign_totals (
    campaign_id TEXT PRIMARY KEY REFERENCES campaigns (id),
    net_raised BIGINT NOT NULL,
    counted_pledges BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- state: in_flight while a request holds the key, failed when it ended retry-safe (a retry may
-- take it over), done when response_status and response_body hold the answer to replay.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    resource_id TEXT,
    response_status INTEGER,
    response_body TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE staff_users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE staff_sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES staff_users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    actor_id TEXT,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at);

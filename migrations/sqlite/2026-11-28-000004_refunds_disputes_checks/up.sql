-- Runs outside diesel's transaction (metadata.toml): SQLite cannot add a CHECK to an existing
-- table, so pledges, ledger_entries, campaign_totals, campaigns and budget_lines are rebuilt the
-- documented way (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table
-- Schema Changes"), and PRAGMA foreign_keys cannot change inside a transaction. Each new table
-- has the old columns in the same order (the copies are SELECT *), the old constraints, and the
-- checks migrations/postgres adds under the same names; the old name comes back by RENAME, so
-- the references other tables hold stay valid. Every index the old table had is created again.
PRAGMA foreign_keys = OFF;
BEGIN;

-- A staff refund is a row written before the provider is called. status: requested rows reserve
-- their amount against what may still be refunded; the provider's refund event settles them to
-- counted; failed releases the reservation.
CREATE TABLE refunds (
    id TEXT PRIMARY KEY,
    pledge_id TEXT NOT NULL REFERENCES pledges (id),
    amount BIGINT NOT NULL CONSTRAINT refunds_amount_positive CHECK (amount > 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    provider_refund_id TEXT,
    requested_by TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT refunds_amount_integer CHECK (typeof(amount) = 'integer')
);
CREATE INDEX refunds_pledge_status ON refunds (pledge_id, status);

-- What each dispute (keyed by the provider's dispute id) held, including zero: a dispute opened
-- on a pledge already refunded holds nothing, and its later outcome must know that by key.
CREATE TABLE disputes (
    dispute_id TEXT PRIMARY KEY,
    pledge_id TEXT NOT NULL REFERENCES pledges (id),
    held BIGINT NOT NULL CONSTRAINT disputes_held_nonnegative CHECK (held >= 0),
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT disputes_held_integer CHECK (typeof(held) = 'integer')
);

-- Every hold the ledger already has: source 'dispute:<id>:held' (8 characters of prefix, 5 of
-- suffix), amount the negative of what was held. substr/length mean the same on both backends.
INSERT INTO disputes (dispute_id, pledge_id, held, created_at)
SELECT substr(source, 9, length(source) - 13), pledge_id, -amount, created_at
FROM ledger_entries
WHERE length(source) > 13
  AND substr(source, 1, 8) = 'dispute:'
  AND substr(source, length(source) - 4) = ':held';

-- Disputes that held nothing were known only by a sentence in the inbox's detail: carried over
-- once here (8 = length of 'dispute ', 44 = length of the rest of the sentence).
INSERT INTO disputes (dispute_id, pledge_id, held, created_at)
SELECT substr(detail, 9, length(detail) - 52), pledge_id, 0, MIN(received_at)
FROM webhook_events
WHERE pledge_id IS NOT NULL
  AND length(detail) > 52
  AND substr(detail, 1, 8) = 'dispute '
  AND substr(detail, length(detail) - 43) = ' held nothing: nothing of the pledge counted'
  AND substr(detail, 9, length(detail) - 52) NOT IN (SELECT dispute_id FROM disputes)
GROUP BY substr(detail, 9, length(detail) - 52), pledge_id;

-- SQLite turns an integer sum that overflows into a REAL: the typeof checks refuse storing it.
CREATE TABLE campaigns_new (
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
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT campaigns_goal_positive CHECK (goal > 0),
    CONSTRAINT campaigns_min_pledge_positive CHECK (min_pledge > 0),
    CONSTRAINT campaigns_max_pledge_at_least_min CHECK (max_pledge >= min_pledge)
);
INSERT INTO campaigns_new SELECT * FROM campaigns;
DROP TABLE campaigns;
ALTER TABLE campaigns_new RENAME TO campaigns;

CREATE TABLE budget_lines_new (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    position INTEGER NOT NULL,
    key TEXT NOT NULL,
    title TEXT NOT NULL,
    tier TEXT NOT NULL,
    target BIGINT,
    UNIQUE (campaign_id, key),
    UNIQUE (campaign_id, position),
    CONSTRAINT budget_lines_target_nonnegative CHECK (target IS NULL OR target >= 0)
);
INSERT INTO budget_lines_new SELECT * FROM budget_lines;
DROP TABLE budget_lines;
ALTER TABLE budget_lines_new RENAME TO budget_lines;

CREATE TABLE pledges_new (
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
    counted_at TIMESTAMP,
    CONSTRAINT pledges_amount_positive CHECK (amount > 0),
    CONSTRAINT pledges_received_nonnegative CHECK (received >= 0),
    CONSTRAINT pledges_refunded_nonnegative CHECK (refunded >= 0),
    CONSTRAINT pledges_disputed_nonnegative CHECK (disputed >= 0),
    CONSTRAINT pledges_refunded_disputed_within_received CHECK (refunded + disputed <= received),
    CONSTRAINT pledges_amount_integer CHECK (typeof(amount) = 'integer'),
    CONSTRAINT pledges_received_integer CHECK (typeof(received) = 'integer'),
    CONSTRAINT pledges_refunded_integer CHECK (typeof(refunded) = 'integer'),
    CONSTRAINT pledges_disputed_integer CHECK (typeof(disputed) = 'integer')
);
INSERT INTO pledges_new SELECT * FROM pledges;
DROP TABLE pledges;
ALTER TABLE pledges_new RENAME TO pledges;
CREATE INDEX pledges_campaign_created ON pledges (campaign_id, created_at);
CREATE UNIQUE INDEX pledges_provider_payment ON pledges (provider_payment_id);
CREATE UNIQUE INDEX pledges_provider_session ON pledges (provider_session_id);

CREATE TABLE ledger_entries_new (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    pledge_id TEXT NOT NULL REFERENCES pledges (id),
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    source TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT ledger_entries_amount_nonzero CHECK (amount <> 0),
    CONSTRAINT ledger_entries_amount_integer CHECK (typeof(amount) = 'integer')
);
INSERT INTO ledger_entries_new SELECT * FROM ledger_entries;
DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_new RENAME TO ledger_entries;
CREATE INDEX ledger_entries_campaign ON ledger_entries (campaign_id);
CREATE INDEX ledger_entries_pledge ON ledger_entries (pledge_id);

CREATE TABLE campaign_totals_new (
    campaign_id TEXT PRIMARY KEY REFERENCES campaigns (id),
    net_raised BIGINT NOT NULL,
    counted_pledges BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT campaign_totals_net_raised_nonnegative CHECK (net_raised >= 0),
    CONSTRAINT campaign_totals_counted_pledges_nonnegative CHECK (counted_pledges >= 0),
    CONSTRAINT campaign_totals_net_raised_integer CHECK (typeof(net_raised) = 'integer'),
    CONSTRAINT campaign_totals_counted_pledges_integer CHECK (typeof(counted_pledges) = 'integer')
);
INSERT INTO campaign_totals_new SELECT * FROM campaign_totals;
DROP TABLE campaign_totals;
ALTER TABLE campaign_totals_new RENAME TO campaign_totals;

-- The documented PRAGMA foreign_key_check, made to fail the migration (and leave the transaction
-- uncommitted) when it reports anything, rather than print rows nobody reads.
CREATE TEMP TABLE foreign_key_violations (
    n INTEGER NOT NULL CONSTRAINT foreign_key_check_is_empty CHECK (n = 0)
);
INSERT INTO foreign_key_violations SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE foreign_key_violations;

COMMIT;
PRAGMA foreign_keys = ON;

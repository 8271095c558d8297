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
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX refunds_pledge_status ON refunds (pledge_id, status);

-- What each dispute (keyed by the provider's dispute id) held, including zero: a dispute opened
-- on a pledge already refunded holds nothing, and its later outcome must know that by key.
CREATE TABLE disputes (
    dispute_id TEXT PRIMARY KEY,
    pledge_id TEXT NOT NULL REFERENCES pledges (id),
    held BIGINT NOT NULL CONSTRAINT disputes_held_nonnegative CHECK (held >= 0),
    created_at TIMESTAMP NOT NULL
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

-- The invariants the code keeps, now also refused by the database. The SQLite tree has the same
-- checks (under the same names) plus typeof(...) = 'integer' on the money columns.
ALTER TABLE pledges ADD CONSTRAINT pledges_amount_positive CHECK (amount > 0);
ALTER TABLE pledges ADD CONSTRAINT pledges_received_nonnegative CHECK (received >= 0);
ALTER TABLE pledges ADD CONSTRAINT pledges_refunded_nonnegative CHECK (refunded >= 0);
ALTER TABLE pledges ADD CONSTRAINT pledges_disputed_nonnegative CHECK (disputed >= 0);
ALTER TABLE pledges ADD CONSTRAINT pledges_refunded_disputed_within_received
    CHECK (refunded + disputed <= received);

ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_amount_nonzero CHECK (amount <> 0);

ALTER TABLE campaign_totals ADD CONSTRAINT campaign_totals_net_raised_nonnegative CHECK (net_raised >= 0);
ALTER TABLE campaign_totals ADD CONSTRAINT campaign_totals_counted_pledges_nonnegative
    CHECK (counted_pledges >= 0);

ALTER TABLE campaigns ADD CONSTRAINT campaigns_goal_positive CHECK (goal > 0);
ALTER TABLE campaigns ADD CONSTRAINT campaigns_min_pledge_positive CHECK (min_pledge > 0);
ALTER TABLE campaigns ADD CONSTRAINT campaigns_max_pledge_at_least_min CHECK (max_pledge >= min_pledge);

ALTER TABLE budget_lines ADD CONSTRAINT budget_lines_target_nonnegative CHECK (target IS NULL OR target >= 0);

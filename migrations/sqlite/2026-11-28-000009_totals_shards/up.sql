-- A campaign's running totals spread over 16 rows (crates/donations/src/totals.rs says why):
-- a pledge's money is on row `shard` = the last hex digit of its id. The money already counted
-- is moved to its pledges' rows, and row 0 keeps whatever the old single row held beyond them,
-- so that each campaign's sum is exactly what it was (a difference `demeu reconcile` reported
-- before it reports after). SQLite cannot change a primary key: the table is rebuilt; no
-- table refers to it.
CREATE TABLE campaign_totals_new (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    shard SMALLINT NOT NULL,
    net_raised BIGINT NOT NULL,
    counted_pledges BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (campaign_id, shard),
    CONSTRAINT campaign_totals_shard_range CHECK (shard >= 0 AND shard < 16),
    CONSTRAINT campaign_totals_net_raised_nonnegative CHECK (net_raised >= 0),
    CONSTRAINT campaign_totals_counted_pledges_nonnegative CHECK (counted_pledges >= 0),
    CONSTRAINT campaign_totals_net_raised_integer CHECK (typeof(net_raised) = 'integer'),
    CONSTRAINT campaign_totals_counted_pledges_integer CHECK (typeof(counted_pledges) = 'integer')
);

CREATE TEMP TABLE shard_sums AS
WITH RECURSIVE shards (shard) AS (SELECT 1 UNION ALL SELECT shard + 1 FROM shards WHERE shard < 15)
SELECT t.campaign_id, s.shard,
       COALESCE((SELECT SUM(p.received - p.refunded - p.disputed) FROM pledges p
                 WHERE p.campaign_id = t.campaign_id
                   AND instr('0123456789abcdef', substr(p.id, -1)) - 1 = s.shard), 0) AS net_raised,
       (SELECT COUNT(*) FROM pledges p
        WHERE p.campaign_id = t.campaign_id AND p.received - p.refunded - p.disputed > 0
          AND instr('0123456789abcdef', substr(p.id, -1)) - 1 = s.shard) AS counted_pledges,
       t.updated_at
FROM campaign_totals t CROSS JOIN shards s;

INSERT INTO campaign_totals_new (campaign_id, shard, net_raised, counted_pledges, updated_at)
SELECT t.campaign_id, 0,
       t.net_raised - COALESCE((SELECT SUM(m.net_raised) FROM shard_sums m WHERE m.campaign_id = t.campaign_id), 0),
       t.counted_pledges - COALESCE((SELECT SUM(m.counted_pledges) FROM shard_sums m WHERE m.campaign_id = t.campaign_id), 0),
       t.updated_at
FROM campaign_totals t;
INSERT INTO campaign_totals_new (campaign_id, shard, net_raised, counted_pledges, updated_at)
SELECT campaign_id, shard, net_raised, counted_pledges, updated_at FROM shard_sums;
DROP TABLE shard_sums;

DROP TABLE campaign_totals;
ALTER TABLE campaign_totals_new RENAME TO campaign_totals;

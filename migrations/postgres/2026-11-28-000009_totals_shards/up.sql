-- A campaign's running totals spread over 16 rows (crates/donations/src/totals.rs says why):
-- a pledge's money is on row `shard` = the last hex digit of its id. The money already counted
-- is moved to its pledges' rows, and row 0 keeps whatever the old single row held beyond them,
-- so that each campaign's sum is exactly what it was (a difference `demeu reconcile` reported
-- before it reports after).
ALTER TABLE campaign_totals ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE campaign_totals DROP CONSTRAINT campaign_totals_pkey;
ALTER TABLE campaign_totals ADD PRIMARY KEY (campaign_id, shard);
ALTER TABLE campaign_totals ADD CONSTRAINT campaign_totals_shard_range CHECK (shard >= 0 AND shard < 16);
ALTER TABLE campaign_totals ALTER COLUMN shard DROP DEFAULT;

CREATE TEMP TABLE shard_sums ON COMMIT DROP AS
SELECT t.campaign_id, s.shard,
       COALESCE((SELECT SUM(p.received - p.refunded - p.disputed) FROM pledges p
                 WHERE p.campaign_id = t.campaign_id
                   AND strpos('0123456789abcdef', right(p.id, 1)) - 1 = s.shard), 0)::BIGINT AS net_raised,
       (SELECT COUNT(*) FROM pledges p
        WHERE p.campaign_id = t.campaign_id AND p.received - p.refunded - p.disputed > 0
          AND strpos('0123456789abcdef', right(p.id, 1)) - 1 = s.shard) AS counted_pledges,
       t.updated_at
FROM campaign_totals t CROSS JOIN generate_series(1, 15) AS s(shard);

INSERT INTO campaign_totals (campaign_id, shard, net_raised, counted_pledges, updated_at)
SELECT campaign_id, shard, net_raised, counted_pledges, updated_at FROM shard_sums;

UPDATE campaign_totals t
SET net_raised = t.net_raised - moved.net_raised, counted_pledges = t.counted_pledges - moved.counted_pledges
FROM (SELECT campaign_id, SUM(net_raised)::BIGINT AS net_raised, SUM(counted_pledges)::BIGINT AS counted_pledges
      FROM shard_sums GROUP BY campaign_id) AS moved
WHERE t.campaign_id = moved.campaign_id AND t.shard = 0;

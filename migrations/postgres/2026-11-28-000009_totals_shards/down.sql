-- Back to one row per campaign, holding the sum of its rows.
UPDATE campaign_totals t
SET net_raised = sums.net_raised, counted_pledges = sums.counted_pledges, updated_at = sums.updated_at
FROM (SELECT campaign_id, SUM(net_raised)::BIGINT AS net_raised, SUM(counted_pledges)::BIGINT AS counted_pledges,
             MAX(updated_at) AS updated_at
      FROM campaign_totals GROUP BY campaign_id) AS sums
WHERE t.campaign_id = sums.campaign_id AND t.shard = 0;
DELETE FROM campaign_totals WHERE shard <> 0;
ALTER TABLE campaign_totals DROP CONSTRAINT campaign_totals_pkey;
ALTER TABLE campaign_totals DROP COLUMN shard;
ALTER TABLE campaign_totals ADD PRIMARY KEY (campaign_id);

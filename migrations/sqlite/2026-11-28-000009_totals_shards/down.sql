-- Back to one row per campaign, holding the sum of its rows.
CREATE TABLE campaign_totals_old (
    campaign_id TEXT PRIMARY KEY REFERENCES campaigns (id),
    net_raised BIGINT NOT NULL,
    counted_pledges BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT campaign_totals_net_raised_nonnegative CHECK (net_raised >= 0),
    CONSTRAINT campaign_totals_counted_pledges_nonnegative CHECK (counted_pledges >= 0),
    CONSTRAINT campaign_totals_net_raised_integer CHECK (typeof(net_raised) = 'integer'),
    CONSTRAINT campaign_totals_counted_pledges_integer CHECK (typeof(counted_pledges) = 'integer')
);
INSERT INTO campaign_totals_old (campaign_id, net_raised, counted_pledges, updated_at)
SELECT campaign_id, SUM(net_raised), SUM(counted_pledges), MAX(updated_at) FROM campaign_totals GROUP BY campaign_id;
DROP TABLE campaign_totals;
ALTER TABLE campaign_totals_old RENAME TO campaign_totals;

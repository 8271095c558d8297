ALTER TABLE budget_lines DROP CONSTRAINT budget_lines_target_nonnegative;

ALTER TABLE campaigns DROP CONSTRAINT campaigns_max_pledge_at_least_min;
ALTER TABLE campaigns DROP CONSTRAINT campaigns_min_pledge_positive;
ALTER TABLE campaigns DROP CONSTRAINT campaigns_goal_positive;

ALTER TABLE campaign_totals DROP CONSTRAINT campaign_totals_counted_pledges_nonnegative;
ALTER TABLE campaign_totals DROP CONSTRAINT campaign_totals_net_raised_nonnegative;

ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_amount_nonzero;

ALTER TABLE pledges DROP CONSTRAINT pledges_refunded_disputed_within_received;
ALTER TABLE pledges DROP CONSTRAINT pledges_disputed_nonnegative;
ALTER TABLE pledges DROP CONSTRAINT pledges_refunded_nonnegative;
ALTER TABLE pledges DROP CONSTRAINT pledges_received_nonnegative;
ALTER TABLE pledges DROP CONSTRAINT pledges_amount_positive;

DROP TABLE disputes;
DROP TABLE refunds;

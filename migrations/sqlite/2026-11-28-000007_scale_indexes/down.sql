DROP INDEX ledger_entries_campaign_pledge;
CREATE INDEX ledger_entries_campaign ON ledger_entries (campaign_id);

DROP INDEX pledges_email_created;
DROP INDEX pledges_method_created;
DROP INDEX pledges_state_created;
DROP INDEX pledges_created;
DROP INDEX pledges_campaign_created_id;
CREATE INDEX pledges_campaign_created ON pledges (campaign_id, created_at);

DROP INDEX pledges_campaign_counted;

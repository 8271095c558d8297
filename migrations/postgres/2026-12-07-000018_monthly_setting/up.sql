-- Whether a campaign takes monthly gifts (issue 25): a campaign for one event may take one-off
-- gifts only. Every campaign did until an admin says otherwise.
ALTER TABLE campaigns ADD COLUMN allows_monthly BOOLEAN NOT NULL DEFAULT TRUE;

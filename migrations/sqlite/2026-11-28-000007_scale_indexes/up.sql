-- Pages that cost the same at 10⁶ pledges as at 10 (issue 10). Every list of pledges is ordered
-- by a time and the id, newest first, filtered by equalities, and continued after a cursor with
-- the row comparison (time, id) < (cursor's time, cursor's id). Each index below is
-- (filter, time, id): a page of any depth is then one range of it, read backwards, with no sort.
-- tests/api/query_plans.rs checks that both backends plan the code's queries so.

-- The donor wall: a campaign's pledges that count, newest counted first.
CREATE INDEX pledges_campaign_counted ON pledges (campaign_id, counted_at, id);

-- The staff list and its CSV: no filter, ?campaign=, ?status=, ?method=, ?q=<an email address>.
-- The campaign's index gains the id (the tie-break of the order) and replaces the old one.
DROP INDEX pledges_campaign_created;
CREATE INDEX pledges_campaign_created_id ON pledges (campaign_id, created_at, id);
CREATE INDEX pledges_created ON pledges (created_at, id);
CREATE INDEX pledges_state_created ON pledges (state, created_at, id);
CREATE INDEX pledges_method_created ON pledges (method, created_at, id);
CREATE INDEX pledges_email_created ON pledges (email, created_at, id);

-- Reconciliation sums each pledge's ledger rows within a campaign: this index holds all it
-- reads, in that order. It replaces the index on campaign_id alone, of which it is an extension.
DROP INDEX ledger_entries_campaign;
CREATE INDEX ledger_entries_campaign_pledge ON ledger_entries (campaign_id, pledge_id, amount);

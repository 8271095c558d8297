ALTER TABLE pledges DROP COLUMN decline_reason;

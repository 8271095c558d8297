ALTER TABLE campaigns DROP COLUMN allows_monthly;

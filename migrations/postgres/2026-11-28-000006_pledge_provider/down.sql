ALTER TABLE pledges DROP COLUMN provider;

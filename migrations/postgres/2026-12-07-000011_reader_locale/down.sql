ALTER TABLE subscribers DROP COLUMN locale;
ALTER TABLE pledges DROP COLUMN locale;

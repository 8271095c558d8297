DROP INDEX pledges_receipt_code;
ALTER TABLE pledges DROP COLUMN receipt_code;

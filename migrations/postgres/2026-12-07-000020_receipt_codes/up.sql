-- A counted gift's receipt code (issue 26): printed on its receipt and thanks page, typed by
-- anyone to check that the gift is counted and on which day's line of the open ledger. Given
-- when the gift's money first counts; an older counted gift gets one when first asked for it.
ALTER TABLE pledges ADD COLUMN receipt_code TEXT;
CREATE UNIQUE INDEX pledges_receipt_code ON pledges (receipt_code);

DROP TABLE expense_evidence;
DROP TABLE expenses;
DROP FUNCTION spending_is_append_only();

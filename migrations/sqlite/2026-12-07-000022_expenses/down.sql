DROP TABLE expense_evidence;
DROP TABLE expenses;

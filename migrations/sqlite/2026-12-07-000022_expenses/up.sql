-- Spending (issue 26): what a campaign's money paid for, against its plan's lines. Append-only
-- like the ledger: a mistake is corrected by a reversing entry (`reverses`, with its `reason`),
-- never an edit; the triggers below refuse an UPDATE or DELETE to anyone, the application too.
CREATE TABLE expenses (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    line_key TEXT NOT NULL,
    -- Minor units: positive for an expense, the original's negative for its reversal.
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    -- The day the money was spent, in Almaty (YYYY-MM-DD); a reversal's, the day it was made.
    spent_on TEXT NOT NULL,
    payee TEXT NOT NULL,
    payee_kind TEXT NOT NULL,
    description_kk TEXT NOT NULL,
    description_ru TEXT NOT NULL,
    description_en TEXT NOT NULL,
    -- Why a line is spent beyond its allocation, when it is.
    over_budget_reason TEXT,
    -- One reversal per expense at most.
    reverses TEXT UNIQUE REFERENCES expenses (id),
    reason TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT REFERENCES staff_users (id)
);
CREATE INDEX expenses_by_campaign ON expenses (campaign_id, spent_on);

-- An expense's evidence: a PDF as uploaded, or a photo re-encoded without its metadata (the
-- file and a small view of it), kept in stored_files.
CREATE TABLE expense_evidence (
    expense_id TEXT NOT NULL REFERENCES expenses (id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    file_hash TEXT NOT NULL REFERENCES stored_files (hash),
    thumb_hash TEXT REFERENCES stored_files (hash),
    width INTEGER,
    height INTEGER,
    PRIMARY KEY (expense_id, position)
);
CREATE INDEX expense_evidence_by_file ON expense_evidence (file_hash);
CREATE INDEX expense_evidence_by_thumb ON expense_evidence (thumb_hash);

CREATE TRIGGER expenses_no_update BEFORE UPDATE ON expenses
BEGIN SELECT RAISE(ABORT, 'spending is append-only: record a reversing entry instead'); END;
CREATE TRIGGER expenses_no_delete BEFORE DELETE ON expenses
BEGIN SELECT RAISE(ABORT, 'spending is append-only: record a reversing entry instead'); END;
CREATE TRIGGER expense_evidence_no_update BEFORE UPDATE ON expense_evidence
BEGIN SELECT RAISE(ABORT, 'spending is append-only: record a reversing entry instead'); END;
CREATE TRIGGER expense_evidence_no_delete BEFORE DELETE ON expense_evidence
BEGIN SELECT RAISE(ABORT, 'spending is append-only: record a reversing entry instead'); END;

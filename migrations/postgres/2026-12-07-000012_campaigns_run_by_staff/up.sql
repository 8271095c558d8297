-- Campaigns live in the database, edited by staff (issue 23): every text in kk, ru and en, the
-- presets with their labels, a state (draft, open, closed), and the configuration campaign each
-- was imported from (imported once; a restart never overwrites what staff changed).
ALTER TABLE campaigns ADD COLUMN title_kk TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN title_ru TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN title_en TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN summary_kk TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN summary_ru TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN summary_en TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN story_kk TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN story_ru TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN story_en TEXT NOT NULL DEFAULT '';
-- Rows made before were campaigns taking gifts by their dates.
ALTER TABLE campaigns ADD COLUMN state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('draft', 'open', 'closed'));
ALTER TABLE campaigns ADD COLUMN closed_at TIMESTAMP;
ALTER TABLE campaigns ADD COLUMN successor_id TEXT REFERENCES campaigns (id);
-- Who made the row: configuration (every row made before) or staff in the console or API.
ALTER TABLE campaigns ADD COLUMN source TEXT NOT NULL DEFAULT 'configuration' CHECK (source IN ('configuration', 'staff'));
-- The `[[campaigns]]` slug this row was imported from; NULL for staff's campaigns and for rows
-- made before, which the next start adopts once (their texts, presets and plan taken from
-- configuration a last time).
ALTER TABLE campaigns ADD COLUMN imported_from TEXT;
CREATE UNIQUE INDEX campaigns_imported_from ON campaigns (imported_from);

-- The one title a row had goes to the campaign's own language.
UPDATE campaigns SET
    title_kk = CASE WHEN locale = 'kk' THEN title ELSE '' END,
    title_ru = CASE WHEN locale = 'ru' THEN title ELSE '' END,
    title_en = CASE WHEN locale = 'en' THEN title ELSE '' END,
    summary_kk = CASE WHEN locale = 'kk' THEN description ELSE '' END,
    summary_ru = CASE WHEN locale = 'ru' THEN description ELSE '' END,
    summary_en = CASE WHEN locale = 'en' THEN description ELSE '' END;
ALTER TABLE campaigns DROP COLUMN title;
ALTER TABLE campaigns DROP COLUMN description;

ALTER TABLE budget_lines ADD COLUMN title_kk TEXT NOT NULL DEFAULT '';
ALTER TABLE budget_lines ADD COLUMN title_ru TEXT NOT NULL DEFAULT '';
ALTER TABLE budget_lines ADD COLUMN title_en TEXT NOT NULL DEFAULT '';
UPDATE budget_lines SET
    title_kk = CASE WHEN (SELECT locale FROM campaigns c WHERE c.id = budget_lines.campaign_id) = 'kk' THEN title ELSE '' END,
    title_ru = CASE WHEN (SELECT locale FROM campaigns c WHERE c.id = budget_lines.campaign_id) = 'ru' THEN title ELSE '' END,
    title_en = CASE WHEN (SELECT locale FROM campaigns c WHERE c.id = budget_lines.campaign_id) = 'en' THEN title ELSE '' END;
ALTER TABLE budget_lines DROP COLUMN title;

-- The amounts the give form offers, in order, each with what it buys in each language.
CREATE TABLE campaign_presets (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    position INTEGER NOT NULL,
    amount BIGINT NOT NULL,
    label_kk TEXT NOT NULL DEFAULT '',
    label_ru TEXT NOT NULL DEFAULT '',
    label_en TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, position)
);

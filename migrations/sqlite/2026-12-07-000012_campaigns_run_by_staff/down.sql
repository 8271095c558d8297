DROP TABLE campaign_presets;
ALTER TABLE budget_lines ADD COLUMN title TEXT NOT NULL DEFAULT '';
UPDATE budget_lines SET title = CASE
    WHEN title_en <> '' THEN title_en WHEN title_ru <> '' THEN title_ru ELSE title_kk END;
ALTER TABLE budget_lines DROP COLUMN title_kk;
ALTER TABLE budget_lines DROP COLUMN title_ru;
ALTER TABLE budget_lines DROP COLUMN title_en;
ALTER TABLE campaigns ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN description TEXT NOT NULL DEFAULT '';
UPDATE campaigns SET
    title = CASE locale WHEN 'kk' THEN title_kk WHEN 'en' THEN title_en ELSE title_ru END,
    description = CASE locale WHEN 'kk' THEN summary_kk WHEN 'en' THEN summary_en ELSE summary_ru END;
DROP INDEX campaigns_imported_from;
ALTER TABLE campaigns DROP COLUMN imported_from;
ALTER TABLE campaigns DROP COLUMN source;
ALTER TABLE campaigns DROP COLUMN successor_id;
ALTER TABLE campaigns DROP COLUMN closed_at;
ALTER TABLE campaigns DROP COLUMN state;
ALTER TABLE campaigns DROP COLUMN story_en;
ALTER TABLE campaigns DROP COLUMN story_ru;
ALTER TABLE campaigns DROP COLUMN story_kk;
ALTER TABLE campaigns DROP COLUMN summary_en;
ALTER TABLE campaigns DROP COLUMN summary_ru;
ALTER TABLE campaigns DROP COLUMN summary_kk;
ALTER TABLE campaigns DROP COLUMN title_en;
ALTER TABLE campaigns DROP COLUMN title_ru;
ALTER TABLE campaigns DROP COLUMN title_kk;

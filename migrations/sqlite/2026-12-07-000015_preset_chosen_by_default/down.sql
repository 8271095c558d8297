ALTER TABLE campaign_presets DROP COLUMN is_default;

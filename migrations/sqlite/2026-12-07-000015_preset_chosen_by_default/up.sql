-- The give form's preset chosen when the page opens (issue 24): at most one per campaign, set by
-- staff (the `default` of a preset) or configuration; a campaign with none has the form choose
-- by its rule (`CampaignSpec::chosen_preset`).
ALTER TABLE campaign_presets ADD COLUMN is_default BOOLEAN NOT NULL DEFAULT FALSE;

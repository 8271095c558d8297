//! `[[campaigns]]`: how configuration describes a campaign, and its mapping to the domain's
//! checked `CampaignSpec` (where a bad plan or limit is refused with the key named).

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use donations::campaign::{CampaignSpec, Locale};
use donations::money::{Currency, Money};
use donations::plan::{BudgetLine, FundingPlan, Tier};
use serde::Deserialize;

use super::SettingsError;

/// `[[campaigns]]`
#[derive(Debug, Clone, Deserialize)]
pub struct CampaignSettings {
    /// URL name.
    pub slug: String,
    /// Shown title.
    pub title: String,
    /// Shown description.
    #[serde(default)]
    pub description: String,
    /// ISO code: KZT, USD or EUR.
    pub currency: Currency,
    /// The language of its mail and pages when the visitor's is not known: kk, ru or en.
    #[serde(default = "default_locale")]
    pub locale: Locale,
    /// RFC 3339 with an offset.
    pub starts_at: DateTime<FixedOffset>,
    /// RFC 3339 with an offset; absent for an open campaign.
    pub ends_at: Option<DateTime<FixedOffset>>,
    /// Smallest online pledge, minor units (default 500 ₸).
    #[serde(default = "default_min_pledge")]
    pub min_pledge: i64,
    /// Largest online pledge, minor units (default 5 000 000 ₸).
    #[serde(default = "default_max_pledge")]
    pub max_pledge: i64,
    /// The goal, minor units: the goal lines must add up to it.
    pub goal: i64,
    /// The budget lines in the order money fills them.
    #[serde(default)]
    pub lines: Vec<LineSettings>,
    /// The amounts the donate form offers, minor units.
    #[serde(default = "default_presets")]
    pub presets: Vec<i64>,
    /// The page's story, Markdown, by language code (kk, ru, en).
    #[serde(default)]
    pub story: HashMap<String, String>,
}

fn default_presets() -> Vec<i64> {
    vec![200_000, 500_000, 1_000_000, 2_500_000]
}

fn default_locale() -> Locale {
    Locale::Ru
}
fn default_min_pledge() -> i64 {
    50_000
}
fn default_max_pledge() -> i64 {
    500_000_000
}

/// `[[campaigns.lines]]`
#[derive(Debug, Clone, Deserialize)]
pub struct LineSettings {
    /// Stable key.
    pub key: String,
    /// Shown title.
    pub title: String,
    /// `goal` or `overflow`.
    pub tier: Tier,
    /// Minor units; absent for an uncapped last line.
    pub target: Option<i64>,
    /// The title in other languages, by code (kk, ru, en).
    #[serde(default)]
    pub titles: HashMap<String, String>,
}

impl CampaignSettings {
    pub(super) fn to_spec(&self, index: usize) -> Result<CampaignSpec, SettingsError> {
        let at = |key: &str, msg: String| SettingsError(format!("campaigns[{index}].{key} ({}): {msg}", self.slug));
        // Configuration writes every amount in minor units of the campaign's currency.
        let money = |minor| Money::new(minor, self.currency);
        let lines = self
            .lines
            .iter()
            .map(|l| BudgetLine {
                key: l.key.clone(),
                title: l.title.clone(),
                tier: l.tier,
                target: l.target.map(money),
            })
            .collect();
        let plan = FundingPlan::new(money(self.goal), lines).map_err(|e| at("lines", e.to_string()))?;
        let spec = CampaignSpec {
            slug: self.slug.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            currency: self.currency,
            locale: self.locale,
            starts_at: self.starts_at.with_timezone(&Utc),
            ends_at: self.ends_at.map(|e| e.with_timezone(&Utc)),
            min_pledge: money(self.min_pledge),
            max_pledge: money(self.max_pledge),
            plan,
        };
        spec.validate().map_err(|e| at(&e.field, e.message))?;
        if let Some(bad) = self.presets.iter().find(|&&p| p < self.min_pledge || p > self.max_pledge) {
            return Err(at("presets", format!("{bad} is outside min_pledge..max_pledge")));
        }
        let languages = ["kk", "ru", "en"];
        let unknown = |map: &HashMap<String, String>| map.keys().find(|k| !languages.contains(&k.as_str())).cloned();
        if let Some(code) = unknown(&self.story) {
            return Err(at("story", format!("`{code}` is not one of kk, ru, en")));
        }
        if let Some((line, code)) = self.lines.iter().find_map(|l| unknown(&l.titles).map(|c| (l.key.clone(), c))) {
            return Err(at("lines", format!("{line}: title `{code}` is not one of kk, ru, en")));
        }
        Ok(spec)
    }
}

impl CampaignSettings {
    /// The story in `lang`, else in the campaign's own locale, else none.
    pub fn story_in(&self, lang: &str) -> Option<&str> {
        self.story.get(lang).or_else(|| self.story.get(self.locale.as_str())).map(String::as_str)
    }
}

impl LineSettings {
    /// The title in `lang`, else the configured title.
    pub fn title_in(&self, lang: &str) -> &str {
        self.titles.get(lang).map_or(self.title.as_str(), String::as_str)
    }
}

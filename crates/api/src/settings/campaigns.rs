//! `[[campaigns]]`: how configuration describes the campaigns a new installation starts with
//! (imported once: see `donations::campaign::import_once`), and their mapping to the domain's
//! checked `CampaignSpec` (where a bad plan, limit or text is refused with the key named).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use demeu_db::locale::Texts;
use donations::campaign::{CampaignSpec, Locale, Preset};
use donations::money::{Currency, Money};
use donations::plan::{BudgetLine, FundingPlan, Tier};
use serde::Deserialize;

use super::SettingsError;

/// Text per language code, as configuration writes it: `{ kk = "..", ru = "..", en = ".." }`.
pub type TextSettings = BTreeMap<String, String>;

/// `[[campaigns]]`
#[derive(Debug, Clone, Deserialize)]
pub struct CampaignSettings {
    /// URL name.
    pub slug: String,
    /// The title per language; the one in `locale` is required.
    pub titles: TextSettings,
    /// What is said under the title, per language.
    #[serde(default)]
    pub summaries: TextSettings,
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
    /// The amounts the donate form offers, minor units, each alone or with labels.
    #[serde(default = "default_presets")]
    pub presets: Vec<PresetSettings>,
    /// The page's story, Markdown, per language.
    #[serde(default)]
    pub stories: TextSettings,
    /// Whether it takes monthly gifts as well as one-off ones (default true).
    #[serde(default = "yes")]
    pub allows_monthly: bool,
}

fn yes() -> bool {
    true
}

/// One of `presets`: `500000` or `{ amount = 500000, labels = { ru = "..." } }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PresetSettings {
    /// An amount alone.
    Amount(i64),
    /// An amount with what it buys.
    Labelled {
        /// Minor units.
        amount: i64,
        /// What it buys, per language.
        #[serde(default)]
        labels: TextSettings,
        /// Chosen when the give form opens.
        #[serde(default)]
        default: bool,
    },
}

fn default_presets() -> Vec<PresetSettings> {
    [200_000, 500_000, 1_000_000, 2_500_000].into_iter().map(PresetSettings::Amount).collect()
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
    /// The title per language; the campaign's `locale` one is required.
    pub titles: TextSettings,
    /// `goal` or `overflow`.
    pub tier: Tier,
    /// Minor units; absent for an uncapped last line.
    pub target: Option<i64>,
}

impl CampaignSettings {
    pub(super) fn to_spec(&self, index: usize) -> Result<CampaignSpec, SettingsError> {
        let at = |key: &str, msg: String| SettingsError(format!("campaigns[{index}].{key} ({}): {msg}", self.slug));
        let texts = |key: &str, map: &TextSettings| {
            let (texts, unknown) = Texts::from_map(key, map.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            match unknown.into_iter().next() {
                Some(e) => Err(at(&e.field, e.message)),
                None => Ok(texts),
            }
        };
        // Configuration writes every amount in minor units of the campaign's currency.
        let money = |minor| Money::new(minor, self.currency);
        let lines = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                Ok(BudgetLine {
                    key: l.key.clone(),
                    titles: texts(&format!("lines[{i}].titles"), &l.titles)?,
                    tier: l.tier,
                    target: l.target.map(money),
                })
            })
            .collect::<Result<Vec<_>, SettingsError>>()?;
        let presets = self
            .presets
            .iter()
            .enumerate()
            .map(|(i, p)| match p {
                PresetSettings::Amount(amount) => {
                    Ok(Preset { amount: money(*amount), labels: Texts::default(), is_default: false })
                }
                PresetSettings::Labelled { amount, labels, default } => Ok(Preset {
                    amount: money(*amount),
                    labels: texts(&format!("presets[{i}].labels"), labels)?,
                    is_default: *default,
                }),
            })
            .collect::<Result<Vec<_>, SettingsError>>()?;
        let plan = FundingPlan::new(money(self.goal), lines).map_err(|e| at("lines", e.to_string()))?;
        let spec = CampaignSpec {
            slug: self.slug.clone(),
            titles: texts("titles", &self.titles)?,
            summaries: texts("summaries", &self.summaries)?,
            stories: texts("stories", &self.stories)?,
            currency: self.currency,
            locale: self.locale,
            starts_at: self.starts_at.with_timezone(&Utc),
            ends_at: self.ends_at.map(|e| e.with_timezone(&Utc)),
            min_pledge: money(self.min_pledge),
            max_pledge: money(self.max_pledge),
            presets,
            allows_monthly: self.allows_monthly,
            plan,
        };
        if let Err(errors) = spec.validate() {
            let said: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            return Err(at(&errors[0].field, said.join("; ")));
        }
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign(presets: serde_json::Value) -> Result<CampaignSpec, SettingsError> {
        let settings: CampaignSettings = serde_json::from_value(serde_json::json!({
            "slug": "mentors", "titles": {"ru": "Наставники"}, "currency": "KZT",
            "starts_at": "2026-11-01T00:00:00+05:00", "goal": 100_000,
            "lines": [{"key": "school", "titles": {"ru": "Школа"}, "tier": "goal", "target": 100_000}],
            "presets": presets,
        }))
        .expect("settings");
        settings.to_spec(0)
    }

    #[test]
    fn a_preset_may_be_the_one_the_form_opens_on() {
        let spec = campaign(
            serde_json::json!([200_000, {"amount": 1_000_000, "default": true, "labels": {"ru": "месяц"}}, 2_500_000]),
        )
        .expect("a campaign");
        let chosen = spec.chosen_preset().expect("one");
        assert_eq!((chosen.amount.minor, chosen.labels.ru.as_str()), (1_000_000, "месяц"));
        let two =
            campaign(serde_json::json!([{"amount": 200_000, "default": true}, {"amount": 500_000, "default": true}]));
        assert!(two.is_err_and(|e| e.0.contains("presets")), "one default at most");
    }
}

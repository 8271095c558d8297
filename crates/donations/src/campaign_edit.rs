//! Staff's campaigns: creating a draft, editing it (texts by editors, money by admins, a money
//! field of an open campaign only with a reason, audited with its old and new values), opening
//! and closing. The one place a request becomes a checked [`CampaignSpec`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use demeu_db::ids::StaffUserId;
use demeu_db::locale::Texts;
use demeu_db::schema::campaigns;
use demeu_db::DbConn;
use diesel::prelude::*;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use crate::campaign::{self, Campaign, CampaignSource, CampaignSpec, CampaignState, Locale, Preset};
use crate::money::{Currency, Money};
use crate::plan::{BudgetLine, FundingPlan, PlanError, Tier};
use crate::{Error, FieldError};

/// The longest reason for a money change.
pub const MAX_REASON_CHARS: usize = 500;

/// Text per language as sent: `{"kk": "..", "ru": "..", "en": ".."}`.
pub type TextInput = BTreeMap<String, String>;

/// A preset as sent.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetInput {
    /// Minor units, between `min_pledge` and `max_pledge`.
    pub amount: i64,
    /// What it buys, per language (`kk`, `ru`, `en`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub labels: TextInput,
    /// Chosen when the give form opens; at most one preset.
    #[serde(default)]
    pub default: bool,
}

/// A plan line as sent.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// Stable key: 1 to 64 of a-z, 0-9 and `-`.
    pub key: String,
    /// The title per language; the campaign's language's is required.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub titles: TextInput,
    /// `goal` or `overflow`.
    pub tier: String,
    /// Minor units; absent for a last line that takes the rest.
    pub target: Option<i64>,
}

/// `POST /api/v1/staff/campaigns`: a new campaign, saved as a draft.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    /// URL name: 1 to 64 of a-z, 0-9 and `-`, not taken.
    pub slug: String,
    /// The title per language; the one in `locale` is required.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub titles: TextInput,
    /// Under the title, per language.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub summaries: TextInput,
    /// The story per language, Markdown.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub stories: TextInput,
    /// `KZT`, `USD` or `EUR`.
    pub currency: String,
    /// Minor units: the goal lines add up to it.
    pub goal: i64,
    /// Smallest online gift, minor units.
    pub min_pledge: i64,
    /// Largest online gift, minor units.
    pub max_pledge: i64,
    /// The give form's amounts.
    #[serde(default)]
    pub presets: Vec<PresetInput>,
    /// Whether it takes monthly gifts as well (it does when absent).
    pub allows_monthly: Option<bool>,
    /// The lines money fills, in order.
    pub plan: Vec<LineInput>,
    /// When gifts open; now when absent.
    pub starts_at: Option<DateTime<Utc>>,
    /// When gifts close; open-ended when absent.
    pub ends_at: Option<DateTime<Utc>>,
    /// `kk`, `ru` or `en`: the language a reader of another sees.
    pub locale: String,
}

/// `PATCH /api/v1/staff/campaigns/{slug}`: any field of [`NewCampaign`]; a money field of an
/// open campaign also needs `reason`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    /// A draft's URL name (an open campaign's is fixed: links and QR codes point to it).
    pub slug: Option<String>,
    /// Titles per language; a language sent empty is removed.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub titles: Option<TextInput>,
    /// Summaries per language.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub summaries: Option<TextInput>,
    /// Stories per language.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub stories: Option<TextInput>,
    /// A draft's currency.
    pub currency: Option<String>,
    /// Minor units.
    pub goal: Option<i64>,
    /// Minor units.
    pub min_pledge: Option<i64>,
    /// Minor units.
    pub max_pledge: Option<i64>,
    /// The give form's amounts, replaced whole.
    pub presets: Option<Vec<PresetInput>>,
    /// Whether it takes monthly gifts (admins).
    pub allows_monthly: Option<bool>,
    /// The plan, replaced whole (an editor may change its titles only).
    pub plan: Option<Vec<LineInput>>,
    /// When gifts open.
    pub starts_at: Option<DateTime<Utc>>,
    /// When gifts close; `null` makes the campaign open-ended.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<DateTime<Utc>>))]
    pub ends_at: Option<Option<DateTime<Utc>>>,
    /// `kk`, `ru` or `en`.
    pub locale: Option<String>,
    /// Why a money field of an open campaign changes: written to the audit log.
    pub reason: Option<String>,
}

/// A field that is sent (`null` too) is `Some`; an absent one stays `None` (`#[serde(default)]`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// What the person editing may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// Texts (titles, summaries, stories, the plan's and presets' words) and pictures.
    Texts,
    /// Everything: the money fields (goal, limits, presets' amounts, the plan, the dates) too.
    Everything,
}

fn texts(field: &str, input: &TextInput, errors: &mut Vec<FieldError>) -> Texts {
    let (texts, unknown) = Texts::from_map(field, input.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    errors.extend(unknown);
    texts
}

fn parsed<T: std::str::FromStr>(field: &str, value: &str, names: &[&str], errors: &mut Vec<FieldError>) -> Option<T> {
    let parsed = value.parse().ok();
    if parsed.is_none() {
        errors.push(FieldError::one_of(field, names));
    }
    parsed
}

/// A plan refused by its own rules, named as the API names it: the goal's sum at `goal`, a
/// line's fault at `plan`.
fn plan_error(e: PlanError) -> FieldError {
    let field = match e {
        PlanError::BadGoal(_) | PlanError::GoalMismatch { .. } => "goal",
        _ => "plan",
    };
    FieldError::new(field, e.to_string())
}

fn lines(input: &[LineInput], currency: Currency, errors: &mut Vec<FieldError>) -> Vec<BudgetLine> {
    input
        .iter()
        .enumerate()
        .map(|(i, l)| BudgetLine {
            key: l.key.trim().to_string(),
            titles: texts(&format!("plan[{i}].titles"), &l.titles, errors),
            tier: parsed(&format!("plan[{i}].tier"), &l.tier, Tier::NAMES, errors).unwrap_or(Tier::Goal),
            target: l.target.map(|t| Money::new(t, currency)),
        })
        .collect()
}

fn presets(input: &[PresetInput], currency: Currency, errors: &mut Vec<FieldError>) -> Vec<Preset> {
    input
        .iter()
        .enumerate()
        .map(|(i, p)| Preset {
            amount: Money::new(p.amount, currency),
            labels: texts(&format!("presets[{i}].labels"), &p.labels, errors),
            is_default: p.default,
        })
        .collect()
}

/// Fails with every error found, or none.
fn checked(spec: Option<CampaignSpec>, mut errors: Vec<FieldError>) -> Result<CampaignSpec, Error> {
    if let Some(spec) = &spec {
        if let Err(more) = spec.validate() {
            errors.extend(more);
        }
    }
    match spec {
        Some(spec) if errors.is_empty() => Ok(spec),
        _ => Err(Error::Invalid(errors)),
    }
}

impl NewCampaign {
    /// The request as a checked spec, every fault named at once.
    pub fn to_spec(&self, now: DateTime<Utc>) -> Result<CampaignSpec, Error> {
        let mut errors = Vec::new();
        let currency = parsed::<Currency>("currency", &self.currency, Currency::NAMES, &mut errors);
        let locale = parsed::<Locale>("locale", &self.locale, Locale::NAMES, &mut errors);
        let currency_or = currency.unwrap_or(Currency::Kzt);
        let money = |minor| Money::new(minor, currency_or);
        let lines = lines(&self.plan, currency_or, &mut errors);
        let presets = presets(&self.presets, currency_or, &mut errors);
        let titles = texts("titles", &self.titles, &mut errors);
        let summaries = texts("summaries", &self.summaries, &mut errors);
        let stories = texts("stories", &self.stories, &mut errors);
        let plan = FundingPlan::new(money(self.goal), lines).map_err(plan_error).map_err(|e| errors.push(e)).ok();
        let spec = match (currency, locale, plan) {
            (Some(currency), Some(locale), Some(plan)) => Some(CampaignSpec {
                slug: self.slug.trim().to_string(),
                titles,
                summaries,
                stories,
                currency,
                locale,
                starts_at: self.starts_at.unwrap_or(now),
                ends_at: self.ends_at,
                min_pledge: money(self.min_pledge),
                max_pledge: money(self.max_pledge),
                presets,
                allows_monthly: self.allows_monthly.unwrap_or(true),
                plan,
            }),
            _ => None,
        };
        checked(spec, errors)
    }
}

impl CampaignPatch {
    /// `old` with the patch applied, checked as a whole.
    pub fn applied_to(&self, old: &CampaignSpec) -> Result<CampaignSpec, Error> {
        let mut errors = Vec::new();
        let mut spec = old.clone();
        if let Some(slug) = &self.slug {
            spec.slug = slug.trim().to_string();
        }
        if let Some(code) = &self.currency {
            spec.currency = parsed("currency", code, Currency::NAMES, &mut errors).unwrap_or(old.currency);
        }
        if let Some(code) = &self.locale {
            spec.locale = parsed("locale", code, Locale::NAMES, &mut errors).unwrap_or(old.locale);
        }
        // Every amount counts the (possibly new) currency's minor units.
        let money = |minor| Money::new(minor, spec.currency);
        let text_patch = |field: &str, input: &Option<TextInput>, old: &Texts, errors: &mut Vec<FieldError>| {
            let mut merged = old.clone();
            if let Some(input) = input {
                let sent = texts(field, input, errors);
                for key in input.keys() {
                    if let Ok(lang) = key.parse::<Locale>() {
                        *merged.slot_mut(lang) = sent.get(lang).unwrap_or("").to_string();
                    }
                }
            }
            merged
        };
        spec.titles = text_patch("titles", &self.titles, &old.titles, &mut errors);
        spec.summaries = text_patch("summaries", &self.summaries, &old.summaries, &mut errors);
        spec.stories = text_patch("stories", &self.stories, &old.stories, &mut errors);
        spec.min_pledge = money(self.min_pledge.unwrap_or(old.min_pledge.minor));
        spec.max_pledge = money(self.max_pledge.unwrap_or(old.max_pledge.minor));
        spec.presets = match &self.presets {
            Some(input) => presets(input, spec.currency, &mut errors),
            None => old.presets.iter().map(|p| Preset { amount: money(p.amount.minor), ..p.clone() }).collect(),
        };
        let lines = match &self.plan {
            Some(input) => lines(input, spec.currency, &mut errors),
            None => old
                .plan
                .lines()
                .iter()
                .map(|l| BudgetLine { target: l.target.map(|t| money(t.minor)), ..l.clone() })
                .collect(),
        };
        if let Some(allows) = self.allows_monthly {
            spec.allows_monthly = allows;
        }
        let goal = money(self.goal.unwrap_or(old.plan.goal().minor));
        let plan = FundingPlan::new(goal, lines).map_err(plan_error).map_err(|e| errors.push(e)).ok();
        if let Some(starts_at) = self.starts_at {
            spec.starts_at = starts_at;
        }
        if let Some(ends_at) = self.ends_at {
            spec.ends_at = ends_at;
        }
        let spec = plan.map(|plan| CampaignSpec { plan, ..spec });
        checked(spec, errors)
    }
}

impl CampaignPatch {
    /// The money fields this patch would change on `old`, read from what is sent before anything
    /// is checked: someone who may change only words is told so whatever else is wrong.
    pub fn money_fields(&self, old: &CampaignSpec) -> Vec<&'static str> {
        let amount = |sent: Option<i64>, old: Money| sent.is_some_and(|m| m != old.minor);
        let presets_differ = self
            .presets
            .as_ref()
            .is_some_and(|sent| sent.iter().map(|p| p.amount).ne(old.presets.iter().map(|p| p.amount.minor)));
        let plan_differs = self.plan.as_ref().is_some_and(|sent| {
            let sent = sent.iter().map(|l| (l.key.trim().to_string(), l.tier.clone(), l.target));
            let old = old
                .plan
                .lines()
                .iter()
                .map(|l| (l.key.clone(), l.tier.as_str().to_string(), l.target.map(|t| t.minor)));
            sent.ne(old)
        });
        let mut fields = Vec::new();
        for (field, differs) in [
            ("currency", self.currency.as_ref().is_some_and(|c| c.as_str() != old.currency.as_str())),
            ("goal", amount(self.goal, old.plan.goal())),
            ("min_pledge", amount(self.min_pledge, old.min_pledge)),
            ("max_pledge", amount(self.max_pledge, old.max_pledge)),
            ("presets", presets_differ),
            ("plan", plan_differs),
            ("starts_at", self.starts_at.is_some_and(|t| t != old.starts_at)),
            ("ends_at", self.ends_at.is_some_and(|t| t != old.ends_at)),
            // What donors may commit to each month is the admins' to decide, like the money.
            ("allows_monthly", self.allows_monthly.is_some_and(|a| a != old.allows_monthly)),
        ] {
            if differs {
                fields.push(field);
            }
        }
        fields
    }
}

/// One money field that changes, with what it was and what it becomes (as the API writes it).
#[derive(Debug, Clone, PartialEq)]
pub struct MoneyChange {
    /// The field's name.
    pub field: &'static str,
    /// Before.
    pub old: Value,
    /// After.
    pub new: Value,
}

fn presets_json(spec: &CampaignSpec) -> Value {
    spec.presets.iter().map(|p| p.amount.minor).collect()
}

fn plan_json(spec: &CampaignSpec) -> Value {
    spec.plan
        .lines()
        .iter()
        .map(|l| json!({"key": l.key, "tier": l.tier.as_str(), "target": l.target.map(|t| t.minor)}))
        .collect()
}

/// What of the money changes from `old` to `new`: the currency, goal, limits, presets' amounts,
/// the plan's keys, tiers and targets, the dates, and whether donors may give monthly (what they
/// commit to). Words (the plan's and presets' too) are not money.
pub fn money_changes(old: &CampaignSpec, new: &CampaignSpec) -> Vec<MoneyChange> {
    let time = |t: Option<DateTime<Utc>>| t.map_or(Value::Null, |t| Value::from(t.to_rfc3339()));
    let fields: [(&'static str, Value, Value); 9] = [
        ("currency", json!(old.currency.as_str()), json!(new.currency.as_str())),
        ("goal", json!(old.plan.goal().minor), json!(new.plan.goal().minor)),
        ("min_pledge", json!(old.min_pledge.minor), json!(new.min_pledge.minor)),
        ("max_pledge", json!(old.max_pledge.minor), json!(new.max_pledge.minor)),
        ("presets", presets_json(old), presets_json(new)),
        ("plan", plan_json(old), plan_json(new)),
        ("starts_at", time(Some(old.starts_at)), time(Some(new.starts_at))),
        ("ends_at", time(old.ends_at), time(new.ends_at)),
        ("allows_monthly", json!(old.allows_monthly), json!(new.allows_monthly)),
    ];
    fields
        .into_iter()
        .filter(|(_, old, new)| old != new)
        .map(|(field, old, new)| MoneyChange { field, old, new })
        .collect()
}

/// The texts that change (their names only: the audit log is not a copy of the story).
fn text_changes(old: &CampaignSpec, new: &CampaignSpec) -> Vec<&'static str> {
    let line_words = |s: &CampaignSpec| s.plan.lines().iter().map(|l| l.titles.clone()).collect::<Vec<_>>();
    let preset_words = |s: &CampaignSpec| s.presets.iter().map(|p| p.labels.clone()).collect::<Vec<_>>();
    let chosen = |s: &CampaignSpec| s.presets.iter().position(|p| p.is_default);
    let mut changed = Vec::new();
    for (field, differs) in [
        ("slug", old.slug != new.slug),
        ("locale", old.locale != new.locale),
        ("titles", old.titles != new.titles),
        ("summaries", old.summaries != new.summaries),
        ("stories", old.stories != new.stories),
        ("plan.titles", line_words(old) != line_words(new)),
        ("presets.labels", preset_words(old) != preset_words(new)),
        ("presets.default", chosen(old) != chosen(new)),
    ] {
        if differs {
            changed.push(field);
        }
    }
    changed
}

fn slug_taken(conn: &mut DbConn, slug: &str) -> Result<bool, Error> {
    let n: i64 = campaigns::table.filter(campaigns::slug.eq(slug)).count().get_result(conn)?;
    Ok(n > 0)
}

fn taken() -> Error {
    Error::Invalid(vec![
        FieldError::new("slug", "is taken by another campaign").translated("error-campaign-slug-taken", vec![])
    ])
}

/// Saves `new` as a draft that `actor` made; audited.
pub fn create(conn: &mut DbConn, new: &NewCampaign, actor: StaffUserId, now: DateTime<Utc>) -> Result<Campaign, Error> {
    let spec = new.to_spec(now)?;
    conn.write_transaction(|conn| {
        if slug_taken(conn, &spec.slug)? {
            return Err(taken());
        }
        let id = campaign::insert(conn, &spec, CampaignState::Draft, CampaignSource::Staff, now.naive_utc()).map_err(
            |e| match e {
                // Another request took the slug since the check above.
                Error::Db(demeu_db::DbError::Query(q)) if demeu_db::is_unique_violation(&q) => taken(),
                e => e,
            },
        )?;
        let details = json!({"slug": spec.slug, "goal": spec.plan.goal().minor, "currency": spec.currency.as_str()});
        demeu_db::audit::record(conn, Some(actor), "campaign.create", &format!("campaign:{id}"), &details)?;
        campaign::find_by_id(conn, id)
    })
}

/// Applies `patch` to the campaign `slug` as `actor`, who may change what `authority` allows.
/// An open or closed campaign's slug and currency are fixed (links, QR codes and counted money
/// depend on them); its money fields change only with a reason. Audited: which texts changed,
/// and each money field's old and new value.
pub fn edit(
    conn: &mut DbConn,
    slug: &str,
    patch: &CampaignPatch,
    authority: Authority,
    actor: StaffUserId,
    now: DateTime<Utc>,
) -> Result<Campaign, Error> {
    conn.write_transaction(|conn| {
        let old = campaign::find_by_slug(conn, slug)?;
        let sent_money = patch.money_fields(&old.spec);
        if authority == Authority::Texts && !sent_money.is_empty() {
            return Err(Error::NotAllowed(format!("only an admin may change {}", sent_money.join(", "))));
        }
        let new = patch.applied_to(&old.spec)?;
        let money = money_changes(&old.spec, &new);
        let words = text_changes(&old.spec, &new);
        // The rule itself, on what would be stored (the check above reads what was sent, to
        // answer before any other refusal): no words-only edit changes money, however spelt.
        if authority == Authority::Texts && !money.is_empty() {
            let fields: Vec<&str> = money.iter().map(|c| c.field).collect();
            return Err(Error::NotAllowed(format!("only an admin may change {}", fields.join(", "))));
        }
        let mut errors = Vec::new();
        if old.state != CampaignState::Draft {
            if old.spec.slug != new.slug {
                errors.push(
                    FieldError::new("slug", "cannot change once the campaign is open: links and QR codes point to it")
                        .translated("error-fixed-once-open", vec![]),
                );
            }
            if old.spec.currency != new.currency {
                errors.push(
                    FieldError::new("currency", "cannot change once the campaign is open")
                        .translated("error-fixed-once-open", vec![]),
                );
            }
        }
        // Spending names its line by key: a line spent on stays in the plan (its expenses, the
        // report and reconciliation read it).
        let spent_lines = crate::expense::spent_lines(conn, old.id)?;
        let dropped: Vec<&str> =
            spent_lines.iter().map(String::as_str).filter(|k| !new.plan.lines().iter().any(|l| l.key == *k)).collect();
        if !dropped.is_empty() {
            let keys = dropped.join(", ");
            errors.push(
                FieldError::new("plan", format!("must keep the lines money was spent on ({keys})"))
                    .translated("error-plan-keeps-spent", vec![("keys", keys)]),
            );
        }
        let reason = patch.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
        if old.state != CampaignState::Draft && !money.is_empty() && reason.is_none() {
            let fields: Vec<&str> = money.iter().map(|c| c.field).collect();
            errors.push(
                FieldError::new("reason", format!("is required to change {} of an open campaign", fields.join(", ")))
                    .translated("error-reason-needed", vec![("fields", fields.join(", "))]),
            );
        }
        if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
            errors.push(FieldError::at_most_chars("reason", MAX_REASON_CHARS));
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        if money.is_empty() && words.is_empty() {
            return Ok(old);
        }
        if new.slug != old.spec.slug && slug_taken(conn, &new.slug)? {
            return Err(taken());
        }
        campaign::store_spec(conn, old.id, &new, now.naive_utc())?;
        let changes: serde_json::Map<String, Value> =
            money.iter().map(|c| (c.field.to_string(), json!({"old": c.old, "new": c.new}))).collect();
        let details = json!({"slug": new.slug, "money": changes, "texts": words, "reason": reason});
        demeu_db::audit::record(conn, Some(actor), "campaign.edit", &format!("campaign:{}", old.id), &details)?;
        campaign::find_by_id(conn, old.id)
    })
}

/// Opens a draft: it becomes public, and takes gifts by its dates. Audited.
pub fn open(conn: &mut DbConn, slug: &str, actor: StaffUserId, now: DateTime<Utc>) -> Result<Campaign, Error> {
    conn.write_transaction(|conn| {
        let campaign = campaign::find_by_slug(conn, slug)?;
        if campaign.state != CampaignState::Draft {
            return Err(Error::Conflict(format!("the campaign is {}, not a draft", campaign.state)));
        }
        campaign::set_state(conn, campaign.id, CampaignState::Open, None, None, now.naive_utc())?;
        demeu_db::audit::record(
            conn,
            Some(actor),
            "campaign.open",
            &format!("campaign:{}", campaign.id),
            &json!({"slug": slug}),
        )?;
        campaign::find_by_id(conn, campaign.id)
    })
}

/// Closes an open campaign: it takes no new gifts (a checkout begun before may still be paid,
/// see `payment_check`), and shows what was raised. `continues_as` names an open campaign its
/// monthly gifts move to. Audited.
///
/// Its running monthly gifts go on for the successor, each passed to `moved` (to tell its
/// donor) in the same transaction; a successor that cannot take them (another currency, no
/// monthly gifts) is refused by `continues_as`. Without a successor they are left running for
/// the caller to stop at their providers (which cannot be done inside a transaction).
pub fn close(
    conn: &mut DbConn,
    slug: &str,
    continues_as: Option<&str>,
    actor: StaffUserId,
    now: DateTime<Utc>,
    moved: &dyn Fn(&mut DbConn, &crate::subscription::Subscription) -> Result<(), Error>,
) -> Result<Campaign, Error> {
    conn.write_transaction(|conn| {
        let campaign = campaign::find_by_slug(conn, slug)?;
        if campaign.state != CampaignState::Open {
            return Err(Error::Conflict(format!("the campaign is {}, not open", campaign.state)));
        }
        let successor = match continues_as {
            None => None,
            Some(next) => {
                let refuse = |why: &str| Error::Invalid(vec![FieldError::new("continues_as", why)]);
                let next = campaign::find_by_slug(conn, next).map_err(|e| match e {
                    Error::NotFound(_) => refuse("is not a campaign"),
                    e => e,
                })?;
                if next.id == campaign.id {
                    return Err(refuse("must be another campaign"));
                }
                if next.state != CampaignState::Open {
                    return Err(refuse("must be an open campaign"));
                }
                let running = crate::subscription::running_for(conn, campaign.id)?;
                if !running.is_empty() && next.spec.currency != campaign.spec.currency {
                    return Err(refuse("counts another currency: this campaign's monthly gifts cannot go on there"));
                }
                if !running.is_empty() && !next.spec.allows_monthly {
                    return Err(refuse("takes no monthly gifts: this campaign's cannot go on there"));
                }
                for gift in running {
                    // Told as the gift was: of the campaign that closed, to go on for `next`.
                    moved(conn, &gift)?;
                    crate::subscription::move_to(conn, gift.id, next.id)?;
                }
                Some(next)
            }
        };
        let successor_id = successor.as_ref().map(|s| s.id);
        campaign::set_state(
            conn,
            campaign.id,
            CampaignState::Closed,
            Some(now.naive_utc()),
            successor_id,
            now.naive_utc(),
        )?;
        let details = json!({"slug": slug, "continues_as": successor.as_ref().map(|s| s.spec.slug.clone())});
        demeu_db::audit::record(conn, Some(actor), "campaign.close", &format!("campaign:{}", campaign.id), &details)?;
        campaign::find_by_id(conn, campaign.id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::tests::example;

    fn fields(result: Result<CampaignSpec, Error>) -> Vec<String> {
        match result {
            Err(Error::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    fn new_campaign() -> NewCampaign {
        serde_json::from_value(json!({
            "slug": "autumn-school",
            "titles": {"kk": "Күзгі мектеп", "ru": "Осенняя школа", "en": "Autumn School"},
            "currency": "KZT", "goal": 22_500_000, "min_pledge": 50_000, "max_pledge": 500_000_000,
            "presets": [{"amount": 500_000, "labels": {"ru": "час психолога"}}],
            "plan": [{"key": "school", "titles": {"ru": "Школа"}, "tier": "goal", "target": 22_500_000}],
            "locale": "ru"
        }))
        .expect("a request")
    }

    #[test]
    fn a_new_campaign_is_checked_whole_and_every_fault_named() {
        let now = "2026-12-01T00:00:00Z".parse().expect("now");
        let spec = new_campaign().to_spec(now).expect("valid");
        assert_eq!((spec.starts_at, spec.presets[0].labels.ru.as_str()), (now, "час психолога"));
        let mut bad = new_campaign();
        bad.slug = "Autumn School".into();
        bad.titles.insert("kz".into(), "x".into());
        bad.plan[0].titles = [("en".to_string(), "School".to_string())].into();
        bad.presets[0].amount = 100;
        bad.starts_at = Some(now);
        bad.ends_at = Some(now - chrono::Duration::days(1));
        assert_eq!(
            fields(bad.to_spec(now)),
            ["titles.kz", "slug", "plan[0].titles.ru", "presets[0].amount", "ends_at"]
        );
        let mut bad = new_campaign();
        bad.currency = "RUB".into();
        bad.locale = "de".into();
        bad.goal = 1;
        assert_eq!(fields(bad.to_spec(now)), ["currency", "locale", "goal"]);
        let unknown = serde_json::from_value::<NewCampaign>(json!({"slug": "x", "colour": "red"}));
        assert!(unknown.is_err(), "an unknown field is refused, not ignored");
    }

    #[test]
    fn words_are_not_money_but_amounts_and_dates_are() {
        let old = example().spec;
        let retitled = CampaignPatch {
            titles: Some([("en".to_string(), "Mentors".to_string())].into()),
            plan: Some(vec![LineInput {
                key: "a".into(),
                titles: [("ru".to_string(), "Новое название".to_string())].into(),
                tier: "goal".into(),
                target: Some(100),
            }]),
            ..CampaignPatch::default()
        };
        let new = retitled.applied_to(&old).expect("valid");
        assert_eq!(new.titles.ru, "Наставники", "languages not sent are kept");
        assert_eq!(new.titles.en, "Mentors");
        assert!(money_changes(&old, &new).is_empty());
        assert_eq!(text_changes(&old, &new), ["titles", "plan.titles"]);
        let regoaled = CampaignPatch {
            goal: Some(200),
            plan: Some(vec![LineInput {
                key: "a".into(),
                titles: [("ru".to_string(), "Всё".to_string())].into(),
                tier: "goal".into(),
                target: Some(200),
            }]),
            ends_at: Some(None),
            ..CampaignPatch::default()
        };
        let new = regoaled.applied_to(&old).expect("valid");
        let changed: Vec<&str> = money_changes(&old, &new).iter().map(|c| c.field).collect();
        assert_eq!(changed, ["goal", "plan"]);
        assert_eq!(money_changes(&old, &new)[0].old, json!(100));
        let unbalanced = CampaignPatch { goal: Some(300), ..CampaignPatch::default() };
        assert_eq!(fields(unbalanced.applied_to(&old)), ["goal"]);
    }

    #[test]
    fn what_is_sent_says_whether_money_would_change() {
        let old = example().spec;
        let same: CampaignPatch =
            serde_json::from_value(json!({"goal": 100, "presets": [{"amount": 500_000, "labels": {"ru": "x"}}]}))
                .expect("patch");
        assert!(same.money_fields(&old).is_empty(), "the same amounts, new words");
        let unbalanced: CampaignPatch = serde_json::from_value(json!({"goal": 300})).expect("patch");
        assert_eq!(unbalanced.money_fields(&old), ["goal"], "named though the plan would refuse it");
        let dates: CampaignPatch =
            serde_json::from_value(json!({"ends_at": null, "starts_at": "2027-01-01T00:00:00Z"})).expect("patch");
        assert_eq!(dates.money_fields(&old), ["starts_at"], "ends_at was null already");
    }

    #[test]
    fn a_sent_null_end_differs_from_an_absent_one() {
        let cleared: CampaignPatch = serde_json::from_value(json!({"ends_at": null})).expect("patch");
        assert_eq!(cleared.ends_at, Some(None));
        let absent: CampaignPatch = serde_json::from_value(json!({})).expect("patch");
        assert_eq!(absent.ends_at, None);
    }
}

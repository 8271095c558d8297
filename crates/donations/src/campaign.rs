//! Campaigns: defined in configuration, stored at start-up, read with their running totals.

use crate::ids::CampaignId;
use crate::plan::Tier;
use chrono::{DateTime, NaiveDateTime, Utc};
use demeu_db::schema::{budget_lines, campaigns};
use demeu_db::DbConn;
use diesel::prelude::*;
use serde::Serialize;

use crate::allocation::{allocate, Allocation};
use crate::money::{Currency, Money};
use crate::plan::{BudgetLine, FundingPlan};
use crate::totals::{self, Totals};
use crate::Error;

/// A campaign as configuration defines it, its plan already validated.
#[derive(Debug, Clone)]
pub struct CampaignSpec {
    /// URL name, e.g. `mentors`.
    pub slug: String,
    /// Shown title.
    pub title: String,
    /// Shown description.
    pub description: String,
    /// The currency of every amount.
    pub currency: Currency,
    /// Language of mail and pages.
    pub locale: Locale,
    /// When pledges open.
    pub starts_at: DateTime<Utc>,
    /// When pledges close; `None` keeps the campaign open.
    pub ends_at: Option<DateTime<Utc>>,
    /// Smallest online pledge.
    pub min_pledge: Money,
    /// Largest online pledge.
    pub max_pledge: Money,
    /// The budget lines and goal.
    pub plan: FundingPlan,
}

/// Whether a campaign takes pledges now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CampaignStatus {
    /// Not started yet.
    Upcoming,
    /// Taking pledges.
    Active,
    /// Closed.
    Ended,
}

impl CampaignStatus {
    /// The status at `now` of a campaign open from `starts_at` until `ends_at`.
    pub fn between(starts_at: DateTime<Utc>, ends_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> CampaignStatus {
        if now < starts_at {
            CampaignStatus::Upcoming
        } else if ends_at.is_some_and(|end| now >= end) {
            CampaignStatus::Ended
        } else {
            CampaignStatus::Active
        }
    }

    /// The name shown.
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Upcoming => "upcoming",
            CampaignStatus::Active => "active",
            CampaignStatus::Ended => "ended",
        }
    }
}

pub use demeu_db::locale::Locale;

/// A stored campaign.
#[derive(Debug, Clone)]
pub struct Campaign {
    /// Database id.
    pub id: CampaignId,
    /// Everything configuration said.
    pub spec: CampaignSpec,
}

impl Campaign {
    /// Upcoming before the start, ended from the end on, active between.
    pub fn status_at(&self, now: DateTime<Utc>) -> CampaignStatus {
        CampaignStatus::between(self.spec.starts_at, self.spec.ends_at, now)
    }
}

/// A campaign with the money counted so far.
#[derive(Debug, Clone)]
pub struct Progress {
    /// The campaign.
    pub campaign: Campaign,
    /// Net amount counted.
    pub raised: Money,
    /// Pledges whose counted amount is above zero.
    pub pledges: i64,
    /// The plan filled with `raised`.
    pub allocation: Allocation,
}

impl Progress {
    /// Raised as a percentage of the goal, floored to hundredths; for display only.
    pub fn percent(&self) -> f64 {
        let goal = i128::from(self.campaign.spec.plan.goal().minor);
        let hundredths = i128::from(self.raised.minor.max(0)) * 10_000 / goal;
        // Exact: hundredths of a percent fit an f64 mantissa for any i64 amount.
        hundredths as f64 / 100.0
    }
}

#[derive(Queryable, Insertable, AsChangeset)]
#[diesel(table_name = campaigns)]
struct CampaignRow {
    id: CampaignId,
    slug: String,
    title: String,
    description: String,
    currency: Currency,
    locale: Locale,
    goal: i64,
    min_pledge: i64,
    max_pledge: i64,
    starts_at: NaiveDateTime,
    ends_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = budget_lines)]
struct LineRow {
    id: String,
    campaign_id: CampaignId,
    position: i32,
    key: String,
    title: String,
    tier: Tier,
    target: Option<i64>,
}

/// Stores `spec`, creating the campaign or bringing a stored one up to date with configuration,
/// and makes sure its totals row exists. The running totals themselves are never touched here.
pub fn sync(conn: &mut DbConn, spec: &CampaignSpec) -> Result<CampaignId, Error> {
    conn.write_transaction(|conn| {
        let now = demeu_db::now();
        let existing: Option<(CampaignId, NaiveDateTime)> = campaigns::table
            .filter(campaigns::slug.eq(&spec.slug))
            .select((campaigns::id, campaigns::created_at))
            .first(conn)
            .optional()?;
        let is_new = existing.is_none();
        let (id, created_at) = match existing {
            Some((id, created)) => (id, created),
            None => (CampaignId::new(), now),
        };
        let row = CampaignRow {
            id,
            slug: spec.slug.clone(),
            title: spec.title.clone(),
            description: spec.description.clone(),
            currency: spec.currency,
            locale: spec.locale,
            goal: spec.plan.goal().minor,
            min_pledge: spec.min_pledge.minor,
            max_pledge: spec.max_pledge.minor,
            starts_at: spec.starts_at.naive_utc(),
            ends_at: spec.ends_at.map(|e| e.naive_utc()),
            created_at,
            updated_at: now,
        };
        if !is_new {
            diesel::update(campaigns::table.find(id)).set(&row).execute(conn)?;
        } else {
            diesel::insert_into(campaigns::table).values(&row).execute(conn)?;
            totals::create(conn, id, now)?;
        }
        // The plan is configuration: replaced whole. Allocation is computed, so nothing else
        // refers to these rows.
        diesel::delete(budget_lines::table.filter(budget_lines::campaign_id.eq(id))).execute(conn)?;
        for (position, line) in spec.plan.lines().iter().enumerate() {
            let row = LineRow {
                id: uuid::Uuid::new_v4().to_string(),
                campaign_id: id,
                position: i32::try_from(position).map_err(|_| Error::Corrupt("too many budget lines".into()))?,
                key: line.key.clone(),
                title: line.title.clone(),
                tier: line.tier,
                target: line.target.map(|t| t.minor),
            };
            diesel::insert_into(budget_lines::table).values(&row).execute(conn)?;
        }
        Ok(id)
    })
}

fn campaign_from_rows(row: CampaignRow, lines: Vec<LineRow>) -> Result<Campaign, Error> {
    // Every amount of a campaign's rows counts its currency's minor unit.
    let money = |minor| Money::new(minor, row.currency);
    let lines = lines
        .into_iter()
        .map(|l| Ok(BudgetLine { key: l.key, title: l.title, tier: l.tier, target: l.target.map(money) }))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Campaign {
        id: row.id,
        spec: CampaignSpec {
            slug: row.slug,
            title: row.title,
            description: row.description,
            currency: row.currency,
            locale: row.locale,
            starts_at: demeu_db::utc(row.starts_at),
            ends_at: row.ends_at.map(demeu_db::utc),
            min_pledge: money(row.min_pledge),
            max_pledge: money(row.max_pledge),
            plan: FundingPlan::new(money(row.goal), lines)?,
        },
    })
}

fn lines_of(conn: &mut DbConn, campaign_id: CampaignId) -> Result<Vec<LineRow>, Error> {
    Ok(budget_lines::table
        .filter(budget_lines::campaign_id.eq(campaign_id))
        .order(budget_lines::position.asc())
        .load(conn)?)
}

/// The campaign named `slug`.
pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> Result<Campaign, Error> {
    let row: CampaignRow =
        campaigns::table.filter(campaigns::slug.eq(slug)).first(conn).optional()?.ok_or(Error::NotFound("campaign"))?;
    let lines = lines_of(conn, row.id)?;
    campaign_from_rows(row, lines)
}

/// The campaign with database id `id`.
pub fn find_by_id(conn: &mut DbConn, id: CampaignId) -> Result<Campaign, Error> {
    let row: CampaignRow = campaigns::table.find(id).first(conn).optional()?.ok_or(Error::NotFound("campaign"))?;
    let lines = lines_of(conn, row.id)?;
    campaign_from_rows(row, lines)
}

/// One campaign's progress, read from its running totals: the cost does not grow with pledges.
pub fn progress(conn: &mut DbConn, slug: &str) -> Result<Progress, Error> {
    let campaign = find_by_slug(conn, slug)?;
    progress_of(conn, campaign)
}

fn progress_of(conn: &mut DbConn, campaign: Campaign) -> Result<Progress, Error> {
    let Totals { net_raised: raised, counted_pledges: pledges } =
        totals::of(conn, campaign.id, campaign.spec.currency)?;
    let allocation = allocate(&campaign.spec.plan, raised);
    Ok(Progress { campaign, raised, pledges, allocation })
}

/// What a campaign's public progress is made of that can change while the server runs: its
/// running totals and its dates. Reading it costs two small queries whatever the pledges, so that
/// a server can tell cheaply whether what it shows is still true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressStamp {
    /// The campaign.
    pub slug: String,
    /// Net raised.
    pub raised: Money,
    /// Counted pledges.
    pub pledges: i64,
    /// When pledges open.
    pub starts_at: DateTime<Utc>,
    /// When pledges close.
    pub ends_at: Option<DateTime<Utc>>,
}

/// Every campaign's stamp, in slug order.
pub fn progress_stamps(conn: &mut DbConn) -> Result<Vec<ProgressStamp>, Error> {
    let rows: Vec<(CampaignId, String, Currency, NaiveDateTime, Option<NaiveDateTime>)> = campaigns::table
        .select((campaigns::id, campaigns::slug, campaigns::currency, campaigns::starts_at, campaigns::ends_at))
        .order(campaigns::slug.asc())
        .load(conn)?;
    let totals = totals::all(conn)?;
    rows.into_iter()
        .map(|(id, slug, currency, starts_at, ends_at)| {
            let sums = totals.get(&id).ok_or_else(|| Error::Corrupt(format!("campaign {slug} has no totals rows")))?;
            let sums = sums.in_currency(currency);
            Ok(ProgressStamp {
                slug,
                raised: sums.net_raised,
                pledges: sums.counted_pledges,
                starts_at: starts_at.and_utc(),
                ends_at: ends_at.map(|t| t.and_utc()),
            })
        })
        .collect()
}

/// Every campaign's progress, oldest first.
pub fn list_progress(conn: &mut DbConn) -> Result<Vec<Progress>, Error> {
    let rows: Vec<CampaignRow> =
        campaigns::table.order((campaigns::starts_at.asc(), campaigns::slug.asc())).load(conn)?;
    rows.into_iter()
        .map(|row| {
            let lines = lines_of(conn, row.id)?;
            let campaign = campaign_from_rows(row, lines)?;
            progress_of(conn, campaign)
        })
        .collect()
}

impl CampaignSpec {
    /// Checks what the plan's own validation does not: the slug, the locale and the pledge
    /// limits. The error names the offending key.
    pub fn validate(&self) -> Result<(), crate::FieldError> {
        use crate::FieldError;
        let slug_ok = !self.slug.is_empty()
            && self.slug.len() <= 64
            && self.slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !slug_ok {
            return Err(FieldError::new("slug", "must be 1 to 64 of a-z, 0-9 and -"));
        }
        if self.title.trim().is_empty() {
            return Err(FieldError::new("title", "must not be empty"));
        }
        if !self.min_pledge.is_positive() {
            return Err(FieldError::new("min_pledge", "must be above zero"));
        }
        if self.min_pledge.currency != self.currency || self.max_pledge.currency != self.currency {
            return Err(FieldError::new("currency", "the pledge limits must be in the campaign's currency"));
        }
        if self.plan.currency() != self.currency {
            return Err(FieldError::new("currency", "the plan must be in the campaign's currency"));
        }
        if self.max_pledge < self.min_pledge {
            return Err(FieldError::new("max_pledge", "must not be below min_pledge"));
        }
        if self.ends_at.is_some_and(|end| end <= self.starts_at) {
            return Err(FieldError::new("ends_at", "must be after starts_at"));
        }
        Ok(())
    }
}

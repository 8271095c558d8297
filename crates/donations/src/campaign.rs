//! Campaigns: stored rows (staff edit them; configuration's are imported once), read with their
//! running totals.

use crate::ids::CampaignId;
use crate::plan::Tier;
use chrono::{DateTime, NaiveDateTime, Utc};
use demeu_db::locale::Texts;
use demeu_db::schema::{budget_lines, campaign_presets, campaigns};
use demeu_db::DbConn;
use diesel::prelude::*;
use serde::Serialize;

use crate::allocation::{allocate, Allocation};
use crate::money::{Currency, Money};
use crate::plan::{BudgetLine, FundingPlan};
use crate::totals::{self, Totals};
use crate::Error;

/// A campaign as staff (or, the first time, configuration) define it, its plan already
/// validated. Its lifecycle ([`CampaignState`]) is not part of it: that changes by opening and
/// closing, never by editing.
#[derive(Debug, Clone)]
pub struct CampaignSpec {
    /// URL name, e.g. `mentors`.
    pub slug: String,
    /// The title in each language; the default language's is required.
    pub titles: Texts,
    /// One or two sentences under the title, and what a shared link says.
    pub summaries: Texts,
    /// The page's story, Markdown (rendered and sanitized as news is).
    pub stories: Texts,
    /// The currency of every amount.
    pub currency: Currency,
    /// The language of mail and pages when the reader's is not known.
    pub locale: Locale,
    /// When pledges open.
    pub starts_at: DateTime<Utc>,
    /// When pledges close; `None` keeps the campaign open.
    pub ends_at: Option<DateTime<Utc>>,
    /// Smallest online pledge.
    pub min_pledge: Money,
    /// Largest online pledge.
    pub max_pledge: Money,
    /// The amounts the give form offers, in order.
    pub presets: Vec<Preset>,
    /// Whether it takes monthly gifts as well as one-off ones.
    pub allows_monthly: bool,
    /// The budget lines and goal.
    pub plan: FundingPlan,
}

/// An amount the give form offers, with what it buys ("5 000 ₸ — an hour of a psychologist").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    /// The amount.
    pub amount: Money,
    /// What it buys, per language; may be empty.
    pub labels: Texts,
    /// Chosen when the give form opens (at most one of a campaign's).
    pub is_default: bool,
}

demeu_db::stored_enum! {
    /// Where a campaign is in its life: staff prepare a draft, open it, and close it.
    pub enum CampaignState("campaign state") {
        /// Seen by staff only (a preview); takes no gifts.
        Draft = "draft",
        /// Public; upcoming or taking gifts by its dates.
        Open = "open",
        /// Public, shows what was raised; takes no new gifts.
        Closed = "closed",
    }
}

demeu_db::stored_enum! {
    /// Who made a campaign's row.
    pub enum CampaignSource("campaign source") {
        /// Imported from `[[campaigns]]` in configuration (once).
        Configuration = "configuration",
        /// Created by staff.
        Staff = "staff",
    }
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
    /// Everything staff said.
    pub spec: CampaignSpec,
    /// Draft, open or closed.
    pub state: CampaignState,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// The campaign a closed one continues as.
    pub successor: Option<CampaignId>,
    /// When its row last changed: what shows it is out of date once this differs.
    pub updated_at: DateTime<Utc>,
}

impl Campaign {
    /// A draft takes no gifts yet and a closed campaign none any more; an open one is upcoming
    /// before its start, ended from its end on, active between.
    pub fn status_at(&self, now: DateTime<Utc>) -> CampaignStatus {
        status_of(self.state, self.spec.starts_at, self.spec.ends_at, now)
    }

    /// Whether the public may see it: drafts are for staff.
    pub fn is_public(&self) -> bool {
        self.state != CampaignState::Draft
    }

    /// The title a reader of `lang` sees.
    pub fn title(&self, lang: Locale) -> &str {
        self.spec.titles.shown(lang, self.spec.locale)
    }

    /// The summary a reader of `lang` sees.
    pub fn summary(&self, lang: Locale) -> &str {
        self.spec.summaries.shown(lang, self.spec.locale)
    }

    /// The story a reader of `lang` sees, if there is one.
    pub fn story(&self, lang: Locale) -> Option<&str> {
        Some(self.spec.stories.shown(lang, self.spec.locale)).filter(|s| !s.is_empty())
    }

    /// Days until the end, counted up (a campaign ending in three hours has one day left);
    /// `None` for an open-ended campaign, 0 once it has ended or closed.
    pub fn days_left(&self, now: DateTime<Utc>) -> Option<i64> {
        let end = self.spec.ends_at?;
        if self.status_at(now) == CampaignStatus::Ended {
            return Some(0);
        }
        let seconds = (end - now).num_seconds().max(0);
        Some((seconds + 86_399) / 86_400)
    }
}

/// The status of a campaign in `state` open from `starts_at` until `ends_at`, at `now`.
pub fn status_of(
    state: CampaignState,
    starts_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> CampaignStatus {
    match state {
        CampaignState::Draft => CampaignStatus::Upcoming,
        CampaignState::Closed => CampaignStatus::Ended,
        CampaignState::Open => CampaignStatus::between(starts_at, ends_at, now),
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

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = campaigns)]
struct CampaignRow {
    id: CampaignId,
    #[diesel(embed)]
    spec: SpecColumns,
    created_at: NaiveDateTime,
    state: CampaignState,
    closed_at: Option<NaiveDateTime>,
    successor_id: Option<CampaignId>,
    source: CampaignSource,
    imported_from: Option<String>,
}

/// The columns a [`CampaignSpec`] is stored in (its lines and presets have tables of their own).
#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = campaigns)]
struct SpecColumns {
    slug: String,
    currency: Currency,
    locale: Locale,
    goal: i64,
    min_pledge: i64,
    max_pledge: i64,
    starts_at: NaiveDateTime,
    ends_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
    title_kk: String,
    title_ru: String,
    title_en: String,
    summary_kk: String,
    summary_ru: String,
    summary_en: String,
    story_kk: String,
    story_ru: String,
    story_en: String,
    allows_monthly: bool,
}

impl SpecColumns {
    fn of(spec: &CampaignSpec, updated_at: NaiveDateTime) -> SpecColumns {
        let t = |texts: &Texts| (texts.kk.clone(), texts.ru.clone(), texts.en.clone());
        let (title_kk, title_ru, title_en) = t(&spec.titles);
        let (summary_kk, summary_ru, summary_en) = t(&spec.summaries);
        let (story_kk, story_ru, story_en) = t(&spec.stories);
        SpecColumns {
            slug: spec.slug.clone(),
            currency: spec.currency,
            locale: spec.locale,
            goal: spec.plan.goal().minor,
            min_pledge: spec.min_pledge.minor,
            max_pledge: spec.max_pledge.minor,
            starts_at: spec.starts_at.naive_utc(),
            ends_at: spec.ends_at.map(|e| e.naive_utc()),
            updated_at,
            title_kk,
            title_ru,
            title_en,
            summary_kk,
            summary_ru,
            summary_en,
            story_kk,
            story_ru,
            story_en,
            allows_monthly: spec.allows_monthly,
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = budget_lines)]
struct LineRow {
    id: String,
    campaign_id: CampaignId,
    position: i32,
    key: String,
    tier: Tier,
    target: Option<i64>,
    title_kk: String,
    title_ru: String,
    title_en: String,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = campaign_presets)]
struct PresetRow {
    campaign_id: CampaignId,
    position: i32,
    amount: i64,
    label_kk: String,
    label_ru: String,
    label_en: String,
    is_default: bool,
}

/// What [`import_once`] did with a configured campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// It was not stored: now it is, open.
    Created(CampaignId),
    /// A row made before campaigns lived in the database had its slug: configuration's texts,
    /// presets and plan were stored in it, a last time.
    Adopted(CampaignId),
    /// Imported before: what staff made of it since stands.
    AlreadyThere(CampaignId),
    /// Staff created a campaign of that slug: theirs stands and configuration's is not stored.
    SlugTaken(CampaignId),
}

/// Stores a campaign of configuration, once: later starts change nothing, whatever
/// configuration says by then, so that what staff edited is never overwritten.
pub fn import_once(conn: &mut DbConn, spec: &CampaignSpec) -> Result<Imported, Error> {
    conn.write_transaction(|conn| {
        let now = demeu_db::now();
        let imported: Option<CampaignId> = campaigns::table
            .filter(campaigns::imported_from.eq(&spec.slug))
            .select(campaigns::id)
            .first(conn)
            .optional()?;
        if let Some(id) = imported {
            return Ok(Imported::AlreadyThere(id));
        }
        let same_slug: Option<(CampaignId, CampaignSource)> = campaigns::table
            .filter(campaigns::slug.eq(&spec.slug))
            .select((campaigns::id, campaigns::source))
            .first(conn)
            .optional()?;
        match same_slug {
            Some((id, CampaignSource::Staff)) => Ok(Imported::SlugTaken(id)),
            Some((id, CampaignSource::Configuration)) => {
                diesel::update(campaigns::table.find(id))
                    .set((SpecColumns::of(spec, now), campaigns::imported_from.eq(&spec.slug)))
                    .execute(conn)?;
                write_lines_and_presets(conn, id, spec)?;
                Ok(Imported::Adopted(id))
            }
            None => {
                let id = insert(conn, spec, CampaignState::Open, CampaignSource::Configuration, now)?;
                diesel::update(campaigns::table.find(id)).set(campaigns::imported_from.eq(&spec.slug)).execute(conn)?;
                Ok(Imported::Created(id))
            }
        }
    })
}

/// Stores a new campaign in `state` with its totals row. Inside the caller's transaction.
pub(crate) fn insert(
    conn: &mut DbConn,
    spec: &CampaignSpec,
    state: CampaignState,
    source: CampaignSource,
    now: NaiveDateTime,
) -> Result<CampaignId, Error> {
    let id = CampaignId::new();
    let row = CampaignRow {
        id,
        spec: SpecColumns::of(spec, now),
        created_at: now,
        state,
        closed_at: None,
        successor_id: None,
        source,
        imported_from: None,
    };
    diesel::insert_into(campaigns::table).values(&row).execute(conn)?;
    totals::create(conn, id, now)?;
    write_lines_and_presets(conn, id, spec)?;
    Ok(id)
}

/// Stores `spec` over campaign `id`'s (its texts, money fields, lines and presets). Inside the
/// caller's transaction; the rules of who may change what are `campaign_edit`'s.
pub(crate) fn store_spec(
    conn: &mut DbConn,
    id: CampaignId,
    spec: &CampaignSpec,
    now: NaiveDateTime,
) -> Result<(), Error> {
    diesel::update(campaigns::table.find(id)).set(SpecColumns::of(spec, now)).execute(conn)?;
    write_lines_and_presets(conn, id, spec)
}

/// Moves campaign `id` to `state`. Inside the caller's transaction.
pub(crate) fn set_state(
    conn: &mut DbConn,
    id: CampaignId,
    state: CampaignState,
    closed_at: Option<NaiveDateTime>,
    successor: Option<CampaignId>,
    now: NaiveDateTime,
) -> Result<(), Error> {
    diesel::update(campaigns::table.find(id))
        .set((
            campaigns::state.eq(state),
            campaigns::closed_at.eq(closed_at),
            campaigns::successor_id.eq(successor),
            campaigns::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Replaces a campaign's plan lines and presets with `spec`'s. Allocation is computed from the
/// ledger whenever it is read, so nothing else refers to these rows.
fn write_lines_and_presets(conn: &mut DbConn, id: CampaignId, spec: &CampaignSpec) -> Result<(), Error> {
    let position = |i: usize| i32::try_from(i).map_err(|_| Error::Corrupt("too many rows for one campaign".into()));
    diesel::delete(budget_lines::table.filter(budget_lines::campaign_id.eq(id))).execute(conn)?;
    for (i, line) in spec.plan.lines().iter().enumerate() {
        let row = LineRow {
            id: uuid::Uuid::new_v4().to_string(),
            campaign_id: id,
            position: position(i)?,
            key: line.key.clone(),
            tier: line.tier,
            target: line.target.map(|t| t.minor),
            title_kk: line.titles.kk.clone(),
            title_ru: line.titles.ru.clone(),
            title_en: line.titles.en.clone(),
        };
        diesel::insert_into(budget_lines::table).values(&row).execute(conn)?;
    }
    diesel::delete(campaign_presets::table.filter(campaign_presets::campaign_id.eq(id))).execute(conn)?;
    for (i, preset) in spec.presets.iter().enumerate() {
        let row = PresetRow {
            campaign_id: id,
            position: position(i)?,
            amount: preset.amount.minor,
            label_kk: preset.labels.kk.clone(),
            label_ru: preset.labels.ru.clone(),
            label_en: preset.labels.en.clone(),
            is_default: preset.is_default,
        };
        diesel::insert_into(campaign_presets::table).values(&row).execute(conn)?;
    }
    Ok(())
}

/// The one place stored rows become a [`Campaign`].
fn campaign_from_rows(row: CampaignRow, lines: Vec<LineRow>, presets: Vec<PresetRow>) -> Result<Campaign, Error> {
    let c = row.spec;
    // Every amount of a campaign's rows counts its currency's minor unit.
    let money = |minor| Money::new(minor, c.currency);
    let lines = lines
        .into_iter()
        .map(|l| BudgetLine {
            key: l.key,
            titles: Texts { kk: l.title_kk, ru: l.title_ru, en: l.title_en },
            tier: l.tier,
            target: l.target.map(money),
        })
        .collect();
    let presets = presets
        .into_iter()
        .map(|p| Preset {
            amount: money(p.amount),
            labels: Texts { kk: p.label_kk, ru: p.label_ru, en: p.label_en },
            is_default: p.is_default,
        })
        .collect();
    Ok(Campaign {
        id: row.id,
        spec: CampaignSpec {
            slug: c.slug,
            titles: Texts { kk: c.title_kk, ru: c.title_ru, en: c.title_en },
            summaries: Texts { kk: c.summary_kk, ru: c.summary_ru, en: c.summary_en },
            stories: Texts { kk: c.story_kk, ru: c.story_ru, en: c.story_en },
            currency: c.currency,
            locale: c.locale,
            starts_at: demeu_db::utc(c.starts_at),
            ends_at: c.ends_at.map(demeu_db::utc),
            min_pledge: money(c.min_pledge),
            max_pledge: money(c.max_pledge),
            presets,
            allows_monthly: c.allows_monthly,
            plan: FundingPlan::new(money(c.goal), lines)?,
        },
        state: row.state,
        closed_at: row.closed_at.map(demeu_db::utc),
        successor: row.successor_id,
        updated_at: demeu_db::utc(c.updated_at),
    })
}

fn with_rows(conn: &mut DbConn, row: CampaignRow) -> Result<Campaign, Error> {
    let lines = budget_lines::table
        .filter(budget_lines::campaign_id.eq(row.id))
        .order(budget_lines::position.asc())
        .select(LineRow::as_select())
        .load(conn)?;
    let presets = campaign_presets::table
        .filter(campaign_presets::campaign_id.eq(row.id))
        .order(campaign_presets::position.asc())
        .select(PresetRow::as_select())
        .load(conn)?;
    campaign_from_rows(row, lines, presets)
}

/// The campaign named `slug`, in whatever state: for staff and for what already refers to it
/// (a pledge, a post). The public's reads go through [`find_public`].
pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> Result<Campaign, Error> {
    let row: CampaignRow = campaigns::table
        .filter(campaigns::slug.eq(slug))
        .select(CampaignRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("campaign"))?;
    with_rows(conn, row)
}

/// The campaign named `slug` as the public may see it: a draft is not found.
pub fn find_public(conn: &mut DbConn, slug: &str) -> Result<Campaign, Error> {
    Some(find_by_slug(conn, slug)?).filter(Campaign::is_public).ok_or(Error::NotFound("campaign"))
}

/// The campaign with database id `id`.
pub fn find_by_id(conn: &mut DbConn, id: CampaignId) -> Result<Campaign, Error> {
    let row: CampaignRow = campaigns::table
        .find(id)
        .select(CampaignRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("campaign"))?;
    with_rows(conn, row)
}

/// One public campaign's progress, read from its running totals: the cost does not grow with
/// pledges. A draft is not found.
pub fn progress(conn: &mut DbConn, slug: &str) -> Result<Progress, Error> {
    let campaign = find_public(conn, slug)?;
    progress_of(conn, campaign)
}

/// A campaign's progress, whatever its state (a draft's preview shows its empty progress).
pub fn progress_of(conn: &mut DbConn, campaign: Campaign) -> Result<Progress, Error> {
    let Totals { net_raised: raised, counted_pledges: pledges } =
        totals::of(conn, campaign.id, campaign.spec.currency)?;
    let allocation = allocate(&campaign.spec.plan, raised);
    Ok(Progress { campaign, raised, pledges, allocation })
}

/// What a campaign's public progress is made of that can change while the server runs: its
/// running totals, its dates, its state and its last edit. Reading it costs two small queries
/// whatever the pledges, so that a server can tell cheaply whether what it shows is still true.
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
    /// Draft, open or closed.
    pub state: CampaignState,
    /// Its last edit.
    pub updated_at: DateTime<Utc>,
}

impl ProgressStamp {
    /// Its status at `now`.
    pub fn status_at(&self, now: DateTime<Utc>) -> CampaignStatus {
        status_of(self.state, self.starts_at, self.ends_at, now)
    }
}

/// Every campaign's stamp, drafts included (opening one changes the stamp), in slug order.
pub fn progress_stamps(conn: &mut DbConn) -> Result<Vec<ProgressStamp>, Error> {
    type Stamped = (CampaignId, String, Currency, NaiveDateTime, Option<NaiveDateTime>, CampaignState, NaiveDateTime);
    let rows: Vec<Stamped> = campaigns::table
        .select((
            campaigns::id,
            campaigns::slug,
            campaigns::currency,
            campaigns::starts_at,
            campaigns::ends_at,
            campaigns::state,
            campaigns::updated_at,
        ))
        .order(campaigns::slug.asc())
        .load(conn)?;
    let totals = totals::all(conn)?;
    rows.into_iter()
        .map(|(id, slug, currency, starts_at, ends_at, state, updated_at)| {
            let sums = totals.get(&id).ok_or_else(|| Error::Corrupt(format!("campaign {slug} has no totals rows")))?;
            let sums = sums.in_currency(currency);
            Ok(ProgressStamp {
                slug,
                raised: sums.net_raised,
                pledges: sums.counted_pledges,
                starts_at: starts_at.and_utc(),
                ends_at: ends_at.map(|t| t.and_utc()),
                state,
                updated_at: updated_at.and_utc(),
            })
        })
        .collect()
}

/// Which campaigns a list is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Open and closed campaigns.
    Public,
    /// Drafts too.
    Staff,
}

/// The campaigns' progress, oldest first.
pub fn list_progress(conn: &mut DbConn, audience: Audience) -> Result<Vec<Progress>, Error> {
    let mut query = campaigns::table.select(CampaignRow::as_select()).into_boxed();
    if audience == Audience::Public {
        query = query.filter(campaigns::state.ne(CampaignState::Draft));
    }
    let rows: Vec<CampaignRow> = query.order((campaigns::starts_at.asc(), campaigns::slug.asc())).load(conn)?;
    rows.into_iter()
        .map(|row| {
            let campaign = with_rows(conn, row)?;
            progress_of(conn, campaign)
        })
        .collect()
}

/// The longest title, in characters: one line on a phone, two at most.
pub const MAX_TITLE_CHARS: usize = 120;
/// The longest summary: what a shared link's preview shows.
pub const MAX_SUMMARY_CHARS: usize = 500;
/// The longest story: a long read, not a book.
pub const MAX_STORY_CHARS: usize = 40_000;
/// The longest preset label or plan line title.
pub const MAX_LABEL_CHARS: usize = 160;
/// The most presets a give form shows.
pub const MAX_PRESETS: usize = 8;

/// Whether `slug` can name a campaign in a URL: 1 to 64 of a-z, 0-9 and `-`.
pub fn slug_is_valid(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 64
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl CampaignSpec {
    /// The preset the give form opens with: the one staff marked, else the middle one (the
    /// lower middle of an even number: of 2 000, 5 000, 10 000 and 25 000 ₸, 5 000), an
    /// amount most donors can give without being the smallest on offer; none without presets.
    pub fn chosen_preset(&self) -> Option<&Preset> {
        let marked = self.presets.iter().find(|p| p.is_default);
        marked.or_else(|| self.presets.get(self.presets.len().saturating_sub(1) / 2))
    }

    /// Checks what the plan's own validation does not: the slug, the titles in the campaign's
    /// language (its own and every plan line's), the texts' lengths, the pledge limits, the
    /// presets within them, the dates' order. Every field at fault is named, as the staff API
    /// names it (`titles.kk`, `plan[1].titles.ru`, `presets[0].amount`).
    pub fn validate(&self) -> Result<(), Vec<crate::FieldError>> {
        use crate::FieldError;
        let mut errors = Vec::new();
        if !slug_is_valid(&self.slug) {
            errors.push(
                FieldError::new("slug", "must be 1 to 64 of a-z, 0-9 and -").translated("error-campaign-slug", vec![]),
            );
        }
        let lang = self.locale;
        let mut texts = |field: &str, texts: &Texts, required: bool, max: usize| {
            if required && texts.get(lang).is_none() {
                errors.push(
                    FieldError::new(
                        &format!("{field}.{lang}"),
                        format!("is required in the campaign's language ({lang})"),
                    )
                    .translated("error-in-campaign-language", vec![("lang", lang.to_string())]),
                );
            }
            for (l, text) in texts.present() {
                if text.chars().count() > max {
                    errors.push(FieldError::at_most_chars(&format!("{field}.{l}"), max));
                }
            }
        };
        texts("titles", &self.titles, true, MAX_TITLE_CHARS);
        texts("summaries", &self.summaries, false, MAX_SUMMARY_CHARS);
        texts("stories", &self.stories, false, MAX_STORY_CHARS);
        for (i, line) in self.plan.lines().iter().enumerate() {
            texts(&format!("plan[{i}].titles"), &line.titles, true, MAX_LABEL_CHARS);
        }
        for (i, preset) in self.presets.iter().enumerate() {
            texts(&format!("presets[{i}].labels"), &preset.labels, false, MAX_LABEL_CHARS);
        }
        if self.min_pledge.currency != self.currency || self.max_pledge.currency != self.currency {
            errors.push(FieldError::new("currency", "the pledge limits must be in the campaign's currency"));
        } else if !self.min_pledge.is_positive() {
            errors.push(FieldError::new("min_pledge", "must be above zero").translated("error-above-zero", vec![]));
        } else if self.max_pledge < self.min_pledge {
            errors.push(
                FieldError::new("max_pledge", "must not be below min_pledge").translated("error-max-below-min", vec![]),
            );
        } else {
            for (i, preset) in self.presets.iter().enumerate() {
                let inside = preset.amount.currency == self.currency
                    && preset.amount >= self.min_pledge
                    && preset.amount <= self.max_pledge;
                if !inside {
                    let mut error = crate::money::amount_out_of_range(self.min_pledge, self.max_pledge);
                    error.field = format!("presets[{i}].amount");
                    errors.push(error);
                }
            }
        }
        if self.presets.iter().filter(|p| p.is_default).count() > 1 {
            errors.push(
                FieldError::new("presets", "at most one preset may be chosen by default")
                    .translated("error-one-default-preset", vec![]),
            );
        }
        if self.presets.len() > MAX_PRESETS {
            errors.push(FieldError::new("presets", format!("must be at most {MAX_PRESETS}")));
        }
        if self.plan.currency() != self.currency {
            errors.push(FieldError::new("currency", "the plan must be in the campaign's currency"));
        }
        if self.ends_at.is_some_and(|end| end <= self.starts_at) {
            errors.push(
                FieldError::new("ends_at", "must be after starts_at").translated("error-end-before-start", vec![]),
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::plan::tests::{kzt, line};

    /// An open campaign with one goal line, every limit the shipped defaults.
    pub(crate) fn example() -> Campaign {
        let t = |s: &str| s.parse::<DateTime<Utc>>().expect("time");
        Campaign {
            id: CampaignId::from(uuid::Uuid::nil()),
            spec: CampaignSpec {
                slug: "mentors".into(),
                titles: Texts {
                    kk: "Тәлімгерлер".into(), ru: "Наставники".into(), en: String::new()
                },
                summaries: Texts::default(),
                stories: Texts::default(),
                currency: Currency::Kzt,
                locale: Locale::Ru,
                starts_at: t("2026-11-01T00:00:00Z"),
                ends_at: None,
                min_pledge: kzt(50_000),
                max_pledge: kzt(500_000_000),
                presets: vec![Preset { amount: kzt(500_000), labels: Texts::default(), is_default: false }],
                allows_monthly: true,
                plan: FundingPlan::new(
                    kzt(100),
                    vec![BudgetLine { titles: Texts::one(Locale::Ru, "Всё"), ..line("a", Tier::Goal, Some(100)) }],
                )
                .expect("plan"),
            },
            state: CampaignState::Open,
            closed_at: None,
            successor: None,
            updated_at: t("2026-11-01T00:00:00Z"),
        }
    }

    fn fields(spec: &CampaignSpec) -> Vec<String> {
        spec.validate().err().unwrap_or_default().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn every_field_at_fault_is_named_at_once() {
        assert_eq!(fields(&example().spec), Vec::<String>::new());
        let mut spec = example().spec;
        spec.slug = "Mentors!".into();
        spec.titles.ru = " ".into();
        spec.presets.push(Preset { amount: kzt(100), labels: Texts::default(), is_default: false });
        spec.ends_at = Some(spec.starts_at);
        spec.summaries.en = "x".repeat(MAX_SUMMARY_CHARS + 1);
        assert_eq!(fields(&spec), ["slug", "titles.ru", "summaries.en", "presets[1].amount", "ends_at"]);
    }

    proptest::proptest! {
        /// The give form opens on exactly one of the presets (none without presets): the one
        /// marked, else the lower middle.
        #[test]
        fn the_form_opens_on_one_preset(amounts in proptest::collection::vec(50_000i64..5_000_000, 0..8), mark in proptest::option::of(0usize..8)) {
            let mut spec = example().spec;
            spec.presets = amounts
                .iter()
                .enumerate()
                .map(|(i, a)| Preset { amount: kzt(*a), labels: Texts::default(), is_default: Some(i) == mark })
                .collect();
            let chosen = spec.chosen_preset().map(std::ptr::from_ref);
            let expected = match mark.filter(|m| *m < amounts.len()) {
                Some(m) => Some(m),
                None if amounts.is_empty() => None,
                None => Some((amounts.len() - 1) / 2),
            };
            proptest::prop_assert_eq!(chosen, expected.map(|i| std::ptr::from_ref(&spec.presets[i])));
        }
    }

    #[test]
    fn one_preset_at_most_is_chosen_by_default() {
        let mut spec = example().spec;
        spec.presets =
            [200_000, 500_000].map(|a| Preset { amount: kzt(a), labels: Texts::default(), is_default: true }).to_vec();
        assert_eq!(fields(&spec), ["presets"]);
        spec.presets[0].is_default = false;
        assert_eq!(fields(&spec), Vec::<String>::new());
    }

    #[test]
    fn a_plan_line_needs_its_title_in_the_campaigns_language() {
        let mut spec = example().spec;
        let only_english = BudgetLine { titles: Texts::one(Locale::En, "All"), ..spec.plan.lines()[0].clone() };
        spec.plan = FundingPlan::new(kzt(100), vec![only_english]).expect("plan");
        assert_eq!(fields(&spec), ["plan[0].titles.ru"]);
        spec.locale = Locale::En;
        spec.titles.en = "Mentors".into();
        assert_eq!(fields(&spec), Vec::<String>::new());
    }

    #[test]
    fn drafts_and_closed_campaigns_take_no_gifts_whatever_their_dates() {
        let now = "2026-12-01T00:00:00Z".parse().expect("now");
        let mut campaign = example();
        assert_eq!(campaign.status_at(now), CampaignStatus::Active);
        campaign.state = CampaignState::Draft;
        assert_eq!(campaign.status_at(now), CampaignStatus::Upcoming);
        assert!(!campaign.is_public());
        campaign.state = CampaignState::Closed;
        assert_eq!(campaign.status_at(now), CampaignStatus::Ended);
        assert!(campaign.is_public());
    }

    #[test]
    fn days_left_count_a_started_day_as_one() {
        let now: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().expect("now");
        let mut campaign = example();
        assert_eq!(campaign.days_left(now), None);
        campaign.spec.ends_at = Some(now + chrono::Duration::hours(3));
        assert_eq!(campaign.days_left(now), Some(1));
        campaign.spec.ends_at = Some(now + chrono::Duration::days(30));
        assert_eq!(campaign.days_left(now), Some(30));
        campaign.spec.ends_at = Some(now - chrono::Duration::days(1));
        assert_eq!(campaign.days_left(now), Some(0));
        campaign.spec.ends_at = Some(now + chrono::Duration::days(30));
        campaign.state = CampaignState::Closed;
        assert_eq!(campaign.days_left(now), Some(0));
    }
}

//! Pledges in the database: storing, finding, linking to the provider, and the lists that the
//! donor wall and the staff read.

use std::collections::HashMap;

use crate::campaign::Locale;
use crate::ids::{CampaignId, PledgeId};
use crate::money::{Currency, Money};
use chrono::NaiveDateTime;
use demeu_db::email::Email;
use demeu_db::page::{decode_cursor, decode_position, encode_cursor, encode_position, paginate, row_before, Page};
use demeu_db::schema::{campaigns, ledger_entries, pledges};
use demeu_db::{DbConn, MultiBackend};
use diesel::dsl::{AsSelect, SqlTypeOf};
use diesel::prelude::*;

use crate::ledger_source::LedgerSource;
use crate::pledge::{DeclineReason, DisplayStatus, NewPledge, PaymentMethod, PledgeAmounts, PledgeState, ProviderKind};
use crate::Error;

/// A stored pledge, every column, its amounts as `Money` in its currency. Read with
/// `PledgeRecord::as_select()` like any row: diesel reads a [`PledgeRow`] and this is made from it.
#[derive(Debug, Clone)]
pub struct PledgeRecord {
    /// Id.
    pub id: PledgeId,
    /// The campaign's id.
    pub campaign_id: CampaignId,
    /// Promised.
    pub amount: Money,
    /// The currency of every amount.
    pub currency: Currency,
    /// As given.
    pub donor_name: Option<String>,
    /// Never shown publicly.
    pub email: Option<String>,
    /// Hide the name on the wall.
    pub anonymous: bool,
    /// Hide the amount on the wall.
    pub hide_amount: bool,
    /// For the wall.
    pub message: Option<String>,
    /// Asked for news.
    pub subscribe: bool,
    /// Lifecycle state.
    pub state: PledgeState,
    /// Confirmed received.
    pub received: Money,
    /// Refunded, cumulative.
    pub refunded: Money,
    /// Held or lost in disputes.
    pub disputed: Money,
    /// How the money comes.
    pub method: PaymentMethod,
    /// Staff's reference for offline gifts.
    pub reference: Option<String>,
    /// The provider's checkout session.
    pub provider_session_id: Option<String>,
    /// The provider's payment (Stripe PaymentIntent).
    pub provider_payment_id: Option<String>,
    /// Where the donor pays.
    pub checkout_url: Option<String>,
    /// The provider that made the checkout (none for an offline gift).
    pub provider: Option<ProviderKind>,
    /// Why staff should look at this pledge, if they should.
    pub flag: Option<String>,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
    /// When money first counted.
    pub counted_at: Option<NaiveDateTime>,
    /// The language the donor gave in, when known: their mail's.
    pub locale: Option<Locale>,
    /// Why its payment failed, when the provider said.
    pub decline_reason: Option<DeclineReason>,
    /// The monthly gift it is a charge of (its first pledge included).
    pub subscription_id: Option<crate::ids::SubscriptionId>,
    /// Its receipt code (`receipt_code`), once its money counted.
    pub receipt_code: Option<String>,
}

/// A pledge's row as stored: its amounts are counts of the `currency` column's minor unit.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pledges)]
pub struct PledgeRow {
    id: PledgeId,
    campaign_id: CampaignId,
    amount: i64,
    currency: Currency,
    donor_name: Option<String>,
    email: Option<String>,
    anonymous: bool,
    hide_amount: bool,
    message: Option<String>,
    subscribe: bool,
    state: PledgeState,
    received: i64,
    refunded: i64,
    disputed: i64,
    method: PaymentMethod,
    reference: Option<String>,
    provider_session_id: Option<String>,
    provider_payment_id: Option<String>,
    checkout_url: Option<String>,
    provider: Option<ProviderKind>,
    flag: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    counted_at: Option<NaiveDateTime>,
    locale: Option<Locale>,
    decline_reason: Option<DeclineReason>,
    subscription_id: Option<crate::ids::SubscriptionId>,
    receipt_code: Option<String>,
}

impl From<PledgeRow> for PledgeRecord {
    fn from(row: PledgeRow) -> Self {
        let money = |minor| Money::new(minor, row.currency);
        PledgeRecord {
            id: row.id,
            campaign_id: row.campaign_id,
            amount: money(row.amount),
            currency: row.currency,
            donor_name: row.donor_name,
            email: row.email,
            anonymous: row.anonymous,
            hide_amount: row.hide_amount,
            message: row.message,
            subscribe: row.subscribe,
            state: row.state,
            received: money(row.received),
            refunded: money(row.refunded),
            disputed: money(row.disputed),
            method: row.method,
            reference: row.reference,
            provider_session_id: row.provider_session_id,
            provider_payment_id: row.provider_payment_id,
            checkout_url: row.checkout_url,
            provider: row.provider,
            flag: row.flag,
            created_at: row.created_at,
            updated_at: row.updated_at,
            counted_at: row.counted_at,
            locale: row.locale,
            decline_reason: row.decline_reason,
            subscription_id: row.subscription_id,
            receipt_code: row.receipt_code,
        }
    }
}

// Selected and read as its row, so that every query keeps `PledgeRecord::as_select()` and the
// amounts meet their currency in one place.
impl<DB: diesel::backend::Backend> Selectable<DB> for PledgeRecord
where
    PledgeRow: Selectable<DB>,
{
    type SelectExpression = <PledgeRow as Selectable<DB>>::SelectExpression;

    fn construct_selection() -> Self::SelectExpression {
        PledgeRow::construct_selection()
    }
}

impl<ST, DB: diesel::backend::Backend> Queryable<ST, DB> for PledgeRecord
where
    PledgeRow: Queryable<ST, DB>,
{
    type Row = <PledgeRow as Queryable<ST, DB>>::Row;

    fn build(row: Self::Row) -> diesel::deserialize::Result<Self> {
        Ok(PledgeRow::build(row)?.into())
    }
}

impl PledgeRecord {
    /// The money columns.
    pub fn amounts(&self) -> PledgeAmounts {
        PledgeAmounts { amount: self.amount, received: self.received, refunded: self.refunded, disputed: self.disputed }
    }

    /// The status shown.
    pub fn display_status(&self) -> DisplayStatus {
        self.amounts().display_status(self.state)
    }
}

/// Stores `new` as a pending pledge with nothing received, and returns its id.
pub fn insert(conn: &mut DbConn, new: &NewPledge) -> Result<PledgeId, Error> {
    let id = PledgeId::new();
    let now = demeu_db::now();
    diesel::insert_into(pledges::table)
        .values((
            pledges::id.eq(id),
            pledges::campaign_id.eq(new.campaign_id),
            pledges::amount.eq(new.amount.minor),
            pledges::currency.eq(new.amount.currency),
            pledges::donor_name.eq(&new.donor_name),
            pledges::email.eq(&new.email),
            pledges::anonymous.eq(new.anonymous),
            pledges::hide_amount.eq(new.hide_amount),
            pledges::message.eq(&new.message),
            pledges::subscribe.eq(new.subscribe),
            pledges::state.eq(PledgeState::Pending),
            pledges::received.eq(0i64),
            pledges::refunded.eq(0i64),
            pledges::disputed.eq(0i64),
            pledges::method.eq(new.method),
            pledges::reference.eq(&new.reference),
            pledges::provider.eq(new.provider),
            pledges::locale.eq(new.locale),
            pledges::created_at.eq(now),
            pledges::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

impl PledgeRecord {
    /// `month` for a monthly gift's pledges (its first and each charge), else `once`.
    pub fn interval(&self) -> crate::subscription::Interval {
        match self.subscription_id {
            Some(_) => crate::subscription::Interval::Month,
            None => crate::subscription::Interval::Once,
        }
    }
}

/// The receipt code of counted pledge `pledge` (none before its money counted). One counted
/// before codes were given gets one now, once (two readers at once keep the first written).
pub fn receipt_code(conn: &mut DbConn, pledge: &PledgeRecord) -> Result<Option<String>, Error> {
    if pledge.counted_at.is_none() || pledge.receipt_code.is_some() {
        return Ok(pledge.receipt_code.clone());
    }
    diesel::update(pledges::table.find(pledge.id).filter(pledges::receipt_code.is_null()))
        .set(pledges::receipt_code.eq(crate::receipt_code::generate()))
        .execute(conn)?;
    Ok(pledges::table.find(pledge.id).select(pledges::receipt_code).first::<Option<String>>(conn)?)
}

/// The counted pledge whose receipt code is `code` (as stored: see `receipt_code::normalize`).
pub fn find_by_receipt_code(conn: &mut DbConn, code: &str) -> Result<Option<PledgeRecord>, Error> {
    Ok(pledges::table
        .filter(pledges::receipt_code.eq(code))
        .filter(pledges::counted_at.is_not_null())
        .select(PledgeRecord::as_select())
        .first(conn)
        .optional()?)
}

/// The pledge with id `id`.
pub fn find(conn: &mut DbConn, id: PledgeId) -> Result<PledgeRecord, Error> {
    pledges::table.find(id).select(PledgeRecord::as_select()).first(conn).optional()?.ok_or(Error::NotFound("pledge"))
}

/// Takes the pledge's row lock for the rest of the transaction and returns the pledge as it is
/// then, so that two transactions cannot both act on the same old amounts. On PostgreSQL that
/// is `SELECT … FOR UPDATE`: one statement, and no new row version (an UPDATE to take the lock
/// would write one into each of the pledge's nine indexes). SQLite's write transaction
/// (`DbConn::write_transaction`, the only place this is called from) already excludes other
/// writers, so a plain read is the lock there.
pub fn lock(conn: &mut DbConn, id: PledgeId) -> Result<PledgeRecord, Error> {
    let found = match conn {
        DbConn::Postgres(pg) => {
            pledges::table.find(id).select(PledgeRecord::as_select()).for_update().first(pg).optional()?
        }
        DbConn::Sqlite(sqlite) => pledges::table.find(id).select(PledgeRecord::as_select()).first(sqlite).optional()?,
    };
    found.ok_or(Error::NotFound("pledge"))
}

/// The pledge paid by the provider's payment `payment_id`, if known: the pledge's own payment,
/// or another payment counted for it (a pledge keeps its first payment's id; the ledger row of a
/// second one names it).
pub fn find_by_payment(conn: &mut DbConn, payment_id: &str) -> Result<Option<PledgeRecord>, Error> {
    let linked = pledges::table
        .filter(pledges::provider_payment_id.eq(payment_id))
        .select(PledgeRecord::as_select())
        .first(conn)
        .optional()?;
    if linked.is_some() {
        return Ok(linked);
    }
    let source = LedgerSource::Payment { payment_id: payment_id.to_string() }.to_string();
    let counted_for: Option<PledgeId> = ledger_entries::table
        .filter(ledger_entries::source.eq(source))
        .select(ledger_entries::pledge_id)
        .first(conn)
        .optional()?;
    counted_for.map(|id| find(conn, id)).transpose()
}

/// The pledge of the provider's checkout session `session_id`, if known.
pub fn find_by_session(conn: &mut DbConn, session_id: &str) -> Result<Option<PledgeRecord>, Error> {
    Ok(pledges::table
        .filter(pledges::provider_session_id.eq(session_id))
        .select(PledgeRecord::as_select())
        .first(conn)
        .optional()?)
}

/// Records the checkout the provider made for a pledge.
pub fn set_checkout(conn: &mut DbConn, id: PledgeId, session_id: &str, url: &str) -> Result<(), Error> {
    diesel::update(pledges::table.find(id))
        .set((
            pledges::provider_session_id.eq(session_id),
            pledges::checkout_url.eq(url),
            pledges::updated_at.eq(demeu_db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The provider's ids a pledge learns from an event: those it does not hold yet. Written by
/// [`ProviderIds::write`], or by the ledger in the same UPDATE as the money the event brings.
/// As a changeset, `None` leaves its column as it is: the ids are only ever set, never cleared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, AsChangeset)]
#[diesel(table_name = pledges)]
pub struct ProviderIds<'a> {
    /// The checkout session, when the pledge has none.
    #[diesel(column_name = provider_session_id)]
    pub session_id: Option<&'a str>,
    /// The payment, when the pledge has none.
    #[diesel(column_name = provider_payment_id)]
    pub payment_id: Option<&'a str>,
}

impl<'a> ProviderIds<'a> {
    /// What of `session_id` and `payment_id` `pledge` does not hold yet. A payment id that
    /// another pledge already holds is refused: one payment pays one pledge.
    pub fn missing(
        conn: &mut DbConn,
        pledge: &PledgeRecord,
        session_id: Option<&'a str>,
        payment_id: Option<&'a str>,
    ) -> Result<Self, Error> {
        let session_id = session_id.filter(|_| pledge.provider_session_id.is_none());
        let payment_id = payment_id.filter(|_| pledge.provider_payment_id.is_none());
        if let Some(payment) = payment_id {
            // The column's unique index would refuse it too, but as an error that poisons the
            // transaction; the pledge that holds it is the one to name.
            let holder: Option<PledgeId> = pledges::table
                .filter(pledges::provider_payment_id.eq(payment))
                .select(pledges::id)
                .first(conn)
                .optional()?;
            if let Some(other) = holder.filter(|other| *other != pledge.id) {
                return Err(Error::Conflict(format!("payment {payment} already pays pledge {other}")));
            }
        }
        Ok(ProviderIds { session_id, payment_id })
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.session_id.is_none() && self.payment_id.is_none()
    }

    /// Writes the ids on pledge `id` (one statement, none when there is nothing to write).
    pub fn write(self, conn: &mut DbConn, id: PledgeId) -> Result<(), Error> {
        if !self.is_empty() {
            diesel::update(pledges::table.find(id)).set(self).execute(conn)?;
        }
        Ok(())
    }
}

/// Links a pledge to the provider's session and payment ids it does not have yet (see
/// [`ProviderIds::missing`]).
pub fn link_provider_ids(
    conn: &mut DbConn,
    pledge: &PledgeRecord,
    session_id: Option<&str>,
    payment_id: Option<&str>,
) -> Result<(), Error> {
    ProviderIds::missing(conn, pledge, session_id, payment_id)?.write(conn, pledge.id)
}

/// Closes a pending pledge that was never paid (expired, failed, canceled); a pledge with money
/// or already closed is left as it is. Returns whether it changed.
pub fn close_unpaid(
    conn: &mut DbConn,
    id: PledgeId,
    state: PledgeState,
    reason: Option<DeclineReason>,
) -> Result<bool, Error> {
    let changed = diesel::update(
        pledges::table.find(id).filter(pledges::state.eq(PledgeState::Pending)).filter(pledges::received.eq(0i64)),
    )
    .set((pledges::state.eq(state), pledges::decline_reason.eq(reason), pledges::updated_at.eq(demeu_db::now())))
    .execute(conn)?;
    Ok(changed > 0)
}

/// Marks a pledge for staff to look at, keeping the first reason given.
pub fn flag(conn: &mut DbConn, id: PledgeId, reason: &str) -> Result<(), Error> {
    diesel::update(pledges::table.find(id).filter(pledges::flag.is_null()))
        .set(pledges::flag.eq(reason))
        .execute(conn)?;
    Ok(())
}

/// A query for whole pledges, boxed for either backend.
pub type PledgeQuery = pledges::BoxedQuery<'static, MultiBackend, SqlTypeOf<AsSelect<PledgeRecord, MultiBackend>>>;

/// The donor wall: pledges that count, newest counted first. Its cursor is a position (a time
/// and how many were shown at it), never a pledge id: an id opens its pledge's amount, which the
/// donor may have hidden from the wall.
pub fn donor_wall(
    conn: &mut DbConn,
    campaign_id: CampaignId,
    limit: i64,
    cursor: Option<&str>,
) -> Result<Page<PledgeRecord>, Error> {
    let position = cursor.map(decode_position).transpose()?;
    let shown_before = position.map_or(0, |(_, shown)| shown);
    let mut rows: Vec<PledgeRecord> =
        donor_wall_query(campaign_id, limit + 1 + i64::from(shown_before), position.map(|(at, _)| at)).load(conn)?;
    if let Some((at, shown)) = position {
        // The rows at the cursor's instant come first; those already shown are skipped.
        let already = rows.iter().take(shown as usize).take_while(|p| p.counted_at == Some(at)).count();
        rows.drain(..already);
    }
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = match rows.last().and_then(|p| p.counted_at) {
        Some(last) if more => {
            let at_last = rows.iter().filter(|p| p.counted_at == Some(last)).count() as u32;
            let carried = position.filter(|(at, _)| *at == last).map_or(0, |(_, shown)| shown);
            Some(encode_position(last, carried + at_last))
        }
        _ => None,
    };
    Ok(Page { items: rows, next_cursor })
}

/// The donor wall's SQL: at most `rows` pledges of the campaign that count, newest counted
/// first, counted at `from` or before when given. One range of the index
/// `pledges_campaign_counted (campaign_id, counted_at, id)`, however deep the page (a test
/// EXPLAINs this very query).
pub fn donor_wall_query(campaign_id: CampaignId, rows: i64, from: Option<NaiveDateTime>) -> PledgeQuery {
    let mut query = pledges::table
        .filter(pledges::campaign_id.eq(campaign_id))
        .filter(pledges::counted_at.is_not_null())
        .filter((pledges::received - pledges::refunded - pledges::disputed).gt(0i64))
        .select(PledgeRecord::as_select())
        .order((pledges::counted_at.desc(), pledges::id.desc()))
        .limit(rows)
        .into_boxed();
    if let Some(at) = from {
        query = query.filter(pledges::counted_at.le(at));
    }
    query
}

/// What staff filter the pledge list by.
#[derive(Debug, Clone, Default)]
pub struct StaffFilter {
    /// A campaign slug.
    pub campaign: Option<String>,
    /// A lifecycle state.
    pub state: Option<PledgeState>,
    /// How the money came.
    pub method: Option<PaymentMethod>,
    /// What to look for: see [`Search`].
    pub q: Option<String>,
    /// Made at or after this time (UTC).
    pub made_from: Option<NaiveDateTime>,
    /// Made before this time (UTC).
    pub made_before: Option<NaiveDateTime>,
}

/// How the staff list's `q` finds pledges; the one place of the rule.
///
/// - An email address (as [`Email::parse`] reads it, which is how pledges store theirs) finds
///   the pledges given with exactly that address, through the index `pledges_email_created`:
///   complete, and as fast among 10⁶ pledges as among 10.
/// - Any other text is looked for inside the donor's name, email and reference, in any case.
///   Both sides are lower-cased by Rust's `to_lowercase`, in Rust: SQLite's `lower()` folds ASCII
///   only (a search for «айгерим» found no «Айгерим») and PostgreSQL's depends on the cluster's
///   locale, so SQL compares nothing here. Text inside a value cannot use an index, so a page of
///   such a search reads at most [`SEARCH_BUDGET`] pledges of the list, newest first, through the
///   same index as the list without `q`. The search is honest about it: a page may hold fewer
///   matches than asked, even none, and still carry a `next_cursor`, from which it goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// A whole address, lower-cased.
    Email(String),
    /// Text to find inside a value, lower-cased.
    Text(String),
}

/// The most pledges one page of a text search reads.
pub const SEARCH_BUDGET: usize = 2_000;

/// How many pledges a text search reads per query (a page stops early once it is full).
const SEARCH_CHUNK: i64 = 250;

impl Search {
    /// Reads `q`; `None` when it is blank.
    pub fn parse(q: &str) -> Option<Search> {
        let q = q.trim();
        if q.is_empty() {
            None
        } else if let Ok(email) = Email::parse(q) {
            Some(Search::Email(email.into_string()))
        } else {
            Some(Search::Text(q.to_lowercase()))
        }
    }

    /// True when `text` (lower-cased) is inside one of `values`, in any case. An ASCII value is
    /// compared in place; any other is lower-cased first (what `to_lowercase` does to ASCII is
    /// what `eq_ignore_ascii_case` compares, so both ways agree).
    fn finds_text(text: &str, values: &[&Option<String>]) -> bool {
        let needle = text.as_bytes();
        values.iter().filter_map(|v| v.as_deref()).any(|value| {
            if value.is_ascii() {
                !needle.is_empty()
                    && value.as_bytes().windows(needle.len()).any(|window| window.eq_ignore_ascii_case(needle))
            } else {
                value.to_lowercase().contains(text)
            }
        })
    }
}

/// One staff-list query ready for SQL: the campaign's slug resolved to its id, `q` read and the
/// cursor decoded. Each filter is an equality on the first column of an index that goes on with
/// `(created_at, id)` (`pledges_campaign_created_id`, `pledges_state_created`,
/// `pledges_method_created`, `pledges_email_created`; `pledges_created` without a filter), so
/// that any page is one index range: a test EXPLAINs these very queries.
#[derive(Debug, Clone)]
pub struct StaffQuery {
    campaign_id: Option<CampaignId>,
    state: Option<PledgeState>,
    method: Option<PaymentMethod>,
    search: Option<Search>,
    made: (Option<NaiveDateTime>, Option<NaiveDateTime>),
    after: Option<(NaiveDateTime, String)>,
}

/// The columns a text search reads: the id and the three values looked in (the time of the last
/// pledge read is fetched once per chunk, for the cursor, rather than read and parsed for each).
type Searched = (String, Option<String>, Option<String>, Option<String>);

/// The text search's SQL.
pub type SearchQuery = pledges::BoxedQuery<
    'static,
    MultiBackend,
    (
        diesel::sql_types::Text,
        diesel::sql_types::Nullable<diesel::sql_types::Text>,
        diesel::sql_types::Nullable<diesel::sql_types::Text>,
        diesel::sql_types::Nullable<diesel::sql_types::Text>,
    ),
>;

impl StaffQuery {
    /// Reads `filter` and `cursor`; `None` when the filter names no campaign there is, so that
    /// nothing can match.
    pub fn new(conn: &mut DbConn, filter: &StaffFilter, cursor: Option<&str>) -> Result<Option<StaffQuery>, Error> {
        let campaign_id = match &filter.campaign {
            None => None,
            Some(slug) => {
                let id =
                    campaigns::table.filter(campaigns::slug.eq(slug)).select(campaigns::id).first(conn).optional()?;
                match id {
                    Some(id) => Some(id),
                    None => return Ok(None),
                }
            }
        };
        Ok(Some(StaffQuery {
            campaign_id,
            state: filter.state,
            method: filter.method,
            search: filter.q.as_deref().and_then(Search::parse),
            made: (filter.made_from, filter.made_before),
            after: cursor.map(decode_cursor).transpose()?,
        }))
    }

    /// The list's rows after the cursor, newest first, every filter but a text search applied.
    fn rows(&self) -> pledges::BoxedQuery<'static, MultiBackend> {
        let mut query = pledges::table.order((pledges::created_at.desc(), pledges::id.desc())).into_boxed();
        if let Some(id) = self.campaign_id {
            query = query.filter(pledges::campaign_id.eq(id));
        }
        if let Some(state) = self.state {
            query = query.filter(pledges::state.eq(state));
        }
        if let Some(method) = self.method {
            query = query.filter(pledges::method.eq(method));
        }
        if let Some(Search::Email(email)) = &self.search {
            query = query.filter(pledges::email.eq(email.clone()));
        }
        // A date range bounds the same (time, id) order the list walks: every filter's index
        // ends in those columns, so the range is a bound of the index range, not a scan.
        if let Some(from) = self.made.0 {
            query = query.filter(pledges::created_at.ge(from));
        }
        if let Some(before) = self.made.1 {
            query = query.filter(pledges::created_at.lt(before));
        }
        if let Some((at, id)) = &self.after {
            query = query.filter(row_before((pledges::created_at, pledges::id), (*at, id.clone())));
        }
        query
    }

    /// At most `rows` whole pledges of the list (a text search is not applied: see
    /// [`StaffQuery::search_scan`]).
    pub fn page(&self, rows: i64) -> PledgeQuery {
        self.rows().select(PledgeRecord::as_select()).limit(rows)
    }

    /// The next `rows` pledges a text search reads: the columns it looks in.
    pub fn search_scan(&self, rows: i64) -> SearchQuery {
        self.rows().select((pledges::id, pledges::donor_name, pledges::email, pledges::reference)).limit(rows)
    }
}

/// Every pledge matching `filter`, newest first, with the campaign's slug.
pub fn staff_list(
    conn: &mut DbConn,
    filter: &StaffFilter,
    limit: i64,
    cursor: Option<&str>,
) -> Result<Page<(PledgeRecord, String)>, Error> {
    let Some(query) = StaffQuery::new(conn, filter, cursor)? else {
        return Ok(Page { items: Vec::new(), next_cursor: None });
    };
    let page = match query.search.clone() {
        Some(Search::Text(text)) => search_page(conn, query, &text, limit)?,
        _ => paginate(query.page(limit + 1).load(conn)?, limit, staff_cursor),
    };
    with_slugs(conn, page)
}

fn staff_cursor(p: &PledgeRecord) -> String {
    encode_cursor(p.created_at, &p.id.to_string())
}

/// A page of a text search: the list read in chunks until the page is full, the list ends, or
/// [`SEARCH_BUDGET`] pledges were read (then the cursor names the last one read).
fn search_page(conn: &mut DbConn, mut query: StaffQuery, text: &str, limit: i64) -> Result<Page<PledgeRecord>, Error> {
    let wanted = usize::try_from(limit).unwrap_or(usize::MAX).saturating_add(1);
    let mut found: Vec<String> = Vec::new();
    let mut read = 0usize;
    let mut ended = false;
    while found.len() < wanted && !ended && read < SEARCH_BUDGET {
        let chunk: Vec<Searched> = query.search_scan(SEARCH_CHUNK).load(conn)?;
        ended = (chunk.len() as i64) < SEARCH_CHUNK;
        let mut last = None;
        for (id, name, email, reference) in chunk {
            read += 1;
            if Search::finds_text(text, &[&name, &email, &reference]) {
                found.push(id.clone());
            }
            last = Some(id);
            if found.len() == wanted {
                break;
            }
        }
        if let Some(id) = last {
            let at = pledges::table.find(&id).select(pledges::created_at).first(conn)?;
            query.after = Some((at, id));
        }
    }
    let rows: Vec<PledgeRecord> = pledges::table
        .filter(pledges::id.eq_any(found))
        .select(PledgeRecord::as_select())
        .order((pledges::created_at.desc(), pledges::id.desc()))
        .load(conn)?;
    let mut page = paginate(rows, limit, staff_cursor);
    if page.next_cursor.is_none() && !ended {
        // The budget ran out before the page filled: go on after the last pledge read.
        page.next_cursor = query.after.as_ref().map(|(at, id)| encode_cursor(*at, id));
    }
    Ok(page)
}

/// Each pledge with its campaign's slug, read in one query for the page.
fn with_slugs(conn: &mut DbConn, page: Page<PledgeRecord>) -> Result<Page<(PledgeRecord, String)>, Error> {
    let mut ids: Vec<CampaignId> = page.items.iter().map(|p| p.campaign_id).collect();
    ids.sort();
    ids.dedup();
    let slugs: HashMap<CampaignId, String> = campaigns::table
        .filter(campaigns::id.eq_any(ids))
        .select((campaigns::id, campaigns::slug))
        .load::<(CampaignId, String)>(conn)?
        .into_iter()
        .collect();
    let items = page
        .items
        .into_iter()
        .map(|p| {
            let slug = slugs.get(&p.campaign_id).cloned().ok_or_else(|| Error::Corrupt(format!("pledge {}", p.id)))?;
            Ok((p, slug))
        })
        .collect::<Result<_, Error>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_reads_an_address_whole_and_text_in_any_case() {
        assert_eq!(Search::parse("  "), None);
        assert_eq!(Search::parse(" Aliya.N@Example.KZ "), Some(Search::Email("aliya.n@example.kz".into())));
        assert_eq!(Search::parse("АйГеРиМ"), Some(Search::Text("айгерим".into())));
        let finds = |q: &str, value: &str| match Search::parse(q) {
            Some(Search::Text(text)) => Search::finds_text(&text, &[&None, &Some(value.to_string())]),
            other => panic!("{other:?}"),
        };
        assert!(finds("bolat", "100% BOLAT_N"));
        assert!(finds("t_n", "100% BOLAT_N"));
        assert!(finds("айгерим", "АЙГЕРИМ Сапарова"));
        assert!(finds("MARIA", "Maria Иванова"));
        assert!(finds("ӘЛИЯ", "Әлия"));
        assert!(!finds("aliya", "Әлия"));
        assert!(!finds("%", "Bolat"));
    }
}

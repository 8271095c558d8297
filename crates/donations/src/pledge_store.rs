//! Pledges in the database: storing, finding, linking to the provider, and the lists that the
//! donor wall and the staff read.

use crate::ids::{CampaignId, PledgeId};
use crate::money::Currency;
use chrono::NaiveDateTime;
use demeu_db::page::{decode_cursor, decode_position, encode_cursor, encode_position, paginate, Page};
use demeu_db::schema::{campaigns, ledger_entries, pledges};
use demeu_db::DbConn;
use diesel::prelude::*;

use crate::ledger_source::LedgerSource;
use crate::pledge::{DisplayStatus, NewPledge, PaymentMethod, PledgeAmounts, PledgeState, ProviderKind};
use crate::Error;

diesel::define_sql_function! {
    /// SQL `lower()`, the same on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A stored pledge, every column.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pledges)]
pub struct PledgeRecord {
    /// Id.
    pub id: PledgeId,
    /// The campaign's id.
    pub campaign_id: CampaignId,
    /// Promised.
    pub amount: i64,
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
    pub received: i64,
    /// Refunded, cumulative.
    pub refunded: i64,
    /// Held or lost in disputes.
    pub disputed: i64,
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
            pledges::created_at.eq(now),
            pledges::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The pledge with id `id`.
pub fn find(conn: &mut DbConn, id: PledgeId) -> Result<PledgeRecord, Error> {
    pledges::table.find(id).select(PledgeRecord::as_select()).first(conn).optional()?.ok_or(Error::NotFound("pledge"))
}

/// Takes the pledge's row lock for the rest of the transaction and returns the pledge as it is
/// then. Touching the row is what takes PostgreSQL's lock, so that two transactions cannot both
/// act on the same old amounts; SQLite's write transaction already excludes other writers.
pub fn lock(conn: &mut DbConn, id: PledgeId) -> Result<PledgeRecord, Error> {
    let touched = diesel::update(pledges::table.find(id)).set(pledges::updated_at.eq(demeu_db::now())).execute(conn)?;
    if touched == 0 {
        return Err(Error::NotFound("pledge"));
    }
    find(conn, id)
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

/// Links a pledge to the provider's session and payment ids it does not have yet. A payment id
/// that another pledge already holds is refused: one payment pays one pledge.
pub fn link_provider_ids(
    conn: &mut DbConn,
    pledge: &PledgeRecord,
    session_id: Option<&str>,
    payment_id: Option<&str>,
) -> Result<(), Error> {
    if let (None, Some(session)) = (&pledge.provider_session_id, session_id) {
        diesel::update(pledges::table.find(pledge.id)).set(pledges::provider_session_id.eq(session)).execute(conn)?;
    }
    if let (None, Some(payment)) = (&pledge.provider_payment_id, payment_id) {
        if let Some(other) = find_by_payment(conn, payment)? {
            if other.id != pledge.id {
                return Err(Error::Conflict(format!("payment {payment} already pays pledge {}", other.id)));
            }
        }
        diesel::update(pledges::table.find(pledge.id)).set(pledges::provider_payment_id.eq(payment)).execute(conn)?;
    }
    Ok(())
}

/// Closes a pending pledge that was never paid (expired, failed, canceled); a pledge with money
/// or already closed is left as it is. Returns whether it changed.
pub fn close_unpaid(conn: &mut DbConn, id: PledgeId, state: PledgeState) -> Result<bool, Error> {
    let changed = diesel::update(
        pledges::table.find(id).filter(pledges::state.eq(PledgeState::Pending)).filter(pledges::received.eq(0i64)),
    )
    .set((pledges::state.eq(state), pledges::updated_at.eq(demeu_db::now())))
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
    let mut query = pledges::table
        .filter(pledges::campaign_id.eq(campaign_id))
        .filter((pledges::received - pledges::refunded - pledges::disputed).gt(0i64))
        .filter(pledges::counted_at.is_not_null())
        .select(PledgeRecord::as_select())
        .order((pledges::counted_at.desc(), pledges::id.desc()))
        .limit(limit + 1 + i64::from(shown_before))
        .into_boxed();
    if let Some((at, _)) = position {
        query = query.filter(pledges::counted_at.le(at));
    }
    let mut rows: Vec<PledgeRecord> = query.load(conn)?;
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

/// What staff filter the pledge list by.
#[derive(Debug, Clone, Default)]
pub struct StaffFilter {
    /// A campaign slug.
    pub campaign: Option<String>,
    /// A lifecycle state.
    pub state: Option<PledgeState>,
    /// Text found in the name, email or reference (any case).
    pub q: Option<String>,
}

/// Every pledge matching `filter`, newest first, with the campaign's slug.
pub fn staff_list(
    conn: &mut DbConn,
    filter: &StaffFilter,
    limit: i64,
    cursor: Option<&str>,
) -> Result<Page<(PledgeRecord, String)>, Error> {
    let mut query = pledges::table
        .inner_join(campaigns::table)
        .select((PledgeRecord::as_select(), campaigns::slug))
        .order((pledges::created_at.desc(), pledges::id.desc()))
        .limit(limit + 1)
        .into_boxed();
    if let Some(slug) = &filter.campaign {
        query = query.filter(campaigns::slug.eq(slug.clone()));
    }
    if let Some(state) = filter.state {
        query = query.filter(pledges::state.eq(state));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        // LIKE's own wildcards and escape are dropped from the search text: it is matched literally.
        let pattern = format!("%{}%", q.to_lowercase().replace(['\\', '%', '_'], ""));
        query = query.filter(
            lower(pledges::donor_name.assume_not_null())
                .like(pattern.clone())
                .or(lower(pledges::email.assume_not_null()).like(pattern.clone()))
                .or(lower(pledges::reference.assume_not_null()).like(pattern)),
        );
    }
    if let Some(cursor) = cursor {
        let (at, id) = decode_cursor(cursor).map_err(Error::from)?;
        query = query.filter(pledges::created_at.lt(at).or(pledges::created_at.eq(at).and(pledges::id.lt(id))));
    }
    let rows: Vec<(PledgeRecord, String)> = query.load(conn)?;
    Ok(paginate(rows, limit, |(p, _)| encode_cursor(p.created_at, &p.id.to_string())))
}

//! Monthly gifts: a subscription at the provider and its row here. The donor's first gift is a
//! pledge like any (made on the form, paid at the checkout that also starts the subscription);
//! each later charge the provider makes becomes a pledge of its own, linked to the subscription
//! and counted once by the provider's payment id, on the campaign the gift was made for.

use chrono::NaiveDateTime;
use demeu_db::page::{decode_cursor, encode_cursor, paginate, row_before, Page};
use demeu_db::schema::{campaigns, pledges, subscriptions};
use demeu_db::DbConn;
use diesel::prelude::*;

use crate::ids::{CampaignId, PledgeId, SubscriptionId};
use crate::money::{Currency, Money};
use crate::pledge::{NewPledge, PaymentMethod, ProviderKind};
use crate::pledge_store::{self, PledgeRecord};
use crate::Error;

demeu_db::stored_enum! {
    /// How often a gift is given.
    pub enum Interval("interval") {
        /// Once.
        Once = "once",
        /// Every month, until the donor or staff stop it.
        Month = "month",
    }
}

demeu_db::stored_enum! {
    /// Where a subscription is in its life, as its provider last told (or staff or the donor
    /// made it).
    pub enum SubscriptionStatus("subscription status") {
        /// Made with its first pledge; the provider has not started it yet.
        Pending = "pending",
        /// Charged each month.
        Active = "active",
        /// A charge failed: the provider tries again; the donor is told how to fix the card.
        PastDue = "past_due",
        /// Stopped by the donor, staff or the provider: no more charges.
        Cancelled = "cancelled",
        /// Never started (its first checkout ended unpaid), or ended by the provider.
        Ended = "ended",
    }
}

/// A stored subscription, its amount in its currency.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// Ours.
    pub id: SubscriptionId,
    /// The campaign each charge counts for.
    pub campaign_id: CampaignId,
    /// The pledge the donor made on the form (its name, wall choices and language are each
    /// charge's).
    pub first_pledge_id: PledgeId,
    /// Each month's amount.
    pub amount: Money,
    /// Where the receipts and every word about it go.
    pub email: String,
    /// Who charges.
    pub provider: ProviderKind,
    /// The provider's id, once it made the subscription.
    pub provider_subscription_id: Option<String>,
    /// Its state.
    pub status: SubscriptionStatus,
    /// Made.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
    /// When it was stopped.
    pub cancelled_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = subscriptions)]
struct SubscriptionRow {
    id: SubscriptionId,
    campaign_id: CampaignId,
    first_pledge_id: PledgeId,
    amount: i64,
    currency: Currency,
    email: String,
    provider: ProviderKind,
    provider_subscription_id: Option<String>,
    status: SubscriptionStatus,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    cancelled_at: Option<NaiveDateTime>,
}

impl From<SubscriptionRow> for Subscription {
    fn from(r: SubscriptionRow) -> Self {
        Subscription {
            id: r.id,
            campaign_id: r.campaign_id,
            first_pledge_id: r.first_pledge_id,
            amount: Money::new(r.amount, r.currency),
            email: r.email,
            provider: r.provider,
            provider_subscription_id: r.provider_subscription_id,
            status: r.status,
            created_at: r.created_at,
            updated_at: r.updated_at,
            cancelled_at: r.cancelled_at,
        }
    }
}

/// Stores a monthly gift's first pledge (`new`, which must have an email and a provider) and
/// its subscription, pending, inside the caller's transaction; the pledge's id.
pub fn start_pending(conn: &mut DbConn, new: &NewPledge) -> Result<PledgeId, Error> {
    let (Some(email), Some(provider)) = (&new.email, new.provider) else {
        return Err(Error::Corrupt("a monthly gift without an email or a provider".into()));
    };
    let pledge_id = pledge_store::insert(conn, new)?;
    let id = SubscriptionId::new();
    let now = demeu_db::now();
    diesel::insert_into(subscriptions::table)
        .values((
            subscriptions::id.eq(id),
            subscriptions::campaign_id.eq(new.campaign_id),
            subscriptions::first_pledge_id.eq(pledge_id),
            subscriptions::amount.eq(new.amount.minor),
            subscriptions::currency.eq(new.amount.currency),
            subscriptions::email.eq(email),
            subscriptions::provider.eq(provider),
            subscriptions::status.eq(SubscriptionStatus::Pending),
            subscriptions::created_at.eq(now),
            subscriptions::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(pledges::table.find(pledge_id)).set(pledges::subscription_id.eq(id)).execute(conn)?;
    Ok(pledge_id)
}

/// The subscription with id `id`.
pub fn find(conn: &mut DbConn, id: SubscriptionId) -> Result<Subscription, Error> {
    let row = subscriptions::table
        .find(id)
        .select(SubscriptionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("subscription"))?;
    Ok(row.into())
}

/// The subscription its provider knows as `provider_id`, if it is ours (each provider's ids have
/// their own shape: `sub_…` Stripe's, `sc_…` TipTop Pay's, `sub_sandbox_…` the sandbox's).
pub fn find_by_provider_id(conn: &mut DbConn, provider_id: &str) -> Result<Option<Subscription>, Error> {
    let row = subscriptions::table
        .filter(subscriptions::provider_subscription_id.eq(provider_id))
        .select(SubscriptionRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(Into::into))
}

/// Links subscription `id` with the provider's `provider_id` and makes it active, when its
/// first checkout was paid. Once: a second start (the same event again) changes nothing, and a
/// subscription stopped meanwhile stays stopped.
pub fn started(conn: &mut DbConn, id: SubscriptionId, provider_id: &str) -> Result<bool, Error> {
    let changed =
        diesel::update(subscriptions::table.find(id).filter(subscriptions::status.eq(SubscriptionStatus::Pending)))
            .set((
                subscriptions::provider_subscription_id.eq(provider_id),
                subscriptions::status.eq(SubscriptionStatus::Active),
                subscriptions::updated_at.eq(demeu_db::now()),
            ))
            .execute(conn)?;
    Ok(changed > 0)
}

/// The subscription the provider calls `provider_id`; else the one `account_ref` names by our
/// id (a provider that carries our id back, TipTop Pay's `AccountId`), if the provider has not
/// named it otherwise already.
pub fn find_for_provider(
    conn: &mut DbConn,
    provider_id: &str,
    account_ref: Option<&str>,
) -> Result<Option<Subscription>, Error> {
    if let Some(found) = find_by_provider_id(conn, provider_id)? {
        return Ok(Some(found));
    }
    let Some(id) = account_ref.and_then(|r| uuid::Uuid::parse_str(r).ok()) else { return Ok(None) };
    match find(conn, SubscriptionId::from(id)) {
        Ok(found) if found.provider_subscription_id.as_deref().is_none_or(|p| p == provider_id) => Ok(Some(found)),
        Ok(_) | Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Sets subscription `id`'s status as its provider, staff or the donor changed it; a cancelled
/// or ended subscription stays so (a late "past due" does not revive it).
pub fn set_status(conn: &mut DbConn, id: SubscriptionId, status: SubscriptionStatus) -> Result<bool, Error> {
    let now = demeu_db::now();
    let stopped = [SubscriptionStatus::Cancelled, SubscriptionStatus::Ended];
    let target = subscriptions::table.find(id).filter(subscriptions::status.ne_all(stopped));
    let changed = match status {
        SubscriptionStatus::Cancelled | SubscriptionStatus::Ended => diesel::update(target)
            .set((
                subscriptions::status.eq(status),
                subscriptions::cancelled_at.eq(Some(now)),
                subscriptions::updated_at.eq(now),
            ))
            .execute(conn)?,
        _ => diesel::update(target)
            .set((subscriptions::status.eq(status), subscriptions::updated_at.eq(now)))
            .execute(conn)?,
    };
    Ok(changed > 0)
}

/// A charge's pledge for `subscription`, pending until its payment counts: of the amount the
/// provider `charged` when it is in the gift's currency (a charge of the amount before a change
/// the donor just made still counts whole), else of the gift's amount (and the charge is
/// flagged); the first pledge's name, wall choices and language; no message (the donor wrote
/// one once); the provider's payment already linked, so that the same charge delivered again
/// finds this pledge.
pub fn charge_pledge(
    conn: &mut DbConn,
    subscription: &Subscription,
    payment_id: &str,
    charged: &crate::money::Stated,
) -> Result<PledgeRecord, Error> {
    let first = pledge_store::find(conn, subscription.first_pledge_id)?;
    let amount = charged
        .in_currency(subscription.amount.currency)
        .filter(|amount| amount.is_positive())
        .unwrap_or(subscription.amount);
    let new = NewPledge {
        campaign_id: subscription.campaign_id,
        amount,
        donor_name: first.donor_name.clone(),
        email: Some(subscription.email.clone()),
        anonymous: first.anonymous,
        hide_amount: first.hide_amount,
        message: None,
        subscribe: false,
        method: PaymentMethod::Online,
        reference: None,
        provider: Some(subscription.provider),
        locale: first.locale,
        interval: Interval::Month,
    };
    let id = pledge_store::insert(conn, &new)?;
    diesel::update(pledges::table.find(id))
        .set((pledges::subscription_id.eq(subscription.id), pledges::provider_payment_id.eq(payment_id)))
        .execute(conn)?;
    pledge_store::lock(conn, id)
}

/// Every charge of subscription `id`, oldest first.
pub fn charges(conn: &mut DbConn, id: SubscriptionId) -> Result<Vec<PledgeRecord>, Error> {
    Ok(pledges::table
        .filter(pledges::subscription_id.eq(id))
        .order(pledges::created_at.asc())
        .select(PledgeRecord::as_select())
        .load(conn)?)
}

/// What staff ask of the subscriptions list.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionFilter {
    /// One campaign's (a slug).
    pub campaign: Option<String>,
    /// One status.
    pub status: Option<SubscriptionStatus>,
}

/// A subscription as the list shows it: its campaign's slug, how many of its charges counted
/// (the first included), and when the provider charges next.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The subscription.
    pub subscription: Subscription,
    /// Its campaign's slug.
    pub campaign: String,
    /// Charges that counted.
    pub charges: i64,
    /// A month after the last counted charge, while it is active or past due.
    pub next_charge_at: Option<NaiveDateTime>,
}

/// When an active (or past due) subscription whose last charge counted at `last` is charged
/// next: a calendar month later, as Stripe and TipTop Pay charge (31 January → 28 or 29 February).
pub fn next_charge(status: SubscriptionStatus, last: Option<NaiveDateTime>) -> Option<NaiveDateTime> {
    match status {
        SubscriptionStatus::Active | SubscriptionStatus::PastDue => {
            last.and_then(|at| at.checked_add_months(chrono::Months::new(1)))
        }
        _ => None,
    }
}

/// Subscriptions matching `filter`, newest first (a page of at most `limit`, after `cursor`).
pub fn list(
    conn: &mut DbConn,
    filter: &SubscriptionFilter,
    limit: i64,
    cursor: Option<&str>,
) -> Result<Page<Listed>, Error> {
    let after = cursor.map(decode_cursor).transpose()?;
    let mut query = subscriptions::table
        .inner_join(campaigns::table)
        .select((SubscriptionRow::as_select(), campaigns::slug))
        .order((subscriptions::created_at.desc(), subscriptions::id.desc()))
        .limit(limit + 1)
        .into_boxed();
    if let Some(slug) = &filter.campaign {
        query = query.filter(campaigns::slug.eq(slug.clone()));
    }
    if let Some(status) = filter.status {
        query = query.filter(subscriptions::status.eq(status));
    }
    if let Some((at, id)) = after {
        query = query.filter(row_before((subscriptions::created_at, subscriptions::id), (at, id)));
    }
    let rows = query.load::<(SubscriptionRow, String)>(conn)?;
    let page =
        paginate(rows, limit, |(s, _): &(SubscriptionRow, String)| encode_cursor(s.created_at, &s.id.to_string()));
    Ok(Page { items: summarized(conn, page.items)?, next_cursor: page.next_cursor })
}

/// The monthly gifts given from `email` that ever ran (pending and never-started ones left
/// out), newest first, as the donor's own page shows them.
pub fn of_email(conn: &mut DbConn, email: &str) -> Result<Vec<Listed>, Error> {
    let rows = subscriptions::table
        .inner_join(campaigns::table)
        .filter(subscriptions::email.eq(email))
        .filter(subscriptions::provider_subscription_id.is_not_null())
        .select((SubscriptionRow::as_select(), campaigns::slug))
        .order((subscriptions::created_at.desc(), subscriptions::id.desc()))
        .load::<(SubscriptionRow, String)>(conn)?;
    summarized(conn, rows)
}

/// The monthly amount a donor asks to change their gift to (`minor` units of the gift's
/// currency), checked against the campaign's limits for one gift: 422 naming `amount`.
pub fn new_amount(spec: &crate::campaign::CampaignSpec, currency: Currency, minor: i64) -> Result<Money, Error> {
    let amount = Money::new(minor, currency);
    if currency != spec.currency || amount < spec.min_pledge || amount > spec.max_pledge {
        return Err(Error::Invalid(vec![crate::money::amount_out_of_range(spec.min_pledge, spec.max_pledge)]));
    }
    Ok(amount)
}

/// The monthly gifts still charged for campaign `id`: active or past due.
pub fn running_for(conn: &mut DbConn, id: CampaignId) -> Result<Vec<Subscription>, Error> {
    let running = [SubscriptionStatus::Active, SubscriptionStatus::PastDue];
    let rows = subscriptions::table
        .filter(subscriptions::campaign_id.eq(id))
        .filter(subscriptions::status.eq_any(running))
        .order(subscriptions::created_at.asc())
        .select(SubscriptionRow::as_select())
        .load::<SubscriptionRow>(conn)?;
    Ok(rows.into_iter().map(Subscription::from).collect())
}

/// Moves monthly gift `id` to campaign `to` (a closed campaign's successor): its charges count
/// there from now on; those before stay where they counted.
pub fn move_to(conn: &mut DbConn, id: SubscriptionId, to: CampaignId) -> Result<Subscription, Error> {
    diesel::update(subscriptions::table.find(id))
        .set((subscriptions::campaign_id.eq(to), subscriptions::updated_at.eq(demeu_db::now())))
        .execute(conn)?;
    find(conn, id)
}

/// Changes subscription `id`'s monthly amount (the provider has taken the change); charges
/// from now on are of it.
pub fn set_amount(conn: &mut DbConn, id: SubscriptionId, amount: Money) -> Result<(), Error> {
    diesel::update(subscriptions::table.find(id))
        .set((subscriptions::amount.eq(amount.minor), subscriptions::updated_at.eq(demeu_db::now())))
        .execute(conn)?;
    Ok(())
}

/// Subscription `id` as the list shows it.
pub fn listed(conn: &mut DbConn, id: SubscriptionId) -> Result<Listed, Error> {
    let row = subscriptions::table
        .inner_join(campaigns::table)
        .filter(subscriptions::id.eq(id))
        .select((SubscriptionRow::as_select(), campaigns::slug))
        .first::<(SubscriptionRow, String)>(conn)
        .optional()?
        .ok_or(Error::NotFound("subscription"))?;
    summarized(conn, vec![row])?.pop().ok_or(Error::NotFound("subscription"))
}

/// `rows` with their counted charges and next charge (one query for all of them).
fn summarized(conn: &mut DbConn, rows: Vec<(SubscriptionRow, String)>) -> Result<Vec<Listed>, Error> {
    let ids: Vec<SubscriptionId> = rows.iter().map(|(s, _)| s.id).collect();
    let counted: Vec<(Option<SubscriptionId>, i64, Option<NaiveDateTime>)> = pledges::table
        .filter(pledges::subscription_id.eq_any(ids))
        .filter(pledges::counted_at.is_not_null())
        .group_by(pledges::subscription_id)
        .select((pledges::subscription_id, diesel::dsl::count_star(), diesel::dsl::max(pledges::counted_at)))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(row, campaign)| {
            let subscription = Subscription::from(row);
            let (charges, last) = counted
                .iter()
                .find(|(id, _, _)| *id == Some(subscription.id))
                .map_or((0, None), |(_, n, last)| (*n, *last));
            let next_charge_at = next_charge(subscription.status, last);
            Listed { subscription, campaign, charges, next_charge_at }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_charge_is_a_calendar_month_after_the_last_while_it_runs() {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time");
        let jan31 = Some(at("2027-01-31 10:00"));
        assert_eq!(next_charge(SubscriptionStatus::Active, jan31), Some(at("2027-02-28 10:00")));
        assert_eq!(
            next_charge(SubscriptionStatus::PastDue, Some(at("2027-03-15 09:30"))),
            Some(at("2027-04-15 09:30"))
        );
        assert_eq!(next_charge(SubscriptionStatus::Cancelled, jan31), None, "stopped: no more");
        assert_eq!(next_charge(SubscriptionStatus::Active, None), None, "never charged yet");
    }
}

/// A campaign's monthly gifts at a glance: how many donors give each month, what that comes
/// to, and how many have a failed charge waiting (past due).
#[derive(Debug, Clone, Copy)]
pub struct Monthly {
    /// Running gifts (active or past due).
    pub donors: i64,
    /// Their monthly amounts together.
    pub amount: Money,
    /// Of them, with a failed charge.
    pub past_due: i64,
}

/// [`Monthly`] of campaign `id` (amounts in its `currency`).
pub fn monthly_of(conn: &mut DbConn, id: CampaignId, currency: Currency) -> Result<Monthly, Error> {
    let running = [SubscriptionStatus::Active, SubscriptionStatus::PastDue];
    let rows: Vec<(SubscriptionStatus, i64)> = subscriptions::table
        .filter(subscriptions::campaign_id.eq(id))
        .filter(subscriptions::status.eq_any(running))
        .filter(subscriptions::currency.eq(currency))
        .select((subscriptions::status, subscriptions::amount))
        .load(conn)?;
    let mut amount = Money::new(0, currency);
    for (_, minor) in &rows {
        amount = amount.checked_add(Money::new(*minor, currency)).map_err(|e| Error::Corrupt(e.to_string()))?;
    }
    let past_due = rows.iter().filter(|(s, _)| *s == SubscriptionStatus::PastDue).count();
    Ok(Monthly {
        donors: i64::try_from(rows.len()).unwrap_or(i64::MAX),
        amount,
        past_due: i64::try_from(past_due).unwrap_or(i64::MAX),
    })
}

//! A donor's own page: asking for a sign-in link (the same answer whether the address gave or
//! not, limited per client and per address), opening a session with it, their gifts and monthly
//! gifts, changing or stopping one of theirs, and the yearly statement.

use std::net::IpAddr;

use chrono::{Datelike, NaiveDate, Utc};
use demeu_db::FieldError;
use donations::campaign::Campaign;
use donations::donor::{self, Gift, StatementLine, StatementTotal};
use donations::ids::{CampaignId, SubscriptionId};
use donations::subscription::{self, Listed, Subscription};

use super::subscriptions::{self, Actor};
use super::ServiceError;
use crate::auth::donor as links;
use crate::auth::NewSession;
use crate::i18n::Lang;
use crate::limit_store::{self, Scope};
use crate::mail::compose;
use crate::rate_limit;
use crate::state::AppState;

/// Asks for a sign-in link for `email` from `client`, in `lang`. A malformed address is a 422
/// naming `email`; a client over its limit a 429. Otherwise the answer is the same whether the
/// address ever gave or not: a link is mailed only to an address that gave, and at most
/// `limits.donor_links_per_address` an hour (so nobody can flood an inbox through Demeu, nor
/// learn from the answer whom the foundation counts among its donors).
pub async fn request_link(
    state: &AppState,
    client: Option<IpAddr>,
    email: &str,
    lang: Lang,
) -> Result<(), ServiceError> {
    let email = demeu_db::email::Email::parse(email)
        .map_err(|why| donations::Error::Invalid(vec![FieldError::email("email", why)]))?
        .into_string();
    state.donor_link_limiter.check(client).await?;
    let per_address = state.settings.limits.donor_links_per_address;
    let mail = state.mail.clone();
    state
        .pool
        .run(move |conn| {
            if !donor::has_given(conn, &email)? {
                return Ok::<_, ServiceError>(());
            }
            let key = limit_store::account_key(&email);
            let admitted =
                limit_store::admit(conn, Scope::DonorLinkAddress, &key, rate_limit::WINDOW, |window, now| {
                    rate_limit::verdict(per_address, window, now)
                })?;
            if admitted.is_err() {
                tracing::info!("a donor sign-in link not mailed: the address's hourly limit");
                return Ok(());
            }
            conn.write_transaction(|conn| {
                let token = links::issue_link(conn, &email)?;
                compose::donor_link(conn, &mail, &email, &token, lang)?;
                Ok::<_, ServiceError>(())
            })
        })
        .await
}

/// Redeems a mailed link's token once: the donor's address and a session.
pub async fn sign_in(state: &AppState, token: String) -> Result<(String, NewSession), ServiceError> {
    Ok(state.pool.run(move |conn| links::redeem(conn, &token)).await?)
}

/// The donor of the live session holding `token`, if any.
pub async fn donor_for(state: &AppState, token: String) -> Result<Option<String>, ServiceError> {
    Ok(state.pool.run(move |conn| links::donor_for_token(conn, &token)).await?)
}

/// Ends the donor session holding `token`.
pub async fn sign_out(state: &AppState, token: String) -> Result<(), ServiceError> {
    Ok(state.pool.run(move |conn| links::end_donor_session(conn, &token)).await?)
}

/// What a donor's page lists.
pub struct DonorGifts {
    /// Gifts whose money counted, newest first.
    pub gifts: Vec<Gift>,
    /// Monthly gifts that ever ran, newest first.
    pub subscriptions: Vec<Listed>,
    /// The years they have gifts in (for statements), newest first.
    pub years: Vec<i32>,
    /// The campaigns those name, for their titles.
    pub campaigns: Vec<Campaign>,
}

impl DonorGifts {
    /// The campaign with slug `slug`, if listed.
    pub fn campaign(&self, slug: &str) -> Option<&Campaign> {
        self.campaigns.iter().find(|c| c.spec.slug == slug)
    }
}

/// The gifts and monthly gifts given from `email`.
pub async fn gifts(state: &AppState, email: String) -> Result<DonorGifts, ServiceError> {
    state
        .pool
        .run(move |conn| {
            let mut gifts = donor::gifts(conn, &email)?;
            // A gift counted before codes were given gets its code when first listed.
            for gift in gifts.iter_mut().filter(|g| g.pledge.receipt_code.is_none()) {
                gift.pledge.receipt_code = donations::pledge_store::receipt_code(conn, &gift.pledge)?;
            }
            let subscriptions = subscription::of_email(conn, &email)?;
            let mut years: Vec<i32> = gifts
                .iter()
                .filter_map(|g| g.pledge.counted_at)
                .map(|at| at.and_utc().with_timezone(&crate::format::almaty_offset(at.and_utc())).year())
                .collect();
            years.dedup();
            let mut campaigns: Vec<Campaign> = Vec::new();
            let ids = gifts
                .iter()
                .map(|g| g.pledge.campaign_id)
                .chain(subscriptions.iter().map(|s| s.subscription.campaign_id));
            for id in ids {
                if !campaigns.iter().any(|c| c.id == id) {
                    campaigns.push(donations::campaign::find_by_id(conn, id)?);
                }
            }
            Ok(DonorGifts { gifts, subscriptions, years, campaigns })
        })
        .await
}

/// Subscription `id` if it is `email`'s; another's is "not found", as one that does not exist.
fn owned(conn: &mut demeu_db::DbConn, email: &str, id: SubscriptionId) -> Result<Subscription, ServiceError> {
    let found = subscription::find(conn, id)?;
    if found.email != email {
        return Err(donations::Error::NotFound("subscription").into());
    }
    Ok(found)
}

/// Changes the donor's monthly gift `id` to `minor` units a month.
pub async fn change_amount(
    state: &AppState,
    email: String,
    id: SubscriptionId,
    minor: i64,
) -> Result<Subscription, ServiceError> {
    state.pool.run(move |conn| owned(conn, &email, id)).await?;
    subscriptions::change_amount(state, id, minor, Actor::Donor).await
}

/// Stops the donor's monthly gift `id`.
pub async fn cancel(state: &AppState, email: String, id: SubscriptionId) -> Result<Subscription, ServiceError> {
    state.pool.run(move |conn| owned(conn, &email, id)).await?;
    subscriptions::cancel(state, id, Actor::Donor).await
}

/// One of `email`'s counted gifts, with its campaign: their receipt. Another's, or one whose
/// money has not counted, is "not found".
pub async fn receipt(
    state: &AppState,
    email: String,
    id: donations::ids::PledgeId,
) -> Result<(donations::pledge_store::PledgeRecord, Campaign, campaign_news::foundation::Identity), ServiceError> {
    state
        .pool
        .run(move |conn| {
            let pledge = donations::pledge_store::find(conn, id)?;
            if pledge.email.as_deref() != Some(email.as_str()) || pledge.counted_at.is_none() {
                return Err(donations::Error::NotFound("pledge").into());
            }
            let campaign = donations::campaign::find_by_id(conn, pledge.campaign_id)?;
            let foundation = campaign_news::foundation::get(conn)?.unwrap_or_default();
            Ok((pledge, campaign, foundation))
        })
        .await
}

/// A donor's statement of one year, in Almaty's calendar.
pub struct Statement {
    /// The year.
    pub year: i32,
    /// The donor's address.
    pub email: String,
    /// Every gift whose money counted that year, oldest first.
    pub lines: Vec<StatementLine>,
    /// Sums per currency.
    pub totals: Vec<StatementTotal>,
    /// The campaigns the lines name.
    pub campaigns: Vec<Campaign>,
    /// The foundation, as it is now.
    pub foundation: campaign_news::foundation::Identity,
}

impl Statement {
    /// The campaign of a line.
    pub fn campaign(&self, id: CampaignId) -> Option<&Campaign> {
        self.campaigns.iter().find(|c| c.id == id)
    }
}

/// The earliest year a statement is asked for.
const FIRST_YEAR: i32 = 2000;

/// `email`'s statement of `year` (2000 to this year, else a 422 naming `year`).
pub async fn statement(state: &AppState, email: String, year: i32) -> Result<Statement, ServiceError> {
    let this_year = Utc::now().with_timezone(&crate::format::almaty_offset(Utc::now())).year();
    let bounds = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year + 1, 1, 1));
    let (Some(first), Some(next)) = bounds else {
        return Err(year_refused(this_year));
    };
    if !(FIRST_YEAR..=this_year).contains(&year) {
        return Err(year_refused(this_year));
    }
    let (from, to) = (crate::format::almaty_midnight_utc(first), crate::format::almaty_midnight_utc(next));
    state
        .pool
        .run(move |conn| {
            let lines = donor::statement_lines(conn, &email, from, to)?;
            let totals = donor::totals(&lines)?;
            let mut campaigns: Vec<Campaign> = Vec::new();
            for line in &lines {
                if !campaigns.iter().any(|c| c.id == line.campaign_id) {
                    campaigns.push(donations::campaign::find_by_id(conn, line.campaign_id)?);
                }
            }
            let foundation = campaign_news::foundation::get(conn)?.unwrap_or_default();
            Ok(Statement { year, email, lines, totals, campaigns, foundation })
        })
        .await
}

fn year_refused(this_year: i32) -> ServiceError {
    let why = format!("must be a year from {FIRST_YEAR} to {this_year}");
    let (first, last) = (FIRST_YEAR.to_string(), this_year.to_string());
    let refused = FieldError::new("year", why).translated("error-year", vec![("first", first), ("last", last)]);
    donations::Error::Invalid(vec![refused]).into()
}

//! Changing and stopping a monthly gift: at its provider first, then here, audited, the donor
//! told by mail. A provider that refuses (or cannot be reached) leaves the gift as it was, and
//! the caller is told why: a donor is never shown "stopped" while their card would still be
//! charged, nor a new amount the provider does not charge.

use donations::ids::{StaffUserId, SubscriptionId};
use donations::subscription::{self, Subscription, SubscriptionStatus};
use serde_json::json;

use super::ServiceError;
use crate::mail::compose;
use crate::mail::templates::MonthlyNews;
use crate::payments::{PaymentProvider, ProviderError};
use crate::state::AppState;

/// Who stops or changes a gift: a member of staff on the donor's request, or the donor on
/// their own page.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    /// Staff, audited by name.
    Staff(StaffUserId),
    /// The donor, signed in by their mailed link.
    Donor,
}

impl Actor {
    fn staff(self) -> Option<StaffUserId> {
        match self {
            Actor::Staff(id) => Some(id),
            Actor::Donor => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Actor::Staff(_) => "staff",
            Actor::Donor => "donor",
        }
    }
}

/// The provider that charges `found`, which must still be configured to change anything.
fn provider_of<'a>(state: &'a AppState, found: &Subscription) -> Result<&'a dyn PaymentProvider, ProviderError> {
    state.providers.get(found.provider).map(|p| p.as_ref()).ok_or_else(|| {
        ProviderError::Unavailable(format!(
            "{} is no longer configured: the gift cannot be changed here",
            found.provider
        ))
    })
}

/// Cancels subscription `id` at its provider, then here, as `actor` did; the subscription as it
/// is now. One already stopped is answered as it is (a second click changes nothing, and no
/// second mail).
pub async fn cancel(state: &AppState, id: SubscriptionId, actor: Actor) -> Result<Subscription, ServiceError> {
    stop(state, id, actor, MonthlyNews::Stopped).await
}

/// [`cancel`], the donor told `news` (why it stopped).
pub async fn stop(
    state: &AppState,
    id: SubscriptionId,
    actor: Actor,
    news: MonthlyNews,
) -> Result<Subscription, ServiceError> {
    let found = state.pool.run(move |conn| subscription::find(conn, id)).await?;
    if matches!(found.status, SubscriptionStatus::Cancelled | SubscriptionStatus::Ended) {
        return Ok(found);
    }
    // A pending one was never made at the provider: there is nothing to stop there.
    if let Some(provider_id) = &found.provider_subscription_id {
        provider_of(state, &found)?.cancel_subscription(provider_id).await?;
    }
    let previous = found.status;
    let mail = state.mail.clone();
    state
        .pool
        .run(move |conn| {
            conn.write_transaction(|conn| {
                if subscription::set_status(conn, id, SubscriptionStatus::Cancelled)? {
                    let details = json!({"was": previous.as_str(), "by": actor.name()});
                    let target = format!("subscription:{id}");
                    demeu_db::audit::record(conn, actor.staff(), "subscription.cancel", &target, &details)?;
                    let now = subscription::find(conn, id)?;
                    compose::monthly(conn, &mail, &now, news, "stopped")?;
                }
                Ok::<_, ServiceError>(subscription::find(conn, id)?)
            })
        })
        .await
}

/// Changes subscription `id`'s monthly amount to `minor` units (within its campaign's limits
/// for one gift: 422 naming `amount`), at the provider first, then here, audited, the donor
/// told by mail. Only a running gift (active, or past due) changes: a stopped one is a 409.
pub async fn change_amount(
    state: &AppState,
    id: SubscriptionId,
    minor: i64,
    actor: Actor,
) -> Result<Subscription, ServiceError> {
    let (found, amount) = state
        .pool
        .run(move |conn| {
            let found = subscription::find(conn, id)?;
            let campaign = donations::campaign::find_by_id(conn, found.campaign_id)?;
            let amount = subscription::new_amount(&campaign.spec, found.amount.currency, minor)?;
            Ok::<_, ServiceError>((found, amount))
        })
        .await?;
    let running = matches!(found.status, SubscriptionStatus::Active | SubscriptionStatus::PastDue);
    let Some(provider_id) = found.provider_subscription_id.as_deref().filter(|_| running) else {
        return Err(
            donations::Error::Conflict(format!("the monthly gift is {}: it cannot be changed", found.status)).into()
        );
    };
    if amount == found.amount {
        return Ok(found);
    }
    provider_of(state, &found)?.change_subscription_amount(provider_id, amount).await?;
    let (was, mail) = (found.amount, state.mail.clone());
    state
        .pool
        .run(move |conn| {
            conn.write_transaction(|conn| {
                subscription::set_amount(conn, id, amount)?;
                let details = json!({"was": was.minor, "now": amount.minor, "by": actor.name()});
                let target = format!("subscription:{id}");
                demeu_db::audit::record(conn, actor.staff(), "subscription.amount", &target, &details)?;
                let now = subscription::find(conn, id)?;
                let key = format!("amount:{}", now.updated_at.and_utc().timestamp_micros());
                compose::monthly(conn, &mail, &now, MonthlyNews::Changed { was }, &key)?;
                Ok::<_, ServiceError>(now)
            })
        })
        .await
}

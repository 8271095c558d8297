//! Stopping a monthly gift: at its provider first, then here, audited. A provider that refuses
//! (or cannot be reached) leaves the gift as it was, and the caller is told why: a donor is never
//! shown "stopped" while their card would still be charged.

use donations::ids::{StaffUserId, SubscriptionId};
use donations::subscription::{self, Subscription, SubscriptionStatus};
use serde_json::json;

use super::ServiceError;
use crate::payments::ProviderError;
use crate::state::AppState;

/// Cancels subscription `id` at its provider, then here, as member of staff `actor` did on the
/// donor's request; the subscription as it is now. One already stopped is answered as it is (a
/// second click changes nothing).
pub async fn cancel(state: &AppState, id: SubscriptionId, actor: StaffUserId) -> Result<Subscription, ServiceError> {
    let found = state.pool.run(move |conn| subscription::find(conn, id)).await?;
    if matches!(found.status, SubscriptionStatus::Cancelled | SubscriptionStatus::Ended) {
        return Ok(found);
    }
    // A pending one was never made at the provider: there is nothing to stop there.
    if let Some(provider_id) = &found.provider_subscription_id {
        let provider = state.providers.get(found.provider).ok_or_else(|| {
            ProviderError::Unavailable(format!(
                "{} is no longer configured: the gift cannot be stopped here",
                found.provider
            ))
        })?;
        provider.cancel_subscription(provider_id).await?;
    }
    let previous = found.status;
    state
        .pool
        .run(move |conn| {
            conn.write_transaction(|conn| {
                subscription::set_status(conn, id, SubscriptionStatus::Cancelled)?;
                let details = json!({"was": previous.as_str()});
                demeu_db::audit::record(
                    conn,
                    Some(actor),
                    "subscription.cancel",
                    &format!("subscription:{id}"),
                    &details,
                )?;
                Ok::<_, ServiceError>(subscription::find(conn, id)?)
            })
        })
        .await
}

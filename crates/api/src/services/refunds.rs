//! Refunding a pledge: the Idempotency-Key, the refund row that reserves the amount (the rule is
//! `donations::refund`), the provider's call under a key derived from that row, the answer.
//!
//! Whatever happens between the steps, nothing is refunded twice: the row is written before the
//! provider is called, a second request finds the money reserved (409) or, with the same key,
//! the first answer (or 409 while the first is still running); a retry after a provider failure
//! asks again under the same provider key, which the provider answers with the same refund.

use donations::ids::{PledgeId, RefundId, StaffUserId};
use donations::money::Money;
use donations::pledge_store::PledgeRecord;
use donations::refund::{self, Refund, RefundStatus, Requested, Reserved};
use serde::Serialize;
use uuid::Uuid;

use super::ServiceError;
use crate::idempotency::{self, Answer, Begin};
use crate::mail::compose;
use crate::payments::webhook::receive;
use crate::payments::{ProviderError, RefundRequest};
use crate::state::AppState;

/// A refund asked for.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RefundAccepted {
    /// The refund.
    pub id: Uuid,
    /// The pledge.
    pub pledge_id: Uuid,
    /// Minor units.
    pub amount: i64,
    /// `requested`: counts when the provider's refund event arrives; `counted`: done.
    pub status: String,
    /// The provider's refund id, for online pledges.
    pub refund_id: Option<String>,
}

impl RefundAccepted {
    fn of(refund: &Refund) -> Self {
        RefundAccepted {
            id: refund.id.as_uuid(),
            pledge_id: refund.pledge_id.as_uuid(),
            amount: refund.amount.minor,
            status: refund.status.as_str().to_string(),
            refund_id: refund.provider_refund_id.clone(),
        }
    }
}

/// The amount a refund request names in minor units of the pledge's own currency (the API's
/// body), as money of that currency; `None` (all that may be refunded) stays `None`.
pub async fn in_pledges_currency(
    state: &AppState,
    pledge_id: PledgeId,
    minor: Option<i64>,
) -> Result<Option<Money>, ServiceError> {
    let Some(minor) = minor else { return Ok(None) };
    let currency =
        state.pool.run(move |conn| donations::pledge_store::find(conn, pledge_id).map(|p| p.currency)).await?;
    Ok(Some(Money::new(minor, currency)))
}

/// Refunds `amount` (all that may still be refunded when `None`) of pledge `pledge_id`, asked by
/// staff member `actor`, with the request's optional key and the hash of its body.
pub async fn refund(
    state: &AppState,
    pledge_id: PledgeId,
    amount: Option<Money>,
    actor: StaffUserId,
    key: Option<String>,
    body_hash: String,
) -> Result<Answer<RefundAccepted>, ServiceError> {
    let held = key.map(|k| (format!("refund:{pledge_id}"), k));
    let held_in = held.clone();
    let step = state
        .pool
        .run(move |conn| {
            let begin = match &held_in {
                Some((scope, key)) => idempotency::begin(conn, scope, key, &body_hash)?,
                None => Begin::Fresh,
            };
            match begin {
                Begin::Replay { status, body } => Ok(Err(Answer::Replay { status, body })),
                Begin::Resume(Some(id)) => {
                    let id: RefundId = id.parse().map_err(|e| ServiceError::Broken(format!("stored id {id}: {e}")))?;
                    Ok(Ok(refund::retry(conn, id)?))
                }
                Begin::Fresh | Begin::Resume(None) => {
                    let notice = |conn: &mut demeu_db::DbConn, pledge: &PledgeRecord, amount: Money| {
                        refund_notice(conn, pledge, amount)
                    };
                    match refund::request(conn, pledge_id, amount, actor, &notice) {
                        Ok(requested) => {
                            if let Some((scope, key)) = &held_in {
                                idempotency::attach(conn, scope, key, &requested_refund(&requested).id.to_string())?;
                            }
                            Ok(Ok(requested))
                        }
                        Err(refused) => {
                            // Nothing was made: the key is free for a corrected request.
                            if let Some((scope, key)) = &held_in {
                                idempotency::release(conn, scope, key)?;
                            }
                            Err(ServiceError::from(refused))
                        }
                    }
                }
            }
        })
        .await?;
    let requested = match step {
        Ok(requested) => requested,
        Err(replay) => return Ok(replay),
    };
    let answer = match requested {
        Requested::Counted(refund) => {
            state.snapshots.invalidate();
            RefundAccepted::of(&refund)
        }
        Requested::Reserved(reserved) => ask_provider(state, reserved, held.clone()).await?,
    };
    if let Some((scope, key)) = held {
        let body =
            serde_json::to_string(&answer).map_err(|e| ServiceError::Broken(format!("an answer to store: {e}")))?;
        state.pool.run(move |conn| idempotency::finish(conn, &scope, &key, 202, &body)).await?;
    }
    Ok(Answer::Fresh(answer))
}

fn requested_refund(requested: &Requested) -> &Refund {
    match requested {
        Requested::Counted(refund) => refund,
        Requested::Reserved(reserved) => &reserved.refund,
    }
}

/// Asks the provider for a reserved refund; a refusal releases the reservation (and the key, for
/// a retry) and is answered 502/503.
async fn ask_provider(
    state: &AppState,
    reserved: Reserved,
    held: Option<(String, String)>,
) -> Result<RefundAccepted, ServiceError> {
    let refund = reserved.refund;
    if refund.provider_refund_id.is_some() {
        // Sent already by an earlier attempt that did not get to store its answer.
        return Ok(RefundAccepted::of(&refund));
    }
    let request = RefundRequest {
        pledge_id: refund.pledge_id.as_uuid(),
        payment_id: reserved.payment_id,
        amount: refund.amount,
        refunded_before: reserved.refunded_before,
        idempotency_key: refund.provider_key(),
    };
    // The provider that took the payment gives it back, even after the foundation switched.
    let provider = match reserved.provider {
        Some(kind) => state.providers.get(kind).ok_or_else(|| {
            ProviderError::Refused(format!("the pledge was paid through {kind}, whose keys are no longer configured"))
        }),
        None => Ok(&state.providers.active),
    };
    let asked = match provider {
        Ok(provider) => provider.refund(&request).await,
        Err(e) => Err(e),
    };
    let started = match asked {
        Ok(started) => started,
        Err(e) => {
            tracing::warn!(refund = %refund.id, error = %e, "refund not taken by the provider; reservation released");
            let id = refund.id;
            state
                .pool
                .run(move |conn| {
                    refund::mark_failed(conn, id)?;
                    if let Some((scope, key)) = &held {
                        idempotency::fail(conn, scope, key)?;
                    }
                    Ok::<_, ServiceError>(())
                })
                .await?;
            return Err(e.into());
        }
    };
    let (id, provider_id) = (refund.id, started.refund_id.clone());
    state.pool.run(move |conn| refund::mark_sent(conn, id, &provider_id).map_err(ServiceError::from)).await?;
    if let Some(delivery) = started.delivery {
        receive(state.inbox(), delivery.body.as_bytes(), Some(&delivery.signature)).await?;
    }
    // `requested` even when the provider's event came at once (the sandbox's): the answer says
    // what was asked; the pledge's amounts say what counts.
    let status = RefundStatus::Requested;
    Ok(RefundAccepted::of(&Refund { status, provider_refund_id: Some(started.refund_id), ..refund }))
}

/// The donor's notice of a refund counted at once (an offline gift's).
fn refund_notice(conn: &mut demeu_db::DbConn, pledge: &PledgeRecord, amount: Money) -> Result<(), donations::Error> {
    let campaign = donations::campaign::find_by_id(conn, pledge.campaign_id)?;
    compose::refund_notice(conn, pledge, &campaign, amount)?;
    Ok(())
}

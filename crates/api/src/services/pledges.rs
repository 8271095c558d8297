//! Pledging: the Idempotency-Key, the pending pledge (and the subscription it may ask for), the
//! provider's checkout, the answer stored for a replay.
//!
//! The pledge is stored before the provider is called, so a provider failure (502/503) loses
//! nothing: a retry with the same key goes on with the same pledge, and the provider's own
//! idempotency (keyed by the pledge) makes one checkout of it.

use chrono::Utc;
use donations::campaign::Campaign;
use donations::ids::PledgeId;
use donations::pledge::{validate_request, NewPledge, PledgeRequest};
use donations::pledge_store::{self, PledgeRecord};
use donations::subscription::Interval;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ServiceError;
use crate::idempotency::{self, Answer, Begin};
use crate::links::{back_url, thanks_url};
use crate::payments::CheckoutRequest;
use crate::state::AppState;

/// A pledge just made: where to pay.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct PledgeCreated {
    /// The pledge.
    pub id: Uuid,
    /// `pending` until the provider confirms.
    pub status: String,
    /// Minor units.
    pub amount: i64,
    /// ISO code.
    #[schema(schema_with = crate::stored_schema::names::<donations::money::Currency>)]
    pub currency: donations::money::Currency,
    /// Where the donor pays.
    pub checkout_url: String,
    /// A monthly gift's subscription (pending until the checkout is paid).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub subscription: Option<SubscriptionRef>,
}

/// A monthly gift's subscription, as a pledge's answer names it.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct SubscriptionRef {
    /// Ours.
    pub id: Uuid,
    /// `pending`, `active`, `past_due`, `cancelled` or `ended`.
    pub status: String,
}

/// A key held by this request: its scope and value.
type HeldKey = Option<(String, String)>;

/// Makes a pledge on campaign `slug` from `request` sent from `client`, whose raw body hashes
/// to `body_hash`.
pub async fn pledge(
    state: &AppState,
    client: Option<std::net::IpAddr>,
    slug: String,
    request: PledgeRequest,
    lang: Option<donations::campaign::Locale>,
    key: Option<String>,
    body_hash: String,
) -> Result<Answer<PledgeCreated>, ServiceError> {
    // Counted before anything is stored: a flood of pledges (card testing) or of pledges asking
    // for news (inbox flooding) stops at the address's hourly limit like any other post.
    state.pledge_limiter.check(client).await?;
    if request.subscribe && request.email.is_some() {
        state.subscription_limiter.check(client).await?;
    }
    let held: HeldKey = key.map(|k| (format!("pledge:{slug}"), k));
    let provider = state.providers.active.kind();
    let takes_monthly = state.providers.active.takes_monthly();
    let ctx = state.mail.clone();
    let held_in = held.clone();
    let prepared = state
        .pool
        .run(move |conn| {
            let campaign = donations::campaign::find_public(conn, &slug)?;
            // The key first: a request answered before gets its answer again, even if the
            // campaign has ended since.
            let begin = match &held_in {
                Some((scope, key)) => idempotency::begin(conn, scope, key, &body_hash)?,
                None => Begin::Fresh,
            };
            let pledge = match begin {
                Begin::Replay { status, body } => return Ok(Err(Answer::Replay { status, body })),
                Begin::Resume(Some(id)) => {
                    let id: PledgeId = id.parse().map_err(|e| ServiceError::Broken(format!("stored id {id}: {e}")))?;
                    pledge_store::find(conn, id)?
                }
                Begin::Fresh | Begin::Resume(None) => {
                    let checked = validate_request(&campaign, &request, Utc::now()).and_then(|new| {
                        match new.interval == Interval::Month && !takes_monthly {
                            true => Err(donations::Error::Invalid(vec![donations::FieldError::new(
                                "interval",
                                "monthly gifts are not taken with this payment provider yet",
                            )
                            .translated("error-monthly-unavailable", vec![])])),
                            false => Ok(new),
                        }
                    });
                    let new = match checked {
                        Ok(new) => NewPledge { provider: Some(provider), locale: lang, ..new },
                        Err(refused) => {
                            // Nothing was made: the key is free for the corrected request.
                            if let Some((scope, key)) = &held_in {
                                idempotency::release(conn, scope, key)?;
                            }
                            return Err(refused.into());
                        }
                    };
                    conn.write_transaction(|conn| {
                        let id = match new.interval {
                            Interval::Month => donations::subscription::start_pending(conn, &new)?,
                            Interval::Once => pledge_store::insert(conn, &new)?,
                        };
                        // Asking for news starts a subscription like any other: confirmed by its link.
                        if let (true, Some(email)) = (new.subscribe, &new.email) {
                            crate::mail::compose::subscribe(conn, &ctx, &campaign, email, new.locale)?;
                        }
                        if let Some((scope, key)) = &held_in {
                            idempotency::attach(conn, scope, key, &id.to_string())?;
                        }
                        pledge_store::find(conn, id).map_err(ServiceError::from)
                    })?
                }
            };
            Ok::<_, ServiceError>(Ok((campaign, pledge)))
        })
        .await?;
    match prepared {
        Ok((campaign, pledge)) => checkout(state, &campaign, pledge, held, lang).await.map(Answer::Fresh),
        Err(replay) => Ok(replay),
    }
}

/// Gets the pledge its checkout, stores it and the answer. A pledge that has its checkout
/// already (an earlier attempt made it, then failed before answering) keeps it: a provider
/// need not be asked twice, and the sandbox, whose session ids are random, could not answer
/// the same twice.
async fn checkout(
    state: &AppState,
    campaign: &Campaign,
    pledge: PledgeRecord,
    held: HeldKey,
    lang: Option<donations::campaign::Locale>,
) -> Result<PledgeCreated, ServiceError> {
    let pledge_id = pledge.id;
    let made = match (&pledge.provider_session_id, &pledge.checkout_url) {
        (Some(_), Some(url)) => url.clone(),
        _ => {
            let request = CheckoutRequest {
                pledge_id: pledge_id.as_uuid(),
                amount: pledge.amount,
                campaign_title: campaign.title(lang.unwrap_or(campaign.spec.locale)).to_string(),
                success_url: thanks_url(state.settings.public_url(), &campaign.spec.slug, pledge_id),
                cancel_url: back_url(state.settings.public_url(), &campaign.spec.slug, pledge_id),
                email: pledge.email.clone(),
                // The donor's language where they said one, else the campaign's.
                locale: lang.unwrap_or(campaign.spec.locale),
                interval: pledge.interval(),
                subscription_id: pledge.subscription_id,
            };
            // The provider that made the pledge makes its checkout (a retry after the foundation
            // switched providers finishes with the one the pledge recorded).
            let provider =
                pledge.provider.and_then(|kind| state.providers.get(kind)).unwrap_or(&state.providers.active);
            match provider.create_checkout(&request).await {
                Ok(made) => {
                    let url = made.url.clone();
                    state
                        .pool
                        .run(move |conn| pledge_store::set_checkout(conn, pledge_id, &made.session_id, &made.url))
                        .await?;
                    url
                }
                Err(e) => {
                    tracing::warn!(pledge = %pledge_id, error = %e, "checkout failed; the pledge is kept");
                    if let Some((scope, key)) = held {
                        state.pool.run(move |conn| idempotency::fail(conn, &scope, &key)).await?;
                    }
                    return Err(e.into());
                }
            }
        }
    };
    let created = PledgeCreated {
        id: pledge_id.as_uuid(),
        status: "pending".into(),
        amount: pledge.amount.minor,
        currency: pledge.currency,
        checkout_url: made,
        subscription: match pledge.subscription_id {
            Some(id) => {
                let found = state.pool.run(move |conn| donations::subscription::find(conn, id)).await?;
                Some(SubscriptionRef { id: id.as_uuid(), status: found.status.as_str().to_string() })
            }
            None => None,
        },
    };
    if let Some((scope, key)) = held {
        let stored =
            serde_json::to_string(&created).map_err(|e| ServiceError::Broken(format!("an answer to store: {e}")))?;
        state.pool.run(move |conn| idempotency::finish(conn, &scope, &key, 201, &stored)).await?;
    }
    Ok(created)
}

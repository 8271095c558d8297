//! "Join the mentors' team": an application from a campaign's page, the same whether it comes
//! from the API (JSON) or the page's HTML form. The caller has parsed it already
//! ([`NewVolunteer::parse`], so that a refused form does not use up the visitor's quota); here
//! it is counted against the address's hourly limit, then stored together with the
//! foundation's mail (when `foundation.volunteers_email` is set), in one transaction.
//!
//! The applicant's details are personal data: nothing here logs them, and the answer to the
//! applicant says only that the application arrived.

use std::net::IpAddr;

use campaign_news::volunteer::{self, NewVolunteer};

use super::ServiceError;
use crate::mail::compose;
use crate::state::AppState;

/// Stores `new` as an application to campaign `slug`'s mentors' team, from `client` (the address
/// [`crate::client_ip::of`] settles on; `None` is not counted). 429 over
/// `limits.volunteers_per_hour`, 404 for a campaign that does not exist.
pub async fn apply(
    state: &AppState,
    client: Option<IpAddr>,
    slug: String,
    new: NewVolunteer,
) -> Result<(), ServiceError> {
    state.volunteer_limiter.check(client).await?;
    let ctx = state.mail.clone();
    state
        .pool
        .run(move |conn| {
            let campaign = donations::campaign::find_public(conn, &slug)?;
            conn.write_transaction(|conn| {
                let stored = volunteer::insert(conn, campaign.id, &new)?;
                compose::volunteer_application(conn, &ctx, &campaign, &stored)?;
                Ok::<_, ServiceError>(())
            })
        })
        .await
}

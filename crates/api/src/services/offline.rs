//! Recording a gift staff received by hand (cash, bank transfer, Kaspi transfer): counted at
//! once, its receipt mailed in the same transaction, the campaign's progress refreshed before
//! the answer. The API's route and the console's form both come here.

use chrono::Utc;
use donations::ids::StaffUserId;
use donations::offline::{self, OfflineGift};
use donations::pledge_store::PledgeRecord;

use super::ServiceError;
use crate::mail::compose;
use crate::state::AppState;

/// Records `gift` on campaign `slug` as staff member `actor`; returns the pledge and the
/// campaign's slug.
pub async fn record(
    state: &AppState,
    slug: String,
    gift: OfflineGift,
    actor: StaffUserId,
) -> Result<(PledgeRecord, String), ServiceError> {
    let factor = state.settings.limits.offline_pledge_factor;
    let mail = state.mail.clone();
    let made = state
        .pool
        .run(move |conn| {
            let campaign = donations::campaign::find_by_slug(conn, &slug)?;
            let receipt = |conn: &mut demeu_db::DbConn, pledge: &PledgeRecord| {
                compose::receipt(conn, &mail, pledge, &campaign).map_err(donations::Error::from)
            };
            let max_amount = offline::ceiling(&campaign, factor);
            let pledge = offline::record_offline(conn, &campaign, &gift, max_amount, actor, Utc::now(), &receipt)?;
            Ok::<_, ServiceError>((pledge, campaign.spec.slug.clone()))
        })
        .await?;
    state.snapshots.invalidate();
    Ok(made)
}

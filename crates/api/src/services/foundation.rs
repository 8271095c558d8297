//! The foundation's identity edited by an admin: checked and audited by
//! `campaign_news::foundation`, then every page and answer that shows it refreshed.

use campaign_news::foundation::{self, Identity, IdentityPatch};
use campaign_news::pictures::Picture;

use super::ServiceError;
use crate::auth::StaffUser;
use crate::state::AppState;

/// The identity and the logo as stored now (not the public snapshot's: an admin sees what they
/// just saved).
pub async fn current(state: &AppState) -> Result<(Identity, Option<Picture>), ServiceError> {
    Ok(state
        .pool
        .run(|conn| {
            let identity = foundation::get(conn)?.unwrap_or_default();
            Ok::<_, campaign_news::Error>((identity, campaign_news::pictures::logo(conn)?))
        })
        .await?)
}

/// Applies `patch` as `actor`.
pub async fn update(state: &AppState, patch: IdentityPatch, actor: &StaffUser) -> Result<Identity, ServiceError> {
    let actor = actor.id;
    let updated = state.pool.run(move |conn| foundation::update(conn, &patch, actor)).await?;
    state.snapshots.invalidate();
    Ok(updated)
}

//! The foundation's identity edited by an admin: checked and audited by
//! `campaign_news::foundation`, then every page and answer that shows it refreshed.

use campaign_news::foundation::{self, Identity, IdentityPatch};

use super::ServiceError;
use crate::auth::StaffUser;
use crate::state::AppState;

/// Applies `patch` as `actor`.
pub async fn update(state: &AppState, patch: IdentityPatch, actor: &StaffUser) -> Result<Identity, ServiceError> {
    let actor = actor.id;
    let updated = state.pool.run(move |conn| foundation::update(conn, &patch, actor)).await?;
    state.snapshots.invalidate();
    Ok(updated)
}

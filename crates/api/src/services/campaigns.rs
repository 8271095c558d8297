//! Staff's campaigns: creating, editing, opening and closing, each followed by the public
//! snapshot's refresh before the answer. Who may change what is decided here from the staff
//! member's role (admins everything, editors the words); the rules themselves are
//! `donations::campaign_edit`'s. The API's routes and the console's forms both come here.

use chrono::Utc;
use donations::campaign::{Audience, Campaign, Progress};
use donations::campaign_edit::{self, Authority, CampaignPatch, NewCampaign};

use super::ServiceError;
use crate::auth::{Role, StaffUser};
use crate::state::AppState;

/// What `role` may change of a campaign.
pub fn authority(role: Role) -> Authority {
    if role == Role::Admin {
        Authority::Everything
    } else {
        Authority::Texts
    }
}

/// Every campaign, drafts included, with its progress, oldest first.
pub async fn list(state: &AppState) -> Result<Vec<Progress>, ServiceError> {
    Ok(state.pool.run(|conn| donations::campaign::list_progress(conn, Audience::Staff)).await?)
}

/// One campaign, whatever its state, with its progress.
pub async fn find(state: &AppState, slug: String) -> Result<Progress, ServiceError> {
    Ok(state
        .pool
        .run(move |conn| {
            let campaign = donations::campaign::find_by_slug(conn, &slug)?;
            donations::campaign::progress_of(conn, campaign)
        })
        .await?)
}

/// Saves a new draft (an admin's).
pub async fn create(state: &AppState, new: NewCampaign, actor: &StaffUser) -> Result<Campaign, ServiceError> {
    let actor = actor.id;
    let made = state.pool.run(move |conn| campaign_edit::create(conn, &new, actor, Utc::now())).await?;
    state.snapshots.invalidate();
    Ok(made)
}

/// Edits campaign `slug` as far as `actor`'s role allows.
pub async fn edit(
    state: &AppState,
    slug: String,
    patch: CampaignPatch,
    actor: &StaffUser,
) -> Result<Campaign, ServiceError> {
    let (id, authority) = (actor.id, authority(actor.role));
    let edited =
        state.pool.run(move |conn| campaign_edit::edit(conn, &slug, &patch, authority, id, Utc::now())).await?;
    state.snapshots.invalidate();
    Ok(edited)
}

/// Opens draft `slug` (an admin's).
pub async fn open(state: &AppState, slug: String, actor: &StaffUser) -> Result<Campaign, ServiceError> {
    let actor = actor.id;
    let opened = state.pool.run(move |conn| campaign_edit::open(conn, &slug, actor, Utc::now())).await?;
    state.snapshots.invalidate();
    Ok(opened)
}

/// Closes open campaign `slug` (an admin's), its monthly gifts to go on for `continues_as`.
pub async fn close(
    state: &AppState,
    slug: String,
    continues_as: Option<String>,
    actor: &StaffUser,
) -> Result<Campaign, ServiceError> {
    let actor = actor.id;
    let closed = state
        .pool
        .run(move |conn| campaign_edit::close(conn, &slug, continues_as.as_deref(), actor, Utc::now()))
        .await?;
    state.snapshots.invalidate();
    Ok(closed)
}

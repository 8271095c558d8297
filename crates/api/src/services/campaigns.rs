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

/// What closing did to a campaign's monthly gifts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthlyOnClose {
    /// Going on for the successor (each donor told).
    pub moved: usize,
    /// Stopped at their providers, then here (each donor told).
    pub stopped: usize,
    /// Still charged: their provider refused or could not be reached. Staff stop them from the
    /// subscriptions list; meanwhile a TipTop Pay charge is refused at its check (the campaign is
    /// closed) and any other counts and is flagged.
    pub still_running: usize,
}

/// Closes open campaign `slug` (an admin's). Its monthly gifts go on for `continues_as` (their
/// donors told), or, with no successor, are stopped at their providers and here (their donors
/// told): a donor is never charged for something they were not told about.
pub async fn close(
    state: &AppState,
    slug: String,
    continues_as: Option<String>,
    actor: &StaffUser,
) -> Result<(Campaign, MonthlyOnClose), ServiceError> {
    let actor_id = actor.id;
    let mail = state.mail.clone();
    let successor = continues_as.clone();
    let (closed, moved) = state
        .pool
        .run(move |conn| {
            let moved = std::cell::Cell::new(0usize);
            let tell = |conn: &mut demeu_db::DbConn, gift: &donations::subscription::Subscription| {
                let next = successor.clone().unwrap_or_default();
                let news = crate::mail::templates::MonthlyNews::Moved { next };
                moved.set(moved.get() + 1);
                crate::mail::compose::monthly(conn, &mail, gift, news, &format!("moved-from:{}", gift.campaign_id))
                    .map_err(donations::Error::from)
            };
            let closed = campaign_edit::close(conn, &slug, continues_as.as_deref(), actor_id, Utc::now(), &tell)?;
            Ok::<_, ServiceError>((closed, moved.get()))
        })
        .await?;
    state.snapshots.invalidate();
    let mut outcome = MonthlyOnClose { moved, ..MonthlyOnClose::default() };
    let id = closed.id;
    let running = state.pool.run(move |conn| donations::subscription::running_for(conn, id)).await?;
    for gift in running {
        let stop = super::subscriptions::stop(
            state,
            gift.id,
            super::subscriptions::Actor::Staff(actor_id),
            crate::mail::templates::MonthlyNews::CampaignClosed,
        );
        match stop.await {
            Ok(_) => outcome.stopped += 1,
            Err(ServiceError::Provider(e)) => {
                tracing::error!(subscription = %gift.id, error = %e, "a closed campaign's monthly gift is still charged");
                outcome.still_running += 1;
            }
            Err(e) => return Err(e),
        }
    }
    Ok((closed, outcome))
}

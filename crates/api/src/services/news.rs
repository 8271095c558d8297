//! Publishing a post: the post's state changes and, on its first publication only, one mail per
//! confirmed subscriber is enqueued, in one transaction.

use campaign_news::ids::{PostId, StaffUserId};
use campaign_news::post::{self, Post};

use super::ServiceError;
use crate::mail::compose;
use crate::state::AppState;

/// Applies `edit` to post `id`, its plan line checked against its campaign's plan first: what
/// the staff API and the console's editor both do.
pub fn edit(
    conn: &mut demeu_db::DbConn,
    id: PostId,
    actor: StaffUserId,
    edit: &campaign_news::post::PostEdit,
) -> Result<Post, ServiceError> {
    let found = post::find(conn, id)?;
    let campaign = donations::campaign::find_by_id(conn, found.campaign_id)?;
    check_plan_line(&campaign, edit.plan_line.as_deref())?;
    Ok(post::edit(conn, id, actor, edit)?)
}

/// Makes `new` a draft of campaign `slug` as `actor`, its plan line checked against the
/// campaign's plan first: what the staff API and the console's form both do.
pub fn create(
    conn: &mut demeu_db::DbConn,
    slug: &str,
    actor: StaffUserId,
    new: &campaign_news::post::NewPost,
) -> Result<Post, ServiceError> {
    let campaign = donations::campaign::find_by_slug(conn, slug)?;
    check_plan_line(&campaign, new.plan_line.as_deref())?;
    Ok(post::create_draft(conn, campaign.id, actor, new)?)
}

/// A post's plan line must be one of its campaign's (by key); `""` or none ties it to none:
/// 422 naming `plan_line` with the keys there are.
pub fn check_plan_line(campaign: &donations::campaign::Campaign, line: Option<&str>) -> Result<(), ServiceError> {
    let Some(key) = line.map(str::trim).filter(|k| !k.is_empty()) else { return Ok(()) };
    let keys: Vec<&str> = campaign.spec.plan.lines().iter().map(|l| l.key.as_str()).collect();
    if keys.contains(&key) {
        return Ok(());
    }
    Err(donations::Error::Invalid(vec![demeu_db::FieldError::one_of("plan_line", &keys)]).into())
}

/// Publishes post `id` as staff member `actor`; returns the post and how many mails were
/// enqueued (none after the first publication).
pub async fn publish(state: &AppState, id: PostId, actor: StaffUserId) -> Result<(Post, usize), ServiceError> {
    let ctx = state.mail.clone();
    state
        .pool
        .run(move |conn| {
            conn.write_transaction(|conn| {
                let published = post::publish_in(conn, id, actor)?;
                if !published.first_time {
                    return Ok((published.post, 0));
                }
                let campaign = donations::campaign::find_by_id(conn, published.post.campaign_id)?;
                let queued = compose::news(conn, &ctx, &campaign, &published.post)?;
                Ok::<_, ServiceError>((published.post, queued))
            })
        })
        .await
}

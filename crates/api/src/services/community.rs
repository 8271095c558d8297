//! What a reader sends a campaign — a comment, a subscription — the same whether it comes from
//! the API or from the campaign page's forms: checked first, then counted against the
//! address's hourly limit, then stored.

use std::net::IpAddr;

use campaign_news::comment::{self, Comment, NewComment};
use campaign_news::subscriber;

use super::ServiceError;
use crate::mail::compose;
use crate::state::AppState;

/// Leaves `new` on campaign `slug` for moderation.
pub async fn comment(
    state: &AppState,
    client: Option<IpAddr>,
    slug: String,
    new: NewComment,
) -> Result<Comment, ServiceError> {
    // Checked before counting, so that a refused comment does not use up the visitor's quota.
    comment::check(&new)?;
    state.comment_limiter.check(client).await?;
    state
        .pool
        .run(move |conn| {
            let campaign = donations::campaign::find_public(conn, &slug)?;
            comment::create(conn, campaign.id, &new).map_err(ServiceError::from)
        })
        .await
}

/// Starts a subscription of `email` to campaign `slug`'s news, confirmed by its mailed link;
/// the same outcome whatever the address's history.
/// `locale` is the language they subscribe in, when known (their mails are in it).
pub async fn subscribe(
    state: &AppState,
    client: Option<IpAddr>,
    slug: String,
    email: String,
    locale: Option<donations::campaign::Locale>,
) -> Result<(), ServiceError> {
    // Checked before counting, so that a mistyped address does not use up the visitor's quota.
    subscriber::parse_email(&email)?;
    state.subscription_limiter.check(client).await?;
    let ctx = state.mail.clone();
    state
        .pool
        .run(move |conn| {
            let campaign = donations::campaign::find_public(conn, &slug)?;
            conn.write_transaction(|conn| compose::subscribe(conn, &ctx, &campaign, &email, locale))?;
            Ok::<_, ServiceError>(())
        })
        .await
}

//! What every handler can reach. Kept apart from start-up so that routes, services and the
//! webhook path depend on this, and start-up on them, never the other way round.

use std::sync::Arc;

use demeu_db::DbPool;

use crate::auth::{HashingSlots, LoginThrottle};
use crate::mail::compose::MailContext;
use crate::metrics::Metrics;
use crate::payments::webhook::Inbox;
use crate::payments::Providers;
use crate::rate_limit::RateLimiter;
use crate::settings::Settings;

/// What every handler can reach.
pub struct AppState {
    /// The database.
    pub pool: DbPool,
    /// The configuration the server started with.
    pub settings: Arc<Settings>,
    /// The payment providers: the one for new pledges, and every configured one.
    pub providers: Providers,
    /// Campaign progress as donors read it.
    pub snapshots: Arc<crate::snapshot::Snapshots>,
    /// The campaign pages most visitors get, rendered.
    pub pages: crate::pages::cache::PageCache,
    /// What mail needs to know about this installation.
    pub mail: MailContext,
    /// Comments per client address (this and the next two counted in the database, together
    /// with every other instance).
    pub comment_limiter: RateLimiter,
    /// Subscriptions per client address (pledges that ask for news count here too).
    pub subscription_limiter: RateLimiter,
    /// Pledges per client address.
    pub pledge_limiter: RateLimiter,
    /// "Join the mentors' team" applications per client address.
    pub volunteer_limiter: RateLimiter,
    /// Donor sign-in links asked for per client address.
    pub donor_link_limiter: RateLimiter,
    /// The sign-in slow-down's memory of the refusals this instance gave (the counts are in the
    /// database).
    pub throttle: LoginThrottle,
    /// Password checks, a few at a time.
    pub hashing: HashingSlots,
    /// Response counters.
    pub metrics: Metrics,
    /// Whether each campaign's books balance, as last checked in the background.
    pub books: crate::services::books::Books,
    /// Live progress streams: in all, and per client.
    pub streams: crate::routes::events::StreamSlots,
    /// Uploaded pictures being made into variants, one at a time.
    pub workshop: crate::services::uploads::Workshop,
}

impl AppState {
    /// What the webhook path needs.
    pub fn inbox(&self) -> Inbox<'_> {
        Inbox {
            pool: &self.pool,
            stripe_secrets: &self.providers.stripe_secrets,
            snapshots: &self.snapshots,
            mail: &self.mail,
            payments: &self.settings.payments,
        }
    }
}

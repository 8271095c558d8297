//! One path for every provider delivery: verify, decode, process once.

use demeu_db::{DbConn, DbPool};
use donations::ledger::EntryKind;
use donations::payment_events::{process, Delivery, Processed};

use donations::subscription::SubscriptionStatus;

use crate::mail::compose::{self, MailContext};
use crate::mail::templates::MonthlyNews;
use crate::settings::PaymentSettings;

/// Why a delivery was not taken. Nothing is changed by any of them.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// A bad signature, or a body that is not a notification: the provider (or whoever sent it)
    /// is told so and does not send it again.
    #[error("{0}")]
    Refused(String),
    /// About something not known yet (a refund before its payment): the provider is to deliver
    /// it again later.
    #[error("deliver again later: {0}")]
    Later(String),
    /// Not a kind of notification the provider sends to this address (or the provider is not
    /// configured): nothing is there.
    #[error("no such notification")]
    NoSuchKind,
    /// The money rules or the database failed.
    #[error(transparent)]
    Donations(#[from] donations::Error),
}

impl From<demeu_db::DbError> for WebhookError {
    fn from(error: demeu_db::DbError) -> Self {
        WebhookError::Donations(error.into())
    }
}

/// What processing a delivery needs: the database, the secrets Stripe-shaped deliveries are
/// signed with, what mail needs, and the payment settings (signature tolerance, retry window).
#[derive(Clone, Copy)]
pub struct Inbox<'a> {
    /// The database.
    pub pool: &'a DbPool,
    /// Stripe's webhook secrets, and the sandbox's.
    pub stripe_secrets: &'a [String],
    /// Told when money moved, so that the next read of the campaign shows it.
    pub snapshots: &'a crate::snapshot::Snapshots,
    /// For receipts and refund notices.
    pub mail: &'a MailContext,
    /// Tolerance and retry window.
    pub payments: &'a PaymentSettings,
}

/// The mail a counted change calls for, enqueued in the same transaction: a receipt for a
/// pledge's first money, a notice for a refund.
pub fn mail_effects(ctx: &MailContext) -> impl Fn(&mut DbConn, &Processed) -> Result<(), donations::Error> + '_ {
    move |conn, processed| {
        if let Processed::SubscriptionStatus { subscription_id, status } = processed {
            return monthly_news(conn, ctx, *subscription_id, *status);
        }
        let Processed::Counted { pledge_id, kind, amount, first_counted } = processed else { return Ok(()) };
        let pledge = donations::pledge_store::find(conn, *pledge_id)?;
        // Receipts and notices go to the donor's address: without one there is nothing to do.
        if pledge.email.is_none() {
            return Ok(());
        }
        let campaign = donations::campaign::find_by_id(conn, pledge.campaign_id)?;
        match kind {
            EntryKind::Payment | EntryKind::OfflinePayment if *first_counted => {
                compose::receipt(conn, ctx, &pledge, &campaign)?
            }
            EntryKind::Refund => compose::refund_notice(conn, &pledge, &campaign, amount.checked_neg()?)?,
            _ => {}
        }
        Ok(())
    }
}

/// The donor's mail when the provider changed their monthly gift's state: a failed charge (what
/// to do), a gift the provider stopped. One mail per gift and day for failures (a provider
/// retrying daily tells once a day at most), one for the end.
fn monthly_news(
    conn: &mut DbConn,
    ctx: &MailContext,
    id: donations::ids::SubscriptionId,
    status: SubscriptionStatus,
) -> Result<(), donations::Error> {
    let (news, key) = match status {
        SubscriptionStatus::PastDue => (MonthlyNews::Failed, format!("failed:{}", chrono::Utc::now().date_naive())),
        SubscriptionStatus::Ended => (MonthlyNews::Ended, "ended".to_string()),
        SubscriptionStatus::Cancelled => (MonthlyNews::Stopped, "stopped".to_string()),
        SubscriptionStatus::Pending | SubscriptionStatus::Active => return Ok(()),
    };
    let gift = donations::subscription::find(conn, id)?;
    compose::monthly(conn, ctx, &gift, news, &key)?;
    Ok(())
}

/// Verifies and processes a Stripe-shaped delivery (Stripe's, the sandbox's). A bad signature
/// or body is 400 and changes nothing.
pub async fn receive(inbox: Inbox<'_>, body: &[u8], signature: Option<&str>) -> Result<Processed, WebhookError> {
    let now = chrono::Utc::now().timestamp();
    let tolerance = inbox.payments.webhook_tolerance.as_secs();
    let delivery = super::stripe_events::verify_and_decode(body, signature, inbox.stripe_secrets, now, tolerance)?;
    process_delivery(inbox, delivery).await
}

/// A Stripe-shaped notification (Stripe's, or the sandbox's, which takes its shape): signed with
/// any of the Stripe-shaped secrets, then processed once.
pub fn stripe_shaped<'a>(inbox: Inbox<'a>, notification: super::Notification<'a>) -> super::InboundFuture<'a> {
    Box::pin(async move {
        let processed = receive(inbox, notification.signed, notification.header("stripe-signature")).await?;
        Ok(super::Acknowledged::Event(processed))
    })
}

/// Processes a verified delivery of any provider, once. An event about something not known
/// yet is 503 (within the retry window), so that the provider delivers it again.
pub async fn process_delivery(inbox: Inbox<'_>, delivery: Delivery) -> Result<Processed, WebhookError> {
    let event_id = delivery.event_id.clone();
    let retry = inbox.payments.retry_window(&delivery.provider);
    let mail = inbox.mail.clone();
    let processed = inbox
        .pool
        .run(move |conn| process(conn, &delivery, &mail_effects(&mail), retry).map_err(WebhookError::from))
        .await?;
    if matches!(processed, Processed::Counted { .. }) {
        inbox.snapshots.invalidate();
    }
    match &processed {
        Processed::Retry(why) => {
            tracing::info!(%event_id, %why, "webhook deferred");
            Err(WebhookError::Later(why.to_string()))
        }
        Processed::Undecodable(why) | Processed::Unmatched(why) => {
            tracing::error!(%event_id, %why, outcome = %processed.outcome(), "webhook stored for staff");
            Ok(processed)
        }
        other => {
            tracing::info!(%event_id, outcome = ?other, "webhook processed");
            Ok(processed)
        }
    }
}

//! One path for every provider delivery: verify, decode, process once.

use actix_web::web;
use demeu_db::DbConn;
use donations::ledger::EntryKind;
use donations::payment_events::{process, Processed};

use crate::mail::compose::{self, MailContext};
use crate::problem::ApiError;
use crate::startup::AppState;

/// The mail a counted change calls for, enqueued in the same transaction: a receipt for a
/// pledge's first money, a notice for a refund.
pub fn mail_effects(ctx: &MailContext) -> impl Fn(&mut DbConn, &Processed) -> Result<(), donations::Error> + '_ {
    move |conn, processed| {
        let Processed::Counted { pledge_id, kind, amount, first_counted } = processed else { return Ok(()) };
        let pledge = donations::pledge_store::find(conn, *pledge_id)?;
        let campaign = donations::campaign::find_by_id(conn, pledge.campaign_uuid()?)?;
        match kind {
            EntryKind::Payment | EntryKind::OfflinePayment if *first_counted => {
                compose::receipt(conn, ctx, &pledge, &campaign)?
            }
            EntryKind::Refund => compose::refund_notice(conn, ctx, &pledge, &campaign, -amount)?,
            _ => {}
        }
        Ok(())
    }
}

/// Verifies and processes a delivery. A bad signature or body is 400 and changes nothing; an
/// event about something not known yet is 503, so that the provider delivers it again.
pub async fn receive(state: &web::Data<AppState>, body: &[u8], signature: Option<&str>) -> Result<Processed, ApiError> {
    let now = chrono::Utc::now().timestamp();
    let tolerance = state.settings.payments.webhook_tolerance_seconds;
    let delivery = state.provider.verify_and_decode(body, signature, now, tolerance)?;
    let event_id = delivery.event_id.clone();
    let ctx = state.mail.clone();
    let processed =
        state.pool.run(move |conn| process(conn, &delivery, &mail_effects(&ctx)).map_err(ApiError::from)).await?;
    match &processed {
        Processed::Retry(why) => {
            tracing::info!(%event_id, %why, "webhook deferred");
            Err(ApiError::Unavailable(format!("deliver again later: {why}")))
        }
        Processed::Undecodable(why) => {
            tracing::error!(%event_id, %why, "webhook stored but not decodable");
            Ok(processed)
        }
        other => {
            tracing::info!(%event_id, outcome = ?other, "webhook processed");
            Ok(processed)
        }
    }
}

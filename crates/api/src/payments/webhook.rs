//! One path for every provider delivery: verify, decode, process once.

use actix_web::web;
use donations::payment_events::{process, Processed};

use crate::problem::ApiError;
use crate::startup::AppState;

/// Verifies and processes a delivery. A bad signature or body is 400 and changes nothing; an
/// event about something not known yet is 503, so that the provider delivers it again.
pub async fn receive(state: &web::Data<AppState>, body: &[u8], signature: Option<&str>) -> Result<Processed, ApiError> {
    let now = chrono::Utc::now().timestamp();
    let tolerance = state.settings.payments.webhook_tolerance_seconds;
    let delivery = state.provider.verify_and_decode(body, signature, now, tolerance)?;
    let event_id = delivery.event_id.clone();
    let processed = state.pool.run(move |conn| process(conn, &delivery).map_err(ApiError::from)).await?;
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

use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use donations::payment_events::Processed;
use serde::Serialize;

use crate::payments::webhook::receive;
use crate::problem::ApiError;
use crate::state::AppState;

/// The answer to a delivery.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Received {
    /// Always true on 200.
    pub received: bool,
    /// counted, recorded, flagged, undecodable, not_ours, unmatched or duplicate.
    pub outcome: &'static str,
}

/// Stripe's webhook deliveries (and the sandbox's): the raw body, verified by its
/// `Stripe-Signature`. 400 for a bad signature or body, changing nothing; 200 for every accepted
/// event, once or many times, ours or not (`not_ours`); 503 for a refund or dispute on a payment
/// not known yet, while the event is younger than `payments.webhook_retry_hours`.
#[utoipa::path(post, path = "/api/v1/webhooks/stripe", operation_id = "stripe_webhook", tag = "webhooks",
    params(("Stripe-Signature" = String, Header, description = "t=...,v1=...")),
    request_body(content = String, content_type = "application/json", description = "A Stripe event, exactly as sent"),
    responses(
        (status = 200, body = Received),
        (status = 400, description = "A bad signature, or not an event: nothing changed"),
        (status = 503, description = "A refund or dispute on a payment not known yet: deliver again"),
    ))]
pub async fn stripe(state: web::Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let signature = req.headers().get("stripe-signature").and_then(|v| v.to_str().ok());
    let processed = receive(state.inbox(), &body, signature).await?;
    let outcome = match processed {
        Processed::Duplicate => "duplicate",
        other => other.outcome().as_str(),
    };
    Ok(HttpResponse::Ok().json(Received { received: true, outcome }))
}

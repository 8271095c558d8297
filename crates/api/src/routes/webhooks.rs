use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use donations::payment_events::Processed;
use serde::Serialize;

use crate::payments::webhook::stripe_shaped;
use crate::payments::{Acknowledged, Notification};
use crate::problem::ApiError;
use crate::settings::ProviderKind;
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
    let headers = headers(&req);
    let notification = Notification { kind: None, content_type: None, headers: &headers, signed: &body };
    // With neither Stripe nor the sandbox configured, no delivery can be signed by a secret
    // this installation has: the signature check refuses it like any other.
    let acknowledged = match state.providers.stripe_shaped() {
        Some(provider) => provider.receive(state.inbox(), notification).await?,
        None => stripe_shaped(state.inbox(), notification).await?,
    };
    let Acknowledged::Event(processed) = acknowledged else {
        return Err(ApiError::internal("a Stripe-shaped provider answered a code"));
    };
    let outcome = match processed {
        Processed::Duplicate => "duplicate",
        other => other.outcome().as_str(),
    };
    Ok(HttpResponse::Ok().json(Received { received: true, outcome }))
}

/// The request's headers whose values are text, names in lower case (as actix keeps them).
fn headers(req: &HttpRequest) -> Vec<(&str, &str)> {
    req.headers().iter().filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))).collect()
}

/// The answer TipTop Pay expects.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TipTopPayAnswer {
    /// 0: accepted. A `check` refuses with 10 (unknown pledge), 12 (wrong amount or currency),
    /// 13 (cannot be accepted: paid already, canceled, or a test payment on a live installation)
    /// or 20 (the campaign has ended).
    pub code: u8,
}

/// TipTop Pay's notifications, one URL per kind, by POST (form-encoded or JSON) or GET (the
/// query string), in UTF-8 or Windows-1251, verified by `Content-HMAC` (base64 of HMAC-SHA256
/// over the raw body, or query string, with the API secret) or `X-Content-HMAC` (the same over
/// the URL-decoded parameters, where that decoding is unambiguous). 400 for a bad signature or body, changing nothing; 200 `{"code": 0}` for every
/// accepted notification, once or many times (`pay` counts once per TransactionId, `refund`
/// once per refund transaction; a monthly gift's charge names its `SubscriptionId`, and
/// `recurrent` keeps the subscription's state); `check` answers its refusal code and changes
/// nothing (a charge of a stopped monthly gift is refused 13); 503 for a
/// refund on a payment not known yet, while the notification is younger than
/// `payments.webhook_retry_hours`. 404 when TipTop Pay's keys are not configured.
#[utoipa::path(post, path = "/api/v1/webhooks/tiptoppay/{kind}", operation_id = "tiptoppay_notification", tag = "webhooks",
    params(
        ("kind" = String, Path, description = "check, pay, fail, confirm, refund, cancel or recurrent"),
        ("Content-HMAC" = String, Header, description = "base64 HMAC-SHA256 of the raw body, keyed by the API secret"),
    ),
    request_body(content(
        (String = "application/x-www-form-urlencoded"),
        (String = "application/json"),
    ), description = "A TipTop Pay notification, exactly as sent"),
    responses(
        (status = 200, body = TipTopPayAnswer),
        (status = 400, description = "A bad signature, or a field missing or malformed: nothing changed"),
        (status = 404, description = "Not a notification kind, or TipTop Pay is not configured"),
        (status = 503, description = "A refund on a payment not known yet: deliver again"),
    ))]
pub async fn tiptoppay(
    state: web::Data<AppState>,
    kind: web::Path<String>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    tiptoppay_notification(&state, &kind, &req, &body).await
}

/// The same notification sent by GET, TipTop Pay's default method: its parameters, and what
/// `Content-HMAC` signs, are the query string as received.
#[utoipa::path(get, path = "/api/v1/webhooks/tiptoppay/{kind}", operation_id = "tiptoppay_notification_by_get",
    tag = "webhooks",
    params(
        ("kind" = String, Path, description = "check, pay, fail, confirm, refund, cancel or recurrent"),
        ("Content-HMAC" = String, Header, description = "base64 HMAC-SHA256 of the query string as sent, keyed by the API secret"),
    ),
    responses(
        (status = 200, body = TipTopPayAnswer),
        (status = 400, description = "A bad signature, or a field missing or malformed: nothing changed"),
        (status = 404, description = "Not a notification kind, or TipTop Pay is not configured"),
        (status = 503, description = "A refund on a payment not known yet: deliver again"),
    ))]
pub async fn tiptoppay_by_get(
    state: web::Data<AppState>,
    kind: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    tiptoppay_notification(&state, &kind, &req, req.query_string().as_bytes()).await
}

async fn tiptoppay_notification(
    state: &AppState,
    kind: &str,
    req: &HttpRequest,
    signed: &[u8],
) -> Result<HttpResponse, ApiError> {
    let tiptoppay = state.providers.get(ProviderKind::TipTopPay).ok_or_else(|| ApiError::NotFound("path".into()))?;
    let headers = headers(req);
    let content_type = match req.method() {
        &actix_web::http::Method::GET => None,
        _ => req.headers().get("content-type").and_then(|v| v.to_str().ok()),
    };
    let notification = Notification { kind: Some(kind), content_type, headers: &headers, signed };
    match tiptoppay.receive(state.inbox(), notification).await? {
        Acknowledged::Code(code) => Ok(HttpResponse::Ok().json(TipTopPayAnswer { code })),
        Acknowledged::Event(_) => Err(ApiError::internal("TipTop Pay answered an event")),
    }
}

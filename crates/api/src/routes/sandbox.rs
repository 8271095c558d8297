//! The sandbox's checkout page. Its buttons post here; each makes a Stripe-shaped event, signed
//! with the sandbox secret, and hands it to the same webhook path as Stripe's deliveries.

use actix_web::{web, HttpResponse};
use donations::money::Money;
use donations::payment_events::Processed;
use donations::pledge_store::{self, PledgeRecord};

use crate::html::{escape, page};
use crate::payments::webhook::receive;
use crate::payments::SignedDelivery;
use crate::problem::ApiError;
use crate::state::AppState;

async fn pledge_of(state: &web::Data<AppState>, session: String) -> Result<PledgeRecord, ApiError> {
    if state.providers.sandbox.is_none() {
        return Err(ApiError::NotFound("path".into()));
    }
    state
        .pool
        .run(move |conn| pledge_store::find_by_session(conn, &session)?.ok_or(ApiError::NotFound("checkout".into())))
        .await
}

fn amount_of(pledge: &PledgeRecord) -> String {
    Money::new(pledge.amount, pledge.currency).to_string()
}

/// The sandbox's checkout page: the amount, "Pay" and "Decline".
pub async fn show(state: web::Data<AppState>, session: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let session = session.into_inner();
    let pledge = pledge_of(&state, session.clone()).await?;
    let status = pledge.display_status();
    let actions = if status.as_str() == "pending" {
        format!(
            "<form method=\"post\" action=\"/sandbox/checkout/{s}/pay\"><button>Pay</button></form>\
             <form method=\"post\" action=\"/sandbox/checkout/{s}/decline\"><button>Decline</button></form>",
            s = escape(&session)
        )
    } else {
        format!("<p>This checkout is closed: the pledge is <b>{}</b>.</p>", status.as_str())
    };
    Ok(page(
        "Sandbox checkout",
        &format!(
            "<h1>Sandbox checkout</h1><p class=\"amount\">{}</p><p>Pledge <code>{}</code></p>{actions}\
             <p class=\"note\">No money moves here: this page stands in for the payment provider.</p>",
            escape(&amount_of(&pledge)),
            escape(&pledge.id.to_string())
        ),
    ))
}

async fn deliver(state: &web::Data<AppState>, delivery: SignedDelivery) -> Result<Processed, ApiError> {
    receive(state.inbox(), delivery.body.as_bytes(), Some(&delivery.signature)).await
}

/// "Pay": a paid checkout session event.
pub async fn pay(state: web::Data<AppState>, session: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let session = session.into_inner();
    let pledge = pledge_of(&state, session.clone()).await?;
    let sandbox = state.providers.sandbox.as_ref().ok_or_else(|| ApiError::NotFound("checkout".into()))?;
    deliver(&state, sandbox.paid(&session, &pledge.id.to_string(), pledge.amount, pledge.currency.code())).await?;
    Ok(page(
        "Paid",
        &format!(
            "<h1>Thank you</h1><p class=\"amount\">{}</p><p>The payment went through the webhook and counts now.</p>",
            escape(&amount_of(&pledge))
        ),
    ))
}

/// "Decline": the checkout's payment failed; nothing counts.
pub async fn decline(state: web::Data<AppState>, session: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let session = session.into_inner();
    let pledge = pledge_of(&state, session.clone()).await?;
    let sandbox = state.providers.sandbox.as_ref().ok_or_else(|| ApiError::NotFound("checkout".into()))?;
    deliver(&state, sandbox.declined(&session, &pledge.id.to_string(), pledge.amount, pledge.currency.code())).await?;
    Ok(page("Declined", "<h1>Payment declined</h1><p>Nothing was charged and nothing counts.</p>"))
}

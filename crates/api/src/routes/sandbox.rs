//! The sandbox's checkout page. Its buttons post here; each makes a Stripe-shaped event, signed
//! with the sandbox secret, and hands it to the same webhook path as Stripe's deliveries.

use actix_web::{web, HttpResponse};
use donations::money::Money;
use donations::payment_events::Processed;
use donations::pledge_store::{self, PledgeRecord};

use crate::html::{escape, page};
use crate::links::{back_url, thanks_url};
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

/// "Pay": a paid checkout session event, then back to the pledge's thanks page, as a
/// provider's checkout returns the donor.
pub async fn pay(state: web::Data<AppState>, session: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let session = session.into_inner();
    let pledge = pledge_of(&state, session.clone()).await?;
    let sandbox = state.providers.sandbox.as_ref().ok_or_else(|| ApiError::NotFound("checkout".into()))?;
    deliver(&state, sandbox.paid(&session, &pledge.id.to_string(), pledge.amount, pledge.currency.code())).await?;
    let slug = slug_of(&state, &pledge).await?;
    Ok(see_other(thanks_url("", &slug, pledge.id)))
}

/// "Decline": a failed payment event, then back to the donate form with the amount kept.
pub async fn decline(state: web::Data<AppState>, session: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let session = session.into_inner();
    let pledge = pledge_of(&state, session.clone()).await?;
    let sandbox = state.providers.sandbox.as_ref().ok_or_else(|| ApiError::NotFound("checkout".into()))?;
    deliver(&state, sandbox.declined(&session, &pledge.id.to_string(), pledge.amount, pledge.currency.code())).await?;
    let slug = slug_of(&state, &pledge).await?;
    Ok(see_other(back_url("", &slug, pledge.id)))
}

/// The campaign a pledge belongs to, for its return links.
async fn slug_of(state: &web::Data<AppState>, pledge: &PledgeRecord) -> Result<String, ApiError> {
    let campaign_id = pledge.campaign_id;
    state.pool.run(move |conn| Ok::<_, ApiError>(donations::campaign::find_by_id(conn, campaign_id)?.spec.slug)).await
}

/// Back to Demeu, as a provider's checkout sends the donor when it is done (on this origin:
/// the sandbox is served by the same server).
fn see_other(to: String) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, to)).finish()
}

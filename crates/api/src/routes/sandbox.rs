//! The sandbox's checkout page. Its buttons post here; each makes a Stripe-shaped event, signed
//! with the sandbox secret, and hands it to the same webhook path as Stripe's deliveries.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use donations::payment_events::Processed;
use donations::pledge::{DisplayStatus, ProviderKind};
use donations::pledge_store::{self, PledgeRecord};
use maud::html;

use crate::format::money;
use crate::i18n::{Lang, Tr};
use crate::links::{back_url, thanks_url};
use crate::pages::layout::{document, respond, Caching, Frame};
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

/// The sandbox's checkout page: the amount, "Pay" and "Decline", in the visitor's language,
/// through the site's layout.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let session = session.into_inner();
    let pledge = pledge_of(&state, session.clone()).await?;
    let status = pledge.display_status();
    let tr = Tr::new(Lang::negotiate(&req, Lang::Ru));
    let title = tr.t("sandbox-title");
    let main = html! {
        h1 { (title) }
        p.amount { (money(tr.lang, pledge.amount)) }
        p { (tr.t("sandbox-pledge")) " " code { (pledge.id) } }
        @if status == DisplayStatus::Pending {
            form method="post" action={ "/sandbox/checkout/" (session) "/pay" } {
                button type="submit" { (tr.t("sandbox-pay")) }
            }
            form method="post" action={ "/sandbox/checkout/" (session) "/decline" } {
                button.secondary type="submit" { (tr.t("sandbox-decline")) }
            }
        } @else {
            p { (tr.t("sandbox-closed")) " " strong { (tr.name("pledge-status", status.as_str())) } }
        }
        p.note { (tr.t("sandbox-note")) }
    };
    let path = format!("/sandbox/checkout/{session}");
    // The provider's page stands in for the provider's own site: not the foundation's frame.
    let frame = Frame::new(tr, &title, &path);
    Ok(respond(StatusCode::OK, document(&frame, main), Caching::Private, None, None))
}

async fn deliver(state: &web::Data<AppState>, delivery: SignedDelivery) -> Result<Processed, ApiError> {
    Ok(receive(state.inbox(), delivery.body.as_bytes(), Some(&delivery.signature)).await?)
}

/// "Pay": a paid checkout session event, then back to the pledge's thanks page, as a
/// provider's checkout returns the donor.
pub async fn pay(state: web::Data<AppState>, session: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let session = session.into_inner();
    let pledge = pledge_of(&state, session.clone()).await?;
    let sandbox = state.providers.sandbox.as_ref().ok_or_else(|| ApiError::NotFound("checkout".into()))?;
    let paid = match pledge.subscription_id {
        Some(ours) => sandbox.paid_monthly(
            &session,
            &pledge.id.to_string(),
            pledge.amount,
            &crate::payments::sandbox::subscription_id(&ours.to_string()),
        ),
        None => sandbox.paid(&session, &pledge.id.to_string(), pledge.amount),
    };
    deliver(&state, paid).await?;
    let slug = slug_of(&state, &pledge).await?;
    Ok(see_other(thanks_url("", &slug, pledge.id)))
}

/// `POST /sandbox/subscriptions/{id}/charge`: the sandbox's next monthly charge of a monthly
/// gift, now (a signed `invoice.paid`, through the webhook path), so that a demo and the tests
/// see the second month without waiting one. Answers what became of it; the donor page's button
/// (a form) goes back to that page.
pub async fn charge(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sandbox = state.providers.sandbox.as_ref().ok_or_else(|| ApiError::NotFound("path".into()))?;
    let id: donations::ids::SubscriptionId =
        id.into_inner().parse().map_err(|_| ApiError::NotFound("subscription".into()))?;
    let found = state.pool.run(move |conn| donations::subscription::find(conn, id)).await?;
    let Some(provider_id) = found.provider_subscription_id.filter(|_| found.provider == ProviderKind::Sandbox) else {
        return Err(ApiError::Conflict("the sandbox has not started this subscription".into()));
    };
    let processed = deliver(&state, sandbox.charged(&provider_id, found.amount)).await?;
    let counted = matches!(processed, Processed::Counted { .. });
    let from_form = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if from_form {
        let lang = crate::i18n::Lang::negotiate(&req, crate::i18n::Lang::Ru);
        return Ok(see_other(format!("/donor?lang={}", lang.code())));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({"charged": counted, "outcome": processed.outcome().as_str()})))
}

/// "Decline": a failed payment event, then back to the donate form with the amount kept.
pub async fn decline(state: web::Data<AppState>, session: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let session = session.into_inner();
    let pledge = pledge_of(&state, session.clone()).await?;
    let sandbox = state.providers.sandbox.as_ref().ok_or_else(|| ApiError::NotFound("checkout".into()))?;
    deliver(&state, sandbox.declined(&session, &pledge.id.to_string(), pledge.amount)).await?;
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

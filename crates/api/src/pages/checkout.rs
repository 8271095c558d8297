//! The donor's way through payment: `/campaigns/{slug}/pay` sends the browser to the
//! provider's checkout, `/campaigns/{slug}/thanks` is where it comes back to, following the
//! pledge until it is counted (or has failed).

use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use donations::ids::PledgeId;
use donations::pledge::DisplayStatus;
use donations::pledge_store::{self, PledgeRecord};
use maud::html;
use serde::Deserialize;

use super::layout::{document, respond, Caching, Frame};
use crate::format::money;
use crate::i18n::{chosen, Lang, Tr};
use crate::problem::ApiError;
use crate::state::AppState;

/// `?pledge=`.
#[derive(Debug, Deserialize)]
pub struct PledgeQuery {
    /// The pledge: its id is its donor's handle.
    pub pledge: String,
}

/// The pledge `query` names, if it is one of campaign `slug`'s (else 404: a pledge id found
/// elsewhere tells nothing about another campaign).
async fn pledge_of(state: &AppState, slug: String, query: &PledgeQuery) -> Result<(PledgeRecord, Lang), ApiError> {
    let id: PledgeId = query.pledge.parse().map_err(|_| ApiError::NotFound("pledge".into()))?;
    state
        .pool
        .run(move |conn| {
            let campaign = donations::campaign::find_public(conn, &slug)?;
            let pledge = pledge_store::find(conn, id)?;
            if pledge.campaign_id != campaign.id {
                return Err(ApiError::NotFound("pledge".into()));
            }
            Ok((pledge, Lang::of(campaign.spec.locale)))
        })
        .await
}

/// `GET /campaigns/{slug}/pay?pledge=`: a page that sends the browser on to the pledge's
/// checkout at once (a refresh, so that the page's form-action stays this origin alone), with
/// a link for browsers that do not follow it. A pledge that is not waiting for payment goes
/// to its thanks page.
pub async fn pay(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<PledgeQuery>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let (pledge, fallback) = pledge_of(&state, slug.clone(), &query).await?;
    let url = pledge.checkout_url.clone().filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    let Some(url) = url.filter(|_| pledge.display_status() == DisplayStatus::Pending) else {
        return Ok(HttpResponse::SeeOther()
            .insert_header((LOCATION, format!("/campaigns/{slug}/thanks?pledge={}", pledge.id)))
            .finish());
    };
    let tr = Tr::new(Lang::negotiate(&req, fallback));
    let path = format!("/campaigns/{slug}/pay");
    let site = state.snapshots.site(&state.pool).await?;
    let heading = tr.t("pay-heading");
    let frame = Frame { site: Some(&site), redirect: Some(&url), ..Frame::new(tr, &heading, &path) };
    let main = html! {
        h1 { (tr.t("pay-heading")) }
        p { (tr.t_with("thanks-amount", &[("amount", money(tr.lang, pledge.amount).into())])) }
        p { a href=(url) { (tr.t("pay-continue")) } }
    };
    Ok(respond(StatusCode::OK, document(&frame, main), Caching::Private, chosen(&req), None))
}

/// `GET /campaigns/{slug}/thanks?pledge=`: the pledge's status, followed until it is counted
/// (by the script, or by a refresh every few seconds without it).
pub async fn thanks(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<PledgeQuery>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let (pledge, fallback) = pledge_of(&state, slug.clone(), &query).await?;
    let tr = Tr::new(Lang::negotiate(&req, fallback));
    let status = pledge.display_status();
    let pending = status == DisplayStatus::Pending;
    let text = |status: DisplayStatus| match status {
        DisplayStatus::Pending => tr.t("thanks-pending"),
        DisplayStatus::Paid | DisplayStatus::PartiallyRefunded | DisplayStatus::Disputed => tr.t("thanks-counted"),
        DisplayStatus::Refunded => tr.t("thanks-refunded"),
        DisplayStatus::Failed => tr.t("thanks-failed"),
        DisplayStatus::Expired => tr.t("thanks-expired"),
        DisplayStatus::Canceled => tr.t("thanks-canceled"),
    };
    let unpaid = matches!(status, DisplayStatus::Failed | DisplayStatus::Expired | DisplayStatus::Canceled);
    let path = format!("/campaigns/{slug}/thanks");
    let site = state.snapshots.site(&state.pool).await?;
    let heading = tr.t("thanks-heading");
    let frame =
        Frame { site: Some(&site), refresh_without_script: pending.then_some(3), ..Frame::new(tr, &heading, &path) };
    let main = html! {
        section data-pledge={ "/api/v1/pledges/" (pledge.id) } data-state=(status.as_str())
            data-paid=(tr.t("thanks-counted")) data-partially_refunded=(tr.t("thanks-counted"))
            data-disputed=(tr.t("thanks-counted")) data-refunded=(tr.t("thanks-refunded"))
            data-failed=(tr.t("thanks-failed")) data-expired=(tr.t("thanks-expired"))
            data-canceled=(tr.t("thanks-canceled")) {
            h1 { (tr.t("thanks-heading")) }
            p { (tr.t_with("thanks-amount", &[("amount", money(tr.lang, pledge.amount).into())])) }
            p.notice role="status" aria-live="polite" data-status { (text(status)) }
            @if pledge.email.is_some() { p { (tr.t("thanks-mail")) } } @else { p { (tr.t("thanks-no-mail")) } }
            @if unpaid {
                p { a href=(crate::links::back_url("", &slug, pledge.id)) { (tr.t("thanks-try-again")) } }
            }
            p { a href={ "/campaigns/" (slug) } { (tr.t("thanks-back")) } }
        }
    };
    Ok(respond(StatusCode::OK, document(&frame, main), Caching::Private, chosen(&req), None))
}

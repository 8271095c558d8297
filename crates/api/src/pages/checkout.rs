//! The donor's way through payment: `/campaigns/{slug}/pay` sends the browser to the
//! provider's checkout, `/campaigns/{slug}/thanks` is where it comes back to, following the
//! pledge until it is counted (or has failed).

use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use donations::campaign::Progress;
use donations::ids::PledgeId;
use donations::pledge::DisplayStatus;
use donations::pledge_store::{self, PledgeRecord};
use maud::{html, Markup};
use serde::Deserialize;

use super::campaign::{progress_box, share_targets, subscribe};
use super::forms::Forms;
use super::layout::{document, respond, Caching, Frame};
use super::outcome;
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

/// `GET /campaigns/{slug}/thanks?pledge=`: one true thing per state. Waiting: that the bank's
/// word is awaited and where the receipt will go (followed by the script, or by a refresh every
/// few seconds without it, until the state changes). Counted: thanks, the campaign's progress
/// with the gift in it, sharing, the news and the mentors' team. Not paid: why, as far as the
/// provider said, and one button to try again. Refunded: that it was.
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
    let counted = matches!(status, DisplayStatus::Paid | DisplayStatus::PartiallyRefunded | DisplayStatus::Disputed);
    let progress = match counted {
        true => {
            let slug = slug.clone();
            Some(state.pool.run(move |conn| Ok::<_, ApiError>(donations::campaign::progress(conn, &slug)?)).await?)
        }
        false => None,
    };
    let path = format!("/campaigns/{slug}/thanks");
    let site = state.snapshots.site(&state.pool).await?;
    let amount = money(tr.lang, pledge.amount);
    let (heading, said) = match status {
        DisplayStatus::Pending => (tr.t("thanks-pending-heading"), tr.t("thanks-pending")),
        DisplayStatus::Refunded => (tr.t("thanks-refunded-heading"), tr.t("thanks-refunded")),
        _ if counted => (tr.t("thanks-heading"), tr.t_with("thanks-counted", &[("amount", amount.clone().into())])),
        _ => outcome::words(&tr, &pledge),
    };
    let frame = Frame {
        site: Some(&site),
        refresh_without_script: (status == DisplayStatus::Pending).then_some(3),
        ..Frame::new(tr, &heading, &path)
    };
    let page_url = format!("{}/campaigns/{slug}", state.settings.public_url());
    let main = html! {
        section.thanks data-pledge={ "/api/v1/pledges/" (pledge.id) } data-state=(status.as_str()) {
            h1 { (heading) }
            p.notice role="status" aria-live="polite" data-status { (said) }
            @match status {
                DisplayStatus::Pending => {
                    p { (tr.t_with("thanks-amount", &[("amount", amount.into())])) }
                    @if pledge.email.is_some() { p { (tr.t("thanks-mail-later")) } } @else { p { (tr.t("thanks-no-mail")) } }
                }
                DisplayStatus::Refunded => {}
                _ if counted => {
                    @if pledge.email.is_some() { p { (tr.t("thanks-mail-sent")) } } @else { p { (tr.t("thanks-no-mail")) } }
                    @if let Some(code) = &pledge.receipt_code {
                        p.receipt-code {
                            (tr.t_with("receipt-code-line", &[("code", code.clone().into())])) " · "
                            a href={ "/receipts/" (code) "?lang=" (tr.lang.code()) } { (tr.t("receipt-check")) }
                        }
                    }
                    @if let Some(progress) = &progress { (progress_box(&tr, progress, false, None)) }
                    (after_giving(&tr, &slug, &page_url, &pledge, progress.as_ref()))
                }
                _ => {
                    p { (tr.t("unpaid-no-charge")) }
                    (outcome::try_again(&tr, &slug, &pledge))
                }
            }
            p { a href={ "/campaigns/" (slug) "?lang=" (tr.lang.code()) } { (tr.t("thanks-back")) } }
        }
    };
    Ok(respond(StatusCode::OK, document(&frame, main), Caching::Private, chosen(&req), None))
}

/// What a donor whose gift counted may do next: tell others (Telegram and WhatsApp, the
/// channels people in Kazakhstan use, or the link copied), follow the news, join the team.
fn after_giving(tr: &Tr, slug: &str, url: &str, pledge: &PledgeRecord, progress: Option<&Progress>) -> Markup {
    let title = progress.map_or("", |p| p.campaign.title(tr.lang.locale()));
    html! {
        section.card aria-labelledby="tell-heading" {
            h2 #tell-heading { (tr.t("thanks-share-heading")) }
            p { (tr.t("thanks-share-why")) }
            ul.share-buttons {
                @for (name, href) in share_targets(url, title).into_iter().take(2) {
                    li { a.button href=(href) rel="noopener noreferrer" { (name) } }
                }
                li { button.secondary type="button" data-copy=(url) data-copied=(tr.t("thanks-copied")) hidden { (tr.t("thanks-copy")) } }
            }
            div.field {
                label for="page-link" { (tr.t("share-copy")) }
                input #page-link type="text" readonly value=(url);
            }
        }
        @if pledge.subscribe {
            p { (tr.t("thanks-subscribed")) }
        } @else {
            (subscribe(tr, slug, &Forms::default()))
        }
        section.card aria-labelledby="team-heading" {
            h2 #team-heading { (tr.t("volunteer-heading")) }
            p { (tr.t("volunteer-intro")) }
            p { a href={ "/campaigns/" (slug) "?lang=" (tr.lang.code()) "#volunteer" } { (tr.t("thanks-join")) } }
        }
    }
}

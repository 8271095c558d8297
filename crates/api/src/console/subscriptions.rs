//! `/staff/subscriptions`: the monthly gifts, as the accountant reads them (the API's list), and
//! stopping one on the donor's request (at the provider, then here, audited).

use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use donations::ids::SubscriptionId;
use donations::subscription::{self, Listed, SubscriptionFilter, SubscriptionStatus};
use maud::{html, Markup};
use serde::Deserialize;

use super::access::{Console, ConsoleForm};
use super::{page, Signed};
use crate::format::{date, money};
use crate::problem::ApiError;
use crate::routes::access::Accountant;
use crate::services::subscriptions;
use crate::state::AppState;

/// The console's routes for monthly gifts.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/staff/subscriptions").route(web::get().to(list)))
        .service(web::resource("/staff/subscriptions/{id}/cancel").route(web::post().to(cancel)));
}

/// `?campaign=&status=`.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    campaign: Option<String>,
    status: Option<String>,
}

/// `GET /staff/subscriptions`: the latest 100, newest first, by campaign and status when asked.
pub async fn list(
    Console(signed, ..): Console<Accountant>,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let tr = signed.tr;
    // An empty choice of the form's filter is no filter.
    let status =
        crate::extract::named::<SubscriptionStatus>("status", query.status.as_deref().filter(|s| !s.is_empty()))?;
    let campaign = query.campaign.clone().filter(|c| !c.is_empty());
    let filter = SubscriptionFilter { campaign, status };
    let items = state.pool.run(move |conn| subscription::list(conn, &filter, 100, None)).await?.items;
    Ok(page(Some(&signed), tr, &tr.t("console-subscriptions"), StatusCode::OK, list_view(&signed, &items)))
}

/// The table: campaign, donor, amount a month, state, charges, next charge, and the stop button
/// of each gift that runs.
fn list_view(signed: &Signed, items: &[Listed]) -> Markup {
    let tr = signed.tr;
    let labels = ["pl-campaign", "pl-donor", "cs-monthly", "pl-status", "cs-charges", "cs-next"].map(|k| tr.t(k));
    let [campaign, donor, amount, status, charges, next] = &labels;
    html! {
        h1 { (tr.t("console-subscriptions")) }
        p.help { (tr.t("cs-help")) }
        @if items.is_empty() { p { (tr.t("console-none")) } }
        @else {
            div.scroll { table.list {
                thead { tr {
                    @for label in &labels { th scope="col" { (label) } }
                    th scope="col" { span.visually-hidden { (tr.t("console-actions")) } }
                } }
                tbody {
                    @for item in items {
                        @let s = &item.subscription;
                        tr {
                            td data-label=(campaign) { (item.campaign) }
                            td.who data-label=(donor) { bdi { (s.email) } }
                            td data-label=(amount) { strong.money { (money(tr.lang, s.amount)) } }
                            td data-label=(status) { (tr.name("subscription-status", s.status.as_str())) }
                            td data-label=(charges) { (item.charges) }
                            td data-label=(next) {
                                @match item.next_charge_at { Some(at) => (date(&tr, demeu_db::utc(at))), None => "—" }
                            }
                            td {
                                @if matches!(s.status, SubscriptionStatus::Active | SubscriptionStatus::PastDue | SubscriptionStatus::Pending) {
                                    form method="post" action={ "/staff/subscriptions/" (s.id) "/cancel" } {
                                        input type="hidden" name="csrf" value=(signed.csrf);
                                        button.secondary type="submit" { (tr.t("cs-cancel")) }
                                    }
                                }
                            }
                        }
                    }
                }
            } }
        }
    }
}

/// The list again, saying the stop did not happen and that the gift goes on.
fn refused_view(signed: &Signed, items: &[Listed]) -> Markup {
    html! {
        p.alert role="alert" { (signed.tr.t("cs-cancel-failed")) }
        (list_view(signed, items))
    }
}

/// The stop button's form (its CSRF token only).
#[derive(Deserialize)]
pub struct CancelForm {}

/// `POST /staff/subscriptions/{id}/cancel`: stops the gift, back to the list; a provider that
/// refuses leaves it running and the list says why.
pub async fn cancel(
    ConsoleForm(signed, _form, ..): ConsoleForm<Accountant, CancelForm>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: SubscriptionId = id.parse().map_err(|_| ApiError::NotFound("subscription".into()))?;
    match subscriptions::cancel(&state, id, subscriptions::Actor::Staff(signed.user.id)).await {
        Ok(_) => Ok(HttpResponse::SeeOther().insert_header((LOCATION, "/staff/subscriptions")).finish()),
        Err(error) => {
            let error = ApiError::from(error);
            let tr = signed.tr;
            let items =
                state.pool.run(|conn| subscription::list(conn, &SubscriptionFilter::default(), 100, None)).await?.items;
            // The provider's own words are for the logs (English, technical): staff read ours.
            tracing::warn!(subscription = %id, %error, "a monthly gift could not be stopped");
            let main = refused_view(&signed, &items);
            Ok(page(
                Some(&signed),
                tr,
                &tr.t("console-subscriptions"),
                actix_web::ResponseError::status_code(&error),
                main,
            ))
        }
    }
}

//! The console's spending page of a campaign (accountants and admins): the form that records an
//! expense with its evidence files, each standing expense's reversal (with its reason), and the
//! report as the public will read it, line by line (its preview).

use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use demeu_db::locale::Locale;
use donations::expense::{self, ExpenseForm};
use maud::{html, Markup};
use serde::Deserialize;

use super::{page, refused_fields, Console, ConsoleForm, Signed};
use crate::i18n::Tr;
use crate::pages::report::report_body;
use crate::problem::ApiError;
use crate::routes::access::Accountant;
use crate::services::expenses::{self as service, Entry, Reader, Report};
use crate::state::AppState;

/// The console's routes for spending.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/staff/campaigns/{slug}/expenses").route(web::get().to(expenses)).route(web::post().to(record)),
    )
    .service(web::resource("/staff/expenses/{id}/reverse").route(web::post().to(reverse)));
}

fn back(slug: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, format!("/staff/campaigns/{slug}/expenses"))).finish()
}

/// The form that records an expense, with what was typed (a refused form comes back as it was,
/// but for its files, which a browser does not send twice).
fn record_form(signed: &Signed, report: &Report, typed: &ExpenseForm) -> Markup {
    let tr = signed.tr;
    let spec = &report.campaign.spec;
    let today = service::almaty_today().format("%Y-%m-%d").to_string();
    let own = spec.locale;
    html! {
        form method="post" action={ "/staff/campaigns/" (spec.slug) "/expenses" } enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(signed.csrf);
            div.field {
                label for="ex-line" { (tr.t("ex-line")) }
                select #ex-line name="line" required {
                    @for line in spec.plan.lines() {
                        option value=(line.key) selected[typed.line == line.key] { (line.titles.shown(tr.lang.locale(), own)) }
                    }
                }
            }
            div.field {
                label for="ex-amount" { (tr.t("pl-amount-campaign")) }
                input #ex-amount type="text" name="amount" inputmode="decimal" required value=(typed.amount);
            }
            div.field {
                label for="ex-spent-on" { (tr.t("ex-spent-on")) }
                input #ex-spent-on type="date" name="spent_on" required max=(today)
                    value=(if typed.spent_on.is_empty() { today.clone() } else { typed.spent_on.clone() });
            }
            fieldset {
                legend { (tr.t("ex-payee-kind")) }
                @for (kind, key) in [("organisation", "ex-organisation"), ("person", "ex-person")] {
                    label {
                        input type="radio" name="payee_kind" value=(kind)
                            checked[typed.payee_kind == kind || (typed.payee_kind.is_empty() && kind == "organisation")];
                        " " (tr.t(key))
                    }
                }
            }
            div.field {
                label for="ex-payee" { (tr.t("ex-payee")) }
                input #ex-payee type="text" name="payee" required maxlength=(expense::MAX_PAYEE_CHARS)
                    aria-describedby="ex-payee-help" value=(typed.payee);
                p.help #ex-payee-help { (tr.t("ex-payee-help")) }
            }
            @for lang in Locale::ALL {
                @let id = format!("ex-description-{}", lang.as_str());
                div.field {
                    label for=(id) { (tr.t("ex-description")) " (" (lang.as_str()) ")" }
                    textarea #(id) name={ "description_" (lang.as_str()) } rows="2" maxlength=(expense::MAX_DESCRIPTION_CHARS)
                        required[*lang == own] { (typed.descriptions.get(*lang).unwrap_or_default()) }
                }
            }
            div.field {
                label for="ex-over" { (tr.t("ex-over-budget-reason")) }
                input #ex-over type="text" name="over_budget_reason" maxlength=(expense::MAX_REASON_CHARS)
                    aria-describedby="ex-over-help" value=(typed.over_budget_reason);
                p.help #ex-over-help { (tr.t("ex-over-budget-help")) }
            }
            div.field {
                label for="ex-evidence" { (tr.t("ex-evidence")) }
                input #ex-evidence type="file" name="evidence" multiple accept="application/pdf,image/jpeg,image/png"
                    aria-describedby="ex-evidence-help";
                p.help #ex-evidence-help { (tr.t("ex-evidence-help")) }
            }
            button type="submit" { (tr.t("ex-record")) }
        }
    }
}

/// The reversal form under a standing expense.
fn reverse_form(signed: &Signed, slug: &str, entry: &Entry) -> Markup {
    let tr = signed.tr;
    let id = format!("reason-{}", entry.expense.id);
    html! {
        details {
            summary { (tr.t("ex-reverse")) }
            form method="post" action={ "/staff/expenses/" (entry.expense.id) "/reverse" } {
                input type="hidden" name="csrf" value=(signed.csrf);
                input type="hidden" name="campaign" value=(slug);
                div.field {
                    label for=(id) { (tr.t("ex-reverse-reason")) }
                    input #(id) type="text" name="reason" required maxlength=(expense::MAX_REASON_CHARS);
                }
                button type="submit" { (tr.t("ex-reverse")) }
            }
        }
    }
}

/// The page: what was refused, the form, the report's preview with a reversal under each
/// standing expense.
fn expenses_view(signed: &Signed, report: &Report, typed: &ExpenseForm, refused: &[demeu_db::FieldError]) -> Markup {
    let tr: Tr = signed.tr;
    let slug = report.campaign.spec.slug.clone();
    let reverse = |entry: &Entry| reverse_form(signed, &slug, entry);
    html! {
        p {
            a href={ "/staff/campaigns/" (slug) } { (tr.t("ex-back")) }
            @if report.campaign.is_public() {
                " · " a href={ "/campaigns/" (slug) "/report" } { (tr.t("ex-public-report")) }
            }
        }
        section.card aria-labelledby="ex-add" {
            h2 #ex-add { (tr.t("ex-add")) }
            (refused_fields(tr, refused))
            (record_form(signed, report, typed))
        }
        h2 { (tr.t("ex-preview")) }
        (report_body(&tr, report, Some(&reverse)))
    }
}

async fn expenses_page(
    state: &AppState,
    signed: &Signed,
    slug: String,
    typed: &ExpenseForm,
    refused: &[demeu_db::FieldError],
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let report = service::report(state, slug, Reader::Staff).await?;
    let tr = signed.tr;
    let title = tr.t_with("ex-heading", &[("campaign", report.campaign.title(tr.lang.locale()).to_string().into())]);
    Ok(page(Some(signed), tr, &title, status, expenses_view(signed, &report, typed, refused)))
}

/// `GET /staff/campaigns/{slug}/expenses`.
pub async fn expenses(
    Console(signed, ..): Console<Accountant>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    expenses_page(&state, &signed, slug.into_inner(), &ExpenseForm::default(), &[], StatusCode::OK).await
}

/// `POST /staff/campaigns/{slug}/expenses`: multipart, its CSRF token its first part.
pub async fn record(
    Console(signed, ..): Console<Accountant>,
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let upload = match crate::routes::expenses::read_form(&req, payload, &state, Some(&signed.csrf)).await {
        Ok(upload) => upload,
        Err(ApiError::Invalid(refused)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return expenses_page(&state, &signed, slug, &ExpenseForm::default(), &refused, status).await;
        }
        Err(ApiError::TooLarge(refused)) => {
            let status = StatusCode::PAYLOAD_TOO_LARGE;
            return expenses_page(&state, &signed, slug, &ExpenseForm::default(), &[refused], status).await;
        }
        Err(other) => return Err(other),
    };
    let typed = upload.form.clone();
    match service::record(&state, slug.clone(), upload, signed.user.id).await.map_err(ApiError::from) {
        Ok(_) => Ok(back(&slug)),
        Err(ApiError::Invalid(refused)) => {
            expenses_page(&state, &signed, slug, &typed, &refused, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(other) => Err(other),
    }
}

/// The reversal form.
#[derive(Deserialize)]
pub struct ReverseForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    campaign: String,
}

/// `POST /staff/expenses/{id}/reverse`: back to the campaign's spending page.
pub async fn reverse(
    ConsoleForm(signed, form, ..): ConsoleForm<Accountant, ReverseForm>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = crate::extract::path_id(&req, "id", "expense")?;
    let slug = form.campaign.clone();
    if !donations::campaign::slug_is_valid(&slug) {
        return Err(ApiError::invalid("campaign", "is not a campaign"));
    }
    match service::reverse(&state, id, form.reason, signed.user.id).await.map_err(ApiError::from) {
        Ok(_) => Ok(back(&slug)),
        Err(ApiError::Invalid(refused)) => {
            expenses_page(&state, &signed, slug, &ExpenseForm::default(), &refused, StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Err(ApiError::Conflict(_)) => {
            let refused =
                [demeu_db::FieldError::new("reason", "is reversed already").translated("ex-reversed-already", vec![])];
            expenses_page(&state, &signed, slug, &ExpenseForm::default(), &refused, StatusCode::CONFLICT).await
        }
        Err(other) => Err(other),
    }
}

//! `/receipts`: anyone checks a gift by its receipt code (printed on the receipt and the thanks
//! page): its amount, the day it counted (its line of the campaign's open ledger) and the
//! campaign; nothing about the donor.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{document, respond, Caching, Frame};
use crate::format::{date, money};
use crate::i18n::{chosen, Lang, Tr};
use crate::problem::ApiError;
use crate::services::receipts::{counted_on, find};
use crate::state::AppState;

/// `/receipts?code=`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeQuery {
    code: Option<String>,
}

/// The form that checks a gift by its code (here, and on a campaign's report).
pub(crate) fn form(tr: Tr, typed: &str, problem: Option<&str>) -> Markup {
    html! {
        form method="get" action="/receipts" {
            input type="hidden" name="lang" value=(tr.lang.code());
            div.field {
                label for="receipt-code" { (tr.t("receipt-code-label")) }
                input #receipt-code type="text" name="code" value=(typed) autocomplete="off" spellcheck="false"
                    autocapitalize="characters" aria-describedby="receipt-code-help"
                    aria-invalid=[problem.map(|_| "true")];
                p.help #receipt-code-help { (tr.t("receipt-code-help")) }
                @if let Some(problem) = problem { p.error role="alert" { (problem) } }
            }
            button type="submit" { (tr.t("receipt-check")) }
        }
    }
}

/// `GET /receipts` (the form, or its answer for `?code=`) and `GET /receipts/{code}`.
pub async fn check(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<CodeQuery>,
) -> Result<HttpResponse, ApiError> {
    let tr = Tr::new(Lang::negotiate(&req, Lang::Ru));
    let typed = req.match_info().get("code").map(str::to_string).or_else(|| query.code.clone()).unwrap_or_default();
    let (status, main) = if typed.trim().is_empty() {
        (StatusCode::OK, html! { h1 { (tr.t("receipt-title")) } section.card { (form(tr, "", None)) } })
    } else {
        match find(&state, &typed).await.map_err(ApiError::from) {
            Ok((pledge, campaign)) => {
                let day = counted_on(&pledge);
                let at = day.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
                let said = tr.t_with(
                    "receipt-found",
                    &[
                        ("amount", money(tr.lang, pledge.received).into()),
                        ("date", date(&tr, at).into()),
                        ("campaign", campaign.title(tr.lang.locale()).to_string().into()),
                    ],
                );
                let main = html! {
                    h1 { (tr.t("receipt-title")) }
                    p.notice role="status" { (said) }
                    p {
                        a href={ "/api/v1/campaigns/" (campaign.spec.slug) "/ledger?from=" (day) "&to=" (day) } {
                            (tr.t_with("receipt-ledger-day", &[("day", day.format("%d.%m.%Y").to_string().into())]))
                        }
                    }
                    p { (tr.name("pledge-status", pledge.display_status().as_str())) }
                    p { a href={ "/campaigns/" (campaign.spec.slug) "?lang=" (tr.lang.code()) } { (campaign.title(tr.lang.locale())) } }
                    section.card { (form(tr, "", None)) }
                };
                (StatusCode::OK, main)
            }
            Err(error @ (ApiError::NotFound(_) | ApiError::Invalid(_))) => {
                let key =
                    if matches!(error, ApiError::NotFound(_)) { "receipt-not-found" } else { "receipt-malformed" };
                let problem = tr.t(key);
                let main = html! { h1 { (tr.t("receipt-title")) } section.card { (form(tr, &typed, Some(&problem))) } };
                (actix_web::ResponseError::status_code(&error), main)
            }
            Err(error) => return Err(error),
        }
    };
    let site = state.snapshots.site(&state.pool).await?;
    let title = tr.t("receipt-title");
    let frame = Frame { site: Some(&site), ..Frame::new(tr, &title, "/receipts") };
    Ok(respond(status, document(&frame, main), Caching::Private, chosen(&req), None))
}

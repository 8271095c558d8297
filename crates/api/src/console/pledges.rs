//! The accountant's pages: the pledges searched and filtered, one pledge with its ledger rows
//! and provider ids, a refund (full or part, the remaining refundable amount shown, a double
//! click refunding once), an offline gift, and the CSV for the books.

use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::web::{self};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use donations::ids::PledgeId;
use donations::money::{Currency, Money};
use donations::offline::OfflineGift;
use donations::pledge::{PaymentMethod, PledgeState};
use maud::{html, Markup};
use serde::Deserialize;

use super::{page, Console, ConsoleForm, Signed};
use crate::format::{date, money};
use crate::i18n::Tr;
use crate::idempotency::request_hash;
use crate::pages::campaign::urlencoded;
use crate::problem::ApiError;
use crate::routes::access::Accountant;
use crate::routes::staff_pledges::{csv_answer, PledgeFilters};
use crate::services::exports::ExportAudit;
use crate::state::AppState;

/// The console's routes for pledges.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/staff/pledges").route(web::get().to(list)))
        .service(web::resource("/staff/pledges.csv").route(web::get().to(csv)))
        .service(web::resource("/staff/offline").route(web::get().to(offline_page)).route(web::post().to(offline)))
        .service(web::resource("/staff/pledges/{id}").route(web::get().to(show)).route(web::post().to(refund)))
        .service(web::resource("/staff/books/{slug}").route(web::get().to(books)));
}

/// The list's query: the API's filters and a cursor.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    campaign: Option<String>,
    status: Option<String>,
    method: Option<String>,
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
}

impl ListQuery {
    fn filters(&self) -> PledgeFilters {
        let some = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        PledgeFilters {
            campaign: some(&self.campaign),
            status: some(&self.status),
            method: some(&self.method),
            q: some(&self.q),
            from: some(&self.from),
            to: some(&self.to),
        }
    }

    /// The filters as a query string, for the next page and the CSV.
    fn query_string(&self) -> String {
        let f = self.filters();
        [
            ("campaign", f.campaign),
            ("status", f.status),
            ("method", f.method),
            ("q", f.q),
            ("from", f.from),
            ("to", f.to),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={}", urlencoded(&v))))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// A filter's choice among stored values (`kind`: their names' prefix in the catalogues): the
/// stored word is sent, its name in the console's language is shown.
fn select(tr: Tr, name: &str, label: &str, kind: &str, options: &[&str], chosen: Option<&str>) -> Markup {
    html! {
        div.field {
            label for={ "f-" (name) } { (label) }
            select id={ "f-" (name) } name=(name) {
                option value="" { "—" }
                @for o in options { option value=(o) selected[chosen == Some(*o)] { (tr.name(kind, o)) } }
            }
        }
    }
}

/// `GET /staff/pledges`: newest first, 50 a page.
pub async fn list(
    Console(signed, ..): Console<Accountant>,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let tr = signed.tr;
    let query = query.into_inner();
    let filter = query.filters().into_filter()?;
    let cursor = query.cursor.clone();
    let page_of = state
        .pool
        .run(move |conn| {
            donations::pledge_store::staff_list(conn, &filter, 50, cursor.as_deref()).map_err(ApiError::from)
        })
        .await?;
    let main = list_view(&signed, &query, &page_of);
    Ok(page(Some(&signed), tr, &tr.t("console-pledges"), StatusCode::OK, main))
}

/// The pledges' filters, a page of the list, and the way to the next.
fn list_view(
    signed: &Signed,
    query: &ListQuery,
    page_of: &demeu_db::page::Page<(donations::pledge_store::PledgeRecord, String)>,
) -> Markup {
    let tr = signed.tr;
    let f = query.filters();
    let qs = query.query_string();
    html! {
        form method="get" action="/staff/pledges" {
            div.field { label for="f-campaign" { (tr.t("pl-campaign")) } input #f-campaign type="text" name="campaign" value=[f.campaign.as_deref()]; }
            (select(tr, "status", &tr.t("pl-status"), "pledge-status", PledgeState::NAMES, f.status.as_deref()))
            (select(tr, "method", &tr.t("pl-method"), "method", PaymentMethod::NAMES, f.method.as_deref()))
            div.field { label for="f-q" { (tr.t("pl-search")) } input #f-q type="text" name="q" value=[f.q.as_deref()]; }
            div.field { label for="f-from" { (tr.t("pl-from")) } input #f-from type="date" name="from" value=[f.from.as_deref()]; }
            div.field { label for="f-to" { (tr.t("pl-to")) } input #f-to type="date" name="to" value=[f.to.as_deref()]; }
            button.secondary type="submit" { (tr.t("pl-filter")) }
        }
        p { a href={ "/staff/pledges.csv?" (qs) } download { (tr.t("pl-csv")) } " · " a href="/staff/offline" { (tr.t("pl-record")) } }
        @if page_of.items.is_empty() { p { (tr.t("console-none")) } }
        @else { (pledge_table(tr, Some(&tr.t("pl-list")), None, &page_of.items)) }
        @if let Some(next) = &page_of.next_cursor {
            a href={ "/staff/pledges?" (qs) "&cursor=" (urlencoded(next)) } { (tr.t("wall-older")) }
        }
    }
}

/// Pledges as a table, one row each: when, who, how much (a link to the pledge), its state and
/// method in the console's language, its campaign, and whether it needs a look. Named by its
/// own caption or by a heading (`labelled_by`). On a phone each row becomes a block of labelled
/// lines (app.css, `table.list`), and long names and addresses wrap.
pub(crate) fn pledge_table(
    tr: Tr,
    caption: Option<&str>,
    labelled_by: Option<&str>,
    items: &[(donations::pledge_store::PledgeRecord, String)],
) -> Markup {
    let labels =
        ["pl-date", "pl-donor", "pl-amount", "pl-status", "pl-method", "pl-campaign", "pl-flag"].map(|k| tr.t(k));
    let [when, donor, amount, status, method, campaign, flag] = &labels;
    html! {
        div.scroll {
            table.list.pledges aria-labelledby=[labelled_by] {
                @if let Some(caption) = caption { caption { (caption) } }
                thead { tr { @for label in &labels { th scope="col" { (label) } } } }
                tbody {
                    @for (p, slug) in items {
                        tr {
                            td data-label=(when) { span.when { (date(&tr, demeu_db::utc(p.created_at))) } }
                            td.who data-label=(donor) {
                                bdi { (p.donor_name.as_deref().unwrap_or("—")) }
                                @if let Some(email) = &p.email { br; bdi.help { (email) } }
                            }
                            td data-label=(amount) { a href={ "/staff/pledges/" (p.id) } { strong.money { (money(tr.lang, p.amount)) } } }
                            td data-label=(status) { (tr.name("pledge-status", p.display_status().as_str())) }
                            td data-label=(method) { (tr.name("method", p.method.as_str())) }
                            td data-label=(campaign) { (slug) }
                            td data-label=(flag) {
                                // The reason is the payment path's own note, in English: the
                                // CSV carries it; here only that the pledge needs a look.
                                @if p.flag.is_some() { strong.error { (tr.t("pl-flagged")) } } @else { "—" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /staff/pledges.csv`: the list's file, every page, with the same filters.
pub async fn csv(
    Console(signed, ..): Console<Accountant>,
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let audit = ExportAudit::new(state.pool.clone(), signed.user.id, req.query_string());
    Ok(csv_answer(state.pool.clone(), query.filters().into_filter()?, audit))
}

/// `GET /staff/books/{slug}`: the campaign's books reconciled now (the dashboard shows the
/// background check's last finding and links here): the running totals beside the ledger, and
/// every pledge whose amounts disagree with its ledger rows.
pub async fn books(
    Console(signed, ..): Console<Accountant>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tr = signed.tr;
    let slug = slug.into_inner();
    let (campaign, report) = state
        .pool
        .run(move |conn| {
            let campaign = donations::campaign::find_by_slug(conn, &slug)?;
            let report = donations::reconcile::reconcile(conn, &slug)?;
            Ok::<_, ApiError>((campaign, report))
        })
        .await?;
    let title =
        tr.t_with("console-books-heading", &[("campaign", campaign.title(tr.lang.locale()).to_string().into())]);
    Ok(page(Some(&signed), tr, &title, StatusCode::OK, books_view(tr, campaign.spec.currency, &report)))
}

/// A reconciliation as an accountant reads it: what agrees, what does not, each differing
/// pledge with a link to its page.
fn books_view(tr: Tr, currency: Currency, report: &donations::reconcile::Report) -> Markup {
    // A ledger summed past what an amount can hold is itself a difference: shown as a number.
    let wide = |minor: i128| {
        i64::try_from(minor).map_or_else(|_| minor.to_string(), |m| money(tr.lang, Money::new(m, currency)))
    };
    let m = |minor: i64| money(tr.lang, Money::new(minor, currency));
    let differences = report.differences();
    let (totals, ledger) = (tr.t("console-books-totals"), tr.t("console-books-ledger"));
    html! {
        @if differences == 0 {
            p.notice { (tr.t("console-books-clean")) }
        } @else {
            p.alert role="alert" { strong { (tr.t_with("console-books-differences", &[("count", (differences as i64).into())])) } ". " (tr.t("console-books-different")) }
        }
        div.scroll {
            table.list {
                thead { tr { th scope="col" { } th scope="col" { (totals) } th scope="col" { (ledger) } } }
                tbody {
                    tr {
                        th scope="row" { (tr.t("console-books-raised")) }
                        td.money data-label=(totals) { (m(report.totals_raised)) }
                        td.money data-label=(ledger) { (wide(report.ledger_raised)) }
                    }
                    tr {
                        th scope="row" { (tr.t("console-books-counted-pledges")) }
                        td data-label=(totals) { (report.totals_pledges) }
                        td data-label=(ledger) { (report.ledger_pledges) }
                    }
                }
            }
        }
        h2 { (tr.t("console-books-pledges")) }
        @if report.pledge_differences.is_empty() { p { (tr.t("console-none")) } }
        @else {
            @let (pledge, counted) = (tr.t("pl-pledge"), tr.t("console-books-pledge-counted"));
            div.scroll {
                table.list {
                    thead { tr { th scope="col" { (pledge) } th scope="col" { (counted) } th scope="col" { (ledger) } } }
                    tbody {
                        @for d in &report.pledge_differences {
                            tr {
                                td.who data-label=(pledge) { a href={ "/staff/pledges/" (d.pledge_id) } { code { (d.pledge_id) } } }
                                td.money data-label=(counted) { (wide(d.counted)) }
                                td.money data-label=(ledger) { (m(d.ledger)) }
                            }
                        }
                    }
                }
            }
        }
        h2 { (tr.t("console-books-spending")) }
        @if report.spending_differences.is_empty() { p { (tr.t("console-none")) } }
        @else {
            ul { @for d in &report.spending_differences { li { code { (d.subject) } ": " (tr.t(&format!("books-spending-{}", d.code))) } } }
        }
    }
}

fn pledge_id(raw: &str) -> Result<PledgeId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound("pledge".into()))
}

/// `GET /staff/pledges/{id}`.
pub async fn show(
    Console(signed, ..): Console<Accountant>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = pledge_id(&id)?;
    pledge_page(&state, &signed, id, StatusCode::OK, None).await
}

async fn pledge_page(
    state: &AppState,
    signed: &Signed,
    id: PledgeId,
    status: StatusCode,
    problem: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let tr = signed.tr;
    let (pledge, entries, refundable) = state
        .pool
        .run(move |conn| {
            let pledge = donations::pledge_store::find(conn, id)?;
            let entries = donations::ledger::entries_of(conn, id)?;
            let refundable = donations::refund::refundable_now(conn, id)?;
            Ok::<_, ApiError>((pledge, entries, refundable))
        })
        .await?;
    let m = |amount: Money| money(tr.lang, amount);
    let key = uuid::Uuid::new_v4().to_string();
    let main = html! {
        dl {
            dt { (tr.t("pl-amount")) } dd.money { (m(pledge.amount)) }
            dt { (tr.t("pl-status")) } dd { (tr.name("pledge-status", pledge.display_status().as_str())) }
            dt { (tr.t("pl-method")) } dd { (tr.name("method", pledge.method.as_str())) @if let Some(r) = &pledge.reference { " · " (r) } }
            dt { (tr.t("pl-donor")) } dd { bdi { (pledge.donor_name.as_deref().unwrap_or("—")) } " · " bdi { (pledge.email.as_deref().unwrap_or("—")) } }
            dt { (tr.t("pl-provider")) } dd { (pledge.provider.map_or_else(|| "—".to_string(), |p| tr.name("provider", p.as_str()))) " · "
                (pledge.provider_session_id.as_deref().unwrap_or("—")) " · " (pledge.provider_payment_id.as_deref().unwrap_or("—")) }
            dt { (tr.t("pl-money")) } dd { (m(pledge.received)) " / " (m(pledge.refunded)) " / " (m(pledge.disputed)) }
        }
        h2 { (tr.t("pl-ledger")) }
        @if entries.is_empty() { p { (tr.t("console-none")) } }
        ul.wall {
            @for e in &entries {
                li { (tr.name("entry", e.kind.as_str())) " · " span.money { (m(e.amount)) } " · " code { (e.source) } " · "
                     span.when { (date(&tr, demeu_db::utc(e.created_at))) } }
            }
        }
        h2 { (tr.t("pl-refund")) }
        p { (tr.t("pl-refundable")) ": " strong.money #refundable { (m(refundable)) } }
        @if let Some(problem) = problem { p.alert role="alert" { (problem) } }
        @if refundable.is_positive() {
            form method="post" action={ "/staff/pledges/" (pledge.id) } {
                input type="hidden" name="csrf" value=(signed.csrf);
                // One key per form shown: a double click (or a retry of this form) refunds once.
                input type="hidden" name="key" value=(key);
                div.field {
                    label for="refund-amount" { (tr.t_with("pl-refund-amount", &[("currency", crate::format::unit(pledge.currency).into())])) }
                    input #refund-amount type="text" name="amount" inputmode="decimal" autocomplete="off";
                }
                button type="submit" { (tr.t("pl-refund")) }
            }
        }
    };
    Ok(page(Some(signed), tr, &tr.t("console-pledges"), status, main))
}

/// The refund form.
#[derive(Deserialize)]
pub struct RefundForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    amount: String,
}

fn major(text: &str, currency: Currency, field: &str) -> Result<Option<Money>, ApiError> {
    Money::from_typed(text, currency)
        .map_err(|_| ApiError::invalid(field, "write the amount in major units, such as 5000 or 5000.50"))
}

/// `POST /staff/pledges/{id}`: the same refund as the API's (reserved until the provider
/// confirms; keyed, so that the same form posted twice refunds once).
pub async fn refund(
    ConsoleForm(signed, form, ..): ConsoleForm<Accountant, RefundForm>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = pledge_id(&id)?;
    let currency =
        state.pool.run(move |conn| Ok::<_, ApiError>(donations::pledge_store::find(conn, id)?.currency)).await?;
    let key = Some(form.key.clone()).filter(|k| crate::idempotency::check_key(k).is_ok());
    let asked = async {
        let amount = major(&form.amount, currency, "amount")?;
        let fingerprint = format!("{:?}", amount.map(|m| m.minor));
        crate::services::refunds::refund(&state, id, amount, signed.user.id, key, request_hash(fingerprint.as_bytes()))
            .await
            .map_err(ApiError::from)
    }
    .await;
    match asked {
        Ok(_) => Ok(HttpResponse::SeeOther().insert_header((LOCATION, format!("/staff/pledges/{id}"))).finish()),
        Err(
            error @ (ApiError::Invalid(_) | ApiError::Conflict(_) | ApiError::BadGateway(_) | ApiError::Unavailable(_)),
        ) => {
            let message = match &error {
                ApiError::Invalid(fields) => {
                    fields.iter().map(|f| super::said(signed.tr, f)).collect::<Vec<_>>().join("; ")
                }
                other => other.to_string(),
            };
            pledge_page(&state, &signed, id, error.status_code(), Some(message)).await
        }
        Err(other) => Err(other),
    }
}

fn offline_form(signed: &Signed, campaigns: &[String], problem: Option<String>) -> Markup {
    let tr = signed.tr;
    html! {
        @if let Some(problem) = problem { p.alert role="alert" { (problem) } }
        form method="post" action="/staff/offline" {
            input type="hidden" name="csrf" value=(signed.csrf);
            div.field { label for="o-campaign" { (tr.t("pl-campaign")) }
                select #o-campaign name="campaign" { @for c in campaigns { option value=(c) { (c) } } } }
            div.field { label for="o-amount" { (tr.t("pl-amount-campaign")) } input #o-amount type="text" name="amount" inputmode="decimal" required; }
            div.field { label for="o-method" { (tr.t("pl-method")) }
                select #o-method name="method" {
                    @for method in PaymentMethod::ALL.iter().filter(|m| m.is_offline()) {
                        option value=(method.as_str()) { (tr.name("method", method.as_str())) }
                    }
                } }
            div.field { label for="o-reference" { (tr.t("pl-reference")) } input #o-reference type="text" name="reference" required maxlength="200"; }
            div.field { label for="o-donor" { (tr.t("pl-donor-optional")) } input #o-donor type="text" name="donor_name" maxlength="100"; }
            div.field { label for="o-email" { (tr.t("pl-email-optional")) } input #o-email type="email" name="email" maxlength="254"; }
            div.field { label for="o-date" { (tr.t("pl-received-on")) } input #o-date type="date" name="received_on"; }
            button type="submit" { (tr.t("pl-record-button")) }
        }
    }
}

async fn campaign_slugs(state: &AppState) -> Result<Vec<String>, ApiError> {
    state
        .pool
        .run(|conn| {
            Ok::<_, ApiError>(
                donations::campaign::list_progress(conn, donations::campaign::Audience::Staff)?
                    .into_iter()
                    .map(|p| p.campaign.spec.slug)
                    .collect(),
            )
        })
        .await
}

/// `GET /staff/offline`.
pub async fn offline_page(
    Console(signed, ..): Console<Accountant>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let campaigns = campaign_slugs(&state).await?;
    let tr = signed.tr;
    Ok(page(Some(&signed), tr, &tr.t("pl-offline"), StatusCode::OK, offline_form(&signed, &campaigns, None)))
}

/// The offline gift form.
#[derive(Deserialize)]
pub struct OfflineForm {
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    donor_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    received_on: String,
}

/// `POST /staff/offline`: counted at once, then to the pledge's page.
pub async fn offline(
    ConsoleForm(signed, form, ..): ConsoleForm<Accountant, OfflineForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let optional = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let made = async {
        let currency =
            state.settings.campaigns.iter().find(|c| c.slug == form.campaign).map_or(Currency::Kzt, |c| c.currency);
        let amount =
            major(&form.amount, currency, "amount")?.ok_or_else(|| ApiError::invalid("amount", "is needed"))?;
        let received_at = match optional(&form.received_on) {
            None => None,
            Some(day) => Some(
                chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                    .map_err(|_| ApiError::invalid("received_on", "a date such as 2026-11-28"))?
                    .and_hms_opt(12, 0, 0)
                    .unwrap_or_default()
                    .and_utc(),
            ),
        };
        let gift = OfflineGift {
            amount: amount.minor,
            donor_name: optional(&form.donor_name),
            email: optional(&form.email),
            method: form.method.clone(),
            reference: form.reference.clone(),
            received_at,
        };
        crate::services::offline::record(&state, form.campaign.clone(), gift, signed.user.id)
            .await
            .map_err(ApiError::from)
    }
    .await;
    match made {
        Ok((pledge, _)) => {
            Ok(HttpResponse::SeeOther().insert_header((LOCATION, format!("/staff/pledges/{}", pledge.id))).finish())
        }
        Err(ApiError::Invalid(fields)) => {
            let message = fields.iter().map(|f| super::said(signed.tr, f)).collect::<Vec<_>>().join("; ");
            let campaigns = campaign_slugs(&state).await?;
            let tr = signed.tr;
            Ok(page(
                Some(&signed),
                tr,
                &tr.t("pl-offline"),
                StatusCode::UNPROCESSABLE_ENTITY,
                offline_form(&signed, &campaigns, Some(message)),
            ))
        }
        Err(other) => Err(other),
    }
}

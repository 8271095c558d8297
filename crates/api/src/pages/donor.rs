//! `/donor`: a donor's own page. They ask for a sign-in link by address; the mailed link opens a
//! page whose one button (a POST: a mail scanner that follows links cannot spend it) opens a
//! session kept in a cookie; then their monthly gifts (change the amount, stop, what to do about
//! a failed charge), their gifts, and their yearly statements. Every form after sign-in carries
//! the session's CSRF token. The same as an API: `routes/donor.rs`.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use chrono::{Duration, Utc};
use demeu_db::utc;
use donations::ids::SubscriptionId;
use donations::subscription::SubscriptionStatus;
use maud::{html, Markup};
use serde::Deserialize;

use super::forms::{decode, refused, retry_after, see_other, shown_on_form, typed_amount, FormState};
use super::layout::{document, respond, Caching, Frame};
use crate::format::{date, money};
use crate::i18n::{chosen, Lang, Tr};
use crate::problem::ApiError;
use crate::services::donor::{self, DonorGifts, Statement};
use crate::state::AppState;

/// The donor session's cookie (its path is `/donor`: no other page sees it).
pub const DONOR_COOKIE: &str = "demeu_donor";

/// A donor signed in on this browser.
pub(super) struct Signed {
    /// Their address.
    pub email: String,
    /// The session's token (the cookie's value).
    token: String,
    /// What each form of this session carries.
    pub csrf: String,
}

/// The live session of the request's cookie, if any.
pub(super) async fn signed(state: &AppState, req: &HttpRequest) -> Result<Option<Signed>, ApiError> {
    let Some(token) = req.cookie(DONOR_COOKIE).map(|c| c.value().to_string()) else { return Ok(None) };
    let email = donor::donor_for(state, token.clone()).await?;
    Ok(email.map(|email| Signed { email, csrf: crate::auth::form_token("donor", &token), token }))
}

fn lang_of(req: &HttpRequest) -> Lang {
    Lang::negotiate(req, Lang::Ru)
}

fn cookie(state: &AppState, value: String, max_age: Duration) -> Cookie<'static> {
    // Lax, not Strict: the donor's page opens signed in from a link in a receipt (a navigation
    // from the mail's site); a form posted from another site still never carries it, and every
    // form here carries the session's CSRF token besides.
    Cookie::build(DONOR_COOKIE, value)
        .path("/donor")
        .http_only(true)
        .secure(state.settings.public_url().starts_with("https://"))
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age.num_seconds().max(0)))
        .finish()
}

async fn answer(state: &AppState, req: &HttpRequest, tr: Tr, status: StatusCode, main: Markup) -> HttpResponse {
    let site = state.snapshots.site(&state.pool).await.ok();
    let title = tr.t("donor-title");
    let frame = Frame { site: site.as_deref(), ..Frame::new(tr, &title, "/donor") };
    respond(status, document(&frame, main), Caching::Private, chosen(req), None)
}

/// `/donor`'s query.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DonorQuery {
    /// A mailed link's token.
    token: Option<String>,
    /// What was just done (`amount`, `cancelled`), said once above the gifts.
    done: Option<String>,
}

/// `GET /donor`: the opening of a mailed link, the gifts of the signed-in donor, or the form
/// asking for a link.
pub async fn page(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<DonorQuery>,
) -> Result<HttpResponse, ApiError> {
    let tr = Tr::new(lang_of(&req));
    if let Some(token) = query.token.as_deref().filter(|t| !t.is_empty()) {
        return Ok(answer(&state, &req, tr, StatusCode::OK, open_form(tr, token, None)).await);
    }
    match signed(&state, &req).await? {
        Some(signed) => {
            let notice = match query.done.as_deref() {
                Some("amount") => Some(tr.t("donor-done-amount")),
                Some("cancelled") => Some(tr.t("donor-done-cancelled")),
                _ => None,
            };
            gifts_page(&state, &req, tr, &signed, notice, None, StatusCode::OK).await
        }
        None => Ok(answer(&state, &req, tr, StatusCode::OK, link_form(tr, &FormState::default(), None)).await),
    }
}

/// The form asking for a link.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct LinkValues {
    /// The address.
    email: String,
}

fn link_form(tr: Tr, form: &FormState<LinkValues>, sent_to: Option<&str>) -> Markup {
    let errors = form.errors.of("email");
    html! {
        h1 { (tr.t("donor-title")) }
        @if let Some(email) = sent_to {
            p.notice role="status" tabindex="-1" { (tr.t_with("donor-link-sent", &[("email", email.to_string().into())])) }
        }
        @if let Some(problem) = &form.problem {
            p.alert role="alert" { (problem) }
        }
        section.card {
            p { (tr.t("donor-sign-in-intro")) }
            form method="post" action={ "/donor/link?lang=" (tr.lang.code()) } {
                div.field {
                    label for="donor-email" { (tr.t("donor-email")) }
                    input #donor-email type="email" name="email" autocomplete="email" required
                        value=(form.values.email) aria-invalid=[(!errors.is_empty()).then_some("true")]
                        aria-describedby=[(!errors.is_empty()).then_some("donor-email-error")];
                    @if !errors.is_empty() {
                        p.error #donor-email-error { (errors.join(" ")) }
                    }
                }
                button type="submit" { (tr.t("donor-send-link")) }
            }
        }
    }
}

/// `POST /donor/link`: mails a link (when the address gave) and says the same either way.
pub async fn ask_link(state: web::Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let tr = Tr::new(lang_of(&req));
    let values: LinkValues = decode(&body)?;
    let client = crate::client_ip::of(&req);
    match donor::request_link(&state, client, &values.email, tr.lang).await.map_err(ApiError::from) {
        Ok(()) => {
            let sent_to = values.email.trim().to_string();
            let main = link_form(tr, &FormState::default(), Some(&sent_to));
            Ok(answer(&state, &req, tr, StatusCode::OK, main).await)
        }
        Err(error) if shown_on_form(&error) => {
            let mut form = FormState { values, ..FormState::default() };
            let status = refused(&mut form, &tr, &error);
            let mut page = answer(&state, &req, tr, status, link_form(tr, &form, None)).await;
            if let Some(seconds) = retry_after(&error).and_then(|s| s.to_string().parse().ok()) {
                page.headers_mut().insert(actix_web::http::header::RETRY_AFTER, seconds);
            }
            Ok(page)
        }
        Err(error) => Err(error),
    }
}

fn open_form(tr: Tr, token: &str, problem: Option<String>) -> Markup {
    html! {
        h1 { (tr.t("donor-title")) }
        @if let Some(problem) = problem {
            p.alert role="alert" { (problem) }
        }
        section.card {
            p { (tr.t("donor-open-intro")) }
            form method="post" action={ "/donor/session?lang=" (tr.lang.code()) } {
                input type="hidden" name="token" value=(token);
                button type="submit" { (tr.t("donor-open")) }
            }
        }
    }
}

/// The form a mailed link's page posts.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OpenValues {
    token: String,
}

/// `POST /donor/session`: spends the link, sets the session's cookie, and shows the gifts.
pub async fn open(state: web::Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let tr = Tr::new(lang_of(&req));
    let values: OpenValues = decode(&body)?;
    match donor::sign_in(&state, values.token).await.map_err(ApiError::from) {
        Ok((_, session)) => {
            let mut to = see_other(format!("/donor?lang={}", tr.lang.code()));
            let _ = to.add_cookie(&cookie(&state, session.token, session.expires_at - Utc::now()));
            Ok(to)
        }
        Err(ApiError::Unauthorized) => {
            let form = FormState { problem: Some(tr.t("donor-link-invalid")), ..FormState::default() };
            Ok(answer(&state, &req, tr, StatusCode::UNAUTHORIZED, link_form(tr, &form, None)).await)
        }
        Err(error) => Err(error),
    }
}

/// A form that only carries the session's CSRF token; the amount form adds its amount.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DonorForm {
    csrf: String,
    amount: String,
}

/// The signed-in donor sending a form of their session (`body`), with its fields, or the answer
/// instead: the sign-in form (no session) or 403 (a token not of this session: a forged form).
async fn checked(
    state: &AppState,
    req: &HttpRequest,
    body: &Bytes,
) -> Result<Result<(Signed, DonorForm), HttpResponse>, ApiError> {
    let form: DonorForm = decode(body)?;
    let tr = Tr::new(lang_of(req));
    let Some(signed) = signed(state, req).await? else {
        return Ok(Err(see_other(format!("/donor?lang={}", tr.lang.code()))));
    };
    if !crate::auth::same(&form.csrf, &signed.csrf) {
        let main = html! { h1 { (tr.t("donor-title")) } p.alert role="alert" { (tr.t("console-csrf")) } };
        return Ok(Err(answer(state, req, tr, StatusCode::FORBIDDEN, main).await));
    }
    Ok(Ok((signed, form)))
}

/// `POST /donor/sign-out`.
pub async fn sign_out(state: web::Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let (signed, _) = match checked(&state, &req, &body).await? {
        Ok(sent) => sent,
        Err(instead) => return Ok(instead),
    };
    donor::sign_out(&state, signed.token).await?;
    let mut to = see_other(format!("/donor?lang={}", lang_of(&req).code()));
    let _ = to.add_removal_cookie(&cookie(&state, String::new(), Duration::zero()));
    Ok(to)
}

fn subscription_of(req: &HttpRequest) -> Result<SubscriptionId, ApiError> {
    crate::extract::path_id(req, "id", "subscription")
}

/// `POST /donor/subscriptions/{id}/amount`: a new monthly amount, typed in major units.
pub async fn change(state: web::Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let (signed, form) = match checked(&state, &req, &body).await? {
        Ok(sent) => sent,
        Err(instead) => return Ok(instead),
    };
    let tr = Tr::new(lang_of(&req));
    let id = subscription_of(&req)?;
    // The monthly gifts Demeu takes are in tenge; another currency's amount is refused by
    // the rule that compares it with the campaign's.
    let minor = match typed_amount(&form.amount, donations::money::Currency::Kzt) {
        Ok(minor) => minor,
        Err(key) => {
            let refusal = Some((id, tr.t(key)));
            return gifts_page(&state, &req, tr, &signed, None, refusal, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match donor::change_amount(&state, signed.email.clone(), id, minor).await.map_err(ApiError::from) {
        Ok(_) => Ok(see_other(format!("/donor?done=amount&lang={}", tr.lang.code()))),
        Err(error) => refusal(&state, &req, tr, &signed, id, error).await,
    }
}

/// `POST /donor/subscriptions/{id}/cancel`.
pub async fn cancel(state: web::Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let (signed, _) = match checked(&state, &req, &body).await? {
        Ok(sent) => sent,
        Err(instead) => return Ok(instead),
    };
    let tr = Tr::new(lang_of(&req));
    let id = subscription_of(&req)?;
    match donor::cancel(&state, signed.email.clone(), id).await.map_err(ApiError::from) {
        Ok(_) => Ok(see_other(format!("/donor?done=cancelled&lang={}", tr.lang.code()))),
        Err(error) => refusal(&state, &req, tr, &signed, id, error).await,
    }
}

/// A change or a stop refused: said beside the gift (a field's words, the provider's refusal),
/// the gift as it was.
async fn refusal(
    state: &AppState,
    req: &HttpRequest,
    tr: Tr,
    signed: &Signed,
    id: SubscriptionId,
    error: ApiError,
) -> Result<HttpResponse, ApiError> {
    let said = match &error {
        ApiError::Invalid(errors) => errors.iter().map(|e| tr.field_error(e)).collect::<Vec<_>>().join(" "),
        ApiError::BadGateway(_) | ApiError::Unavailable(_) => tr.t("problem-provider"),
        ApiError::Conflict(_) => tr.t("problem-unavailable"),
        _ => return Err(error),
    };
    gifts_page(state, req, tr, signed, None, Some((id, said)), error.status_code()).await
}

/// The signed-in donor's page.
async fn gifts_page(
    state: &AppState,
    req: &HttpRequest,
    tr: Tr,
    signed: &Signed,
    notice: Option<String>,
    refusal: Option<(SubscriptionId, String)>,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let found = donor::gifts(state, signed.email.clone()).await?;
    let sandbox = state.providers.sandbox.is_some();
    let main = gifts_markup(tr, signed, &found, (notice.as_deref(), refusal.as_ref()), sandbox);
    Ok(answer(state, req, tr, status, main).await)
}

fn title_of(found: &DonorGifts, slug: &str, tr: Tr) -> String {
    found.campaign(slug).map_or_else(|| slug.to_string(), |c| c.title(tr.lang.locale()).to_string())
}

/// The signed-in donor's page: `said` is what was just done, or a refusal beside its gift;
/// `sandbox`, an installation whose payments are the sandbox's (a demo: its monthly gifts
/// can be charged now).
fn gifts_markup(
    tr: Tr,
    signed: &Signed,
    found: &DonorGifts,
    (notice, refusal): (Option<&str>, Option<&(SubscriptionId, String)>),
    sandbox: bool,
) -> Markup {
    let lang = tr.lang;
    html! {
        h1 { (tr.t("donor-title")) }
        @if let Some(notice) = notice {
            p.notice role="status" { (notice) }
        }
        p { (tr.t_with("donor-signed-as", &[("email", signed.email.clone().into())])) }
        @if !found.subscriptions.is_empty() {
            h2 { (tr.t("donor-monthly")) }
            @for listed in &found.subscriptions {
                @let s = &listed.subscription;
                @let id = s.id.to_string();
                @let running = matches!(s.status, SubscriptionStatus::Active | SubscriptionStatus::PastDue);
                section.card.monthly id={ "monthly-" (id) } aria-labelledby={ "monthly-" (id) "-title" } {
                    h3 id={ "monthly-" (id) "-title" } { (title_of(found, &listed.campaign, tr)) }
                    p {
                        strong.money { (tr.t_with("donor-per-month", &[("amount", money(lang, s.amount).into())])) }
                        " · " span.status { (tr.name("subscription-status", s.status.as_str())) }
                    }
                    @if let Some(next) = listed.next_charge_at {
                        p { (tr.t_with("donor-next-charge", &[("date", date(&tr, utc(next)).into())])) }
                    }
                    @if s.status == SubscriptionStatus::PastDue {
                        p.alert { (tr.t("donor-failed-help")) }
                    }
                    @if let Some((_, said)) = refusal.filter(|(refused, _)| *refused == s.id) {
                        p.alert role="alert" id={ "monthly-" (id) "-error" } tabindex="-1" { (said) }
                    }
                    @if running {
                        form method="post" action={ "/donor/subscriptions/" (id) "/amount?lang=" (lang.code()) } {
                            input type="hidden" name="csrf" value=(signed.csrf);
                            div.field {
                                label for={ "amount-" (id) } { (tr.t("donor-new-amount")) ", ₸" }
                                input id={ "amount-" (id) } type="text" name="amount" inputmode="decimal" autocomplete="off"
                                    value=(s.amount.to_major_decimal().trim_end_matches(".00"));
                            }
                            button type="submit" { (tr.t("donor-change")) }
                        }
                        @if sandbox && s.provider == donations::pledge::ProviderKind::Sandbox {
                            form method="post" action={ "/sandbox/subscriptions/" (id) "/charge?lang=" (lang.code()) } {
                                button.secondary type="submit" name="now" value="1" { (tr.t("donor-sandbox-charge")) }
                            }
                        }
                        form method="post" action={ "/donor/subscriptions/" (id) "/cancel?lang=" (lang.code()) } {
                            input type="hidden" name="csrf" value=(signed.csrf);
                            p.help id={ "stop-" (id) "-note" } { (tr.t("donor-stop-note")) }
                            button.secondary type="submit" aria-describedby={ "stop-" (id) "-note" } { (tr.t("donor-stop")) }
                        }
                    }
                }
            }
        }
        h2 { (tr.t("donor-gifts")) }
        @if found.gifts.is_empty() {
            p { (tr.t("donor-gifts-none")) }
        } @else {
            div.scroll {
                table.list {
                    thead { tr {
                        th scope="col" { (tr.t("donor-date")) }
                        th scope="col" { (tr.t("donor-campaign")) }
                        th scope="col" { (tr.t("donor-amount")) }
                        th scope="col" { (tr.t("donor-status")) }
                    } }
                    tbody {
                        @for gift in &found.gifts {
                            @let p = &gift.pledge;
                            tr {
                                th scope="row" data-label=(tr.t("donor-date")) {
                                    a href={ "/donor/gifts/" (p.id) "?lang=" (lang.code()) }
                                        aria-label=(tr.t_with("donor-receipt-of", &[("date", p.counted_at.map(|at| date(&tr, utc(at))).unwrap_or_default().into())])) {
                                        (p.counted_at.map(|at| date(&tr, utc(at))).unwrap_or_default())
                                    }
                                }
                                td data-label=(tr.t("donor-campaign")) {
                                    (title_of(found, &gift.campaign, tr))
                                    @if p.subscription_id.is_some() { " (" (tr.t("donor-monthly-mark")) ")" }
                                }
                                td.money data-label=(tr.t("donor-amount")) { (money(lang, p.received)) }
                                td data-label=(tr.t("donor-status")) { (tr.name("pledge-status", p.display_status().as_str())) }
                            }
                        }
                    }
                }
            }
        }
        @if !found.years.is_empty() {
            h2 { (tr.t("donor-statements")) }
            ul {
                @for year in &found.years {
                    li {
                        a href={ "/donor/statements/" (year) "?lang=" (lang.code()) } {
                            (tr.t_with("donor-statement-link", &[("year", (*year).into())]))
                        }
                    }
                }
            }
        }
        form method="post" action={ "/donor/sign-out?lang=" (lang.code()) } {
            input type="hidden" name="csrf" value=(signed.csrf);
            button.secondary type="submit" { (tr.t("donor-sign-out")) }
        }
    }
}

/// `GET /donor/gifts/{pledge}`: the receipt of one of the donor's gifts, to print or keep.
pub async fn receipt(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let tr = Tr::new(lang_of(&req));
    let Some(signed) = signed(&state, &req).await? else {
        return Ok(see_other(format!("/donor?lang={}", tr.lang.code())));
    };
    let id: donations::ids::PledgeId = crate::extract::path_id(&req, "pledge", "pledge")?;
    let (pledge, campaign, foundation) = donor::receipt(&state, signed.email.clone(), id).await?;
    let lang = tr.lang;
    let counted = pledge.counted_at.map(|at| date(&tr, utc(at))).unwrap_or_default();
    let main = html! {
        article.statement {
            h1 { (tr.t("donor-receipt-title")) }
            p.by { (foundation.legal_line(lang.locale())) }
            dl.facts {
                dt { (tr.t("donor-campaign")) }
                dd {
                    (campaign.title(lang.locale()))
                    @if pledge.subscription_id.is_some() { " (" (tr.t("donor-monthly-mark")) ")" }
                }
                dt { (tr.t("donor-amount")) } dd.money { (money(lang, pledge.received)) }
                @if pledge.refunded.is_positive() {
                    dt { (tr.t("donor-receipt-refunded")) } dd.money { (money(lang, pledge.refunded)) }
                }
                dt { (tr.t("mail-date")) } dd { (counted) }
                dt { (tr.t("mail-pledge-number")) } dd { code { (pledge.id) } }
                dt { (tr.t("donor-email")) } dd { (signed.email) }
            }
            p { (tr.t("mail-receipt-thanks")) }
            p.no-print { a href={ "/donor?lang=" (lang.code()) } { (tr.t("donor-title")) } }
        }
    };
    Ok(answer(&state, &req, tr, StatusCode::OK, main).await)
}

/// A statement's words in the reader's language: what its page and its PDF both show.
pub(crate) struct StatementTexts {
    title: String,
    foundation: Vec<String>,
    donor: String,
    columns: [String; 4],
    rows: Vec<[String; 4]>,
    total: String,
    note: String,
    issued: String,
}

/// The words of `statement` for a reader of `tr`'s language.
pub(crate) fn statement_texts(tr: Tr, statement: &Statement) -> Result<StatementTexts, ApiError> {
    let lang = tr.lang;
    let identity = &statement.foundation;
    let mut foundation = vec![identity.legal_line(lang.locale())];
    foundation.extend(identity.bank_details.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string));
    let contacts: Vec<&str> = [identity.phone.as_str(), identity.email.as_str(), identity.website.as_str()]
        .into_iter()
        .filter(|c| !c.is_empty())
        .collect();
    if !contacts.is_empty() {
        foundation.push(contacts.join(" · "));
    }
    let mut rows = Vec::with_capacity(statement.lines.len());
    for line in &statement.lines {
        let mut campaign =
            statement.campaign(line.campaign_id).map_or_else(String::new, |c| c.title(lang.locale()).to_string());
        if line.monthly {
            campaign = format!("{campaign} ({})", tr.t("donor-monthly-mark"));
        }
        let net = line.net().map_err(|e| ApiError::internal(e.to_string()))?;
        // A statement's dates are numeric (07.12.2026): a column of them reads at a glance, and
        // the Kazakh long form ("2026 жылғы 7 желтоқсан") would not fit the PDF's date column.
        let at = utc(line.counted_at);
        let day = at.with_timezone(&crate::format::almaty_offset(at)).format("%d.%m.%Y").to_string();
        rows.push([day, campaign, money(lang, line.received), money(lang, net)]);
    }
    let zero = money(lang, donations::money::Money::zero(donations::money::Currency::Kzt));
    let sums: Vec<String> = statement.totals.iter().map(|t| money(lang, t.net)).collect();
    let total = if sums.is_empty() { zero } else { sums.join(" + ") };
    let year = statement.year;
    Ok(StatementTexts {
        title: tr.t_with("statement-title", &[("year", year.into())]),
        foundation,
        donor: tr.t_with("statement-donor", &[("email", statement.email.clone().into())]),
        columns: [tr.t("donor-date"), tr.t("donor-campaign"), tr.t("statement-received"), tr.t("statement-net")],
        rows,
        total: tr.t_with("statement-total", &[("amount", total.into())]),
        note: if statement.lines.is_empty() {
            tr.t_with("statement-none", &[("year", year.into())])
        } else {
            tr.t_with("statement-note", &[("year", year.into())])
        },
        issued: tr.t_with("statement-issued", &[("date", date(&tr, Utc::now()).into())]),
    })
}

/// The statement as a PDF download.
pub(crate) fn statement_pdf(texts: &StatementTexts, year: i32) -> Result<HttpResponse, ApiError> {
    let columns = [&*texts.columns[0], &*texts.columns[1], &*texts.columns[2], &*texts.columns[3]];
    let pdf = crate::statement_pdf::render(&crate::statement_pdf::StatementPdf {
        title: &texts.title,
        foundation: &texts.foundation,
        donor: &texts.donor,
        columns,
        rows: &texts.rows,
        total: &texts.total,
        note: &texts.note,
        issued: &texts.issued,
    })
    .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(("content-disposition", format!("attachment; filename=\"statement-{year}.pdf\"")))
        .insert_header(("cache-control", "no-store"))
        .body(pdf))
}

/// A statement's path segment: `2026`, or `2026.pdf` for its PDF (not a number: a year no
/// statement has, which `services::donor::statement` refuses naming `year`).
pub(crate) fn statement_year(segment: &str) -> (i32, bool) {
    let (year, pdf) = match segment.strip_suffix(".pdf") {
        Some(year) => (year, true),
        None => (segment, false),
    };
    // Not a number is a year out of range: the service's refusal of one says which years are.
    (year.parse::<i32>().unwrap_or(i32::MIN), pdf)
}

/// `GET /donor/statements/{year}` (a printable page) and `/donor/statements/{year}.pdf`.
pub async fn statement(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let tr = Tr::new(lang_of(&req));
    let Some(signed) = signed(&state, &req).await? else {
        return Ok(see_other(format!("/donor?lang={}", tr.lang.code())));
    };
    let (year, pdf) = statement_year(req.match_info().get("year").unwrap_or_default());
    let found = donor::statement(&state, signed.email, year).await?;
    let texts = statement_texts(tr, &found)?;
    if pdf {
        return statement_pdf(&texts, year);
    }
    let main = html! {
        article.statement {
            h1 { (texts.title) }
            @for line in &texts.foundation { p.by { (line) } }
            p { strong { (texts.donor) } }
            @if !texts.rows.is_empty() {
                div.scroll {
                    table.list {
                        thead { tr { @for column in &texts.columns { th scope="col" { (column) } } } }
                        tbody {
                            @for row in &texts.rows {
                                tr {
                                    th scope="row" data-label=(texts.columns[0]) { (row[0]) }
                                    td data-label=(texts.columns[1]) { (row[1]) }
                                    td.money data-label=(texts.columns[2]) { (row[2]) }
                                    td.money data-label=(texts.columns[3]) { (row[3]) }
                                }
                            }
                        }
                    }
                }
            }
            p { strong { (texts.total) } }
            p { (texts.note) }
            p.by { (texts.issued) }
            p.no-print {
                a.button href={ "/donor/statements/" (year) ".pdf?lang=" (tr.lang.code()) } { (tr.t("statement-pdf")) }
                " "
                a href={ "/donor?lang=" (tr.lang.code()) } { (tr.t("donor-title")) }
            }
        }
    };
    Ok(answer(&state, &req, tr, StatusCode::OK, main).await)
}

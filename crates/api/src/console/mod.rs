//! The staff console at `/staff`: server-rendered like the campaign site (same templates and
//! catalogues), for the foundation's staff without a programmer. It calls the same workflows
//! as the staff API, and the server checks every action's role, whatever the menu shows.
//!
//! Sessions are the API's (same expiry, same revocation), carried in a cookie that scripts
//! cannot read (`HttpOnly`), that no other site's request carries (`SameSite=Strict`), sent
//! only over https when the site is served so (`Secure`). Every form that changes something
//! also carries a CSRF token derived from the session, checked before anything is done.

mod access;
pub mod admin;
pub mod campaigns;
pub mod expenses;
pub mod foundation;
pub mod moderation;
pub mod news;
pub mod pledges;
pub mod subscriptions;

pub use access::{Console, ConsoleForm};

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::{LOCATION, RETRY_AFTER};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{Duration, Utc};
use donations::ledger::Booked;
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::{Role, StaffUser};
use crate::format::{date, money};
use crate::i18n::{Lang, Tr};
use crate::pages::layout::{document, respond, Caching, Frame};
use crate::problem::ApiError;
use crate::routes::access::AnyStaff;
use crate::state::AppState;

/// The session cookie.
pub const SESSION_COOKIE: &str = "demeu_staff";
/// The sign-in form's own CSRF cookie (there is no session yet to derive a token from).
const SIGN_IN_COOKIE: &str = "demeu_sign_in";

/// A signed-in staff member on a console page.
pub struct Signed {
    /// Who.
    pub user: StaffUser,
    /// The session's token (the cookie's value).
    token: String,
    /// What every form of this session carries.
    pub csrf: String,
    /// The console's language.
    pub tr: Tr,
}

/// The CSRF token of a session: a hash of its secret token, so that only a page of this
/// session (which a script of another site cannot read) can know it.
fn csrf_of(token: &str) -> String {
    crate::auth::form_token("console", token)
}

pub(crate) use crate::auth::same;

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, to.to_string())).finish()
}

fn secure(state: &AppState) -> bool {
    state.settings.public_url().starts_with("https://")
}

fn lang_of(req: &HttpRequest) -> Lang {
    Lang::negotiate(req, Lang::Ru)
}

/// A console form's fields, read from its urlencoded body; text the site would refuse (a
/// control or bidirectional character) is refused here too (422, naming the field).
pub(crate) fn decode<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    crate::control_chars::check_form(body)?;
    serde_urlencoded::from_bytes(body).map_err(|e| ApiError::BadRequest(format!("the form could not be read: {e}")))
}

/// A console form's field, as its label names it in the console's language.
fn field_label(tr: Tr, field: &str) -> String {
    let key = match field {
        "email" => "console-email",
        "password" => "console-password",
        "role" => "console-role",
        "repeat" => "console-repeat-password",
        "current" => "console-current-password",
        "action" => "console-audit-action",
        "title" => "console-title",
        "body_markdown" => "console-body",
        "status" => "console-status",
        "note" => "console-note",
        "amount" => "pl-amount",
        "method" => "pl-method",
        "reference" => "pl-reference",
        "donor_name" => "pl-donor",
        "received_at" | "received_on" => "pl-received-on",
        "campaign" => "pl-campaign",
        "slug" => "cc-slug",
        "goal" => "cc-goal",
        "min_pledge" => "cc-min",
        "max_pledge" => "cc-max",
        "starts_at" | "starts_on" => "cc-starts",
        "ends_at" | "last_day" => "cc-last-day",
        "reason" => "cc-reason",
        "plan" => "cc-plan",
        "presets" => "cc-presets",
        "currency" => "cc-currency",
        "locale" => "cc-locale",
        "file" => "cc-picture-file",
        "line" => "ex-line",
        "spent_on" => "ex-spent-on",
        "payee" => "ex-payee",
        "payee_kind" => "ex-payee-kind",
        "over_budget_reason" => "ex-over-budget-reason",
        "evidence" => "ex-evidence",
        other => {
            // `titles.kk`, `summaries.ru`, `stories.en`, `alt_kk`: the field's label and its language.
            let (name, lang) = other.split_once('.').or_else(|| other.split_once('_')).unwrap_or((other, ""));
            let key = match name {
                "titles" => "console-title",
                "summaries" => "cc-summary",
                "stories" => "cc-story",
                "alt" => "cc-alt",
                "description" => "ex-description",
                _ => return other.to_string(),
            };
            return format!("{} ({lang})", tr.t(key));
        }
    };
    tr.t(key)
}

/// A refused field as the console says it: its label, then what is wrong, in its language.
pub(crate) fn said(tr: Tr, error: &demeu_db::FieldError) -> String {
    format!("{}: {}", field_label(tr, &error.field), tr.field_error(error))
}

/// The refusals of a form, above it: each field's, in the console's language.
pub(crate) fn refused_fields(tr: Tr, fields: &[demeu_db::FieldError]) -> Markup {
    html! {
        @if !fields.is_empty() {
            div.alert role="alert" {
                p { (tr.t("form-has-errors")) }
                ul { @for field in fields { li { (said(tr, field)) } } }
            }
        }
    }
}

fn refusal(signed: &Signed, status: StatusCode, key: &str) -> HttpResponse {
    let tr = signed.tr;
    page(Some(signed), tr, &tr.t("error-heading"), status, html! { p.alert role="alert" { (tr.t(key)) } })
}

/// A console page: the console's menu (what the role may open), then `main`. Never cached,
/// never framed.
pub fn page(signed: Option<&Signed>, tr: Tr, title: &str, status: StatusCode, main: Markup) -> HttpResponse {
    let frame = Frame::new(tr, title, "/staff");
    let body = html! {
        @if let Some(signed) = signed {
            nav.console aria-label=(tr.t("console")) {
                ul {
                    li { a href="/staff" { (tr.t("console-dashboard")) } }
                    @if signed.user.role.allows(Role::Editor) {
                        li { a href="/staff/campaigns" { (tr.t("cc-campaigns")) } }
                        li { a href="/staff/news" { (tr.t("console-news")) } }
                        li { a href="/staff/comments" { (tr.t("console-comments")) } }
                        li { a href="/staff/volunteers" { (tr.t("console-volunteers")) } }
                    }
                    @if signed.user.role.allows(Role::Accountant) {
                        li { a href="/staff/pledges" { (tr.t("console-pledges")) } }
                        li { a href="/staff/subscriptions" { (tr.t("console-subscriptions")) } }
                    }
                    @if signed.user.role.allows(Role::Admin) {
                        li { a href="/staff/foundation" { (tr.t("cf-foundation")) } }
                        li { a href="/staff/users" { (tr.t("console-staff")) } }
                        li { a href="/staff/audit" { (tr.t("console-audit")) } }
                    }
                    li { a href="/staff/password" { (tr.t("console-password-menu")) } }
                }
                p.help {
                    (tr.t_with("console-signed-in-as", &[("email", signed.user.email.clone().into()), ("role", tr.name("role", signed.user.role.as_str()).into())]))
                }
                form method="post" action="/staff/sign-out" {
                    input type="hidden" name="csrf" value=(signed.csrf);
                    button.secondary type="submit" { (tr.t("console-sign-out")) }
                }
            }
        }
        h1 { (title) }
        (main)
    };
    respond(status, document(&frame, body), Caching::Private, None, None)
}

/// The console's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/staff").route(web::get().to(dashboard)))
        .service(web::resource("/staff/sign-in").route(web::get().to(sign_in_page)).route(web::post().to(sign_in)))
        .service(web::resource("/staff/sign-out").route(web::post().to(sign_out)))
        .service(web::resource("/staff/comments").route(web::get().to(moderation::comments)))
        .service(web::resource("/staff/comments/{id}").route(web::post().to(moderation::moderate)))
        .service(web::resource("/staff/volunteers").route(web::get().to(moderation::volunteers)))
        .service(web::resource("/staff/volunteers/{id}").route(web::post().to(moderation::update_volunteer)))
        .service(web::resource("/staff/news").route(web::get().to(news::list)).route(web::post().to(news::create)))
        .service(web::resource("/staff/news/{id}").route(web::get().to(news::edit)).route(web::post().to(news::act)))
        .configure(campaigns::configure)
        .configure(foundation::configure)
        .configure(pledges::configure)
        .configure(expenses::configure)
        .configure(subscriptions::configure)
        .configure(admin::configure);
}

fn sign_in_form(tr: Tr, csrf: &str, email: &str, problem: Option<String>) -> Markup {
    html! {
        @if let Some(problem) = problem { p.alert role="alert" { (problem) } }
        form method="post" action="/staff/sign-in" {
            input type="hidden" name="csrf" value=(csrf);
            div.field {
                label for="staff-email" { (tr.t("console-email")) }
                input #staff-email type="email" name="email" required autocomplete="username" value=(email);
            }
            div.field {
                label for="staff-password" { (tr.t("console-password")) }
                input #staff-password type="password" name="password" required autocomplete="current-password";
            }
            button type="submit" { (tr.t("console-sign-in")) }
        }
    }
}

fn sign_in_cookie(state: &AppState, value: &str) -> Cookie<'static> {
    Cookie::build(SIGN_IN_COOKIE, value.to_string())
        .path("/staff")
        .http_only(true)
        .secure(secure(state))
        .same_site(SameSite::Strict)
        .finish()
}

/// `GET /staff/sign-in`.
pub async fn sign_in_page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let tr = Tr::new(lang_of(&req));
    let csrf = uuid::Uuid::new_v4().simple().to_string();
    let mut answer = page(None, tr, &tr.t("console-sign-in"), StatusCode::OK, sign_in_form(tr, &csrf, "", None));
    let _ = answer.add_cookie(&sign_in_cookie(&state, &csrf));
    answer
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /staff/sign-in`: the same slow-down and limits as the API's sign-in.
pub async fn sign_in(state: web::Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let form: SignInForm = serde_urlencoded::from_bytes(&body)
        .map_err(|e| ApiError::BadRequest(format!("the form could not be read: {e}")))?;
    let tr = Tr::new(lang_of(&req));
    let expected = req.cookie(SIGN_IN_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    if expected.is_empty() || !same(&form.csrf, &expected) {
        let fresh = uuid::Uuid::new_v4().simple().to_string();
        let main = sign_in_form(tr, &fresh, &form.email, Some(tr.t("console-csrf")));
        let mut answer = page(None, tr, &tr.t("console-sign-in"), StatusCode::FORBIDDEN, main);
        let _ = answer.add_cookie(&sign_in_cookie(&state, &fresh));
        return Ok(answer);
    }
    let client = crate::client_ip::of(&req);
    match crate::services::sign_in::sign_in(&state, client, &form.email, form.password).await.map_err(ApiError::from) {
        Ok(session) => {
            let max_age = (session.expires_at - Utc::now()).max(Duration::zero());
            let cookie = Cookie::build(SESSION_COOKIE, session.token)
                .path("/staff")
                .http_only(true)
                .secure(secure(&state))
                .same_site(SameSite::Strict)
                .max_age(actix_web::cookie::time::Duration::seconds(max_age.num_seconds()))
                .finish();
            let mut answer = see_other("/staff");
            let _ = answer.add_cookie(&cookie);
            let _ = answer.add_removal_cookie(&sign_in_cookie(&state, ""));
            Ok(answer)
        }
        Err(error @ (ApiError::Unauthorized | ApiError::RateLimited { .. })) => {
            let problem = match &error {
                ApiError::RateLimited { .. } => tr.t("problem-rate-limited"),
                _ => tr.t("console-sign-in-failed"),
            };
            let main = sign_in_form(tr, &expected, &form.email, Some(problem));
            let status = actix_web::ResponseError::status_code(&error);
            let mut answer = page(None, tr, &tr.t("console-sign-in"), status, main);
            if let ApiError::RateLimited { retry_after } = error {
                if let Ok(value) = retry_after.to_string().parse() {
                    answer.headers_mut().insert(RETRY_AFTER, value);
                }
            }
            Ok(answer)
        }
        Err(other) => Err(other),
    }
}

/// A form that only carries its CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /staff/sign-out`: the session ends for every client that holds it, cookie or token.
pub async fn sign_out(
    ConsoleForm(signed, ..): ConsoleForm<AnyStaff, CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (user, token) = (signed.user.clone(), signed.token.clone());
    state.pool.run(move |conn| crate::auth::end_session(conn, &user, &token)).await?;
    let mut answer = see_other("/staff/sign-in");
    let removal = Cookie::build(SESSION_COOKIE, "").path("/staff").finish();
    let _ = answer.add_removal_cookie(&removal);
    Ok(answer)
}

/// What the dashboard shows of one campaign.
struct CampaignDay {
    progress: donations::campaign::Progress,
    /// Booked since Almaty's midnight.
    today: Booked,
    /// Booked in the last 7 × 24 hours.
    week: Booked,
    /// Booked since the first of this month, Almaty's midnight.
    month: Booked,
    /// Its monthly gifts: donors, what they give a month, failed charges.
    monthly: donations::subscription::Monthly,
    books: Option<crate::services::books::Checked>,
}

/// `GET /staff`: first each campaign's money (today, the last 7 days, this month, and whether
/// the books balance), then its progress and plan, what waits for someone, and the latest
/// pledges.
pub async fn dashboard(
    Console(signed, ..): Console<AnyStaff>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tr = signed.tr;
    let now = Utc::now();
    let (today_start, month_start) = (crate::format::almaty_day_start(now), crate::format::almaty_month_start(now));
    let week_start = (now - Duration::days(7)).naive_utc();
    let role = signed.user.role;
    let (days, latest, comments, volunteers, dead) = state
        .pool
        .run(move |conn| {
            let mut days = Vec::new();
            for progress in donations::campaign::list_progress(conn, donations::campaign::Audience::Staff)? {
                let (id, currency) = (progress.campaign.id, progress.campaign.spec.currency);
                let mut booked = |from| donations::ledger::booked_between(conn, id, currency, from, now.naive_utc());
                let (today, week, month) = (booked(today_start)?, booked(week_start)?, booked(month_start)?);
                let monthly = donations::subscription::monthly_of(conn, id, currency)?;
                days.push(CampaignDay { progress, today, week, month, monthly, books: None });
            }
            let latest = if role.allows(Role::Accountant) {
                donations::pledge_store::staff_list(conn, &Default::default(), 5, None)?.items
            } else {
                Vec::new()
            };
            let comments =
                campaign_news::comment::list(conn, None, campaign_news::comment::CommentStatus::Pending, 100, None)?
                    .items
                    .len();
            let filter = campaign_news::volunteer::VolunteerFilter {
                status: Some(campaign_news::volunteer::VolunteerStatus::New),
                campaign: None,
            };
            let volunteers = campaign_news::volunteer::list(conn, &filter, 100, None)?.items.len();
            let dead = demeu_db::outbox::list(conn, demeu_db::outbox::MailStatus::Dead, 100)?.len();
            Ok::<_, ApiError>((days, latest, comments, volunteers, dead))
        })
        .await?;
    // The books as the background check last found them; a campaign it has not reached yet
    // (the server has just started) is checked now, once.
    if days.iter().any(|day| state.books.of(&day.progress.campaign.spec.slug).is_none()) {
        if let Err(error) = state.books.check(&state.pool).await {
            tracing::warn!(%error, "the books could not be checked");
        }
    }
    let days: Vec<CampaignDay> = days
        .into_iter()
        .map(|day| CampaignDay { books: state.books.of(&day.progress.campaign.spec.slug), ..day })
        .collect();
    let waiting = Waiting { comments, volunteers, dead };
    let main = dashboard_view(tr, role, &days, &latest, &waiting);
    Ok(page(Some(&signed), tr, &tr.t("console-dashboard"), StatusCode::OK, main))
}

/// What waits for someone: pending comments, new applications, mail that never went.
#[derive(Clone, Copy)]
struct Waiting {
    comments: usize,
    volunteers: usize,
    dead: usize,
}

/// Money booked in a span: the amount, then how many gifts.
fn booked_cell(tr: Tr, booked: Booked) -> Markup {
    html! {
        strong.money { (money(tr.lang, booked.net)) }
        br;
        span.help { (tr.t_with("console-gifts", &[("count", booked.gifts.into())])) }
    }
}

/// A campaign's monthly gifts: what its donors give a month, how many they are, and how many
/// charges failed (for who may see money, the way to the list).
fn monthly_cell(tr: Tr, role: Role, m: donations::subscription::Monthly) -> Markup {
    html! {
        strong.money { (money(tr.lang, m.amount)) }
        br;
        span.help { (tr.t_with("cs-donors", &[("count", m.donors.into())])) }
        @if m.past_due > 0 {
            br;
            strong.error { (tr.t_with("cs-failed", &[("count", m.past_due.into())])) }
        }
        @if role.allows(Role::Accountant) && m.donors > 0 {
            br;
            a href="/staff/subscriptions" { (tr.t("console-open")) }
        }
    }
}

/// Whether a campaign's books balance, as last checked, and (for who may see money) the way
/// to the reconciliation itself.
fn books_cell(tr: Tr, role: Role, slug: &str, books: Option<crate::services::books::Checked>) -> Markup {
    html! {
        @match books {
            Some(checked) if checked.clean => { (tr.t("console-books-reconciled")) }
            Some(checked) => { strong.error { (tr.t_with("console-books-differences", &[("count", (checked.differences as i64).into())])) } }
            None => { (tr.t("console-books-unchecked")) }
        }
        @if let Some(checked) = books { " " span.when { "(" (date(&tr, checked.at)) ")" } }
        @if role.allows(Role::Accountant) {
            br;
            a href={ "/staff/books/" (slug) } { (tr.t("console-books-see")) }
        }
    }
}

/// The money first, as an accountant reads it: each campaign's net booked today, in the last
/// 7 days and this month (Almaty's days), with its count of gifts, and whether its books
/// balance.
fn money_view(tr: Tr, role: Role, days: &[CampaignDay]) -> Markup {
    let (today, week, month, books) =
        (tr.t("console-money-today"), tr.t("console-money-week"), tr.t("console-money-month"), tr.t("console-books"));
    let monthly = tr.t("cs-monthly-gifts");
    html! {
        section.card #money aria-labelledby="money-heading" {
            h2 #money-heading { (tr.t("console-money")) }
            p.help { (tr.t("console-money-help")) }
            div.scroll {
                table.list {
                    thead {
                        tr {
                            th scope="col" { (tr.t("pl-campaign")) }
                            th scope="col" { (today) }
                            th scope="col" { (week) }
                            th scope="col" { (month) }
                            th scope="col" { (monthly) }
                            th scope="col" { (books) }
                        }
                    }
                    tbody {
                        @for day in days {
                            @let slug = &day.progress.campaign.spec.slug;
                            tr {
                                th scope="row" { (day.progress.campaign.title(tr.lang.locale())) }
                                td data-label=(today) { (booked_cell(tr, day.today)) }
                                td data-label=(week) { (booked_cell(tr, day.week)) }
                                td data-label=(month) { (booked_cell(tr, day.month)) }
                                td data-label=(monthly) { (monthly_cell(tr, role, day.monthly)) }
                                td data-label=(books) { (books_cell(tr, role, slug, day.books)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The money first; then each campaign's progress and plan, what waits, and (for who may see
/// money) the latest pledges.
fn dashboard_view(
    tr: Tr,
    role: Role,
    days: &[CampaignDay],
    latest: &[(donations::pledge_store::PledgeRecord, String)],
    waiting: &Waiting,
) -> Markup {
    let Waiting { comments, volunteers, dead } = *waiting;
    let count = |n: usize| if n >= 100 { "100+".to_string() } else { n.to_string() };
    html! {
        (money_view(tr, role, days))
        section.card {
            ul {
                li { (tr.t("console-pending-comments")) ": " strong { (count(comments)) }
                     @if role.allows(Role::Editor) { " " a href="/staff/comments" { (tr.t("console-open")) } } }
                li { (tr.t("console-new-volunteers")) ": " strong { (count(volunteers)) }
                     @if role.allows(Role::Editor) { " " a href="/staff/volunteers" { (tr.t("console-open")) } } }
                li { (tr.t("console-dead-mail")) ": " strong { (count(dead)) } }
            }
        }
        @if role.allows(Role::Accountant) {
            section.card {
                h2 #latest { (tr.t("console-latest")) }
                @if latest.is_empty() { p { (tr.t("console-none")) } }
                @else { (pledges::pledge_table(tr, None, Some("latest"), latest)) }
            }
        }
        h2 { (tr.t("console-campaigns-progress")) }
        @for day in days {
            section.card {
                h3 { a href={ "/campaigns/" (day.progress.campaign.spec.slug) } { (day.progress.campaign.title(tr.lang.locale())) } }
                (crate::pages::campaign::progress_box(&tr, &day.progress, false, None))
                (crate::pages::campaign::plan(&tr, &day.progress, None))
            }
        }
    }
}

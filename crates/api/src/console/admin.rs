//! The admin's pages: the staff accounts (make one, change a role, disable or enable) and the
//! audit log; and, for every staff member, changing one's own password.
//!
//! Accounts change through the same functions as the staff API (`auth::create_user`,
//! `auth::update_user`), so the rules and the audit entries are the API's. A refused form is
//! shown again with the reason beside it, at the status the API would answer (422, 409).

use std::collections::HashMap;

use actix_web::http::header::{LOCATION, RETRY_AFTER};
use actix_web::http::StatusCode;
use actix_web::web::{self};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use demeu_db::audit::{AuditEntry, AuditFilter};
use demeu_db::ids::StaffUserId;
use demeu_db::FieldError;
use maud::{html, Markup};
use serde::Deserialize;

use super::{page, Console, ConsoleForm, Signed};
use crate::auth::{self, AuthError, NewStaffUser, Role, StaffUpdate, StaffUser, MIN_PASSWORD_LEN};
use crate::format::{almaty_offset, date};
use crate::i18n::Tr;
use crate::problem::ApiError;
use crate::routes::access::{Admin, AnyStaff};
use crate::state::AppState;

/// Entries per page of the audit log.
const AUDIT_PAGE: i64 = 50;

/// The admin's routes and the password form.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/staff/users").route(web::get().to(users)).route(web::post().to(create)))
        .service(web::resource("/staff/users/{id}").route(web::post().to(update)))
        .service(web::resource("/staff/audit").route(web::get().to(audit)))
        .service(web::resource("/staff/password").route(web::get().to(password_page)).route(web::post().to(password)));
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, to.to_string())).finish()
}

/// What a form shows of a refusal, by field (`""`: the whole form); `None` for an error that
/// is no refusal of the form (the database away, an unknown account), which stays an error.
fn refusal(tr: Tr, error: &ApiError, conflict: &str) -> Option<Vec<(String, String)>> {
    match error {
        ApiError::Invalid(fields) => Some(fields.iter().map(|f| (f.field.clone(), super::said(tr, f))).collect()),
        // The only conflicts here: an address already taken, one's own account demoted or
        // disabled. The domain's words are English; the console says it in its language.
        ApiError::Conflict(_) => Some(vec![(String::new(), tr.t(conflict))]),
        _ => None,
    }
}

fn errors(messages: &[(String, String)], field: &str) -> Markup {
    html! {
        @for (_, message) in messages.iter().filter(|(f, _)| f == field) {
            p.error role="alert" { (message) }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Accounts

/// What the account form keeps after a refusal (never the password).
#[derive(Default)]
struct Typed {
    email: String,
    role: String,
}

/// Which form a refusal belongs to.
enum Refused {
    Create(Vec<(String, String)>),
    Account(StaffUserId, Vec<(String, String)>),
}

fn role_select(id: &str, name: &str, tr: Tr, chosen: &str) -> Markup {
    html! {
        select id=(id) name=(name) aria-label=(tr.t("console-role")) {
            @for role in Role::ALL {
                option value=(role.as_str()) selected[role.as_str() == chosen] { (tr.name("role", role.as_str())) }
            }
        }
    }
}

fn users_page(signed: &Signed, accounts: &[StaffUser], typed: &Typed, refused: Option<&Refused>) -> Markup {
    let tr = signed.tr;
    let none = Vec::new();
    let create_errors = match refused {
        Some(Refused::Create(messages)) => messages,
        _ => &none,
    };
    let [email, role, status, created] =
        ["console-email", "console-role", "console-status", "console-created"].map(|k| tr.t(k));
    html! {
        // A table on a laptop, labelled lines on a phone (app.css, `table.list`).
        div.scroll { table.list.staff {
            thead { tr {
                th scope="col" { (email) } th scope="col" { (role) } th scope="col" { (status) }
                th scope="col" { (created) } th scope="col" { span.visually-hidden { (tr.t("console-actions")) } }
            } }
            tbody {
                @for account in accounts {
                    @let yourself = account.id == signed.user.id;
                    tr {
                        td data-label=(email) { bdi { (account.email) } @if yourself { " (" (tr.t("console-you")) ")" } }
                        td data-label=(role) { (tr.name("role", account.role.as_str())) }
                        td data-label=(status) { @if account.active { (tr.t("console-account-active")) } @else { strong.error { (tr.t("console-account-disabled")) } } }
                        td data-label=(created) { span.when { (date(&tr, account.created_at)) } }
                        td {
                            @if let Some(Refused::Account(id, messages)) = refused {
                                @if *id == account.id { (errors(messages, "")) (errors(messages, "role")) (errors(messages, "action")) }
                            }
                            // One's own account is not offered: the domain refuses to demote or
                            // disable it (so that an install keeps an admin), as the API does.
                            @if !yourself {
                                form method="post" action={ "/staff/users/" (account.id) } {
                                    input type="hidden" name="csrf" value=(signed.csrf);
                                    (role_select(&format!("role-{}", account.id), "role", tr, account.role.as_str()))
                                    " "
                                    button type="submit" name="action" value="role" { (tr.t("console-change-role")) }
                                    " "
                                    @if account.active {
                                        button.secondary type="submit" name="action" value="disable" { (tr.t("console-disable")) }
                                    } @else {
                                        button.secondary type="submit" name="action" value="enable" { (tr.t("console-enable")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } }
        h2 { (tr.t("console-new-account")) }
        (errors(create_errors, ""))
        form method="post" action="/staff/users" {
            input type="hidden" name="csrf" value=(signed.csrf);
            div.field {
                label for="new-email" { (tr.t("console-email")) }
                input #new-email type="email" name="email" required autocomplete="off" value=(typed.email);
                (errors(create_errors, "email"))
            }
            div.field {
                label for="new-role" { (tr.t("console-role")) }
                (role_select("new-role", "role", tr, &typed.role))
                (errors(create_errors, "role"))
            }
            div.field {
                label for="new-password" { (tr.t_with("console-initial-password", &[("min", (MIN_PASSWORD_LEN as i64).into())])) }
                input #new-password type="password" name="password" required minlength=(MIN_PASSWORD_LEN) autocomplete="new-password";
                (errors(create_errors, "password"))
            }
            button type="submit" { (tr.t("console-create-account")) }
        }
    }
}

/// The accounts page at `status`, with the refusal beside its form.
async fn users_answer(
    state: &AppState,
    signed: &Signed,
    typed: &Typed,
    refused: Option<&Refused>,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let accounts = state.pool.run(auth::list_users).await?;
    let tr = signed.tr;
    Ok(page(Some(signed), tr, &tr.t("console-staff"), status, users_page(signed, &accounts, typed, refused)))
}

/// `GET /staff/users`: every account, and a form to make one. Admins only.
pub async fn users(Console(signed, ..): Console<Admin>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    users_answer(
        &state,
        &signed,
        &Typed { role: Role::Editor.as_str().into(), ..Typed::default() },
        None,
        StatusCode::OK,
    )
    .await
}

/// The new account form.
#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// `POST /staff/users`: makes the account (audited as `staff.create`), then back to the list.
pub async fn create(
    ConsoleForm(signed, form, ..): ConsoleForm<Admin, CreateForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let typed = Typed { email: form.email.clone(), role: form.role.clone() };
    let actor = signed.user.id;
    let made = match form.role.parse::<Role>() {
        Ok(role) => {
            let new = NewStaffUser { email: form.email, password: form.password, role };
            state.pool.run(move |conn| auth::create_user(conn, Some(actor), &new)).await.map_err(ApiError::from)
        }
        Err(e) => Err(ApiError::invalid("role", e.to_string())),
    };
    match made {
        Ok(_) => Ok(see_other("/staff/users")),
        Err(error) => match refusal(signed.tr, &error, "console-account-exists") {
            Some(messages) => {
                users_answer(&state, &signed, &typed, Some(&Refused::Create(messages)), error.status_code()).await
            }
            None => Err(error),
        },
    }
}

/// One account's form: which button, and the role chosen.
#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    role: String,
}

impl AccountForm {
    /// The change the button asks for: only what it names, so that disabling does not also
    /// set a role chosen in the select and left unsaved.
    fn update(&self) -> Result<StaffUpdate, FieldError> {
        match self.action.as_str() {
            "role" => {
                let role = self.role.parse::<Role>().map_err(|_| FieldError::one_of("role", Role::NAMES))?;
                Ok(StaffUpdate { role: Some(role), ..StaffUpdate::default() })
            }
            "disable" => Ok(StaffUpdate { active: Some(false), ..StaffUpdate::default() }),
            "enable" => Ok(StaffUpdate { active: Some(true), ..StaffUpdate::default() }),
            _ => Err(FieldError::one_of("action", &["role", "disable", "enable"])),
        }
    }
}

/// `POST /staff/users/{id}`: a new role, or disabled (its sessions end) or enabled again; the
/// API's `PATCH /api/v1/staff/users/{id}` (audited as `staff.update`).
pub async fn update(
    ConsoleForm(signed, form, ..): ConsoleForm<Admin, AccountForm>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: StaffUserId = id.into_inner().parse().map_err(|_| ApiError::NotFound("staff user".into()))?;
    let actor = signed.user.id;
    let done = match form.update() {
        Ok(update) => state.pool.run(move |conn| auth::update_user(conn, actor, id, &update)).await,
        Err(error) => Err(error.into()),
    };
    let (messages, status) = match done {
        Ok(_) => return Ok(see_other("/staff/users")),
        // The domain's words are English; the console says each refusal in its language.
        Err(AuthError::OwnAccount) => {
            (vec![(String::new(), signed.tr.t("console-not-yourself"))], StatusCode::CONFLICT)
        }
        Err(AuthError::LastAdmin) => (vec![(String::new(), signed.tr.t("console-last-admin"))], StatusCode::CONFLICT),
        Err(other) => {
            let error = ApiError::from(other);
            match refusal(signed.tr, &error, "console-not-yourself") {
                Some(messages) => (messages, error.status_code()),
                None => return Err(error),
            }
        }
    };
    let refused = Refused::Account(id, messages);
    let typed = Typed { role: Role::Editor.as_str().into(), ..Typed::default() };
    users_answer(&state, &signed, &typed, Some(&refused), status).await
}

// ---------------------------------------------------------------------------------------------
// The audit log

/// The audit page's query: filters, and where the page starts.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    action: String,
    actor: String,
    cursor: String,
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// A time in Almaty, to the second: the log is read to know what happened in which order.
fn when(tr: &Tr, at: chrono::NaiveDateTime) -> String {
    let at = demeu_db::utc(at);
    format!("{} {}", date(tr, at), at.with_timezone(&almaty_offset(at)).format("%H:%M:%S"))
}

/// `GET /staff/audit`: the audit log, newest first, 50 a page, by action and by staff member.
/// Admins only.
pub async fn audit(
    Console(signed, ..): Console<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query: AuditQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::BadRequest(format!("the query could not be read: {e}")))?;
    let filter = AuditFilter::asked(Some(&query.action), Some(&query.actor));
    let after = non_empty(&query.cursor).map(|c| demeu_db::page::decode_cursor(&c)).transpose()?;
    let listed = filter.clone();
    let (accounts, entries) = state
        .pool
        .run(move |conn| {
            let accounts = auth::list_users(conn)?;
            let entries = demeu_db::audit::list(conn, &listed, AUDIT_PAGE, after)?;
            Ok::<_, ApiError>((accounts, entries))
        })
        .await?;
    let tr = signed.tr;
    let main = audit_view(tr, &filter, &accounts, &entries);
    Ok(page(Some(&signed), tr, &tr.t("console-audit"), StatusCode::OK, main))
}

/// The audit log's filters, a page of its entries (who by address, what, to what), and the way
/// to older ones.
fn audit_view(
    tr: Tr,
    filter: &AuditFilter,
    accounts: &[StaffUser],
    entries: &demeu_db::page::Page<AuditEntry>,
) -> Markup {
    let emails: HashMap<StaffUserId, &str> = accounts.iter().map(|a| (a.id, a.email.as_str())).collect();
    let who = |entry: &AuditEntry| match &entry.actor_id {
        Some(id) => emails.get(id).map_or_else(|| id.to_string(), |email| (*email).to_string()),
        None => tr.t("console-audit-system"),
    };
    // A subject that is an account is shown by its address too: ids alone say nothing.
    let subject = |entry: &AuditEntry| match entry
        .subject
        .strip_prefix("staff_user:")
        .and_then(|id| emails.get(&id.parse().ok()?))
    {
        Some(email) => format!("{} ({email})", entry.subject),
        None => entry.subject.clone(),
    };
    let link = |pairs: &[(&str, &str)]| {
        let kept: Vec<(&str, &str)> = pairs.iter().copied().filter(|(_, v)| !v.is_empty()).collect();
        format!("/staff/audit?{}", serde_urlencoded::to_string(kept).unwrap_or_default())
    };
    let action = filter.action.clone().unwrap_or_default();
    let actor = filter.actor.clone().unwrap_or_default();
    html! {
        form.filter method="get" action="/staff/audit" {
            div.field {
                label for="audit-action" { (tr.t("console-audit-action")) }
                input #audit-action type="text" name="action" value=(action) placeholder="staff.create";
            }
            div.field {
                label for="audit-actor" { (tr.t("console-audit-who")) }
                select #audit-actor name="actor" {
                    option value="" { (tr.t("console-audit-anyone")) }
                    @for account in accounts {
                        @let id = account.id.to_string();
                        option value=(id) selected[id == actor] { (account.email) }
                    }
                }
            }
            button type="submit" { (tr.t("console-filter")) }
        }
        @if entries.items.is_empty() { p { (tr.t("console-none")) } }
        @else {
            @let labels = ["console-audit-when", "console-audit-who", "console-audit-action", "console-audit-subject", "console-audit-details"].map(|k| tr.t(k));
            @let [at, by, what, on, details] = &labels;
            div.scroll { table.list.audit {
                thead { tr { @for label in &labels { th scope="col" { (label) } } } }
                tbody {
                    @for entry in &entries.items {
                        tr {
                            td data-label=(at) { span.when { (when(&tr, entry.created_at)) } }
                            td data-label=(by) {
                                @if let Some(id) = &entry.actor_id {
                                    a href=(link(&[("action", &action), ("actor", &id.to_string())])) { (who(entry)) }
                                } @else {
                                    (who(entry))
                                }
                            }
                            td data-label=(what) { a href=(link(&[("action", &entry.action), ("actor", &actor)])) { (entry.action) } }
                            td data-label=(on) { (subject(entry)) }
                            td data-label=(details) { code { bdi { (entry.details) } } }
                        }
                    }
                }
            } }
        }
        @if let Some(cursor) = &entries.next_cursor {
            p { a rel="next" href=(link(&[("action", &action), ("actor", &actor), ("cursor", cursor)])) { (tr.t("console-older")) } }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One's own password

fn password_form(signed: &Signed, messages: &[(String, String)], done: bool) -> Markup {
    let tr = signed.tr;
    html! {
        @if done { p role="status" { (tr.t("console-password-changed")) } }
        (errors(messages, ""))
        form method="post" action="/staff/password" {
            input type="hidden" name="csrf" value=(signed.csrf);
            div.field {
                label for="current-password" { (tr.t("console-current-password")) }
                input #current-password type="password" name="current" required autocomplete="current-password";
                (errors(messages, "current"))
            }
            div.field {
                label for="new-password" { (tr.t_with("console-new-password", &[("min", (MIN_PASSWORD_LEN as i64).into())])) }
                input #new-password type="password" name="password" required minlength=(MIN_PASSWORD_LEN) autocomplete="new-password";
                (errors(messages, "password"))
            }
            div.field {
                label for="repeat-password" { (tr.t("console-repeat-password")) }
                input #repeat-password type="password" name="repeat" required minlength=(MIN_PASSWORD_LEN) autocomplete="new-password";
                (errors(messages, "repeat"))
            }
            button type="submit" { (tr.t("console-change-password")) }
        }
    }
}

fn password_answer(signed: &Signed, messages: &[(String, String)], done: bool, status: StatusCode) -> HttpResponse {
    let tr = signed.tr;
    page(Some(signed), tr, &tr.t("console-password-heading"), status, password_form(signed, messages, done))
}

/// `GET /staff/password`: the form (and, after a change, that it is done). Any staff member.
pub async fn password_page(Console(signed, ..): Console<AnyStaff>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let done = req.query_string().split('&').any(|pair| pair == "changed=1");
    Ok(password_answer(&signed, &[], done, StatusCode::OK))
}

/// The password form.
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    repeat: String,
}

/// Checks the current password as signing in does, then changes it: a wrong one is
/// `Unauthorized`, counted by the sign-in slow-down like a failed sign-in (a session taken by
/// someone else must not let them guess the password without limit), and a slowed-down one is
/// `RateLimited` before any check. The new one is checked first: a form that cannot succeed
/// spends no argon2 and no guess.
async fn change_password(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    form: PasswordForm,
) -> Result<(), ApiError> {
    // The new password first: a form that cannot succeed costs no password hashing.
    auth::check_new_password(&form.password, &form.repeat)?;
    let client = crate::client_ip::of(req);
    let verified = crate::services::sign_in::verify(state, client, &signed.user.email, form.current).await?;
    let (user, token) = (signed.user.clone(), signed.token.clone());
    state
        .pool
        .run(move |conn| {
            verified.record_success(conn)?;
            Ok::<_, ApiError>(auth::change_own_password(conn, &user, &token, &form.password, &form.repeat)?)
        })
        .await?;
    Ok(())
}

/// `POST /staff/password`: changes one's own password and ends one's other sessions (audited
/// as `staff.password`); refused, the form again: 422 for the new password, 401 for a wrong
/// current one, 429 when slowed down.
pub async fn password(
    ConsoleForm(signed, form, ..): ConsoleForm<AnyStaff, PasswordForm>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tr = signed.tr;
    let error = match change_password(&state, &req, &signed, form).await {
        Ok(()) => return Ok(see_other("/staff/password?changed=1")),
        Err(error) => error,
    };
    let messages = match &error {
        ApiError::Unauthorized => vec![("current".to_string(), tr.t("console-password-wrong"))],
        ApiError::RateLimited { .. } => vec![(String::new(), tr.t("problem-rate-limited"))],
        ApiError::Invalid(_) => refusal(tr, &error, "").unwrap_or_default(),
        _ => return Err(error),
    };
    let mut answer = password_answer(&signed, &messages, false, error.status_code());
    if let ApiError::RateLimited { retry_after } = error {
        if let Ok(value) = retry_after.to_string().parse() {
            answer.headers_mut().insert(RETRY_AFTER, value);
        }
    }
    Ok(answer)
}

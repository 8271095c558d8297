use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::auth::{self, NewSession, NewStaffUser, StaffUpdate, StaffUser};
use crate::extract::{path_id, JsonBody};
use crate::problem::ApiError;
use crate::routes::access::{Admin, AnyStaff};
use crate::state::AppState;

/// Credentials.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SignIn {
    /// Sign-in address.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Password.
    pub password: String,
}

/// Opens a session. An unknown address and a wrong password get the same answer; repeated
/// failures for one address are slowed down with 429.
#[utoipa::path(post, path = "/api/v1/staff/sessions", operation_id = "staff_sign_in",
    tag = "staff", request_body = SignIn, responses(
    (status = 201, body = NewSession),
    (status = 401, description = "Unknown address, wrong password or disabled account: the same answer"),
    (status = 429, description = "Too many requests: wait for retry-after"),
))]
pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<SignIn>,
) -> Result<HttpResponse, ApiError> {
    let SignIn { email, password } = body.0;
    // The throttle counts clients as the rate limits do: an IPv6 /64 is one client.
    let client = crate::client_ip::of(&req).map(crate::client_ip::limit_key);
    let session = crate::services::sign_in::sign_in(&state, client, &email, password).await?;
    Ok(HttpResponse::Created().json(session))
}

/// Ends the session whose token this request carries.
#[utoipa::path(delete, path = "/api/v1/staff/sessions", operation_id = "staff_sign_out",
    tag = "staff", security(("bearer" = [])), responses(
    (status = 204),
))]
pub async fn sign_out(state: web::Data<AppState>, staff: AnyStaff) -> Result<HttpResponse, ApiError> {
    state.pool.run(move |conn| auth::end_session(conn, &staff.user, &staff.token)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Staff accounts.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct StaffList {
    /// Every account.
    pub users: Vec<StaffUser>,
}

/// Every staff account.
#[utoipa::path(get, path = "/api/v1/staff/users", operation_id = "list_staff_users",
    tag = "staff", security(("bearer" = [])), responses(
    (status = 200, body = StaffList),
))]
pub async fn list_users(_admin: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let users = state.pool.run(auth::list_users).await?;
    Ok(HttpResponse::Ok().json(StaffList { users }))
}

/// Creates a staff account.
#[utoipa::path(post, path = "/api/v1/staff/users", operation_id = "create_staff_user",
    tag = "staff", security(("bearer" = [])), request_body = NewStaffUser,
    responses(
        (status = 201, body = StaffUser),
        (status = 409, description = "Conflicts with the current state"),
    ))]
pub async fn create_user(
    admin: Admin,
    state: web::Data<AppState>,
    body: JsonBody<NewStaffUser>,
) -> Result<HttpResponse, ApiError> {
    let actor = admin.0.id;
    let user = state.pool.run(move |conn| auth::create_user(conn, Some(actor), &body.0)).await?;
    Ok(HttpResponse::Created().json(user))
}

/// Changes an account's role, active flag or password.
#[utoipa::path(patch, path = "/api/v1/staff/users/{id}", operation_id = "update_staff_user",
    tag = "staff", security(("bearer" = [])), request_body = StaffUpdate,
    params(("id" = Uuid, Path, description = "The account")),
    responses(
        (status = 200, body = StaffUser),
        (status = 409, description = "Conflicts with the current state"),
    ))]
pub async fn update_user(
    admin: Admin,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<StaffUpdate>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&req, "id", "staff user")?;
    let actor = admin.0.id;
    let user = state.pool.run(move |conn| auth::update_user(conn, actor, id, &body.0)).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// The audit log's filters and page.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct AuditParams {
    /// Exactly this action, such as `staff.update` or `pledges.export`.
    #[param(max_length = 1024)]
    pub action: Option<String>,
    /// Done by this staff account (its id).
    #[param(max_length = 1024)]
    pub actor: Option<String>,
    /// 1 to 100; 20 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the page before.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// One entry of the audit log.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AuditItem {
    /// Id.
    pub id: String,
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The staff account that acted (its id); none for the system or the command line.
    pub actor: Option<String>,
    /// What was done, such as `staff.update`.
    pub action: String,
    /// To what, such as `staff_user:<id>` or `pledge:<id>`.
    pub target: String,
    /// The change: old and new values, filters and counts, as the action records them.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// A page of the audit log.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Newest first.
    pub items: Vec<AuditItem>,
    /// Where the next page starts; none after the last.
    pub next_cursor: Option<String>,
}

/// The audit log, newest first: what the console's audit page shows, by action and by staff
/// member.
#[utoipa::path(get, path = "/api/v1/staff/audit", operation_id = "list_audit_log",
    tag = "staff", security(("bearer" = [])), params(AuditParams), responses(
    (status = 200, body = AuditPage),
))]
pub async fn audit(
    _admin: Admin,
    state: web::Data<AppState>,
    query: web::Query<AuditParams>,
) -> Result<HttpResponse, ApiError> {
    let AuditParams { action, actor, limit, cursor } = query.into_inner();
    let limit = demeu_db::page::page_limit(limit)?;
    let filter = demeu_db::audit::AuditFilter::asked(action.as_deref(), actor.as_deref());
    let after = cursor.filter(|c| !c.trim().is_empty()).map(|c| demeu_db::page::decode_cursor(&c)).transpose()?;
    let page =
        state.pool.run(move |conn| demeu_db::audit::list(conn, &filter, limit, after).map_err(ApiError::from)).await?;
    let items = page
        .items
        .into_iter()
        .map(|e| AuditItem {
            // Written by `audit::record` from a JSON value: it reads back as one.
            details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::String(e.details)),
            id: e.id,
            at: demeu_db::utc(e.created_at),
            actor: e.actor_id.map(|id| id.to_string()),
            action: e.action,
            target: e.subject,
        })
        .collect();
    Ok(HttpResponse::Ok().json(AuditPage { items, next_cursor: page.next_cursor }))
}

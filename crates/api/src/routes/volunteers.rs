//! "Join the mentors' team": the public application, answered without echoing anything back,
//! and the staff's list and follow-up (editors and admins). No public route returns an
//! application: it is personal data.

use actix_web::{web, HttpRequest, HttpResponse};
use campaign_news::volunteer::{
    self, NewVolunteer, Volunteer, VolunteerChange, VolunteerFilter, VolunteerForm, VolunteerPatch, VolunteerStatus,
};
use chrono::{DateTime, Utc};
use demeu_db::locale::Locale;
use demeu_db::utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::client_ip;
use crate::extract::{path_id, JsonBody};
use crate::problem::ApiError;
use crate::routes::access::Editor;
use crate::services::volunteers;
use crate::state::AppState;

/// The answer to an application: that it arrived, and nothing of what it said.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Received {
    /// `received`.
    #[schema(example = "received")]
    pub status: &'static str,
}

/// Offers to join the campaign's mentors' team (adults of 25 or older, a day a week for two
/// years); the foundation gets in touch. Every field at fault is named in one 422, and then
/// nothing is stored.
#[utoipa::path(post, path = "/api/v1/campaigns/{slug}/volunteers", operation_id = "apply_as_volunteer",
    tag = "volunteers", params(("slug" = String, Path, description = "The campaign")),
    request_body = campaign_news::volunteer::VolunteerForm,
    responses((status = 202, body = Received),
              (status = 429, description = "Too many requests: wait for retry-after")))]
pub async fn apply(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: JsonBody<VolunteerForm>,
) -> Result<HttpResponse, ApiError> {
    // Checked before counting, so that a refused form does not use up the visitor's quota.
    let new = NewVolunteer::parse(&body.0)?;
    volunteers::apply(&state, client_ip::of(&req), slug.into_inner(), new).await?;
    Ok(HttpResponse::Accepted().json(Received { status: "received" }))
}

/// An application as staff see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StaffVolunteer {
    /// Id.
    pub id: Uuid,
    /// The slug of the campaign whose page it came from.
    pub campaign: String,
    /// As given.
    pub name: String,
    /// As given.
    pub city: String,
    /// An email address or a phone number, as given.
    pub contact: String,
    /// A few words, possibly none.
    pub about: String,
    /// The applicant confirmed being 25 or older (always true: an application without it is
    /// refused).
    pub age_confirmed: bool,
    /// The language of the page it came from: answer in it.
    #[schema(schema_with = crate::stored_schema::nullable_names::<Locale>)]
    pub locale: Option<Locale>,
    /// Where staff are with it.
    #[schema(schema_with = crate::stored_schema::names::<VolunteerStatus>)]
    pub status: VolunteerStatus,
    /// Staff's own note.
    pub note: String,
    /// Received.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

fn staff_view((v, campaign): (Volunteer, String)) -> StaffVolunteer {
    StaffVolunteer {
        id: v.id.as_uuid(),
        campaign,
        name: v.name,
        city: v.city,
        contact: v.contact,
        about: v.about,
        age_confirmed: v.age_confirmed,
        locale: v.locale,
        status: v.status,
        note: v.staff_note,
        created_at: utc(v.created_at),
        updated_at: utc(v.updated_at),
    }
}

/// Filters and page of the staff list.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct VolunteerQuery {
    /// Only applications with this status; any when absent.
    #[param(schema_with = crate::stored_schema::names::<VolunteerStatus>)]
    pub status: Option<String>,
    /// Only those from this campaign's page (a slug).
    #[param(max_length = 1024)]
    pub campaign: Option<String>,
    /// 1 to 100; 20 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the page before.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// A page of applications.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VolunteerPage {
    /// Newest first.
    pub volunteers: Vec<StaffVolunteer>,
    /// For the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// "Join the mentors' team" applications, newest first.
#[utoipa::path(get, path = "/api/v1/staff/volunteers", operation_id = "list_volunteers",
    tag = "staff", security(("bearer" = [])), params(VolunteerQuery),
    responses((status = 200, body = VolunteerPage)))]
pub async fn list(
    _editor: Editor,
    state: web::Data<AppState>,
    query: web::Query<VolunteerQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let status = crate::extract::named::<VolunteerStatus>("status", q.status.as_deref())?;
    let limit = demeu_db::page::page_limit(q.limit)?;
    let filter = VolunteerFilter { status, campaign: q.campaign };
    let page = state
        .pool
        .run(move |conn| volunteer::list(conn, &filter, limit, q.cursor.as_deref()).map_err(ApiError::from))
        .await?;
    let volunteers = page.items.into_iter().map(staff_view).collect();
    Ok(HttpResponse::Ok().json(VolunteerPage { volunteers, next_cursor: page.next_cursor }))
}

/// One application.
#[utoipa::path(get, path = "/api/v1/staff/volunteers/{id}", operation_id = "show_volunteer",
    tag = "staff", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application")),
    responses((status = 200, body = StaffVolunteer)))]
pub async fn show(_editor: Editor, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let id = path_id(&req, "id", "volunteer")?;
    let found = state.pool.run(move |conn| volunteer::find(conn, id).map_err(ApiError::from)).await?;
    Ok(HttpResponse::Ok().json(staff_view(found)))
}

/// Moves an application on (`status`) and/or replaces staff's note on it; written to the audit
/// log.
#[utoipa::path(patch, path = "/api/v1/staff/volunteers/{id}", operation_id = "update_volunteer",
    tag = "staff", security(("bearer" = [])),
    params(("id" = String, Path, description = "The application")),
    request_body = campaign_news::volunteer::VolunteerPatch,
    responses((status = 200, body = StaffVolunteer)))]
pub async fn update(
    editor: Editor,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<VolunteerPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&req, "id", "volunteer")?;
    let change = VolunteerChange::parse(&body.0)?;
    let actor = editor.0.id;
    let updated =
        state.pool.run(move |conn| volunteer::update(conn, id, &change, actor).map_err(ApiError::from)).await?;
    Ok(HttpResponse::Ok().json(staff_view(updated)))
}

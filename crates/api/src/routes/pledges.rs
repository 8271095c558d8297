use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use demeu_db::utc;
use donations::pledge::{DisplayStatus, PledgeRequest};
use donations::pledge_store;
use serde::Serialize;
use uuid::Uuid;

use crate::extract::{campaign_page, path_id, JsonBody, Paging};
use crate::idempotency::{request_hash, IdempotencyKey};
use crate::problem::ApiError;
use crate::services::pledges::{self, PledgeCreated};
use crate::state::AppState;

/// Creates a pending pledge, then its checkout. The pledge is stored before the provider is
/// called, so a provider failure (502/503) loses nothing: a retry with the same
/// `Idempotency-Key` finishes the job.
#[utoipa::path(post, path = "/api/v1/campaigns/{slug}/pledges", operation_id = "create_pledge", tag = "pledges",
    params(("slug" = String, Path, description = "The campaign"),
           ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "Makes retries safe: 1 to 255 visible ASCII characters")),
    request_body = donations::pledge::PledgeRequest,
    responses(
        (status = 201, body = PledgeCreated),
        (status = 409, description = "Conflicts with the current state"),
        (status = 429, description = "Too many requests: wait for retry-after"),
        (status = 502, description = "The payment provider refused or failed: retry-safe"),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    key: IdempotencyKey,
    body: JsonBody<PledgeRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(request, raw) = body;
    let client = crate::client_ip::of(&req);
    // The provider's payment page speaks the visitor's language, not the campaign's.
    let lang = crate::i18n::Lang::asked(&req).map(crate::i18n::Lang::locale);
    let answer = pledges::pledge(&state, client, slug.into_inner(), request, lang, key.0, request_hash(&raw)).await?;
    Ok(answer.respond(StatusCode::CREATED))
}

/// A pledge's public state.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PledgeView {
    /// The pledge.
    pub id: Uuid,
    /// The campaign's slug.
    pub campaign: String,
    /// Promised, minor units.
    pub amount: i64,
    /// ISO code.
    #[schema(schema_with = crate::stored_schema::names::<donations::money::Currency>)]
    pub currency: donations::money::Currency,
    /// What the pledge's money did.
    #[schema(schema_with = crate::stored_schema::names::<DisplayStatus>)]
    pub status: DisplayStatus,
    /// Why its payment failed, when the provider said (null otherwise).
    #[schema(schema_with = crate::stored_schema::nullable_names::<donations::pledge::DeclineReason>)]
    pub decline_reason: Option<donations::pledge::DeclineReason>,
    /// `once`, or `month` for a monthly gift's pledges (its first and each charge).
    #[schema(schema_with = crate::stored_schema::names::<donations::subscription::Interval>)]
    pub interval: donations::subscription::Interval,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Its receipt code once its money counted (null before): anyone with it can check the gift
    /// at `/api/v1/receipts/{code}`.
    pub receipt_code: Option<String>,
}

/// One pledge's public state; never the donor's details.
#[utoipa::path(get, path = "/api/v1/pledges/{id}", operation_id = "show_pledge", tag = "pledges",
    params(("id" = Uuid, Path, description = "The pledge")),
    responses((status = 200, body = PledgeView)))]
pub async fn show(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let id: Uuid = path_id(&req, "id", "pledge")?;
    let view = state
        .pool
        .run(move |conn| {
            let pledge = pledge_store::find(conn, id.into())?;
            let campaign = donations::campaign::find_by_id(conn, pledge.campaign_id)?;
            Ok::<_, ApiError>(PledgeView {
                id,
                campaign: campaign.spec.slug,
                amount: pledge.amount.minor,
                currency: pledge.currency,
                status: pledge.display_status(),
                decline_reason: pledge.decline_reason,
                interval: pledge.interval(),
                created_at: utc(pledge.created_at),
                receipt_code: pledge_store::receipt_code(conn, &pledge)?,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// One line of the donor wall.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WallEntry {
    /// Null when the donor gave anonymously.
    pub name: Option<String>,
    /// What counts, minor units; null when the donor hid it.
    pub amount: Option<i64>,
    /// The donor's words.
    pub message: Option<String>,
    /// When the pledge was made.
    pub created_at: DateTime<Utc>,
}

/// The donor wall.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Wall {
    /// Newest first.
    pub pledges: Vec<WallEntry>,
    /// For the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// The donor wall: pledges that count, newest first. Never an email, an anonymous donor's name,
/// or a hidden amount.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/pledges", operation_id = "donor_wall", tag = "pledges",
    params(("slug" = String, Path, description = "The campaign"), Paging),
    responses((status = 200, body = Wall)))]
pub async fn wall(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let page = campaign_page(&state, slug.into_inner(), query.into_inner(), |conn, campaign, limit, cursor| {
        pledge_store::donor_wall(conn, campaign.id, limit, cursor).map_err(ApiError::from)
    })
    .await?;
    let pledges = page
        .items
        .into_iter()
        .map(|p| WallEntry {
            name: if p.anonymous { None } else { p.donor_name.clone() },
            amount: if p.hide_amount { None } else { Some(p.amounts().counted().minor) },
            message: p.message.clone(),
            created_at: utc(p.created_at),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Wall { pledges, next_cursor: page.next_cursor }))
}

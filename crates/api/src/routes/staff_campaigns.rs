//! The staff's campaigns: every campaign with its state, creating a draft, editing, opening and
//! closing. Parsing and answers only; the rules are in `services::campaigns` and the domain.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use demeu_db::locale::Texts;
use donations::campaign::{CampaignState, Progress};
use donations::campaign_edit::{CampaignPatch, NewCampaign};
use serde::{Deserialize, Serialize};

use crate::extract::JsonBody;
use crate::problem::ApiError;
use crate::routes::access::{Admin, Editor};
use crate::services::campaigns;
use crate::state::AppState;

/// A preset as staff see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PresetView {
    /// Minor units.
    pub amount: i64,
    /// What it buys, per language (null where none).
    #[schema(value_type = Object)]
    pub labels: Texts,
    /// Chosen when the give form opens.
    pub default: bool,
}

/// A plan line as staff see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PlanLineView {
    /// Stable key.
    pub key: String,
    /// The title per language.
    #[schema(value_type = Object)]
    pub titles: Texts,
    /// `goal` or `overflow`.
    #[schema(schema_with = crate::stored_schema::names::<donations::plan::Tier>)]
    pub tier: donations::plan::Tier,
    /// Minor units; null for the line that takes the rest.
    pub target: Option<i64>,
    /// Minor units it has received (computed from the ledger, never stored).
    pub funded: i64,
}

/// A campaign as staff see it: everything that can be edited, its state and its money.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StaffCampaign {
    /// Id.
    pub id: String,
    /// URL name.
    pub slug: String,
    /// `draft`, `open` or `closed`.
    #[schema(schema_with = crate::stored_schema::names::<CampaignState>)]
    pub state: CampaignState,
    /// `upcoming`, `active` or `ended` now.
    pub status: String,
    /// Titles per language.
    #[schema(value_type = Object)]
    pub titles: Texts,
    /// Summaries per language.
    #[schema(value_type = Object)]
    pub summaries: Texts,
    /// Stories per language, Markdown.
    #[schema(value_type = Object)]
    pub stories: Texts,
    /// ISO currency code.
    #[schema(schema_with = crate::stored_schema::names::<donations::money::Currency>)]
    pub currency: donations::money::Currency,
    /// Its own language.
    #[schema(schema_with = crate::stored_schema::names::<donations::campaign::Locale>)]
    pub locale: donations::campaign::Locale,
    /// Minor units.
    pub goal: i64,
    /// Minor units.
    pub min_pledge: i64,
    /// Minor units.
    pub max_pledge: i64,
    /// The give form's amounts.
    pub presets: Vec<PresetView>,
    /// Whether it takes monthly gifts.
    pub allows_monthly: bool,
    /// The lines money fills, with what each has received.
    pub plan: Vec<PlanLineView>,
    /// Net raised, minor units (may be above the goal, or the goal below it).
    pub raised: i64,
    /// Counted pledges.
    pub pledges: i64,
    /// When gifts open.
    pub starts_at: DateTime<Utc>,
    /// When gifts close; null when open-ended.
    pub ends_at: Option<DateTime<Utc>>,
    /// When staff closed it.
    pub closed_at: Option<DateTime<Utc>>,
    /// Its last change.
    pub updated_at: DateTime<Utc>,
    /// Only in the answer to a close: what became of its monthly gifts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_gifts: Option<MonthlyOnCloseView>,
}

impl From<Progress> for StaffCampaign {
    fn from(p: Progress) -> Self {
        let status = p.campaign.status_at(Utc::now()).as_str().to_string();
        let c = p.campaign;
        let spec = c.spec;
        let plan = spec
            .plan
            .lines()
            .iter()
            .zip(&p.allocation.lines)
            .map(|(l, f)| PlanLineView {
                key: l.key.clone(),
                titles: l.titles.clone(),
                tier: l.tier,
                target: l.target.map(|t| t.minor),
                funded: f.funded.minor,
            })
            .collect();
        StaffCampaign {
            id: c.id.to_string(),
            slug: spec.slug,
            state: c.state,
            status,
            titles: spec.titles,
            summaries: spec.summaries,
            stories: spec.stories,
            currency: spec.currency,
            locale: spec.locale,
            goal: spec.plan.goal().minor,
            min_pledge: spec.min_pledge.minor,
            max_pledge: spec.max_pledge.minor,
            presets: spec
                .presets
                .into_iter()
                .map(|p| PresetView { amount: p.amount.minor, labels: p.labels, default: p.is_default })
                .collect(),
            allows_monthly: spec.allows_monthly,
            plan,
            raised: p.raised.minor,
            pledges: p.pledges,
            starts_at: spec.starts_at,
            ends_at: spec.ends_at,
            closed_at: c.closed_at,
            updated_at: c.updated_at,
            monthly_gifts: None,
        }
    }
}

/// Every campaign, drafts included.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StaffCampaignList {
    /// Oldest first.
    pub campaigns: Vec<StaffCampaign>,
}

async fn answer(state: &AppState, status: actix_web::http::StatusCode, slug: String) -> Result<HttpResponse, ApiError> {
    let progress = campaigns::find(state, slug).await?;
    Ok(HttpResponse::build(status).json(StaffCampaign::from(progress)))
}

/// Every campaign with its state and money.
#[utoipa::path(get, path = "/api/v1/staff/campaigns", operation_id = "list_staff_campaigns", tag = "staff",
    security(("bearer" = [])), responses((status = 200, body = StaffCampaignList)))]
pub async fn list(_editor: Editor, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let all = campaigns::list(&state).await?;
    Ok(HttpResponse::Ok().json(StaffCampaignList { campaigns: all.into_iter().map(StaffCampaign::from).collect() }))
}

/// One campaign, whatever its state.
#[utoipa::path(get, path = "/api/v1/staff/campaigns/{slug}", operation_id = "show_staff_campaign", tag = "staff",
    security(("bearer" = [])), params(("slug" = String, Path, description = "The campaign")),
    responses((status = 200, body = StaffCampaign)))]
pub async fn show(
    _editor: Editor,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    answer(&state, actix_web::http::StatusCode::OK, slug.into_inner()).await
}

/// Saves a new campaign as a draft: seen by staff only until it is opened.
#[utoipa::path(post, path = "/api/v1/staff/campaigns", operation_id = "create_campaign", tag = "staff",
    security(("bearer" = [])), request_body = NewCampaign,
    responses((status = 201, body = StaffCampaign)))]
pub async fn create(
    admin: Admin,
    state: web::Data<AppState>,
    body: JsonBody<NewCampaign>,
) -> Result<HttpResponse, ApiError> {
    let made = campaigns::create(&state, body.0, &admin.0).await?;
    answer(&state, actix_web::http::StatusCode::CREATED, made.spec.slug).await
}

/// Edits a campaign: an editor its words, an admin everything; a money field of an open
/// campaign (goal, limits, presets' amounts, plan, dates) also needs `reason`, which the audit
/// log keeps with the old and new values.
#[utoipa::path(patch, path = "/api/v1/staff/campaigns/{slug}", operation_id = "edit_campaign", tag = "staff",
    security(("bearer" = [])), params(("slug" = String, Path, description = "The campaign")),
    request_body = CampaignPatch, responses((status = 200, body = StaffCampaign)))]
pub async fn edit(
    editor: Editor,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: JsonBody<CampaignPatch>,
) -> Result<HttpResponse, ApiError> {
    let edited = campaigns::edit(&state, slug.into_inner(), body.0, &editor.0).await?;
    answer(&state, actix_web::http::StatusCode::OK, edited.spec.slug).await
}

/// Opens a draft: public from now, taking gifts by its dates.
#[utoipa::path(post, path = "/api/v1/staff/campaigns/{slug}/open", operation_id = "open_campaign", tag = "staff",
    security(("bearer" = [])), params(("slug" = String, Path, description = "The campaign")),
    responses(
        (status = 200, body = StaffCampaign),
        (status = 409, description = "The campaign is not a draft"),
    ))]
pub async fn open(admin: Admin, state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let opened = campaigns::open(&state, slug.into_inner(), &admin.0).await?;
    answer(&state, actix_web::http::StatusCode::OK, opened.spec.slug).await
}

/// What closing did to a campaign's monthly gifts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MonthlyOnCloseView {
    /// Going on for the successor, each donor told.
    pub moved: usize,
    /// Stopped at their providers, then here, each donor told.
    pub stopped: usize,
    /// Still charged (their provider refused or was unreachable): stop them from
    /// `/api/v1/staff/subscriptions?campaign=…&status=active`.
    pub still_running: usize,
}

/// How a campaign is closed.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// An open campaign its monthly gifts go on for; absent: they end.
    pub continues_as: Option<String>,
}

/// Closes an open campaign: it shows what was raised and takes no new gifts.
#[utoipa::path(post, path = "/api/v1/staff/campaigns/{slug}/close", operation_id = "close_campaign", tag = "staff",
    security(("bearer" = [])), params(("slug" = String, Path, description = "The campaign")),
    request_body = Option<CloseRequest>,
    responses(
        (status = 200, body = StaffCampaign),
        (status = 409, description = "The campaign is not open"),
    ))]
pub async fn close(
    admin: Admin,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: Option<JsonBody<CloseRequest>>,
) -> Result<HttpResponse, ApiError> {
    let continues_as = body.and_then(|b| b.0.continues_as);
    let (closed, monthly) = campaigns::close(&state, slug.into_inner(), continues_as, &admin.0).await?;
    let progress = campaigns::find(&state, closed.spec.slug).await?;
    let mut view = StaffCampaign::from(progress);
    view.monthly_gifts = Some(MonthlyOnCloseView {
        moved: monthly.moved,
        stopped: monthly.stopped,
        still_running: monthly.still_running,
    });
    Ok(HttpResponse::Ok().json(view))
}

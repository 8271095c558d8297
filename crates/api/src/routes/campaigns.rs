use actix_web::{web, HttpRequest, HttpResponse};
use campaign_news::pictures::Picture;
use chrono::{DateTime, Utc};
use donations::campaign::{Locale, Progress};
use serde::Serialize;

use crate::i18n::Lang;
use crate::problem::ApiError;
use crate::routes::access::Accountant;
use crate::state::AppState;

/// A budget line and what it has received.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LineView {
    /// Stable key.
    pub key: String,
    /// The title in the language read (`?lang=`, else Accept-Language, else the campaign's).
    pub title: String,
    /// The title in each language; null where it has none.
    #[schema(value_type = Object)]
    pub titles: demeu_db::locale::Texts,
    /// `goal` or `overflow`.
    pub tier: String,
    /// Minor units needed; null for the line that takes the rest.
    pub target: Option<i64>,
    /// Minor units received.
    pub funded: i64,
}

/// A campaign's progress.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CampaignView {
    /// URL name.
    pub slug: String,
    /// The title in the language read (`?lang=`, else Accept-Language, else the campaign's).
    pub title: String,
    /// The title in each language (`kk`, `ru`, `en`); null where it has none.
    #[schema(value_type = Object)]
    pub titles: demeu_db::locale::Texts,
    /// The summary in the language read.
    pub summary: String,
    /// The same as `summary` (the name the first version of the API gave it).
    pub description: String,
    /// The cover picture, if the campaign has one.
    pub cover: Option<CoverView>,
    /// ISO currency code.
    #[schema(schema_with = crate::stored_schema::names::<donations::money::Currency>)]
    pub currency: donations::money::Currency,
    /// Language of its pages and mail.
    #[schema(schema_with = crate::stored_schema::names::<donations::campaign::Locale>)]
    pub locale: donations::campaign::Locale,
    /// Goal, minor units.
    pub goal: i64,
    /// Net amount counted, minor units.
    pub raised: i64,
    /// Pledges whose counted amount is above zero.
    pub pledges: i64,
    /// `raised / goal`, in percent, floored to hundredths; display only.
    pub percent: f64,
    /// Smallest online pledge, minor units.
    pub min_pledge: i64,
    /// Largest online pledge, minor units.
    pub max_pledge: i64,
    /// When pledges open.
    pub starts_at: DateTime<Utc>,
    /// When pledges close; null while open-ended.
    pub ends_at: Option<DateTime<Utc>>,
    /// Days until `ends_at`, a started day counted as one; 0 once ended; null when open-ended.
    pub days_left: Option<i64>,
    /// `upcoming`, `active` or `ended`.
    pub status: String,
    /// The plan's lines with what each has received, in order.
    pub allocation: Vec<LineView>,
    /// Raised beyond every capped line when no line takes the rest.
    pub unallocated: i64,
}

/// A campaign's cover as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CoverView {
    /// What it shows, in the language read.
    pub alt: String,
    /// Widths 480, 960, 1600 (none wider than the original) and the 1200×630 share image, in
    /// WebP and JPEG.
    pub variants: Vec<crate::routes::pictures::VariantView>,
}

impl CampaignView {
    /// `p` as a reader of `lang` reads it at `now`, with its `cover`.
    pub fn of(p: &Progress, lang: Locale, now: DateTime<Utc>, cover: Option<&Picture>) -> Self {
        let percent = p.percent();
        let campaign = &p.campaign;
        let status = campaign.status_at(now).as_str().to_string();
        let spec = &campaign.spec;
        let allocation = spec
            .plan
            .lines()
            .iter()
            .zip(&p.allocation.lines)
            .map(|(line, funding)| LineView {
                key: line.key.clone(),
                title: line.titles.shown(lang, spec.locale).to_string(),
                titles: line.titles.clone(),
                tier: line.tier.as_str().to_string(),
                target: line.target.map(|t| t.minor),
                funded: funding.funded.minor,
            })
            .collect();
        CampaignView {
            slug: spec.slug.clone(),
            title: campaign.title(lang).to_string(),
            titles: spec.titles.clone(),
            summary: campaign.summary(lang).to_string(),
            description: campaign.summary(lang).to_string(),
            cover: cover.map(|c| CoverView {
                alt: c.alt(lang, spec.locale).to_string(),
                variants: crate::routes::pictures::variant_views(c),
            }),
            currency: spec.currency,
            locale: spec.locale,
            goal: spec.plan.goal().minor,
            raised: p.raised.minor,
            pledges: p.pledges,
            percent,
            min_pledge: spec.min_pledge.minor,
            max_pledge: spec.max_pledge.minor,
            starts_at: spec.starts_at,
            ends_at: spec.ends_at,
            days_left: campaign.days_left(now),
            status,
            allocation,
            unallocated: p.allocation.unallocated.minor,
        }
    }
}

/// The language a public read's texts are in.
#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct LangQuery {
    /// `kk`, `ru` or `en`; absent: Accept-Language, else each campaign's own language.
    #[param(schema_with = crate::stored_schema::names::<Locale>)]
    pub lang: Option<String>,
}

/// The campaigns.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CampaignList {
    /// Each campaign's progress.
    pub campaigns: Vec<CampaignView>,
}

/// Every campaign with its progress, from the in-memory snapshot (see `snapshot.rs` for how
/// fresh it is). Answered with an ETag: `If-None-Match` with it is 304.
#[utoipa::path(get, path = "/api/v1/campaigns", operation_id = "list_campaigns", tag = "campaigns",
    params(
        LangQuery,
        ("If-None-Match" = Option<String>, Header, description = "An ETag of an earlier answer"),
    ),
    responses(
        (status = 200, body = CampaignList, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Unchanged since the ETag given", headers(("ETag" = String))),
    ))]
pub async fn list(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let lang = Lang::asked_by_api(&req).map(Lang::locale);
    Ok(state.snapshots.list(&state.pool, lang).await?.respond(&req))
}

/// One campaign's progress, from the in-memory snapshot of its running totals (see
/// `snapshot.rs` for how fresh it is). Answered with an ETag: `If-None-Match` with it is 304.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}", operation_id = "show_campaign", tag = "campaigns",
    params(
        ("slug" = String, Path, description = "The campaign's URL name"),
        LangQuery,
        ("If-None-Match" = Option<String>, Header, description = "An ETag of an earlier answer"),
    ),
    responses(
        (status = 200, body = CampaignView, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Unchanged since the ETag given", headers(("ETag" = String))),
    ))]
pub async fn show(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::asked_by_api(&req).map(Lang::locale);
    Ok(state.snapshots.campaign(&state.pool, &slug, lang).await?.respond(&req))
}

/// The running totals beside the totals recomputed from the ledger.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReconciliationView {
    /// The campaign.
    pub campaign: String,
    /// True when everything agrees.
    pub clean: bool,
    /// Net raised, running totals.
    pub totals_raised: i64,
    /// Net raised, from the ledger (summed without wrapping).
    pub ledger_raised: i128,
    /// Counted pledges, running totals.
    pub totals_pledges: i64,
    /// Counted pledges, from the ledger.
    pub ledger_pledges: i64,
    /// Pledges whose amounts disagree with their ledger rows: `{pledge_id, counted, ledger}`.
    #[schema(value_type = Vec<Object>)]
    pub pledge_differences: Vec<donations::reconcile::PledgeDifference>,
    /// What in the campaign's spending breaks its rules: `{subject, what}` (an entry's id or a
    /// line's key, and what is wrong).
    #[schema(value_type = Vec<Object>)]
    pub spending_differences: Vec<donations::expense::SpendingDifference>,
}

/// Recomputes the campaign's totals from the ledger and reports any difference.
#[utoipa::path(get, path = "/api/v1/staff/campaigns/{slug}/reconciliation", operation_id = "reconcile_campaign",
    tag = "staff",
    params(("slug" = String, Path, description = "The campaign's URL name")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ReconciliationView),
    ))]
pub async fn reconciliation(
    _staff: Accountant,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let report =
        state.pool.run(move |conn| donations::reconcile::reconcile(conn, &slug).map_err(ApiError::from)).await?;
    Ok(HttpResponse::Ok().json(ReconciliationView {
        campaign: report.campaign.clone(),
        clean: report.is_clean(),
        totals_raised: report.totals_raised,
        ledger_raised: report.ledger_raised,
        totals_pledges: report.totals_pledges,
        ledger_pledges: report.ledger_pledges,
        pledge_differences: report.pledge_differences,
        spending_differences: report.spending_differences,
    }))
}

//! A donor's own page as an API: a sign-in link by mail, a session from it, their gifts and
//! monthly gifts, changing or stopping one, the yearly statement. The page `/donor` does the
//! same with a cookie (`pages/donor.rs`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use demeu_db::utc;
use donations::ids::SubscriptionId;
use donations::subscription::{Interval, Listed, SubscriptionStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::NewSession;
use crate::extract::{path_id, JsonBody};
use crate::i18n::Lang;
use crate::problem::ApiError;
use crate::routes::access::Donor;
use crate::services::donor;
use crate::state::AppState;

/// `POST /api/v1/donor/sign-in`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// The address the donor gave with.
    pub email: String,
}

/// The answer to a link request: the same whether the address is known or not.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LinkAsked {
    /// Always true.
    pub accepted: bool,
}

/// Mails a single-use sign-in link (30 minutes) to an address that has given; the answer is
/// 202 whether it has or not. Limited per client (429) and, silently, per address.
#[utoipa::path(post, path = "/api/v1/donor/sign-in", operation_id = "donor_sign_in_link", tag = "donor",
    request_body = LinkRequest,
    responses(
        (status = 202, body = LinkAsked),
        (status = 422, description = "Not an email address (`email`)"),
        (status = 429, description = "Too many requests from this client: wait for retry-after"),
    ))]
pub async fn sign_in_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<LinkRequest>,
) -> Result<HttpResponse, ApiError> {
    let client = crate::client_ip::of(&req);
    donor::request_link(&state, client, &body.0.email, Lang::negotiate(&req, Lang::Ru)).await?;
    Ok(HttpResponse::Accepted().json(LinkAsked { accepted: true }))
}

/// `POST /api/v1/donor/sessions`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// The token of the mailed link.
    pub token: String,
}

/// Opens a donor session with a mailed link's token, once. An unknown, used or expired token is
/// 401.
#[utoipa::path(post, path = "/api/v1/donor/sessions", operation_id = "donor_session", tag = "donor",
    request_body = SessionRequest,
    responses((status = 201, body = NewSession), (status = 401, description = "The link is unknown, used or expired")))]
pub async fn session(state: web::Data<AppState>, body: JsonBody<SessionRequest>) -> Result<HttpResponse, ApiError> {
    let (_, session) = donor::sign_in(&state, body.0.token).await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(session))
}

/// One of a donor's gifts.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DonorGift {
    /// The pledge.
    pub pledge: Uuid,
    /// The campaign's slug.
    pub campaign: String,
    /// Received, minor units.
    pub amount: i64,
    /// ISO code.
    #[schema(schema_with = crate::stored_schema::names::<donations::money::Currency>)]
    pub currency: donations::money::Currency,
    /// What its money did.
    #[schema(schema_with = crate::stored_schema::names::<donations::pledge::DisplayStatus>)]
    pub status: donations::pledge::DisplayStatus,
    /// `once`, or `month` for a monthly gift's charge.
    #[schema(schema_with = crate::stored_schema::names::<Interval>)]
    pub interval: Interval,
    /// When its money counted.
    pub counted_at: Option<DateTime<Utc>>,
    /// The receipt's code: anyone with it can check the gift (`/api/v1/receipts/{code}`).
    pub receipt_code: Option<String>,
}

/// One of a donor's monthly gifts.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DonorSubscription {
    /// Ours.
    pub id: Uuid,
    /// The campaign's slug.
    pub campaign: String,
    /// Each month's, minor units.
    pub amount: i64,
    /// ISO code.
    #[schema(schema_with = crate::stored_schema::names::<donations::money::Currency>)]
    pub currency: donations::money::Currency,
    /// Its state: `past_due` when a charge failed (the card needs a look).
    #[schema(schema_with = crate::stored_schema::names::<SubscriptionStatus>)]
    pub status: SubscriptionStatus,
    /// When the provider charges next (null once stopped).
    pub next_charge_at: Option<DateTime<Utc>>,
}

fn subscription_view(listed: Listed) -> DonorSubscription {
    let s = listed.subscription;
    DonorSubscription {
        id: s.id.as_uuid(),
        campaign: listed.campaign,
        amount: s.amount.minor,
        currency: s.amount.currency,
        status: s.status,
        next_charge_at: listed.next_charge_at.map(utc),
    }
}

/// A donor's gifts and monthly gifts.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DonorGifts {
    /// Gifts whose money counted, newest first.
    pub gifts: Vec<DonorGift>,
    /// Monthly gifts that ever ran, newest first.
    pub subscriptions: Vec<DonorSubscription>,
}

/// The signed-in donor's gifts and monthly gifts.
#[utoipa::path(get, path = "/api/v1/donor/gifts", operation_id = "donor_gifts", tag = "donor",
    security(("bearer" = [])),
    responses((status = 200, body = DonorGifts), (status = 401, description = "Not signed in")))]
pub async fn gifts(donor: Donor, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let found = donor::gifts(&state, donor.0).await?;
    let gifts = found
        .gifts
        .into_iter()
        .map(|g| DonorGift {
            pledge: g.pledge.id.as_uuid(),
            campaign: g.campaign,
            amount: g.pledge.received.minor,
            currency: g.pledge.currency,
            status: g.pledge.display_status(),
            interval: g.pledge.interval(),
            counted_at: g.pledge.counted_at.map(utc),
            receipt_code: g.pledge.receipt_code.clone(),
        })
        .collect();
    let subscriptions = found.subscriptions.into_iter().map(subscription_view).collect();
    Ok(HttpResponse::Ok().json(DonorGifts { gifts, subscriptions }))
}

/// `PATCH /api/v1/donor/subscriptions/{id}`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmountChange {
    /// The new monthly amount, minor units (within the campaign's limits for one gift).
    pub amount: i64,
}

async fn listed(state: &AppState, id: SubscriptionId) -> Result<DonorSubscription, ApiError> {
    let listed = state.pool.run(move |conn| donations::subscription::listed(conn, id)).await?;
    Ok(subscription_view(listed))
}

/// Changes the donor's monthly gift's amount from its next charge: at the provider, then here.
#[utoipa::path(patch, path = "/api/v1/donor/subscriptions/{id}", operation_id = "donor_change_subscription",
    tag = "donor", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The monthly gift")),
    request_body = AmountChange,
    responses(
        (status = 200, body = DonorSubscription),
        (status = 404, description = "Not the donor's monthly gift"),
        (status = 409, description = "The gift is stopped"),
        (status = 422, description = "An amount outside the campaign's limits (`amount`)"),
        (status = 502, description = "The payment provider refused or failed: the gift is unchanged"),
    ))]
pub async fn change(
    donor: Donor,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<AmountChange>,
) -> Result<HttpResponse, ApiError> {
    let id: SubscriptionId = path_id(&req, "id", "subscription")?;
    donor::change_amount(&state, donor.0, id, body.0.amount).await?;
    Ok(HttpResponse::Ok().json(listed(&state, id).await?))
}

/// Stops the donor's monthly gift: at the provider, then here.
#[utoipa::path(post, path = "/api/v1/donor/subscriptions/{id}/cancel", operation_id = "donor_cancel_subscription",
    tag = "donor", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The monthly gift")),
    responses(
        (status = 200, body = DonorSubscription),
        (status = 404, description = "Not the donor's monthly gift"),
        (status = 502, description = "The payment provider refused or failed: the gift is unchanged"),
    ))]
pub async fn cancel(donor: Donor, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let id: SubscriptionId = path_id(&req, "id", "subscription")?;
    donor::cancel(&state, donor.0, id).await?;
    Ok(HttpResponse::Ok().json(listed(&state, id).await?))
}

/// One gift on a statement.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StatementGift {
    /// When its money counted.
    pub counted_at: DateTime<Utc>,
    /// The campaign's slug.
    pub campaign: String,
    /// Received, minor units.
    pub received: i64,
    /// Refunded of it since, minor units.
    pub refunded: i64,
    /// Kept: received less refunded.
    pub net: i64,
    /// ISO code.
    #[schema(schema_with = crate::stored_schema::names::<donations::money::Currency>)]
    pub currency: donations::money::Currency,
    /// `once`, or `month` for a monthly gift's charge.
    #[schema(schema_with = crate::stored_schema::names::<Interval>)]
    pub interval: Interval,
}

/// A statement's sums in one currency.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StatementTotal {
    /// ISO code.
    #[schema(schema_with = crate::stored_schema::names::<donations::money::Currency>)]
    pub currency: donations::money::Currency,
    /// Gifts.
    pub gifts: usize,
    /// Received, minor units.
    pub received: i64,
    /// Refunded, minor units.
    pub refunded: i64,
    /// Kept, minor units: what the statement certifies.
    pub net: i64,
}

/// A donor's statement of one year.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StatementView {
    /// The year, in Almaty's calendar.
    pub year: i32,
    /// The donor's address.
    pub donor: String,
    /// The foundation's legal details, in the reader's language.
    pub foundation: String,
    /// Every gift whose money counted that year, oldest first.
    pub gifts: Vec<StatementGift>,
    /// Sums per currency.
    pub totals: Vec<StatementTotal>,
}

/// The signed-in donor's statement of a year (Almaty's calendar): every counted gift, refunds
/// netted, the foundation's legal details. `Accept: application/pdf`, or `2026.pdf` as the
/// year, gives the PDF.
#[utoipa::path(get, path = "/api/v1/donor/statements/{year}", operation_id = "donor_statement", tag = "donor",
    security(("bearer" = [])),
    params(("year" = String, Path, description = "The year, e.g. 2026; `2026.pdf` for the PDF")),
    responses(
        (status = 200, body = StatementView, content_type = "application/json"),
        (status = 200, description = "The PDF", content_type = "application/pdf"),
        (status = 401, description = "Not signed in"),
        (status = 422, description = "Not a year from 2000 to this one (`year`)"),
    ))]
pub async fn statement(donor: Donor, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (year, pdf_asked) = crate::pages::donor::statement_year(req.match_info().get("year").unwrap_or_default());
    let accepts_pdf = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with("application/pdf")));
    let found = donor::statement(&state, donor.0, year).await?;
    let lang = Lang::asked_by_api(&req).unwrap_or(Lang::Ru);
    if pdf_asked || accepts_pdf {
        let texts = crate::pages::donor::statement_texts(crate::i18n::Tr::new(lang), &found)?;
        return crate::pages::donor::statement_pdf(&texts, year);
    }
    let slug = |id| found.campaign(id).map_or_else(String::new, |c| c.spec.slug.clone());
    let mut gifts = Vec::with_capacity(found.lines.len());
    for line in &found.lines {
        gifts.push(StatementGift {
            counted_at: utc(line.counted_at),
            campaign: slug(line.campaign_id),
            received: line.received.minor,
            refunded: line.refunded.minor,
            net: line.net().map_err(|e| ApiError::internal(e.to_string()))?.minor,
            currency: line.received.currency,
            interval: if line.monthly { Interval::Month } else { Interval::Once },
        });
    }
    let totals = found
        .totals
        .iter()
        .map(|t| StatementTotal {
            currency: t.currency,
            gifts: t.gifts,
            received: t.received.minor,
            refunded: t.refunded.minor,
            net: t.net.minor,
        })
        .collect();
    let foundation = found.foundation.legal_line(lang.locale());
    Ok(HttpResponse::Ok().json(StatementView { year, donor: found.email.clone(), foundation, gifts, totals }))
}

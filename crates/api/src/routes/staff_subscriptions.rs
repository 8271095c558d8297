//! Monthly gifts as the accountant sees them: the list (by campaign and status), and stopping
//! one on the donor's request (at the provider, then here, audited: `services::subscriptions`).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use demeu_db::utc;
use donations::ids::SubscriptionId;
use donations::subscription::{self, Listed, SubscriptionFilter, SubscriptionStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::extract::path_id;
use crate::problem::ApiError;
use crate::routes::access::Accountant;
use crate::services::subscriptions;
use crate::state::AppState;

/// A monthly gift as staff see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StaffSubscription {
    /// Ours.
    pub id: Uuid,
    /// The campaign's slug: each charge counts there.
    pub campaign: String,
    /// Each month's, minor units.
    pub amount: i64,
    /// ISO code.
    #[schema(schema_with = crate::stored_schema::names::<donations::money::Currency>)]
    pub currency: donations::money::Currency,
    /// Its state.
    #[schema(schema_with = crate::stored_schema::names::<SubscriptionStatus>)]
    pub status: SubscriptionStatus,
    /// Who charges.
    #[schema(schema_with = crate::stored_schema::names::<donations::pledge::ProviderKind>)]
    pub provider: donations::pledge::ProviderKind,
    /// The donor's address.
    pub email: String,
    /// Charges that counted (the first included).
    pub charges: i64,
    /// When the provider charges next (null once stopped, or before the first charge).
    pub next_charge_at: Option<DateTime<Utc>>,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// Stopped.
    pub cancelled_at: Option<DateTime<Utc>>,
}

fn view(listed: Listed) -> StaffSubscription {
    let s = listed.subscription;
    StaffSubscription {
        id: s.id.as_uuid(),
        campaign: listed.campaign,
        amount: s.amount.minor,
        currency: s.amount.currency,
        status: s.status,
        provider: s.provider,
        email: s.email,
        charges: listed.charges,
        next_charge_at: listed.next_charge_at.map(utc),
        created_at: utc(s.created_at),
        cancelled_at: s.cancelled_at.map(utc),
    }
}

/// `?campaign=&status=&limit=&cursor=`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct SubscriptionQuery {
    /// Only this campaign's (a slug).
    #[param(max_length = 1024)]
    pub campaign: Option<String>,
    /// Only those in this state.
    #[param(schema_with = crate::stored_schema::names::<SubscriptionStatus>)]
    pub status: Option<String>,
    /// 1 to 100; 20 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the page before.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// A page of monthly gifts.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SubscriptionPage {
    /// Newest first.
    pub items: Vec<StaffSubscription>,
    /// For the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Monthly gifts, newest first.
#[utoipa::path(get, path = "/api/v1/staff/subscriptions", operation_id = "list_subscriptions",
    tag = "staff", security(("bearer" = [])), params(SubscriptionQuery),
    responses((status = 200, body = SubscriptionPage)))]
pub async fn list(
    _staff: Accountant,
    state: web::Data<AppState>,
    query: web::Query<SubscriptionQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let status = crate::extract::named::<SubscriptionStatus>("status", q.status.as_deref())?;
    let limit = demeu_db::page::page_limit(q.limit)?;
    let filter = SubscriptionFilter { campaign: q.campaign, status };
    let page = state.pool.run(move |conn| subscription::list(conn, &filter, limit, q.cursor.as_deref())).await?;
    let items = page.items.into_iter().map(view).collect();
    Ok(HttpResponse::Ok().json(SubscriptionPage { items, next_cursor: page.next_cursor }))
}

/// Stops a monthly gift on the donor's request: at the provider, then here (audited). A provider
/// that refuses leaves it active and the answer says so (502).
#[utoipa::path(post, path = "/api/v1/staff/subscriptions/{id}/cancel", operation_id = "cancel_subscription",
    tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The subscription")),
    responses((status = 200, body = StaffSubscription),
              (status = 502, description = "The payment provider refused or failed: the gift is unchanged")))]
pub async fn cancel(staff: Accountant, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let id: SubscriptionId = path_id(&req, "id", "subscription")?;
    subscriptions::cancel(&state, id, subscriptions::Actor::Staff(staff.0.id)).await?;
    let listed = state.pool.run(move |conn| subscription::listed(conn, id)).await?;
    Ok(HttpResponse::Ok().json(view(listed)))
}

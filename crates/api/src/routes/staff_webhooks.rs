//! The provider's deliveries as staff see them: above all those that were not ours, could not be
//! matched after the retry window, or could not be decoded.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use demeu_db::utc;
use donations::payment_events::{self, InboxEntry, Outcome};
use serde::{Deserialize, Serialize};

use crate::problem::ApiError;
use crate::routes::access::Accountant;
use crate::state::AppState;

/// Filters of the delivery list.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct InboxQuery {
    /// What processing did.
    #[param(schema_with = crate::stored_schema::names::<Outcome>)]
    pub outcome: Option<String>,
    /// `next_cursor` of the page before.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
    /// 1 to 100; 20 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// One stored delivery.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InboxView {
    /// Ours.
    pub id: String,
    /// The provider.
    pub provider: String,
    /// The provider's event id.
    pub event_id: String,
    /// The provider's event type.
    pub event_type: String,
    /// What processing did.
    #[schema(schema_with = crate::stored_schema::names::<Outcome>)]
    pub outcome: Outcome,
    /// Why.
    pub detail: Option<String>,
    /// The pledge it was about.
    pub pledge_id: Option<uuid::Uuid>,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

impl From<InboxEntry> for InboxView {
    fn from(e: InboxEntry) -> Self {
        InboxView {
            id: e.id,
            provider: e.provider,
            event_id: e.event_id,
            event_type: e.event_type,
            outcome: e.outcome,
            detail: e.detail,
            pledge_id: e.pledge_id.map(|p| p.as_uuid()),
            received_at: utc(e.received_at),
        }
    }
}

/// A page of deliveries.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InboxPage {
    /// Newest first.
    pub events: Vec<InboxView>,
    /// For the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// The provider's deliveries, newest first, filtered by outcome.
#[utoipa::path(get, path = "/api/v1/staff/webhook-events", operation_id = "list_webhook_events",
    tag = "staff", security(("bearer" = [])), params(InboxQuery),
    responses((status = 200, body = InboxPage)))]
pub async fn list(
    _staff: Accountant,
    state: web::Data<AppState>,
    query: web::Query<InboxQuery>,
) -> Result<HttpResponse, ApiError> {
    let InboxQuery { outcome, cursor, limit } = query.into_inner();
    let outcome =
        outcome.map(|o| o.parse::<Outcome>()).transpose().map_err(|e| ApiError::invalid("outcome", e.to_string()))?;
    let limit = demeu_db::page::page_limit(limit)?;
    let page = state
        .pool
        .run(move |conn| payment_events::inbox(conn, outcome, limit, cursor.as_deref()).map_err(ApiError::from))
        .await?;
    let events = page.items.into_iter().map(InboxView::from).collect();
    Ok(HttpResponse::Ok().json(InboxPage { events, next_cursor: page.next_cursor }))
}

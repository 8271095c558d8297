use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::problem::ApiError;
use crate::state::AppState;

/// Liveness.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/health", operation_id = "health",
    tag = "operations", responses((status = 200, body = Health)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database answers, takes writes, and its schema is current.
#[utoipa::path(get, path = "/ready", operation_id = "ready", tag = "operations", responses(
    (status = 200, body = Health),
    (status = 503, description = "The database is unreachable, refuses writes (read-only, disk full) or lacks migrations"),
))]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pending = state
        .pool
        .run(|conn| {
            demeu_db::outage::write_probe(conn)?;
            demeu_db::pending_migrations(conn).map_err(ApiError::from)
        })
        .await?;
    if !pending.is_empty() {
        return Err(ApiError::Unavailable(format!("migrations pending: {}", pending.join(", "))));
    }
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}

/// Prometheus text: request counts by status class and each campaign's counted money.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics",
    tag = "operations", responses((status = 200, content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let campaigns = state
        .pool
        .run(|conn| {
            donations::campaign::list_progress(conn, donations::campaign::Audience::Staff).map_err(ApiError::from)
        })
        .await?;
    let mut out = state.metrics.render();
    out.push_str("# HELP demeu_campaign_raised_minor Net amount counted, in minor units.\n");
    out.push_str("# TYPE demeu_campaign_raised_minor gauge\n");
    for p in &campaigns {
        out.push_str(&format!(
            "demeu_campaign_raised_minor{{campaign=\"{}\"}} {}\n",
            p.campaign.spec.slug, p.raised.minor
        ));
    }
    out.push_str("# HELP demeu_campaign_pledges Pledges whose counted amount is above zero.\n");
    out.push_str("# TYPE demeu_campaign_pledges gauge\n");
    for p in &campaigns {
        out.push_str(&format!("demeu_campaign_pledges{{campaign=\"{}\"}} {}\n", p.campaign.spec.slug, p.pledges));
    }
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(out))
}

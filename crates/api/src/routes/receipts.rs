//! Checking a gift by its receipt code: that a gift of that amount on that day is counted in
//! that campaign, and on which day's line of its open ledger, nothing about the donor.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use donations::pledge::DisplayStatus;
use serde::Serialize;

use crate::problem::ApiError;
use crate::services::receipts;
use crate::state::AppState;

/// What a receipt code shows.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReceiptCheck {
    /// The code, as stored (`XXXX-XXXX-XXXX`).
    pub code: String,
    /// The campaign's slug.
    pub campaign: String,
    /// What was received, minor units.
    pub amount: i64,
    /// ISO code.
    #[schema(schema_with = crate::stored_schema::names::<donations::money::Currency>)]
    pub currency: donations::money::Currency,
    /// The day its money counted (Almaty): its line in the campaign's open ledger.
    pub counted_on: NaiveDate,
    /// What its money did since (paid, partially_refunded, refunded, disputed).
    #[schema(schema_with = crate::stored_schema::names::<DisplayStatus>)]
    pub status: DisplayStatus,
}

/// Checks a gift by its receipt code. Nothing about the donor: no name, no address, no
/// message, whatever they chose for the wall.
#[utoipa::path(get, path = "/api/v1/receipts/{code}", operation_id = "check_receipt", tag = "pledges",
    params(("code" = String, Path, description = "The receipt code, e.g. 7K3M-Q9XW-2AB0")),
    responses(
        (status = 200, body = ReceiptCheck),
        (status = 404, description = "No counted gift has this code"),
        (status = 422, description = "Not a receipt code (`code`)"),
    ))]
pub async fn check(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (pledge, campaign) = receipts::find(&state, req.match_info().get("code").unwrap_or_default()).await?;
    Ok(HttpResponse::Ok().json(ReceiptCheck {
        code: pledge.receipt_code.clone().unwrap_or_default(),
        campaign: campaign.spec.slug,
        amount: pledge.received.minor,
        currency: pledge.currency,
        counted_on: receipts::counted_on(&pledge),
        status: pledge.display_status(),
    }))
}

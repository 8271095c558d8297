//! Finding a counted gift by its receipt code (the route and the page that check one).

use chrono::NaiveDate;
use demeu_db::FieldError;
use donations::campaign::Campaign;
use donations::pledge_store::PledgeRecord;

use super::ServiceError;
use crate::state::AppState;

/// A counted gift by its receipt code (typed in any case, with or without dashes), with its
/// campaign; 422 naming `code` for what cannot be a code, 404 for none.
pub async fn find(state: &AppState, typed: &str) -> Result<(PledgeRecord, Campaign), ServiceError> {
    let code = donations::receipt_code::normalize(typed).ok_or_else(|| {
        donations::Error::Invalid(vec![FieldError::new("code", "is not a receipt code (twelve letters and digits)")])
    })?;
    state
        .pool
        .run(move |conn| {
            let pledge = donations::pledge_store::find_by_receipt_code(conn, &code)?
                .ok_or(donations::Error::NotFound("receipt"))?;
            let campaign = donations::campaign::find_by_id(conn, pledge.campaign_id)?;
            Ok((pledge, campaign))
        })
        .await
}

/// The Almaty day a gift's money counted.
pub fn counted_on(pledge: &PledgeRecord) -> NaiveDate {
    let at = demeu_db::utc(pledge.counted_at.unwrap_or(pledge.created_at));
    at.with_timezone(&crate::format::almaty_offset(at)).date_naive()
}

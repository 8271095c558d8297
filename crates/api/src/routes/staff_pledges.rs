use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use demeu_db::utc;
use donations::offline::OfflineGift;
use donations::pledge::{DisplayStatus, PaymentMethod, PledgeState};
use donations::pledge_store::{self, PledgeRecord, StaffFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::extract::{path_id, JsonBody, Paging};
use crate::idempotency::{request_hash, IdempotencyKey};
use crate::problem::ApiError;
use crate::routes::access::Accountant;
use crate::services::exports::ExportAudit;
use crate::services::refunds::{self, RefundAccepted};
use crate::state::AppState;
use crate::streaming::Chunks;

/// A pledge as staff see it: everything.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StaffPledge {
    /// The pledge.
    pub id: Uuid,
    /// The campaign's slug.
    pub campaign: String,
    /// What people are shown.
    #[schema(schema_with = crate::stored_schema::names::<DisplayStatus>)]
    pub status: DisplayStatus,
    /// The stored lifecycle state.
    #[schema(schema_with = crate::stored_schema::names::<PledgeState>)]
    pub state: PledgeState,
    /// Promised, minor units.
    pub amount: i64,
    /// Received.
    pub received: i64,
    /// Refunded.
    pub refunded: i64,
    /// Held or lost in disputes.
    pub disputed: i64,
    /// What counts.
    pub counted: i64,
    /// ISO code.
    #[schema(schema_with = crate::stored_schema::names::<donations::money::Currency>)]
    pub currency: donations::money::Currency,
    /// As given.
    pub donor_name: Option<String>,
    /// As given.
    pub email: Option<String>,
    /// Hidden name on the wall.
    pub anonymous: bool,
    /// Hidden amount on the wall.
    pub hide_amount: bool,
    /// For the wall.
    pub message: Option<String>,
    /// How the money came.
    #[schema(schema_with = crate::stored_schema::names::<PaymentMethod>)]
    pub method: PaymentMethod,
    /// Offline reference.
    pub reference: Option<String>,
    /// The provider that made the checkout (none for an offline gift).
    #[schema(schema_with = crate::stored_schema::nullable_names::<donations::pledge::ProviderKind>)]
    pub provider: Option<donations::pledge::ProviderKind>,
    /// The provider's checkout session.
    pub provider_session_id: Option<String>,
    /// The provider's payment.
    pub provider_payment_id: Option<String>,
    /// Why staff should look.
    pub flag: Option<String>,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// First counted.
    pub counted_at: Option<DateTime<Utc>>,
    /// The monthly gift it is a charge of (its first pledge included); null for a one-off gift.
    pub subscription: Option<Uuid>,
}

fn staff_view(p: PledgeRecord, campaign: String) -> Result<StaffPledge, ApiError> {
    Ok(StaffPledge {
        id: p.id.as_uuid(),
        campaign,
        status: p.display_status(),
        state: p.state,
        amount: p.amount.minor,
        received: p.received.minor,
        refunded: p.refunded.minor,
        disputed: p.disputed.minor,
        counted: p.amounts().counted().minor,
        currency: p.currency,
        donor_name: p.donor_name,
        email: p.email,
        anonymous: p.anonymous,
        hide_amount: p.hide_amount,
        message: p.message,
        method: p.method,
        reference: p.reference,
        provider: p.provider,
        provider_session_id: p.provider_session_id,
        provider_payment_id: p.provider_payment_id,
        flag: p.flag,
        created_at: utc(p.created_at),
        counted_at: p.counted_at.map(utc),
        subscription: p.subscription_id.map(|s| s.as_uuid()),
    })
}

/// Filters of the staff pledge list and of its CSV export (the list pages with `Paging`; the
/// file holds every page).
#[derive(Deserialize, utoipa::IntoParams)]
pub struct PledgeFilters {
    /// A campaign slug.
    #[param(max_length = 1024)]
    pub campaign: Option<String>,
    /// The stored state.
    #[param(schema_with = crate::stored_schema::names::<PledgeState>)]
    pub status: Option<String>,
    /// How the money came.
    #[param(schema_with = crate::stored_schema::names::<PaymentMethod>)]
    pub method: Option<String>,
    /// An email address: the pledges given with exactly it. Other text: found in the name,
    /// email or reference, any case; a page of such a search reads at most 2 000 pledges, so it
    /// may hold fewer than `limit` (even none) and still have a `next_cursor` to go on from.
    #[param(max_length = 1024)]
    pub q: Option<String>,
    /// Made on or after this day (`YYYY-MM-DD`, Almaty).
    #[param(format = Date, max_length = 1024)]
    pub from: Option<String>,
    /// Made on or before this day (`YYYY-MM-DD`, Almaty).
    #[param(format = Date, max_length = 1024)]
    pub to: Option<String>,
}

impl PledgeFilters {
    /// The domain filter; 422 naming a status or method that is none.
    pub fn into_filter(self) -> Result<StaffFilter, ApiError> {
        let state = self
            .status
            .as_deref()
            .map(|s| s.parse::<PledgeState>())
            .transpose()
            .map_err(|_| ApiError::invalid("status", "must be pending, paid, failed, expired or canceled"))?;
        let method = self
            .method
            .as_deref()
            .map(|s| s.parse::<PaymentMethod>())
            .transpose()
            .map_err(|_| ApiError::invalid("method", "must be online, cash, bank_transfer or kaspi"))?;
        let day = |field: &str, text: &Option<String>, next: bool| -> Result<Option<chrono::NaiveDateTime>, ApiError> {
            // As the document says: a date when given (`from=` is no date; the console's form
            // leaves out the fields its visitor left empty).
            let Some(text) = text.as_deref() else { return Ok(None) };
            let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| ApiError::invalid(field, "a day such as 2026-11-28"))?;
            let date = if next { date.succ_opt().ok_or_else(|| ApiError::invalid(field, "too late"))? } else { date };
            Ok(Some(crate::format::almaty_midnight_utc(date)))
        };
        let made_from = day("from", &self.from, false)?;
        let made_before = day("to", &self.to, true)?;
        Ok(StaffFilter { campaign: self.campaign, state, method, q: self.q, made_from, made_before })
    }
}

/// A page of pledges.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StaffPledgePage {
    /// Newest first.
    pub pledges: Vec<StaffPledge>,
    /// For the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Every pledge, with email and provider ids, newest first.
#[utoipa::path(get, path = "/api/v1/staff/pledges", operation_id = "list_staff_pledges",
    tag = "staff", security(("bearer" = [])), params(PledgeFilters, Paging),
    responses((status = 200, body = StaffPledgePage)))]
pub async fn list(
    _staff: Accountant,
    state: web::Data<AppState>,
    filters: web::Query<PledgeFilters>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let filter = filters.into_inner().into_filter()?;
    let paging = paging.into_inner();
    let limit = paging.limit()?;
    let page = state
        .pool
        .run(move |conn| {
            pledge_store::staff_list(conn, &filter, limit, paging.cursor.as_deref()).map_err(ApiError::from)
        })
        .await?;
    let pledges = page.items.into_iter().map(|(p, slug)| staff_view(p, slug)).collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(StaffPledgePage { pledges, next_cursor: page.next_cursor }))
}

/// A column of the CSV export: its header and how a staff pledge fills it. The one list of
/// what the accountant's file holds.
type CsvColumn = (&'static str, fn(&StaffPledge) -> String);

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

const CSV_COLUMNS: [CsvColumn; 23] = [
    ("id", |p| p.id.to_string()),
    ("campaign", |p| p.campaign.clone()),
    ("created_at", |p| p.created_at.to_rfc3339()),
    ("counted_at", |p| p.counted_at.map(|t| t.to_rfc3339()).unwrap_or_default()),
    ("status", |p| p.status.to_string()),
    ("state", |p| p.state.to_string()),
    ("currency", |p| p.currency.to_string()),
    ("amount", |p| p.amount.to_string()),
    ("received", |p| p.received.to_string()),
    ("refunded", |p| p.refunded.to_string()),
    ("disputed", |p| p.disputed.to_string()),
    ("counted", |p| p.counted.to_string()),
    ("donor_name", |p| text(&p.donor_name)),
    ("email", |p| text(&p.email)),
    ("anonymous", |p| p.anonymous.to_string()),
    ("method", |p| p.method.to_string()),
    ("reference", |p| text(&p.reference)),
    ("provider", |p| p.provider.map(|k| k.to_string()).unwrap_or_default()),
    ("provider_session_id", |p| text(&p.provider_session_id)),
    ("provider_payment_id", |p| text(&p.provider_payment_id)),
    ("flag", |p| text(&p.flag)),
    // Last, so that a sheet made for the columns before keeps its places.
    ("interval", |p| if p.subscription.is_some() { "month" } else { "once" }.to_string()),
    ("subscription", |p| p.subscription.map(|s| s.to_string()).unwrap_or_default()),
];

fn csv_field(value: &str) -> String {
    // Quoted when needed; a leading =, +, - or @ is defused so that a spreadsheet does not run it.
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_string() };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

fn csv_line(fields: impl Iterator<Item = String>) -> String {
    let mut line = fields.map(|f| csv_field(&f)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

fn csv_row(p: &StaffPledge) -> String {
    csv_line(CSV_COLUMNS.iter().map(|(_, value)| value(p)))
}

/// The same list as CSV (UTF-8, header row), every page, streamed: the header line goes out at
/// once, then the pledges a page at a time as the client takes them, so that memory stays the
/// same however long the file (see `streaming.rs`). A failure part way cuts the connection
/// before the end of the chunked answer: a client never takes a short file for a whole one.
#[utoipa::path(get, path = "/api/v1/staff/pledges.csv", operation_id = "export_staff_pledges_csv",
    tag = "staff", security(("bearer" = [])), params(PledgeFilters),
    responses((status = 200, content_type = "text/csv")))]
pub async fn csv(
    staff: Accountant,
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<PledgeFilters>,
) -> Result<HttpResponse, ApiError> {
    let filter = query.into_inner().into_filter()?;
    Ok(csv_answer(state.pool.clone(), filter, ExportAudit::new(state.pool.clone(), staff.0.id, req.query_string())))
}

/// The CSV export of `filter`, streamed (the API's and the console's download), `audit`
/// written when it ends.
pub fn csv_answer(pool: demeu_db::DbPool, filter: StaffFilter, audit: ExportAudit) -> HttpResponse {
    // The header line goes out at once, before any page is read (the sign-in has just read the
    // database); pages follow from the first (no cursor) until the last (no next cursor).
    let header = csv_line(CSV_COLUMNS.iter().map(|(name, _)| name.to_string()));
    let body = Chunks::unfold(Bytes::from(header), Some((None, audit)), move |(cursor, audit)| {
        csv_page(pool.clone(), filter.clone(), cursor, audit)
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"pledges.csv\""))
        .body(body)
}

/// Pledges per page of the CSV export: each page is one index range of the staff list, read with
/// a pooled connection held for that page only.
const CSV_PAGE_ROWS: i64 = 500;

/// One page of the export as CSV lines, and what the next page starts after (`None` after the
/// last page, whose read also writes the download's audit entry).
async fn csv_page(
    pool: demeu_db::DbPool,
    filter: StaffFilter,
    cursor: Option<String>,
    mut audit: ExportAudit,
) -> Result<(Bytes, Option<(Option<String>, ExportAudit)>), ApiError> {
    let complete = audit.when_complete();
    let page = pool
        .run(move |conn| {
            let page = pledge_store::staff_list(conn, &filter, CSV_PAGE_ROWS, cursor.as_deref())?;
            if page.next_cursor.is_none() {
                complete.with_rows(page.items.len() as u64).write(conn)?;
            }
            Ok::<_, ApiError>(page)
        })
        .await?;
    audit.sent(page.items.len() as u64, page.next_cursor.is_none());
    let mut out = String::new();
    for (p, slug) in page.items {
        out.push_str(&csv_row(&staff_view(p, slug)?));
    }
    match page.next_cursor {
        Some(next) => Ok((Bytes::from(out), Some((Some(next), audit)))),
        None => Ok((Bytes::from(out), None)),
    }
}

/// Records a cash, bank or Kaspi gift: counted at once.
#[utoipa::path(post, path = "/api/v1/staff/campaigns/{slug}/offline-pledges", operation_id = "record_offline_pledge",
    tag = "staff", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The campaign")),
    request_body = donations::offline::OfflineGift,
    responses((status = 201, body = StaffPledge)))]
pub async fn offline(
    staff: Accountant,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: JsonBody<OfflineGift>,
) -> Result<HttpResponse, ApiError> {
    let (pledge, slug) = crate::services::offline::record(&state, slug.into_inner(), body.0, staff.0.id).await?;
    Ok(HttpResponse::Created().json(staff_view(pledge, slug)?))
}

/// A refund to ask for.
#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct RefundBody {
    /// Minor units, at most what may still be refunded; all of that when absent.
    #[schema(minimum = 1)]
    pub amount: Option<i64>,
}

/// Refunds a pledge: through the provider for an online pledge (counted when the provider's
/// refund event arrives), at once for an offline one. Requested refunds reserve their amount,
/// so a double click or a retry never refunds twice; with an `Idempotency-Key` a retry gets the
/// first answer.
#[utoipa::path(post, path = "/api/v1/staff/pledges/{id}/refunds", operation_id = "refund_pledge",
    tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The pledge"),
           ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "Makes retries safe: 1 to 255 visible ASCII characters")),
    request_body = RefundBody,
    responses((status = 202, body = RefundAccepted), (status = 409, description = "Conflicts with the current state"),
              (status = 502, description = "The payment provider refused or failed: retry-safe")))]
pub async fn refund(
    staff: Accountant,
    state: web::Data<AppState>,
    req: HttpRequest,
    key: IdempotencyKey,
    body: JsonBody<RefundBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&req, "id", "pledge")?;
    let JsonBody(RefundBody { amount }, raw) = body;
    let amount = refunds::in_pledges_currency(&state, id, amount).await?;
    let answer = refunds::refund(&state, id, amount, staff.0.id, key.0, request_hash(&raw)).await?;
    Ok(answer.respond(StatusCode::ACCEPTED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
    }
}

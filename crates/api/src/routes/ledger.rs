//! A campaign's open ledger, public: per day, the gifts, gross, refunds, net and spent, as JSON
//! and as CSV; the days' nets add up to the campaign's progress. Nothing about any donor.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use donations::campaign::CampaignState;
use donations::open_ledger::{self, LedgerDay};
use serde::{Deserialize, Serialize};

use crate::problem::ApiError;
use crate::state::AppState;

/// One day's line (amounts in minor units of `currency`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct LedgerLine {
    /// The day, in Almaty.
    pub day: NaiveDate,
    /// Gifts whose money arrived that day.
    pub gifts: i64,
    /// What they brought.
    pub gross: i64,
    /// What was given back that day.
    pub refunds: i64,
    /// Every movement of the day (gross less refunds, disputes, corrections).
    pub net: i64,
    /// Spent that day.
    pub spent: i64,
}

impl From<LedgerDay> for LedgerLine {
    fn from(d: LedgerDay) -> Self {
        LedgerLine {
            day: d.day,
            gifts: d.gifts,
            gross: d.gross.minor,
            refunds: d.refunds.minor,
            net: d.net.minor,
            spent: d.spent.minor,
        }
    }
}

/// The open ledger.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OpenLedger {
    /// The campaign's slug.
    pub campaign: String,
    /// ISO code of every amount.
    #[schema(schema_with = crate::stored_schema::names::<donations::money::Currency>)]
    pub currency: donations::money::Currency,
    /// Days with any movement, oldest first.
    pub days: Vec<LedgerLine>,
    /// Their sums (`day`: the last one's).
    pub totals: LedgerLine,
}

/// `?from=&to=` (YYYY-MM-DD, both included).
#[derive(Deserialize, utoipa::IntoParams)]
pub struct LedgerQuery {
    /// The first day.
    #[param(value_type = Option<String>, example = "2026-06-01", max_length = 1024)]
    pub from: Option<String>,
    /// The last day.
    #[param(value_type = Option<String>, example = "2026-06-30", max_length = 1024)]
    pub to: Option<String>,
}

fn day(field: &str, raw: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    raw.filter(|d| !d.is_empty())
        .map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                ApiError::Invalid(vec![
                    demeu_db::FieldError::new(field, "must be a day, e.g. 2026-06-30").translated("error-date", vec![])
                ])
            })
        })
        .transpose()
}

/// The campaign's ledger for the query's days; a draft is not found.
async fn read(state: &AppState, slug: String, query: &LedgerQuery) -> Result<OpenLedger, ApiError> {
    let (from, to) = (day("from", query.from.as_deref())?, day("to", query.to.as_deref())?);
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(ApiError::invalid("to", "must not be before from"));
        }
    }
    state
        .pool
        .run(move |conn| {
            let campaign = donations::campaign::find_by_slug(conn, &slug)?;
            if campaign.state == CampaignState::Draft {
                return Err(ApiError::NotFound("campaign".into()));
            }
            let days = open_ledger::days(conn, &campaign, from, to)?;
            let currency = campaign.spec.currency;
            let today = chrono::Utc::now().date_naive();
            let totals = open_ledger::totals(&days, currency, today)?;
            Ok(OpenLedger {
                campaign: campaign.spec.slug,
                currency,
                days: days.into_iter().map(LedgerLine::from).collect(),
                totals: totals.into(),
            })
        })
        .await
}

/// The campaign's open ledger: per day (Almaty), the gifts, gross, refunds, net and spent; the
/// totals equal the campaign's progress. No donor is named, nor any one gift's amount.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/ledger", operation_id = "open_ledger", tag = "campaigns",
    params(("slug" = String, Path, description = "The campaign"), LedgerQuery),
    responses((status = 200, body = OpenLedger), (status = 404, description = "No such campaign"),
              (status = 422, description = "A day that is not one (`from`, `to`)")))]
pub async fn show(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<LedgerQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(read(&state, slug.into_inner(), &query).await?))
}

/// The same as CSV (`day,gifts,gross,refunds,net,spent,currency`; amounts in major units, as
/// an accountant's sheet reads them: `5000.00`).
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/ledger.csv", operation_id = "open_ledger_csv", tag = "campaigns",
    params(("slug" = String, Path, description = "The campaign"), LedgerQuery),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 404, description = "No such campaign")))]
pub async fn csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<LedgerQuery>,
) -> Result<HttpResponse, ApiError> {
    let slug = req.match_info().get("slug").unwrap_or_default().to_string();
    let ledger = read(&state, slug, &query).await?;
    let major = |minor: i64| donations::money::Money::new(minor, ledger.currency).to_major_decimal();
    let mut text = String::from("day,gifts,gross,refunds,net,spent,currency\r\n");
    for d in &ledger.days {
        text.push_str(&format!(
            "{},{},{},{},{},{},{}\r\n",
            d.day,
            d.gifts,
            major(d.gross),
            major(d.refunds),
            major(d.net),
            major(d.spent),
            ledger.currency.code()
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", format!("attachment; filename=\"{}-ledger.csv\"", ledger.campaign)))
        .body(text))
}

//! Spending in the API: the accountant records an expense with its evidence (multipart) and
//! reverses one; anyone reads a campaign's report and an evidence file.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use demeu_db::locale::{Locale, Texts};
use donations::expense::{self, EvidenceKind, Expense, ExpenseForm, PayeeKind};
use serde::{Deserialize, Serialize};

use crate::extract::{path_id, JsonBody};
use crate::i18n::Lang;
use crate::multipart::{self, FormShape};
use crate::problem::ApiError;
use crate::routes::access::Accountant;
use crate::routes::pictures::{hashed_name, immutable_answer};
use crate::services::expenses::{self as service, ExpenseUpload, Reader, Report};
use crate::state::AppState;

/// One evidence file.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EvidenceView {
    /// Where it is served: `/evidence/{sha256}.pdf` (a download) or `.jpg`.
    pub url: String,
    /// `pdf` or `image`.
    #[schema(schema_with = crate::stored_schema::names::<EvidenceKind>)]
    pub kind: EvidenceKind,
    /// An image's small view.
    pub thumb_url: Option<String>,
}

fn evidence_views(e: &Expense) -> Vec<EvidenceView> {
    e.evidence.iter().map(|f| EvidenceView { url: f.url(), kind: f.kind, thumb_url: f.thumb_url() }).collect()
}

/// An entry as staff see it (amounts in minor units).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ExpenseView {
    /// Id (for reversing it).
    pub id: String,
    /// The plan line's key.
    pub line: String,
    /// Minor units: an expense's positive, a reversal's negative.
    pub amount: i64,
    /// ISO code.
    pub currency: String,
    /// The day spent (a reversal's: the day made), in Almaty.
    pub spent_on: NaiveDate,
    /// An organisation's name or a person's role.
    pub payee: String,
    /// `organisation` or `person`.
    #[schema(schema_with = crate::stored_schema::names::<PayeeKind>)]
    pub payee_kind: PayeeKind,
    /// Per language.
    #[schema(value_type = Object)]
    pub descriptions: Texts,
    /// Why its line is spent beyond its allocation.
    pub over_budget_reason: Option<String>,
    /// The expense this entry reverses.
    pub reverses: Option<String>,
    /// A reversal's reason.
    pub reason: Option<String>,
    /// Its files.
    pub evidence: Vec<EvidenceView>,
}

impl From<Expense> for ExpenseView {
    fn from(e: Expense) -> Self {
        ExpenseView {
            id: e.id.to_string(),
            evidence: evidence_views(&e),
            line: e.line,
            amount: e.amount.minor,
            currency: e.amount.currency.code().to_string(),
            spent_on: e.spent_on,
            payee: e.payee,
            payee_kind: e.payee_kind,
            descriptions: e.descriptions,
            over_budget_reason: e.over_budget_reason,
            reverses: e.reverses.map(|r| r.to_string()),
            reason: e.reason,
        }
    }
}

/// The form's text parts.
const FIELDS: [&str; 9] = [
    "line",
    "amount",
    "spent_on",
    "payee",
    "payee_kind",
    "description_kk",
    "description_ru",
    "description_en",
    "over_budget_reason",
];

/// Reads the expense form (the API's and, with `csrf`, the console's).
pub(crate) async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    csrf: Option<&str>,
) -> Result<ExpenseUpload, ApiError> {
    let shape = FormShape {
        files: "evidence",
        max_files: expense::MAX_EVIDENCE_FILES,
        file_bytes: state.settings.limits.evidence_upload_bytes,
        texts: &FIELDS,
    };
    let form = multipart::read(req, payload, shape, csrf).await?;
    let mut descriptions = Texts::default();
    for lang in Locale::ALL {
        *descriptions.slot_mut(*lang) = form.text(&format!("description_{}", lang.as_str()));
    }
    Ok(ExpenseUpload {
        form: ExpenseForm {
            line: form.text("line"),
            amount: form.text("amount"),
            spent_on: form.text("spent_on"),
            payee: form.text("payee"),
            payee_kind: form.text("payee_kind"),
            descriptions,
            over_budget_reason: form.text("over_budget_reason"),
        },
        files: form.files,
    })
}

/// Records an expense of a campaign, with its evidence: PDF, JPEG or PNG files (0 to 10,
/// together within `limits.evidence_upload_bytes`, else 413 naming `evidence`); a photo is
/// re-encoded without its metadata. Spending beyond the line's allocation needs
/// `over_budget_reason`. Audited.
#[utoipa::path(post, path = "/api/v1/staff/campaigns/{slug}/expenses", operation_id = "record_expense",
    tag = "staff", security(("bearer" = [])), params(("slug" = String, Path, description = "The campaign")),
    request_body(content_type = "multipart/form-data", description = "`line` (a plan line's key), `amount` (major \
        units, e.g. 125000 or 125000.50), `spent_on` (YYYY-MM-DD, not in the future), `payee` (an organisation's \
        name, a private person's role), `payee_kind` (`organisation` or `person`), `description_kk`, \
        `description_ru`, `description_en` (the campaign's language's required), `over_budget_reason`, \
        `evidence` (0..10 files)"),
    responses(
        (status = 201, body = ExpenseView),
        (status = 413, description = "The files are larger than limits.evidence_upload_bytes"),
        (status = 415, description = "Not multipart/form-data"),
    ))]
pub async fn record(
    staff: Accountant,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let upload = read_form(&req, payload, &state, None).await?;
    let recorded = service::record(&state, slug.into_inner(), upload, staff.0.id).await?;
    Ok(HttpResponse::Created().json(ExpenseView::from(recorded)))
}

/// Why an expense is reversed.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReverseBody {
    /// 1 to 500 characters, plain text.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// Reverses an expense: a new entry of the negated amount on the same line, with the reason.
/// An expense is reversed once (409 after); a reversal is not reversed (409). Audited.
#[utoipa::path(post, path = "/api/v1/staff/expenses/{id}/reverse", operation_id = "reverse_expense",
    tag = "staff", security(("bearer" = [])), params(("id" = String, Path, description = "The expense")),
    request_body = ReverseBody,
    responses(
        (status = 201, body = ExpenseView, description = "The reversing entry"),
        (status = 409, description = "The expense is reversed already, or is itself a reversal"),
    ))]
pub async fn reverse(
    staff: Accountant,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<ReverseBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&req, "id", "expense")?;
    let reversal = service::reverse(&state, id, body.0.reason, staff.0.id).await?;
    Ok(HttpResponse::Created().json(ExpenseView::from(reversal)))
}

/// An expense in the report (minor units).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportExpense {
    /// Id.
    pub id: String,
    /// Minor units.
    pub amount: i64,
    /// The day spent, in Almaty.
    pub spent_on: NaiveDate,
    /// An organisation's name, or a private person's role.
    pub payee: String,
    /// `organisation` or `person`.
    #[schema(schema_with = crate::stored_schema::names::<PayeeKind>)]
    pub payee_kind: PayeeKind,
    /// In the language read.
    pub description: String,
    /// Its files.
    pub evidence: Vec<EvidenceView>,
    /// Why its line was spent beyond its allocation.
    pub over_budget_reason: Option<String>,
    /// Reversed (it no longer counts).
    pub reversed: bool,
    /// Why, and when, if reversed.
    pub reversal: Option<ReversalView>,
}

/// A reversal as the report says it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReversalView {
    /// The reason.
    pub reason: String,
    /// The day it was made.
    pub on: NaiveDate,
}

/// A post tied to a line.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TiedPostView {
    /// Its title.
    pub title: String,
    /// Its page: `/campaigns/{slug}/news/{post}`.
    pub url: String,
    /// It says the line is done.
    pub marks_done: bool,
}

/// One plan line in the report (minor units).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportLine {
    /// The line's key.
    pub key: String,
    /// In the language read.
    pub title: String,
    /// `goal` or `overflow`.
    #[schema(schema_with = crate::stored_schema::names::<donations::plan::Tier>)]
    pub tier: donations::plan::Tier,
    /// What the money raised allocates to it.
    pub allocated: i64,
    /// Its expenses, reversals netted.
    pub spent: i64,
    /// Allocated less spent (below zero when spent beyond).
    pub left: i64,
    /// Spent beyond its allocation.
    pub over_budget: bool,
    /// The newest post saying it is done.
    pub done_post: Option<TiedPostView>,
    /// Every published post tied to it, newest first.
    pub posts: Vec<TiedPostView>,
    /// Its expenses in the order spent, reversed ones marked.
    pub expenses: Vec<ReportExpense>,
}

/// Where the money went.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportView {
    /// The campaign's slug.
    pub campaign: String,
    /// ISO code of every amount.
    pub currency: String,
    /// Net raised (the progress).
    pub raised: i64,
    /// Spent in all.
    pub spent: i64,
    /// Raised less spent.
    pub left: i64,
    /// In the plan's order.
    pub lines: Vec<ReportLine>,
}

/// The report as the API says it, in `lang`.
pub fn report_view(report: &Report, lang: Locale) -> ReportView {
    let campaign = &report.campaign;
    let own = campaign.spec.locale;
    let post = |p: &campaign_news::post::TiedPost| TiedPostView {
        title: p.title.clone(),
        url: crate::links::news_post_path(&campaign.spec.slug, &p.slug),
        marks_done: p.marks_done,
    };
    ReportView {
        campaign: campaign.spec.slug.clone(),
        currency: report.money.raised.currency.code().to_string(),
        raised: report.money.raised.minor,
        spent: report.money.spent.minor,
        left: report.money.left.minor,
        lines: report
            .lines
            .iter()
            .map(|l| ReportLine {
                key: l.line.key.clone(),
                title: l.line.titles.shown(lang, own).to_string(),
                tier: l.line.tier,
                allocated: l.money.allocated.minor,
                spent: l.money.spent.minor,
                left: l.money.left.minor,
                over_budget: l.money.over_budget,
                done_post: l.done_post().map(post),
                posts: l.posts.iter().map(post).collect(),
                expenses: l
                    .entries
                    .iter()
                    .map(|entry| {
                        let e = &entry.expense;
                        ReportExpense {
                            id: e.id.to_string(),
                            amount: e.amount.minor,
                            spent_on: e.spent_on,
                            payee: e.payee.clone(),
                            payee_kind: e.payee_kind,
                            description: e.descriptions.shown(lang, own).to_string(),
                            evidence: evidence_views(e),
                            over_budget_reason: e.over_budget_reason.clone(),
                            reversed: entry.reversal.is_some(),
                            reversal: entry
                                .reversal
                                .as_ref()
                                .map(|r| ReversalView { reason: r.reason.clone().unwrap_or_default(), on: r.spent_on }),
                        }
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Where a campaign's money went: per plan line, allocated (the waterfall), spent, left, its
/// expenses with their evidence and the posts tied to it; the campaign's raised, spent and
/// left. Texts in the language read (`?lang=`, else Accept-Language, else the campaign's). A
/// draft is not found.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/report", operation_id = "campaign_report", tag = "campaigns",
    params(("slug" = String, Path, description = "The campaign"), crate::routes::campaigns::LangQuery),
    responses((status = 200, body = ReportView)))]
pub async fn report(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let report = service::report(&state, slug.into_inner(), Reader::Public).await?;
    let lang = Lang::asked_by_api(&req).map_or(report.campaign.spec.locale, Lang::locale);
    Ok(HttpResponse::Ok().json(report_view(&report, lang)))
}

/// `GET /evidence/{sha256}.{pdf|jpg}`: an expense's evidence file. A PDF is a download
/// (`Content-Disposition: attachment`) and every file carries a policy that sandboxes it and
/// allows nothing (`sandbox; default-src 'none'`): a PDF or an image opened by itself runs no
/// script of ours and reaches nothing.
pub async fn serve(
    state: web::Data<AppState>,
    req: HttpRequest,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::NotFound("evidence".into());
    let (hash, extension) = hashed_name(&name).ok_or_else(not_found)?;
    let content_type = match extension {
        "pdf" => "application/pdf",
        "jpg" => "image/jpeg",
        _ => return Err(not_found()),
    };
    let owned = hash.to_string();
    let file = state
        .pool
        .run(move |conn| {
            if !expense::is_evidence(conn, &owned)? {
                return Ok::<_, ApiError>(None);
            }
            Ok(demeu_db::files::get(conn, &owned)?)
        })
        .await?
        .filter(|f| f.content_type == content_type)
        .ok_or_else(not_found)?;
    let mut headers = vec![(header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'".to_string())];
    if content_type == "application/pdf" {
        headers.push((header::CONTENT_DISPOSITION, format!("attachment; filename=\"evidence-{}.pdf\"", &hash[..12])));
    }
    immutable_answer(&req, hash, content_type, file.bytes, &headers)
}

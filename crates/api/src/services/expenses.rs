//! Spending, as the accountant records it and as anyone reads it: an expense with its evidence
//! (a PDF kept as sent, once it is seen to be a whole PDF; a photo or scan through the pictures'
//! pipeline, so that it is proven an image and re-encoded without its metadata), a reversal, and
//! the campaign's report (per plan line: allocated, spent, left, its expenses and their
//! evidence, the posts tied to it). The API's routes, the console and the pages all come here.

use campaign_news::post::TiedPost;
use chrono::{NaiveDate, Utc};
use donations::campaign::Campaign;
use donations::expense::{self, EvidenceKind, Expense, ExpenseForm, NewEvidence, NewExpense};
use donations::ids::{ExpenseId, StaffUserId};
use donations::plan::BudgetLine;
use donations::spending::{spending, LineSpending, Spending};
use donations::FieldError;

use super::pictures::{prepare, PictureLimits};
use super::ServiceError;
use crate::state::AppState;

/// An expense as sent: the fields, then the files in their order.
#[derive(Debug, Clone, Default)]
pub struct ExpenseUpload {
    /// What the accountant typed.
    pub form: ExpenseForm,
    /// The evidence files' bytes.
    pub files: Vec<Vec<u8>>,
}

/// Today in Almaty: what "a day in the future" is measured from.
pub fn almaty_today() -> NaiveDate {
    let now = Utc::now();
    now.with_timezone(&crate::format::almaty_offset(now)).date_naive()
}

/// What is wrong with an evidence file, each said in the reader's language by its own message.
#[derive(Debug, Clone, Copy)]
enum FileFault {
    /// Not a PDF, JPEG or PNG, whatever its name.
    Type,
    /// A PDF cut short or broken.
    Pdf,
    /// A JPEG or PNG that cannot be read (cut short, too many pixels, corrupt).
    Image,
}

/// The refusal of evidence file `position` (from 1, as a person counts); `detail`: the API's
/// English words of what the picture pipeline found, if it did.
fn bad_file(position: usize, fault: FileFault, detail: Option<&str>) -> ServiceError {
    let (id, why) = match fault {
        FileFault::Type => ("error-evidence-type", "is not a PDF, JPEG or PNG".to_string()),
        FileFault::Pdf => ("error-evidence-pdf", "is a PDF cut short or broken".to_string()),
        FileFault::Image => ("error-evidence-image", detail.unwrap_or("could not be read as an image").to_string()),
    };
    donations::Error::Invalid(vec![FieldError::new("evidence", format!("file {position} {why}"))
        .translated(id, vec![("position", position.to_string())])])
    .into()
}

/// Whether `pdf` is a whole PDF: its header first, and at its end (`%%EOF` in the last
/// kilobyte) a `startxref` whose offset points inside the file at a cross-reference table
/// (`xref`) or stream (`N G obj`): a file cut short, or bytes that only start like a PDF, have
/// none. Its contents are not interpreted: it is served as a download under a sandboxing policy.
fn pdf_is_whole(pdf: &[u8]) -> bool {
    let tail_start = pdf.len().saturating_sub(1024);
    let tail = &pdf[tail_start..];
    let find_last = |needle: &[u8]| tail.windows(needle.len()).rposition(|w| w == needle);
    let (Some(start), Some(end)) = (find_last(b"startxref"), find_last(b"%%EOF")) else { return false };
    if !pdf.starts_with(b"%PDF-") || end < start {
        return false;
    }
    let offset: String = tail[start + 9..end].iter().map(|&b| b as char).filter(|c| !c.is_ascii_whitespace()).collect();
    let Ok(offset) = offset.parse::<usize>() else { return false };
    let Some(at) = pdf.get(offset..) else { return false };
    let is_stream = || {
        let head: String = at.iter().take(32).map(|&b| b as char).collect();
        let mut words = head.split_ascii_whitespace();
        let number = |w: Option<&str>| w.is_some_and(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()));
        number(words.next()) && number(words.next()) && words.next().is_some_and(|w| w.starts_with("obj"))
    };
    at.starts_with(b"xref") || is_stream()
}

/// Makes `bytes` evidence: a whole PDF as it is, a JPEG or PNG re-encoded (the widest variant
/// served, the narrowest as its small view), anything else refused naming the file.
fn evidence_of(bytes: Vec<u8>, position: usize, limits: PictureLimits) -> Result<NewEvidence, ServiceError> {
    if bytes.starts_with(b"%PDF-") {
        if !pdf_is_whole(&bytes) {
            return Err(bad_file(position, FileFault::Pdf, None));
        }
        return Ok(NewEvidence {
            kind: EvidenceKind::Pdf,
            file: ("application/pdf".into(), bytes),
            thumb: None,
            size: None,
        });
    }
    let jpeg = bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
    let png = bytes.starts_with(b"\x89PNG\r\n\x1a\n");
    if !jpeg && !png {
        return Err(bad_file(position, FileFault::Type, None));
    }
    let prepared =
        prepare(&bytes, limits).map_err(|why| bad_file(position, FileFault::Image, Some(&why.to_string())))?;
    let mut jpegs: Vec<_> = prepared
        .variants
        .into_iter()
        .filter(|v| v.format == campaign_news::pictures::VariantFormat::Jpeg && v.name.starts_with('w'))
        .collect();
    jpegs.sort_by_key(|v| v.width);
    let widest = jpegs.pop().ok_or_else(|| ServiceError::Broken("a picture without variants".into()))?;
    let thumb = jpegs.into_iter().next().map(|v| ("image/jpeg".to_string(), v.bytes));
    let size = (i32::try_from(widest.width).unwrap_or(i32::MAX), i32::try_from(widest.height).unwrap_or(i32::MAX));
    Ok(NewEvidence { kind: EvidenceKind::Image, file: ("image/jpeg".into(), widest.bytes), thumb, size: Some(size) })
}

/// Records `upload` on campaign `slug` as `actor`: its fields checked first (cheap, before any
/// file is decoded), then each file made evidence one at a time (the pictures' workshop), then
/// all of it kept in one transaction.
pub async fn record(
    state: &AppState,
    slug: String,
    upload: ExpenseUpload,
    actor: StaffUserId,
) -> Result<Expense, ServiceError> {
    let campaign = state.pool.run(move |conn| donations::campaign::find_by_slug(conn, &slug)).await?;
    let new = NewExpense::parse(&upload.form, &campaign, almaty_today())?;
    let limits = PictureLimits { max_pixels: state.settings.limits.picture_max_pixels, ..PictureLimits::default() };
    let mut evidence = Vec::with_capacity(upload.files.len());
    for (i, bytes) in upload.files.into_iter().enumerate() {
        let _turn = state.workshop.turn().await?;
        let made = tokio::task::spawn_blocking(move || evidence_of(bytes, i + 1, limits))
            .await
            .map_err(|e| ServiceError::Broken(e.to_string()))??;
        evidence.push(made);
    }
    let recorded = state.pool.run(move |conn| expense::record(conn, &campaign, &new, &evidence, actor)).await?;
    state.snapshots.invalidate();
    Ok(recorded)
}

/// Reverses expense `id` as `actor` for `reason`.
pub async fn reverse(
    state: &AppState,
    id: ExpenseId,
    reason: String,
    actor: StaffUserId,
) -> Result<Expense, ServiceError> {
    let reversal = state.pool.run(move |conn| expense::reverse(conn, id, &reason, actor, almaty_today())).await?;
    state.snapshots.invalidate();
    Ok(reversal)
}

/// An expense as the report shows it, with its reversal if it was reversed.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The expense.
    pub expense: Expense,
    /// The entry that reversed it.
    pub reversal: Option<Expense>,
}

/// One plan line in the report.
#[derive(Debug, Clone)]
pub struct LineReport {
    /// The line as the plan says it.
    pub line: BudgetLine,
    /// Its money.
    pub money: LineSpending,
    /// Its expenses (reversed ones too, marked), in the order spent.
    pub entries: Vec<Entry>,
    /// The published posts tied to it, newest first.
    pub posts: Vec<TiedPost>,
}

impl LineReport {
    /// The newest post saying the line is done.
    pub fn done_post(&self) -> Option<&TiedPost> {
        self.posts.iter().find(|p| p.marks_done)
    }
}

/// A campaign's report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The campaign.
    pub campaign: Campaign,
    /// Raised, spent, left (`lines` below says them per line).
    pub money: Spending,
    /// In the plan's order.
    pub lines: Vec<LineReport>,
}

/// Whose report: the public's (a draft is not found) or staff's preview (any campaign).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// Anyone.
    Public,
    /// Staff, in the console.
    Staff,
}

/// The report of campaign `slug`.
pub async fn report(state: &AppState, slug: String, reader: Reader) -> Result<Report, ServiceError> {
    state
        .pool
        .run(move |conn| {
            let campaign = match reader {
                Reader::Public => donations::campaign::find_public(conn, &slug)?,
                Reader::Staff => donations::campaign::find_by_slug(conn, &slug)?,
            };
            let raised = donations::totals::of(conn, campaign.id, campaign.spec.currency)?.net_raised;
            report_of(conn, campaign, raised)
        })
        .await
}

/// The report of `campaign` with `raised` net, read on `conn` (the campaign page reads it with
/// the progress it has already read).
pub fn report_of(
    conn: &mut demeu_db::DbConn,
    campaign: Campaign,
    raised: donations::money::Money,
) -> Result<Report, ServiceError> {
    let entries = expense::of_campaign(conn, campaign.id)?;
    let posts = campaign_news::post::tied_posts(conn, campaign.id)?;
    Ok(assemble(campaign, raised, entries, posts)?)
}

/// The report of `campaign` from its net `raised`, every entry of its spending and its tied posts.
fn assemble(
    campaign: Campaign,
    raised: donations::money::Money,
    entries: Vec<Expense>,
    posts: Vec<TiedPost>,
) -> Result<Report, donations::Error> {
    let money = spending(&campaign.spec.plan, raised, entries.iter().map(|e| (e.line.as_str(), e.amount)))?;
    let lines = campaign
        .spec
        .plan
        .lines()
        .iter()
        .zip(&money.lines)
        .map(|(line, line_money)| LineReport {
            line: line.clone(),
            money: line_money.clone(),
            entries: entries
                .iter()
                .filter(|e| e.line == line.key && e.reverses.is_none())
                .map(|e| Entry {
                    expense: e.clone(),
                    reversal: entries.iter().find(|r| r.reverses == Some(e.id)).cloned(),
                })
                .collect(),
            posts: posts.iter().filter(|p| p.line == line.key).cloned().collect(),
        })
        .collect();
    Ok(Report { campaign, money, lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_is_whole_only_with_its_header_and_its_end() {
        let whole = b"%PDF-1.7\n1 0 obj << >> endobj\nxref\n0 1\ntrailer << >>\nstartxref\n30\n%%EOF\n".to_vec();
        assert!(pdf_is_whole(&whole));
        let stream =
            b"%PDF-1.7\n1 0 obj << >> endobj\n7 0 obj << /Type /XRef >> stream\nendstream\nstartxref\n30\n%%EOF"
                .to_vec();
        assert!(pdf_is_whole(&stream), "a cross-reference stream");
        let html = b"%PDF-1.4\n<html><script>alert(1)</script></html>\nstartxref\n0\n%%EOF\n".to_vec();
        assert!(!pdf_is_whole(&html), "only starts like a PDF");
        let beyond = b"%PDF-1.4\nstartxref\n99999\n%%EOF\n".to_vec();
        assert!(!pdf_is_whole(&beyond), "points past its end");
        assert!(!pdf_is_whole(&whole[..whole.len() - 8]), "cut short");
        assert!(!pdf_is_whole(&whole[1..]), "no header");
        assert!(evidence_of(b"GIF89a....".to_vec(), 2, PictureLimits::default()).is_err());
        let pdf = evidence_of(whole, 1, PictureLimits::default()).expect("a PDF");
        assert_eq!((pdf.kind, pdf.file.0.as_str(), pdf.thumb.is_none()), (EvidenceKind::Pdf, "application/pdf", true));
    }
}

//! Spending: what a campaign's money paid for, line by line of its plan, with its evidence.
//!
//! Append-only, as the ledger is: an expense is never edited; a mistake is corrected by a
//! reversing entry (the original's amount negated, with a reason), and the database refuses an
//! UPDATE or DELETE of either table (migration 000022's triggers). Spending beyond a line's
//! allocation is taken only with a reason, kept with the expense and shown. Every entry is
//! audited in its own transaction.

use chrono::NaiveDate;
use demeu_db::locale::{Locale, Texts};
use demeu_db::schema::{campaigns, expense_evidence, expenses};
use demeu_db::text::{has_markup, markup_error};
use demeu_db::DbConn;
use diesel::prelude::*;

use crate::campaign::Campaign;
use crate::ids::{CampaignId, ExpenseId, StaffUserId};
use crate::money::{Currency, Money};
use crate::{Error, FieldError};

demeu_db::stored_enum! {
    /// Who was paid: an organisation is named; a private person is shown only by their role
    /// ("psychologist-coordinator"), never by name.
    pub enum PayeeKind("payee kind") {
        /// A company, a venue, a printer: named publicly.
        Organisation = "organisation",
        /// A private person: `payee` is their role.
        Person = "person",
    }
}

demeu_db::stored_enum! {
    /// What an evidence file is.
    pub enum EvidenceKind("evidence kind") {
        /// A PDF, served as a download under a sandboxing policy.
        Pdf = "pdf",
        /// A photo or scan, re-encoded without its metadata.
        Image = "image",
    }
}

/// A payee's name or role: 1 to this many characters.
pub const MAX_PAYEE_CHARS: usize = 120;
/// A description, per language.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// A reason (for spending beyond the allocation, or for a reversal).
pub const MAX_REASON_CHARS: usize = 500;
/// Evidence files per expense.
pub const MAX_EVIDENCE_FILES: usize = 10;
/// An expense may be at most this many times the campaign's goal: more is a typo of zeros.
pub const GOAL_FACTOR: i64 = 10;
/// No expense is dated before this day.
const FIRST_DAY: (i32, u32, u32) = (2000, 1, 1);

/// An expense as the accountant typed it (the API's multipart form, the console's form).
#[derive(Debug, Clone, Default)]
pub struct ExpenseForm {
    /// The plan line's key.
    pub line: String,
    /// The amount in major units (`12500` or `12500.50`).
    pub amount: String,
    /// The day spent, `YYYY-MM-DD`, in Almaty.
    pub spent_on: String,
    /// An organisation's name, or a person's role.
    pub payee: String,
    /// `organisation` or `person`.
    pub payee_kind: String,
    /// What was bought, per language (the campaign's own required).
    pub descriptions: Texts,
    /// Why the line is spent beyond its allocation (needed only then).
    pub over_budget_reason: String,
}

/// An expense checked against its campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExpense {
    /// The plan line's key.
    pub line: String,
    /// Above zero, in the campaign's currency.
    pub amount: Money,
    /// The day spent.
    pub spent_on: NaiveDate,
    /// The payee's name or role.
    pub payee: String,
    /// Organisation or person.
    pub payee_kind: PayeeKind,
    /// Per language.
    pub descriptions: Texts,
    /// The reason for spending beyond the allocation, if one was given.
    pub over_budget_reason: Option<String>,
}

/// One line of text, trimmed, 1 (or 0 when optional) to `max` characters, without markup.
fn text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize, required: bool) -> String {
    let value = value.trim();
    if required && value.is_empty() {
        errors.push(FieldError::chars_between(field, 1, max));
    } else if value.chars().count() > max {
        errors.push(if required {
            FieldError::chars_between(field, 1, max)
        } else {
            FieldError::at_most_chars(field, max)
        });
    } else if has_markup(value) {
        errors.push(markup_error(field));
    }
    value.to_string()
}

/// The largest expense `campaign` takes.
pub fn ceiling(campaign: &Campaign) -> Money {
    let goal = campaign.spec.plan.goal();
    Money::new(goal.minor.saturating_mul(GOAL_FACTOR), goal.currency)
}

impl NewExpense {
    /// Checks `form` for `campaign` on `today` (Almaty's): every field at fault named at once.
    pub fn parse(form: &ExpenseForm, campaign: &Campaign, today: NaiveDate) -> Result<NewExpense, Error> {
        let mut errors = Vec::new();
        let line = form.line.trim().to_string();
        if !campaign.spec.plan.lines().iter().any(|l| l.key == line) {
            let keys: Vec<&str> = campaign.spec.plan.lines().iter().map(|l| l.key.as_str()).collect();
            errors.push(FieldError::one_of("line", &keys));
        }
        let currency = campaign.spec.currency;
        let max = ceiling(campaign);
        let amount = match Money::from_typed(&form.amount, currency) {
            Ok(Some(amount)) if amount.is_positive() && amount <= max => amount,
            Ok(_) => {
                errors.push(crate::money::amount_out_of_range(Money::new(1, currency), max));
                Money::zero(currency)
            }
            Err(_) => {
                errors.push(
                    FieldError::new("amount", "write the amount in major units, such as 5000 or 5000.50")
                        .translated("error-major-units", Vec::new()),
                );
                Money::zero(currency)
            }
        };
        let first = NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2).unwrap_or(NaiveDate::MIN);
        let spent_on = match NaiveDate::parse_from_str(form.spent_on.trim(), "%Y-%m-%d") {
            Ok(day) if day > today => {
                errors.push(FieldError::new("spent_on", "is in the future").translated("error-future", Vec::new()));
                today
            }
            Ok(day) if day < first => {
                errors.push(
                    FieldError::new("spent_on", "must be a date, such as 2026-12-31")
                        .translated("error-date", Vec::new()),
                );
                today
            }
            Ok(day) => day,
            Err(_) => {
                errors.push(
                    FieldError::new("spent_on", "must be a date, such as 2026-12-31")
                        .translated("error-date", Vec::new()),
                );
                today
            }
        };
        let payee = text(&mut errors, "payee", &form.payee, MAX_PAYEE_CHARS, true);
        let payee_kind = form.payee_kind.trim().parse::<PayeeKind>().unwrap_or_else(|_| {
            errors.push(FieldError::one_of("payee_kind", &["organisation", "person"]));
            PayeeKind::Organisation
        });
        let own = campaign.spec.locale;
        let mut descriptions = Texts::default();
        for &lang in Locale::ALL {
            let field = format!("description_{}", lang.as_str());
            *descriptions.slot_mut(lang) = text(
                &mut errors,
                &field,
                form.descriptions.get(lang).unwrap_or_default(),
                MAX_DESCRIPTION_CHARS,
                false,
            );
        }
        if descriptions.get(own).unwrap_or_default().is_empty() {
            let field = format!("description_{}", own.as_str());
            if !errors.iter().any(|e| e.field == field) {
                errors.push(
                    FieldError::new(&field, format!("is required in the campaign's own language ({})", own.as_str()))
                        .translated("error-in-campaign-language", vec![("lang", own.as_str().to_string())]),
                );
            }
        }
        let reason = text(&mut errors, "over_budget_reason", &form.over_budget_reason, MAX_REASON_CHARS, false);
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        Ok(NewExpense {
            line,
            amount,
            spent_on,
            payee,
            payee_kind,
            descriptions,
            over_budget_reason: Some(reason).filter(|r| !r.is_empty()),
        })
    }
}

/// An evidence file made ready to keep (an image already re-encoded by the caller).
#[derive(Debug, Clone)]
pub struct NewEvidence {
    /// PDF or image.
    pub kind: EvidenceKind,
    /// The file served: its content type and bytes.
    pub file: (String, Vec<u8>),
    /// An image's small view (its content type and bytes).
    pub thumb: Option<(String, Vec<u8>)>,
    /// An image's pixels.
    pub size: Option<(i32, i32)>,
}

/// A kept evidence file.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = expense_evidence)]
pub struct Evidence {
    /// Its expense.
    pub expense_id: ExpenseId,
    /// Its place among the expense's files.
    pub position: i32,
    /// PDF or image.
    pub kind: EvidenceKind,
    /// The SHA-256 of the served file.
    pub file_hash: String,
    /// The SHA-256 of an image's small view.
    pub thumb_hash: Option<String>,
    /// An image's pixels.
    pub width: Option<i32>,
    /// An image's pixels.
    pub height: Option<i32>,
}

/// The extension an evidence file is served under.
fn extension(kind: EvidenceKind) -> &'static str {
    match kind {
        EvidenceKind::Pdf => "pdf",
        EvidenceKind::Image => "jpg",
    }
}

impl Evidence {
    /// Where the file is served (relative to the site): `/evidence/{sha256}.pdf` or `.jpg`.
    pub fn url(&self) -> String {
        format!("/evidence/{}.{}", self.file_hash, extension(self.kind))
    }

    /// Where an image's small view is served.
    pub fn thumb_url(&self) -> Option<String> {
        self.thumb_hash.as_ref().map(|hash| format!("/evidence/{hash}.{}", extension(self.kind)))
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = expenses)]
struct ExpenseRow {
    id: ExpenseId,
    campaign_id: CampaignId,
    line_key: String,
    amount: i64,
    currency: Currency,
    spent_on: String,
    payee: String,
    payee_kind: PayeeKind,
    description_kk: String,
    description_ru: String,
    description_en: String,
    over_budget_reason: Option<String>,
    reverses: Option<ExpenseId>,
    reason: Option<String>,
    created_at: chrono::NaiveDateTime,
    created_by: Option<StaffUserId>,
}

/// An entry of spending: an expense, or the reversal of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expense {
    /// Its id.
    pub id: ExpenseId,
    /// Its campaign.
    pub campaign_id: CampaignId,
    /// The plan line it pays for.
    pub line: String,
    /// Positive; a reversal's negative.
    pub amount: Money,
    /// The day spent (a reversal's: the day it was made).
    pub spent_on: NaiveDate,
    /// The payee's name or role.
    pub payee: String,
    /// Organisation or person.
    pub payee_kind: PayeeKind,
    /// Per language.
    pub descriptions: Texts,
    /// Why its line is spent beyond its allocation, if it was.
    pub over_budget_reason: Option<String>,
    /// The expense this entry reverses.
    pub reverses: Option<ExpenseId>,
    /// Why it was reversed (a reversal's).
    pub reason: Option<String>,
    /// When it was recorded.
    pub created_at: chrono::NaiveDateTime,
    /// Who recorded it.
    pub created_by: Option<StaffUserId>,
    /// Its files, in their order.
    pub evidence: Vec<Evidence>,
}

impl Expense {
    fn from_row(row: ExpenseRow, evidence: Vec<Evidence>) -> Result<Expense, Error> {
        let spent_on = NaiveDate::parse_from_str(&row.spent_on, "%Y-%m-%d")
            .map_err(|e| Error::Corrupt(format!("expense {}'s day `{}`: {e}", row.id, row.spent_on)))?;
        Ok(Expense {
            id: row.id,
            campaign_id: row.campaign_id,
            line: row.line_key,
            amount: Money::new(row.amount, row.currency),
            spent_on,
            payee: row.payee,
            payee_kind: row.payee_kind,
            descriptions: Texts { kk: row.description_kk, ru: row.description_ru, en: row.description_en },
            over_budget_reason: row.over_budget_reason,
            reverses: row.reverses,
            reason: row.reason,
            created_at: row.created_at,
            created_by: row.created_by,
            evidence,
        })
    }
}

/// Takes the campaign's row lock (PostgreSQL; SQLite's write transaction holds the database):
/// two accountants' expenses on one line are checked against its allocation one after the other.
fn lock_campaign(conn: &mut DbConn, id: CampaignId) -> Result<(), Error> {
    if let DbConn::Postgres(pg) = conn {
        campaigns::table.find(id).select(campaigns::id).for_update().first::<String>(pg)?;
    }
    Ok(())
}

/// The sum of the entries on `line` of `campaign`.
fn spent_on_line(conn: &mut DbConn, campaign: &Campaign, line: &str) -> Result<Money, Error> {
    let sum: Option<i64> = expenses::table
        .filter(expenses::campaign_id.eq(campaign.id))
        .filter(expenses::line_key.eq(line))
        .select(diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(
            "CAST(SUM(amount) AS BIGINT)",
        ))
        .first(conn)?;
    Ok(Money::new(sum.unwrap_or(0), campaign.spec.currency))
}

/// What refuses spending beyond `line`'s allocation without a reason.
fn over_budget_error(allocated: Money, spent: Money) -> FieldError {
    let (allocated, spent) = (allocated.to_string(), spent.to_string());
    FieldError::new(
        "over_budget_reason",
        format!("is required: the line has {allocated} allocated and {spent} would be spent"),
    )
    .translated("error-over-budget", vec![("allocated", allocated), ("spent", spent)])
}

/// Keeps `new` with its `evidence` as `actor`: the line's allocation checked (beyond it only with
/// a reason), the files stored, the entry audited, in one transaction.
pub fn record(
    conn: &mut DbConn,
    campaign: &Campaign,
    new: &NewExpense,
    evidence: &[NewEvidence],
    actor: StaffUserId,
) -> Result<Expense, Error> {
    if evidence.len() > MAX_EVIDENCE_FILES {
        return Err(Error::Invalid(vec![FieldError::new(
            "evidence",
            format!("must be at most {MAX_EVIDENCE_FILES} files"),
        )]));
    }
    let id = ExpenseId::new();
    conn.write_transaction(|conn| {
        lock_campaign(conn, campaign.id)?;
        let raised = crate::totals::of(conn, campaign.id, campaign.spec.currency)?.net_raised;
        let allocation = crate::allocation::allocate(&campaign.spec.plan, raised);
        let allocated = allocation
            .lines
            .iter()
            .find(|l| l.key == new.line)
            .map(|l| l.funded)
            .ok_or_else(|| Error::Invalid(vec![FieldError::new("line", "is not a line of the plan")]))?;
        let spent = spent_on_line(conn, campaign, &new.line)?.checked_add(new.amount)?;
        if spent > allocated && new.over_budget_reason.is_none() {
            return Err(Error::Invalid(vec![over_budget_error(allocated, spent)]));
        }
        let now = demeu_db::now();
        diesel::insert_into(expenses::table)
            .values((
                expenses::id.eq(id),
                expenses::campaign_id.eq(campaign.id),
                expenses::line_key.eq(&new.line),
                expenses::amount.eq(new.amount.minor),
                expenses::currency.eq(new.amount.currency),
                expenses::spent_on.eq(new.spent_on.format("%Y-%m-%d").to_string()),
                expenses::payee.eq(&new.payee),
                expenses::payee_kind.eq(new.payee_kind),
                expenses::description_kk.eq(&new.descriptions.kk),
                expenses::description_ru.eq(&new.descriptions.ru),
                expenses::description_en.eq(&new.descriptions.en),
                expenses::over_budget_reason.eq(&new.over_budget_reason),
                expenses::created_at.eq(now),
                expenses::created_by.eq(actor),
            ))
            .execute(conn)?;
        let mut hashes = Vec::new();
        for (position, file) in evidence.iter().enumerate() {
            let file_hash = demeu_db::files::put(conn, &file.file.0, &file.file.1)?;
            let thumb_hash =
                file.thumb.as_ref().map(|(ct, bytes)| demeu_db::files::put(conn, ct, bytes)).transpose()?;
            diesel::insert_into(expense_evidence::table)
                .values((
                    expense_evidence::expense_id.eq(id),
                    expense_evidence::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
                    expense_evidence::kind.eq(file.kind),
                    expense_evidence::file_hash.eq(&file_hash),
                    expense_evidence::thumb_hash.eq(&thumb_hash),
                    expense_evidence::width.eq(file.size.map(|s| s.0)),
                    expense_evidence::height.eq(file.size.map(|s| s.1)),
                ))
                .execute(conn)?;
            hashes.push(file_hash);
        }
        demeu_db::audit::record(
            conn,
            Some(actor),
            "expense.record",
            &id.to_string(),
            &serde_json::json!({
                "campaign": campaign.spec.slug,
                "line": new.line,
                "amount": new.amount.minor,
                "currency": new.amount.currency.code(),
                "spent_on": new.spent_on.to_string(),
                "payee": new.payee,
                "payee_kind": new.payee_kind.as_str(),
                "over_budget_reason": new.over_budget_reason,
                "evidence": hashes,
            }),
        )?;
        find(conn, id)
    })
}

/// Reverses expense `id` as `actor` for `reason`, on `today`: a new entry of the negated amount
/// on the same line. An expense is reversed once; a reversal is not reversed (record the expense
/// again instead).
pub fn reverse(
    conn: &mut DbConn,
    id: ExpenseId,
    reason: &str,
    actor: StaffUserId,
    today: NaiveDate,
) -> Result<Expense, Error> {
    let mut errors = Vec::new();
    let reason = text(&mut errors, "reason", reason, MAX_REASON_CHARS, true);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    conn.write_transaction(|conn| {
        let original = find(conn, id)?;
        lock_campaign(conn, original.campaign_id)?;
        if original.reverses.is_some() {
            return Err(Error::Conflict("this entry is a reversal: record the expense again instead".into()));
        }
        let reversed: i64 = expenses::table.filter(expenses::reverses.eq(id)).count().get_result(conn)?;
        if reversed > 0 {
            return Err(Error::Conflict("this expense is reversed already".into()));
        }
        let reversal = ExpenseId::new();
        let amount = original.amount.checked_neg()?;
        diesel::insert_into(expenses::table)
            .values((
                expenses::id.eq(reversal),
                expenses::campaign_id.eq(original.campaign_id),
                expenses::line_key.eq(&original.line),
                expenses::amount.eq(amount.minor),
                expenses::currency.eq(amount.currency),
                expenses::spent_on.eq(today.format("%Y-%m-%d").to_string()),
                expenses::payee.eq(&original.payee),
                expenses::payee_kind.eq(original.payee_kind),
                expenses::description_kk.eq(&original.descriptions.kk),
                expenses::description_ru.eq(&original.descriptions.ru),
                expenses::description_en.eq(&original.descriptions.en),
                expenses::reverses.eq(id),
                expenses::reason.eq(&reason),
                expenses::created_at.eq(demeu_db::now()),
                expenses::created_by.eq(actor),
            ))
            .execute(conn)
            .map_err(|e| match e {
                // Two reversals at once: the unique `reverses` lets one in.
                diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                    Error::Conflict("this expense is reversed already".into())
                }
                other => Error::from(other),
            })?;
        demeu_db::audit::record(
            conn,
            Some(actor),
            "expense.reverse",
            &reversal.to_string(),
            &serde_json::json!({ "reverses": id.to_string(), "amount": amount.minor, "reason": reason }),
        )?;
        find(conn, reversal)
    })
}

/// The entry `id` with its evidence.
pub fn find(conn: &mut DbConn, id: ExpenseId) -> Result<Expense, Error> {
    let row: ExpenseRow = expenses::table
        .find(id)
        .select(ExpenseRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("expense"))?;
    let evidence = expense_evidence::table
        .filter(expense_evidence::expense_id.eq(id))
        .order(expense_evidence::position.asc())
        .select(Evidence::as_select())
        .load(conn)?;
    Expense::from_row(row, evidence)
}

/// Every entry of `campaign_id`, in the order spent (then recorded).
pub fn of_campaign(conn: &mut DbConn, campaign_id: CampaignId) -> Result<Vec<Expense>, Error> {
    let rows: Vec<ExpenseRow> = expenses::table
        .filter(expenses::campaign_id.eq(campaign_id))
        .order((expenses::spent_on.asc(), expenses::created_at.asc(), expenses::id.asc()))
        .select(ExpenseRow::as_select())
        .load(conn)?;
    let ids: Vec<ExpenseId> = rows.iter().map(|r| r.id).collect();
    let mut evidence: Vec<Evidence> = expense_evidence::table
        .filter(expense_evidence::expense_id.eq_any(&ids))
        .order((expense_evidence::expense_id.asc(), expense_evidence::position.asc()))
        .select(Evidence::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let (mine, rest): (Vec<Evidence>, Vec<Evidence>) =
                std::mem::take(&mut evidence).into_iter().partition(|e| e.expense_id == row.id);
            evidence = rest;
            Expense::from_row(row, mine)
        })
        .collect()
}

/// The keys of the lines `campaign_id` has entries on.
pub fn spent_lines(conn: &mut DbConn, campaign_id: CampaignId) -> Result<Vec<String>, Error> {
    Ok(expenses::table
        .filter(expenses::campaign_id.eq(campaign_id))
        .select(expenses::line_key)
        .distinct()
        .order(expenses::line_key.asc())
        .load(conn)?)
}

/// Whether `hash` is an evidence file (or an image's small view) of some expense.
pub fn is_evidence(conn: &mut DbConn, hash: &str) -> Result<bool, Error> {
    let used: i64 = expense_evidence::table
        .filter(expense_evidence::file_hash.eq(hash).or(expense_evidence::thumb_hash.eq(hash)))
        .count()
        .get_result(conn)?;
    Ok(used > 0)
}

/// What `campaign` spent per day (reversals on the day they were made), oldest first.
pub fn spent_per_day(conn: &mut DbConn, campaign: &Campaign) -> Result<Vec<(NaiveDate, Money)>, Error> {
    let rows: Vec<(String, Option<i64>)> = expenses::table
        .filter(expenses::campaign_id.eq(campaign.id))
        .group_by(expenses::spent_on)
        .select((
            expenses::spent_on,
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>("CAST(SUM(amount) AS BIGINT)"),
        ))
        .order(expenses::spent_on.asc())
        .load(conn)?;
    rows.into_iter()
        .map(|(day, sum)| {
            let day = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                .map_err(|e| Error::Corrupt(format!("an expense's day `{day}`: {e}")))?;
            Ok((day, Money::new(sum.unwrap_or(0), campaign.spec.currency)))
        })
        .collect()
}

/// One thing about a campaign's spending that does not add up (reconciliation's).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SpendingDifference {
    /// The entry (or the line) at fault.
    pub subject: String,
    /// What is wrong, in English.
    pub what: String,
    /// The same as a stable code, for the reader's language: `other-currency`, `no-such-line`,
    /// `not-above-zero`, `stranger`, `reverses-a-reversal`, `not-a-mirror`, `below-zero`.
    pub code: &'static str,
}

/// What in `entries` (a campaign's, every one) disagrees with the rules the code keeps: a
/// reversal that does not mirror its original on its line, a reversal reversed, an expense not
/// above zero, another currency than the plan's, a line the plan lacks, a line spent below zero.
/// Nothing, when the rows were written by this module; a hand-edited row shows here.
pub fn differences(entries: &[Expense], plan: &crate::plan::FundingPlan) -> Vec<SpendingDifference> {
    let mut found = Vec::new();
    let mut say = |subject: String, code: &'static str, what: &str| {
        found.push(SpendingDifference { subject, what: what.to_string(), code })
    };
    for entry in entries {
        let id = entry.id.to_string();
        if entry.amount.currency != plan.currency() {
            say(id.clone(), "other-currency", "is in another currency than the campaign's");
        }
        if !plan.lines().iter().any(|l| l.key == entry.line) {
            say(id.clone(), "no-such-line", "is on a line the plan does not have");
        }
        match entry.reverses {
            None if !entry.amount.is_positive() => say(id, "not-above-zero", "is an expense not above zero"),
            None => {}
            Some(original) => match entries.iter().find(|e| e.id == original) {
                None => say(id, "stranger", "reverses an entry that is not this campaign's"),
                Some(o) if o.reverses.is_some() => say(id, "reverses-a-reversal", "reverses a reversal"),
                Some(o) if o.line != entry.line || o.amount.checked_neg().ok() != Some(entry.amount) => {
                    say(id, "not-a-mirror", "does not mirror the expense it reverses")
                }
                Some(_) => {}
            },
        }
    }
    for line in plan.lines() {
        let spent: i128 = entries.iter().filter(|e| e.line == line.key).map(|e| i128::from(e.amount.minor)).sum();
        if spent < 0 {
            say(line.key.clone(), "below-zero", "is spent below zero");
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ExpenseForm {
        ExpenseForm {
            line: "summer-school".into(),
            amount: "125000".into(),
            spent_on: "2026-06-14".into(),
            payee: "Hotel Almaty".into(),
            payee_kind: "organisation".into(),
            descriptions: Texts { ru: "Зал на два дня".into(), ..Texts::default() },
            over_budget_reason: String::new(),
        }
    }

    fn mentors() -> Campaign {
        let example = crate::campaign::tests::example();
        let spec = crate::campaign::CampaignSpec { plan: crate::plan::tests::mentors(), ..example.spec.clone() };
        Campaign { spec, ..example }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 7, 1).expect("a day")
    }

    fn fields(result: Result<NewExpense, Error>) -> Vec<String> {
        match result {
            Err(Error::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn entry(line: &str, minor: i64, reverses: Option<ExpenseId>) -> Expense {
        Expense {
            id: ExpenseId::new(),
            campaign_id: mentors().id,
            line: line.into(),
            amount: Money::new(minor, Currency::Kzt),
            spent_on: today(),
            payee: "Hotel".into(),
            payee_kind: PayeeKind::Organisation,
            descriptions: Texts::default(),
            over_budget_reason: None,
            reverses,
            reason: None,
            created_at: chrono::NaiveDateTime::default(),
            created_by: None,
            evidence: Vec::new(),
        }
    }

    #[test]
    fn reconciliation_names_each_entry_that_breaks_a_rule() {
        let plan = crate::plan::tests::mentors();
        let expense = entry("summer-school", 100, None);
        let reversal = entry("summer-school", -100, Some(expense.id));
        assert_eq!(differences(&[expense.clone(), reversal.clone()], &plan), Vec::new());
        let skewed = entry("psychologists", -90, Some(expense.id));
        let twice = entry("summer-school", 100, Some(reversal.id));
        let stranger = entry("summer-school", -5, Some(ExpenseId::new()));
        let zero = entry("yacht", 0, None);
        let found = differences(
            &[expense.clone(), reversal, skewed.clone(), twice.clone(), stranger.clone(), zero.clone()],
            &plan,
        );
        let said: Vec<(String, &str)> = found.iter().map(|d| (d.subject.clone(), d.what.as_str())).collect();
        assert_eq!(
            said,
            vec![
                (skewed.id.to_string(), "does not mirror the expense it reverses"),
                (twice.id.to_string(), "reverses a reversal"),
                (stranger.id.to_string(), "reverses an entry that is not this campaign's"),
                (zero.id.to_string(), "is on a line the plan does not have"),
                (zero.id.to_string(), "is an expense not above zero"),
                ("psychologists".to_string(), "is spent below zero"),
            ]
        );
    }

    #[test]
    fn a_good_expense_is_read_exactly() {
        let campaign = mentors();
        let new = NewExpense::parse(&form(), &campaign, today()).expect("valid");
        assert_eq!(new.amount, Money::new(12_500_000, Currency::Kzt));
        assert_eq!(new.spent_on.to_string(), "2026-06-14");
        assert_eq!(new.payee_kind, PayeeKind::Organisation);
        assert_eq!(new.over_budget_reason, None);
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let campaign = mentors();
        let bad = ExpenseForm {
            line: "yacht".into(),
            amount: "0".into(),
            spent_on: "2026-07-02".into(),
            payee: "<b>Hotel</b>".into(),
            payee_kind: "friend".into(),
            descriptions: Texts { ru: String::new(), en: "x".repeat(501), kk: "<script>".into() },
            over_budget_reason: String::new(),
        };
        assert_eq!(
            fields(NewExpense::parse(&bad, &campaign, today())),
            ["line", "amount", "spent_on", "payee", "payee_kind", "description_kk", "description_en", "description_ru"]
        );
    }

    #[test]
    fn an_absurd_amount_or_a_day_before_2000_is_refused() {
        let campaign = mentors();
        let too_much = ExpenseForm { amount: "5250000.01".into(), ..form() };
        assert_eq!(fields(NewExpense::parse(&too_much, &campaign, today())), ["amount"]);
        let ten_times = ExpenseForm { amount: "5250000".into(), ..form() };
        assert!(NewExpense::parse(&ten_times, &campaign, today()).is_ok());
        for (typed, minor) in [("125 000", 12_500_000), ("125\u{a0}000,50 ₸", 12_500_050), ("12,5", 1_250)] {
            let form = ExpenseForm { amount: typed.into(), ..form() };
            assert_eq!(
                NewExpense::parse(&form, &campaign, today()).map(|e| e.amount.minor).ok(),
                Some(minor),
                "{typed}"
            );
        }
        for amount in ["-5", "1e9", "12,555", "1.2.3"] {
            assert_eq!(
                fields(NewExpense::parse(&ExpenseForm { amount: amount.into(), ..form() }, &campaign, today())),
                ["amount"]
            );
        }
        for day in ["1999-12-31", "14.06.2026", "2026-02-30"] {
            let form = ExpenseForm { spent_on: day.into(), ..form() };
            assert_eq!(fields(NewExpense::parse(&form, &campaign, today())), ["spent_on"], "{day}");
        }
    }
}

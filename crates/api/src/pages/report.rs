//! `/campaigns/{slug}/report`: where a campaign's money went, for anyone, in kk/ru/en. Per plan
//! line: what the money raised allocates to it, what was spent, what is left (spending beyond
//! the allocation marked, with its reason), each expense with its evidence (a reversed one struck
//! through, with why), and the posts tied to the line; the campaign's raised, spent and left;
//! the open ledger and the form that checks a gift by its receipt code. The console shows the
//! same markup as its preview (`report_body`), and the campaign page its summary (`summary`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use donations::expense::{EvidenceKind, PayeeKind};
use donations::money::Money;
use donations::plan::Tier;
use maud::{html, Markup};

use super::layout::{document, respond, Caching, Frame};
use crate::format::money;
use crate::i18n::{chosen, Lang, Tr};
use crate::problem::ApiError;
use crate::services::expenses::{self, Entry, LineReport, Reader, Report};
use crate::state::AppState;

/// A day as the report writes it.
fn day(d: chrono::NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// Raised, spent and left, as a list of terms.
fn totals(tr: &Tr, report: &Report) -> Markup {
    let m = |amount: Money| money(tr.lang, amount);
    html! {
        dl.totals {
            div { dt { (tr.t("report-raised")) } dd { (m(report.money.raised)) } }
            div { dt { (tr.t("report-spent")) } dd { (m(report.money.spent)) } }
            div { dt { (tr.t("report-left")) } dd { (m(report.money.left)) } }
        }
    }
}

/// Who was paid, as the public may read it: an organisation's name; a private person's role,
/// said to be one.
fn payee(tr: &Tr, entry: &donations::expense::Expense) -> Markup {
    html! {
        (entry.payee)
        @if entry.payee_kind == PayeeKind::Person { " " span.help { "(" (tr.t("report-payee-person")) ")" } }
    }
}

fn evidence(tr: &Tr, entry: &donations::expense::Expense) -> Markup {
    html! {
        @for (i, file) in entry.evidence.iter().enumerate() {
            @let label = tr.t_with("report-evidence-file", &[("n", (i + 1).into()), ("payee", entry.payee.clone().into())]);
            @match file.kind {
                EvidenceKind::Image => {
                    a.evidence href=(file.url()) {
                        img src=(file.thumb_url().unwrap_or_else(|| file.url())) alt=(label) loading="lazy"
                            width="120" height=[file.width.zip(file.height).map(|(w, h)| (120 * i64::from(h) / i64::from(w.max(1))).max(1))];
                    }
                }
                EvidenceKind::Pdf => {
                    a.evidence href=(file.url()) download { (label) " (PDF)" }
                }
            }
            " "
        }
    }
}

fn expense_row(tr: &Tr, entry: &Entry, reverse_form: Option<&dyn Fn(&Entry) -> Markup>) -> Markup {
    let e = &entry.expense;
    let amount = money(tr.lang, e.amount);
    let own = tr.lang.locale();
    html! {
        tr data-expense=(e.id) {
            td data-label=(tr.t("report-date")) { (day(e.spent_on)) }
            td data-label=(tr.t("report-payee")) { (payee(tr, e)) }
            td data-label=(tr.t("report-description")) {
                (e.descriptions.shown(own, own))
                @if let Some(reason) = &e.over_budget_reason {
                    br; span.help { (tr.t("report-over-budget-reason")) ": " (reason) }
                }
                @if let Some(r) = &entry.reversal {
                    br; strong { (tr.t_with("report-reversed", &[("day", day(r.spent_on).into())])) } ": " (r.reason.clone().unwrap_or_default())
                }
            }
            td data-label=(tr.t("report-amount")) {
                @if entry.reversal.is_some() { del { (amount) } } @else { (amount) }
            }
            td data-label=(tr.t("report-evidence")) {
                (evidence(tr, e))
                @if let (Some(form), None) = (reverse_form, &entry.reversal) { (form(entry)) }
            }
        }
    }
}

/// One plan line: its money, its expenses, its posts.
fn line_section(
    tr: &Tr,
    report: &Report,
    line: &LineReport,
    reverse_form: Option<&dyn Fn(&Entry) -> Markup>,
) -> Markup {
    let spec = &report.campaign.spec;
    let m = |amount: Money| money(tr.lang, amount);
    let title = line.line.titles.shown(tr.lang.locale(), spec.locale);
    let id = format!("line-{}", line.line.key);
    html! {
        section.card aria-labelledby=(id) data-line=(line.line.key) {
            h2 #(id) { (title) }
            p.help { (tr.t(if line.line.tier == Tier::Goal { "plan-goal" } else { "plan-overflow" })) }
            dl.totals {
                div { dt { (tr.t("report-allocated")) } dd { (m(line.money.allocated)) } }
                div { dt { (tr.t("report-spent")) } dd { (m(line.money.spent)) } }
                div { dt { (tr.t("report-left")) } dd { (m(line.money.left)) } }
            }
            @if line.money.over_budget { p.notice { (tr.t("report-over-budget")) } }
            @if let Some(done) = line.done_post() {
                p.done { (tr.t("line-done")) " " a href={ "/campaigns/" (spec.slug) "/news/" (done.slug) } { (done.title) } }
            }
            @let others: Vec<_> = line.posts.iter().filter(|p| Some(*p) != line.done_post()).collect();
            @if !others.is_empty() {
                p { (tr.t("report-posts")) ": "
                    @for (i, post) in others.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href={ "/campaigns/" (spec.slug) "/news/" (post.slug) } { (post.title) }
                    }
                }
            }
            @if line.entries.is_empty() {
                p.help { (tr.t("report-nothing-spent-line")) }
            } @else {
                table.list {
                    caption { (tr.t("report-expenses")) }
                    thead { tr {
                        th scope="col" { (tr.t("report-date")) }
                        th scope="col" { (tr.t("report-payee")) }
                        th scope="col" { (tr.t("report-description")) }
                        th scope="col" { (tr.t("report-amount")) }
                        th scope="col" { (tr.t("report-evidence")) }
                    } }
                    tbody { @for entry in &line.entries { (expense_row(tr, entry, reverse_form)) } }
                }
            }
        }
    }
}

/// The report's body: its totals and every line (`reverse_form`: the console's button under each
/// standing expense).
pub fn report_body(tr: &Tr, report: &Report, reverse_form: Option<&dyn Fn(&Entry) -> Markup>) -> Markup {
    html! {
        (totals(tr, report))
        @for line in &report.lines { (line_section(tr, report, line, reverse_form)) }
    }
}

/// The campaign page's section: raised, spent, left, the lines spent on, and the way to the
/// report.
pub fn summary(tr: &Tr, report: &Report) -> Markup {
    let spec = &report.campaign.spec;
    let m = |amount: Money| money(tr.lang, amount);
    html! {
        section.card aria-labelledby="spending" {
            h2 #spending { (tr.t("report-heading")) }
            (totals(tr, report))
            @if report.lines.iter().all(|l| l.entries.is_empty()) {
                p.help { (tr.t("report-nothing-spent")) }
            } @else {
                ul.plan {
                    @for line in report.lines.iter().filter(|l| !l.entries.is_empty()) {
                        li {
                            strong { (line.line.titles.shown(tr.lang.locale(), spec.locale)) }
                            " · " (tr.t_with("report-line-spent", &[("spent", m(line.money.spent).into()), ("allocated", m(line.money.allocated).into())]))
                        }
                    }
                }
            }
            p { a href={ "/campaigns/" (spec.slug) "/report?lang=" (tr.lang.code()) } { (tr.t("report-open")) } }
        }
    }
}

/// `GET /campaigns/{slug}/report`.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let report = expenses::report(&state, slug.into_inner(), Reader::Public).await?;
    let spec = &report.campaign.spec;
    let tr = Tr::new(Lang::negotiate(&req, Lang::of(spec.locale)));
    let name = report.campaign.title(tr.lang.locale()).to_string();
    let title = tr.t_with("report-title", &[("campaign", name.clone().into())]);
    let ledger = format!("/api/v1/campaigns/{}/ledger", spec.slug);
    let main = html! {
        p { a href={ "/campaigns/" (spec.slug) "?lang=" (tr.lang.code()) } { "← " (name) } }
        h1 { (title) }
        p { (tr.t("report-intro")) }
        (report_body(&tr, &report, None))
        section.card aria-labelledby="ledger" {
            h2 #ledger { (tr.t("report-ledger")) }
            p { (tr.t("report-ledger-note")) }
            p { a href=(ledger) { "JSON" } " · " a href={ (ledger) ".csv" } { "CSV" } }
        }
        section.card aria-labelledby="check" {
            h2 #check { (tr.t("report-check")) }
            (super::receipts::form(tr, "", None))
        }
    };
    let site = state.snapshots.site(&state.pool).await?;
    let path = format!("/campaigns/{}/report", spec.slug);
    let frame = Frame { site: Some(&site), ..Frame::new(tr, &title, &path) };
    Ok(respond(StatusCode::OK, document(&frame, main), Caching::Public, chosen(&req), None))
}

//! Spending (issue 26): the accountant records expenses against the plan's lines with their
//! evidence and reverses a mistake; the report, the open ledger and reconciliation say the same
//! sums; evidence is served with the right headers and without metadata; bad input is refused
//! by name with nothing stored.

use demeu_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, count, multipart, phone_photo, spawn_app, whole_pdf, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    an_expense_with_evidence_shows_in_the_report_the_ledger_and_the_books,
    a_mistake_is_reversed_never_edited_and_spending_beyond_a_line_needs_a_reason,
    every_bad_expense_is_refused_by_name_and_nothing_is_stored,
    gifts_refunds_expenses_and_reversals_keep_report_ledger_and_progress_together,
    the_report_page_the_campaign_section_and_the_console_say_it_in_each_language,
);

const BOUNDARY: &str = "demeu-expense-boundary-Zk3pQ";

/// A field set to a value, or dropped (`None`).
type Change = (&'static str, Option<&'static str>);

/// An expense's text fields as the accountant fills them, with `changes` applied (a `None`
/// drops the field).
fn fields(changes: &[Change]) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, Option<String>)> = vec![
        ("line", Some("summer-school".into())),
        ("amount", Some("125000".into())),
        ("spent_on", Some("2026-06-14".into())),
        ("payee", Some("Отель «Алматы»".into())),
        ("payee_kind", Some("organisation".into())),
        ("description_ru", Some("Зал и питание на два дня Школы".into())),
        ("description_kk", Some("Мектептің екі күнгі залы мен тамағы".into())),
        ("description_en", Some("Hall and meals for the School's two days".into())),
    ];
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.map(str::to_string),
            None => fields.push((name, value.map(str::to_string))),
        }
    }
    fields.into_iter().filter_map(|(n, v)| v.map(|v| (n, v))).collect()
}

/// Sends an expense: `fields` and the `files` as `evidence`.
async fn record(app: &TestApp, token: &str, fields: &[(&str, String)], files: &[&[u8]]) -> reqwest::Response {
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = fields.iter().map(|(n, v)| (*n, None, v.as_bytes())).collect();
    for file in files {
        parts.push(("evidence", Some("scan"), file));
    }
    app.client
        .post(app.url("/api/v1/staff/campaigns/mentors/expenses"))
        .bearer_auth(token)
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart(BOUNDARY, &parts))
        .send()
        .await
        .expect("sent")
}

async fn recorded(app: &TestApp, token: &str, fields: &[(&str, String)], files: &[&[u8]]) -> Value {
    let res = record(app, token, fields, files).await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    res.json().await.expect("JSON")
}

async fn paid(app: &TestApp, amount: i64) -> String {
    app.paid_pledge(json!({"amount": amount, "email": "giver@example.kz", "donor_name": "Айгерим"})).await
}

/// Asserts a problem answer of `status` naming `field` first.
async fn refused(res: reqwest::Response, status: u16, field: &str) {
    let problem = assert_problem(res, status).await;
    assert_eq!(problem["errors"][0]["field"], field, "{problem}");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn line<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["lines"].as_array().expect("lines").iter().find(|l| l["key"] == key).expect("the line")
}

async fn an_expense_with_evidence_shows_in_the_report_the_ledger_and_the_books(backend: Backend) {
    let app = spawn_app(backend).await;
    paid(&app, 15_000_000).await;
    paid(&app, 5_000_000).await;
    let accountant = app.staff_token(Role::Accountant).await;
    // The same photo as the campaign's gallery picture, then as evidence: removing the picture
    // must leave the evidence's bytes (the same bytes are kept once).
    let photo = phone_photo(600, 400);
    let editor = app.staff_token(Role::Editor).await;
    let gallery = multipart(
        BOUNDARY,
        &[("role", None, b"gallery"), ("alt_ru", None, "Чек".as_bytes()), ("file", Some("a.jpg"), &photo)],
    );
    let res = app
        .client
        .post(app.url("/api/v1/staff/campaigns/mentors/images"))
        .bearer_auth(&editor)
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(gallery)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 201);
    let picture: Value = res.json().await.expect("JSON");

    let pdf = whole_pdf();
    let expense = recorded(&app, &accountant, &fields(&[]), &[&photo, &pdf]).await;
    assert_eq!((expense["amount"].as_i64(), expense["line"].as_str()), (Some(12_500_000), Some("summer-school")));
    let evidence = expense["evidence"].as_array().expect("evidence");
    assert_eq!(evidence.len(), 2);
    assert_eq!((evidence[0]["kind"].as_str(), evidence[1]["kind"].as_str()), (Some("image"), Some("pdf")));
    let removed =
        app.delete_as(&editor, &format!("/api/v1/staff/images/{}", picture["id"].as_str().expect("id"))).await;
    assert_eq!(removed.status(), 204, "the picture goes, the evidence stays");

    // The photo: re-encoded, no EXIF, no GPS; sandboxed, kept a year.
    for url in [evidence[0]["url"].as_str().expect("url"), evidence[0]["thumb_url"].as_str().unwrap_or("")] {
        if url.is_empty() {
            continue;
        }
        let res = app.get(url).await;
        assert_eq!(res.status(), 200, "{url}");
        let headers = res.headers().clone();
        assert_eq!(headers["content-type"], "image/jpeg");
        assert_eq!(headers["content-security-policy"], "sandbox; default-src 'none'");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers["cache-control"].to_str().expect("ascii").contains("immutable"));
        let bytes = res.bytes().await.expect("bytes");
        assert!(!contains(&bytes, b"GPS") && !contains(&bytes, b"Exif"), "{url} carries no metadata");
        assert!(image::load_from_memory(&bytes).is_ok(), "{url} is an image");
    }
    // The PDF: as sent, a download, sandboxed.
    let res = app.get(evidence[1]["url"].as_str().expect("url")).await;
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(headers["content-disposition"].to_str().expect("ascii").starts_with("attachment; filename=\"evidence-"));
    assert_eq!(headers["content-security-policy"], "sandbox; default-src 'none'");
    assert_eq!(res.bytes().await.expect("bytes").as_ref(), pdf.as_slice());
    // A hash that is no evidence (a picture's variant, a made-up one) is not served here.
    assert_eq!(app.get(&format!("/evidence/{}.pdf", "ab".repeat(32))).await.status(), 404);
    let pdf_url = evidence[1]["url"].as_str().expect("url");
    assert_eq!(app.get(&pdf_url.replace(".pdf", ".jpg")).await.status(), 404, "a PDF is never served as an image");

    // The report, in Kazakh.
    let report: Value = app.get_json("/api/v1/campaigns/mentors/report?lang=kk").await;
    assert_eq!((report["raised"].as_i64(), report["spent"].as_i64()), (Some(20_000_000), Some(12_500_000)), "{report}");
    assert_eq!(report["left"], 7_500_000);
    assert_eq!(report["currency"], "KZT");
    let school = line(&report, "summer-school");
    assert_eq!((school["allocated"].as_i64(), school["spent"].as_i64()), (Some(20_000_000), Some(12_500_000)));
    assert_eq!((school["left"].as_i64(), school["over_budget"].as_bool()), (Some(7_500_000), Some(false)));
    let listed = &school["expenses"][0];
    assert_eq!(listed["description"], "Мектептің екі күнгі залы мен тамағы");
    assert_eq!((listed["payee"].as_str(), listed["reversed"].as_bool()), (Some("Отель «Алматы»"), Some(false)));
    assert_eq!(listed["evidence"].as_array().map(Vec::len), Some(2));
    assert_eq!(line(&report, "psychologists")["spent"], 0);
    let english: Value = app.get_json("/api/v1/campaigns/mentors/report?lang=en").await;
    assert_eq!(
        line(&english, "summer-school")["expenses"][0]["description"],
        "Hall and meals for the School's two days"
    );

    // The open ledger spends it on its day; the books reconcile; the audit log has it.
    let ledger: Value = app.get_json("/api/v1/campaigns/mentors/ledger").await;
    let day = ledger["days"].as_array().expect("days").iter().find(|d| d["day"] == "2026-06-14").cloned();
    assert_eq!(day.map(|d| (d["spent"].as_i64(), d["gifts"].as_i64())), Some((Some(12_500_000), Some(0))), "{ledger}");
    assert_eq!(ledger["totals"]["spent"], 12_500_000);
    assert_eq!(ledger["totals"]["net"], report["raised"]);
    let csv = app.get("/api/v1/campaigns/mentors/ledger.csv").await.text().await.expect("csv");
    assert!(csv.contains("2026-06-14,0,0.00,0.00,0.00,125000.00,KZT"), "{csv}");
    app.assert_reconciled().await;
    assert!(app.audit_actions().await.contains(&"expense.record".to_string()));
    let audited = app.text("SELECT details AS v FROM audit_log WHERE action = 'expense.record'").await;
    assert!(audited.contains("\"amount\":12500000") && audited.contains("summer-school"), "{audited}");

    // Only an accountant (or admin) records; the public does not.
    assert_eq!(record(&app, &editor, &fields(&[]), &[]).await.status(), 403);
    assert_eq!(
        app.client.post(app.url("/api/v1/staff/campaigns/mentors/expenses")).send().await.expect("sent").status(),
        401
    );
}

async fn a_mistake_is_reversed_never_edited_and_spending_beyond_a_line_needs_a_reason(backend: Backend) {
    let app = spawn_app(backend).await;
    paid(&app, 25_000_000).await;
    let accountant = app.staff_token(Role::Accountant).await;
    // Found from outside: the amount as an accountant in Almaty types it, grouped, with a comma.
    let wrong = recorded(&app, &accountant, &fields(&[("amount", Some("150\u{a0}000,00 ₸"))]), &[]).await;
    assert_eq!(wrong["amount"], 15_000_000);
    let id = wrong["id"].as_str().expect("id");

    // The psychologists' line holds 25 000 ₸ of the 250 000 raised: 30 000 ₸ more needs a reason.
    let person = [
        ("line", Some("psychologists")),
        ("amount", Some("30000")),
        ("payee", Some("психолог-координатор")),
        ("payee_kind", Some("person")),
    ];
    let res = record(&app, &accountant, &fields(&person), &[]).await;
    refused(res, 422, "over_budget_reason").await;
    assert_eq!(count(&app, "expenses").await, 1, "nothing stored");
    let mut with_reason = person.to_vec();
    with_reason.push(("over_budget_reason", Some("Сессии в июне: оплата по договору до конца месяца")));
    let over = recorded(&app, &accountant, &fields(&with_reason), &[]).await;
    assert_eq!(over["payee_kind"], "person");

    // The mistake is reversed with a reason: a new entry, the first untouched.
    let path = format!("/api/v1/staff/expenses/{id}/reverse");
    refused(app.post_as(&accountant, &path, &json!({"reason": " "})).await, 422, "reason").await;
    refused(app.post_as(&accountant, &path, &json!({"reason": "<i>typo</i>"})).await, 422, "reason").await;
    let res = app.post_as(&accountant, &path, &json!({"reason": "Сумма введена с ошибкой: счёт на 125 000 ₸"})).await;
    assert_eq!(res.status(), 201);
    let reversal: Value = res.json().await.expect("JSON");
    assert_eq!((reversal["amount"].as_i64(), reversal["reverses"].as_str()), (Some(-15_000_000), Some(id)));
    assert_eq!(app.post_as(&accountant, &path, &json!({"reason": "again"})).await.status(), 409, "once");
    let back = format!("/api/v1/staff/expenses/{}/reverse", reversal["id"].as_str().expect("id"));
    assert_eq!(app.post_as(&accountant, &back, &json!({"reason": "undo"})).await.status(), 409, "a reversal is final");
    let editor = app.staff_token(Role::Editor).await;
    assert_eq!(app.post_as(&editor, &path, &json!({"reason": "x"})).await.status(), 403);
    let nobody = format!("/api/v1/staff/expenses/{}/reverse", uuid::Uuid::new_v4());
    assert_eq!(app.post_as(&accountant, &nobody, &json!({"reason": "x"})).await.status(), 404);
    recorded(&app, &accountant, &fields(&[]), &[]).await;

    let report: Value = app.get_json("/api/v1/campaigns/mentors/report").await;
    let school = line(&report, "summer-school");
    assert_eq!(school["spent"], 12_500_000, "{report}");
    let listed = school["expenses"].as_array().expect("expenses");
    assert_eq!(listed.len(), 2, "the reversed expense stays listed, marked; its reversal is not a line of its own");
    let reversed = listed.iter().find(|e| e["id"] == id).expect("listed");
    assert_eq!(reversed["reversed"], true);
    assert_eq!(reversed["reversal"]["reason"], "Сумма введена с ошибкой: счёт на 125 000 ₸");
    let psychologists = line(&report, "psychologists");
    assert_eq!(
        (psychologists["allocated"].as_i64(), psychologists["spent"].as_i64()),
        (Some(2_500_000), Some(3_000_000))
    );
    assert_eq!((psychologists["left"].as_i64(), psychologists["over_budget"].as_bool()), (Some(-500_000), Some(true)));
    assert_eq!(psychologists["expenses"][0]["payee"], "психолог-координатор");
    assert!(psychologists["expenses"][0]["over_budget_reason"].as_str().is_some_and(|r| r.starts_with("Сессии")));
    assert_eq!(report["spent"], 15_500_000);
    assert_eq!(report["left"], 25_000_000 - 15_500_000);
    let ledger: Value = app.get_json("/api/v1/campaigns/mentors/ledger").await;
    assert_eq!(ledger["totals"]["spent"], report["spent"]);
    app.assert_reconciled().await;
    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "expense.reverse").count(), 1);

    // A plan keeps the lines money was spent on: dropping one is refused by name.
    let textbooks = [("line", Some("textbooks")), ("over_budget_reason", Some("printed ahead of the autumn"))];
    recorded(&app, &accountant, &fields(&textbooks), &[]).await;
    let admin = app.staff_token(Role::Admin).await;
    let mentors = app.get_as(&admin, "/api/v1/staff/campaigns/mentors").await.json::<Value>().await.expect("JSON");
    let plan: Vec<Value> = mentors["plan"]
        .as_array()
        .expect("plan")
        .iter()
        .filter(|l| l["key"] != "textbooks")
        .map(|l| json!({"key": l["key"], "titles": l["titles"], "tier": l["tier"], "target": l["target"]}))
        .collect();
    let res =
        app.patch_as(&admin, "/api/v1/staff/campaigns/mentors", &json!({"plan": plan, "reason": "no books"})).await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(problem["errors"][0]["field"], "plan", "{problem}");
    assert!(problem["errors"][0]["message"].as_str().is_some_and(|m| m.contains("textbooks")), "{problem}");

    // Append-only in the database itself: no edit, no delete, by anyone.
    for sql in
        [format!("UPDATE expenses SET amount = 1 WHERE id = '{id}'"), format!("DELETE FROM expenses WHERE id = '{id}'")]
    {
        let refused = app.execute_sql(&sql).await;
        assert!(refused.is_err_and(|e| e.contains("append-only")), "{sql}");
    }
    // A reversal written by hand that does not mirror its expense shows in reconciliation.
    app.books_out_of_balance_on_purpose();
    let over_id = over["id"].as_str().expect("id");
    app.execute_sql(&format!(
        "INSERT INTO expenses (id, campaign_id, line_key, amount, currency, spent_on, payee, payee_kind, \
         description_kk, description_ru, description_en, reverses, reason, created_at) \
         SELECT '{}', campaign_id, line_key, -1, currency, spent_on, payee, payee_kind, '', '', '', id, 'x', created_at \
         FROM expenses WHERE id = '{over_id}'",
        uuid::Uuid::new_v4()
    ))
    .await
    .expect("a row by hand");
    let books = app.pool.run(|conn| donations::reconcile::reconcile(conn, "mentors")).await.expect("report");
    assert_eq!(books.spending_differences.len(), 1, "{books:?}");
    assert_eq!(books.spending_differences[0].what, "does not mirror the expense it reverses");
    let api: Value =
        app.get_as(&accountant, "/api/v1/staff/campaigns/mentors/reconciliation").await.json().await.expect("JSON");
    assert_eq!(
        (api["clean"].as_bool(), api["spending_differences"][0]["code"].as_str()),
        (Some(false), Some("not-a-mirror"))
    );
    let (books_cookie, _) = crate::console::console_session(&app, Role::Accountant).await;
    let page = crate::console::html(crate::console::get(&app, &books_cookie, "/staff/books/mentors").await).await;
    assert!(page.contains("does not mirror the expense it reverses"), "the console names it");
}

async fn every_bad_expense_is_refused_by_name_and_nothing_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    paid(&app, 10_000_000).await;
    let accountant = app.staff_token(Role::Accountant).await;
    let files_before = count(&app, "stored_files").await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2)).format("%Y-%m-%d").to_string();
    let tomorrow: &'static str = Box::leak(tomorrow.into_boxed_str());
    let long: &'static str = Box::leak("я".repeat(501).into_boxed_str());
    let cases: Vec<(Vec<Change>, &str)> = vec![
        (vec![("amount", Some("0"))], "amount"),
        (vec![("amount", Some("-5000"))], "amount"),
        (vec![("amount", Some("сто"))], "amount"),
        (vec![("amount", Some("5250000.01"))], "amount"),
        (vec![("line", Some("yacht"))], "line"),
        (vec![("line", None)], "line"),
        (vec![("spent_on", Some(tomorrow))], "spent_on"),
        (vec![("spent_on", Some("14.06.2026"))], "spent_on"),
        (vec![("payee", Some("<b>Отель</b>"))], "payee"),
        (vec![("payee", Some(""))], "payee"),
        (vec![("payee_kind", Some("friend"))], "payee_kind"),
        (vec![("description_kk", Some("<script>alert(1)</script>"))], "description_kk"),
        (vec![("description_en", Some(long))], "description_en"),
        (vec![("description_ru", None)], "description_ru"),
        (vec![("note", Some("x"))], "note"),
    ];
    for (changes, field) in cases {
        let res = record(&app, &accountant, &fields(&changes), &[]).await;
        refused(res, 422, field).await;
    }
    // Files: another type, a PDF cut short, a JPEG cut short, an image that is not one.
    let photo = phone_photo(300, 200);
    let pdf = whole_pdf();
    // Found from outside: bytes that only start like a PDF passed as one.
    let html_pdf = b"%PDF-1.4\n<html><script>alert(1)</script></html>\nstartxref\n0\n%%EOF\n";
    let bad_files: [&[u8]; 5] = [
        b"GIF89a\x01\x00\x01\x00",
        &pdf[..pdf.len() - 12],
        &photo[..photo.len() / 2],
        b"\x89PNG\r\n\x1a\nnonsense",
        html_pdf,
    ];
    for file in bad_files {
        let res = record(&app, &accountant, &fields(&[]), &[&photo, file]).await;
        assert_eq!(res.status(), 422);
        let problem: Value = res.json().await.expect("JSON");
        assert_eq!(problem["errors"][0]["field"], "evidence");
        assert!(problem["errors"][0]["message"].as_str().is_some_and(|m| m.starts_with("file 2 ")), "{problem}");
    }
    // Found from outside: a field given twice was read as its last value (5 ₸ stored for 125 000).
    let mut twice = fields(&[]);
    twice.push(("amount", "5".into()));
    refused(record(&app, &accountant, &twice, &[]).await, 422, "amount").await;
    // Too large: refused as it streams, naming the field.
    let huge = vec![0u8; 21 * 1024 * 1024];
    let res = record(&app, &accountant, &fields(&[]), &[&huge]).await;
    assert_eq!(res.status(), 413);
    let problem: Value = res.json().await.expect("JSON");
    assert_eq!(problem["errors"][0]["field"], "evidence");
    // Not a form at all.
    let res = app.post_as(&accountant, "/api/v1/staff/campaigns/mentors/expenses", &json!({"amount": 1})).await;
    assert_eq!(res.status(), 415);
    assert_eq!(count(&app, "expenses").await, 0, "nothing stored");
    assert_eq!(count(&app, "expense_evidence").await, 0);
    assert_eq!(count(&app, "stored_files").await, files_before, "no file kept");
    assert!(!app.audit_actions().await.iter().any(|a| a.starts_with("expense.")));
}

/// A small deterministic generator: the same sequence on both backends, many shapes of it.
struct Steps(u64);

impl Steps {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

async fn gifts_refunds_expenses_and_reversals_keep_report_ledger_and_progress_together(backend: Backend) {
    let app = spawn_app(backend).await;
    let accountant = app.staff_token(Role::Accountant).await;
    let keys = ["summer-school", "psychologists", "autumn-school", "textbooks"];
    let mut steps = Steps(26);
    let mut gifts: Vec<String> = Vec::new();
    let mut expenses: Vec<String> = Vec::new();
    for step in 0..24 {
        match steps.next(4) {
            0 => gifts.push(paid(&app, 100_000 * (1 + steps.next(300) as i64)).await),
            1 if !gifts.is_empty() => {
                let pledge = &gifts[steps.next(gifts.len() as u64) as usize];
                let path = format!("/api/v1/staff/pledges/{pledge}/refunds");
                // A part of it; a pledge refunded whole already is refused (409), which changes nothing.
                let status = app.post_as(&accountant, &path, &json!({"amount": 50_000})).await.status();
                assert!(status == 202 || status == 409 || status == 422, "{status}");
            }
            2 if !expenses.is_empty() => {
                let id = &expenses[steps.next(expenses.len() as u64) as usize];
                let path = format!("/api/v1/staff/expenses/{id}/reverse");
                let status = app.post_as(&accountant, &path, &json!({"reason": "a test's reversal"})).await.status();
                assert!(status == 201 || status == 409, "{status}");
            }
            _ => {
                let key = keys[steps.next(4) as usize];
                let amount: &'static str =
                    Box::leak(format!("{}.{:02}", 1 + steps.next(200_000), steps.next(100)).into_boxed_str());
                let made = recorded(
                    &app,
                    &accountant,
                    &fields(&[
                        ("line", Some(key)),
                        ("amount", Some(amount)),
                        ("over_budget_reason", Some("paid ahead")),
                    ]),
                    &[],
                )
                .await;
                expenses.push(made["id"].as_str().expect("id").to_string());
            }
        }
        if step % 6 != 5 {
            continue;
        }
        let (raised, _) = app.progress().await;
        let report: Value = app.get_json("/api/v1/campaigns/mentors/report").await;
        let ledger: Value = app.get_json("/api/v1/campaigns/mentors/ledger").await;
        assert_eq!(report["raised"], raised, "the report's raised is the progress");
        assert_eq!(ledger["totals"]["net"], raised, "the ledger's net is the progress");
        assert_eq!(ledger["totals"]["spent"], report["spent"], "the ledger spends what the report does");
        let lines = report["lines"].as_array().expect("lines");
        let sum = |field: &str| lines.iter().map(|l| l[field].as_i64().expect("amount")).sum::<i64>();
        assert_eq!(sum("spent"), report["spent"].as_i64().expect("spent"));
        assert_eq!(report["left"].as_i64(), Some(raised - sum("spent")));
        assert!(sum("allocated") <= raised);
        for l in lines {
            let standing: i64 = l["expenses"]
                .as_array()
                .expect("expenses")
                .iter()
                .filter(|e| e["reversed"] == false)
                .map(|e| e["amount"].as_i64().expect("amount"))
                .sum();
            assert_eq!(l["spent"].as_i64(), Some(standing), "{l}");
            assert_eq!(l["left"].as_i64(), Some(l["allocated"].as_i64().expect("a") - standing));
            assert_eq!(l["over_budget"].as_bool(), Some(standing > l["allocated"].as_i64().expect("a")));
        }
        app.assert_reconciled().await;
    }
}

async fn the_report_page_the_campaign_section_and_the_console_say_it_in_each_language(backend: Backend) {
    use crate::console::{client, console_session, csrf_in, get, html};
    let app = spawn_app(backend).await;
    paid(&app, 20_000_000).await;
    // Nothing spent yet: the campaign page says so, and where the report is.
    let page = app.get("/campaigns/mentors?lang=ru").await.text().await.expect("html");
    assert!(page.contains("Куда ушли деньги") && page.contains("Пока ничего не потрачено"), "the section");
    assert!(page.contains("href=\"/campaigns/mentors/report?lang=ru\""));

    // The accountant records one in the console, with a photo of the receipt.
    let (accountant, _) = console_session(&app, Role::Accountant).await;
    let form = html(get(&app, &accountant, "/staff/campaigns/mentors/expenses").await).await;
    let csrf = csrf_in(&form);
    assert!(form.contains("enctype=\"multipart/form-data\"") && form.contains("name=\"evidence\""));
    let send_in = |parts: Vec<(&'static str, Vec<u8>)>, lang: &str| {
        let parts: Vec<(&str, Option<&str>, Vec<u8>)> =
            parts.into_iter().map(|(n, b)| (n, (n == "evidence").then_some("receipt.jpg"), b)).collect();
        let borrowed: Vec<(&str, Option<&str>, &[u8])> = parts.iter().map(|(n, f, b)| (*n, *f, b.as_slice())).collect();
        client()
            .post(app.url("/staff/campaigns/mentors/expenses"))
            .header(reqwest::header::COOKIE, format!("{accountant}; lang={lang}"))
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(multipart(BOUNDARY, &borrowed))
    };
    let send = |parts| send_in(parts, "en");
    let mut parts: Vec<(&'static str, Vec<u8>)> = vec![("csrf", csrf.clone().into_bytes())];
    parts
        .extend(fields(&[("description_ru", Some("Зал: 23 < 25 мест"))]).into_iter().map(|(n, v)| (n, v.into_bytes())));
    parts.push(("evidence", phone_photo(800, 600)));
    // A forged token: refused before anything is read.
    let mut forged = parts.clone();
    forged[0].1 = b"forged".to_vec();
    assert_eq!(send(forged).send().await.expect("sent").status(), 403);
    // A refused form comes back with what is wrong, in the console's language, and what was typed.
    let mut wrong = parts.clone();
    wrong.retain(|(n, _)| *n != "amount");
    wrong.push(("amount", b"0".to_vec()));
    let res = send(wrong).send().await.expect("sent");
    assert_eq!(res.status(), 422);
    let refused = res.text().await.expect("html");
    assert!(refused.contains("role=\"alert\"") && refused.contains("Amount"), "{refused}");
    assert!(refused.contains("Отель «Алматы»"), "the payee as typed");
    // A file of another type, said in the console's language (Russian here), naming the file.
    let mut gif = parts.clone();
    gif.retain(|(n, _)| *n != "evidence");
    gif.push(("evidence", b"GIF89a\x01\x00\x01\x00".to_vec()));
    let res = send_in(gif, "ru").send().await.expect("sent");
    assert_eq!(res.status(), 422);
    let refused = res.text().await.expect("html");
    assert!(refused.contains("файл 1 не PDF, JPEG или PNG"), "{refused}");
    let res = send(parts).send().await.expect("sent");
    assert_eq!(res.status(), 303);
    assert_eq!(count(&app, "expenses").await, 1);

    // The public report, in Kazakh: the line, the expense, its photo; the text as typed, escaped.
    let res = app.get("/campaigns/mentors/report?lang=kk").await;
    assert_eq!(res.status(), 200);
    let report = res.text().await.expect("html");
    assert!(report.contains("lang=\"kk\""));
    for said in
        ["Есеп:", "Жиналды", "Жұмсалды", "Қалды", "Мектептің екі күнгі залы мен тамағы", "Отель «Алматы»", "125 000 ₸"]
    {
        assert!(report.contains(said), "{said} in the report");
    }
    assert!(report.contains("<img src=\"/evidence/"), "the receipt's photo");
    assert!(report.contains("name=\"code\""), "the form that checks a gift by its code");
    let russian = app.get("/campaigns/mentors/report?lang=ru").await.text().await.expect("html");
    assert!(russian.contains("Зал: 23 &lt; 25 мест"), "shown as text");
    assert_eq!(app.get("/campaigns/nothing/report").await.status(), 404);

    // The campaign page's section, once its kept page is renewed (within a second).
    let started = std::time::Instant::now();
    loop {
        let page = app.get("/campaigns/mentors?lang=en").await.text().await.expect("html");
        if page.contains("125 000 ₸ spent") {
            assert!(page.contains("Where the money went"));
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(3), "the section shows the expense");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // The console reverses it with a reason.
    let console = html(get(&app, &accountant, "/staff/campaigns/mentors/expenses").await).await;
    let at = console.find("/staff/expenses/").expect("a reversal form") + "/staff/expenses/".len();
    let id = &console[at..at + 36];
    let reverse = |reason: &str| {
        client()
            .post(app.url(&format!("/staff/expenses/{id}/reverse")))
            .header(reqwest::header::COOKIE, format!("{accountant}; lang=en"))
            .form(&[("csrf", csrf.as_str()), ("campaign", "mentors"), ("reason", reason)])
            .send()
    };
    assert_eq!(reverse("").await.expect("sent").status(), 422);
    assert_eq!(reverse("Чек от другого проекта").await.expect("sent").status(), 303);
    assert_eq!(reverse("again").await.expect("sent").status(), 409);
    let russian = app.get("/campaigns/mentors/report?lang=ru").await.text().await.expect("html");
    assert!(russian.contains("<del>") && russian.contains("Чек от другого проекта"), "struck through, with why");
    // An editor does not see the page.
    let (editor, _) = console_session(&app, Role::Editor).await;
    assert_eq!(get(&app, &editor, "/staff/campaigns/mentors/expenses").await.status(), 403);
}

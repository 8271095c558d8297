//! A donor's own page (issue 25): a sign-in link by mail (one address, one link, single use, 30
//! minutes, the same answer for any address, limited per address and per client), their gifts
//! and monthly gifts, changing and stopping one of theirs, the page with its cookie and forms.

use demeu_api::auth::Role;
use reqwest::redirect::Policy;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::monthly::{charge_now, monthly_gift};
use crate::on_both_backends;

on_both_backends!(
    a_sign_in_link_is_mailed_once_per_ask_and_works_once,
    sign_in_links_are_limited_per_address_and_per_client,
    a_donor_sees_their_gifts_and_changes_and_stops_their_monthly_gift,
    the_donor_page_signs_in_by_its_button_and_its_forms_need_the_session,
    the_yearly_statement_nets_refunds_and_its_pdf_holds_kazakh_letters,
);

/// The tokens of the sign-in links mailed to `email`, oldest first.
pub(crate) async fn mailed_tokens(app: &TestApp, email: &str) -> Vec<String> {
    let bodies = app
        .pool
        .run({
            let email = email.to_string();
            move |conn| {
                use demeu_db::schema::mail_outbox::dsl::*;
                use diesel::prelude::*;
                mail_outbox
                    .filter(kind.eq("donor-link"))
                    .filter(recipient.eq(email))
                    .order(created_at.asc())
                    .select(text_body)
                    .load::<String>(conn)
                    .map_err(demeu_db::DbError::from)
            }
        })
        .await
        .expect("outbox");
    bodies
        .iter()
        .map(|body| {
            let at = body.find("token=").expect("a link with its token") + "token=".len();
            body[at..].chars().take_while(char::is_ascii_hexdigit).collect()
        })
        .collect()
}

async fn ask(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_json("/api/v1/donor/sign-in", &json!({ "email": email })).await
}

async fn session(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json("/api/v1/donor/sessions", &json!({ "token": token })).await
}

/// A donor session for `email`, which must have given: asked and redeemed through the API.
pub(crate) async fn donor_token(app: &TestApp, email: &str) -> String {
    assert_eq!(ask(app, email).await.status(), 202);
    let token = mailed_tokens(app, email).await.pop().expect("a link mailed");
    let res = session(app, &token).await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.expect("JSON")["token"].as_str().expect("token").to_string()
}

/// A one-off gift from `email`, paid on the sandbox.
async fn one_off(app: &TestApp, email: &str, amount: i64) -> String {
    app.paid_pledge(json!({"amount": amount, "email": email})).await
}

async fn a_sign_in_link_is_mailed_once_per_ask_and_works_once(backend: Backend) {
    let app = spawn_app(backend).await;
    one_off(&app, "donor@example.kz", 500_000).await;

    // Known or not, the same answer; only a donor's address gets a mail.
    for email in ["Donor@Example.kz ", "stranger@example.kz"] {
        let res = ask(&app, email).await;
        assert_eq!(res.status(), 202, "{email}");
        assert_eq!(res.json::<Value>().await.expect("JSON"), json!({"accepted": true}));
    }
    assert_eq!(mailed_tokens(&app, "donor@example.kz").await.len(), 1);
    assert!(mailed_tokens(&app, "stranger@example.kz").await.is_empty(), "nothing to a stranger");
    let problem: Value = ask(&app, "not an address").await.json().await.expect("JSON");
    assert_eq!(problem["errors"][0]["field"], "email", "{problem}");

    // One address, one link: asking again replaces the first.
    assert_eq!(ask(&app, "donor@example.kz").await.status(), 202);
    let tokens = mailed_tokens(&app, "donor@example.kz").await;
    assert_eq!(tokens.len(), 2);
    assert_eq!(session(&app, &tokens[0]).await.status(), 401, "the first link stopped working");
    let res = session(&app, &tokens[1]).await;
    assert_eq!(res.status(), 201);
    let opened: Value = res.json().await.expect("JSON");
    assert!(opened["expires_at"].is_string(), "{opened}");
    assert_eq!(session(&app, &tokens[1]).await.status(), 401, "single use");
    for junk in ["", "zz", &"0".repeat(64)] {
        assert_eq!(session(&app, junk).await.status(), 401, "{junk:?}");
    }

    // Thirty minutes.
    assert_eq!(ask(&app, "donor@example.kz").await.status(), 202);
    let late = mailed_tokens(&app, "donor@example.kz").await.pop().expect("a third link");
    let past = if matches!(backend, Backend::Postgres) {
        "NOW() - INTERVAL '1 minute'"
    } else {
        "datetime('now', '-1 minute')"
    };
    app.execute_sql(&format!("UPDATE donor_links SET expires_at = {past}")).await.expect("aged");
    assert_eq!(session(&app, &late).await.status(), 401, "expired");
    let link = app.text("SELECT text_body AS v FROM mail_outbox WHERE kind = 'donor-link' LIMIT 1").await;
    assert!(link.contains("30") && link.contains("/donor?token="), "{link}");

    // The session reads only the donor's own; a staff token is not a donor's.
    let token = opened["token"].as_str().expect("token");
    assert_eq!(app.get_as(token, "/api/v1/donor/gifts").await.status(), 200);
    assert_eq!(app.get("/api/v1/donor/gifts").await.status(), 401);
    let staff = app.staff_token(Role::Admin).await;
    assert_eq!(app.get_as(&staff, "/api/v1/donor/gifts").await.status(), 401);
    assert_eq!(app.get_as(token, "/api/v1/staff/pledges").await.status(), 401, "nor a donor's a staff one");
}

async fn sign_in_links_are_limited_per_address_and_per_client(backend: Backend) {
    let app = spawn_app(backend)
        .with(|s| {
            s.limits.donor_links_per_address = 2;
            s.limits.donor_links_per_hour = 4;
        })
        .await;
    one_off(&app, "donor@example.kz", 500_000).await;
    // Per address: beyond two an hour, the same answer and no more mail.
    for _ in 0..3 {
        assert_eq!(ask(&app, "donor@example.kz").await.status(), 202);
    }
    assert_eq!(mailed_tokens(&app, "donor@example.kz").await.len(), 2, "an inbox cannot be flooded");
    // Per client: the fifth ask in the hour waits, whatever the address.
    assert_eq!(ask(&app, "someone@example.kz").await.status(), 202);
    let res = ask(&app, "else@example.kz").await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
}

async fn a_donor_sees_their_gifts_and_changes_and_stops_their_monthly_gift(backend: Backend) {
    let app = spawn_app(backend).await;
    let (first, subscription) = monthly_gift(&app, 500_000).await;
    charge_now(&app, &subscription).await;
    let once = one_off(&app, "monthly@example.kz", 300_000).await;
    let (_, others) = {
        // Another donor's monthly gift: not theirs to see or touch.
        let res = app
            .post_json(
                "/api/v1/campaigns/mentors/pledges",
                &json!({"amount": 200_000, "email": "other@example.kz", "interval": "month"}),
            )
            .await;
        let made: Value = res.json().await.expect("JSON");
        (made["id"].clone(), made["subscription"]["id"].as_str().expect("id").to_string())
    };
    let token = donor_token(&app, "monthly@example.kz").await;
    let listed: Value = app.get_as(&token, "/api/v1/donor/gifts").await.json().await.expect("JSON");
    let gifts = listed["gifts"].as_array().expect("gifts");
    assert_eq!(gifts.len(), 3, "two months and a one-off: {listed}");
    assert_eq!(gifts.iter().filter(|g| g["interval"] == "month").count(), 2);
    assert!(gifts.iter().any(|g| g["pledge"] == once.as_str() && g["amount"] == 300_000 && g["status"] == "paid"));
    assert!(gifts.iter().any(|g| g["pledge"] == first.as_str() && g["counted_at"].is_string()));
    let subscriptions = listed["subscriptions"].as_array().expect("subscriptions");
    assert_eq!(subscriptions.len(), 1, "only theirs: {listed}");
    assert_eq!(
        (subscriptions[0]["id"].as_str(), subscriptions[0]["status"].as_str(), subscriptions[0]["amount"].as_i64()),
        (Some(subscription.as_str()), Some("active"), Some(500_000))
    );
    assert!(subscriptions[0]["next_charge_at"].is_string());

    // Another's gift is "not found", as one that does not exist.
    let change = |id: &str| format!("/api/v1/donor/subscriptions/{id}");
    assert_eq!(app.patch_as(&token, &change(&others), &json!({"amount": 700_000})).await.status(), 404);
    assert_eq!(app.post_as(&token, &format!("{}/cancel", change(&others)), &json!({})).await.status(), 404);

    // An amount outside the campaign's limits is refused by name, and changes nothing.
    for amount in [100_i64, 1_000_000_000_000] {
        let res = app.patch_as(&token, &change(&subscription), &json!({ "amount": amount })).await;
        assert_eq!(res.status(), 422, "{amount}");
        let problem: Value = res.json().await.expect("JSON");
        assert_eq!(problem["errors"][0]["field"], "amount");
    }
    let res = app.patch_as(&token, &change(&subscription), &json!({"amount": 700_000})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.expect("JSON")["amount"], 700_000);
    assert_eq!(charge_now(&app, &subscription).await["charged"], true);
    let charged =
        app.number(&format!("SELECT MAX(received) AS v FROM pledges WHERE subscription_id = '{subscription}'")).await;
    assert_eq!(charged, 700_000, "the next charge is of the new amount");
    let changed = app.text("SELECT subject AS v FROM mail_outbox WHERE dedupe_key LIKE 'monthly:%:amount:%'").await;
    assert!(changed.contains("изменена") || changed.contains("changed") || changed.contains("өзгертілді"), "{changed}");

    // Stopped from their page: at the provider, then here, audited as the donor's, mailed once.
    let stop = format!("{}/cancel", change(&subscription));
    for _ in 0..2 {
        let res = app.post_as(&token, &stop, &json!({})).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.expect("JSON")["status"], "cancelled");
    }
    assert_eq!(app.audit_actions().await.iter().filter(|a| *a == "subscription.cancel").count(), 1);
    let by = app.text("SELECT details AS v FROM audit_log WHERE action = 'subscription.cancel'").await;
    assert!(by.contains("donor"), "{by}");
    let stopped = app
        .number("SELECT COUNT(*) AS v FROM mail_outbox WHERE kind = 'monthly' AND dedupe_key LIKE '%:stopped'")
        .await;
    assert_eq!(stopped, 1, "one confirmation");
    let res = app.patch_as(&token, &change(&subscription), &json!({"amount": 600_000})).await;
    assert_eq!(res.status(), 409, "a stopped gift is not changed");
}

/// The page: the mailed link opens a page whose button (not the link itself: a mail scanner
/// following it would spend it) signs in with a cookie; the forms need the session's token.
async fn the_donor_page_signs_in_by_its_button_and_its_forms_need_the_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let (first, subscription) = monthly_gift(&app, 500_000).await;
    let strangers = one_off(&app, "someone@example.kz", 300_000).await;
    let client = reqwest::Client::builder().redirect(Policy::none()).build().expect("client");
    let asked = client.post(app.url("/donor/link?lang=en")).form(&[("email", "monthly@example.kz")]).send().await;
    let asked = asked.expect("sent");
    assert_eq!(asked.status(), 200);
    assert!(asked.text().await.expect("html").contains("monthly@example.kz"));
    let token = mailed_tokens(&app, "monthly@example.kz").await.pop().expect("mailed");

    // Following the link (twice, as a scanner would) spends nothing.
    for _ in 0..2 {
        let opened = client.get(app.url(&format!("/donor?token={token}"))).send().await.expect("page");
        assert_eq!(opened.status(), 200);
        let html = opened.text().await.expect("html");
        assert!(html.contains(r#"action="/donor/session"#) && html.contains(&token), "the button's form");
    }
    let signed = client.post(app.url("/donor/session")).form(&[("token", token.as_str())]).send().await.expect("sent");
    assert_eq!(signed.status(), 303);
    let set = signed.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(set.contains("demeu_donor=") && set.contains("HttpOnly") && set.contains("Path=/donor"), "{set}");
    let cookie = set.split(';').next().expect("the cookie").to_string();
    let page = |path: &str| client.get(app.url(path)).header("cookie", &cookie).send();
    let form = |url: &str, fields: &[(&str, &str)]| client.post(url).header("cookie", &cookie).form(fields).send();
    let html = page("/donor?lang=en").await.expect("page").text().await.expect("html");
    assert!(html.contains("Monthly gifts") && html.contains("5 000") && html.contains("monthly@example.kz"), "{html}");
    let csrf = html.split(r#"name="csrf" value=""#).nth(1).and_then(|rest| rest.split('"').next()).expect("csrf");
    // Each gift's receipt, linked from its date; another donor's is not found.
    assert!(html.contains(&format!(r#"href="/donor/gifts/{first}?lang=en""#)), "{html}");
    let receipt = page(&format!("/donor/gifts/{first}?lang=en")).await.expect("page");
    assert_eq!(receipt.status(), 200);
    let receipt = receipt.text().await.expect("html");
    assert!(
        receipt.contains("Receipt for your gift") && receipt.contains("5 000 ₸") && receipt.contains(&first),
        "{receipt}"
    );
    assert!(receipt.contains("(monthly)"), "{receipt}");
    assert_eq!(page(&format!("/donor/gifts/{strangers}?lang=en")).await.expect("page").status(), 404);
    // This year's statement, linked from the page: printable, and as a PDF.
    let year = chrono::Utc::now().format("%Y").to_string();
    assert!(html.contains(&format!(r#"href="/donor/statements/{year}?lang=en""#)), "{html}");
    let printable = page(&format!("/donor/statements/{year}?lang=en")).await.expect("page");
    assert_eq!(printable.status(), 200);
    let printable = printable.text().await.expect("html");
    assert!(
        printable.contains(&format!("Statement of gifts for {year}")) && printable.contains("5 000 ₸"),
        "{printable}"
    );
    let pdf = page(&format!("/donor/statements/{year}.pdf?lang=en")).await.expect("pdf");
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf_text(&pdf.bytes().await.expect("bytes")).contains(&format!("Statement of gifts for {year}")));
    let anonymous = app.client.get(app.url(&format!("/donor/statements/{year}.pdf"))).send().await.expect("sent");
    assert!(anonymous.url().path() == "/donor" || anonymous.status() == 303, "no statement without the session");

    // A forged form (no token, or another's) changes nothing.
    let stop = app.url(&format!("/donor/subscriptions/{subscription}/cancel"));
    let forged = form(&stop, &[("csrf", "forged")]).await.expect("sent");
    assert_eq!(forged.status(), 403);
    let amount = app.url(&format!("/donor/subscriptions/{subscription}/amount"));
    let refused = form(&amount, &[("csrf", csrf), ("amount", "1")]).await.expect("sent");
    assert_eq!(refused.status(), 422, "below the campaign's least gift, said beside the gift");
    let changed = form(&amount, &[("csrf", csrf), ("amount", "6 000")]).await.expect("sent");
    assert_eq!(changed.status(), 303);
    let now = app.number(&format!("SELECT amount AS v FROM subscriptions WHERE id = '{subscription}'")).await;
    assert_eq!(now, 600_000);
    let stopped = form(&stop, &[("csrf", csrf)]).await.expect("sent");
    assert_eq!(stopped.status(), 303);
    let html = page("/donor?done=cancelled&lang=en").await.expect("page").text().await.expect("html");
    assert!(html.contains("The monthly gift is stopped"), "{html}");
    let status = app.text(&format!("SELECT status AS v FROM subscriptions WHERE id = '{subscription}'")).await;
    assert_eq!(status, "cancelled");

    // Signed out: the page asks for an address again; a stranger's browser never had the cookie.
    let out = form(&app.url("/donor/sign-out"), &[("csrf", csrf)]).await.expect("sent");
    assert_eq!(out.status(), 303);
    let html = page("/donor?lang=en").await.expect("page").text().await.expect("html");
    assert!(html.contains(r#"name="email""#), "{html}");
    let after = form(&stop, &[("csrf", csrf)]).await.expect("sent");
    assert_eq!(after.status(), 303, "signed out: to the sign-in form");
    assert_eq!(after.headers().get("location").and_then(|v| v.to_str().ok()), Some("/donor?lang=ru"));
    let stranger = app.get(&format!("/donor/subscriptions/{subscription}/cancel")).await;
    assert_eq!(stranger.status(), 405, "no GET that acts");
}

/// The text of a PDF, as a reader (or a screen reader, or a search) gets it.
fn pdf_text(bytes: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(bytes).expect("a PDF whose text can be read")
}

async fn the_yearly_statement_nets_refunds_and_its_pdf_holds_kazakh_letters(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, subscription) = monthly_gift(&app, 500_000).await;
    charge_now(&app, &subscription).await;
    let refunded = one_off(&app, "monthly@example.kz", 300_000).await;
    let earlier = one_off(&app, "monthly@example.kz", 900_000).await;
    one_off(&app, "someone@example.kz", 700_000).await;
    let admin = app.staff_token(Role::Admin).await;
    let res =
        app.post_as(&admin, &format!("/api/v1/staff/pledges/{refunded}/refunds"), &json!({"amount": 100_000})).await;
    assert_eq!(res.status(), 202, "{:?}", res.text().await);
    // A gift of last year is on last year's statement only.
    let year = chrono::Utc::now().format("%Y").to_string().parse::<i32>().expect("a year");
    let last_year = format!("{}-06-15 10:00:00", year - 1);
    app.execute_sql(&format!("UPDATE pledges SET counted_at = '{last_year}' WHERE id = '{earlier}'"))
        .await
        .expect("moved");
    // The foundation's Kazakh name holds every letter Kazakh adds to Russian's alphabet.
    let kazakh = "Дара қоры: әғқңөұүһі ӘҒҚҢӨҰҮҺІ";
    let res = app
        .patch_as(
            &admin,
            "/api/v1/staff/foundation",
            &json!({"names": {"kk": kazakh}, "registration_number": "123456789012"}),
        )
        .await;
    assert_eq!(res.status(), 200);

    let token = donor_token(&app, "monthly@example.kz").await;
    let statement: Value =
        app.get_as(&token, &format!("/api/v1/donor/statements/{year}")).await.json().await.expect("JSON");
    let total = &statement["totals"][0];
    assert_eq!(
        (total["gifts"].as_i64(), total["received"].as_i64(), total["refunded"].as_i64(), total["net"].as_i64()),
        (Some(3), Some(1_300_000), Some(100_000), Some(1_200_000)),
        "two months and a gift refunded in part, nothing of last year or of another donor: {statement}"
    );
    assert_eq!(statement["gifts"].as_array().map(Vec::len), Some(3));
    assert_eq!(statement["gifts"].as_array().expect("gifts").iter().filter(|g| g["interval"] == "month").count(), 2);
    assert!(statement["foundation"].as_str().is_some_and(|f| f.contains("123456789012")), "{statement}");
    let before: Value =
        app.get_as(&token, &format!("/api/v1/donor/statements/{}", year - 1)).await.json().await.expect("JSON");
    assert_eq!(before["totals"][0]["net"], 900_000, "{before}");
    for bad in ["1999".to_string(), (year + 1).to_string(), "twenty".into(), "2026.doc".into()] {
        let res = app.get_as(&token, &format!("/api/v1/donor/statements/{bad}")).await;
        assert_eq!(res.status(), 422, "{bad}");
        let problem: Value = res.json().await.expect("JSON");
        assert_eq!(problem["errors"][0]["field"], "year", "{bad}: {problem}");
    }
    assert_eq!(app.get(&format!("/api/v1/donor/statements/{year}")).await.status(), 401);

    // The PDF: by Accept, or by its name; Kazakh letters, the amounts, the legal details.
    let pdf = app
        .client
        .get(app.url(&format!("/api/v1/donor/statements/{year}")))
        .bearer_auth(&token)
        .header("accept", "application/pdf")
        .header("accept-language", "kk")
        .send()
        .await
        .expect("sent");
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"%PDF-") && bytes.len() < 200_000, "a PDF of its glyphs only: {} bytes", bytes.len());
    let text = pdf_text(&bytes);
    for letter in "әғқңөұүһіӘҒҚҢӨҰҮҺІ".chars() {
        assert!(text.contains(letter), "{letter} in the PDF's text: {text}");
    }
    assert!(text.contains(&format!("{year} жылғы")), "the Kazakh title: {text}");
    assert!(text.contains("12 000 ₸") && text.contains("БСН 123456789012"), "{text}");
    // Found from outside: the Kazakh long date ("2026 жылғы 7 желтоқсан") was cut short ("…") in
    // the date column; the dates are numeric now, whole.
    assert!(text.contains(&format!(".{year}")) && !text.contains('…'), "whole numeric dates: {text}");
    let named = app.get_as(&token, &format!("/api/v1/donor/statements/{year}.pdf?lang=ru")).await;
    assert_eq!(named.headers()["content-type"], "application/pdf");
    let russian = pdf_text(&named.bytes().await.expect("bytes"));
    assert!(
        russian.contains(&format!("Справка о пожертвованиях за {year} год")) && russian.contains("БИН"),
        "{russian}"
    );
}

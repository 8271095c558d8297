//! Receipt codes (issue 26): each counted gift gets one, printed on its receipt and thanks page
//! and given by `GET /api/v1/pledges/{id}` once counted; anyone with it sees that a gift of that
//! amount on that day is counted in that campaign, and nothing about the donor.

use demeu_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(
    a_counted_gift_has_a_code_anyone_can_check_and_nothing_more,
    the_receipt_page_checks_a_code_in_each_language,
);

fn shaped(code: &str) -> bool {
    let parts: Vec<&str> = code.split('-').collect();
    parts.len() == 3
        && parts.iter().all(|p| p.len() == 4 && p.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()))
}

async fn a_counted_gift_has_a_code_anyone_can_check_and_nothing_more(backend: Backend) {
    let app = spawn_app(backend).await;
    let pending = app.pledge(500_000).await;
    assert!(
        app.get_json(&format!("/api/v1/pledges/{pending}")).await["receipt_code"].is_null(),
        "not before it counts"
    );
    let gift = app
        .paid_pledge(json!({"amount": 700_000, "email": "aigerim@example.kz", "donor_name": "Айгерим Секретова",
            "message": "Сәттілік!", "anonymous": true, "hide_amount": true}))
        .await;
    let code =
        app.get_json(&format!("/api/v1/pledges/{gift}")).await["receipt_code"].as_str().expect("a code").to_string();
    assert!(shaped(&code), "{code}");
    assert!(!code.contains(&gift[..8].to_uppercase()), "not the pledge id");

    let res = app.get(&format!("/api/v1/receipts/{code}")).await;
    assert_eq!(res.status(), 200);
    let raw = res.text().await.expect("body");
    for secret in ["aigerim", "Айгерим", "Сәттілік", &gift] {
        assert!(!raw.contains(secret), "nothing about the donor ({secret}): {raw}");
    }
    let checked: Value = serde_json::from_str(&raw).expect("JSON");
    let today = (chrono::Utc::now() + chrono::Duration::hours(5)).date_naive().to_string();
    assert_eq!(
        (
            checked["campaign"].as_str(),
            checked["amount"].as_i64(),
            checked["status"].as_str(),
            checked["counted_on"].as_str()
        ),
        (Some("mentors"), Some(700_000), Some("paid"), Some(today.as_str())),
        "{checked}"
    );
    // Typed as people type: lower case, spaces, O for 0.
    let typed = code.to_lowercase().replace('-', " ").replace('0', "o");
    assert_eq!(app.get(&format!("/api/v1/receipts/{}", typed.replace(' ', "%20"))).await.status(), 200);
    assert_eq!(app.get("/api/v1/receipts/ZZZZ-ZZZZ-ZZZZ").await.status(), 404, "no gift has it");
    let res = app.get("/api/v1/receipts/not-a-code").await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.expect("JSON")["errors"][0]["field"], "code");

    // On the receipt mail and the thanks page.
    let mail = app.text(&format!("SELECT text_body AS v FROM mail_outbox WHERE dedupe_key = 'receipt:{gift}'")).await;
    assert!(mail.contains(&code) && mail.contains(&format!("/receipts/{code}")), "{mail}");
    let thanks = app.get(&format!("/campaigns/mentors/thanks?pledge={gift}&lang=en")).await.text().await.expect("html");
    assert!(thanks.contains(&code), "{thanks}");

    // Each gift its own; an offline gift too; one counted before codes were given gets one
    // when first asked for it, and keeps it.
    let other = app.paid_pledge(json!({"amount": 500_000})).await;
    let other_code = app.get_json(&format!("/api/v1/pledges/{other}")).await["receipt_code"].clone();
    assert_ne!(other_code.as_str(), Some(code.as_str()));
    let accountant = app.staff_token(Role::Accountant).await;
    let offline: Value = app
        .post_as(
            &accountant,
            "/api/v1/staff/campaigns/mentors/offline-pledges",
            &json!({"amount": 1_000_000, "method": "kaspi", "reference": "K-1"}),
        )
        .await
        .json()
        .await
        .expect("JSON");
    let offline_id = offline["id"].as_str().or(offline["pledge"]["id"].as_str()).expect("id").to_string();
    assert!(app.get_json(&format!("/api/v1/pledges/{offline_id}")).await["receipt_code"].as_str().is_some_and(shaped));
    app.execute_sql(&format!("UPDATE pledges SET receipt_code = NULL WHERE id = '{other}'"))
        .await
        .expect("an old gift");
    let given = app.get_json(&format!("/api/v1/pledges/{other}")).await["receipt_code"].clone();
    assert!(given.as_str().is_some_and(shaped), "{given}");
    assert_eq!(app.get_json(&format!("/api/v1/pledges/{other}")).await["receipt_code"], given, "kept");
}

async fn the_receipt_page_checks_a_code_in_each_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let gift = app.paid_pledge(json!({"amount": 500_000, "email": "d@example.kz"})).await;
    let code =
        app.get_json(&format!("/api/v1/pledges/{gift}")).await["receipt_code"].as_str().expect("code").to_string();
    for (lang, found) in [("kk", "ескерілді"), ("ru", "учтено в кампании"), ("en", "is counted in the campaign")]
    {
        let res = app.get(&format!("/receipts/{code}?lang={lang}")).await;
        assert_eq!(res.status(), 200, "{lang}");
        let html = res.text().await.expect("html");
        assert!(html.contains(found) && html.contains("5 000 ₸"), "{lang}: {html}");
        assert!(!html.contains("d@example.kz"), "{lang}");
        let day = (chrono::Utc::now() + chrono::Duration::hours(5)).date_naive();
        assert!(
            html.contains(&format!("/api/v1/campaigns/mentors/ledger?from={day}&amp;to={day}")),
            "its ledger line: {html}"
        );
    }
    let form = app.get("/receipts?lang=en").await.text().await.expect("html");
    assert!(form.contains(r#"name="code""#) && form.contains("Check a gift"), "{form}");
    let asked = app.get(&format!("/receipts?lang=en&code={}", code.to_lowercase())).await;
    assert_eq!(asked.status(), 200);
    let unknown = app.get("/receipts?lang=en&code=ZZZZ-ZZZZ-ZZZZ").await;
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().await.expect("html").contains("No gift has this code"));
    let malformed = app.get("/receipts?lang=ru&code=%3Cscript%3E").await;
    assert_eq!(malformed.status(), 422);
    let html = malformed.text().await.expect("html");
    assert!(html.contains("Это не код квитанции") && html.contains("&lt;script&gt;"), "{html}");
}

//! The open ledger (issue 26): per campaign and day, the gifts, gross, refunds, net and spent,
//! as JSON and CSV; its sums equal the campaign's progress to the tiyn; nothing about a donor.

use demeu_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(the_open_ledger_adds_up_to_the_progress_and_names_nobody);

async fn paid(app: &TestApp, amount: i64, email: &str) -> String {
    app.paid_pledge(json!({"amount": amount, "email": email, "donor_name": "Тайный Донор"})).await
}

async fn the_open_ledger_adds_up_to_the_progress_and_names_nobody(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = paid(&app, 500_000, "one@example.kz").await;
    paid(&app, 300_000, "two@example.kz").await;
    let refunded = paid(&app, 700_000, "three@example.kz").await;
    let accountant = app.staff_token(Role::Accountant).await;
    let res = app
        .post_as(&accountant, &format!("/api/v1/staff/pledges/{refunded}/refunds"), &json!({"amount": 100_000}))
        .await;
    assert_eq!(res.status(), 202);
    // An offline gift received on an earlier day, and the first gift's money moved to it: two days.
    let gift =
        json!({"amount": 1_000_000, "method": "kaspi", "reference": "K-7", "received_at": "2026-06-15T12:00:00Z"});
    assert_eq!(app.post_as(&accountant, "/api/v1/staff/campaigns/mentors/offline-pledges", &gift).await.status(), 201);
    app.execute_sql("UPDATE ledger_entries SET created_at = '2026-06-15 12:00:00' WHERE kind = 'offline_payment'")
        .await
        .expect("dated");
    app.execute_sql(&format!(
        "UPDATE ledger_entries SET created_at = '2026-06-14 19:30:00' WHERE pledge_id = '{first}'"
    ))
    .await
    .expect("dated");

    let res = app.get("/api/v1/campaigns/mentors/ledger").await;
    assert_eq!(res.status(), 200);
    let raw = res.text().await.expect("body");
    for secret in ["example.kz", "Тайный", &first] {
        assert!(!raw.contains(secret), "nothing about a donor ({secret}): {raw}");
    }
    let ledger: Value = serde_json::from_str(&raw).expect("JSON");
    let days = ledger["days"].as_array().expect("days");
    // 19:30 UTC on 14 June is 00:30 on the 15th in Almaty: the same day as the offline gift.
    assert_eq!(days[0]["day"], "2026-06-15", "{ledger}");
    assert_eq!((days[0]["gifts"].as_i64(), days[0]["gross"].as_i64()), (Some(2), Some(1_500_000)), "{ledger}");
    assert_eq!(days.len(), 2, "{ledger}");
    assert_eq!((days[1]["gifts"].as_i64(), days[1]["refunds"].as_i64()), (Some(2), Some(100_000)));
    let (raised, counted) = app.progress().await;
    let totals = &ledger["totals"];
    assert_eq!(totals["net"].as_i64(), Some(raised), "the ledger's net is the progress: {ledger}");
    assert_eq!(totals["gifts"].as_i64(), Some(counted));
    assert_eq!(totals["gross"].as_i64().zip(totals["refunds"].as_i64()).map(|(g, r)| g - r), Some(raised));
    assert_eq!(totals["spent"], 0);
    assert_eq!(ledger["currency"], "KZT");

    // A span of days; a day that is none, or a span backwards, is refused by name.
    let june: Value = app.get_json("/api/v1/campaigns/mentors/ledger?from=2026-06-01&to=2026-06-30").await;
    assert_eq!(june["days"].as_array().map(Vec::len), Some(1));
    assert_eq!(june["totals"]["net"], 1_500_000);
    for (query, field) in
        [("from=15.06.2026", "from"), ("to=2026-13-01", "to"), ("from=2026-07-01&to=2026-06-01", "to")]
    {
        let res = app.get(&format!("/api/v1/campaigns/mentors/ledger?{query}")).await;
        assert_eq!(res.status(), 422, "{query}");
        assert_eq!(res.json::<Value>().await.expect("JSON")["errors"][0]["field"], field, "{query}");
    }

    // The CSV: the same days, amounts as an accountant's sheet reads them.
    let res = app.get("/api/v1/campaigns/mentors/ledger.csv").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().expect("type").starts_with("text/csv"));
    let csv = res.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "day,gifts,gross,refunds,net,spent,currency");
    assert_eq!(lines[1], "2026-06-15,2,15000.00,0.00,15000.00,0.00,KZT", "{csv}");
    assert_eq!(lines.len(), 3, "{csv}");

    // A draft's ledger is not public; an unknown campaign is not found.
    let admin = app.staff_token(Role::Admin).await;
    assert_eq!(app.post_as(&admin, "/api/v1/staff/campaigns", &crate::staff_campaigns::autumn()).await.status(), 201);
    assert_eq!(app.get("/api/v1/campaigns/autumn-school/ledger").await.status(), 404);
    assert_eq!(app.get("/api/v1/campaigns/nope/ledger.csv").await.status(), 404);
    app.assert_reconciled().await;
}

//! Donors' pledges over HTTP: validation, idempotency keys, the public views, the sandbox.

use serde_json::{json, Value};

use crate::helpers::{assert_problem, campaign, spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_pledge_is_stored_pending_with_its_checkout,
    bad_values_are_422_naming_the_field_and_store_nothing,
    a_campaign_that_has_ended_takes_no_pledges,
    idempotency_keys_replay_refuse_and_conflict,
    the_donor_wall_hides_what_donors_hide,
    the_sandbox_pays_end_to_end_over_http,
    the_sandbox_decline_moves_nothing,
);

const PATH: &str = "/api/v1/campaigns/mentors/pledges";

async fn pledge_count(app: &TestApp) -> i64 {
    app.pool
        .run(|conn| {
            use diesel::prelude::*;
            demeu_db::schema::pledges::table.count().get_result::<i64>(conn).map_err(demeu_db::DbError::from)
        })
        .await
        .expect("count")
}

async fn a_pledge_is_stored_pending_with_its_checkout(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app
        .post_json(
            PATH,
            &json!({"amount": 500_000, "donor_name": "Айгерим", "email": "a@example.kz", "anonymous": false,
                                 "hide_amount": false, "message": "Удачи!", "subscribe": false}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(
        (body["status"].as_str(), body["amount"].as_i64(), body["currency"].as_str()),
        (Some("pending"), Some(500_000), Some("KZT"))
    );
    let id = body["id"].as_str().expect("id");
    assert!(body["checkout_url"]
        .as_str()
        .is_some_and(|u| u.starts_with("http://127.0.0.1:8080/sandbox/checkout/cs_sandbox_")));
    let public = app.get_json(&format!("/api/v1/pledges/{id}")).await;
    assert_eq!(public["campaign"], "mentors");
    assert_eq!(public["status"], "pending");
    assert!(public.get("email").is_none() && public.get("donor_name").is_none(), "{public}");
    assert_problem(app.get(&format!("/api/v1/pledges/{}", uuid::Uuid::new_v4())).await, 404).await;
    assert_problem(app.get("/api/v1/pledges/not-a-uuid").await, 404).await;
    assert_eq!(app.progress().await, (0, 0), "nothing counts before the provider confirms");
}

async fn bad_values_are_422_naming_the_field_and_store_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        (json!({"amount": 49_999}), "amount"),
        (json!({"amount": 500_000_001}), "amount"),
        (json!({"amount": 500_000, "email": "not-an-email"}), "email"),
        (json!({"amount": 500_000, "donor_name": "я".repeat(101)}), "donor_name"),
        (json!({"amount": 500_000, "message": "x".repeat(501)}), "message"),
        (json!({"amount": 500_000, "subscribe": true}), "email"),
        (json!({"amount": "five"}), "amount"),
        (json!({"donor_name": "no amount"}), "amount"),
    ];
    for (body, field) in cases {
        let problem = assert_problem(app.post_json(PATH, &body).await, 422).await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    assert_problem(app.post_json("/api/v1/campaigns/nope/pledges", &json!({"amount": 500_000})).await, 404).await;
    assert_eq!(pledge_count(&app).await, 0);
}

async fn a_campaign_that_has_ended_takes_no_pledges(backend: Backend) {
    let ended = campaign("mentors", "2026-01-01T00:00:00+05:00", Some("2026-02-01T00:00:00+05:00"), 100_000);
    let app = spawn_app(backend).with(|s| s.campaigns = vec![ended]).await;
    let problem = assert_problem(app.post_json(PATH, &json!({"amount": 500_000})).await, 422).await;
    assert_eq!(problem["errors"][0]["field"], "campaign");
    assert_eq!(pledge_count(&app).await, 0);
}

async fn post_with_key(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    app.client.post(app.url(PATH)).header("Idempotency-Key", key).json(body).send().await.expect("sent")
}

async fn idempotency_keys_replay_refuse_and_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"amount": 700_000, "email": "a@example.kz"});
    let first = post_with_key(&app, "key-1", &body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.expect("JSON");
    // Same key, same body (keys in another order): the first answer again, nothing new.
    let again = post_with_key(&app, "key-1", &json!({"email": "a@example.kz", "amount": 700_000})).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.json::<Value>().await.expect("JSON"), first);
    assert_eq!(pledge_count(&app).await, 1);
    // Same key, another body: 422, nothing new.
    let problem = assert_problem(post_with_key(&app, "key-1", &json!({"amount": 800_000})).await, 422).await;
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(pledge_count(&app).await, 1);
    // A key held by a request still running: 409.
    let scope_key = ("pledge:mentors".to_string(), "key-busy".to_string());
    let hash = demeu_api::idempotency::request_hash(body.to_string().as_bytes());
    app.pool
        .run(move |conn| demeu_api::idempotency::begin(conn, &scope_key.0, &scope_key.1, &hash))
        .await
        .expect("claimed");
    assert_problem(post_with_key(&app, "key-busy", &body).await, 409).await;
    // A request refused for its values made nothing: the corrected one may use the same key.
    assert_problem(post_with_key(&app, "key-2", &json!({"amount": 10})).await, 422).await;
    assert_eq!(post_with_key(&app, "key-2", &json!({"amount": 60_000})).await.status(), 201);
    assert_eq!(pledge_count(&app).await, 2);
    let problem = assert_problem(post_with_key(&app, "has space", &body).await, 422).await;
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
}

async fn the_donor_wall_hides_what_donors_hide(backend: Backend) {
    let app = spawn_app(backend).await;
    let donors = [
        json!({"amount": 100_000, "donor_name": "Айгерим", "email": "a@example.kz", "message": "Для детей"}),
        json!({"amount": 200_000, "donor_name": "Secret Name", "email": "s@example.kz", "anonymous": true}),
        json!({"amount": 300_000, "donor_name": "Quiet", "email": "q@example.kz", "hide_amount": true}),
        json!({"amount": 400_000, "donor_name": "Never paid"}),
    ];
    for (i, donor) in donors.iter().enumerate() {
        let res = app.post_json(PATH, donor).await;
        let url = res.json::<Value>().await.expect("JSON")["checkout_url"].as_str().expect("url").to_string();
        if i < 3 {
            let path = url.trim_start_matches("http://127.0.0.1:8080");
            let res = app.client.post(app.url(&format!("{path}/pay"))).send().await.expect("sent");
            assert_eq!(res.status(), 200);
        }
    }
    let wall = app.get_json("/api/v1/campaigns/mentors/pledges").await;
    let text = wall.to_string();
    for hidden in ["example.kz", "Secret Name", "Never paid"] {
        assert!(!text.contains(hidden), "the wall shows {hidden}: {text}");
    }
    let entries = wall["pledges"].as_array().expect("list");
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["name"], "Quiet");
    assert_eq!(entries[0]["amount"], Value::Null);
    assert_eq!(entries[1]["name"], Value::Null);
    assert_eq!(entries[1]["amount"], 200_000);
    assert_eq!(entries[2]["message"], "Для детей");
    // Pages of one follow each other to the end.
    let first = app.get_json("/api/v1/campaigns/mentors/pledges?limit=2").await;
    assert_eq!(first["pledges"].as_array().map(Vec::len), Some(2));
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let second = app.get_json(&format!("/api/v1/campaigns/mentors/pledges?limit=2&cursor={cursor}")).await;
    assert_eq!(second["pledges"].as_array().map(Vec::len), Some(1));
    assert_eq!(second["next_cursor"], Value::Null);
    assert_problem(app.get("/api/v1/campaigns/mentors/pledges?limit=0").await, 422).await;
    assert_problem(app.get("/api/v1/campaigns/mentors/pledges?cursor=junk").await, 422).await;
}

async fn the_sandbox_pays_end_to_end_over_http(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.post_json(PATH, &json!({"amount": 2_500_000, "donor_name": "Asel"})).await;
    let created: Value = res.json().await.expect("JSON");
    let path = created["checkout_url"].as_str().expect("url").trim_start_matches("http://127.0.0.1:8080").to_string();
    let page = app.get(&path).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("25 000 ₸") && html.contains("/pay") && html.contains("/decline"), "{html}");
    let paid = app.client.post(app.url(&format!("{path}/pay"))).send().await.expect("sent");
    assert_eq!(paid.status(), 200);
    assert_eq!(app.progress().await, (2_500_000, 1));
    let campaign = app.get_json("/api/v1/campaigns/mentors").await;
    assert_eq!(campaign["allocation"][0]["funded"], 2_500_000);
    let id = created["id"].as_str().expect("id");
    assert_eq!(app.get_json(&format!("/api/v1/pledges/{id}")).await["status"], "paid");
    // Paying twice counts once; the page now says the checkout is closed.
    app.client.post(app.url(&format!("{path}/pay"))).send().await.expect("sent");
    assert_eq!(app.progress().await, (2_500_000, 1));
    let closed = app.get(&format!("{path}?lang=en")).await.text().await.expect("html");
    assert!(closed.contains("This checkout is closed: the pledge is <strong>Paid</strong>"), "{closed}");
    // In the visitor's language, through the site's layout (lang, main, the language switch).
    let russian = app.get(&path).await.text().await.expect("html");
    assert!(russian.contains("<html lang=\"ru\"") && russian.contains("<main") && russian.contains("Тестовая оплата"));
    app.assert_reconciled().await;
}

async fn the_sandbox_decline_moves_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.post_json(PATH, &json!({"amount": 500_000})).await;
    let created: Value = res.json().await.expect("JSON");
    let path = created["checkout_url"].as_str().expect("url").trim_start_matches("http://127.0.0.1:8080").to_string();
    let declined = app.client.post(app.url(&format!("{path}/decline"))).send().await.expect("sent");
    assert_eq!(declined.status(), 200);
    assert_eq!(app.progress().await, (0, 0));
    let id = created["id"].as_str().expect("id");
    assert_eq!(app.get_json(&format!("/api/v1/pledges/{id}")).await["status"], "failed");
    assert_problem(app.get("/sandbox/checkout/cs_sandbox_unknown").await, 404).await;
}

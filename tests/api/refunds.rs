//! Staff refunds against a stand-in for Stripe's API: a refund is a row written first that
//! reserves its amount, so double clicks, concurrent staff and retries ask Stripe once per
//! refund, under a key derived from that row.

use std::time::Duration;

use demeu_api::auth::Role;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{assert_problem, Backend, TestApp};
use crate::on_both_backends;
use crate::stripe::{charge, event, fixture, session, signature, Ids};
use crate::stripe_provider::{field, form, stripe_app_with_checkouts};

on_both_backends!(
    two_concurrent_full_refunds_make_one_provider_call,
    the_same_key_twice_makes_one_provider_call,
    a_partial_refund_then_the_rest_add_up,
    a_refused_refund_frees_its_amount_and_a_retry_asks_under_the_same_key,
);

/// A Stripe app with a paid pledge of `amount`, and an accountant's token.
async fn paid_pledge(backend: Backend, amount: i64) -> (TestApp, MockServer, Ids, String) {
    let (app, stripe) = stripe_app_with_checkouts(backend, "cs_test_refunds").await;
    let ids = Ids::for_pledge(&app.pledge(amount).await);
    deliver(&app, "checkout.session.completed", session(&ids, amount, "paid")).await;
    assert_eq!(app.progress().await, (amount, 1));
    let token = app.staff_token(Role::Accountant).await;
    (app, stripe, ids, token)
}

async fn deliver(app: &TestApp, kind: &str, object: Value) {
    let body = event(kind, object);
    assert_eq!(app.post_webhook(&body, &signature(&body, "whsec_test")).await.status(), 200, "{kind}");
}

/// Stripe answers each refund after `delay`, so that two requests are in flight together.
async fn stripe_refunds(stripe: &MockServer, delay: Duration) {
    let mut refund = fixture("refund");
    refund["id"] = Value::from("re_test_slow");
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .respond_with(ResponseTemplate::new(200).set_body_json(refund).set_delay(delay))
        .with_priority(2)
        .mount(stripe)
        .await;
}

/// Asks for a refund of `body` under Idempotency-Key `key`.
async fn refund_with_key(app: &TestApp, token: &str, path: &str, key: &str, body: Value) -> reqwest::Response {
    let req = app.client.post(app.url(path)).bearer_auth(token).header("Idempotency-Key", key).json(&body);
    req.send().await.expect("sent")
}

/// The refund calls Stripe received: (amount, Idempotency-Key).
async fn refund_calls(stripe: &MockServer) -> Vec<(String, String)> {
    let requests = stripe.received_requests().await.expect("recorded");
    requests
        .iter()
        .filter(|r| r.url.path() == "/v1/refunds")
        .map(|r| {
            let key = r.headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default();
            (field(&form(&r.body), "amount").unwrap_or_default().to_string(), key.to_string())
        })
        .collect()
}

/// The pledge's refund rows: (amount, status), oldest first.
pub async fn refund_statuses(app: &TestApp, pledge: &str) -> Vec<(i64, String)> {
    let pledge = pledge.to_string();
    app.pool
        .run(move |conn| {
            use diesel::prelude::*;
            diesel::sql_query(format!(
                "SELECT amount, status FROM refunds WHERE pledge_id = '{pledge}' ORDER BY created_at, amount"
            ))
            .load::<RefundRow>(conn)
            .map(|rows| rows.into_iter().map(|r| (r.amount, r.status)).collect())
            .map_err(demeu_db::DbError::from)
        })
        .await
        .expect("refund rows")
}

#[derive(diesel::QueryableByName)]
struct RefundRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    amount: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
}

async fn two_concurrent_full_refunds_make_one_provider_call(backend: Backend) {
    let (app, stripe, ids, token) = paid_pledge(backend, 900_000).await;
    stripe_refunds(&stripe, Duration::from_millis(400)).await;
    let path = format!("/api/v1/staff/pledges/{}/refunds", ids.pledge);
    let everything = json!({});
    let (a, b) = tokio::join!(app.post_as(&token, &path, &everything), app.post_as(&token, &path, &everything));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [202, 409], "one refund is asked for; the other finds the money reserved");
    assert_eq!(refund_calls(&stripe).await.len(), 1, "one call to Stripe");
    deliver(&app, "charge.refunded", charge(&ids, 900_000, 900_000)).await;
    assert_eq!(app.progress().await, (0, 0));
    assert_eq!(refund_statuses(&app, &ids.pledge).await, [(900_000, "counted".to_string())]);
    app.assert_reconciled().await;
}

async fn the_same_key_twice_makes_one_provider_call(backend: Backend) {
    let (app, stripe, ids, token) = paid_pledge(backend, 900_000).await;
    stripe_refunds(&stripe, Duration::from_millis(400)).await;
    let path = format!("/api/v1/staff/pledges/{}/refunds", ids.pledge);
    let send = || refund_with_key(&app, &token, &path, "double-click", json!({"amount": 300_000}));
    let (a, b) = tokio::join!(send(), send());
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert!(statuses == [202, 409] || statuses == [202, 202], "{statuses:?}");
    let first: Value = if a.status() == 202 { a.json().await } else { b.json().await }.expect("JSON");
    let again = send().await;
    assert_eq!(again.status(), 202);
    assert_eq!(again.json::<Value>().await.expect("JSON"), first, "the first answer, replayed");
    assert_eq!(refund_calls(&stripe).await.len(), 1, "one call to Stripe");
    let other_body = refund_with_key(&app, &token, &path, "double-click", json!({"amount": 100_000})).await;
    let problem = assert_problem(other_body, 422).await;
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(refund_statuses(&app, &ids.pledge).await, [(300_000, "requested".to_string())]);
}

async fn a_partial_refund_then_the_rest_add_up(backend: Backend) {
    let (app, stripe, ids, token) = paid_pledge(backend, 900_000).await;
    stripe_refunds(&stripe, Duration::ZERO).await;
    let path = format!("/api/v1/staff/pledges/{}/refunds", ids.pledge);
    let first = app.post_as(&token, &path, &json!({"amount": 400_000})).await;
    assert_eq!(first.status(), 202);
    // Stripe has not confirmed the first refund yet: the rest is what is not already asked for.
    let rest = app.post_as(&token, &path, &json!({})).await;
    assert_eq!(rest.status(), 202);
    assert_eq!(rest.json::<Value>().await.expect("JSON")["amount"], 500_000);
    assert_problem(app.post_as(&token, &path, &json!({})).await, 409).await;
    let calls = refund_calls(&stripe).await;
    let amounts: Vec<&str> = calls.iter().map(|(amount, _)| amount.as_str()).collect();
    assert_eq!(amounts, ["400000", "500000"], "two calls that add up to the pledge");
    assert_ne!(calls[0].1, calls[1].1, "each refund has its own key");
    assert!(calls.iter().all(|(_, key)| key.starts_with("refund-")), "{calls:?}");
    deliver(&app, "charge.refunded", charge(&ids, 900_000, 400_000)).await;
    assert_eq!(app.progress().await, (500_000, 1));
    deliver(&app, "charge.refunded", charge(&ids, 900_000, 900_000)).await;
    assert_eq!(app.progress().await, (0, 0));
    assert_eq!(
        refund_statuses(&app, &ids.pledge).await,
        [(400_000, "counted".to_string()), (500_000, "counted".to_string())]
    );
    app.assert_reconciled().await;
}

async fn a_refused_refund_frees_its_amount_and_a_retry_asks_under_the_same_key(backend: Backend) {
    let (app, stripe, ids, token) = paid_pledge(backend, 900_000).await;
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"error": {"type": "api_error", "message": "down"}})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&stripe)
        .await;
    stripe_refunds(&stripe, Duration::ZERO).await;
    let path = format!("/api/v1/staff/pledges/{}/refunds", ids.pledge);
    let send = || refund_with_key(&app, &token, &path, "retry-refund", json!({}));
    assert_problem(send().await, 502).await;
    assert_eq!(refund_statuses(&app, &ids.pledge).await, [(900_000, "failed".to_string())], "nothing reserved");
    let retried = send().await;
    assert_eq!(retried.status(), 202);
    let calls = refund_calls(&stripe).await;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].1, calls[1].1, "the retry asks under the same key: Stripe makes one refund of both");
    assert_eq!(refund_statuses(&app, &ids.pledge).await, [(900_000, "requested".to_string())]);
    assert_eq!(app.progress().await, (900_000, 1), "nothing counts before Stripe's event");
}

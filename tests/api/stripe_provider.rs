//! The Stripe provider against a local HTTP server standing in for Stripe's API.

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{assert_problem, spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::stripe::fixture;

on_both_backends!(
    a_monthly_gift_is_a_subscription_session,
    a_checkout_session_is_made_with_the_right_fields,
    stripe_errors_keep_the_pledge_and_a_retry_finishes,
    refunds_go_to_stripe_and_count_on_its_event
);

pub async fn stripe_app(backend: Backend) -> (TestApp, MockServer) {
    let server = MockServer::start().await;
    let api_base = server.uri();
    let app = spawn_app(backend)
        .with(|s| {
            s.payments.provider = demeu_api::settings::ProviderKind::Stripe;
            s.payments.stripe.secret_key = "sk_test_demeu".to_string().into();
            s.payments.stripe.webhook_secret = "whsec_test".to_string().into();
            s.payments.stripe.api_base = api_base;
        })
        .await;
    (app, server)
}

/// A Stripe stand-in whose every checkout session is `cs_id`.
pub async fn stripe_app_with_checkouts(backend: Backend, cs_id: &str) -> (TestApp, MockServer) {
    let (app, stripe) = stripe_app(backend).await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_answer(cs_id)))
        .mount(&stripe)
        .await;
    (app, stripe)
}

pub fn session_answer(id: &str) -> Value {
    let mut session = fixture("checkout.session");
    session["id"] = Value::from(id);
    session["url"] = Value::from(format!("https://checkout.stripe.com/c/pay/{id}"));
    session
}

pub fn form(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).expect("a form body")
}

pub fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

async fn a_checkout_session_is_made_with_the_right_fields(backend: Backend) {
    let (app, stripe) = stripe_app(backend).await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_answer("cs_test_1")))
        .expect(1)
        .mount(&stripe)
        .await;
    let res = app
        .post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 500_000, "email": "donor@example.kz"}))
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["checkout_url"], "https://checkout.stripe.com/c/pay/cs_test_1");
    let pledge = body["id"].as_str().expect("id").to_string();

    let requests = stripe.received_requests().await.expect("recorded");
    let request = &requests[0];
    assert_eq!(request.headers.get("authorization").and_then(|v| v.to_str().ok()), Some("Bearer sk_test_demeu"));
    let key = request.headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    assert_eq!(key, Some(format!("checkout-{pledge}")), "Stripe's key is derived from the pledge");
    let form = form(&request.body);
    for (name, value) in [
        ("mode", "payment"),
        ("currency", "kzt"),
        ("client_reference_id", pledge.as_str()),
        ("metadata[pledge_id]", pledge.as_str()),
        ("payment_intent_data[metadata][pledge_id]", pledge.as_str()),
        ("customer_email", "donor@example.kz"),
        ("line_items[0][price_data][currency]", "kzt"),
        ("line_items[0][price_data][unit_amount]", "500000"),
        ("line_items[0][quantity]", "1"),
    ] {
        assert_eq!(field(&form, name), Some(value), "{name} in {form:?}");
    }
    let success = field(&form, "success_url").expect("success_url");
    // Back to the pledge's thanks page; a checkout that did not pay, to the form with its amount.
    assert!(success.starts_with("http://127.0.0.1:8080/campaigns/mentors/thanks?pledge="), "{success}");
    let cancel = field(&form, "cancel_url").expect("cancel_url");
    assert!(
        cancel.starts_with("http://127.0.0.1:8080/campaigns/mentors?pledge=") && cancel.contains("checkout=cancel")
    );
}

async fn stripe_errors_keep_the_pledge_and_a_retry_finishes(backend: Backend) {
    let cases = [
        (
            402,
            json!({"error": {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}}),
            502,
        ),
        (429, json!({"error": {"type": "invalid_request_error", "message": "Too many requests"}}), 503),
        (500, json!({"error": {"type": "api_error", "message": "Something went wrong"}}), 502),
    ];
    for (stripe_status, stripe_body, our_status) in cases {
        let (app, stripe) = stripe_app(backend).await;
        Mock::given(method("POST"))
            .and(path("/v1/checkout/sessions"))
            .respond_with(ResponseTemplate::new(stripe_status).set_body_json(stripe_body.clone()))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&stripe)
            .await;
        Mock::given(method("POST"))
            .and(path("/v1/checkout/sessions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(session_answer("cs_test_retry")))
            .with_priority(2)
            .mount(&stripe)
            .await;
        let send = || {
            app.client
                .post(app.url("/api/v1/campaigns/mentors/pledges"))
                .header("Idempotency-Key", "retry-me")
                .json(&json!({"amount": 600_000}))
                .send()
        };
        let failed = send().await.expect("sent");
        let problem = assert_problem(failed, our_status).await;
        let detail = problem["detail"].as_str().unwrap_or("");
        assert!(!detail.contains("sk_test"), "no secret in {problem}");
        // The provider's own words stay in the log.
        let said = stripe_body["error"]["message"].as_str().unwrap_or("");
        assert!(!detail.contains(said) && !detail.contains("stripe"), "{problem}");
        let token = app.staff_token(demeu_api::auth::Role::Accountant).await;
        let list: Value = app.get_as(&token, "/api/v1/staff/pledges").await.json().await.expect("JSON");
        assert_eq!(
            list["pledges"].as_array().map(Vec::len),
            Some(1),
            "the pledge is kept after Stripe's {stripe_status}"
        );
        assert_eq!(list["pledges"][0]["status"], "pending");
        let pledge = list["pledges"][0]["id"].as_str().expect("id").to_string();

        let retried = send().await.expect("sent");
        assert_eq!(retried.status(), 201, "a retry with the same key finishes the job");
        let body: Value = retried.json().await.expect("JSON");
        assert_eq!(body["id"], pledge.as_str());
        assert_eq!(body["checkout_url"], "https://checkout.stripe.com/c/pay/cs_test_retry");
        let list: Value = app.get_as(&token, "/api/v1/staff/pledges").await.json().await.expect("JSON");
        assert_eq!(list["pledges"].as_array().map(Vec::len), Some(1), "still one pledge");
        let keys: Vec<String> = stripe
            .received_requests()
            .await
            .expect("recorded")
            .iter()
            .filter_map(|r| r.headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string))
            .collect();
        assert_eq!(
            keys,
            [format!("checkout-{pledge}"), format!("checkout-{pledge}")],
            "one Stripe key for both attempts"
        );
    }
}

async fn refunds_go_to_stripe_and_count_on_its_event(backend: Backend) {
    let (app, stripe) = stripe_app_with_checkouts(backend, "cs_test_r").await;
    let mut refund = fixture("refund");
    refund["id"] = Value::from("re_test_1");
    Mock::given(method("POST"))
        .and(path("/v1/refunds"))
        .respond_with(ResponseTemplate::new(200).set_body_json(refund))
        .expect(1)
        .mount(&stripe)
        .await;
    let pledge = app.pledge(500_000).await;
    let ids = crate::stripe::Ids::for_pledge(&pledge);
    let body = crate::stripe::event("checkout.session.completed", crate::stripe::session(&ids, 500_000, "paid"));
    assert_eq!(app.post_webhook(&body, &crate::stripe::signature(&body, "whsec_test")).await.status(), 200);
    assert_eq!(app.progress().await, (500_000, 1));

    let token = app.staff_token(demeu_api::auth::Role::Accountant).await;
    let res =
        app.post_as(&token, &format!("/api/v1/staff/pledges/{pledge}/refunds"), &json!({"amount": 200_000})).await;
    assert_eq!(res.status(), 202);
    let accepted: Value = res.json().await.expect("JSON");
    assert_eq!((accepted["status"].as_str(), accepted["refund_id"].as_str()), (Some("requested"), Some("re_test_1")));
    let requests = stripe.received_requests().await.expect("recorded");
    let refund_request = requests.iter().find(|r| r.url.path() == "/v1/refunds").expect("refund sent");
    let form = form(&refund_request.body);
    assert_eq!(field(&form, "payment_intent"), Some(ids.payment.as_str()));
    assert_eq!(field(&form, "amount"), Some("200000"));
    assert_eq!(app.progress().await.0, 500_000, "nothing moves until Stripe's refund event");
    let body = crate::stripe::event("charge.refunded", crate::stripe::charge(&ids, 500_000, 200_000));
    app.post_webhook(&body, &crate::stripe::signature(&body, "whsec_test")).await;
    assert_eq!(app.progress().await.0, 300_000);
    app.assert_reconciled().await;
}

/// Issue 25: a monthly gift's checkout is a subscription session — the price recurring monthly,
/// the pledge's id in the subscription's metadata (where each invoice's event finds it), not in
/// `payment_intent_data`, which is for one-off payments — and Demeu speaks a Stripe API version
/// of 2025-03-31 or later (an invoice names its subscription under `parent`).
async fn a_monthly_gift_is_a_subscription_session(backend: Backend) {
    let (app, stripe) = stripe_app_with_checkouts(backend, "cs_test_month").await;
    let res = app
        .post_json(
            "/api/v1/campaigns/mentors/pledges",
            &json!({"amount": 500_000, "email": "donor@example.kz", "interval": "month"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["subscription"]["status"], "pending", "{body}");
    let pledge = body["id"].as_str().expect("id").to_string();
    let requests = stripe.received_requests().await.expect("recorded");
    let version = requests[0].headers.get("stripe-version").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(version >= "2025-03-31", "the API version: {version}");
    let form = form(&requests[0].body);
    for (name, value) in [
        ("mode", "subscription"),
        ("client_reference_id", pledge.as_str()),
        ("subscription_data[metadata][pledge_id]", pledge.as_str()),
        ("line_items[0][price_data][recurring][interval]", "month"),
        ("line_items[0][price_data][unit_amount]", "500000"),
        ("customer_email", "donor@example.kz"),
    ] {
        assert_eq!(field(&form, name), Some(value), "{name} in {form:?}");
    }
    assert_eq!(field(&form, "payment_intent_data[metadata][pledge_id]"), None, "not a one-off's field");

    // Stripe's events, signed with its secret: the session starts the subscription and pays the
    // first month; each later invoice is a month of its own.
    let deliver = |kind: &str, object: Value| {
        let body = crate::stripe::event(kind, object);
        let signature = crate::stripe::signature(&body, "whsec_test");
        let app = &app;
        async move { app.post_webhook(&body, &signature).await.status() }
    };
    let session = json!({"id": "cs_test_month", "object": "checkout.session", "mode": "subscription",
        "client_reference_id": pledge, "subscription": "sub_test_1", "invoice": "in_test_1", "payment_intent": null,
        "amount_total": 500_000, "currency": "kzt", "payment_status": "paid", "status": "complete"});
    assert_eq!(deliver("checkout.session.completed", session).await, 200);
    let invoice = json!({"id": "in_test_2", "object": "invoice", "billing_reason": "subscription_cycle",
        "amount_paid": 500_000, "currency": "kzt", "parent": {"subscription_details": {"subscription": "sub_test_1"}}});
    assert_eq!(deliver("invoice.paid", invoice).await, 200);
    assert_eq!(app.progress().await, (1_000_000, 2), "two months");
    app.assert_reconciled().await;

    // The donor changes the amount on their page: the subscription is read for its one item and
    // product, then the item's price changed from the next month (no proration).
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_test_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "sub_test_1", "object": "subscription", "status": "active",
            "items": {"object": "list", "data": [{"id": "si_test_1", "object": "subscription_item",
                "price": {"id": "price_test_1", "object": "price", "product": "prod_test_1", "unit_amount": 500_000}}]}
        })))
        .mount(&stripe)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions/sub_test_1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "sub_test_1", "object": "subscription", "status": "active"})),
        )
        .mount(&stripe)
        .await;
    let donor = crate::donor::donor_token(&app, "donor@example.kz").await;
    let gift = format!("/api/v1/donor/subscriptions/{}", {
        let listed: Value = app.get_as(&donor, "/api/v1/donor/gifts").await.json().await.expect("JSON");
        listed["subscriptions"][0]["id"].as_str().expect("the donor's monthly gift").to_string()
    });
    let res = app.patch_as(&donor, &gift, &json!({"amount": 700_000})).await;
    assert_eq!(res.status(), 200);
    let changes: Vec<_> = stripe
        .received_requests()
        .await
        .expect("recorded")
        .into_iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/v1/subscriptions/sub_test_1")
        .collect();
    assert_eq!(changes.len(), 1);
    let change = self::form(&changes[0].body);
    for (name, value) in [
        ("items[0][id]", "si_test_1"),
        ("items[0][price_data][product]", "prod_test_1"),
        ("items[0][price_data][unit_amount]", "700000"),
        ("items[0][price_data][currency]", "kzt"),
        ("items[0][price_data][recurring][interval]", "month"),
        ("proration_behavior", "none"),
    ] {
        assert_eq!(field(&change, name), Some(value), "{name} in {change:?}");
    }

    // Stopped on the donor's request: Stripe refuses first (the gift stays active, and the
    // answer says so), then cancels it (`DELETE /v1/subscriptions/{id}`).
    let accountant = app.staff_token(demeu_api::auth::Role::Accountant).await;
    let list: Value = app.get_as(&accountant, "/api/v1/staff/subscriptions").await.json().await.expect("JSON");
    let cancel = format!("/api/v1/staff/subscriptions/{}/cancel", list["items"][0]["id"].as_str().expect("id"));
    let refusal = Mock::given(method("DELETE"))
        .and(path("/v1/subscriptions/sub_test_1"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"type": "invalid_request_error", "message": "No such subscription"}})),
        )
        .up_to_n_times(1)
        .mount_as_scoped(&stripe)
        .await;
    assert_eq!(app.post_as(&accountant, &cancel, &json!({})).await.status(), 502);
    drop(refusal);
    let still: Value = app.get_as(&accountant, "/api/v1/staff/subscriptions").await.json().await.expect("JSON");
    assert_eq!(still["items"][0]["status"], "active", "a refused cancel leaves the gift active");
    Mock::given(method("DELETE"))
        .and(path("/v1/subscriptions/sub_test_1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "sub_test_1", "object": "subscription", "status": "canceled"})),
        )
        .expect(1)
        .mount(&stripe)
        .await;
    let res = app.post_as(&accountant, &cancel, &json!({})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.expect("JSON")["status"], "cancelled");
}

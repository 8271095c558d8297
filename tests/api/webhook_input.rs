//! Signed events whose ids, type or other strings the database cannot take as they are: control
//! characters, or ids longer than 255 bytes. Each is a 400 that changes nothing, on both
//! backends, however genuine its signature.

use rand::Rng;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::stripe::{charge, dispute, event, payment_intent, session, signature, Ids, SANDBOX_SECRET};

on_both_backends!(
    control_characters_in_signed_events_change_nothing,
    over_long_provider_ids_change_nothing,
    provider_ids_of_255_bytes_are_accepted,
    a_flood_of_signatures_costs_one_check_per_secret,
);

/// `chars` random CJK characters (three bytes each): text PostgreSQL cannot compress under its
/// index row limit.
fn incompressible(chars: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..chars).map(|_| char::from_u32(rng.gen_range(0x4E00..0x9FFF)).expect("a CJK character")).collect()
}

/// `body` (an event) with its envelope's `key` set to `value`.
fn envelope_with(body: &str, key: &str, value: &str) -> String {
    let mut envelope: Value = serde_json::from_str(body).expect("JSON");
    envelope[key] = json!(value);
    envelope.to_string()
}

/// `object` with `key` set to `value`.
fn object_with(mut object: Value, key: &str, value: Value) -> Value {
    object[key] = value;
    object
}

async fn inbox_size(app: &TestApp) -> i64 {
    app.pool
        .run(|conn| {
            use diesel::prelude::*;
            demeu_db::schema::webhook_events::table.count().get_result::<i64>(conn).map_err(demeu_db::DbError::from)
        })
        .await
        .expect("count")
}

async fn deliver(app: &TestApp, body: &str) -> reqwest::Response {
    app.post_webhook(body, &signature(body, SANDBOX_SECRET)).await
}

/// An event body and what about it is wrong.
type Labelled = (&'static str, String);

/// Delivers every body of `bodies`, each refused with 400, and checks that nothing changed.
async fn all_refused(app: &TestApp, bodies: Vec<Labelled>, raised: (i64, i64), inbox: i64) {
    for (what, body) in bodies {
        let problem = assert_problem(deliver(app, &body).await, 400).await;
        assert!(problem["detail"].as_str().is_some_and(|d| d.contains("not a Stripe event")), "{what}: {problem}");
        assert_eq!(app.progress().await, raised, "{what} moved no money");
        assert_eq!(inbox_size(app).await, inbox, "{what} was not stored");
    }
}

/// Variations of one pledge's events with `bad` in each provider string the decoder reads.
fn variations(ids: &Ids, bad: &str) -> (Vec<Labelled>, Vec<Labelled>) {
    let paid = || session(ids, 500_000, "paid");
    let completed = |object: Value| event("checkout.session.completed", object);
    let before_payment = vec![
        ("event id", envelope_with(&completed(paid()), "id", &format!("evt_{bad}"))),
        ("event type", envelope_with(&completed(paid()), "type", &format!("checkout.session.completed{bad}"))),
        ("unknown event type", envelope_with(&completed(paid()), "type", &format!("customer.created{bad}"))),
        ("session id", completed(object_with(paid(), "id", json!(format!("cs_{bad}"))))),
        ("payment id", completed(object_with(paid(), "payment_intent", json!(format!("pi_{bad}"))))),
        ("expanded payment id", completed(object_with(paid(), "payment_intent", json!({"id": format!("pi_{bad}")})))),
        (
            "client reference",
            completed(object_with(paid(), "client_reference_id", json!(format!("{}{bad}", ids.pledge)))),
        ),
        ("currency", completed(object_with(paid(), "currency", json!(format!("kzt{bad}"))))),
        (
            "metadata pledge id",
            event(
                "payment_intent.succeeded",
                object_with(payment_intent(ids, 500_000), "metadata", json!({"pledge_id": format!("p{bad}")})),
            ),
        ),
        (
            "expired session id",
            event("checkout.session.expired", object_with(paid(), "id", json!(format!("cs_{bad}")))),
        ),
    ];
    let after_payment = vec![
        (
            "charge id",
            event("charge.refunded", object_with(charge(ids, 500_000, 100_000), "id", json!(format!("ch_{bad}")))),
        ),
        (
            "refund currency",
            event(
                "charge.refunded",
                object_with(charge(ids, 500_000, 100_000), "currency", json!(format!("kzt{bad}"))),
            ),
        ),
        ("dispute id", event("charge.dispute.created", dispute(ids, &format!("dp_{bad}"), 100_000, "needs_response"))),
        ("dispute status", event("charge.dispute.closed", dispute(ids, "dp_1", 100_000, &format!("won{bad}")))),
    ];
    (before_payment, after_payment)
}

async fn refused_everywhere(backend: Backend, bad: &str) {
    let app = spawn_app(backend).await;
    let ids = Ids::for_pledge(&app.pledge(500_000).await);
    let (before_payment, after_payment) = variations(&ids, bad);
    all_refused(&app, before_payment, (0, 0), 0).await;

    let paid = event("checkout.session.completed", session(&ids, 500_000, "paid"));
    let res = deliver(&app, &paid).await;
    assert_eq!(res.status(), 200, "the genuine event still counts");
    assert_eq!(app.progress().await, (500_000, 1));
    all_refused(&app, after_payment, (500_000, 1), 1).await;
    app.assert_reconciled().await;
}

async fn control_characters_in_signed_events_change_nothing(backend: Backend) {
    for bad in ["\u{0}", "\u{1b}[2J", "\n", "\u{85}"] {
        refused_everywhere(backend, bad).await;
    }
}

async fn over_long_provider_ids_change_nothing(backend: Backend) {
    // 4 500 bytes: past PostgreSQL's btree row limit (2 704) even after compression.
    refused_everywhere(backend, &incompressible(1_500)).await;
    // Just past the bound: every field gets at least a byte in front of these 255.
    refused_everywhere(backend, &"a".repeat(255)).await;
}

async fn provider_ids_of_255_bytes_are_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ids = Ids::for_pledge(&app.pledge(500_000).await);
    let longest = |prefix: &str| format!("{prefix}{}", "x".repeat(255 - prefix.len()));
    ids.session = longest("cs_");
    ids.payment = longest("pi_");
    ids.charge = longest("ch_");
    let body =
        envelope_with(&event("checkout.session.completed", session(&ids, 500_000, "paid")), "id", &longest("evt_"));
    let res = deliver(&app, &body).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.expect("JSON")["outcome"], "counted");
    let res = deliver(&app, &event("charge.refunded", charge(&ids, 500_000, 100_000))).await;
    assert_eq!(res.json::<Value>().await.expect("JSON")["outcome"], "counted");
    let res =
        deliver(&app, &event("charge.dispute.created", dispute(&ids, &longest("dp_"), 100_000, "needs_response")))
            .await;
    assert_eq!(res.json::<Value>().await.expect("JSON")["outcome"], "counted");
    assert_eq!(app.progress().await, (300_000, 1));
    app.assert_reconciled().await;
}

async fn a_flood_of_signatures_costs_one_check_per_secret(backend: Backend) {
    let app = spawn_app(backend).await;
    // A body near the webhook limit (1 MiB) under a header of 20 000 v1 entries: checked one
    // HMAC per entry, that is 20 GB of SHA-256 for one unsigned request.
    let body = event("customer.created", json!({"padding": "x".repeat(1_000_000)}));
    let flood = ",v1=00".repeat(20_000);
    let forged = format!("t={}{flood}", chrono::Utc::now().timestamp());
    let genuine = format!("{}{flood}", signature(&body, SANDBOX_SECRET));
    // Not a measurement: a bound that only a server hashing the body once per entry misses.
    let within = std::time::Duration::from_secs(30);
    let res = tokio::time::timeout(within, app.post_webhook(&body, &forged))
        .await
        .expect("a forged flood is answered at once, not after an HMAC per v1 entry");
    assert_problem(res, 400).await;
    let res = tokio::time::timeout(within, app.post_webhook(&body, &genuine))
        .await
        .expect("a genuine signature among a flood is answered at once");
    assert_eq!(res.status(), 200, "the genuine signature still matches");
    assert_eq!(inbox_size(&app).await, 1);
}

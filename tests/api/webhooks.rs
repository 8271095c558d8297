//! Webhook deliveries in the exact shape Stripe sends, signed by Stripe's scheme.

use std::collections::VecDeque;

use rand::seq::SliceRandom;
use serde_json::Value;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::stripe::{charge, dispute, event, payment_intent, session, signature, signature_at, Ids, SANDBOX_SECRET};

on_both_backends!(
    each_event_type_moves_the_money_as_stripe_says,
    an_asynchronous_payment_counts_when_it_succeeds,
    unpaid_checkouts_close_the_pledge,
    a_second_delivery_does_nothing,
    a_full_refund_leaves_nothing_counted,
    bad_signatures_change_nothing,
    rotated_secrets_are_all_accepted,
    odd_events_are_stored_and_answered_200,
    amounts_that_disagree_are_flagged_not_counted,
    every_order_of_arrival_ends_in_the_same_state,
    parallel_shuffled_deliveries_count_each_payment_once,
    events_that_are_not_ours_are_acknowledged_and_shown_to_staff,
    an_unknown_payment_is_waited_for_only_within_the_window,
);

async fn deliver(app: &TestApp, kind: &str, object: Value) -> (u16, Value) {
    let body = event(kind, object);
    deliver_body(app, &body).await
}

async fn deliver_body(app: &TestApp, body: &str) -> (u16, Value) {
    let res = app.post_webhook(body, &signature(body, SANDBOX_SECRET)).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn inbox(app: &TestApp) -> Vec<(String, String)> {
    app.pool
        .run(|conn| {
            use demeu_db::schema::webhook_events::dsl::*;
            use diesel::prelude::*;
            webhook_events
                .select((event_type, outcome))
                .order(received_at.asc())
                .load(conn)
                .map_err(demeu_db::DbError::from)
        })
        .await
        .expect("inbox")
}

async fn pledge_row(app: &TestApp, id: &str) -> donations::pledge_store::PledgeRecord {
    let id: donations::ids::PledgeId = id.parse().expect("uuid");
    app.pool.run(move |conn| donations::pledge_store::find(conn, id)).await.expect("pledge")
}

async fn each_event_type_moves_the_money_as_stripe_says(backend: Backend) {
    let app = spawn_app(backend).await;
    let ids = Ids::for_pledge(&app.pledge(500_000).await);
    let (status, body) = deliver(&app, "checkout.session.completed", session(&ids, 500_000, "paid")).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("counted")));
    assert_eq!(app.progress().await, (500_000, 1));
    let (_, body) = deliver(&app, "payment_intent.succeeded", payment_intent(&ids, 500_000)).await;
    assert_eq!(body["outcome"], "recorded", "the same payment reported twice counts once");
    assert_eq!(app.progress().await, (500_000, 1));

    deliver(&app, "charge.refunded", charge(&ids, 500_000, 100_000)).await;
    assert_eq!(app.progress().await.0, 400_000);
    deliver(&app, "charge.refunded", charge(&ids, 500_000, 250_000)).await;
    assert_eq!(app.progress().await.0, 250_000, "refunded is set to the cumulative amount, never added");
    deliver(&app, "charge.refunded", charge(&ids, 500_000, 100_000)).await;
    assert_eq!(app.progress().await.0, 250_000, "an older cumulative figure changes nothing");

    deliver(&app, "charge.dispute.created", dispute(&ids, "dp_1", 100_000, "needs_response")).await;
    assert_eq!(app.progress().await.0, 150_000);
    deliver(&app, "charge.dispute.funds_withdrawn", dispute(&ids, "dp_1", 100_000, "needs_response")).await;
    assert_eq!(app.progress().await.0, 150_000, "created and withdrawn hold the money once");
    assert_eq!(pledge_row(&app, &ids.pledge).await.display_status().as_str(), "disputed");
    deliver(&app, "charge.dispute.closed", dispute(&ids, "dp_1", 100_000, "won")).await;
    assert_eq!(app.progress().await.0, 250_000, "a won dispute brings the money back");
    deliver(&app, "charge.dispute.funds_reinstated", dispute(&ids, "dp_1", 100_000, "won")).await;
    assert_eq!(app.progress().await.0, 250_000);

    deliver(&app, "charge.dispute.created", dispute(&ids, "dp_2", 50_000, "needs_response")).await;
    deliver(&app, "charge.dispute.closed", dispute(&ids, "dp_2", 50_000, "lost")).await;
    assert_eq!(app.progress().await, (200_000, 1), "a lost dispute keeps the money out");
    let pledge = pledge_row(&app, &ids.pledge).await;
    assert_eq!((pledge.received.minor, pledge.refunded.minor, pledge.disputed.minor), (500_000, 250_000, 50_000));
    app.assert_reconciled().await;
}

async fn an_asynchronous_payment_counts_when_it_succeeds(backend: Backend) {
    let app = spawn_app(backend).await;
    let ids = Ids::for_pledge(&app.pledge(300_000).await);
    let (_, body) = deliver(&app, "checkout.session.completed", session(&ids, 300_000, "unpaid")).await;
    assert_eq!(body["outcome"], "recorded");
    assert_eq!(app.progress().await, (0, 0));
    deliver(&app, "checkout.session.async_payment_succeeded", session(&ids, 300_000, "paid")).await;
    assert_eq!(app.progress().await, (300_000, 1));
    app.assert_reconciled().await;
}

async fn unpaid_checkouts_close_the_pledge(backend: Backend) {
    let app = spawn_app(backend).await;
    let expired = Ids::for_pledge(&app.pledge(300_000).await);
    deliver(&app, "checkout.session.expired", session(&expired, 300_000, "unpaid")).await;
    assert_eq!(app.get_json(&format!("/api/v1/pledges/{}", expired.pledge)).await["status"], "expired");
    let failed = Ids::for_pledge(&app.pledge(300_000).await);
    deliver(&app, "checkout.session.async_payment_failed", session(&failed, 300_000, "unpaid")).await;
    assert_eq!(app.get_json(&format!("/api/v1/pledges/{}", failed.pledge)).await["status"], "failed");
    // An expiry arriving after the payment does not undo it.
    let paid = Ids::for_pledge(&app.pledge(300_000).await);
    deliver(&app, "checkout.session.completed", session(&paid, 300_000, "paid")).await;
    deliver(&app, "checkout.session.expired", session(&paid, 300_000, "unpaid")).await;
    assert_eq!(app.get_json(&format!("/api/v1/pledges/{}", paid.pledge)).await["status"], "paid");
    assert_eq!(app.progress().await, (300_000, 1));
}

async fn a_second_delivery_does_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let ids = Ids::for_pledge(&app.pledge(500_000).await);
    let body = event("checkout.session.completed", session(&ids, 500_000, "paid"));
    assert_eq!(deliver_body(&app, &body).await.1["outcome"], "counted");
    assert_eq!(deliver_body(&app, &body).await, (200, serde_json::json!({"received": true, "outcome": "duplicate"})));
    assert_eq!(app.progress().await, (500_000, 1));
    assert_eq!(inbox(&app).await.len(), 1, "one inbox row per event id");
}

async fn a_full_refund_leaves_nothing_counted(backend: Backend) {
    let app = spawn_app(backend).await;
    let ids = Ids::for_pledge(&app.pledge(500_000).await);
    deliver(&app, "payment_intent.succeeded", payment_intent(&ids, 500_000)).await;
    assert_eq!(app.progress().await, (500_000, 1));
    deliver(&app, "charge.refunded", charge(&ids, 500_000, 500_000)).await;
    assert_eq!(app.progress().await, (0, 0));
    assert_eq!(app.get_json(&format!("/api/v1/pledges/{}", ids.pledge)).await["status"], "refunded");
    // A dispute on money already given back holds nothing, and its outcome has nothing to return.
    let (status, _) =
        deliver(&app, "charge.dispute.created", dispute(&ids, "dp_late", 500_000, "needs_response")).await;
    assert_eq!(status, 200);
    // That it held nothing is data, found by the dispute's key; the inbox's words for staff can
    // change without changing what happens.
    app.execute_sql("UPDATE webhook_events SET detail = NULL").await.expect("reword the inbox");
    let (status, _) = deliver(&app, "charge.dispute.closed", dispute(&ids, "dp_late", 500_000, "won")).await;
    assert_eq!(status, 200, "not deferred forever");
    assert_eq!(app.progress().await, (0, 0));
    let wall = app.get_json("/api/v1/campaigns/mentors/pledges").await;
    assert_eq!(wall["pledges"].as_array().map(Vec::len), Some(0), "a refunded pledge leaves the wall");
    app.assert_reconciled().await;
}

async fn bad_signatures_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let ids = Ids::for_pledge(&app.pledge(500_000).await);
    let body = event("checkout.session.completed", session(&ids, 500_000, "paid"));
    let now = chrono::Utc::now().timestamp();
    let cases = [
        ("wrong secret", body.clone(), signature(&body, "whsec_someone_else")),
        ("stale", body.clone(), signature_at(&body, SANDBOX_SECRET, now - 301)),
        ("from the future", body.clone(), signature_at(&body, SANDBOX_SECRET, now + 360)),
        ("changed after signing", body.replace("500000", "900000"), signature(&body, SANDBOX_SECRET)),
        ("malformed header", body.clone(), "v1=deadbeef".to_string()),
    ];
    for (what, sent, header) in cases {
        let res = app.post_webhook(&sent, &header).await;
        assert_eq!(res.status(), 400, "{what}");
        assert_eq!(res.headers()["content-type"], "application/problem+json", "{what}");
    }
    let res = app.client.post(app.url("/api/v1/webhooks/stripe")).body(body.clone()).send().await.expect("sent");
    assert_eq!(res.status(), 400, "no signature header");
    let not_json = "not an event";
    assert_eq!(
        app.post_webhook(not_json, &signature(not_json, SANDBOX_SECRET)).await.status(),
        400,
        "a signed body that is no event"
    );
    assert_eq!(app.progress().await, (0, 0));
    assert!(inbox(&app).await.is_empty(), "nothing stored");
    // Still within the tolerance: accepted.
    let ok = app.post_webhook(&body, &signature_at(&body, SANDBOX_SECRET, now - 290)).await;
    assert_eq!(ok.status(), 200);
}

async fn rotated_secrets_are_all_accepted(backend: Backend) {
    let app = spawn_app(backend)
        .with(|s| {
            s.payments.provider = demeu_api::settings::ProviderKind::Stripe;
            s.payments.stripe.secret_key = "sk_test_x".to_string().into();
            s.payments.stripe.webhook_secret = "whsec_old,whsec_new".to_string().into();
            s.payments.stripe.api_base = "http://127.0.0.1:9".into();
        })
        .await;
    for secret in ["whsec_old", "whsec_new"] {
        let body = event("customer.created", serde_json::json!({"id": "cus_1", "object": "customer"}));
        let res = app.post_webhook(&body, &signature(&body, secret)).await;
        assert_eq!(res.status(), 200, "{secret}");
    }
    let body = event("customer.created", serde_json::json!({"id": "cus_1", "object": "customer"}));
    assert_eq!(
        app.post_webhook(&body, &signature(&body, SANDBOX_SECRET)).await.status(),
        400,
        "the sandbox secret is not Stripe's"
    );
}

async fn odd_events_are_stored_and_answered_200(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, body) = deliver(&app, "plan.created", crate::stripe::fixture("event")["data"]["object"].clone()).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("recorded")));
    let ids = Ids::for_pledge(&app.pledge(500_000).await);
    let mut broken = charge(&ids, 500_000, 0);
    broken["amount_refunded"] = Value::from("a lot");
    let (status, body) = deliver(&app, "charge.refunded", broken).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("undecodable")));
    let rows = inbox(&app).await;
    assert_eq!(
        rows,
        [
            ("plan.created".to_string(), "recorded".to_string()),
            ("charge.refunded".to_string(), "undecodable".to_string())
        ]
    );
    // Larger than what donors may send, as an event with expanded objects can be.
    let mut big = crate::stripe::fixture("event")["data"]["object"].clone();
    big["metadata"] = serde_json::json!({"notes": "x".repeat(200_000)});
    let (status, _) = deliver(&app, "plan.updated", big).await;
    assert_eq!(status, 200);
    // An event about a pledge this installation never made (every pledge is stored before its
    // checkout exists, so it is not "not yet"): acknowledged, never retried for days.
    let stranger = Ids::for_pledge(&uuid::Uuid::new_v4().to_string());
    let (status, body) = deliver(&app, "checkout.session.completed", session(&stranger, 500_000, "paid")).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("not_ours")));
    assert_eq!(inbox(&app).await.len(), 4, "kept for staff");
}

async fn amounts_that_disagree_are_flagged_not_counted(backend: Backend) {
    let app = spawn_app(backend).await;
    let ids = Ids::for_pledge(&app.pledge(500_000).await);
    let (_, body) = deliver(&app, "checkout.session.completed", session(&ids, 400_000, "paid")).await;
    assert_eq!(body["outcome"], "flagged");
    let mut usd = payment_intent(&ids, 500_000);
    usd["currency"] = Value::from("usd");
    let (_, body) = deliver(&app, "payment_intent.succeeded", usd).await;
    assert_eq!(body["outcome"], "flagged");
    assert_eq!(app.progress().await, (0, 0));
    let pledge = pledge_row(&app, &ids.pledge).await;
    // Said in money, as staff read it.
    let said = donations::money::Money::new(400_000, donations::money::Currency::Kzt).to_string();
    assert!(pledge.flag.as_deref().is_some_and(|f| f.contains(&said)), "{:?}", pledge.flag);
}

/// Delivers `bodies` in order the way Stripe does: an answer other than 200 puts the delivery
/// back at the end of the queue, to be tried again later.
async fn deliver_until_accepted(app: &TestApp, bodies: Vec<String>) {
    let mut queue: VecDeque<String> = bodies.into();
    let mut attempts = 0;
    while let Some(body) = queue.pop_front() {
        attempts += 1;
        assert!(attempts < 200, "deliveries never settle");
        let (status, _) = deliver_body(app, &body).await;
        match status {
            200 => {}
            503 => queue.push_back(body),
            other => panic!("unexpected {other}"),
        }
    }
}

/// Every order of `0..n`.
pub fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut all = Vec::new();
    for rest in permutations(n - 1) {
        for i in 0..=rest.len() {
            let mut p = rest.clone();
            p.insert(i, n - 1);
            all.push(p);
        }
    }
    all
}

async fn every_order_of_arrival_ends_in_the_same_state(backend: Backend) {
    let app = spawn_app(backend).await;
    let orders = permutations(5);
    assert_eq!(orders.len(), 120);
    for order in &orders {
        let ids = Ids::for_pledge(&app.pledge(500_000).await);
        let dispute_id = format!("dp_{}", uuid::Uuid::new_v4().simple());
        let events = [
            event("checkout.session.completed", session(&ids, 500_000, "paid")),
            event("payment_intent.succeeded", payment_intent(&ids, 500_000)),
            event("charge.refunded", charge(&ids, 500_000, 100_000)),
            event("charge.dispute.created", dispute(&ids, &dispute_id, 200_000, "needs_response")),
            event("charge.dispute.closed", dispute(&ids, &dispute_id, 200_000, "won")),
        ];
        deliver_until_accepted(&app, order.iter().map(|i| events[*i].clone()).collect()).await;
        let pledge = pledge_row(&app, &ids.pledge).await;
        assert_eq!(
            (pledge.received.minor, pledge.refunded.minor, pledge.disputed.minor),
            (500_000, 100_000, 0),
            "order {order:?}"
        );
        assert_eq!(pledge.provider_payment_id.as_deref(), Some(ids.payment.as_str()));
    }
    assert_eq!(app.progress().await, (120 * 400_000, 120));
    app.assert_reconciled().await;
}

async fn parallel_shuffled_deliveries_count_each_payment_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut bodies = Vec::new();
    let mut expected = 0;
    let mut paid = 0;
    for i in 0..80i64 {
        let amount = 50_000 + i * 1_000;
        let ids = Ids::for_pledge(&app.pledge(amount).await);
        if i % 4 == 3 {
            // A quarter never pay: their checkouts expire.
            bodies.push(event("checkout.session.expired", session(&ids, amount, "unpaid")));
        } else {
            expected += amount;
            paid += 1;
            bodies.push(event("checkout.session.completed", session(&ids, amount, "paid")));
            bodies.push(event("payment_intent.succeeded", payment_intent(&ids, amount)));
        }
    }
    // A third of the deliveries are repeats of one already in the list.
    let repeats: Vec<String> = bodies.iter().step_by(2).cloned().collect();
    bodies.extend(repeats);
    bodies.shuffle(&mut rand::thread_rng());
    assert!(bodies.len() >= 200, "{} deliveries", bodies.len());

    let app = std::sync::Arc::new(app);
    let mut tasks = tokio::task::JoinSet::new();
    let chunks: Vec<Vec<String>> = bodies.chunks(bodies.len().div_ceil(16)).map(<[String]>::to_vec).collect();
    for chunk in chunks {
        let app = app.clone();
        tasks.spawn(async move {
            for body in chunk {
                let (status, _) = deliver_body(&app, &body).await;
                assert_eq!(status, 200);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("delivery task");
    }
    assert_eq!(app.progress().await, (expected, paid));
    app.assert_reconciled().await;
}

async fn events_that_are_not_ours_are_acknowledged_and_shown_to_staff(backend: Backend) {
    let app = spawn_app(backend).await;
    let ours = Ids::for_pledge(&app.pledge(500_000).await);
    // Another installation's pledge on the same Stripe account.
    let elsewhere = Ids::for_pledge(&uuid::Uuid::new_v4().to_string());
    let (status, body) = deliver(&app, "checkout.session.completed", session(&elsewhere, 500_000, "paid")).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("not_ours")));
    let (status, body) = deliver(&app, "payment_intent.succeeded", payment_intent(&elsewhere, 500_000)).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("not_ours")));
    // A payment made outside Demeu: no metadata at all.
    let mut bare = payment_intent(&Ids::for_pledge("x"), 700_000);
    bare["metadata"] = serde_json::json!({});
    let (status, body) = deliver(&app, "payment_intent.succeeded", bare).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("not_ours")));
    // Someone else's order id.
    let (status, body) =
        deliver(&app, "checkout.session.completed", session(&Ids::for_pledge("order-77"), 1, "paid")).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("not_ours")));
    assert_eq!(app.progress().await, (0, 0), "nothing of theirs counts here");
    let (status, body) = deliver(&app, "checkout.session.completed", session(&ours, 500_000, "paid")).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("counted")), "ours still count");

    let token = app.staff_token(demeu_api::auth::Role::Accountant).await;
    let list: Value =
        app.get_as(&token, "/api/v1/staff/webhook-events?outcome=not_ours").await.json().await.expect("JSON");
    let events = list["events"].as_array().expect("events");
    assert_eq!(events.len(), 4, "{list}");
    assert!(events.iter().all(|e| e["outcome"] == "not_ours" && e["detail"].is_string()), "{list}");
    let all: Value = app.get_as(&token, "/api/v1/staff/webhook-events?limit=2").await.json().await.expect("JSON");
    assert_eq!(all["events"][0]["outcome"], "counted", "newest first");
    assert!(all["next_cursor"].is_string());
    let problem =
        crate::helpers::assert_problem(app.get_as(&token, "/api/v1/staff/webhook-events?outcome=lost").await, 422)
            .await;
    assert_eq!(problem["errors"][0]["field"], "outcome");
    let editor = app.staff_token(demeu_api::auth::Role::Editor).await;
    crate::helpers::assert_problem(app.get_as(&editor, "/api/v1/staff/webhook-events").await, 403).await;
    app.assert_reconciled().await;
}

/// `kind` about `object`, made by Stripe `hours_ago` hours ago (signed now: a redelivery).
fn old_event(kind: &str, object: Value, hours_ago: i64) -> String {
    let mut envelope: Value = serde_json::from_str(&event(kind, object)).expect("JSON");
    envelope["created"] = Value::from(chrono::Utc::now().timestamp() - hours_ago * 3600);
    envelope.to_string()
}

async fn an_unknown_payment_is_waited_for_only_within_the_window(backend: Backend) {
    let app = spawn_app(backend).await;
    let unknown = Ids::for_pledge(&app.pledge(500_000).await);
    // Its payment event has not come yet: "not yet", so Stripe is asked to deliver again.
    let (status, _) = deliver(&app, "charge.refunded", charge(&unknown, 500_000, 100_000)).await;
    assert_eq!(status, 503);
    let (status, _) =
        deliver(&app, "charge.dispute.created", dispute(&unknown, "dp_x", 500_000, "needs_response")).await;
    assert_eq!(status, 503);
    assert_eq!(inbox(&app).await.len(), 0, "a deferred event is not stored");
    // Still unknown after the window (72 h): kept for staff as unmatched, answered 200.
    let (status, body) =
        deliver_body(&app, &old_event("charge.refunded", charge(&unknown, 500_000, 100_000), 73)).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("unmatched")));
    let (status, _) = deliver_body(&app, &old_event("charge.refunded", charge(&unknown, 500_000, 100_000), 71)).await;
    assert_eq!(status, 503, "inside the window it is still awaited");
    let token = app.staff_token(demeu_api::auth::Role::Accountant).await;
    let list: Value =
        app.get_as(&token, "/api/v1/staff/webhook-events?outcome=unmatched").await.json().await.expect("JSON");
    assert_eq!(list["events"].as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list["events"][0]["event_type"], "charge.refunded");
    // A shorter window is a setting.
    let short = spawn_app(backend).with(|s| s.payments.webhook_retry = std::time::Duration::from_secs(3600)).await;
    let ids = Ids::for_pledge(&short.pledge(500_000).await);
    let (status, body) =
        deliver_body(&short, &old_event("charge.dispute.created", dispute(&ids, "dp_y", 500_000, "needs_response"), 2))
            .await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("unmatched")));
    assert_eq!(app.progress().await, (0, 0));
}

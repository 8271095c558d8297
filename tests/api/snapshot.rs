//! Campaign progress served from the in-memory snapshot: an ETag and 304, a short Cache-Control,
//! the change this server makes shown by its next read, and another server's change (or a
//! campaign's end passing) shown within a second.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{fresh_database, spawn_app, spawn_app_on, Backend, TestApp};
use crate::on_both_backends;
use crate::stripe::{event, session, signature, Ids, SANDBOX_SECRET};

on_both_backends!(
    an_unchanged_campaign_is_304_and_a_counted_payment_changes_its_etag,
    the_list_has_its_own_etag,
    another_servers_payment_shows_within_a_second,
    a_campaign_whose_end_passes_shows_ended_within_a_second,
);

async fn pay(app: &TestApp, amount: i64) {
    let ids = Ids::for_pledge(&app.pledge(amount).await);
    let body = event("checkout.session.completed", session(&ids, amount, "paid"));
    let res = app.post_webhook(&body, &signature(&body, SANDBOX_SECRET)).await;
    assert_eq!(res.status(), 200);
}

async fn get_with(app: &TestApp, path: &str, etag: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(app.url(path));
    if let Some(etag) = etag {
        req = req.header("If-None-Match", etag);
    }
    req.send().await.expect("sent")
}

fn etag_of(res: &reqwest::Response) -> String {
    res.headers().get("etag").and_then(|v| v.to_str().ok()).expect("an ETag").to_string()
}

async fn an_unchanged_campaign_is_304_and_a_counted_payment_changes_its_etag(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = get_with(&app, "/api/v1/campaigns/mentors", None).await;
    assert_eq!(first.status(), 200);
    let etag = etag_of(&first);
    let cache = first.headers().get("cache-control").and_then(|v| v.to_str().ok()).map(str::to_string);
    assert_eq!(cache.as_deref(), Some("public, max-age=1, stale-while-revalidate=5"));

    let again = get_with(&app, "/api/v1/campaigns/mentors", Some(&etag)).await;
    assert_eq!(again.status(), 304);
    assert_eq!(etag_of(&again), etag);
    assert!(again.bytes().await.expect("body").is_empty(), "a 304 has no body");
    // Weak comparison, a list and `*`, as If-None-Match allows.
    for held in [format!("W/{etag}"), format!("\"other\", {etag}"), "*".to_string()] {
        assert_eq!(get_with(&app, "/api/v1/campaigns/mentors", Some(&held)).await.status(), 304, "{held}");
    }

    // The server's own change shows on its very next read: no waiting for the poll.
    pay(&app, 500_000).await;
    let after = get_with(&app, "/api/v1/campaigns/mentors", Some(&etag)).await;
    assert_eq!(after.status(), 200, "the payment changed the campaign");
    assert_ne!(etag_of(&after), etag);
    let body: Value = after.json().await.expect("JSON");
    assert_eq!(body["raised"], 500_000);
}

async fn the_list_has_its_own_etag(backend: Backend) {
    let app = spawn_app(backend).await;
    let list = get_with(&app, "/api/v1/campaigns", None).await;
    let one = get_with(&app, "/api/v1/campaigns/mentors", None).await;
    let (list_etag, one_etag) = (etag_of(&list), etag_of(&one));
    assert_ne!(list_etag, one_etag);
    assert_eq!(get_with(&app, "/api/v1/campaigns", Some(&list_etag)).await.status(), 304);
    assert_eq!(get_with(&app, "/api/v1/campaigns", Some(&one_etag)).await.status(), 200);
    pay(&app, 500_000).await;
    let body: Value = get_with(&app, "/api/v1/campaigns", Some(&list_etag)).await.json().await.expect("JSON");
    assert_eq!(body["campaigns"][0]["raised"], 500_000);
}

/// Polls `app` until `done` holds for the campaign, or a second has passed.
async fn within_a_second(app: &TestApp, done: impl Fn(&Value) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        let body = app.get_json("/api/v1/campaigns/mentors").await;
        if done(&body) {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(1), "not seen within a second: {body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn another_servers_payment_shows_within_a_second(backend: Backend) {
    let url = fresh_database(backend);
    let a = spawn_app_on(&url).await;
    let b = spawn_app_on(&url).await;
    // B has published its snapshot before A's payment.
    assert_eq!(b.get_json("/api/v1/campaigns/mentors").await["raised"], 0);
    pay(&a, 700_000).await;
    within_a_second(&b, |c| c["raised"] == 700_000 && c["pledges"] == 1).await;
}

async fn a_campaign_whose_end_passes_shows_ended_within_a_second(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get_json("/api/v1/campaigns/mentors").await["status"], "active");
    // Ends in 300 ms: no write announces it, the stamp's status does.
    let ends = (chrono::Utc::now() + chrono::Duration::milliseconds(300)).naive_utc();
    let ends = ends.format("%Y-%m-%d %H:%M:%S%.6f");
    app.execute_sql(&format!("UPDATE campaigns SET ends_at = '{ends}' WHERE slug = 'mentors'")).await.expect("ends_at");
    within_a_second(&app, |c| c["status"] == "ended").await;
}

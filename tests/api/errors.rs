use serde_json::json;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, Backend};
use crate::on_both_backends;

on_both_backends!(
    unknown_paths_and_methods_are_problems,
    bodies_are_checked_before_anything_happens,
    operations_endpoints_answer,
    the_openapi_document_covers_the_routes,
);

async fn unknown_paths_and_methods_are_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.get("/api/v1/nowhere").await;
    assert!(res.headers().contains_key("x-request-id"), "every answer carries its request id");
    assert_problem(res, 404).await;
    let res = app.client.delete(app.url("/api/v1/campaigns/mentors")).send().await.expect("sent");
    assert_problem(res, 405).await;
    let res = app.client.put(app.url("/health")).send().await.expect("sent");
    assert_problem(res, 405).await;
}

async fn bodies_are_checked_before_anything_happens(backend: Backend) {
    let app = spawn_app_with(backend, "[server]\nbody_limit = 1024\n").await;
    let path = "/api/v1/staff/sessions";
    let huge = json!({"email": "a@b.kz", "password": "x".repeat(5000)});
    assert_problem(app.post_json(path, &huge).await, 413).await;
    let res =
        app.client.post(app.url(path)).body("{\"email\": ").header("content-type", "application/json").send().await;
    assert_problem(res.expect("sent"), 400).await;
    let res = app.client.post(app.url(path)).body("email=a").header("content-type", "text/plain").send().await;
    assert_problem(res.expect("sent"), 415).await;
    let problem = assert_problem(app.post_json(path, &json!({"email": "a@b.kz", "password": 5})).await, 422).await;
    assert_eq!(problem["errors"][0]["field"], "password");
    let problem = assert_problem(app.post_json(path, &json!({"password": "x"})).await, 422).await;
    assert_eq!(problem["errors"][0]["field"], "email");
}

async fn operations_endpoints_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get_json("/health").await["status"], "ok");
    assert_eq!(app.get_json("/ready").await["status"], "ready");
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.expect("text");
    assert!(text.contains("demeu_http_responses_total{class=\"2xx\"}"), "{text}");
    assert!(text.contains("demeu_campaign_raised_minor{campaign=\"mentors\"} 0"), "{text}");
}

async fn the_openapi_document_covers_the_routes(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc = app.get_json("/api/v1/openapi.json").await;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{}", doc["openapi"]);
    for path in [
        "/api/v1/campaigns",
        "/api/v1/campaigns/{slug}",
        "/api/v1/staff/sessions",
        "/api/v1/staff/users",
        "/api/v1/staff/users/{id}",
        "/api/v1/staff/campaigns/{slug}/reconciliation",
        "/health",
        "/ready",
        "/metrics",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    assert!(doc["components"]["schemas"]["CampaignView"]["properties"]["allocation"].is_object());
    let res = app.get("/docs").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("html");
    assert!(html.contains("/api/v1/openapi.json") && html.contains("<script>"), "the page renders the document");
    assert!(!html.contains("https://"), "the page needs nothing from the internet");
}

use serde_json::json;

use crate::helpers::{assert_problem, spawn_app, Backend};
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
    let app = spawn_app(backend).with(|s| s.server.body_limit = 1024).await;
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
    // A number a scraper reads, minor units: never money as people write it (`0 ₸`).
    assert!(text.lines().any(|line| line == "demeu_campaign_raised_minor{campaign=\"mentors\"} 0"), "{text}");
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
    // Every error answer is a problem document, declared once for the whole document.
    let problem = |path: &str, method: &str, status: &str| {
        doc["paths"][path][method]["responses"][status]["content"]["application/problem+json"]["schema"]["$ref"].clone()
    };
    for (path, method, status) in [
        ("/api/v1/campaigns/{slug}/pledges", "post", "422"),
        ("/api/v1/campaigns/{slug}/pledges", "post", "409"),
        ("/api/v1/campaigns/{slug}/pledges", "post", "502"),
        ("/api/v1/staff/pledges/{id}/refunds", "post", "401"),
        ("/api/v1/staff/pledges/{id}/refunds", "post", "404"),
        ("/api/v1/staff/pledges", "get", "403"),
        ("/api/v1/webhooks/stripe", "post", "503"),
    ] {
        assert_eq!(problem(path, method, status), "#/components/schemas/Problem", "{method} {path} {status}");
    }
    assert!(doc["paths"]["/api/v1/campaigns"]["get"]["responses"]["401"].is_null(), "public routes need no token");
    // Stored values are listed from the enums that store them.
    let status = &doc["components"]["schemas"]["StaffPledge"]["properties"]["status"]["enum"];
    assert!(status.as_array().is_some_and(|v| v.iter().any(|s| s == "partially_refunded")), "{status}");
    let request = &doc["components"]["schemas"]["PledgeRequest"]["properties"];
    assert!(request["amount"].is_object() && request["subscribe"].is_object(), "the real request type: {request}");
    the_limits_are_in_the_document(&doc);
    let res = app.get("/docs").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("html");
    assert!(html.contains("/api/v1/openapi.json") && html.contains("<script>"), "the page renders the document");
    assert!(!html.contains("https://"), "the page needs nothing from the internet");
}

/// What the server refuses is what the document says it refuses (scripts/fuzz/openapi.sh checks
/// the answers against the document; this checks the limits against the code's constants).
fn the_limits_are_in_the_document(doc: &serde_json::Value) {
    let schemas = &doc["components"]["schemas"];
    let field = |schema: &str, field: &str| schemas[schema]["properties"][field].clone();
    let pledge = |f: &str| field("PledgeRequest", f);
    assert_eq!(pledge("amount")["minimum"], 1);
    assert_eq!(pledge("donor_name")["maxLength"], donations::pledge::MAX_NAME_CHARS);
    assert_eq!(pledge("message")["maxLength"], donations::pledge::MAX_MESSAGE_CHARS);
    assert_eq!(pledge("email")["format"], "email");
    assert_eq!(pledge("email")["maxLength"], 254);
    assert_eq!(field("OfflineGift", "reference")["maxLength"], 200);
    assert_eq!(field("OfflineGift", "method")["enum"], json!(["cash", "bank_transfer", "kaspi"]));
    assert_eq!(field("NewComment", "name")["maxLength"], campaign_news::comment::MAX_NAME_CHARS);
    assert_eq!(field("NewComment", "body")["maxLength"], campaign_news::comment::MAX_BODY_CHARS);
    assert_eq!(field("NewPost", "title")["maxLength"], campaign_news::post::MAX_TITLE_CHARS);
    assert_eq!(field("NewPost", "body_markdown")["maxLength"], campaign_news::post::MAX_BODY_BYTES);
    assert_eq!(field("NewStaffUser", "password")["minLength"], demeu_api::auth::MIN_PASSWORD_LEN);
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(ids.insert(id.to_string()), "{method} {path}: operationId {id:?} is not unique");
            // Every query string is checked before routing, whatever the operation reads.
            for status in ["400", "422", "500", "503"] {
                assert!(operation["responses"][status].is_object(), "{method} {path} documents {status}");
            }
            for param in operation["parameters"].as_array().into_iter().flatten() {
                let schema = &param["schema"];
                match (param["in"].as_str(), param["name"].as_str()) {
                    (Some("query"), Some("limit")) => {
                        assert_eq!((&schema["minimum"], &schema["maximum"]), (&json!(1), &json!(100)), "{path}");
                    }
                    (Some("query"), Some("status" | "outcome" | "method" | "lang")) => {
                        assert!(schema["enum"].is_array(), "{path}")
                    }
                    (Some("query"), Some(name)) => {
                        let limit = demeu_api::request_target::MAX_QUERY_VALUE_CHARS;
                        assert_eq!(schema["maxLength"], limit, "{path} {name}");
                    }
                    (Some("header"), Some("Idempotency-Key")) => assert_eq!(schema["maxLength"], 255, "{path}"),
                    _ => {}
                }
            }
        }
    }
    let sign_in = &doc["paths"]["/api/v1/staff/sessions"]["post"]["responses"];
    assert!(sign_in["401"].is_object(), "a wrong password is a 401: {sign_in}");
}

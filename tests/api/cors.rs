//! The API open to the foundation's own frontends on other origins (CORS): the public routes to
//! the origins in `server.cors_origins` (and `server.cors_staff_origins`), the staff routes to
//! the staff origins only, everything else to nobody.

use demeu_api::auth::Role;
use reqwest::{Method, Response};
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_listed_origin_may_give_and_read_the_public_routes,
    an_unlisted_origin_gets_no_cors_headers,
    staff_routes_are_open_to_staff_origins_only,
    webhooks_pages_and_the_rest_get_no_cors,
);

const FRONTEND: &str = "https://dara.kz";
const ADMIN: &str = "https://admin.dara.kz";
const STRANGER: &str = "https://evil.example";

/// The application with `FRONTEND` as a public origin and `ADMIN` as a staff origin.
async fn app_with_frontends(backend: Backend) -> TestApp {
    spawn_app(backend)
        .with(|s| {
            s.server.cors_origins = vec![FRONTEND.into()];
            s.server.cors_staff_origins = vec![ADMIN.into()];
        })
        .await
}

fn header(res: &Response, name: &str) -> Option<String> {
    res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// A header's comma-separated list, in lower case.
fn list(res: &Response, name: &str) -> Vec<String> {
    header(res, name)
        .unwrap_or_default()
        .split(',')
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .collect()
}

/// What a browser sends before a cross-origin request that is not "simple".
async fn preflight(app: &TestApp, origin: &str, method: &str, path: &str, headers: &str) -> Response {
    let mut req = app
        .client
        .request(Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", method);
    if !headers.is_empty() {
        req = req.header("access-control-request-headers", headers);
    }
    req.send().await.expect("preflight sent")
}

async fn get_from(app: &TestApp, origin: &str, path: &str) -> Response {
    app.client.get(app.url(path)).header("origin", origin).send().await.expect("request sent")
}

/// Asserts that `res` lets `origin` read it, with the headers a frontend needs exposed.
fn assert_allowed(res: &Response, origin: &str, what: &str) {
    assert_eq!(header(res, "access-control-allow-origin").as_deref(), Some(origin), "{what}: allow-origin");
    assert_eq!(header(res, "access-control-allow-credentials"), None, "{what}: never credentials");
    let exposed = list(res, "access-control-expose-headers");
    for name in ["x-request-id", "retry-after", "etag"] {
        assert!(exposed.iter().any(|e| e == name), "{what}: {name} exposed in {exposed:?}");
    }
    assert!(list(res, "vary").iter().any(|v| v == "origin"), "{what}: varies by Origin");
}

/// Asserts that `res` is an accepted preflight for `origin`.
fn assert_preflight_allowed(res: &Response, origin: &str, what: &str) {
    assert!(matches!(res.status().as_u16(), 200 | 204), "{what}: {}", res.status());
    assert_eq!(header(res, "access-control-allow-origin").as_deref(), Some(origin), "{what}: allow-origin");
    assert_eq!(header(res, "access-control-allow-credentials"), None, "{what}: never credentials");
    let max_age: u64 = header(res, "access-control-max-age").and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!(max_age >= 600, "{what}: preflights kept a while, not {max_age}");
}

/// Asserts that `res` is a refused preflight: no allow-origin, a problem document.
async fn assert_preflight_refused(res: Response, what: &str) {
    assert_eq!(header(&res, "access-control-allow-origin"), None, "{what}: no allow-origin");
    assert!(res.status().is_client_error(), "{what}: {}", res.status());
    let status = res.status().as_u16();
    assert_problem(res, status).await;
}

async fn a_listed_origin_may_give_and_read_the_public_routes(backend: Backend) {
    let app = app_with_frontends(backend).await;

    // The preflight of a pledge with its Idempotency-Key.
    let res =
        preflight(&app, FRONTEND, "POST", "/api/v1/campaigns/mentors/pledges", "content-type,idempotency-key").await;
    assert_preflight_allowed(&res, FRONTEND, "pledge preflight");
    let headers = list(&res, "access-control-allow-headers");
    for name in ["content-type", "idempotency-key"] {
        assert!(headers.iter().any(|h| h == name), "{name} allowed: {headers:?}");
    }
    assert!(!headers.iter().any(|h| h == "authorization"), "no Authorization on public routes: {headers:?}");
    let methods = list(&res, "access-control-allow-methods");
    assert!(methods.iter().any(|m| m == "post"), "{methods:?}");
    assert!(!methods.iter().any(|m| m == "patch" || m == "delete"), "public routes only read and send: {methods:?}");

    // Every other form a frontend sends, and a staff origin on the public routes.
    for path in ["comments", "subscriptions", "volunteers"] {
        let path = format!("/api/v1/campaigns/mentors/{path}");
        for origin in [FRONTEND, ADMIN] {
            let res = preflight(&app, origin, "POST", &path, "content-type").await;
            assert_preflight_allowed(&res, origin, &path);
        }
    }
    // A header the public routes do not take is refused.
    let res = preflight(&app, FRONTEND, "POST", "/api/v1/campaigns/mentors/pledges", "authorization").await;
    assert_preflight_refused(res, "Authorization on a public route").await;

    // The requests themselves.
    let res = get_from(&app, FRONTEND, "/api/v1/campaigns/mentors").await;
    assert_eq!(res.status(), 200);
    assert!(header(&res, "etag").is_some() && header(&res, "x-request-id").is_some());
    assert_allowed(&res, FRONTEND, "GET campaign");
    // The same answer without an Origin says it varies by origin too: a cache in front (the
    // campaign is `Cache-Control: public`) must not hand one origin's answer to another.
    let res = app.get("/api/v1/campaigns/mentors").await;
    assert_eq!(header(&res, "access-control-allow-origin"), None);
    assert!(list(&res, "vary").iter().any(|v| v == "origin"), "varies by Origin: {:?}", header(&res, "vary"));

    let res = app
        .client
        .post(app.url("/api/v1/campaigns/mentors/pledges"))
        .header("origin", FRONTEND)
        .header("idempotency-key", "cors-1")
        .json(&json!({"amount": 500_000}))
        .send()
        .await
        .expect("request sent");
    assert_eq!(res.status(), 201);
    assert_allowed(&res, FRONTEND, "POST pledge");
    let pledge: serde_json::Value = res.json().await.expect("JSON");
    let id = pledge["id"].as_str().expect("id");

    for path in [
        "/api/v1/campaigns".to_string(),
        "/api/v1/campaigns/mentors/pledges".to_string(),
        format!("/api/v1/pledges/{id}"),
        "/api/v1/campaigns/mentors/news".to_string(),
        "/api/v1/campaigns/mentors/comments".to_string(),
    ] {
        let res = get_from(&app, FRONTEND, &path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_allowed(&res, FRONTEND, &path);
    }

    // An error answer is readable too: the frontend shows the problem.
    let res = get_from(&app, FRONTEND, "/api/v1/campaigns/nope").await;
    assert_allowed(&res, FRONTEND, "404");
    assert_problem(res, 404).await;

    // The live progress stream: its headers come at once; the stream is dropped unread.
    let res = get_from(&app, FRONTEND, "/api/v1/campaigns/mentors/events").await;
    assert_eq!(res.status(), 200);
    assert!(header(&res, "content-type").unwrap_or_default().starts_with("text/event-stream"));
    assert_allowed(&res, FRONTEND, "SSE stream");
}

async fn an_unlisted_origin_gets_no_cors_headers(backend: Backend) {
    let app = app_with_frontends(backend).await;
    let res = preflight(&app, STRANGER, "POST", "/api/v1/campaigns/mentors/pledges", "content-type").await;
    assert_preflight_refused(res, "unlisted origin's preflight").await;

    // The request itself is served (a browser keeps its answer from the page), without CORS.
    let res = get_from(&app, STRANGER, "/api/v1/campaigns/mentors").await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "access-control-allow-origin"), None);
    let res = app
        .client
        .post(app.url("/api/v1/campaigns/mentors/pledges"))
        .header("origin", STRANGER)
        .json(&json!({"amount": 500_000}))
        .send()
        .await
        .expect("request sent");
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "access-control-allow-origin"), None);

    // A look-alike of a listed origin is another origin.
    for origin in ["https://dara.kz.evil.example", "http://dara.kz", "https://dara.kz:8443", "null"] {
        let res = get_from(&app, origin, "/api/v1/campaigns/mentors").await;
        assert_eq!(header(&res, "access-control-allow-origin"), None, "{origin}");
    }

    // With no origin configured (the default), nothing is open, and answers are as before.
    let plain = spawn_app(backend).await;
    let res = preflight(&plain, FRONTEND, "POST", "/api/v1/campaigns/mentors/pledges", "content-type").await;
    assert_eq!(header(&res, "access-control-allow-origin"), None);
    assert_problem(res, 405).await;
    let res = get_from(&plain, FRONTEND, "/api/v1/campaigns/mentors").await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "access-control-allow-origin"), None);
    assert_eq!(header(&res, "access-control-expose-headers"), None);
}

async fn staff_routes_are_open_to_staff_origins_only(backend: Backend) {
    let app = app_with_frontends(backend).await;

    // A public frontend's origin may not call the staff API from the browser.
    for (method, path) in [("GET", "/api/v1/staff/pledges"), ("POST", "/api/v1/staff/sessions")] {
        let res = preflight(&app, FRONTEND, method, path, "authorization,content-type").await;
        assert_preflight_refused(res, &format!("public origin, {method} {path}")).await;
    }

    // A staff origin may, with its Bearer token.
    let res = preflight(&app, ADMIN, "PATCH", "/api/v1/staff/volunteers/x", "authorization,content-type").await;
    assert_preflight_allowed(&res, ADMIN, "staff preflight");
    let headers = list(&res, "access-control-allow-headers");
    for name in ["authorization", "content-type", "idempotency-key"] {
        assert!(headers.iter().any(|h| h == name), "{name} allowed: {headers:?}");
    }
    let methods = list(&res, "access-control-allow-methods");
    for method in ["get", "post", "patch", "delete"] {
        assert!(methods.iter().any(|m| m == method), "{method} allowed: {methods:?}");
    }

    let token = app.staff_token(Role::Accountant).await;
    let staff_get = |origin: &'static str| {
        app.client.get(app.url("/api/v1/staff/pledges")).bearer_auth(&token).header("origin", origin).send()
    };
    let res = staff_get(ADMIN).await.expect("request sent");
    assert_eq!(res.status(), 200);
    assert_allowed(&res, ADMIN, "staff GET from the staff origin");
    // CORS is no authentication: the token decides what is served; the browser of a public
    // frontend just cannot read it.
    let res = staff_get(FRONTEND).await.expect("request sent");
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "access-control-allow-origin"), None);
    let res = staff_get(STRANGER).await.expect("request sent");
    assert_eq!(header(&res, "access-control-allow-origin"), None);

    // Without a token, the staff origin reads the 401 (its frontend then signs in).
    let res = get_from(&app, ADMIN, "/api/v1/staff/pledges").await;
    assert_allowed(&res, ADMIN, "401");
    assert_problem(res, 401).await;
}

async fn webhooks_pages_and_the_rest_get_no_cors(backend: Backend) {
    // Every origin in both lists: still nothing outside the API a frontend calls.
    let app = spawn_app(backend)
        .with(|s| {
            s.server.cors_origins = vec![FRONTEND.into()];
            s.server.cors_staff_origins = vec![FRONTEND.into()];
        })
        .await;
    for (method, path, status) in [
        ("POST", "/api/v1/webhooks/stripe", 405),
        ("POST", "/api/v1/webhooks/tiptoppay/pay", 405),
        ("GET", "/metrics", 405),
        ("GET", "/docs", 405),
        ("GET", "/api/v1/subscriptions/confirm", 405),
        ("DELETE", "/api/v1/campaigns/mentors", 405),
        ("GET", "/api/v1/nothing/here", 404),
        ("POST", "/nothing/here", 404),
    ] {
        let res = preflight(&app, FRONTEND, method, path, "content-type").await;
        assert_eq!(header(&res, "access-control-allow-origin"), None, "{method} {path}");
        assert_problem(res, status).await;
    }
    for path in ["/metrics", "/docs", "/campaigns/mentors", "/health"] {
        let res = get_from(&app, FRONTEND, path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(header(&res, "access-control-allow-origin"), None, "{path}");
    }
    let res = app
        .client
        .post(app.url("/api/v1/webhooks/stripe"))
        .header("origin", FRONTEND)
        .header("content-type", "application/json")
        .header("stripe-signature", "t=1,v1=00")
        .body("{}")
        .send()
        .await
        .expect("request sent");
    assert!(res.status().is_client_error(), "{}", res.status());
    assert_eq!(header(&res, "access-control-allow-origin"), None, "webhook");
}

#[test]
fn start_up_refuses_a_cors_entry_that_is_not_an_origin() {
    use demeu_api::settings::Settings;
    for (key, bad) in [("cors_origins", "https://dara.kz/"), ("cors_staff_origins", "*")] {
        let layer = format!("[server]\n{key} = [\"{bad}\"]");
        let err = Settings::from_toml_over_defaults(&[&layer]).expect_err("refused");
        assert!(err.to_string().contains(&format!("server.{key}")), "{err}");
    }
}

/// `demeu migrate` with `DEMEU__SERVER__<key>` set: the configuration as the server reads it.
fn demeu_migrate_with(key: &str, value: &str) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_demeu"))
        .arg("migrate")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DEMEU_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../../config"))
        .env("DEMEU__DATABASE__URL", crate::helpers::fresh_database(Backend::Sqlite))
        .env(format!("DEMEU__SERVER__{key}"), value)
        .env("RUST_LOG", "error")
        .output()
        .expect("demeu runs");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn cors_origins_are_read_from_the_environment_as_comma_lists() {
    for key in ["CORS_ORIGINS", "CORS_STAFF_ORIGINS"] {
        let (ok, text) = demeu_migrate_with(key, "https://dara.kz,http://localhost:5173");
        assert!(ok, "{key}: a list, comma-separated: {text}");
        let (ok, text) = demeu_migrate_with(key, "https://dara.kz,dara.kz");
        assert!(!ok, "{key}: a bad entry stops start-up");
        assert!(text.contains(&format!("server.{}", key.to_ascii_lowercase())), "{key}: the key is named: {text}");
    }
}

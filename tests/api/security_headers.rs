//! Every HTML page the server makes carries the security headers, and its inline scripts and
//! styles are allowed by their hashes, nothing else.

use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(html_pages_carry_security_headers, strict_transport_security_when_served_over_https);

/// The bodies of the inline `<tag>` elements of `html` (those without `src`).
fn inline<'a>(tag: &str, html: &'a str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start..];
        let tag_end = after.find('>').expect("a closed tag");
        let body_end = after.find(&close).expect("an end tag");
        if !after[..tag_end].contains("src=") {
            found.push(&after[tag_end + 1..body_end]);
        }
        rest = &after[body_end + close.len()..];
    }
    found
}

fn hash_source(text: &str) -> String {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes())))
}

/// Asserts that `res` is an HTML page with the security headers, and returns its markup.
pub async fn assert_secure_html(res: reqwest::Response) -> String {
    let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let content_type = header("content-type").unwrap_or_default();
    assert!(content_type.starts_with("text/html"), "an HTML page: {content_type}");
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"), "X-Content-Type-Options");
    let referrer = header("referrer-policy").unwrap_or_default();
    assert!(
        ["no-referrer", "same-origin", "strict-origin-when-cross-origin"].contains(&referrer.as_str()),
        "Referrer-Policy: {referrer:?}"
    );
    let csp = header("content-security-policy").expect("a Content-Security-Policy");
    let directive = |name: &str| {
        csp.split(';').map(str::trim).find_map(|d| d.strip_prefix(name).filter(|v| v.starts_with(' ')).map(str::trim))
    };
    assert_eq!(directive("frame-ancestors"), Some("'none'"), "{csp}");
    let scripts = directive("script-src").or(directive("default-src")).expect("a script-src");
    for loose in ["'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"] {
        assert!(!scripts.split_whitespace().any(|s| s == loose), "script-src allows {loose}: {csp}");
    }
    let styles = directive("style-src").or(directive("default-src")).expect("a style-src");
    let html = res.text().await.expect("a body");
    for script in inline("script", &html) {
        assert!(scripts.contains(&hash_source(script)), "an inline script without its hash in {csp}");
    }
    if !styles.split_whitespace().any(|s| s == "'unsafe-inline'") {
        for style in inline("style", &html) {
            assert!(styles.contains(&hash_source(style)), "an inline style without its hash in {csp}");
        }
        assert!(!html.contains(" style="), "a style attribute that the policy blocks: {html}");
    }
    html
}

fn path_of(url: &str) -> String {
    url[url.find("/sandbox/").expect("a sandbox checkout")..].to_string()
}

async fn checkout(app: &TestApp) -> String {
    let res = app.post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 500_000})).await;
    assert_eq!(res.status(), 201);
    path_of(res.json::<Value>().await.expect("JSON")["checkout_url"].as_str().expect("url"))
}

async fn html_pages_carry_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let docs = app.get("/docs").await;
    assert!(docs.headers().get("strict-transport-security").is_none(), "no HSTS over plain http");
    let html = assert_secure_html(docs).await;
    assert!(html.contains("/api/v1/openapi.json"), "the docs page");

    let path = checkout(&app).await;
    let page = assert_secure_html(app.get(&path).await).await;
    assert!(page.contains("/pay") && page.contains("/decline"), "{page}");
    let paid = app.client.post(app.url(&format!("{path}/pay"))).send().await.expect("sent");
    assert_eq!(paid.status(), 200);
    // Paid, the sandbox sends the browser back to the pledge's thanks page (followed here).
    assert!(assert_secure_html(paid).await.contains("data-pledge=\"/api/v1/pledges/"));
    let declined = app.client.post(app.url(&format!("{}/decline", checkout(&app).await))).send().await.expect("sent");
    assert_secure_html(declined).await;
}

async fn strict_transport_security_when_served_over_https(backend: Backend) {
    let app = spawn_app(backend).with(|s| s.server.public_url = "https://donate.dara.kz".into()).await;
    for path in ["/docs".to_string(), checkout(&app).await] {
        let res = app.get(&path).await;
        let hsts = res.headers().get("strict-transport-security").and_then(|v| v.to_str().ok()).map(str::to_string);
        assert!(hsts.as_deref().is_some_and(|h| h.starts_with("max-age=")), "HSTS on {path}: {hsts:?}");
        assert_secure_html(res).await;
    }
}

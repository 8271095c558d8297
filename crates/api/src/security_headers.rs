//! The security headers, added in one place (a middleware in start-up) by what an answer is:
//! every answer gets `X-Content-Type-Options: nosniff`, and `Strict-Transport-Security` when
//! `server.public_url` is https; every HTML answer (the docs page, the sandbox checkout, the
//! subscription link pages, any later one) also gets a Content-Security-Policy, a
//! Referrer-Policy and `X-Frame-Options`.
//!
//! The policy allows no inline script or style but those the pages have, by their sha256: the
//! hashes are computed here from the very markup the pages are built from, so a page whose
//! inline code changes stays allowed, and anything injected is not.

use std::sync::LazyLock;

use actix_web::http::header::{
    HeaderMap, HeaderName, HeaderValue, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::settings::Settings;

/// Two years: what the HSTS preload list asks for.
const HSTS: HeaderValue = HeaderValue::from_static("max-age=63072000");

/// The policy of every HTML page: nothing from elsewhere, the pages' own inline scripts and
/// styles by hash, requests (the docs page reads the OpenAPI document) and forms only to this
/// origin, and no framing (clickjacking a "Pay" or "Unsubscribe" button).
static HTML_POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    let pages = [crate::routes::docs::DOCS_PAGE.to_string()];
    let sources = |tag: &str| {
        let mut hashes: Vec<String> = pages.iter().flat_map(|p| inline_blocks(p, tag)).map(hash_source).collect();
        hashes.sort();
        hashes.dedup();
        if hashes.is_empty() {
            "'none'".to_string()
        } else {
            hashes.join(" ")
        }
    };
    let policy = format!(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'none'",
        sources("script"),
        sources("style")
    );
    // Only base64, quotes and ASCII: always a valid header value.
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
});

/// What the middleware adds; built once from the settings.
#[derive(Debug, Clone, Copy)]
pub struct SecurityHeaders {
    https: bool,
}

impl SecurityHeaders {
    /// HSTS only when donors reach the server over https (a browser ignores it over http, and
    /// a local http setup must not be told to insist on TLS).
    pub fn from_settings(settings: &Settings) -> Self {
        SecurityHeaders { https: settings.public_url().starts_with("https://") }
    }

    /// Adds the headers to an answer's `headers`, leaving any a handler set itself.
    pub fn apply(&self, headers: &mut HeaderMap) {
        let is_html = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"));
        let mut add = |name: HeaderName, value: HeaderValue| {
            if !headers.contains_key(&name) {
                headers.insert(name, value);
            }
        };
        add(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        if self.https {
            add(STRICT_TRANSPORT_SECURITY, HSTS);
        }
        if is_html {
            // A page that set its own policy (the campaign site) also decides its framing: the
            // embed may be framed by the sites its frame-ancestors names.
            let own_policy = headers.contains_key(CONTENT_SECURITY_POLICY);
            let mut add = |name: HeaderName, value: HeaderValue| {
                if !headers.contains_key(&name) {
                    headers.insert(name, value);
                }
            };
            add(CONTENT_SECURITY_POLICY, HTML_POLICY.clone());
            // The subscription pages' URLs carry a token: it must not leave in a Referer.
            add(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            // For browsers that predate frame-ancestors.
            if !own_policy {
                add(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            }
        }
    }
}

/// The bodies of the inline `<tag>` elements of `html` (those without `src`).
fn inline_blocks<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut blocks = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let element = &rest[start..];
        let (Some(body_start), Some(body_end)) = (element.find('>'), element.find(&close)) else { break };
        if body_start < body_end && !element[..body_start].contains("src=") {
            blocks.push(&element[body_start + 1..body_end]);
        }
        rest = &element[body_end + close.len()..];
    }
    blocks
}

/// A CSP hash source: `'sha256-<base64>'`.
fn hash_source(text: &str) -> String {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers_of(content_type: &str, https: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).expect("a value"));
        SecurityHeaders { https }.apply(&mut headers);
        headers
    }

    #[test]
    fn every_inline_script_and_style_of_the_pages_is_hashed_and_nothing_else_is_allowed() {
        let policy = HTML_POLICY.to_str().expect("text").to_string();
        let docs = crate::routes::docs::DOCS_PAGE;
        let scripts = inline_blocks(docs, "script");
        assert_eq!(scripts.len(), 1, "the docs page has one inline script");
        assert!(policy.contains(&format!("script-src {};", hash_source(scripts[0]))), "{policy}");
        for style in inline_blocks(docs, "style") {
            assert!(policy.contains(&hash_source(style)), "{policy}");
        }
        assert!(!policy.contains("unsafe"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'") && policy.starts_with("default-src 'none';"), "{policy}");
    }

    #[test]
    fn html_answers_get_the_policy_and_others_the_common_headers() {
        let html = headers_of("text/html; charset=utf-8", false);
        assert!(html.contains_key(CONTENT_SECURITY_POLICY) && html.contains_key(REFERRER_POLICY));
        assert_eq!(html.get(X_CONTENT_TYPE_OPTIONS).map(|v| v.as_bytes()), Some(&b"nosniff"[..]));
        assert!(!html.contains_key(STRICT_TRANSPORT_SECURITY), "not over http");
        let json = headers_of("application/json", true);
        assert!(!json.contains_key(CONTENT_SECURITY_POLICY));
        assert!(json.contains_key(X_CONTENT_TYPE_OPTIONS) && json.contains_key(STRICT_TRANSPORT_SECURITY));
        assert!(headers_of("Text/HTML", true).contains_key(CONTENT_SECURITY_POLICY));
    }

    #[test]
    fn blocks_are_found_as_a_browser_hashes_them() {
        let html = "<script src=\"/x.js\"></script><script>\n a()\n</script><style>p{}</style><script>b()</script>";
        assert_eq!(inline_blocks(html, "script"), ["\n a()\n", "b()"]);
        assert_eq!(inline_blocks(html, "style"), ["p{}"]);
        // The example of CSP Level 3, section 8.3: alert('Hello, world.');
        assert_eq!(hash_source("alert('Hello, world.');"), "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='");
    }
}

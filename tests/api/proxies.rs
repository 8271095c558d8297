//! Clients behind a reverse proxy: `server.trusted_proxies`, `Forwarded` and `X-Forwarded-For`,
//! the limits per client and the client address in the log.

use demeu_api::client_ip::Network;
use serde_json::json;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::logs;
use crate::on_both_backends;

on_both_backends!(
    clients_behind_a_trusted_proxy_have_their_own_limits,
    forwarding_headers_from_anyone_else_are_ignored,
    the_log_names_the_client_the_limits_count,
);

fn networks(list: &[&str]) -> Vec<Network> {
    list.iter().map(|n| n.parse().expect("a network")).collect()
}

/// Subscribes a fresh address, the request carrying `header: value` when given; the status.
async fn subscribe(app: &TestApp, header: Option<(&str, &str)>) -> u16 {
    let email = format!("{}@example.kz", uuid::Uuid::new_v4().simple());
    let mut req = app.client.post(app.url("/api/v1/campaigns/mentors/subscriptions")).json(&json!({"email": email}));
    if let Some((name, value)) = header {
        req = req.header(name, value);
    }
    req.send().await.expect("sent").status().as_u16()
}

async fn comment(app: &TestApp, forwarded_for: &str) -> u16 {
    app.client
        .post(app.url("/api/v1/campaigns/mentors/comments"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"name": "Dana", "body": "Спасибо за школу наставников!"}))
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

async fn clients_behind_a_trusted_proxy_have_their_own_limits(backend: Backend) {
    let app = spawn_app(backend)
        .with(|s| {
            s.server.trusted_proxies = networks(&["127.0.0.1", "10.0.0.0/8"]);
            s.limits.subscriptions_per_hour = 2;
            s.limits.comments_per_hour = 1;
        })
        .await;
    let a = Some(("x-forwarded-for", "203.0.113.1"));
    assert_eq!(subscribe(&app, a).await, 202);
    assert_eq!(subscribe(&app, a).await, 202);
    assert_eq!(subscribe(&app, a).await, 429, "client A has used its two");
    // What A writes left of what the proxy appended does not make it someone else, nor does a
    // second proxy in the chain.
    assert_eq!(subscribe(&app, Some(("x-forwarded-for", "198.51.100.77, 203.0.113.1"))).await, 429);
    assert_eq!(subscribe(&app, Some(("x-forwarded-for", "203.0.113.1, 10.1.2.3"))).await, 429);
    assert_eq!(subscribe(&app, Some(("forwarded", "for=203.0.113.1;proto=https"))).await, 429);
    assert_eq!(subscribe(&app, Some(("x-forwarded-for", "203.0.113.2"))).await, 202, "client B has its own limit");

    // RFC 7239, and IPv6 clients counted by their /64.
    let v6 = |addr: &str| format!("for=\"[{addr}]:4711\";proto=https");
    assert_eq!(subscribe(&app, Some(("forwarded", &v6("2001:db8:cafe:1::17")))).await, 202);
    assert_eq!(subscribe(&app, Some(("forwarded", &v6("2001:db8:cafe:1::18")))).await, 202);
    assert_eq!(subscribe(&app, Some(("forwarded", &v6("2001:db8:cafe:1:ffff::1")))).await, 429, "one /64, one client");
    assert_eq!(subscribe(&app, Some(("forwarded", &v6("2001:db8:cafe:2::17")))).await, 202, "the next /64");

    // The proxy's own requests count as the proxy.
    assert_eq!(subscribe(&app, None).await, 202);

    assert_eq!(comment(&app, "203.0.113.1").await, 202);
    assert_eq!(comment(&app, "203.0.113.1").await, 429);
    assert_eq!(comment(&app, "203.0.113.2").await, 202, "comments are counted per client too");
}

async fn forwarding_headers_from_anyone_else_are_ignored(backend: Backend) {
    // No proxy trusted, and a proxy trusted that is not the peer: the headers prove nothing.
    for trusted in [vec![], networks(&["10.0.0.0/8", "::1"])] {
        let app = spawn_app(backend)
            .with(move |s| {
                s.server.trusted_proxies = trusted;
                s.limits.subscriptions_per_hour = 2;
            })
            .await;
        assert_eq!(subscribe(&app, Some(("x-forwarded-for", "203.0.113.1"))).await, 202);
        assert_eq!(subscribe(&app, Some(("forwarded", "for=203.0.113.2"))).await, 202);
        assert_eq!(subscribe(&app, Some(("x-forwarded-for", "203.0.113.3"))).await, 429, "one peer, one limit");
        assert_eq!(subscribe(&app, Some(("forwarded", "for=\"[2001:db8::1]\""))).await, 429);
    }
}

async fn the_log_names_the_client_the_limits_count(backend: Backend) {
    logs::capture();
    let app = spawn_app(backend).await;
    let res = app.client.get(app.url("/health")).header("x-forwarded-for", "203.0.113.9").send().await.expect("sent");
    let span = logs::request_span(&res);
    assert_eq!(
        span.get("http.client_ip").map(String::as_str),
        Some("127.0.0.1"),
        "a forged header is not logged: {span:?}"
    );

    let app = spawn_app(backend).with(|s| s.server.trusted_proxies = networks(&["127.0.0.1"])).await;
    for (header, value, client) in [
        ("x-forwarded-for", "1.1.1.1, 203.0.113.9", "203.0.113.9"),
        ("forwarded", "for=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"),
    ] {
        let res = app.client.get(app.url("/health")).header(header, value).send().await.expect("sent");
        assert_eq!(logs::request_span(&res).get("http.client_ip").map(String::as_str), Some(client), "{header}");
    }
}

fn demeu_migrate(database_url: &str, trusted_proxies: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_demeu"))
        .arg("migrate")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DEMEU_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../../config"))
        .env("DEMEU__DATABASE__URL", database_url)
        .env("DEMEU__SERVER__TRUSTED_PROXIES", trusted_proxies)
        .env("RUST_LOG", "error")
        .output()
        .expect("demeu runs")
}

#[test]
fn trusted_proxies_are_read_from_the_environment_and_checked() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let url = crate::helpers::fresh_database(backend);
        let text = |out: &std::process::Output| {
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
        };
        let good = demeu_migrate(&url, "10.0.0.1,fd00::/8");
        assert!(good.status.success(), "a list, comma-separated: {}", text(&good));
        let bad = demeu_migrate(&url, "10.0.0.0/33");
        assert!(!bad.status.success(), "a bad block stops start-up");
        assert!(text(&bad).contains("server.trusted_proxies"), "the key is named: {}", text(&bad));
    }
}

//! Two servers on one database, as behind a load balancer (issue 10): they must behave as one.
//! A client's rate limits and sign-in slow-down are counted together whichever server it
//! reaches, one Idempotency-Key makes one pledge, and no mail goes out twice.
//!
//! Both servers trust 127.0.0.1 as their proxy, so each request names its client in
//! `X-Forwarded-For` the way a load balancer would: one test machine plays many clients.

use demeu_api::auth::Role;
use serde_json::{json, Value};

use crate::hardening::editor;
use crate::helpers::{assert_problem, fresh_database, spawn_app_on, Backend, Spawn, TestApp};
use crate::on_both_backends;

on_both_backends!(
    the_pledge_and_subscription_limits_count_across_servers,
    pledges_at_once_on_both_servers_get_exactly_the_limit,
    failed_sign_ins_on_one_server_slow_down_the_other,
    one_address_cannot_spread_its_guesses_over_servers,
    one_idempotency_key_makes_one_pledge_whichever_server_answers,
    both_mail_workers_drain_one_outbox_and_send_each_mail_once,
);

const PLEDGES: &str = "/api/v1/campaigns/mentors/pledges";

/// Two servers on one fresh database, each changed by `edit`, behind a "load balancer" on
/// loopback.
async fn two_servers(backend: Backend, edit: fn(&mut demeu_api::settings::Settings)) -> (TestApp, TestApp) {
    let database = fresh_database(backend);
    let behind_a_balancer = |spawn: Spawn| {
        spawn.with(|s| s.server.trusted_proxies = vec!["127.0.0.1".parse().expect("a network")]).with(edit)
    };
    let first = behind_a_balancer(spawn_app_on(&database)).await;
    let second = behind_a_balancer(spawn_app_on(&database)).await;
    (first, second)
}

/// POSTs `body` to `path` on `app` as the client at `client`.
async fn post_from(app: &TestApp, client: &str, path: &str, body: &Value) -> reqwest::Response {
    app.client.post(app.url(path)).header("x-forwarded-for", client).json(body).send().await.expect("sent")
}

/// Asserts that `res` is a 429 problem telling the client to wait; returns the seconds.
async fn assert_waits(res: reqwest::Response, what: &str) -> u64 {
    assert_eq!(res.status(), 429, "{what}");
    let seconds =
        res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).expect("seconds");
    assert_problem(res, 429).await;
    seconds
}

async fn the_pledge_and_subscription_limits_count_across_servers(backend: Backend) {
    let (a, b) = two_servers(backend, |s| {
        s.limits.pledges_per_hour = 3;
        s.limits.subscriptions_per_hour = 2;
    })
    .await;
    let donor = "203.0.113.7";
    let pledge = json!({"amount": 100_000});
    for app in [&a, &b, &a] {
        assert_eq!(post_from(app, donor, PLEDGES, &pledge).await.status(), 201);
    }
    // Three in this hour, one on each side of the balancer or not: the fourth waits, on both.
    for app in [&b, &a] {
        let wait = assert_waits(post_from(app, donor, PLEDGES, &pledge).await, "a fourth pledge").await;
        assert!((3500..=3600).contains(&wait), "the hour from the first pledge: {wait}");
    }
    assert_eq!(post_from(&b, "203.0.113.8", PLEDGES, &pledge).await.status(), 201, "another client has its own");

    let subscribe = |i: u32| json!({"email": format!("reader{i}@example.kz")});
    let subscriptions = "/api/v1/campaigns/mentors/subscriptions";
    assert_eq!(post_from(&a, donor, subscriptions, &subscribe(1)).await.status(), 202);
    assert_eq!(post_from(&b, donor, subscriptions, &subscribe(2)).await.status(), 202);
    assert_waits(post_from(&a, donor, subscriptions, &subscribe(3)).await, "a third subscription").await;
    assert_waits(post_from(&b, donor, subscriptions, &subscribe(4)).await, "a third subscription").await;
}

async fn pledges_at_once_on_both_servers_get_exactly_the_limit(backend: Backend) {
    let (a, b) = two_servers(backend, |s| s.limits.pledges_per_hour = 4).await;
    let pledge = json!({"amount": 100_000});
    let attempts = (0..16).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        post_from(app, "203.0.113.12", PLEDGES, &pledge)
    });
    let statuses: Vec<u16> =
        futures_util::future::join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 4, "no more than the limit: {statuses:?}");
    assert!(statuses.iter().all(|s| [201, 429].contains(s)), "{statuses:?}");
}

async fn sign_in(app: &TestApp, client: &str, email: &str, password: &str) -> reqwest::Response {
    let body = json!({"email": email, "password": password});
    post_from(app, client, "/api/v1/staff/sessions", &body).await
}

async fn failed_sign_ins_on_one_server_slow_down_the_other(backend: Backend) {
    let (a, b) = two_servers(backend, |_| {}).await;
    let email = editor(&a).await;
    let guesser = "203.0.113.9";
    // The five free failures, spread over both servers.
    for app in [&a, &b, &a, &b, &a] {
        assert_problem(sign_in(app, guesser, &email, "a wrong password").await, 401).await;
    }
    // Both servers know: even the right password waits now. (Asked at once: the wait is a
    // second, as long as the pause before each refusal.)
    let (on_b, on_a) = tokio::join!(
        sign_in(&b, guesser, &email, "the right password"),
        sign_in(&a, guesser, &email, "the right password"),
    );
    assert!(assert_waits(on_b, "the second server").await >= 1);
    assert!(assert_waits(on_a, "the first server").await >= 1);
    // The owner, elsewhere, is not slowed on either server.
    assert_eq!(sign_in(&b, "198.51.100.20", &email, "the right password").await.status(), 201);
    assert_eq!(sign_in(&a, "198.51.100.20", &email, "the right password").await.status(), 201);
}

async fn one_address_cannot_spread_its_guesses_over_servers(backend: Backend) {
    let (a, b) = two_servers(backend, |_| {}).await;
    let email = editor(&a).await;
    let stranger = "203.0.113.10";
    // Thirty accounts guessed once each, fifteen through each server: the address's ceiling.
    for i in 0..30 {
        let app = if i % 2 == 0 { &a } else { &b };
        assert_problem(sign_in(app, stranger, &format!("guess{i}@example.org"), "a guess").await, 401).await;
    }
    for app in [&a, &b] {
        let wait = assert_waits(sign_in(app, stranger, "another@example.org", "a guess").await, "a 31st account").await;
        assert!(wait > 3000, "the hour must pass: {wait}");
    }
    assert_eq!(sign_in(&b, "198.51.100.21", &email, "the right password").await.status(), 201);
}

async fn one_idempotency_key_makes_one_pledge_whichever_server_answers(backend: Backend) {
    let (a, b) = two_servers(backend, |_| {}).await;
    let body = json!({"amount": 250_000, "donor_name": "Асель"});
    let send = |app: &TestApp| {
        app.client
            .post(app.url(PLEDGES))
            .header("x-forwarded-for", "203.0.113.11")
            .header("Idempotency-Key", "pledge-once-7f3a")
            .json(&body)
            .send()
    };
    let first = send(&a).await.expect("sent");
    let (first_status, first_body) = (first.status(), first.text().await.expect("body"));
    let again = send(&b).await.expect("sent");
    assert_eq!((again.status(), again.text().await.expect("body")), (first_status, first_body.clone()));
    assert_eq!(first_status, 201);
    let accountant = b.staff_token(Role::Accountant).await;
    let list: Value = a.get_as(&accountant, "/api/v1/staff/pledges").await.json().await.expect("JSON");
    let pledges = list["pledges"].as_array().expect("a list");
    let id = serde_json::from_str::<Value>(&first_body).expect("JSON")["id"].clone();
    assert_eq!(pledges.len(), 1, "one pledge: {list}");
    assert_eq!(pledges[0]["id"], id);
}

async fn both_mail_workers_drain_one_outbox_and_send_each_mail_once(backend: Backend) {
    let database = fresh_database(backend);
    let root =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("twins-{}", uuid::Uuid::new_v4().simple()));
    let (dir_a, dir_b) = (root.join("a"), root.join("b"));
    let (to_a, to_b) = (dir_a.display().to_string(), dir_b.display().to_string());
    let a = spawn_app_on(&database).with(move |s| s.mail.file_dir = to_a).await;
    let b = spawn_app_on(&database).with(move |s| s.mail.file_dir = to_b).await;
    let count = 40;
    a.pool
        .run(move |conn| {
            for i in 0..count {
                let mail = demeu_db::outbox::OutgoingMail {
                    recipient: format!("twin{i}@example.kz"),
                    subject: format!("Mail {i}"),
                    text_body: "Text.".into(),
                    html_body: "<p>Text.</p>".into(),
                    headers: Vec::new(),
                    kind: "news".into(),
                    dedupe_key: format!("twins:{i}"),
                };
                demeu_db::outbox::enqueue(conn, &mail)?;
            }
            Ok::<_, demeu_db::DbError>(())
        })
        .await
        .expect("enqueued");
    // Both drain at once, beside both servers' own workers.
    tokio::join!(a.drain_mail(), b.drain_mail());
    let mut recipients = Vec::new();
    for dir in [&dir_a, &dir_b] {
        for entry in std::fs::read_dir(dir).expect("the mail folder") {
            let text = std::fs::read_to_string(entry.expect("an entry").path()).expect("a mail");
            let to = text.lines().find_map(|l| l.strip_prefix("To: ")).expect("a To header").to_string();
            recipients.push(to);
        }
    }
    recipients.sort();
    let mut expected: Vec<String> = (0..count).map(|i| format!("twin{i}@example.kz")).collect();
    expected.sort();
    assert_eq!(recipients, expected, "every mail once, though four workers ran");
    let unsent: i64 = a
        .pool
        .run(|conn| {
            use demeu_db::outbox::MailStatus;
            use demeu_db::schema::mail_outbox::dsl::*;
            use diesel::prelude::*;
            mail_outbox.filter(status.ne(MailStatus::Sent)).count().get_result(conn).map_err(demeu_db::DbError::from)
        })
        .await
        .expect("the outbox");
    assert_eq!(unsent, 0);
}

/// Instances started at once (a scaled-up service, a rolling deploy) take turns applying the
/// migrations and storing the campaigns, instead of all but one failing to start. PostgreSQL
/// only: SQLite is for one instance, and several processes on its file start one at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_started_together_on_postgres_all_start() {
    for _ in 0..3 {
        let database = fresh_database(Backend::Postgres);
        let (a, b, c) = tokio::join!(spawn_app_on(&database), spawn_app_on(&database), spawn_app_on(&database));
        for app in [&a, &b, &c] {
            assert_eq!(app.get("/ready").await.status(), 200);
        }
    }
}

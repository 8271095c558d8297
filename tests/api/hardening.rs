//! What an attacker tried from outside (issue 8): the sandbox's shipped secret, the sign-in
//! slow-down and its memory, ids leaking through cursors and sandbox sessions, inbox flooding.

use std::net::IpAddr;

use demeu_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::stripe::{event, session, signature, Ids};

on_both_backends!(
    the_secret_once_shipped_signs_nothing,
    sign_in_slows_down_by_the_address_as_read,
    a_stranger_cannot_lock_the_owner_out,
    one_address_cannot_try_many_accounts,
    password_checks_beyond_the_slots_are_503_not_memory,
    cursors_and_sandbox_sessions_name_no_pledge,
    only_a_plain_address_subscribes,
    pledges_are_limited_per_address_and_news_by_pledge_counts,
    storage_that_refuses_writes_is_503_and_not_ready,
    limits_that_cannot_be_counted_are_503_not_a_free_pass,
    a_refused_guesser_is_refused_while_the_database_is_busy,
    counts_no_rule_reads_are_swept,
);

/// A small filesystem of its own (tmpfs, mounted as root: CI runs as root), so that a test can
/// fill its disk for real; unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("small-disk-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("a mount point");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .expect("mount runs");
        assert!(mounted.success(), "mounting a {size} tmpfs at {} (the test needs root)", dir.display());
        SmallDisk(dir)
    }

    /// Fills the disk with a file, then gives back `left` bytes of it.
    fn fill(&self, left: u64) {
        use std::io::Write;
        let path = self.0.join("filler");
        let mut file = std::fs::File::create(&path).expect("filler");
        let chunk = vec![0u8; 64 * 1024];
        let mut written = 0u64;
        while let Ok(n) = file.write(&chunk) {
            if n == 0 {
                break;
            }
            written += n as u64;
        }
        file.set_len(written.saturating_sub(left)).expect("room given back");
    }

    fn empty(&self) {
        std::fs::remove_file(self.0.join("filler")).expect("filler removed");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// The audit's finding: with SQLite's disk all but full, `/ready`'s one-row probe still found
/// room while every payment delivery failed, and a load balancer kept sending traffic. (Here the
/// first such delivery was even a 500: SQLite had rolled the transaction back by itself, and
/// the ROLLBACK that found none was reported instead of the full disk.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_ready_means_a_payment_would_fit() {
    let disk = SmallDisk::mount("16m");
    let url = format!("sqlite://{}", disk.0.join("demeu.db").display());
    let app = crate::helpers::spawn_app_on(&url).await;
    let mut pledges = Vec::new();
    for _ in 0..20 {
        pledges.push(app.pledge(500_000).await);
    }
    assert_eq!(app.get("/ready").await.status(), 200);
    // The disk full but for 16 KiB: room for a small row, not for a payment.
    disk.fill(16 * 1024);
    let deliver = |pledge: &str| {
        let body = event("checkout.session.completed", session(&Ids::for_pledge(pledge), 500_000, "paid"));
        let signed = signature(&body, crate::stripe::SANDBOX_SECRET);
        let app = &app;
        async move { app.post_webhook(&body, &signed).await.status().as_u16() }
    };
    let mut refused = None;
    for pledge in &pledges {
        match deliver(pledge).await {
            200 => {}
            503 => {
                refused = Some(pledge.clone());
                break;
            }
            other => panic!("a delivery on a full disk answered {other}"),
        }
    }
    let refused = refused.expect("the disk filled up before the last payment");
    // Then the server is not ready: a load balancer stops sending it payments.
    assert_problem(app.get("/ready").await, 503).await;
    assert_eq!(deliver(&refused).await, 503, "and indeed a payment does not fit");
    // Room again: ready, and the provider's next delivery counts.
    disk.empty();
    assert_eq!(app.get("/ready").await.status(), 200);
    let before = app.progress().await;
    assert_eq!(deliver(&refused).await, 200);
    assert_eq!(app.progress().await, (before.0 + 500_000, before.1 + 1));
}

/// A client whose requests come from `ip` (any 127.x address is this machine).
fn client_from(ip: &str) -> reqwest::Client {
    let ip: IpAddr = ip.parse().expect("an address");
    reqwest::Client::builder().local_address(ip).build().expect("a client")
}

async fn sign_in(client: &reqwest::Client, app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    client
        .post(app.url("/api/v1/staff/sessions"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("sent")
}

/// An editor account with a known password ("the right password"); returns its address.
pub async fn editor(app: &TestApp) -> String {
    let email = "editor@example.org".to_string();
    let new = demeu_api::auth::NewStaffUser {
        email: email.clone(),
        password: "the right password".into(),
        role: Role::Editor,
    };
    app.pool.run(move |conn| demeu_api::auth::create_user(conn, None, &new)).await.expect("an editor");
    email
}

async fn the_secret_once_shipped_signs_nothing(backend: Backend) {
    // An installation as shipped: the sandbox makes its own secret.
    let app = spawn_app(backend).with(|s| s.payments.sandbox.webhook_secret = String::new().into()).await;
    let ids = Ids::for_pledge(&app.pledge(500_000).await);
    let body = event("checkout.session.completed", session(&ids, 500_000, "paid"));
    let shipped = "whsec_sandbox_not_for_production";
    assert_problem(app.post_webhook(&body, &signature(&body, shipped)).await, 400).await;
    assert_eq!(app.progress().await, (0, 0), "a forged payment counts nothing");
    let secret: String = app
        .pool
        .run(|conn| demeu_db::secrets::get_or_create(conn, "sandbox_webhook_secret"))
        .await
        .expect("the installation's secret");
    assert_eq!(secret.len(), 64);
    assert_ne!(secret, shipped);
    // The sandbox's own "Pay" still works: it signs with the installation's secret.
    let created: Value = app
        .post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 300_000}))
        .await
        .json()
        .await
        .expect("JSON");
    let checkout = created["checkout_url"].as_str().expect("url").trim_start_matches("http://127.0.0.1:8080");
    let paid = app.client.post(app.url(&format!("{checkout}/pay"))).send().await.expect("sent");
    assert_eq!(paid.status(), 200, "{:?}", paid.text().await);
    assert_eq!(app.progress().await, (300_000, 1));
}

async fn sign_in_slows_down_by_the_address_as_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = editor(&app).await;
    let client = client_from("127.0.0.1");
    // Five spellings of one address, each a wrong password: one counter, not five.
    for spelling in
        [format!(" {email}"), format!("{email} "), email.to_uppercase(), format!("  {email}  "), email.clone()]
    {
        assert_problem(sign_in(&client, &app, &spelling, "a wrong password").await, 401).await;
    }
    let res = sign_in(&client, &app, &format!("{email} "), "the right password").await;
    assert_eq!(res.status(), 429, "even the right password waits now");
    assert!(res.headers().get("retry-after").is_some());
}

async fn a_stranger_cannot_lock_the_owner_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = editor(&app).await;
    let stranger = client_from("127.0.0.2");
    for _ in 0..8 {
        let res = sign_in(&stranger, &app, &email, "a guess").await;
        assert!([401, 429].contains(&res.status().as_u16()));
    }
    assert_eq!(sign_in(&stranger, &app, &email, "a guess").await.status(), 429, "the stranger waits");
    let owner = client_from("127.0.0.1");
    assert_eq!(sign_in(&owner, &app, &email, "the right password").await.status(), 201, "the owner does not");
}

async fn one_address_cannot_try_many_accounts(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = editor(&app).await;
    let stranger = client_from("127.0.0.3");
    for i in 0..30 {
        assert_problem(sign_in(&stranger, &app, &format!("guess{i}@example.org"), "a guess").await, 401).await;
    }
    let res = sign_in(&stranger, &app, "another@example.org", "a guess").await;
    assert_eq!(res.status(), 429);
    assert!(res.headers()["retry-after"].to_str().ok().and_then(|s| s.parse::<u64>().ok()).is_some_and(|s| s > 60));
    assert_eq!(sign_in(&client_from("127.0.0.1"), &app, &email, "the right password").await.status(), 201);
}

async fn password_checks_beyond_the_slots_are_503_not_memory(backend: Backend) {
    let app = spawn_app(backend)
        .with(|s| {
            s.limits.password_checks = 1;
            s.limits.password_check_wait = std::time::Duration::from_millis(1);
        })
        .await;
    let attempts = (0..12).map(|i| {
        let client = client_from(&format!("127.0.1.{}", i + 1));
        let app = &app;
        async move { sign_in(&client, app, &format!("nobody{i}@example.org"), "a guess").await }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|s| [401, 503].contains(s)), "{statuses:?}");
    assert!(statuses.contains(&503), "beyond the one slot, refused at once: {statuses:?}");
    let busy = answers.iter().find(|r| r.status() == 503).expect("a 503");
    assert_eq!(busy.headers()["retry-after"], "5");
    assert_eq!(app.get("/api/v1/campaigns/mentors").await.status(), 200, "donors' pages still answer");
}

async fn cursors_and_sandbox_sessions_name_no_pledge(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ids = Vec::new();
    for amount in [100_000, 200_000, 300_000] {
        let created: Value = app
            .post_json(
                "/api/v1/campaigns/mentors/pledges",
                &json!({"amount": amount, "hide_amount": amount == 200_000, "donor_name": "Hidden"}),
            )
            .await
            .json()
            .await
            .expect("JSON");
        let id = created["id"].as_str().expect("id").to_string();
        let checkout = created["checkout_url"].as_str().expect("url").to_string();
        assert!(!checkout.contains(&id.replace('-', "")) && !checkout.contains(&id), "{checkout} names {id}");
        let path = checkout.trim_start_matches("http://127.0.0.1:8080");
        app.client.post(app.url(&format!("{path}/pay"))).send().await.expect("paid");
        // Knowing a pledge id opens no one's checkout.
        let guessed = format!("/sandbox/checkout/cs_sandbox_{}", id.replace('-', ""));
        assert_eq!(app.get(&guessed).await.status(), 404);
        ids.push(id);
    }
    // Walk the wall one entry at a time: no cursor names a pledge.
    let mut cursor: Option<String> = None;
    let mut seen = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/campaigns/mentors/pledges?limit=1&cursor={c}"),
            None => "/api/v1/campaigns/mentors/pledges?limit=1".to_string(),
        };
        let page = app.get_json(&path).await;
        seen += page["pledges"].as_array().map_or(0, Vec::len);
        let Some(next) = page["next_cursor"].as_str() else { break };
        for id in &ids {
            assert!(!next.contains(id.as_str()) && !next.contains(&id.replace('-', "")), "{next} names {id}");
        }
        cursor = Some(next.to_string());
    }
    assert_eq!(seen, 3, "every entry once");
    let hidden = app.get_json("/api/v1/campaigns/mentors/pledges?limit=3").await;
    assert_eq!(hidden["pledges"][1]["amount"], Value::Null, "the hidden amount stays hidden");
}

async fn only_a_plain_address_subscribes(backend: Backend) {
    let app = spawn_app(backend).await;
    for email in ["x1<victim@example.org>", "Victim <victim@example.org>", "victim@example.org, other@example.org"] {
        let problem = assert_problem(
            app.post_json(
                "/api/v1/campaigns/mentors/pledges",
                &json!({"amount": 100_000, "email": email, "subscribe": true}),
            )
            .await,
            422,
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "email", "{email}");
        let problem = assert_problem(
            app.post_json("/api/v1/campaigns/mentors/subscriptions", &json!({"email": email})).await,
            422,
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "email", "{email}");
    }
    app.drain_mail().await;
    let queued: i64 = app
        .pool
        .run(|conn| {
            use demeu_db::schema::mail_outbox::dsl::*;
            use diesel::prelude::*;
            mail_outbox.count().get_result(conn).map_err(demeu_db::DbError::from)
        })
        .await
        .expect("outbox");
    assert_eq!(queued, 0, "no confirmation went anywhere");
}

async fn pledges_are_limited_per_address_and_news_by_pledge_counts(backend: Backend) {
    let app = spawn_app(backend)
        .with(|s| {
            s.limits.pledges_per_hour = 4;
            s.limits.subscriptions_per_hour = 2;
        })
        .await;
    let path = "/api/v1/campaigns/mentors/pledges";
    for i in 0..2 {
        let body = json!({"amount": 100_000, "email": format!("reader{i}@example.org"), "subscribe": true});
        assert_eq!(app.post_json(path, &body).await.status(), 201);
    }
    let body = json!({"amount": 100_000, "email": "reader9@example.org", "subscribe": true});
    let res = app.post_json(path, &body).await;
    assert_eq!(res.status(), 429, "a pledge asking for news counts against the subscription limit");
    assert!(res.headers().get("retry-after").is_some());
    assert_eq!(app.post_json(path, &json!({"amount": 100_000})).await.status(), 201);
    assert_problem(app.post_json(path, &json!({"amount": 100_000})).await, 429).await;
    let token = app.staff_token(Role::Accountant).await;
    let list: Value = app.get_as(&token, "/api/v1/staff/pledges").await.json().await.expect("JSON");
    assert_eq!(list["pledges"].as_array().map(Vec::len), Some(3), "refused pledges stored nothing");
}

async fn storage_that_refuses_writes_is_503_and_not_ready(backend: Backend) {
    // One connection, so that what is done to it is what every request meets.
    let app = spawn_app(backend).with(|s| s.database.pool_size = 1).await;
    let (refuse, accept) = match backend {
        Backend::Sqlite => ("PRAGMA query_only = ON", "PRAGMA query_only = OFF"),
        Backend::Postgres => (
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
        ),
    };
    assert_eq!(app.get("/ready").await.status(), 200);
    app.execute_sql(refuse).await.expect("the database refuses writes");
    let res = app.post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 100_000})).await;
    assert_eq!(res.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("5"));
    assert_problem(res, 503).await;
    assert_problem(app.get("/ready").await, 503).await;
    assert_eq!(app.get("/api/v1/campaigns/mentors").await.status(), 200, "reads still answer");
    app.execute_sql(accept).await.expect("writes again");
    assert_eq!(app.post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 100_000})).await.status(), 201);
    assert_eq!(app.get("/ready").await.status(), 200);
}

/// The statements that make the one connection of a `pool_size = 1` app refuse writes, and
/// accept them again.
fn read_only(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Sqlite => ("PRAGMA query_only = ON", "PRAGMA query_only = OFF"),
        Backend::Postgres => (
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
        ),
    }
}

async fn limits_that_cannot_be_counted_are_503_not_a_free_pass(backend: Backend) {
    let app = spawn_app(backend).with(|s| s.database.pool_size = 1).await;
    let email = editor(&app).await;
    let (refuse, accept) = read_only(backend);
    app.execute_sql(refuse).await.expect("the database refuses writes");
    let posts = [
        ("/api/v1/campaigns/mentors/subscriptions", json!({"email": "reader@example.org"})),
        ("/api/v1/campaigns/mentors/comments", json!({"name": "Dana", "body": "Спасибо!"})),
        ("/api/v1/campaigns/mentors/pledges", json!({"amount": 100_000})),
    ];
    for (path, body) in &posts {
        let res = app.post_json(path, body).await;
        assert_eq!(res.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("5"), "{path}");
        assert_problem(res, 503).await;
    }
    // A failure that cannot be counted is not answered 401: the guess would go uncounted.
    let stranger = client_from("127.0.0.4");
    for account in [email.as_str(), "nobody@example.org"] {
        assert_problem(sign_in(&stranger, &app, account, "a wrong password").await, 503).await;
    }
    app.execute_sql(accept).await.expect("writes again");
    assert_problem(sign_in(&stranger, &app, &email, "a wrong password").await, 401).await;
    assert_eq!(sign_in(&stranger, &app, &email, "the right password").await.status(), 201);
}

async fn counts_no_rule_reads_are_swept(backend: Backend) {
    let app = spawn_app(backend).await;
    let count = |table: &'static str| {
        let pool = app.pool.clone();
        async move {
            #[derive(diesel::QueryableByName)]
            struct Count {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            pool.run(move |conn| {
                use diesel::RunQueryDsl;
                diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
                    .get_result::<Count>(conn)
                    .map_err(demeu_db::DbError::from)
            })
            .await
            .expect("a count")
            .n
        }
    };
    let sweep =
        || async { app.pool.run(|conn| demeu_api::limit_store::sweep(conn, demeu_db::now())).await.expect("swept") };
    // Counted now: a pledge, a failed sign-in (its address and account, and the pair).
    assert_eq!(app.post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 100_000})).await.status(), 201);
    let stranger = client_from("127.0.0.5");
    assert_problem(sign_in(&stranger, &app, "nobody@example.org", "a guess").await, 401).await;
    // Counted long ago: an event, and more quiet pairs than the slow-down keeps.
    app.execute_sql(
        "INSERT INTO limit_events (id, scope, key, counted_at) VALUES ('old', 'pledges', '127.0.0.1', '2000-01-01 00:00:00')",
    )
    .await
    .expect("an old event");
    let quiet_pairs = |n: u32| {
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             INSERT INTO sign_in_failures (account, client, failures, last_failed_at) \
             SELECT 'quiet' || i, '192.0.2.1', 3, '2000-01-01 00:00:00' FROM n"
        )
    };
    app.execute_sql(&quiet_pairs(10_000)).await.expect("quiet pairs");
    assert_eq!((count("limit_events").await, count("sign_in_failures").await), (4, 10_001));
    assert_eq!(sweep().await, (1, 10_000), "the old event, and the quiet pairs once over ten thousand");
    assert_eq!((count("limit_events").await, count("sign_in_failures").await), (3, 1));
    // Fewer pairs than that: kept, as the slow-down kept them in memory.
    app.execute_sql(&quiet_pairs(5)).await.expect("quiet pairs");
    assert_eq!(sweep().await, (0, 0));
    assert_eq!(count("sign_in_failures").await, 6);
}

async fn a_refused_guesser_is_refused_while_the_database_is_busy(backend: Backend) {
    let app = spawn_app(backend).with(|s| s.database.pool_size = 1).await;
    let stranger = client_from("127.0.0.6");
    for i in 0..30 {
        assert_problem(sign_in(&stranger, &app, &format!("guess{i}@example.org"), "a guess").await, 401).await;
    }
    assert_problem(sign_in(&stranger, &app, "another@example.org", "a guess").await, 429).await;
    // The one connection is taken for three seconds: a slow database.
    let pool = app.pool.clone();
    let busy = tokio::spawn(async move {
        pool.run(|_| {
            std::thread::sleep(std::time::Duration::from_secs(3));
            Ok::<_, demeu_db::DbError>(())
        })
        .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let asked = std::time::Instant::now();
    assert_problem(sign_in(&stranger, &app, "yet-another@example.org", "a guess").await, 429).await;
    let took = asked.elapsed();
    assert!(took < std::time::Duration::from_millis(2500), "refused after its pause, not the database's: {took:?}");
    busy.await.expect("the busy task").expect("the connection was had");
}

//! The database going away in the middle of a money transaction: the answer is 503 (retry-safe,
//! as the contract says of an unavailable database), never 500, and nothing is kept.
//!
//! PostgreSQL only: there a connection can really be cut from inside the transaction (a trigger
//! on the outbox makes the server terminate its own backend while the receipt is enqueued).
//! SQLite has no server to lose; its busy and I/O errors take the same mapping.

use demeu_api::auth::Role;
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app, Backend};

const CUT_ON_MAIL: &str = "CREATE FUNCTION demeu_test_cut() RETURNS trigger AS $$ \
     BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$ LANGUAGE plpgsql";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_while_a_receipt_is_enqueued_is_503_and_keeps_nothing() {
    let app = spawn_app(Backend::Postgres).await;
    let token = app.staff_token(Role::Accountant).await;
    app.execute_sql(CUT_ON_MAIL).await.expect("function");
    app.execute_sql(
        "CREATE TRIGGER demeu_test_cut BEFORE INSERT ON mail_outbox FOR EACH ROW EXECUTE FUNCTION demeu_test_cut()",
    )
    .await
    .expect("trigger");
    let gift = json!({"amount": 100_000, "email": "donor@example.kz", "method": "cash", "reference": "CASH-9"});
    let path = "/api/v1/staff/campaigns/mentors/offline-pledges";
    assert_problem(app.post_as(&token, path, &gift).await, 503).await;
    assert_eq!(app.progress().await, (0, 0), "the gift and its ledger row went with the transaction");
    app.execute_sql("DROP TRIGGER demeu_test_cut ON mail_outbox").await.expect("the database is back");
    assert_eq!(app.post_as(&token, path, &gift).await.status(), 201, "a retry succeeds");
    assert_eq!(app.progress().await, (100_000, 1));
    app.assert_reconciled().await;
}

/// A TCP relay between the server and PostgreSQL that can be cut (every relayed connection
/// closed, new ones closed as they come) and restored: a database restart as the server sees it.
struct Relay {
    port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cuts: tokio::sync::watch::Sender<u64>,
}

impl Relay {
    async fn to(upstream: u16) -> Relay {
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("address").port();
        let up = std::sync::Arc::new(AtomicBool::new(true));
        let (cuts, watch) = tokio::sync::watch::channel(0u64);
        let open = up.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !open.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once, as a stopped server's port answers
                }
                // Cut by the next cut, not by one before it was opened.
                let mut cut = watch.clone();
                cut.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Relay { port, up, cuts }
    }

    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The finding: during a short outage each request waited the pool's whole timeout for
/// its 503, and after it the first success came only when r2d2's reconnect back-off let it
/// (about 2 s after a 3 s outage). The pool's timeout is made long here (20 s), so that either
/// wait would show far above the bounds below, whatever the machine's noise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_outage_is_503_at_once_and_over_as_soon_as_the_database_is_back() {
    let direct = crate::postgres::fresh_database_url();
    let upstream: u16 =
        direct.rsplit(':').next().and_then(|rest| rest.split('/').next()).expect("a port").parse().expect("a port");
    let relay = Relay::to(upstream).await;
    let url = direct.replace(&format!(":{upstream}/"), &format!(":{}/", relay.port));
    let app =
        crate::helpers::spawn_app_on(&url).with(|s| s.database.pool_timeout = std::time::Duration::from_secs(20)).await;
    let wall = "/api/v1/campaigns/mentors/pledges";
    assert_eq!(app.get(wall).await.status(), 200);

    relay.cut();
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let res = app.get(wall).await;
        let took = started.elapsed();
        assert_problem(res, 503).await;
        assert!(
            took < std::time::Duration::from_secs(3),
            "a known outage is answered at once, not after the pool's timeout: {took:?}"
        );
    }
    // A few seconds down, so that a reconnect back-off would have grown past the bound below.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert_problem(app.get(wall).await, 503).await;

    relay.restore();
    let started = std::time::Instant::now();
    let res = app.get(wall).await;
    let took = started.elapsed();
    let status = res.status();
    let body = res.text().await.expect("body");
    assert_eq!(status, 200, "the first request after the database is back succeeds: {body}");
    assert!(took < std::time::Duration::from_secs(2), "and without waiting out a back-off: {took:?}");
    let gift = app.pledge(500_000).await;
    assert!(!gift.is_empty());
}

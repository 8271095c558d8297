//! What one webhook delivery costs the database: every statement sent, counted on the
//! connection itself (diesel's instrumentation). Each is a round trip on PostgreSQL, where the
//! deliveries a second are bound by them; the figures go in the scale note, and the bounds here
//! keep a change from quietly adding some back.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use demeu_db::{DbConn, DbError, DbPool, PoolOptions};
use diesel::connection::{Connection, Instrumentation, InstrumentationEvent};
use diesel::RunQueryDsl;
use donations::payment_events::{process, Processed};

use crate::helpers::{fresh_database, spawn_app, test_settings, Backend, TestApp};
use crate::on_both_backends;
use crate::stripe::{event, payment_intent, session, Ids};

on_both_backends!(a_delivery_costs_a_bounded_number_of_statements, a_connection_just_back_in_the_pool_is_not_pinged);

/// Records the head of each statement a connection sends into `log`: without its binds, enough
/// to tell which it is.
fn recorder(log: Arc<Mutex<Vec<String>>>) -> impl Instrumentation {
    move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let sql = query.to_string();
            let head = sql.split(" -- binds").next().unwrap_or_default().chars().take(90).collect();
            log.lock().expect("log").push(head);
        }
    }
}

/// Processes `body` on a connection of the app's pool and returns the SQL it sent.
async fn statements_of(app: &TestApp, body: String) -> (Processed, Vec<String>) {
    let pool = app.pool.clone();
    tokio::task::spawn_blocking(move || {
        let settings = test_settings("sqlite://unused");
        let delivery = demeu_api::payments::stripe_events::decode(&body).expect("an event");
        let mut conn = pool.get().expect("a connection");
        let sent = Arc::new(Mutex::new(Vec::new()));
        conn.set_instrumentation(recorder(sent.clone()));
        let processed = process(
            &mut conn,
            &delivery,
            &demeu_api::payments::webhook::mail_effects(&demeu_api::mail::compose::MailContext::from_settings(
                &settings,
            )),
            settings.payments.retry_window("stripe"),
        )
        .expect("processed");
        // The connection goes back to the pool: without the counter.
        conn.set_instrumentation(None::<Box<dyn Instrumentation>>);
        let sent = sent.lock().expect("log").clone();
        (processed, sent)
    })
    .await
    .expect("task")
}

async fn a_delivery_costs_a_bounded_number_of_statements(backend: Backend) {
    let app = spawn_app(backend).await;
    let ids = Ids::for_pledge(&app.pledge(500_000).await);
    let (first, counting) = statements_of(&app, event("payment_intent.succeeded", payment_intent(&ids, 500_000))).await;
    assert!(matches!(first, Processed::Counted { .. }), "{first:?}");
    let (second, again) =
        statements_of(&app, event("checkout.session.completed", session(&ids, 500_000, "paid"))).await;
    assert!(matches!(second, Processed::Recorded(_)), "{second:?}");
    println!("{backend:?}: a counting delivery: {} statements:\n  {}", counting.len(), counting.join("\n  "));
    println!("{backend:?}: the same payment reported again: {} statements", again.len());
    // 23 and 14 before the inbox row was written last, the savepoints went and the receipt's
    // lookups were skipped for a pledge without an address; 14 and 11 while the pledge row was
    // written three times (an UPDATE only to take its lock, the provider's ids, the money).
    // Now the row is read under its lock (`FOR UPDATE` on PostgreSQL) and written once.
    assert!(counting.len() <= 11, "{}", counting.len());
    assert!(again.len() <= 5, "{}", again.len());
    let pledge_writes = |sent: &[String]| {
        sent.iter().filter(|sql| sql.contains("UPDATE \"pledges\"") || sql.contains("UPDATE `pledges`")).count()
    };
    assert_eq!(pledge_writes(&counting), 1, "one new version of the pledge row per delivery: {counting:#?}");
    assert!(pledge_writes(&again) <= 1, "{again:#?}");
    app.assert_reconciled().await;
}

/// A pool of one connection, trusting a connection back for `alive_bypass`, and the statements
/// that connection sends.
async fn watched_pool(url: &str, alive_bypass: Duration) -> (DbPool, Arc<Mutex<Vec<String>>>) {
    let options = PoolOptions { max_size: 1, min_idle: 1, alive_bypass, ..PoolOptions::default() };
    let pool = DbPool::connect(url, &options).expect("a pool");
    let sent = Arc::new(Mutex::new(Vec::new()));
    let log = sent.clone();
    pool.run(move |conn| {
        conn.set_instrumentation(recorder(log));
        Ok::<_, DbError>(())
    })
    .await
    .expect("instrumented");
    sent.lock().expect("log").clear();
    (pool, sent)
}

async fn run_sql(pool: &DbPool, sql: &'static str) -> Result<usize, DbError> {
    pool.run(move |conn| diesel::sql_query(sql).execute(conn).map_err(DbError::from)).await
}

async fn a_connection_just_back_in_the_pool_is_not_pinged(backend: Backend) {
    let url = fresh_database(backend);
    let pings =
        |sent: &Mutex<Vec<String>>| sent.lock().expect("log").iter().filter(|sql| sql.starts_with("SELECT 1")).count();

    // Used again within the window: the work only, no `SELECT 1` round trip before it.
    let (pool, sent) = watched_pool(&url, Duration::from_secs(60)).await;
    for _ in 0..3 {
        run_sql(&pool, "SELECT 2").await.expect("a query");
    }
    assert_eq!(pings(&sent), 0, "{sent:?}");
    // After a use that failed, the connection is tested before the next.
    assert!(run_sql(&pool, "SELECT * FROM no_such_table").await.is_err());
    run_sql(&pool, "SELECT 2").await.expect("a query");
    assert_eq!(pings(&sent), 1, "{sent:?}");

    // Idle past the window: tested before each use.
    let (pool, sent) = watched_pool(&url, Duration::from_millis(1)).await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        run_sql(&pool, "SELECT 2").await.expect("a query");
    }
    assert_eq!(pings(&sent), 3, "{sent:?}");
}

/// A PostgreSQL restart closes every connection: within the window, the request that finds its
/// connection closed fails (503), and the next one gets a new connection, not the dead one again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_the_server_closed_is_replaced_after_one_failure() {
    let url = fresh_database(Backend::Postgres);
    let options =
        PoolOptions { max_size: 1, min_idle: 1, alive_bypass: Duration::from_secs(60), ..PoolOptions::default() };
    let pool = DbPool::connect(&url, &options).expect("a pool");
    run_sql(&pool, "SELECT 2").await.expect("a query");
    let closer = url.clone();
    tokio::task::spawn_blocking(move || {
        let mut other = DbConn::open(&closer).expect("another connection");
        diesel::sql_query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .execute(&mut other)
        .expect("the pool's connection closed");
    })
    .await
    .expect("closed");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let failed = run_sql(&pool, "SELECT 2").await.expect_err("the closed connection fails once");
    assert!(demeu_db::outage::is_storage_outage(&match failed {
        DbError::Query(e) => e,
        other => panic!("{other:?}"),
    }));
    for _ in 0..3 {
        run_sql(&pool, "SELECT 2").await.expect("a new connection");
    }
}

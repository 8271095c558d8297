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

//! The ledger against real databases: totals move in the same transaction, a repeated source
//! is a no-op, concurrent appends lose nothing, and reconciliation agrees.

use donations::ids::PledgeId;
use donations::ledger::{append, Appended, EntryKind, NewEntry};
use donations::ledger_source::LedgerSource;
use donations::money::{Currency, Money};
use donations::pledge::{NewPledge, PaymentMethod};
use donations::pledge_store::insert;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    payments_refunds_and_disputes_move_progress_exactly,
    a_repeated_source_counts_once,
    concurrent_appends_lose_nothing,
    an_upgrade_moves_each_pledges_money_to_its_totals_row,
);

async fn new_pledge(app: &TestApp, amount: i64) -> PledgeId {
    app.pool
        .run(move |conn| {
            let campaign = donations::campaign::find_by_slug(conn, "mentors")?;
            insert(
                conn,
                &NewPledge {
                    campaign_id: campaign.id,
                    amount: Money::new(amount, Currency::Kzt),
                    donor_name: Some("Айгерим".into()),
                    email: None,
                    anonymous: false,
                    hide_amount: false,
                    message: None,
                    subscribe: false,
                    method: PaymentMethod::Online,
                    reference: None,
                    provider: Some(donations::pledge::ProviderKind::Sandbox),
                    locale: None,
                    interval: donations::subscription::Interval::Once,
                },
            )
        })
        .await
        .expect("pledge stored")
}

async fn record(
    app: &TestApp,
    pledge_id: PledgeId,
    kind: EntryKind,
    amount: i64,
    source: &str,
) -> Result<Appended, donations::Error> {
    let entry = NewEntry {
        pledge_id,
        kind,
        amount: Money::new(amount, Currency::Kzt),
        source: LedgerSource::Payment { payment_id: source.to_string() },
    };
    app.pool.run(move |conn| append(conn, &entry)).await
}

async fn assert_reconciled(app: &TestApp) -> donations::reconcile::Report {
    let report = app.pool.run(|conn| donations::reconcile::reconcile(conn, "mentors")).await.expect("report");
    assert!(report.is_clean(), "{report:?}");
    report
}

async fn payments_refunds_and_disputes_move_progress_exactly(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = new_pledge(&app, 30_000_000).await;
    let b = new_pledge(&app, 25_000_000).await;
    let first = record(&app, a, EntryKind::Payment, 30_000_000, "test:a:payment").await.expect("recorded");
    assert!(first.first_counted());
    record(&app, b, EntryKind::Payment, 25_000_000, "test:b:payment").await.expect("recorded");

    // Written straight to the ledger, not through the API: the snapshot sees it at its poll.
    let body = app.campaign_once(|c| c["raised"] == 55_000_000).await;
    assert_eq!(body["raised"], 55_000_000);
    assert_eq!(body["pledges"], 2);
    assert_eq!(body["percent"], 104.76);
    let funded: Vec<i64> =
        body["allocation"].as_array().expect("lines").iter().map(|l| l["funded"].as_i64().expect("i64")).collect();
    assert_eq!(funded, [22_500_000, 30_000_000, 2_500_000, 0]);

    record(&app, b, EntryKind::Refund, -5_000_000, "test:b:refund:5000000").await.expect("partial refund");
    record(&app, a, EntryKind::DisputeHeld, -30_000_000, "test:a:dispute").await.expect("held");
    let body = app.campaign_once(|c| c["raised"] == 20_000_000).await;
    assert_eq!(body["raised"], 20_000_000);
    assert_eq!(body["pledges"], 1, "a pledge held in dispute counts nothing");

    let too_much = record(&app, b, EntryKind::Refund, -20_000_001, "test:b:refund:too-much").await;
    assert!(matches!(too_much, Err(donations::Error::Ledger(_))), "{too_much:?}");
    record(&app, a, EntryKind::DisputeReversed, 30_000_000, "test:a:dispute-won").await.expect("won");
    let body = app.campaign_once(|c| c["raised"] == 50_000_000).await;
    assert_eq!(body["raised"], 50_000_000);
    assert_eq!(body["pledges"], 2);
    let report = assert_reconciled(&app).await;
    assert_eq!(report.ledger_raised, 50_000_000);
}

async fn a_repeated_source_counts_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = new_pledge(&app, 1_000_000).await;
    let first = record(&app, a, EntryKind::Payment, 1_000_000, "stripe:pi_1:payment").await.expect("recorded");
    assert!(matches!(first, Appended::Recorded { .. }));
    let second = record(&app, a, EntryKind::Payment, 1_000_000, "stripe:pi_1:payment").await.expect("no-op");
    assert_eq!(second, Appended::AlreadyRecorded);
    assert_eq!(app.campaign_once(|c| c["raised"] == 1_000_000).await["raised"], 1_000_000);
    let missing = record(&app, PledgeId::new(), EntryKind::Payment, 1, "test:missing").await;
    assert!(matches!(missing, Err(donations::Error::NotFound("pledge"))));
    let wrong_currency = NewEntry {
        pledge_id: a,
        kind: EntryKind::Payment,
        amount: Money::new(5, Currency::Usd),
        source: LedgerSource::Payment { payment_id: "x".into() },
    };
    let res = app.pool.run(move |conn| append(conn, &wrong_currency)).await;
    assert!(matches!(res, Err(donations::Error::CurrencyMismatch { .. })));
    assert_reconciled(&app).await;
}

async fn concurrent_appends_lose_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut pledges = Vec::new();
    for i in 0..10 {
        pledges.push((new_pledge(&app, 100_000 + i).await, 100_000 + i));
    }
    // Each payment is sent three times at once, and one pledge is refunded in steps meanwhile.
    let mut tasks = Vec::new();
    for round in 0..3 {
        for (id, amount) in &pledges {
            let pool = app.pool.clone();
            let entry = NewEntry {
                pledge_id: *id,
                kind: EntryKind::Payment,
                amount: Money::new(*amount, Currency::Kzt),
                source: LedgerSource::Payment { payment_id: format!("test:{id}") },
            };
            tasks.push(tokio::spawn(async move {
                let _ = round;
                pool.run(move |conn| append(conn, &entry)).await
            }));
        }
    }
    let mut recorded = 0;
    for task in tasks {
        if let Appended::Recorded { .. } = task.await.expect("task").expect("append") {
            recorded += 1;
        }
    }
    assert_eq!(recorded, pledges.len(), "each source counted exactly once");
    let expected: i64 = pledges.iter().map(|(_, a)| a).sum();
    let body = app.campaign_once(|c| c["raised"] == expected).await;
    assert_eq!(body["raised"], expected);
    assert_eq!(body["pledges"], 10);
    assert_reconciled(&app).await;
}

/// Migration 000009 spreads the single totals row of the release before over 16: each pledge's
/// counted money on its row, and what the old row held beyond the pledges (here 700, a
/// difference reconciliation reported before) on row 0, so that the sum does not move.
async fn an_upgrade_moves_each_pledges_money_to_its_totals_row(backend: Backend) {
    let app = spawn_app(backend).await;
    app.books_out_of_balance_on_purpose();
    app.pool
        .run(|conn| {
            use diesel::connection::SimpleConnection;
            // Back to the schema before 000009 (later migrations reverted first, reapplied below).
            while !demeu_db::revert_last_migration(conn)?.ends_with("000009") {}
            let batch = match conn {
                demeu_db::DbConn::Postgres(_) => include_str!("../../scripts/load/fixture/postgres.sql"),
                demeu_db::DbConn::Sqlite(_) => include_str!("../../scripts/load/fixture/sqlite.sql"),
            };
            conn.batch_execute(
                &batch.replace("{first}", "1").replace("{last}", "40").replace("{campaign}", "mentors"),
            )?;
            // One pledge refunded in full: it no longer counts anywhere.
            conn.batch_execute(
                "UPDATE pledges SET refunded = received WHERE id LIKE '%-00000000000a'; \
                 UPDATE campaign_totals SET \
                   net_raised = 700 + (SELECT SUM(received - refunded - disputed) FROM pledges), \
                   counted_pledges = (SELECT COUNT(*) FROM pledges WHERE received - refunded - disputed > 0)",
            )?;
            demeu_db::run_migrations(conn)?;
            Ok::<_, demeu_db::DbError>(())
        })
        .await
        .expect("upgraded");

    let amount = |n: i64| if n == 10 { 0 } else { 50_000 + (n % 997) * 100 };
    let rows: Vec<(i16, i64, i64)> = app
        .pool
        .run(|conn| {
            use demeu_db::schema::campaign_totals as t;
            use diesel::prelude::*;
            t::table
                .select((t::shard, t::net_raised, t::counted_pledges))
                .order(t::shard)
                .load(conn)
                .map_err(demeu_db::DbError::from)
        })
        .await
        .expect("rows");
    let expected: Vec<(i16, i64, i64)> = (0..16)
        .map(|shard| {
            let pledges: Vec<i64> = (1..=40).filter(|n| n % 16 == shard).collect();
            let net: i64 = pledges.iter().map(|&n| amount(n)).sum::<i64>() + if shard == 0 { 700 } else { 0 };
            let counted = pledges.iter().filter(|&&n| amount(n) > 0).count() as i64;
            (shard as i16, net, counted)
        })
        .collect();
    assert_eq!(rows, expected);
    let total: i64 = (1..=40).map(amount).sum();
    // Written behind the server's back: its snapshot sees it at the next poll.
    let shown = app.campaign_once(|c| c["raised"] == total + 700).await;
    assert_eq!(shown["pledges"], 39, "the campaign's sums are what the old row held");
}

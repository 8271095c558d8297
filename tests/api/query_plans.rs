//! The lists that grow with the pledges read one index range per page, on both backends: the
//! very queries the code issues (built by the same functions) are EXPLAINed on a database that
//! holds enough pledges for the planner's choice to be real. PostgreSQL plans with statistics
//! (ANALYZE, as autovacuum would leave them); SQLite is checked without statistics (the
//! application never runs ANALYZE) and again with them.
//!
//! A plan passes when it reads the expected index (backwards, in the list's order), sorts
//! nothing, scans no table in full, and, past the first page, puts the cursor into the index
//! lookup rather than filtering rows already read.

use chrono::NaiveDateTime;
use demeu_db::page::encode_cursor;
use demeu_db::{DbConn, DbError, MultiBackend};
use diesel::connection::SimpleConnection;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Text, Untyped};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};
use donations::pledge::{PaymentMethod, PledgeState};
use donations::pledge_store::{donor_wall_query, StaffFilter, StaffQuery};

use crate::helpers::{campaign, spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(pledge_lists_read_index_ranges);

/// `EXPLAIN` (PostgreSQL) or `EXPLAIN QUERY PLAN` (SQLite) before a query, binds and all.
struct Explain<Q>(&'static str, Q);

impl<Q: QueryFragment<MultiBackend>> QueryFragment<MultiBackend> for Explain<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql(self.0);
        self.1.walk_ast(out.reborrow())
    }
}

impl<Q> QueryId for Explain<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for Explain<Q> {
    type SqlType = Untyped;
}

impl<Q> RunQueryDsl<DbConn> for Explain<Q> {}

#[derive(QueryableByName)]
struct PgLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

#[derive(QueryableByName)]
struct SqliteLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// The plan of `query`, one line per node.
fn plan<Q: QueryFragment<MultiBackend>>(conn: &mut DbConn, query: Q) -> String {
    let lines: Vec<String> = match conn {
        DbConn::Postgres(_) => {
            Explain("EXPLAIN ", query).load::<PgLine>(conn).map(|l| l.into_iter().map(|l| l.line).collect())
        }
        DbConn::Sqlite(_) => Explain("EXPLAIN QUERY PLAN ", query)
            .load::<SqliteLine>(conn)
            .map(|l| l.into_iter().map(|l| l.detail).collect()),
    }
    .expect("explained");
    lines.join("\n")
}

/// Asserts that `plan` reads the pledges through `index` only, in order, with the cursor (when
/// `after_cursor`) as a bound of the index range.
fn assert_index_range(what: &str, plan: &str, index: &str, after_cursor: bool) {
    let postgres = plan.contains("cost=");
    if postgres {
        assert!(
            plan.contains(&format!("Index Scan Backward using {index} on pledges"))
                || plan.contains(&format!("Index Only Scan Backward using {index} on pledges")),
            "{what}: not a backward range of {index}:\n{plan}"
        );
        assert!(!plan.contains("Seq Scan") && !plan.contains("Sort"), "{what}: a scan or a sort:\n{plan}");
        if after_cursor {
            let bound = plan.lines().find(|l| l.contains("Index Cond:")).unwrap_or_default();
            assert!(
                bound.contains("ROW(created_at, id) <") || bound.contains("counted_at <="),
                "{what}: the cursor is a filter:\n{plan}"
            );
        }
    } else {
        assert!(plan.contains(&format!("USING INDEX {index}")), "{what}: {index} not used:\n{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{what}: a sort:\n{plan}");
        assert!(!plan.lines().any(|l| l.trim() == "SCAN pledges"), "{what}: a full scan:\n{plan}");
        if after_cursor {
            assert!(plan.contains("SEARCH pledges USING"), "{what}: the cursor is not a bound of the range:\n{plan}");
        }
    }
}

/// The time and id of fixture pledge 10 000, for a cursor deep into each list (the fixture's
/// rules: made at 2025-06-01 + n seconds, counted a minute later; its id is a function of n).
fn middle() -> (NaiveDateTime, String) {
    let n: u64 = 10_000;
    let at = chrono::DateTime::from_timestamp(1_748_736_000 + n as i64, 0).expect("a time").naive_utc();
    let id = format!("{:08x}-0000-4000-8000-{:012x}", (n * 2_654_435_761) % 4_294_967_296, n);
    (at, id)
}

async fn loaded_app(backend: Backend) -> TestApp {
    let app = spawn_app(backend)
        .with(|s| s.campaigns.push(campaign("other", "2025-01-01T00:00:00Z", None, 100_000_000)))
        .await;
    app.load_pledges("mentors", 1, 18_000).await;
    app.load_pledges("other", 18_001, 20_000).await;
    // Some variety, the books kept: one in 9 made by Kaspi, one in 13 never paid.
    for sql in [
        "UPDATE pledges SET method = 'kaspi', provider = NULL, reference = 'KASPI-' || provider_session_id \
         WHERE amount % 9 = 0",
        "DELETE FROM ledger_entries WHERE pledge_id IN (SELECT id FROM pledges WHERE amount % 13 = 0)",
        "UPDATE pledges SET state = 'expired', received = 0, counted_at = NULL WHERE amount % 13 = 0",
    ] {
        app.execute_sql(sql).await.expect("variety");
    }
    app.pool
        .run(|conn| conn.batch_execute(include_str!("../../scripts/load/fixture/totals.sql")).map_err(DbError::from))
        .await
        .expect("totals");
    app
}

async fn pledge_lists_read_index_ranges(backend: Backend) {
    let app = loaded_app(backend).await;
    if backend == Backend::Postgres {
        app.execute_sql("ANALYZE").await.expect("statistics");
    }
    check_plans(&app).await;
    if backend == Backend::Sqlite {
        app.execute_sql("ANALYZE").await.expect("statistics");
        check_plans(&app).await;
    }
}

async fn check_plans(app: &TestApp) {
    let (at, id) = middle();
    let cursor = encode_cursor(at, &id);
    app.pool
        .run(move |conn| {
            let mentors = donations::campaign::find_by_slug(conn, "mentors").expect("mentors").id;
            assert_index_range(
                "donor wall",
                &plan(conn, donor_wall_query(mentors, 51, None)),
                "pledges_campaign_counted",
                false,
            );
            assert_index_range(
                "donor wall, deep page",
                &plan(conn, donor_wall_query(mentors, 51, Some(at))),
                "pledges_campaign_counted",
                true,
            );

            let filters: [(&str, StaffFilter, &str); 7] = [
                ("staff list", StaffFilter::default(), "pledges_created"),
                (
                    "?campaign=",
                    StaffFilter { campaign: Some("other".into()), ..Default::default() },
                    "pledges_campaign_created_id",
                ),
                (
                    "?status=paid",
                    StaffFilter { state: Some(PledgeState::Paid), ..Default::default() },
                    "pledges_state_created",
                ),
                (
                    "?status=expired",
                    StaffFilter { state: Some(PledgeState::Expired), ..Default::default() },
                    "pledges_state_created",
                ),
                (
                    "?method=kaspi",
                    StaffFilter { method: Some(PaymentMethod::Kaspi), ..Default::default() },
                    "pledges_method_created",
                ),
                (
                    "?q=<an email address>",
                    StaffFilter { q: Some("Donor9001@example.kz".into()), ..Default::default() },
                    "pledges_email_created",
                ),
                ("?q=<text>", StaffFilter { q: Some("айгерим".into()), ..Default::default() }, "pledges_created"),
            ];
            for (what, filter, index) in filters {
                for (page, cursor) in [("first page", None), ("next page", Some(cursor.as_str()))] {
                    let query = StaffQuery::new(conn, &filter, cursor).expect("query").expect("a campaign there is");
                    let what = format!("{what}, {page}");
                    let plan = if filter.q.as_deref() == Some("айгерим") {
                        plan(conn, query.search_scan(250))
                    } else {
                        plan(conn, query.page(51))
                    };
                    assert_index_range(&what, &plan, index, cursor.is_some());
                }
            }
            Ok::<_, DbError>(())
        })
        .await
        .expect("plans");
}

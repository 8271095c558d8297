//! The two migration trees must stay table-for-table alike.

use std::collections::BTreeSet;

use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};

use crate::helpers::{fresh_database, Backend};

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

#[derive(QueryableByName)]
struct Index {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    index_name: String,
    #[diesel(sql_type = Text)]
    columns: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    is_unique: bool,
}

/// Every index a migration created by name (those that back a primary key or a UNIQUE
/// constraint are named by each backend its own way, and compared as columns already): the
/// plans tests/api/query_plans.rs checks depend on them.
fn indexes(rows: Vec<Index>) -> BTreeSet<(String, String, String, bool)> {
    rows.into_iter()
        .filter(|i| !i.table_name.starts_with("__diesel"))
        .map(|i| (i.table_name, i.index_name, i.columns, i.is_unique))
        .collect()
}

fn migration_names(dir: &str) -> BTreeSet<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations").join(dir);
    std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

fn columns(rows: Vec<Column>) -> BTreeSet<(String, String)> {
    rows.into_iter()
        .filter(|c| !c.table_name.starts_with("__diesel") && !c.table_name.starts_with("sqlite_"))
        .map(|c| (c.table_name, c.column_name))
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations_and_columns() {
    assert_eq!(migration_names("postgres"), migration_names("sqlite"));

    let pg_url = fresh_database(Backend::Postgres);
    let sqlite_url = fresh_database(Backend::Sqlite);
    for url in [&pg_url, &sqlite_url] {
        let mut conn = demeu_db::DbConn::open(url).expect("open");
        demeu_db::run_migrations(&mut conn).expect("migrations apply");
        assert!(demeu_db::pending_migrations(&mut conn).expect("pending").is_empty());
    }
    let mut pg = PgConnection::establish(&pg_url).expect("pg");
    let pg_columns = columns(
        diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name \
             FROM information_schema.columns WHERE table_schema = 'public'",
        )
        .load(&mut pg)
        .expect("pg columns"),
    );
    let mut sqlite = SqliteConnection::establish(sqlite_url.trim_start_matches("sqlite://")).expect("sqlite");
    let sqlite_columns = columns(
        diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'",
        )
        .load(&mut sqlite)
        .expect("sqlite columns"),
    );
    assert!(pg_columns.len() > 50, "the schema is there");
    assert_eq!(pg_columns, sqlite_columns);

    let pg_indexes = indexes(
        diesel::sql_query(
            "SELECT t.relname::text AS table_name, i.relname::text AS index_name, \
                    array_to_string(ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY AS k (attnum, n) \
                                          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                                          ORDER BY k.n), ',') AS columns, \
                    x.indisunique AS is_unique \
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
             JOIN pg_namespace s ON s.oid = t.relnamespace \
             WHERE s.nspname = 'public' AND NOT EXISTS ( \
                 SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u'))",
        )
        .load(&mut pg)
        .expect("pg indexes"),
    );
    let sqlite_indexes = indexes(
        diesel::sql_query(
            "SELECT m.tbl_name AS table_name, m.name AS index_name, \
                    (SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info(m.name) ORDER BY seqno)) \
                        AS columns, \
                    (SELECT l.\"unique\" FROM pragma_index_list(m.tbl_name) l WHERE l.name = m.name) AS is_unique \
             FROM sqlite_master m WHERE m.type = 'index' AND m.sql IS NOT NULL",
        )
        .load(&mut sqlite)
        .expect("sqlite indexes"),
    );
    assert!(pg_indexes.iter().any(|i| i.1 == "pledges_campaign_counted"), "the indexes are there: {pg_indexes:?}");
    assert_eq!(pg_indexes, sqlite_indexes);
}

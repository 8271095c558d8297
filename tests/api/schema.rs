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
}

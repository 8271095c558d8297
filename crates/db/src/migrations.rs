use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::{DbConn, DbError};

// Two trees kept table-for-table alike; a test compares their names and resulting columns.
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Applies every migration not yet applied; returns the names of those it applied.
pub fn run_migrations(conn: &mut DbConn) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        DbConn::Postgres(c) => c.run_pending_migrations(POSTGRES).map(names),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE).map(names),
    };
    applied.map_err(|e| DbError::Migration(e.to_string()))
}

/// The names of the migrations not applied yet: empty when the schema is current.
pub fn pending_migrations(conn: &mut DbConn) -> Result<Vec<String>, DbError> {
    let pending = match conn {
        DbConn::Postgres(c) => c.pending_migrations(POSTGRES).map(|m| m.iter().map(|m| m.name().to_string()).collect()),
        DbConn::Sqlite(c) => c.pending_migrations(SQLITE).map(|m| m.iter().map(|m| m.name().to_string()).collect()),
    };
    pending.map_err(|e| DbError::Migration(e.to_string()))
}

fn names(versions: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
    versions.iter().map(ToString::to_string).collect()
}

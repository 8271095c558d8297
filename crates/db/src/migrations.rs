use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::{DbConn, DbError};

// Two trees kept table-for-table alike; a test compares their names and resulting columns.
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// The PostgreSQL advisory lock that starting instances take turns on (any number, the same in
/// every version).
const START_UP_LOCK: i64 = 0x6465_6d65_755f_7570;

/// Runs `f`, the work every instance does as it starts (migrations, storing the configured
/// campaigns), while no other instance does it. On PostgreSQL, under a session advisory lock:
/// instances started together (a scaled-up service, a rolling deploy) would otherwise apply the
/// same migration or insert the same campaign at once, and all but one fail to start; in turn,
/// each finds the work of the one before done. The lock may be taken again inside `f`. SQLite is
/// for one instance; `f` just runs.
pub fn with_start_up_lock<T, E>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::RunQueryDsl;
    let lock = |sql: &'static str| diesel::sql_query(sql).bind::<diesel::sql_types::BigInt, _>(START_UP_LOCK);
    if let DbConn::Postgres(pg) = conn {
        lock("SELECT pg_advisory_lock($1)").execute(pg)?;
    }
    let done = f(conn);
    // Also when `f` failed: the connection goes back to the pool, and a session lock would stay.
    if let DbConn::Postgres(pg) = conn {
        let unlocked = lock("SELECT pg_advisory_unlock($1)").execute(pg);
        let value = done?;
        unlocked?;
        return Ok(value);
    }
    done
}

/// Applies every migration not yet applied (in turn with other instances: see
/// [`with_start_up_lock`]); returns the names of those it applied.
pub fn run_migrations(conn: &mut DbConn) -> Result<Vec<String>, DbError> {
    let applied = with_start_up_lock(conn, |conn| match conn {
        DbConn::Postgres(c) => Ok(c.run_pending_migrations(POSTGRES).map(names)),
        DbConn::Sqlite(c) => Ok::<_, DbError>(c.run_pending_migrations(SQLITE).map(names)),
    })?;
    applied.map_err(|e| DbError::Migration(e.to_string()))
}

/// Undoes the newest applied migration (its down.sql) and returns its name: upgrade tests put a
/// database back in the shape the release before left it, fill it, and migrate it again.
pub fn revert_last_migration(conn: &mut DbConn) -> Result<String, DbError> {
    let reverted = with_start_up_lock(conn, |conn| match conn {
        DbConn::Postgres(c) => Ok(c.revert_last_migration(POSTGRES).map(|v| v.to_string())),
        DbConn::Sqlite(c) => Ok::<_, DbError>(c.revert_last_migration(SQLITE).map(|v| v.to_string())),
    })?;
    reverted.map_err(|e| DbError::Migration(e.to_string()))
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

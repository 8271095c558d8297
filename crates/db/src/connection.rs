use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;

use crate::DbError;

/// One connection, to whichever backend `database.url` names.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// Production.
    Postgres(PgConnection),
    /// The zero-set-up default and the first test backend.
    Sqlite(SqliteConnection),
}

/// The backend a URL names, read from its scheme alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// `sqlite://relative/path` or `sqlite:///absolute/path`.
    Sqlite,
}

impl Backend {
    /// Picks the backend from the URL's scheme.
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("sqlite://") {
            Ok(Backend::Sqlite)
        } else {
            Err(DbError::BadUrl(redact(url)))
        }
    }
}

/// A URL fit for a log line or an error: any password replaced.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

/// The file a `sqlite://` URL names.
pub(crate) fn sqlite_path(url: &str) -> &str {
    url.trim_start_matches("sqlite://")
}

// The busy timeout comes first so that connections opened together wait for each other while
// one switches the file to WAL. WAL lets readers go on while one writer writes; the busy timeout makes a second writer wait
// instead of failing at once; SQLite leaves foreign keys off unless asked on every connection.
const SQLITE_SETUP: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                            PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

impl DbConn {
    /// Opens a connection to `url`, reporting the real error of the backend the scheme names.
    pub fn open(url: &str) -> Result<Self, DbError> {
        let unavailable = |e: diesel::ConnectionError| DbError::Unavailable(e.to_string());
        match Backend::from_url(url)? {
            Backend::Postgres => Ok(DbConn::Postgres(PgConnection::establish(url).map_err(unavailable)?)),
            Backend::Sqlite => {
                let path = sqlite_path(url);
                if let Some(dir) = std::path::Path::new(path).parent() {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(dir)
                            .map_err(|e| DbError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
                    }
                }
                let mut conn = SqliteConnection::establish(path).map_err(unavailable)?;
                conn.batch_execute(SQLITE_SETUP)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    /// How bind parameter `n` (from 1) is written in raw SQL on this connection's backend: `$n`
    /// on PostgreSQL, `?n` on SQLite. For the few queries diesel's DSL cannot write (an aggregate
    /// over a UNION), as `diesel::sql_query` text; a parameter written twice is bound once.
    pub fn param(&self, n: usize) -> String {
        match self {
            DbConn::Postgres(_) => format!("${n}"),
            DbConn::Sqlite(_) => format!("?{n}"),
        }
    }

    /// Runs `f` in a transaction meant to write.
    ///
    /// On SQLite the transaction takes the write lock when it begins (`BEGIN IMMEDIATE`): a
    /// deferred transaction that read first and writes later cannot wait for another writer and
    /// fails with SQLITE_BUSY instead. PostgreSQL needs nothing special.
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        match self {
            DbConn::Postgres(_) => self.transaction(f),
            DbConn::Sqlite(sqlite) => {
                AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
                let outcome = f(self);
                let DbConn::Sqlite(sqlite) = self else { unreachable!("the backend of a connection does not change") };
                match outcome {
                    Ok(value) => {
                        AnsiTransactionManager::commit_transaction(sqlite)?;
                        Ok(value)
                    }
                    Err(e) => {
                        // SQLite rolls a transaction back by itself after some errors (a full
                        // disk: SQLITE_FULL), so our ROLLBACK may find none ("cannot rollback -
                        // no transaction is active"). The error that made us roll back is the one
                        // to report: it says what happened (a full disk is 503, not 500); the
                        // connection, whose transaction state is then unknown to diesel, is
                        // marked broken and the pool replaces it.
                        let _ = AnsiTransactionManager::rollback_transaction(sqlite);
                        Err(e)
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite rolls back by itself on a full disk; the error reported is the full disk (a
    /// storage outage: 503), not the ROLLBACK that then finds no transaction (a 500 before).
    #[test]
    fn a_transaction_sqlite_rolled_back_itself_reports_why() {
        use diesel::RunQueryDsl;
        let path = std::env::temp_dir().join(format!("demeu-full-{}.db", uuid::Uuid::new_v4().simple()));
        let mut conn = DbConn::open(&format!("sqlite://{}", path.display())).expect("a database");
        conn.batch_execute("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('x'); VACUUM;").expect("a table");
        let DbConn::Sqlite(sqlite) = &mut conn else { unreachable!() };
        let pages: i64 = diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT page_count FROM pragma_page_count()")
            .get_result(sqlite)
            .expect("pages");
        conn.batch_execute(&format!("PRAGMA max_page_count = {pages}")).expect("a full disk");
        let outcome: Result<(), diesel::result::Error> = conn.write_transaction(|conn| {
            diesel::sql_query(format!("INSERT INTO t VALUES ('{}')", "y".repeat(100_000))).execute(conn)?;
            Ok(())
        });
        let error = outcome.expect_err("no room");
        assert!(crate::outage::is_storage_outage(&error), "{error}");
        // And the connection is usable afterwards.
        conn.batch_execute("PRAGMA max_page_count = 1073741823").expect("room again");
        let written: Result<(), diesel::result::Error> = conn.write_transaction(|conn| {
            diesel::sql_query("INSERT INTO t VALUES ('z')").execute(conn)?;
            Ok(())
        });
        assert!(written.is_ok(), "{written:?}");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn scheme_picks_the_backend() {
        assert_eq!(Backend::from_url("postgres://u@h/db").ok(), Some(Backend::Postgres));
        assert_eq!(Backend::from_url("postgresql://h/db").ok(), Some(Backend::Postgres));
        assert_eq!(Backend::from_url("sqlite://data/demeu.db").ok(), Some(Backend::Sqlite));
        assert!(Backend::from_url("mysql://h/db").is_err());
        assert_eq!(sqlite_path("sqlite:///var/lib/demeu.db"), "/var/lib/demeu.db");
        assert_eq!(sqlite_path("sqlite://data/demeu.db"), "data/demeu.db");
    }

    #[test]
    fn passwords_never_reach_an_error() {
        assert_eq!(redact("postgres://demeu:secret@db:5432/demeu"), "postgres://demeu:***@db:5432/demeu");
        assert_eq!(redact("sqlite://data/demeu.db"), "sqlite://data/demeu.db");
    }
}

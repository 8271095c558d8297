//! Database plumbing shared by the Demeu crates, and the few value types they all use
//! ([`FieldError`] for 422 answers, [`email::Email`], keyset [`page`]s).
//!
//! One diesel connection type, [`DbConn`], covers PostgreSQL and SQLite so that every query in
//! the project is written once. What the enum cannot express (see `docs/architecture.md`) is kept
//! out of the domain code: no `ON CONFLICT`, no `RETURNING`, no `SUM()` over money; a repeated
//! insert is detected as a unique violation with [`is_unique_violation`].

pub mod audit;
mod connection;
pub mod email;
mod error;
mod field_error;
pub mod files;
pub mod ids;
pub mod locale;
mod migrations;
pub mod outage;
pub mod outbox;
pub mod page;
mod pool;
pub mod schema;
pub mod secrets;
pub mod stored;
pub mod stored_id;
pub mod text;

pub use connection::{Backend, DbConn, MultiBackend};
pub use error::DbError;
pub use field_error::FieldError;
pub use migrations::{pending_migrations, revert_last_migration, run_migrations, with_start_up_lock};
pub use pool::{DbPool, Kept, Manager, PoolOptions, PooledConn};

/// The current instant as stored in TIMESTAMP columns: UTC without an offset.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// A stored TIMESTAMP (UTC without an offset) as a UTC time.
pub fn utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_naive_utc_and_offset(t, chrono::Utc)
}

/// True when a diesel error is a unique-key violation: the way both backends say "already done".
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(err, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}

use thiserror::Error;

/// What can go wrong below the domain: reaching the database, or the database refusing.
#[derive(Debug, Error)]
pub enum DbError {
    /// The URL names no backend this build knows.
    #[error("database.url must start with sqlite:// or postgres:// (got `{0}`)")]
    BadUrl(String),
    /// No connection could be had in time: the database is down or overloaded.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A query failed.
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    /// Applying the embedded migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
}

impl From<diesel::r2d2::PoolError> for DbError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        DbError::Unavailable(e.to_string())
    }
}

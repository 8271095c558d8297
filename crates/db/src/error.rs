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

/// The conversions every domain crate's error type makes the same way, for an enum with the
/// variants `NotFound(&'static str)`, `Invalid(Vec<FieldError>)`, `Corrupt(String)` and
/// `Db(DbError)`: a stored name its type does not know is corrupt data, a field error is a 422,
/// diesel's NotFound is "record not found", anything else from diesel is the database's.
#[macro_export]
macro_rules! domain_error_conversions {
    ($error:ident) => {
        impl From<$crate::stored::UnknownValue> for $error {
            /// A stored name its type does not know: a hand-edited row, or a newer version's value.
            fn from(e: $crate::stored::UnknownValue) -> Self {
                $error::Corrupt(e.to_string())
            }
        }

        impl From<$crate::FieldError> for $error {
            fn from(e: $crate::FieldError) -> Self {
                $error::Invalid(vec![e])
            }
        }

        impl From<diesel::result::Error> for $error {
            fn from(e: diesel::result::Error) -> Self {
                match e {
                    diesel::result::Error::NotFound => $error::NotFound("record"),
                    other => $error::Db($crate::DbError::Query(other)),
                }
            }
        }
    };
}

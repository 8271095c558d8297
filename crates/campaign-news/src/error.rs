use thiserror::Error;

pub use demeu_db::FieldError;

/// Everything the news crate can refuse or fail at.
#[derive(Debug, Error)]
pub enum Error {
    /// The thing named does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request's values are wrong; nothing was changed.
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    /// Conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// A stored value this code cannot read.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// The database.
    #[error(transparent)]
    Db(#[from] demeu_db::DbError),
}

demeu_db::domain_error_conversions!(Error);

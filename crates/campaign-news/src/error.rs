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

impl From<demeu_db::stored::UnknownValue> for Error {
    /// A stored name its type does not know: a hand-edited row, or a newer version's value.
    fn from(e: demeu_db::stored::UnknownValue) -> Self {
        Error::Corrupt(e.to_string())
    }
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Self {
        Error::Invalid(vec![e])
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => Error::NotFound("record"),
            other => Error::Db(demeu_db::DbError::Query(other)),
        }
    }
}

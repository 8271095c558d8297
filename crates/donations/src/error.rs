use thiserror::Error;

use crate::ledger::LedgerError;
use crate::money::MoneyError;
use crate::plan::PlanError;

pub use demeu_db::FieldError;

/// Everything the donations crate can refuse or fail at.
#[derive(Debug, Error)]
pub enum Error {
    /// The thing named does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request's values are wrong; nothing was changed.
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    /// The person's role does not allow it (what they may not change is named).
    #[error("{0}")]
    NotAllowed(String),
    /// The request is well-formed but conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// An amount could not be computed.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// A funding plan was refused.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A ledger entry may not apply.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// An amount in another currency than the pledge's.
    #[error("the pledge is in {expected}, not {got}")]
    CurrencyMismatch {
        /// The pledge's currency.
        expected: crate::money::Currency,
        /// What was offered.
        got: crate::money::Currency,
    },
    /// An outside report names something not known yet; deliver it again later.
    #[error("not known yet: {0}")]
    NotYetKnown(String),
    /// A follow-up the caller asked for (e.g. enqueueing a receipt) failed; nothing was kept.
    #[error("follow-up failed: {0}")]
    Effect(String),
    /// A stored value this code cannot read: a bug or a hand-edited row.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// The database.
    #[error(transparent)]
    Db(#[from] demeu_db::DbError),
}

demeu_db::domain_error_conversions!(Error);

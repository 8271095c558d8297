//! Workflows that span the database, a provider and an idempotency key: pledging, refunding,
//! publishing, signing in. A handler parses the request, calls one of these and maps the answer; the money
//! rules themselves stay in the domain crates, which these call.

pub mod books;
pub mod campaigns;
pub mod community;
pub mod donor;
pub mod expenses;
pub mod exports;
pub mod foundation;
pub mod news;
pub mod offline;
pub mod pictures;
pub mod pledges;
pub mod receipts;
pub mod refunds;
pub mod sign_in;
pub mod subscriptions;
pub mod uploads;
pub mod volunteers;

use demeu_db::DbError;

use crate::auth::AuthError;
use crate::idempotency::IdempotencyError;
use crate::mail::MailError;
use crate::payments::webhook::WebhookError;
use crate::payments::ProviderError;
use crate::rate_limit::Limited;

/// Why a workflow stopped: the error of the step that stopped it, kept whole, so that the
/// routes and the console say it (`problem.rs`) knowing exactly what happened. No HTTP here.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The money's rules refused, or their storage failed.
    #[error(transparent)]
    Donations(#[from] donations::Error),
    /// The news' rules (posts, comments, subscribers, volunteers) refused, or their storage failed.
    #[error(transparent)]
    News(#[from] campaign_news::Error),
    /// An account, a password or a session.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The Idempotency-Key.
    #[error(transparent)]
    Key(#[from] IdempotencyError),
    /// A per-address limit or the sign-in slow-down.
    #[error(transparent)]
    Limited(#[from] Limited),
    /// The payment provider.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The provider's event that came back at once (the sandbox's).
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    /// An upload that is not a picture we take.
    #[error(transparent)]
    Picture(#[from] pictures::PictureError),
    /// Mail enqueued in the same transaction.
    #[error(transparent)]
    Mail(#[from] MailError),
    /// The database.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A bug: a stored value that does not read back (an id, an answer).
    #[error("{0}")]
    Broken(String),
}

impl From<diesel::result::Error> for ServiceError {
    fn from(error: diesel::result::Error) -> Self {
        ServiceError::Db(error.into())
    }
}

impl From<crate::limit_store::LimitsUnavailable> for ServiceError {
    fn from(error: crate::limit_store::LimitsUnavailable) -> Self {
        ServiceError::Limited(error.into())
    }
}

//! The one place where errors become HTTP answers.
//!
//! Policy: handlers return [`ApiError`]; domain errors convert into it with `From`; every answer
//! is `application/problem+json` (RFC 9457). A 500 carries no detail: the cause goes to the log
//! with the request id, never to the client.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use donations::FieldError;
use serde::Serialize;

/// Seconds a 503 asks the client to wait.
const UNAVAILABLE_RETRY_AFTER: &str = "5";

/// An error as the API reports it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be read.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no or bad credentials.
    #[error("authentication required")]
    Unauthorized,
    /// 403: the credentials do not allow this.
    #[error("your role does not allow this")]
    Forbidden,
    /// 403, saying what this role may not change.
    #[error("{0}")]
    NotAllowed(String),
    /// 404: nothing by that name.
    #[error("{0} not found")]
    NotFound(String),
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// 413.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// 413 naming the field that is too large (a file part).
    #[error("{}: {}", .0.field, .0.message)]
    TooLarge(FieldError),
    /// 415.
    #[error("expected {0}")]
    UnsupportedMediaType(&'static str),
    /// 422: values that do not pass, each named.
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    /// 429.
    #[error("too many attempts")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// 502: the payment provider failed; safe to retry.
    #[error("{0}")]
    BadGateway(String),
    /// 503: the database or a provider is unavailable; safe to retry.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or a broken invariant; the cause, with its chain of sources, is logged only.
    #[error("internal error")]
    Internal(anyhow::Error),
}

impl ApiError {
    /// A 500 for a cause described in words (no error value to chain).
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(anyhow::anyhow!("{cause}"))
    }

    /// A 422 for one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError::new(field, message)])
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden | ApiError::NotAllowed(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge | ApiError::TooLarge(_) => "payload-too-large",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::Invalid(_) => "validation",
            ApiError::RateLimited { .. } => "rate-limited",
            ApiError::BadGateway(_) => "provider-error",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "Malformed request",
            ApiError::Unauthorized => "Authentication required",
            ApiError::Forbidden | ApiError::NotAllowed(_) => "Not allowed",
            ApiError::NotFound(_) => "Not found",
            ApiError::MethodNotAllowed => "Method not allowed",
            ApiError::Conflict(_) => "Conflict",
            ApiError::PayloadTooLarge | ApiError::TooLarge(_) => "Request body too large",
            ApiError::UnsupportedMediaType(_) => "Unsupported media type",
            ApiError::Invalid(_) => "Invalid values",
            ApiError::RateLimited { .. } => "Too many requests",
            ApiError::BadGateway(_) => "Payment provider error",
            ApiError::Unavailable(_) => "Service unavailable",
            ApiError::Internal(_) => "Internal error",
        }
    }
}

/// The problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// For 422: each field and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// One field of a 422.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemField {
    /// The field as the client named it.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::NotAllowed(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge | ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            ApiError::Internal(cause) => {
                // `{:#}` prints the whole chain: what failed, and what made it fail.
                tracing::error!(cause = format!("{cause:#}"), "internal error");
                "The server could not finish this request. It has been logged.".to_string()
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(%cause, "unavailable");
                "A service this request needs is unavailable; retry shortly.".to_string()
            }
            ApiError::Invalid(fields) => match fields.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                _ => "Some values are invalid; see errors.".to_string(),
            },
            other => other.to_string(),
        };
        let errors = match self {
            ApiError::Invalid(fields) => {
                fields.iter().map(|f| ProblemField { field: f.field.clone(), message: f.message.clone() }).collect()
            }
            ApiError::TooLarge(f) => vec![ProblemField { field: f.field.clone(), message: f.message.clone() }],
            _ => Vec::new(),
        };
        let problem = Problem {
            kind: format!("/problems/{}", self.code()),
            title: self.title().to_string(),
            status: status.as_u16(),
            detail,
            errors,
        };
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        match self {
            ApiError::RateLimited { retry_after } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            // Every 503 is "retry shortly" (an outage, a full disk, busy password checks, an event
            // to deliver again): say when, so that clients and proxies back off.
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, UNAVAILABLE_RETRY_AFTER));
            }
            _ => {}
        }
        response.json(problem)
    }
}

impl From<donations::Error> for ApiError {
    fn from(e: donations::Error) -> Self {
        use donations::Error as E;
        match e {
            E::NotFound(what) => ApiError::NotFound(what.to_string()),
            E::Invalid(fields) => ApiError::Invalid(fields),
            E::Conflict(msg) => ApiError::Conflict(msg),
            E::NotAllowed(msg) => ApiError::NotAllowed(msg),
            E::Ledger(e) => ApiError::Conflict(e.to_string()),
            E::CurrencyMismatch { .. } => ApiError::Conflict(e.to_string()),
            E::NotYetKnown(msg) => ApiError::Unavailable(msg),
            E::Db(db) => db.into(),
            E::Money(_) | E::Plan(_) | E::Corrupt(_) | E::Effect(_) => ApiError::Internal(e.into()),
        }
    }
}

impl From<campaign_news::Error> for ApiError {
    fn from(e: campaign_news::Error) -> Self {
        use campaign_news::Error as E;
        match e {
            E::NotFound(what) => ApiError::NotFound(what.to_string()),
            E::Invalid(fields) => ApiError::Invalid(fields),
            E::Conflict(msg) => ApiError::Conflict(msg),
            E::Db(db) => db.into(),
            E::Corrupt(_) => ApiError::Internal(e.into()),
        }
    }
}

impl From<crate::auth::AuthError> for ApiError {
    fn from(error: crate::auth::AuthError) -> Self {
        use crate::auth::AuthError as E;
        match error {
            E::NotSignedIn => ApiError::Unauthorized,
            E::NoSuchAccount => ApiError::NotFound("staff user".into()),
            E::EmailTaken(_) | E::OwnAccount | E::LastAdmin => ApiError::Conflict(error.to_string()),
            E::Invalid(fields) => ApiError::Invalid(fields),
            E::Busy => ApiError::Unavailable(error.to_string()),
            E::Db(db) => db.into(),
            E::Broken(_) => ApiError::Internal(error.into()),
        }
    }
}

impl From<crate::services::ServiceError> for ApiError {
    fn from(error: crate::services::ServiceError) -> Self {
        use crate::services::ServiceError as E;
        match error {
            E::Donations(e) => e.into(),
            E::News(e) => e.into(),
            E::Auth(e) => e.into(),
            E::Key(e) => e.into(),
            E::Limited(e) => e.into(),
            E::Provider(e) => e.into(),
            E::Webhook(e) => e.into(),
            E::Mail(e) => e.into(),
            E::Db(e) => e.into(),
            // Whatever the file's fault, it is the `file` field's: 422 saying why.
            E::Picture(why) => ApiError::Invalid(vec![FieldError::new("file", why.to_string())]),
            E::Broken(_) => ApiError::Internal(error.into()),
        }
    }
}

impl From<crate::payments::webhook::WebhookError> for ApiError {
    fn from(error: crate::payments::webhook::WebhookError) -> Self {
        use crate::payments::webhook::WebhookError as E;
        match error {
            E::Refused(why) => ApiError::BadRequest(why),
            E::NoSuchKind => ApiError::NotFound("path".into()),
            E::Later(_) => ApiError::Unavailable(error.to_string()),
            E::Donations(e) => e.into(),
        }
    }
}

impl From<crate::rate_limit::Limited> for ApiError {
    /// Whatever failed, a limit that cannot be checked is "retry shortly": letting the request
    /// through uncounted would open the limit to a flood, and the request itself is not at fault.
    fn from(error: crate::rate_limit::Limited) -> Self {
        match error {
            crate::rate_limit::Limited::Wait { retry_after } => ApiError::RateLimited { retry_after },
            crate::rate_limit::Limited::Uncounted(e) => e.into(),
        }
    }
}

impl From<crate::payments::ProviderError> for ApiError {
    /// The provider's own words go to the log, never to the client: they can name our account,
    /// our request or the card, and they are not ours to show. The client gets a fixed text and
    /// the answer's X-Request-Id, which finds the log line.
    fn from(e: crate::payments::ProviderError) -> Self {
        tracing::warn!(error = %e, "payment provider call failed");
        match e {
            crate::payments::ProviderError::Refused(_) | crate::payments::ProviderError::Unavailable(_) => {
                ApiError::BadGateway(
                    "The payment provider did not accept the request. Nothing was lost: try again; \
                 if it keeps failing, quote this answer's X-Request-Id."
                        .into(),
                )
            }
            crate::payments::ProviderError::RateLimited => ApiError::Unavailable(e.to_string()),
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::Invalid(vec![e])
    }
}

impl From<crate::idempotency::IdempotencyError> for ApiError {
    fn from(e: crate::idempotency::IdempotencyError) -> Self {
        use crate::idempotency::IdempotencyError as E;
        match e {
            E::BadKey | E::OtherBody => ApiError::invalid("Idempotency-Key", e.to_string()),
            E::InFlight => ApiError::Conflict(e.to_string()),
            E::Db(db) => db.into(),
        }
    }
}

impl From<crate::mail::MailError> for ApiError {
    fn from(e: crate::mail::MailError) -> Self {
        match e {
            crate::mail::MailError::Db(db) => db.into(),
            crate::mail::MailError::News(news) => news.into(),
            crate::mail::MailError::Donations(donations) => donations.into(),
        }
    }
}

impl From<crate::limit_store::LimitsUnavailable> for ApiError {
    fn from(e: crate::limit_store::LimitsUnavailable) -> Self {
        ApiError::Unavailable(e.to_string())
    }
}

impl From<donations::money::MoneyError> for ApiError {
    fn from(e: donations::money::MoneyError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<demeu_db::DbError> for ApiError {
    fn from(e: demeu_db::DbError) -> Self {
        use demeu_db::DbError as E;
        match e {
            E::Unavailable(msg) => ApiError::Unavailable(msg),
            E::Query(diesel::result::Error::NotFound) => ApiError::NotFound("record".into()),
            E::Query(e) if demeu_db::outage::is_storage_outage(&e) => ApiError::Unavailable(e.to_string()),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        demeu_db::DbError::Query(e).into()
    }
}

/// Turns actix's own bare error answers (unknown path, wrong method, body limits) into
/// problem documents, leaving answers that already are one alone.
pub fn rewrite_bare_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // A problem already, or a page that says its own refusal (the receipt check's "no gift has
    // this code" beside its form): not bare.
    let said = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        v == HeaderValue::from_static("application/problem+json") || v.as_bytes().starts_with(b"text/html")
    });
    if said {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let error = match res.status() {
        StatusCode::NOT_FOUND => ApiError::NotFound("path".into()),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::BAD_REQUEST => ApiError::BadRequest("the request could not be read".into()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType("application/json"),
        _ => return Ok(ErrorHandlerResponse::Response(res.map_into_left_body())),
    };
    // actix lists a resource's methods in the 405's `Allow` (RFC 9110 §15.5.6): keep it.
    let allow = res.headers().get(header::ALLOW).cloned();
    let (req, _) = res.into_parts();
    let mut response: HttpResponse<BoxBody> = error.error_response();
    if let Some(allow) = allow {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
}

//! Idempotency keys for requests that create things: the same key with the same body gets the
//! first answer again and creates nothing new; with another body, 422; while the first request
//! is still running, 409. A request that ended retry-safe (the provider failed) leaves the key
//! for a retry to take over and finish the job.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use chrono::Duration;
use demeu_db::schema::idempotency_keys;
use demeu_db::DbConn;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

demeu_db::stored_enum! {
    /// Where the request holding a key is.
    pub enum KeyState("idempotency key state") {
        /// Running, or crashed: a retry may take the key over once the lease ends.
        InFlight = "in_flight",
        /// Ended retry-safe: a retry takes the key over at once.
        Failed = "failed",
        /// Answered: the answer is stored to replay.
        Done = "done",
    }
}

/// Why a key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    /// The header's value is not a key (422 naming `Idempotency-Key`).
    #[error("must be 1 to 255 visible ASCII characters")]
    BadKey,
    /// The key was used before with another body (422 naming `Idempotency-Key`).
    #[error("was already used with a different request body")]
    OtherBody,
    /// The first request with this key is still running (409).
    #[error("a request with this Idempotency-Key is still being processed")]
    InFlight,
    /// The database.
    #[error(transparent)]
    Db(#[from] demeu_db::DbError),
}

impl From<diesel::result::Error> for IdempotencyError {
    fn from(e: diesel::result::Error) -> Self {
        IdempotencyError::Db(e.into())
    }
}

/// The request's optional `Idempotency-Key` header, checked.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = crate::problem::ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = match req.headers().get("idempotency-key") {
            None => Ok(None),
            Some(v) => v.to_str().map_err(|_| IdempotencyError::BadKey).and_then(|key| {
                check_key(key)?;
                Ok(Some(key.to_string()))
            }),
        };
        ready(key.map(IdempotencyKey).map_err(Into::into))
    }
}

/// An answer made now, or the one stored under the request's key, sent again.
#[derive(Debug)]
pub enum Answer<T> {
    /// Made by this request.
    Fresh(T),
    /// Stored by the first request with the same key and body.
    Replay {
        /// HTTP status.
        status: u16,
        /// JSON body.
        body: String,
    },
}

impl<T: serde::Serialize> Answer<T> {
    /// The response: `status` for a fresh answer, the stored one for a replay.
    pub fn respond(self, status: StatusCode) -> HttpResponse {
        match self {
            Answer::Fresh(value) => HttpResponse::build(status).json(value),
            Answer::Replay { status: stored, body } => {
                HttpResponse::build(StatusCode::from_u16(stored).unwrap_or(status))
                    .content_type("application/json")
                    .body(body)
            }
        }
    }
}

/// How long an unfinished request holds its key before a retry may take it over (a crashed
/// server must not block a key forever).
const LEASE_SECONDS: i64 = 60;

/// What to do with a request carrying a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// First use: go ahead.
    Fresh,
    /// A former attempt ended retry-safe: go on with what it made (its resource, if any).
    Resume(Option<String>),
    /// Answered before: send this again.
    Replay {
        /// HTTP status.
        status: u16,
        /// JSON body.
        body: String,
    },
}

/// Checks a client's key: 1 to 255 visible ASCII characters.
pub fn check_key(key: &str) -> Result<(), IdempotencyError> {
    if !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(IdempotencyError::BadKey)
    }
}

/// A hash of the request body that ignores key order and whitespace.
pub fn request_hash(body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<serde_json::Value>(body).map(|v| v.to_string()).unwrap_or_default();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

type KeyRow = (String, KeyState, Option<String>, Option<i32>, Option<String>, chrono::NaiveDateTime);

/// Claims `key` in `scope` for a request whose body hashes to `hash`.
pub fn begin(conn: &mut DbConn, scope: &str, key: &str, hash: &str) -> Result<Begin, IdempotencyError> {
    let now = demeu_db::now();
    conn.write_transaction(|conn| {
        let inserted = conn.transaction(|conn| {
            diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::scope.eq(scope),
                    idempotency_keys::key.eq(key),
                    idempotency_keys::request_hash.eq(hash),
                    idempotency_keys::state.eq(KeyState::InFlight),
                    idempotency_keys::created_at.eq(now),
                    idempotency_keys::updated_at.eq(now),
                ))
                .execute(conn)
        });
        match inserted {
            Ok(_) => return Ok(Begin::Fresh),
            Err(e) if demeu_db::is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
        let (stored_hash, state, resource, status, body, updated_at): KeyRow = idempotency_keys::table
            .find((scope, key))
            .select((
                idempotency_keys::request_hash,
                idempotency_keys::state,
                idempotency_keys::resource_id,
                idempotency_keys::response_status,
                idempotency_keys::response_body,
                idempotency_keys::updated_at,
            ))
            .first(conn)?;
        if stored_hash != hash {
            return Err(IdempotencyError::OtherBody);
        }
        match (state, status, body) {
            (KeyState::Done, Some(status), Some(body)) => {
                Ok(Begin::Replay { status: u16::try_from(status).unwrap_or(500), body })
            }
            (KeyState::Failed, ..) => take_over(conn, scope, key, state, updated_at, resource),
            (KeyState::InFlight, ..) if now - updated_at > Duration::seconds(LEASE_SECONDS) => {
                take_over(conn, scope, key, state, updated_at, resource)
            }
            _ => Err(IdempotencyError::InFlight),
        }
    })
}

fn take_over(
    conn: &mut DbConn,
    scope: &str,
    key: &str,
    state: KeyState,
    seen: chrono::NaiveDateTime,
    resource: Option<String>,
) -> Result<Begin, IdempotencyError> {
    // Conditional on what was read, so that of two retries racing only one takes the key.
    let taken = diesel::update(
        idempotency_keys::table
            .find((scope, key))
            .filter(idempotency_keys::state.eq(state))
            .filter(idempotency_keys::updated_at.eq(seen)),
    )
    .set((idempotency_keys::state.eq(KeyState::InFlight), idempotency_keys::updated_at.eq(demeu_db::now())))
    .execute(conn)?;
    if taken == 1 {
        Ok(Begin::Resume(resource))
    } else {
        Err(IdempotencyError::InFlight)
    }
}

/// Remembers what the request made, so that a retry goes on with it.
pub fn attach(conn: &mut DbConn, scope: &str, key: &str, resource: &str) -> Result<(), IdempotencyError> {
    diesel::update(idempotency_keys::table.find((scope, key)))
        .set(idempotency_keys::resource_id.eq(resource))
        .execute(conn)?;
    Ok(())
}

/// Stores the answer to replay.
pub fn finish(conn: &mut DbConn, scope: &str, key: &str, status: u16, body: &str) -> Result<(), IdempotencyError> {
    diesel::update(idempotency_keys::table.find((scope, key)))
        .set((
            idempotency_keys::state.eq(KeyState::Done),
            idempotency_keys::response_status.eq(i32::from(status)),
            idempotency_keys::response_body.eq(body),
            idempotency_keys::updated_at.eq(demeu_db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets a key whose request was refused before it made anything.
pub fn release(conn: &mut DbConn, scope: &str, key: &str) -> Result<(), IdempotencyError> {
    diesel::delete(idempotency_keys::table.find((scope, key)).filter(idempotency_keys::resource_id.is_null()))
        .execute(conn)?;
    Ok(())
}

/// Releases the key after a retry-safe failure.
pub fn fail(conn: &mut DbConn, scope: &str, key: &str) -> Result<(), IdempotencyError> {
    diesel::update(idempotency_keys::table.find((scope, key)))
        .set((idempotency_keys::state.eq(KeyState::Failed), idempotency_keys::updated_at.eq(demeu_db::now())))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_ignores_key_order_and_spacing() {
        assert_eq!(
            request_hash(br#"{"amount": 1, "email": "a@b.kz"}"#),
            request_hash(br#"{"email":"a@b.kz","amount":1}"#)
        );
        assert_ne!(request_hash(br#"{"amount": 1}"#), request_hash(br#"{"amount": 2}"#));
    }

    #[test]
    fn keys_are_checked() {
        assert!(check_key("order-42").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("has space").is_err());
        assert!(check_key(&"k".repeat(256)).is_err());
    }
}

//! Signing staff in: the slow-down first, the account read and its connection returned, the
//! password checked in one of the few hashing slots, then the session.
//!
//! No connection is held while the password is checked or while a refusal pauses: the
//! slow-down's read and the account's share one short use of the pool, the failure or success
//! another.

use std::net::IpAddr;

use super::ServiceError;
use crate::auth::{self, throttle, NewSession};
use crate::state::AppState;

/// How long a slowed-down sign-in waits before its 429.
const REFUSAL_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// A password that matched an active account. Its success is recorded together with what the
/// caller does next (a session, a new password), in the same use of the pool.
pub struct Verified {
    account: String,
    client: Option<IpAddr>,
    /// The account.
    pub user_id: demeu_db::ids::StaffUserId,
}

impl Verified {
    /// Clears the slow-down's failures of this account from this client.
    pub fn record_success(&self, conn: &mut demeu_db::DbConn) -> Result<(), crate::limit_store::LimitsUnavailable> {
        throttle::record_success(conn, &self.account, self.client)
    }
}

/// Checks `password` for the account `email` from `client`, under the sign-in slow-down: what
/// signing in and changing one's own password both do first. Unknown address and wrong
/// password are answered alike (401), and cost alike.
pub async fn verify(
    state: &AppState,
    client: Option<IpAddr>,
    email: &str,
    password: String,
) -> Result<Verified, ServiceError> {
    let account = auth::sign_in_key(email);
    // A refusal this instance gave that still runs is given again without the database.
    if let Some(retry_after) = state.throttle.remembered(&account, client) {
        return refuse(retry_after).await;
    }
    let key = account.clone();
    let (wait, credentials) = state
        .pool
        .run(move |conn| {
            let wait = throttle::stored_wait(conn, &key, client)?;
            if wait.retry_after().is_some() {
                return Ok::<_, ServiceError>((wait, None));
            }
            Ok((wait, auth::credentials(conn, &key)?))
        })
        .await?;
    if let Some(retry_after) = wait.retry_after() {
        state.throttle.remember(&account, client, &wait);
        return refuse(retry_after).await;
    }
    let matches = state.hashing.verify(password, credentials.as_ref().map(|c| c.password_hash.clone())).await?;
    match credentials.filter(|c| matches && c.active) {
        Some(c) => Ok(Verified { account, client, user_id: c.user_id }),
        None => {
            // Counted before the answer: a failure the database could not count is a 503, not a
            // 401 that would let the guess go uncounted.
            state.pool.run(move |conn| throttle::record_failure(conn, &account, client)).await?;
            Err(crate::auth::AuthError::NotSignedIn.into())
        }
    }
}

/// Signs in as `email` with `password` from `client`: [`verify`], then the session.
pub async fn sign_in(
    state: &AppState,
    client: Option<IpAddr>,
    email: &str,
    password: String,
) -> Result<NewSession, ServiceError> {
    let verified = verify(state, client, email, password).await?;
    state
        .pool
        .run(move |conn| {
            verified.record_success(conn)?;
            Ok::<_, ServiceError>(auth::open_session(conn, verified.user_id)?)
        })
        .await
}

/// A 429 after a pause that costs the server a timer, not a core: a guesser told to wait who
/// keeps asking gets at most one answer a second per connection, instead of thousands of cheap
/// ones taking the cores the donors' pages need.
async fn refuse<T>(retry_after: u64) -> Result<T, ServiceError> {
    tokio::time::sleep(REFUSAL_PAUSE).await;
    Err(crate::rate_limit::Limited::Wait { retry_after }.into())
}

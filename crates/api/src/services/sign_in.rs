//! Signing staff in: the slow-down first, the account read and its connection returned, the
//! password checked in one of the few hashing slots, then the session.

use std::net::IpAddr;

use crate::auth::{self, NewSession};
use crate::problem::ApiError;
use crate::state::AppState;

/// How long a slowed-down sign-in waits before its 429.
const REFUSAL_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// Signs in as `email` with `password` from `client`. Unknown address and wrong password are
/// answered alike (401), and cost alike.
pub async fn sign_in(
    state: &AppState,
    client: Option<IpAddr>,
    email: &str,
    password: String,
) -> Result<NewSession, ApiError> {
    let account = auth::sign_in_key(email);
    if let Some(retry_after) = state.throttle.wait_for(&account, client) {
        // Answered after a pause that costs the server a timer, not a core: a guesser told to
        // wait who keeps asking gets at most one answer a second per connection, instead of
        // thousands of cheap ones taking the cores the donors' pages need.
        tokio::time::sleep(REFUSAL_PAUSE).await;
        return Err(ApiError::RateLimited { retry_after });
    }
    let key = account.clone();
    let credentials = state.pool.run(move |conn| auth::credentials(conn, &key)).await?;
    let matches = state.hashing.verify(password, credentials.as_ref().map(|c| c.password_hash.clone())).await?;
    match credentials.filter(|c| matches && c.active) {
        Some(c) => {
            state.throttle.succeeded(&account, client);
            state.pool.run(move |conn| auth::open_session(conn, &c.user_id)).await
        }
        None => {
            state.throttle.failed(&account, client);
            Err(ApiError::Unauthorized)
        }
    }
}

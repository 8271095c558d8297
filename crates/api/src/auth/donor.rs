//! Donors sign in by a link mailed to the address they gave with: no password to keep. A link
//! works once, for [`LINK_MINUTES`]; asking again replaces the address's earlier link (one
//! address, one link). Redeemed, it opens a donor session of [`DONOR_SESSION_HOURS`]. Tokens are
//! stored only as their SHA-256 (`session::token_hash`), as staff sessions are.

use chrono::{DateTime, Duration, Utc};
use demeu_db::schema::{donor_links, donor_sessions};
use demeu_db::DbConn;
use diesel::prelude::*;
use rand::RngCore;
use uuid::Uuid;

use super::session::token_hash;
use super::{AuthError, NewSession};

/// How long a mailed link works.
pub const LINK_MINUTES: i64 = 30;
/// How long a donor stays signed in.
pub const DONOR_SESSION_HOURS: i64 = 12;

fn fresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A new sign-in link's token for `email` (already parsed and lower-cased), inside the caller's
/// transaction: the address's earlier links stop working. Links used or expired are swept here.
pub fn issue_link(conn: &mut DbConn, email: &str) -> Result<String, AuthError> {
    let token = fresh_token();
    let now = Utc::now().naive_utc();
    diesel::delete(donor_links::table.filter(donor_links::email.eq(email).or(donor_links::expires_at.lt(now))))
        .execute(conn)?;
    diesel::insert_into(donor_links::table)
        .values((
            donor_links::id.eq(Uuid::new_v4().to_string()),
            donor_links::email.eq(email),
            donor_links::token_hash.eq(token_hash(&token)),
            donor_links::created_at.eq(now),
            donor_links::expires_at.eq(now + Duration::minutes(LINK_MINUTES)),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Redeems a link's `token` once: a donor session for its address, or [`AuthError::NotSignedIn`]
/// for a token unknown, used or expired (said alike). The link is marked used in the statement
/// that checks it, so two clients racing with one link cannot both get a session.
pub fn redeem(conn: &mut DbConn, token: &str) -> Result<(String, NewSession), AuthError> {
    conn.write_transaction(|conn| {
        let now = Utc::now().naive_utc();
        let found: Option<(String, String)> = donor_links::table
            .filter(donor_links::token_hash.eq(token_hash(token)))
            .filter(donor_links::used_at.is_null())
            .filter(donor_links::expires_at.gt(now))
            .select((donor_links::id, donor_links::email))
            .first(conn)
            .optional()?;
        let Some((id, email)) = found else { return Err(AuthError::NotSignedIn) };
        let unused = donor_links::table.find(id).filter(donor_links::used_at.is_null());
        let used = diesel::update(unused).set(donor_links::used_at.eq(Some(now))).execute(conn)?;
        if used != 1 {
            return Err(AuthError::NotSignedIn);
        }
        let session = open(conn, &email, now.and_utc())?;
        Ok((email, session))
    })
}

fn open(conn: &mut DbConn, email: &str, now: DateTime<Utc>) -> Result<NewSession, AuthError> {
    let token = fresh_token();
    let expires_at = now + Duration::hours(DONOR_SESSION_HOURS);
    diesel::insert_into(donor_sessions::table)
        .values((
            donor_sessions::id.eq(Uuid::new_v4().to_string()),
            donor_sessions::email.eq(email),
            donor_sessions::token_hash.eq(token_hash(&token)),
            donor_sessions::created_at.eq(now.naive_utc()),
            donor_sessions::expires_at.eq(expires_at.naive_utc()),
        ))
        .execute(conn)?;
    diesel::delete(donor_sessions::table.filter(donor_sessions::expires_at.lt(now.naive_utc()))).execute(conn)?;
    Ok(NewSession { token, expires_at })
}

/// The address of the live donor session holding `token`, if any.
pub fn donor_for_token(conn: &mut DbConn, token: &str) -> Result<Option<String>, AuthError> {
    Ok(donor_sessions::table
        .filter(donor_sessions::token_hash.eq(token_hash(token)))
        .filter(donor_sessions::expires_at.gt(demeu_db::now()))
        .select(donor_sessions::email)
        .first(conn)
        .optional()?)
}

/// Ends the donor session holding `token`.
pub fn end_donor_session(conn: &mut DbConn, token: &str) -> Result<(), AuthError> {
    diesel::delete(donor_sessions::table.filter(donor_sessions::token_hash.eq(token_hash(token)))).execute(conn)?;
    Ok(())
}

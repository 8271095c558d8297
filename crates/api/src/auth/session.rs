use chrono::{DateTime, Duration, Utc};
use demeu_db::ids::StaffUserId;
use demeu_db::schema::{staff_sessions, staff_users};
use demeu_db::DbConn;
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::users::{normalize_email, UserRow};
use super::AuthError;
use super::StaffUser;

/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;

/// A session just opened: the token is shown once and stored only as its hash.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NewSession {
    /// Bearer token for `Authorization: Bearer ...`.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

pub(super) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What sign-in needs to know of an account, read before any hashing so that no pooled
/// connection is held while argon2 runs.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account.
    pub user_id: StaffUserId,
    /// Its argon2id hash.
    pub password_hash: String,
    /// Disabled accounts never sign in.
    pub active: bool,
}

/// The address sign-in and its slow-down both read `email` as: the stored form when it is an
/// address, else the text trimmed and lower-cased (so that `" a@x.kz\t"` is `a@x.kz`, and junk
/// is still one key per spelling of junk).
pub fn sign_in_key(email: &str) -> String {
    normalize_email(email).unwrap_or_else(|_| email.trim().to_lowercase())
}

/// The credentials of the account signing in as `key` (see [`sign_in_key`]), if there is one.
pub fn credentials(conn: &mut DbConn, key: &str) -> Result<Option<Credentials>, AuthError> {
    let row: Option<UserRow> =
        staff_users::table.filter(staff_users::email.eq(key)).select(UserRow::as_select()).first(conn).optional()?;
    Ok(row.map(|r| Credentials { user_id: r.id, password_hash: r.password_hash, active: r.active }))
}

/// Opens a session for `user_id`, whose password was just checked.
pub fn open_session(conn: &mut DbConn, user_id: StaffUserId) -> Result<NewSession, AuthError> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = Utc::now();
    let expires_at = now + Duration::hours(SESSION_HOURS);
    conn.write_transaction(|conn| {
        diesel::insert_into(staff_sessions::table)
            .values((
                staff_sessions::id.eq(Uuid::new_v4().to_string()),
                staff_sessions::token_hash.eq(token_hash(&token)),
                staff_sessions::user_id.eq(user_id),
                staff_sessions::created_at.eq(now.naive_utc()),
                staff_sessions::expires_at.eq(expires_at.naive_utc()),
            ))
            .execute(conn)?;
        // Expired sessions are swept here rather than by a timer: sign-ins are rare.
        diesel::delete(staff_sessions::table.filter(staff_sessions::expires_at.lt(now.naive_utc()))).execute(conn)?;
        demeu_db::audit::record(
            conn,
            Some(user_id),
            "staff.sign_in",
            &format!("staff_user:{user_id}"),
            &serde_json::json!({}),
        )
    })?;
    Ok(NewSession { token, expires_at })
}

/// The active staff member holding `token`, if the session is live.
pub fn user_for_token(conn: &mut DbConn, token: &str) -> Result<Option<StaffUser>, AuthError> {
    let row: Option<UserRow> = staff_sessions::table
        .inner_join(staff_users::table)
        .filter(staff_sessions::token_hash.eq(token_hash(token)))
        .filter(staff_sessions::expires_at.gt(demeu_db::now()))
        .filter(staff_users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(UserRow::into_user))
}

/// Ends the session holding `token`.
pub fn end_session(conn: &mut DbConn, user: &StaffUser, token: &str) -> Result<(), AuthError> {
    conn.write_transaction(|conn| {
        diesel::delete(staff_sessions::table.filter(staff_sessions::token_hash.eq(token_hash(token)))).execute(conn)?;
        let id = user.id;
        demeu_db::audit::record(conn, Some(id), "staff.sign_out", &format!("staff_user:{id}"), &serde_json::json!({}))
            .map_err(AuthError::from)
    })
}

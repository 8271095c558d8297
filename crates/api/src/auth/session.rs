use chrono::{DateTime, Duration, Utc};
use demeu_db::schema::{staff_sessions, staff_users};
use demeu_db::DbConn;
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::users::{normalize_email, UserRow};
use super::{verify_password, StaffUser};
use crate::problem::ApiError;

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

// A hash of a random password, checked when the email is unknown so that an unknown address
// costs the same time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| super::hash_password("not-a-real-password-at-all").unwrap_or_default())
}

/// Checks the credentials and opens a session; `None` when they do not match (the caller
/// answers alike for an unknown address and a wrong password).
pub fn start_session(conn: &mut DbConn, email: &str, password: &str) -> Result<Option<NewSession>, ApiError> {
    let Ok(email) = normalize_email(email) else {
        verify_password(password, dummy_hash());
        return Ok(None);
    };
    let row: Option<UserRow> =
        staff_users::table.filter(staff_users::email.eq(&email)).select(UserRow::as_select()).first(conn).optional()?;
    let Some(row) = row else {
        verify_password(password, dummy_hash());
        return Ok(None);
    };
    if !verify_password(password, &row.password_hash) || !row.active {
        return Ok(None);
    }
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
                staff_sessions::user_id.eq(&row.id),
                staff_sessions::created_at.eq(now.naive_utc()),
                staff_sessions::expires_at.eq(expires_at.naive_utc()),
            ))
            .execute(conn)?;
        // Expired sessions are swept here rather than by a timer: sign-ins are rare.
        diesel::delete(staff_sessions::table.filter(staff_sessions::expires_at.lt(now.naive_utc()))).execute(conn)?;
        demeu_db::audit::record(
            conn,
            Some(&row.id),
            "staff.sign_in",
            &format!("staff_user:{}", row.id),
            &serde_json::json!({}),
        )
    })?;
    Ok(Some(NewSession { token, expires_at }))
}

/// The active staff member holding `token`, if the session is live.
pub(super) fn user_for_token(conn: &mut DbConn, token: &str) -> Result<Option<StaffUser>, ApiError> {
    let row: Option<UserRow> = staff_sessions::table
        .inner_join(staff_users::table)
        .filter(staff_sessions::token_hash.eq(token_hash(token)))
        .filter(staff_sessions::expires_at.gt(demeu_db::now()))
        .filter(staff_users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    row.map(UserRow::into_user).transpose()
}

/// Ends the session holding `token`.
pub fn end_session(conn: &mut DbConn, user: &StaffUser, token: &str) -> Result<(), ApiError> {
    conn.write_transaction(|conn| {
        diesel::delete(staff_sessions::table.filter(staff_sessions::token_hash.eq(token_hash(token)))).execute(conn)?;
        let id = user.id.to_string();
        demeu_db::audit::record(conn, Some(&id), "staff.sign_out", &format!("staff_user:{id}"), &serde_json::json!({}))
            .map_err(ApiError::from)
    })
}

use chrono::{DateTime, NaiveDateTime, Utc};
use demeu_db::ids::StaffUserId;
use demeu_db::schema::{staff_sessions, staff_users};
use demeu_db::DbConn;
use diesel::prelude::*;
use serde::Serialize;

use super::password::short_password;
use super::session::token_hash;
use super::{hash_password, AuthError, Role};

/// A staff member as shown to admins; never the hash.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffUser {
    /// Id.
    #[schema(value_type = uuid::Uuid)]
    pub id: StaffUserId,
    /// Sign-in address, lower case.
    pub email: String,
    /// What they may do.
    pub role: Role,
    /// A disabled account cannot sign in and its sessions are ended.
    pub active: bool,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = staff_users)]
pub(super) struct UserRow {
    pub id: StaffUserId,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

impl UserRow {
    pub(super) fn into_user(self) -> StaffUser {
        StaffUser {
            id: self.id,
            email: self.email,
            role: self.role,
            active: self.active,
            created_at: DateTime::from_naive_utc_and_offset(self.created_at, Utc),
        }
    }
}

/// A new account.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewStaffUser {
    /// Sign-in address: an addr-spec, up to 254 characters.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// At least 12 characters.
    #[schema(min_length = 12)]
    pub password: String,
    /// What they may do.
    pub role: Role,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct StaffUpdate {
    /// A new role.
    pub role: Option<Role>,
    /// Enable or disable.
    pub active: Option<bool>,
    /// A new password (at least 12 characters).
    #[schema(min_length = 12)]
    pub password: Option<String>,
}

pub(super) fn normalize_email(email: &str) -> Result<String, AuthError> {
    demeu_db::email::Email::parse(email)
        .map(|e| e.into_string())
        .map_err(|why| demeu_db::FieldError::email("email", why).into())
}

/// Creates an account; `actor` is the admin doing it (`None` from the command line).
pub fn create_user(conn: &mut DbConn, actor: Option<StaffUserId>, new: &NewStaffUser) -> Result<StaffUser, AuthError> {
    let email = normalize_email(&new.email)?;
    let hash = hash_password(&new.password)?;
    let id = StaffUserId::new();
    let now = demeu_db::now();
    conn.write_transaction(|conn| {
        let inserted = diesel::insert_into(staff_users::table)
            .values((
                staff_users::id.eq(id),
                staff_users::email.eq(&email),
                staff_users::password_hash.eq(&hash),
                staff_users::role.eq(new.role),
                staff_users::active.eq(true),
                staff_users::created_at.eq(now),
                staff_users::updated_at.eq(now),
            ))
            .execute(conn);
        match inserted {
            Err(e) if demeu_db::is_unique_violation(&e) => return Err(AuthError::EmailTaken(email.clone())),
            other => other?,
        };
        demeu_db::audit::record(
            conn,
            actor,
            "staff.create",
            &format!("staff_user:{id}"),
            &serde_json::json!({"email": email, "role": new.role}),
        )?;
        Ok(())
    })?;
    Ok(StaffUser { id, email, role: new.role, active: true, created_at: DateTime::from_naive_utc_and_offset(now, Utc) })
}

/// Every account, by email.
pub fn list_users(conn: &mut DbConn) -> Result<Vec<StaffUser>, AuthError> {
    let rows: Vec<UserRow> =
        staff_users::table.select(UserRow::as_select()).order(staff_users::email.asc()).load(conn)?;
    Ok(rows.into_iter().map(UserRow::into_user).collect())
}

impl StaffUpdate {
    /// Whether the account may stop being an active admin by this change.
    fn removes_admin(&self) -> bool {
        self.active == Some(false) || self.role.is_some_and(|r| r != Role::Admin)
    }
}

/// The active admins' ids, locked until the transaction ends: on PostgreSQL `SELECT … FOR
/// UPDATE` in id order (so that two such transactions queue rather than deadlock, and the one
/// that waited reads the rows as the other left them); SQLite's write transaction already
/// excludes every other writer.
fn lock_active_admins(conn: &mut DbConn) -> Result<Vec<StaffUserId>, diesel::result::Error> {
    let admins = staff_users::table
        .filter(staff_users::role.eq(Role::Admin))
        .filter(staff_users::active.eq(true))
        .select(staff_users::id)
        .order(staff_users::id.asc());
    match conn {
        DbConn::Postgres(pg) => admins.for_update().load(pg),
        DbConn::Sqlite(sqlite) => admins.load(sqlite),
    }
}

/// Applies `update` to account `id`. Disabling an account or changing its password ends its
/// sessions. An admin cannot demote or disable themself, and no change may leave the console
/// without an active admin: that is decided inside the write transaction, with the admins'
/// rows locked first, so that two admins demoting each other at the same moment cannot both
/// succeed (the role each read when its request came in proves nothing by then).
pub fn update_user(
    conn: &mut DbConn,
    actor: StaffUserId,
    id: StaffUserId,
    update: &StaffUpdate,
) -> Result<StaffUser, AuthError> {
    if actor == id && update.removes_admin() {
        return Err(AuthError::OwnAccount);
    }
    let hash = update.password.as_deref().map(hash_password).transpose()?;
    let now = demeu_db::now();
    conn.write_transaction(|conn| {
        let key = id;
        if update.removes_admin() {
            let admins = lock_active_admins(conn)?;
            if admins == [id] {
                return Err(AuthError::LastAdmin);
            }
        }
        let before: Option<UserRow> =
            staff_users::table.find(key).select(UserRow::as_select()).first(conn).optional()?;
        let Some(before) = before else {
            return Err(AuthError::NoSuchAccount);
        };
        diesel::update(staff_users::table.find(key)).set(staff_users::updated_at.eq(now)).execute(conn)?;
        if let Some(role) = update.role {
            diesel::update(staff_users::table.find(key)).set(staff_users::role.eq(role)).execute(conn)?;
        }
        if let Some(active) = update.active {
            diesel::update(staff_users::table.find(key)).set(staff_users::active.eq(active)).execute(conn)?;
        }
        if let Some(hash) = &hash {
            diesel::update(staff_users::table.find(key)).set(staff_users::password_hash.eq(hash)).execute(conn)?;
        }
        if update.active == Some(false) || hash.is_some() {
            diesel::delete(staff_sessions::table.filter(staff_sessions::user_id.eq(key))).execute(conn)?;
        }
        // The old values beside the new ones: an auditor reading "role: editor" asks what it was.
        demeu_db::audit::record(
            conn,
            Some(actor),
            "staff.update",
            &format!("staff_user:{id}"),
            &serde_json::json!({
                "role": update.role,
                "old_role": update.role.map(|_| before.role),
                "active": update.active,
                "old_active": update.active.map(|_| before.active),
                "password_changed": hash.is_some(),
            }),
        )?;
        let row: UserRow = staff_users::table.find(key).select(UserRow::as_select()).first(conn)?;
        Ok(row.into_user())
    })
}

/// A new password typed twice: at least [`MIN_PASSWORD_LEN`] characters (`password`) and the
/// same both times (`repeat`); every field at fault is named at once (422).
pub fn check_new_password(password: &str, repeated: &str) -> Result<(), AuthError> {
    let mut errors = Vec::new();
    if password.chars().count() < super::MIN_PASSWORD_LEN {
        errors.push(short_password());
    }
    if password != repeated {
        errors.push(
            demeu_db::FieldError::new("repeat", "does not match the new password")
                .translated("error-password-repeat", Vec::new()),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AuthError::Invalid(errors))
    }
}

/// Replaces the password of `user` with `password` (typed twice: `repeated`) and ends every
/// other session of the account; returns how many were ended. The caller has just checked the
/// current password.
///
/// Other sessions end because a password is changed when it may be known to someone else, who
/// may have signed in with it; the session holding `keep_token`, the one making the change,
/// stays, so that the person is not sent back to the sign-in form. Audited as `staff.password`.
pub fn change_own_password(
    conn: &mut DbConn,
    user: &StaffUser,
    keep_token: &str,
    password: &str,
    repeated: &str,
) -> Result<usize, AuthError> {
    check_new_password(password, repeated)?;
    let hash = hash_password(password)?;
    let now = demeu_db::now();
    let key = user.id;
    let keep = token_hash(keep_token);
    conn.write_transaction(|conn| {
        let touched = diesel::update(staff_users::table.find(key))
            .set((staff_users::password_hash.eq(&hash), staff_users::updated_at.eq(now)))
            .execute(conn)?;
        if touched == 0 {
            return Err(AuthError::NoSuchAccount);
        }
        let ended = diesel::delete(
            staff_sessions::table.filter(staff_sessions::user_id.eq(key)).filter(staff_sessions::token_hash.ne(&keep)),
        )
        .execute(conn)?;
        demeu_db::audit::record(
            conn,
            Some(key),
            "staff.password",
            &format!("staff_user:{key}"),
            &serde_json::json!({"sessions_ended": ended}),
        )?;
        Ok(ended)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_or_refused() {
        assert_eq!(normalize_email("  Ainash@Dara.KZ ").ok().as_deref(), Some("ainash@dara.kz"));
        assert!(normalize_email("no-at-sign").is_err());
        assert!(normalize_email("a@nodot").is_err());
        assert!(normalize_email("a b@x.kz").is_err());
    }

    fn fields(result: Result<(), AuthError>) -> Vec<String> {
        match result {
            Err(AuthError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn a_new_password_is_long_enough_and_typed_twice_alike() {
        assert!(check_new_password("correct horse battery", "correct horse battery").is_ok());
        assert_eq!(fields(check_new_password("correct horse battery", "correct horse batterY")), ["repeat"]);
        assert_eq!(fields(check_new_password("short", "short")), ["password"]);
        assert_eq!(fields(check_new_password("short", "other")), ["password", "repeat"]);
        // Counted in characters, not bytes: twelve Cyrillic letters are enough.
        assert!(check_new_password("пароль-длины", "пароль-длины").is_ok());
    }
}

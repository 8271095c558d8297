//! Staff accounts: who they are, how they prove it, and what each role may do; and donors'
//! sign-in by mailed link (`donor`).
//!
//! Nothing here knows HTTP: what is refused or fails is an [`AuthError`], which the routes and
//! the console say (`problem.rs`; the console's pages in the reader's language). The role a
//! route needs is stated by the extractor it takes (`routes/access.rs`).

pub mod donor;
mod password;
mod session;
pub(crate) mod throttle;
mod users;

use std::borrow::Cow;

pub use password::{hash_password, verify_password, HashingSlots, MIN_PASSWORD_LEN};
pub use session::{
    credentials, end_session, open_session, sign_in_key, user_for_token, Credentials, NewSession, SESSION_HOURS,
};
pub use throttle::LoginThrottle;
pub use users::{
    change_own_password, check_new_password, create_user, list_users, update_user, NewStaffUser, StaffUpdate, StaffUser,
};

use demeu_db::{DbError, FieldError};
use sha2::{Digest, Sha256};

/// Whether a form's token is the one expected, compared in constant time (subtle), so that the
/// time a refusal takes says nothing of how much of a guessed token was right.
pub fn same(a: &str, b: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()).into()
}

/// The CSRF token of the forms of a session (the console's, a donor's page's) whose secret
/// token is `token`: a hash of it, under `purpose` (so the console's and a donor page's tokens
/// differ), that only a page of this session can know (a script of another site cannot read it).
pub fn form_token(purpose: &str, token: &str) -> String {
    hex::encode(&Sha256::digest(format!("demeu {purpose} form\0{token}").as_bytes())[..16])
}

/// Why an account, a password or a session refused, or what failed under it.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No account for these credentials, a wrong password, a disabled account, an unknown or
    /// expired session: said alike, so that a refusal tells a guesser nothing.
    #[error("authentication required")]
    NotSignedIn,
    /// No account by that id.
    #[error("staff user not found")]
    NoSuchAccount,
    /// An account for that address exists.
    #[error("a staff account for {0} exists")]
    EmailTaken(String),
    /// An admin demoting or disabling their own account.
    #[error("you cannot demote or disable your own account")]
    OwnAccount,
    /// The change would leave no active admin, and only a shell could make one again.
    #[error("the last active admin cannot be demoted or disabled: make another account admin first")]
    LastAdmin,
    /// Values that do not pass (an address, a short password, a password typed twice unalike),
    /// each named.
    #[error("invalid values")]
    Invalid(Vec<FieldError>),
    /// Every password check slot is busy: retry shortly.
    #[error("every password check slot is busy")]
    Busy,
    /// The database.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A bug: the hasher or its threads failed.
    #[error("{0}")]
    Broken(String),
}

impl From<diesel::result::Error> for AuthError {
    fn from(error: diesel::result::Error) -> Self {
        AuthError::Db(error.into())
    }
}

impl From<FieldError> for AuthError {
    fn from(error: FieldError) -> Self {
        AuthError::Invalid(vec![error])
    }
}

demeu_db::stored_enum! {
    /// What a staff member may do.
    pub enum Role("staff role") {
        /// Everything.
        Admin = "admin",
        /// News and comments.
        Editor = "editor",
        /// Pledges, refunds, exports.
        Accountant = "accountant",
    }
}

impl Role {
    /// Whether a holder of `self` may act where `needed` is required.
    pub fn allows(self, needed: Role) -> bool {
        self == Role::Admin || self == needed
    }
}

// By hand, as the macro cannot derive it: a string, one of the role names, listed once in the
// document's components and referred to by the fields that hold a role.
impl utoipa::PartialSchema for Role {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let mut schema = crate::stored_schema::names::<Role>();
        schema.description = Some("What a staff member may do.".to_string());
        utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(schema))
    }
}

impl utoipa::ToSchema for Role {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Role")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_may_do_everything_others_their_own() {
        assert!(Role::Admin.allows(Role::Editor));
        assert!(Role::Admin.allows(Role::Accountant));
        assert!(Role::Editor.allows(Role::Editor));
        assert!(!Role::Editor.allows(Role::Accountant));
        assert!(!Role::Accountant.allows(Role::Admin));
    }

    #[test]
    fn roles_are_stored_and_sent_by_their_names() {
        assert_eq!(serde_json::to_string(&Role::Accountant).ok().as_deref(), Some("\"accountant\""));
        assert_eq!(serde_json::from_str::<Role>("\"editor\"").ok(), Some(Role::Editor));
        assert_eq!("admin".parse::<Role>(), Ok(Role::Admin));
        assert!("owner".parse::<Role>().is_err_and(|e| e.to_string().contains("admin, editor, accountant")));
    }
}

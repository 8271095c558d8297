//! Staff accounts: who they are, how they prove it, and what each role may do.
//!
//! A route states the role it needs by the extractor it takes: [`Admin`], [`Editor`],
//! [`Accountant`] or, for anything a signed-in person may do, [`AnyStaff`].

mod extract;
mod password;
mod session;
pub(crate) mod throttle;
mod users;

use std::borrow::Cow;

pub use extract::{Accountant, Admin, AnyStaff, Editor};
pub use password::{hash_password, verify_password, HashingSlots, MIN_PASSWORD_LEN};
pub use session::{
    credentials, end_session, open_session, sign_in_key, user_for_token, Credentials, NewSession, SESSION_HOURS,
};
pub use throttle::LoginThrottle;
pub use users::{
    change_own_password, check_new_password, create_user, list_users, update_user, AccountError, NewStaffUser,
    StaffUpdate, StaffUser,
};

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

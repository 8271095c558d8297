//! Staff accounts: who they are, how they prove it, and what each role may do.
//!
//! A route states the role it needs by the extractor it takes: [`Admin`], [`Editor`],
//! [`Accountant`] or, for anything a signed-in person may do, [`AnyStaff`].

mod extract;
mod password;
mod session;
mod throttle;
mod users;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use extract::{Accountant, Admin, AnyStaff, Editor};
pub use password::{hash_password, verify_password, MIN_PASSWORD_LEN};
pub use session::{end_session, start_session, NewSession, SESSION_HOURS};
pub use throttle::LoginThrottle;
pub use users::{create_user, list_users, update_user, NewStaffUser, StaffUpdate, StaffUser};

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything.
    Admin,
    /// News and comments.
    Editor,
    /// Pledges, refunds, exports.
    Accountant,
}

impl Role {
    /// Whether a holder of `self` may act where `needed` is required.
    pub fn allows(self, needed: Role) -> bool {
        self == Role::Admin || self == needed
    }

    /// The name stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Accountant => "accountant",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "editor" => Ok(Role::Editor),
            "accountant" => Ok(Role::Accountant),
            other => Err(format!("unknown role `{other}` (expected admin, editor or accountant)")),
        }
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
}

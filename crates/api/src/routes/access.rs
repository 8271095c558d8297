//! Who may call a staff route: the bearer token's session, and the role the route's extractor
//! names (401 without a live session, 403 with a role that does not allow it).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use crate::auth::{user_for_token, Role, StaffUser};
use crate::problem::ApiError;
use crate::state::AppState;

/// The role a route needs, said by the type it takes: the staff API's extractors below, and the
/// console's `Console<R>` and `ConsoleForm<R, F>` with the same types as `R`.
pub trait Needs {
    /// The role, or `None` for anyone signed in.
    const ROLE: Option<Role>;
}

/// The bearer token of a request, if it carries one.
fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_string())
}

type Authenticated = Pin<Box<dyn Future<Output = Result<(StaffUser, String), ApiError>>>>;

fn authenticate(req: &HttpRequest, needed: Option<Role>) -> Authenticated {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let token = bearer_token(req);
    Box::pin(async move {
        let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
        let token = token.ok_or(ApiError::Unauthorized)?;
        let lookup = token.clone();
        let user = state.pool.run(move |conn| user_for_token(conn, &lookup)).await?;
        let user = user.ok_or(ApiError::Unauthorized)?;
        match needed {
            Some(role) if !user.role.allows(role) => Err(ApiError::Forbidden),
            _ => Ok((user, token)),
        }
    })
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $role:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(pub StaffUser);

        impl Needs for $name {
            const ROLE: Option<Role> = Some($role);
        }

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let auth = authenticate(req, Some($role));
                Box::pin(async move { auth.await.map(|(user, _)| $name(user)) })
            }
        }
    };
}

role_extractor!(
    /// A signed-in admin.
    Admin,
    Role::Admin
);
role_extractor!(
    /// A signed-in editor (or admin).
    Editor,
    Role::Editor
);
role_extractor!(
    /// A signed-in accountant (or admin).
    Accountant,
    Role::Accountant
);

/// A donor signed in by their mailed link (`POST /api/v1/donor/sessions`'s bearer token): their
/// address. 401 without a live donor session; a staff token is not one.
#[derive(Debug)]
pub struct Donor(pub String);

impl FromRequest for Donor {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let token = token.ok_or(ApiError::Unauthorized)?;
            let email = crate::services::donor::donor_for(&state, token).await?;
            email.map(Donor).ok_or(ApiError::Unauthorized)
        })
    }
}

/// Any signed-in staff member, with the token they used.
#[derive(Debug)]
pub struct AnyStaff {
    /// Who.
    pub user: StaffUser,
    /// The bearer token of this request.
    pub token: String,
}

impl Needs for AnyStaff {
    const ROLE: Option<Role> = None;
}

impl FromRequest for AnyStaff {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let auth = authenticate(req, None);
        Box::pin(async move { auth.await.map(|(user, token)| AnyStaff { user, token }) })
    }
}

//! Who may open a console page or send one of its forms, as extractors, so that no handler can
//! forget to ask: a page takes `Console<Editor>`, a form `ConsoleForm<Accountant, RefundForm>`
//! (the roles are the staff API's types, `routes/access.rs`). Refused, the handler does not run:
//! without a live session the browser goes to the sign-in form (303), with a role that does
//! not allow it the console's 403 page; a form whose CSRF token is not its session's is the
//! 403 page too, checked before its fields are read.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;

use super::{decode, refusal, same, see_other, CsrfForm, Signed};
use crate::problem::ApiError;
use crate::routes::access::Needs;
use crate::state::AppState;

/// A console page's reader: signed in, with a role that allows `R`'s.
pub struct Console<R>(pub Signed, pub(super) PhantomData<R>);

/// A console form: its sender (as [`Console`]), its CSRF token checked against the session,
/// then its fields `F` (a control or bidirectional character is a 422 naming the field).
pub struct ConsoleForm<R, F>(pub Signed, pub F, pub(super) PhantomData<R>);

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, actix_web::Error>>>>;

/// The answer the handler is not asked for, sent instead.
fn instead(why: &'static str, answer: HttpResponse) -> actix_web::Error {
    InternalError::from_response(why, answer).into()
}

/// The session of the request's cookie, if it is live, with the console's language.
async fn session(state: &AppState, req: &HttpRequest) -> Result<Option<Signed>, ApiError> {
    let Some(token) = req.cookie(super::SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    let lookup = token.clone();
    let user = state.pool.run(move |conn| crate::auth::user_for_token(conn, &lookup)).await?;
    Ok(user.map(|user| Signed {
        user,
        csrf: super::csrf_of(&token),
        token,
        tr: crate::i18n::Tr::new(super::lang_of(req)),
    }))
}

/// Signed in with a role that allows `R`'s, or the answer to send instead.
async fn admitted<R: Needs>(state: Option<web::Data<AppState>>, req: HttpRequest) -> Result<Signed, actix_web::Error> {
    let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
    let Some(signed) = session(&state, &req).await? else {
        return Err(instead("not signed in", see_other("/staff/sign-in")));
    };
    match R::ROLE {
        Some(role) if !signed.user.role.allows(role) => {
            Err(instead("role", refusal(&signed, StatusCode::FORBIDDEN, "console-forbidden")))
        }
        _ => Ok(signed),
    }
}

impl<R: Needs + 'static> FromRequest for Console<R> {
    type Error = actix_web::Error;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let (state, req) = (req.app_data::<web::Data<AppState>>().cloned(), req.clone());
        Box::pin(async move { admitted::<R>(state, req).await.map(|signed| Console(signed, PhantomData)) })
    }
}

impl<R: Needs + 'static, F: DeserializeOwned + 'static> FromRequest for ConsoleForm<R, F> {
    type Error = actix_web::Error;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (state, request) = (req.app_data::<web::Data<AppState>>().cloned(), req.clone());
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let signed = admitted::<R>(state, request).await?;
            let body = body.await?;
            // The token first, from a form that may not read as `F`: a forged request learns
            // nothing of the form's checks.
            let token: CsrfForm = decode(&body).unwrap_or(CsrfForm { csrf: String::new() });
            if !same(&token.csrf, &signed.csrf) {
                return Err(instead("csrf", refusal(&signed, StatusCode::FORBIDDEN, "console-csrf")));
            }
            let form = decode(&body)?;
            Ok(ConsoleForm(signed, form, PhantomData))
        })
    }
}

//! Cross-origin access (CORS) for the foundation's own frontends on other origins.
//!
//! The rule lives in one place, [`audience`]: for a request's path and method it says who may
//! make it from another origin: the public frontends (`server.cors_origins`, and the staff ones
//! too), the staff frontends only (`server.cors_staff_origins`), or nobody (webhooks, metrics,
//! the docs, the HTML pages, the mailed subscription links, anything unknown).
//!
//! [`ApiCors`] is one middleware over the whole application that sends each request to the
//! `actix-cors` layer of its audience, or past both: so a public route's preflight answers with
//! the public headers and methods only, a staff route's with the staff ones, and a route that
//! has no audience gets no CORS headers at all (its preflight reaches the routes and is answered
//! 404 or 405 like any other unknown method). No credentials (cookies) are allowed anywhere:
//! staff frontends send their Bearer token, which needs none.

use std::rc::Rc;
use std::sync::Arc;

use actix_cors::{Cors, CorsError, CorsMiddleware};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderName};
use actix_web::http::Method;
use actix_web::{Error, ResponseError};
use futures_util::future::LocalBoxFuture;

use crate::problem::ApiError;
use crate::settings::ServerSettings;

/// How long a browser may keep a preflight's answer: an hour, so that a frontend asks once per
/// visit rather than before every pledge, and an origin taken off the lists stops being
/// preflighted soon after a restart.
const PREFLIGHT_MAX_AGE_SECONDS: usize = 3600;

/// Who may call a route from another origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The public frontends: origins in `server.cors_origins` or `server.cors_staff_origins`.
    Public,
    /// The staff frontends: origins in `server.cors_staff_origins` only.
    Staff,
}

/// Which audience may call `method path` from another origin; `None`: nobody.
///
/// For a preflight, `method` is the one the browser asks about (`Access-Control-Request-Method`),
/// not `OPTIONS`.
///
/// Each route's audience is declared beside it in the route table (`routes::API_ROUTES`): the
/// route of the same method whose pattern the path fits (a `{name}` segment fits any one
/// non-empty segment) says it; a path no route fits has none.
pub fn audience(method: &Method, path: &str) -> Option<Audience> {
    let rest = path.strip_prefix("/api/v1")?;
    let fits = |pattern: &str| {
        let (mut theirs, mut ours) = (pattern.split('/'), rest.split('/'));
        loop {
            match (theirs.next(), ours.next()) {
                (None, None) => return true,
                (Some(p), Some(s)) if p.starts_with('{') && !s.is_empty() => {}
                (Some(p), Some(s)) if p == s => {}
                _ => return false,
            }
        }
    };
    crate::routes::API_ROUTES
        .iter()
        .find(|route| route.method == method.as_str() && fits(route.path))
        .and_then(|route| route.audience)
}

/// The method `req` is about: the one a preflight asks for, else its own.
fn requested_method(req: &ServiceRequest) -> Method {
    if req.method() == Method::OPTIONS {
        let asked = req.headers().get(header::ACCESS_CONTROL_REQUEST_METHOD).and_then(|v| v.to_str().ok());
        if let Some(method) = asked.and_then(|m| Method::from_bytes(m.as_bytes()).ok()) {
            return method;
        }
    }
    req.method().clone()
}

/// An origin as a browser writes it in `Origin`: scheme and host in lower case, no default port.
/// (Settings checked that `origin` is `scheme://host[:port]`.)
fn normalize(origin: &str) -> String {
    let origin = origin.to_ascii_lowercase();
    let default_port = if origin.starts_with("https://") { ":443" } else { ":80" };
    match origin.strip_suffix(default_port) {
        Some(bare) => bare.to_string(),
        None => origin,
    }
}

/// The configured origins of each audience, normalized; shared by the server's workers.
#[derive(Debug, Clone, Default)]
pub struct CorsOrigins {
    public: Arc<[String]>,
    staff: Arc<[String]>,
}

impl CorsOrigins {
    /// From `server.cors_origins` and `server.cors_staff_origins` (checked at start-up). The
    /// public audience is both lists: a staff frontend shows the campaigns too.
    pub fn from_settings(server: &ServerSettings) -> Self {
        let staff: Vec<String> = server.cors_staff_origins.iter().map(|o| normalize(o)).collect();
        let mut public: Vec<String> = server.cors_origins.iter().map(|o| normalize(o)).collect();
        public.extend(staff.iter().cloned());
        public.sort();
        public.dedup();
        CorsOrigins { public: public.into(), staff: staff.into() }
    }

    fn of(&self, audience: Audience) -> &Arc<[String]> {
        match audience {
            Audience::Public => &self.public,
            Audience::Staff => &self.staff,
        }
    }

    /// Whether a browser at `origin` (an `Origin` header) may call `audience`'s routes.
    pub fn allows(&self, audience: Audience, origin: &str) -> bool {
        self.of(audience).iter().any(|o| o.eq_ignore_ascii_case(origin))
    }

    /// The middleware, for one server worker (`actix-cors`' layers are not `Send`, so each
    /// worker builds its own from these lists).
    pub fn middleware(&self) -> ApiCors {
        ApiCors { public: self.layer(Audience::Public), staff: self.layer(Audience::Staff) }
    }

    /// `audience`'s `actix-cors` layer; none when no origin is listed for it, so that an
    /// installation without CORS answers exactly as before.
    fn layer(&self, audience: Audience) -> Option<Cors> {
        if self.of(audience).is_empty() {
            return None;
        }
        let origins = self.clone();
        let (methods, headers, exposed): (&[Method], &[HeaderName], &[HeaderName]) = match audience {
            Audience::Public => (
                &[Method::GET, Method::POST],
                &[header::CONTENT_TYPE, IDEMPOTENCY_KEY, header::ACCEPT],
                &[X_REQUEST_ID, header::RETRY_AFTER, header::ETAG],
            ),
            Audience::Staff => (
                &[Method::GET, Method::POST, Method::PATCH, Method::DELETE],
                &[header::AUTHORIZATION, header::CONTENT_TYPE, IDEMPOTENCY_KEY, header::ACCEPT],
                // The CSV export's file name too.
                &[X_REQUEST_ID, header::RETRY_AFTER, header::ETAG, header::CONTENT_DISPOSITION],
            ),
        };
        let cors = Cors::default()
            .allowed_origin_fn(move |origin, _| origin.to_str().is_ok_and(|o| origins.allows(audience, o)))
            .allowed_methods(methods.iter().cloned())
            .allowed_headers(headers.iter().cloned())
            .expose_headers(exposed.iter().cloned())
            .max_age(PREFLIGHT_MAX_AGE_SECONDS)
            // The campaign site's own forms post with their `Origin`; an origin not listed must
            // get no CORS headers, not a refusal of the request itself.
            .block_on_origin_mismatch(false);
        Some(cors)
    }
}

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The middleware: each request to its audience's CORS layer, or past them. Built per worker by
/// [`CorsOrigins::middleware`].
pub struct ApiCors {
    public: Option<Cors>,
    staff: Option<Cors>,
}

impl<S, B> Transform<S, ServiceRequest> for ApiCors
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type InitError = ();
    type Transform = ApiCorsMiddleware<S>;
    type Future = LocalBoxFuture<'static, Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        // Both layers and the way past them call the same inner service.
        let service = Rc::new(service);
        let public = self.public.as_ref().map(|cors| cors.new_transform(Rc::clone(&service)));
        let staff = self.staff.as_ref().map(|cors| cors.new_transform(Rc::clone(&service)));
        Box::pin(async move {
            let public = match public {
                Some(layer) => Some(layer.await?),
                None => None,
            };
            let staff = match staff {
                Some(layer) => Some(layer.await?),
                None => None,
            };
            Ok(ApiCorsMiddleware { service, public, staff })
        })
    }
}

/// [`ApiCors`] around one worker's application.
pub struct ApiCorsMiddleware<S> {
    service: Rc<S>,
    public: Option<CorsMiddleware<Rc<S>>>,
    staff: Option<CorsMiddleware<Rc<S>>>,
}

impl<S, B> Service<ServiceRequest> for ApiCorsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        // No origin listed (the default): no route's audience is asked on the hot path.
        let listed = self.public.is_some() || self.staff.is_some();
        let layer = match listed.then(|| audience(&requested_method(&req), req.path())).flatten() {
            Some(Audience::Public) => self.public.as_ref(),
            Some(Audience::Staff) => self.staff.as_ref(),
            None => None,
        };
        let Some(layer) = layer else {
            let answer = self.service.call(req);
            return Box::pin(async move { answer.await.map(ServiceResponse::map_into_left_body) });
        };
        // Every answer of a route with an audience, with an `Origin` or not, says it varies by
        // origin (actix-cors adds `Vary`), so that a cache in front keeps them apart.
        let answer = layer.call(req);
        Box::pin(async move { answer.await.map(refusal_as_problem) })
    }
}

/// A preflight actix-cors refused (an origin not listed, a header or method not allowed) is a
/// plain-text 400: it becomes a problem document like every other error.
fn refusal_as_problem<B>(res: ServiceResponse<EitherBody<B>>) -> ServiceResponse<EitherBody<B>> {
    let refusal = res.response().error().and_then(|e| e.as_error::<CorsError>()).map(ToString::to_string);
    let Some(refusal) = refusal else { return res };
    let (req, _) = res.into_parts();
    ServiceResponse::new(req, ApiError::BadRequest(refusal).error_response()).map_into_right_body()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_routes_are_open_to_the_public_audience_by_method() {
        let public = [
            (Method::GET, "/api/v1/campaigns"),
            (Method::GET, "/api/v1/campaigns/mentors"),
            (Method::GET, "/api/v1/campaigns/mentors/pledges"),
            (Method::POST, "/api/v1/campaigns/mentors/pledges"),
            (Method::GET, "/api/v1/pledges/0b7e5c1e-2f0c-4d51-9a4e-3d1f2b8f6a10"),
            (Method::GET, "/api/v1/campaigns/mentors/news"),
            (Method::GET, "/api/v1/campaigns/mentors/news/first-post"),
            (Method::GET, "/api/v1/campaigns/mentors/comments"),
            (Method::POST, "/api/v1/campaigns/mentors/comments"),
            (Method::POST, "/api/v1/campaigns/mentors/subscriptions"),
            (Method::POST, "/api/v1/campaigns/mentors/volunteers"),
            (Method::GET, "/api/v1/campaigns/mentors/events"),
        ];
        for (method, path) in public {
            assert_eq!(audience(&method, path), Some(Audience::Public), "{method} {path}");
        }
    }

    #[test]
    fn staff_routes_are_open_to_the_staff_audience_only() {
        for (method, path) in [
            (Method::POST, "/api/v1/staff/sessions"),
            (Method::DELETE, "/api/v1/staff/sessions"),
            (Method::GET, "/api/v1/staff/pledges"),
            (Method::GET, "/api/v1/staff/pledges.csv"),
            (Method::PATCH, "/api/v1/staff/volunteers/0b7e5c1e-2f0c-4d51-9a4e-3d1f2b8f6a10"),
            (Method::POST, "/api/v1/staff/comments/0b7e5c1e/approve"),
        ] {
            assert_eq!(audience(&method, path), Some(Audience::Staff), "{method} {path}");
        }
        assert_eq!(audience(&Method::PUT, "/api/v1/staff/users"), None);
        assert_eq!(audience(&Method::GET, "/api/v1/staff/"), None);
    }

    #[test]
    fn everything_else_is_open_to_nobody() {
        for (method, path) in [
            // Other methods on public routes.
            (Method::POST, "/api/v1/campaigns"),
            (Method::DELETE, "/api/v1/campaigns/mentors"),
            (Method::PATCH, "/api/v1/pledges/0b7e5c1e"),
            (Method::GET, "/api/v1/campaigns/mentors/subscriptions"),
            (Method::OPTIONS, "/api/v1/campaigns/mentors/pledges"),
            // Routes no frontend of ours calls.
            (Method::POST, "/api/v1/webhooks/stripe"),
            (Method::POST, "/api/v1/webhooks/tiptoppay/pay"),
            (Method::GET, "/api/v1/subscriptions/confirm"),
            (Method::POST, "/api/v1/subscriptions/unsubscribe"),
            (Method::GET, "/api/v1/openapi.json"),
            (Method::GET, "/metrics"),
            (Method::GET, "/health"),
            (Method::GET, "/docs"),
            (Method::GET, "/campaigns/mentors"),
            (Method::POST, "/campaigns/mentors/pledges"),
            (Method::GET, "/campaigns/mentors/news.atom"),
            (Method::GET, "/embed/campaigns/mentors"),
            // Look-alikes.
            (Method::GET, "/api/v1/campaigns/"),
            (Method::GET, "/api/v1/campaigns//pledges"),
            (Method::GET, "/api/v1/campaigns/mentors/pledges/extra"),
            (Method::GET, "/api/v2/campaigns"),
            (Method::GET, "/api/v1/campaignsx"),
            (Method::GET, "/api/v1/staffx/pledges"),
        ] {
            assert_eq!(audience(&method, path), None, "{method} {path}");
        }
    }

    #[test]
    fn origins_are_compared_as_browsers_write_them() {
        assert_eq!(normalize("https://Dara.KZ"), "https://dara.kz");
        assert_eq!(normalize("https://dara.kz:443"), "https://dara.kz");
        assert_eq!(normalize("http://localhost:80"), "http://localhost");
        assert_eq!(normalize("http://localhost:5173"), "http://localhost:5173");
        assert_eq!(normalize("https://dara.kz:80"), "https://dara.kz:80");
        assert_eq!(normalize("http://dara.kz:8080"), "http://dara.kz:8080");

        let mut server = crate::settings::Settings::from_toml_over_defaults(&[]).expect("defaults").server;
        server.cors_origins = vec!["https://dara.kz".into()];
        server.cors_staff_origins = vec!["https://admin.dara.kz:443".into()];
        let origins = CorsOrigins::from_settings(&server);
        assert!(origins.allows(Audience::Public, "https://dara.kz"));
        assert!(origins.allows(Audience::Public, "https://admin.dara.kz"), "staff frontends read the public API");
        assert!(origins.allows(Audience::Staff, "https://admin.dara.kz"));
        assert!(!origins.allows(Audience::Staff, "https://dara.kz"));
        assert!(!origins.allows(Audience::Public, "https://dara.kz.evil.example"));
        assert!(!origins.allows(Audience::Public, "null"));
    }
}

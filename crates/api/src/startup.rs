//! Building the application: pool, migrations, campaigns from configuration, the HTTP server.
//! Tests build it with port 0 and talk to it over real HTTP.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlers;
use actix_web::{web, App, HttpMessage, HttpServer};
use anyhow::Context;
use demeu_db::{DbPool, PoolOptions};
use tracing_actix_web::{RequestId, TracingLogger};

use crate::auth::{HashingSlots, LoginThrottle};
use crate::cors::CorsOrigins;
use crate::limit_store::Scope;
use crate::mail::compose::MailContext;
use crate::mail::worker::Worker;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::payments;
use crate::problem::{rewrite_bare_errors, ApiError};
use crate::rate_limit::RateLimiter;
use crate::routes;
use crate::security_headers::SecurityHeaders;
use crate::settings::Settings;
use crate::state::AppState;
use crate::telemetry::RequestSpan;

/// Opens the pool, applies migrations and imports configuration's campaigns (once: a campaign
/// imported before is left as staff made it): everything the server and the commands need
/// before they can work.
pub fn prepare_database(settings: &Settings) -> anyhow::Result<DbPool> {
    let options = PoolOptions {
        max_size: settings.database.pool_size,
        timeout: settings.database.pool_timeout,
        ..PoolOptions::default()
    };
    let pool = DbPool::connect(settings.database_url(), &options).context("opening the database")?;
    let mut conn = pool.get().context("connecting to the database")?;
    demeu_db::with_start_up_lock(&mut conn, |conn| {
        let applied = demeu_db::run_migrations(conn).context("applying migrations")?;
        if !applied.is_empty() {
            tracing::info!(?applied, "migrations applied");
        }
        if campaign_news::foundation::import_once(conn, &settings.foundation.identity()?)? {
            tracing::info!("the foundation's identity imported from configuration");
        }
        for spec in settings.campaign_specs()? {
            use donations::campaign::Imported;
            let done = donations::campaign::import_once(conn, &spec)
                .with_context(|| format!("importing campaign {}", spec.slug))?;
            match done {
                Imported::Created(_) => tracing::info!(slug = %spec.slug, "campaign imported from configuration"),
                Imported::Adopted(_) => {
                    tracing::info!(slug = %spec.slug, "campaign's texts, presets and plan taken from configuration a last time")
                }
                Imported::AlreadyThere(_) => {}
                Imported::SlugTaken(_) => tracing::warn!(
                    slug = %spec.slug,
                    "a campaign staff created has this slug: configuration's campaign of that slug is not imported"
                ),
            }
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(pool)
}

/// A server bound to its port, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    pool: DbPool,
    worker: Worker,
    snapshots: Arc<crate::snapshot::Snapshots>,
    books: crate::services::books::Books,
}

impl Application {
    /// Prepares the database and binds `server.host:server.port`.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = prepare_database(&settings)?;
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address).with_context(|| format!("binding {address}"))?;
        let port = listener.local_addr()?.port();
        let providers = payments::Providers::from_settings(&settings, &pool)?;
        let worker = Worker::new(pool.clone(), Mailer::from_settings(&settings.mail)?, &settings.mail)?;
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            providers,
            snapshots: Arc::default(),
            pages: Default::default(),
            mail: MailContext::from_settings(&settings),
            comment_limiter: RateLimiter::new(pool.clone(), Scope::Comments, settings.limits.comments_per_hour),
            subscription_limiter: RateLimiter::new(
                pool.clone(),
                Scope::Subscriptions,
                settings.limits.subscriptions_per_hour,
            ),
            pledge_limiter: RateLimiter::new(pool.clone(), Scope::Pledges, settings.limits.pledges_per_hour),
            volunteer_limiter: RateLimiter::new(pool.clone(), Scope::Volunteers, settings.limits.volunteers_per_hour),
            donor_link_limiter: RateLimiter::new(pool.clone(), Scope::DonorLinks, settings.limits.donor_links_per_hour),
            hashing: HashingSlots::new(settings.limits.password_checks, settings.limits.password_check_wait),
            streams: crate::routes::events::StreamSlots::new(settings.limits.event_streams_per_client),
            books: Default::default(),
            workshop: Default::default(),
            settings: Arc::new(settings),
            throttle: LoginThrottle::default(),
            metrics: Metrics::default(),
        });
        let (snapshots, books) = (state.snapshots.clone(), state.books.clone());
        let server = run(listener, state)?;
        Ok(Application { port, server, pool, worker, snapshots, books })
    }

    /// The port bound (useful when 0 was asked for).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// The mail worker that runs beside the server (a clone: it shares the in-flight count), for
    /// tests that drain the outbox instead of waiting.
    pub fn worker(&self) -> Worker {
        self.worker.clone()
    }

    /// The pool the server uses, for tests that look at the database directly.
    pub fn pool(&self) -> DbPool {
        self.pool.clone()
    }

    /// Serves, with the mail worker, the snapshot's watch and the books' check beside the server,
    /// until the server stops.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let worker = tokio::spawn(self.worker.run());
        let snapshots = tokio::spawn(self.snapshots.watch(self.pool.clone()));
        let books = tokio::spawn(self.books.keep(self.pool.clone()));
        let served = self.server.await;
        worker.abort();
        snapshots.abort();
        books.abort();
        served
    }
}

fn run(listener: TcpListener, state: web::Data<AppState>) -> anyhow::Result<Server> {
    let body_limit = state.settings.server.body_limit;
    let security_headers = SecurityHeaders::from_settings(&state.settings);
    let cors_origins = CorsOrigins::from_settings(&state.settings.server);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::NotFound("path".into()).into()))
            .app_data(web::QueryConfig::default().error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()))
            .configure(routes::configure)
            .configure(crate::pages::configure)
            .configure(routes::after_site)
            .configure(crate::console::configure)
            .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(ApiError::NotFound("path".into())) }))
            // Control characters and over-long values in paths and queries stop here, for every route.
            .wrap(actix_web::middleware::from_fn(crate::request_target::refuse_bad_targets))
            .wrap(
                ErrorHandlers::new()
                    .handler(StatusCode::NOT_FOUND, rewrite_bare_errors)
                    .handler(StatusCode::METHOD_NOT_ALLOWED, rewrite_bare_errors)
                    .handler(StatusCode::PAYLOAD_TOO_LARGE, rewrite_bare_errors)
                    .handler(StatusCode::BAD_REQUEST, rewrite_bare_errors)
                    .handler(StatusCode::UNSUPPORTED_MEDIA_TYPE, rewrite_bare_errors),
            )
            // A browser asking for a page that cannot be answered gets a page, in its language.
            .wrap(ErrorHandlers::new().default_handler(crate::pages::refusal::as_page))
            // Outside the error rewriting, so that an error answer (rewritten or not) to a
            // listed origin carries its CORS headers and the frontend can read the problem.
            .wrap(cors_origins.middleware())
            .wrap_fn(move |req, srv| {
                // By the answer's content type: every HTML page gets its policy, whichever
                // handler made it.
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await?;
                    security_headers.apply(res.headers_mut());
                    Ok(res)
                }
            })
            .wrap_fn(|req, srv| {
                // The request id that tracing-actix-web put on the span goes back to the client,
                // so that a report can be matched with the log.
                let id: Option<String> = req.extensions().get::<RequestId>().map(|id| id.to_string());
                let state = req.app_data::<web::Data<AppState>>().cloned();
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await?;
                    if let Some(state) = state {
                        state.metrics.record(res.status().as_u16());
                    }
                    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                        res.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
                    }
                    Ok(res)
                }
            })
            .wrap(TracingLogger::<RequestSpan>::new())
    })
    // A client that closes its side of the connection is gone: its answer stops at once. This
    // is what gives a live progress stream's slot back within a moment of a page being closed,
    // instead of at the next keep-alive write 15-30 s later (no browser half-closes a
    // connection and still reads the answer).
    .h1_allow_half_closed(false)
    .listen(listener)?
    .run();
    Ok(server)
}

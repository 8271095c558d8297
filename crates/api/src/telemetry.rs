//! Structured logs with `tracing`: JSON lines in production, readable lines in a terminal, and
//! the span each request is logged in.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HOST, USER_AGENT};
use actix_web::HttpMessage;
use tracing::field::Empty;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber once; `RUST_LOG` overrides the level, `DEMEU_LOG_FORMAT=json`
/// picks JSON.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("DEMEU_LOG_FORMAT").is_ok_and(|f| f == "json");
    let registry = tracing_subscriber::registry().with(filter);
    // A second init (tests start many applications) is harmless: the first subscriber stays.
    let _ = if json {
        registry.with(fmt::layer().json().with_writer(std::io::stderr)).try_init()
    } else {
        registry.with(fmt::layer().with_writer(std::io::stderr)).try_init()
    };
}

/// The span of each request. tracing-actix-web's default takes the client address from
/// `Forwarded`/`X-Forwarded-For` whoever sent them; here it is the address
/// [`crate::client_ip`] settles on, the one the rate limits count.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let header = |name| request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
        // The fields are worked out inside the macro, which evaluates them only when the span is
        // logged: the route's pattern is a search of the routes, the client's address a parse.
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %request.match_pattern().unwrap_or_else(|| "default".into()),
            http.target = %request.uri().path_and_query().map(|p| p.as_str()).unwrap_or(""),
            http.flavor = ?request.version(),
            http.host = %header(HOST),
            http.user_agent = %header(USER_AGENT),
            http.client_ip = %crate::client_ip::of(request.request()).map(|a| a.to_string()).unwrap_or_default(),
            http.status_code = Empty,
            otel.kind = "server",
            otel.status_code = Empty,
            request_id = %request.extensions().get::<RequestId>().map(ToString::to_string).unwrap_or_default(),
            exception.message = Empty,
            exception.details = Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        // Status and error fields, recorded as the default does.
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

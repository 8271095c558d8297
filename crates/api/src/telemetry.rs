//! Structured logs with `tracing`: JSON lines in production, readable lines in a terminal, and
//! the span each request is logged in.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HOST, USER_AGENT};
use actix_web::HttpMessage;
use tracing::field::Empty;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the global subscriber once; `RUST_LOG` overrides the level (`warn`, or per target:
/// `info,demeu_api=debug`), `DEMEU_LOG_FORMAT=json` picks JSON. A plain target filter, not
/// `EnvFilter`: its span and field matching are not used here, and its regular-expression engine
/// was two of the release build's larger crates.
pub fn init() {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref());
    let json = std::env::var("DEMEU_LOG_FORMAT").is_ok_and(|f| f == "json");
    let registry = tracing_subscriber::registry().with(filter);
    // A second init (tests start many applications) is harmless: the first subscriber stays.
    let _ = if json {
        registry.with(fmt::layer().json().with_writer(std::io::stderr)).try_init()
    } else {
        registry.with(fmt::layer().with_writer(std::io::stderr)).try_init()
    };
}

/// What `RUST_LOG` asks for; `info` when it is unset or not a filter.
fn filter(directives: Option<&str>) -> Targets {
    directives.and_then(|d| d.parse::<Targets>().ok()).unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
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

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::filter;

    #[test]
    fn rust_log_sets_the_level_overall_and_per_target() {
        let default = filter(None);
        assert!(default.would_enable("demeu_api", &Level::INFO) && !default.would_enable("demeu_api", &Level::DEBUG));
        let warn = filter(Some("warn"));
        assert!(warn.would_enable("actix_server", &Level::WARN) && !warn.would_enable("demeu_api", &Level::INFO));
        let per_target = filter(Some("warn,demeu_api=debug"));
        assert!(per_target.would_enable("demeu_api::payments", &Level::DEBUG));
        assert!(!per_target.would_enable("r2d2", &Level::INFO));
        assert!(filter(Some("=not a filter=")).would_enable("demeu_api", &Level::INFO), "unreadable: the default");
    }
}

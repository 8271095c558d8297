//! Structured logs with `tracing`: JSON lines in production, readable lines in a terminal, and
//! the span each request is logged in.

use std::io::IsTerminal;

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
    let colour = colours(std::io::stderr().is_terminal(), std::env::var("NO_COLOR").ok().as_deref());
    // A second init (tests start many applications) is harmless: the first subscriber stays.
    let _ = if json {
        registry.with(fmt::layer().json().with_writer(std::io::stderr)).try_init()
    } else {
        registry.with(fmt::layer().with_ansi(colour).with_writer(std::io::stderr)).try_init()
    };
}

/// Whether readable lines are coloured: only for a person at a terminal. Written to a file or a
/// journal, colour codes are noise in every line, and formatting them was a few per cent of the
/// server's CPU per request (each request's span is formatted when it opens).
/// <https://no-color.org>: a non-empty `NO_COLOR` turns colour off.
fn colours(terminal: bool, no_color: Option<&str>) -> bool {
    terminal && no_color.is_none_or(str::is_empty)
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
        // logged. The route's pattern waits for the end: before routing, finding it is a second
        // search of the routes (their regular expressions); after, a lookup.
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = Empty,
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
        if let Ok(response) = outcome {
            let route = response.request().match_pattern();
            span.record("http.route", route.as_deref().unwrap_or("default"));
        }
        // Status and error fields, recorded as the default does.
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use actix_web::{test, web, App, HttpResponse};
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Level, Subscriber};
    use tracing_actix_web::TracingLogger;
    use tracing_subscriber::layer::{Context, Layer};

    use super::*;

    #[test]
    fn colour_only_at_a_terminal_without_no_color() {
        assert!(colours(true, None));
        assert!(colours(true, Some("")), "an empty NO_COLOR does not count");
        assert!(!colours(true, Some("1")));
        assert!(!colours(false, None), "a file or a journal gets plain text");
    }

    /// Keeps every value given to a span's `http.route`, when the span opens or later.
    #[derive(Clone, Default)]
    struct Routes(Arc<Mutex<Vec<String>>>);

    impl Visit for Routes {
        fn record_str(&mut self, field: &Field, value: &str) {
            if field.name() == "http.route" {
                self.0.lock().expect("lock").push(value.to_string());
            }
        }

        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if field.name() == "http.route" {
                self.0.lock().expect("lock").push(format!("{value:?}"));
            }
        }
    }

    impl<S: Subscriber> Layer<S> for Routes {
        fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
            attrs.record(&mut self.clone());
        }

        fn on_record(&self, _: &Id, values: &Record<'_>, _: Context<'_, S>) {
            values.record(&mut self.clone());
        }
    }

    #[tokio::test]
    async fn the_span_names_the_route_the_request_took() {
        let routes = Routes::default();
        let _guard = tracing_subscriber::registry().with(routes.clone()).set_default();
        let app = test::init_service(
            App::new()
                .wrap(TracingLogger::<RequestSpan>::new())
                .service(web::scope("/api/v1").route("/campaigns/{slug}", web::get().to(HttpResponse::Ok)))
                .route("/campaigns/{slug}", web::get().to(HttpResponse::Ok)),
        )
        .await;
        for path in ["/campaigns/mentors", "/api/v1/campaigns/mentors", "/nowhere"] {
            test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
        }
        let seen = routes.0.lock().expect("lock").clone();
        assert_eq!(seen, ["/campaigns/{slug}", "/api/v1/campaigns/{slug}", "default"]);
    }

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

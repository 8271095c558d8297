//! What the request log says: a layer on this test binary's one global subscriber keeps the
//! fields of every request's span, by request id (which the server returns as `X-Request-Id`).

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Mutex, Once, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

type Fields = HashMap<String, String>;

fn spans() -> &'static Mutex<HashMap<String, Fields>> {
    static SPANS: OnceLock<Mutex<HashMap<String, Fields>>> = OnceLock::new();
    SPANS.get_or_init(Default::default)
}

#[derive(Default)]
struct Visitor(Fields);

impl Visit for Visitor {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_string(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

struct Capture;

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        let mut visitor = Visitor::default();
        attrs.record(&mut visitor);
        if let Some(request_id) = visitor.0.get("request_id").cloned() {
            spans().lock().expect("spans").insert(request_id, visitor.0);
        }
    }
}

/// Starts capturing (once for the whole binary; no other test installs a subscriber).
pub fn capture() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        tracing_subscriber::registry().with(Capture).try_init().expect("the only global subscriber");
    });
}

/// The fields of the request span of the answer `res`.
pub fn request_span(res: &reqwest::Response) -> Fields {
    let id = res.headers().get("x-request-id").and_then(|v| v.to_str().ok()).expect("an X-Request-Id");
    spans().lock().expect("spans").get(id).cloned().unwrap_or_else(|| panic!("no span logged for request {id}"))
}

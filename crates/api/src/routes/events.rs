//! Live progress: `GET /api/v1/campaigns/{slug}/events`, Server-Sent Events. The campaign's
//! answer (the same JSON as `GET /api/v1/campaigns/{slug}`) is sent at once, then again
//! whenever it changes: a change this instance makes wakes the stream at once, another
//! instance's within the snapshot's poll (see [`crate::snapshot`]). A comment line every
//! [`KEEP_ALIVE`] keeps proxies from closing a quiet stream.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use demeu_db::DbPool;
use futures_util::stream;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use crate::problem::ApiError;
use crate::snapshot::{Entry, Snapshots};
use crate::state::AppState;

/// How often a quiet stream says it is alive.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Streams open at once on this instance: each holds a connection, so a flood of them is
/// answered 503 (retry later) rather than allowed to take every file descriptor.
const MAX_STREAMS: usize = 2_000;

static STREAMS: std::sync::LazyLock<Arc<Semaphore>> =
    std::sync::LazyLock::new(|| Arc::new(Semaphore::new(MAX_STREAMS)));

fn event(entry: &Entry) -> Bytes {
    let mut out = Vec::with_capacity(entry.body().len() + 24);
    out.extend_from_slice(b"event: progress\ndata: ");
    // The JSON is one line (serde_json writes no newline), as an SSE data field must be.
    out.extend_from_slice(entry.body());
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

struct Stream {
    snapshots: Arc<Snapshots>,
    pool: DbPool,
    slug: String,
    changes: watch::Receiver<u64>,
    sent: Option<Arc<Entry>>,
    first: Option<Arc<Entry>>,
    _permit: OwnedSemaphorePermit,
}

impl Stream {
    /// The next chunk: the campaign when its bytes differ from the last sent, or a keep-alive
    /// comment; `None` ends the stream (the server is stopping, or the campaign is gone).
    async fn next(mut self) -> Option<(Result<Bytes, ApiError>, Self)> {
        if let Some(first) = self.first.take() {
            let chunk = event(&first);
            self.sent = Some(first);
            return Some((Ok(chunk), self));
        }
        loop {
            match tokio::time::timeout(KEEP_ALIVE, self.changes.changed()).await {
                Err(_) => return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), self)),
                Ok(Err(_)) => return None,
                Ok(Ok(())) => {}
            }
            let Ok(entry) = self.snapshots.campaign(&self.pool, &self.slug).await else {
                // The database is away for a moment: the next change or poll tries again.
                continue;
            };
            if self.sent.as_ref().is_some_and(|s| s.etag() == entry.etag()) {
                continue;
            }
            let chunk = event(&entry);
            self.sent = Some(entry);
            return Some((Ok(chunk), self));
        }
    }
}

/// Live progress of one campaign.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/events", operation_id = "campaign_events", tag = "campaigns",
    params(("slug" = String, Path, description = "The campaign")),
    responses(
        (status = 200, content_type = "text/event-stream",
         description = "`event: progress` with `data:` the campaign (as GET /api/v1/campaigns/{slug}) at once and \
                        after every change; a `: keep-alive` comment every 15 s"),
        (status = 404, description = "No such campaign"),
        (status = 503, description = "Too many open streams: retry later"),
    ))]
pub async fn stream(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let permit = STREAMS
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::Unavailable("too many live streams; retry later".into()))?;
    let changes = state.snapshots.subscribe();
    let first = state.snapshots.campaign(&state.pool, &slug).await?;
    let start = Stream {
        snapshots: state.snapshots.clone(),
        pool: state.pool.clone(),
        slug,
        changes,
        sent: None,
        first: Some(first),
        _permit: permit,
    };
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/event-stream"))
        .insert_header((CACHE_CONTROL, "no-cache"))
        // nginx would otherwise hold the events in its buffer.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream::unfold(start, Stream::next)))
}

//! Live progress: `GET /api/v1/campaigns/{slug}/events`, Server-Sent Events. The campaign's
//! answer (the same JSON as `GET /api/v1/campaigns/{slug}`) is sent at once, then again
//! whenever it changes: a change this instance makes wakes the stream at once, another
//! instance's within the snapshot's poll (see [`crate::snapshot`]). A comment line every
//! [`KEEP_ALIVE`] keeps proxies from closing a quiet stream.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use demeu_db::DbPool;
use futures_util::stream;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use crate::problem::ApiError;
use crate::snapshot::{Entry, Snapshots};
use crate::state::AppState;

/// How often a quiet stream says it is alive.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Streams open at once on this instance, whoever holds them: each holds a connection, so a
/// flood of them is answered 503 (retry later) rather than allowed to take every file descriptor.
const MAX_STREAMS: usize = 2_000;

/// Who may open a live stream: at most [`MAX_STREAMS`] on this instance, and at most
/// `limits.event_streams_per_client` for one client (counted as every limit counts a client:
/// through the trusted proxies, an IPv6 /64 as one), so that one client cannot take them all.
/// A slot is held by the stream's body and given back when the body is dropped: at the end of
/// the stream, or as soon as the client closes the connection (the server does not keep a
/// half-closed connection's answer going: see `startup.rs`).
pub struct StreamSlots {
    total: Arc<Semaphore>,
    per_client: Held,
    per_client_max: usize,
}

/// The streams each client holds.
type Held = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// One stream's slot: see [`StreamSlots`].
pub struct Slot {
    _total: OwnedSemaphorePermit,
    client: Option<(IpAddr, Held)>,
}

/// Why a stream was not opened.
#[derive(Debug, PartialEq, Eq)]
pub enum NoSlot {
    /// This instance holds as many streams as it takes.
    Full,
    /// This client holds as many as one client may.
    ClientFull,
}

impl StreamSlots {
    /// Slots for `per_client_max` streams a client (and [`MAX_STREAMS`] in all).
    pub fn new(per_client_max: usize) -> Self {
        StreamSlots { total: Arc::new(Semaphore::new(MAX_STREAMS)), per_client: Arc::default(), per_client_max }
    }

    /// A slot for `client` (its limit key), if one is free.
    pub fn take(&self, client: Option<IpAddr>) -> Result<Slot, NoSlot> {
        let total = self.total.clone().try_acquire_owned().map_err(|_| NoSlot::Full)?;
        let Some(client) = client else { return Ok(Slot { _total: total, client: None }) };
        let mut held = self.per_client.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = held.entry(client).or_insert(0);
        if *count >= self.per_client_max {
            return Err(NoSlot::ClientFull);
        }
        *count += 1;
        Ok(Slot { _total: total, client: Some((client, self.per_client.clone())) })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some((client, per_client)) = self.client.take() {
            let mut held = per_client.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(count) = held.get_mut(&client) {
                *count -= 1;
                if *count == 0 {
                    held.remove(&client);
                }
            }
        }
    }
}

/// Seconds a client refused for holding too many streams is asked to wait; the page's script
/// falls back to reading the progress now and then.
const CLIENT_FULL_RETRY_AFTER: u64 = 30;

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
    /// The language asked for (`?lang=`, Accept-Language); `None`: the campaign's own.
    lang: Option<donations::campaign::Locale>,
    changes: watch::Receiver<u64>,
    sent: Option<Arc<Entry>>,
    first: Option<Arc<Entry>>,
    _slot: Slot,
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
            let Ok(entry) = self.snapshots.campaign(&self.pool, &self.slug, self.lang).await else {
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
        (status = 429, description = "This client holds as many streams as one client may: retry later"),
        (status = 503, description = "Too many open streams: retry later"),
    ))]
pub async fn stream(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let client = crate::client_ip::of(&req).map(crate::client_ip::limit_key);
    let slot = state.streams.take(client).map_err(|refused| match refused {
        NoSlot::Full => ApiError::Unavailable("too many live streams; retry later".into()),
        NoSlot::ClientFull => ApiError::RateLimited { retry_after: CLIENT_FULL_RETRY_AFTER },
    })?;
    let changes = state.snapshots.subscribe();
    let lang = crate::i18n::Lang::asked_by_api(&req).map(crate::i18n::Lang::locale);
    let first = state.snapshots.campaign(&state.pool, &slug, lang).await?;
    let start = Stream {
        snapshots: state.snapshots.clone(),
        pool: state.pool.clone(),
        slug,
        lang,
        changes,
        sent: None,
        first: Some(first),
        _slot: slot,
    };
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/event-stream"))
        .insert_header((CACHE_CONTROL, "no-cache"))
        // nginx would otherwise hold the events in its buffer.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream::unfold(start, Stream::next)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_client_holds_at_most_its_share_and_a_dropped_slot_comes_back() {
        let slots = StreamSlots::new(2);
        let (a, b): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        let first = slots.take(Some(a)).expect("a slot");
        let second = slots.take(Some(a)).expect("a slot");
        assert_eq!(slots.take(Some(a)).err(), Some(NoSlot::ClientFull));
        // Another client, and requests with no known address, are not held back by it.
        let other = slots.take(Some(b)).expect("another client's slot");
        let unknown = slots.take(None).expect("a slot");
        drop(first);
        let again = slots.take(Some(a)).expect("the freed slot");
        drop((second, other, unknown, again));
        assert!(slots.per_client.lock().expect("lock").is_empty(), "nothing left counted");
        assert_eq!(slots.total.available_permits(), MAX_STREAMS);
    }
}

//! The campaign page as most visitors get it (no form state, no pledge of theirs), kept
//! rendered per campaign and language so that a viral campaign's readers cost what the
//! progress JSON costs. A kept page is served while the campaign's progress is unchanged (the
//! snapshot's generation, which every counted payment and another instance's change bumps) and
//! for at most [`FRESH_FOR`], so that news and approved comments show within that too: the
//! same bound the page's `Cache-Control` gives a CDN.
//!
//! A page is built by one request at a time: when it expires under load, the requests that
//! miss it wait for the one that builds it instead of each loading and rendering it (as many
//! builds as connections, every second, each holding a pooled connection).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::compression::Encoded;
use crate::i18n::Lang;

/// How long a kept page is served.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// How long a request waits for another's build before building the page itself: past it, the
/// other build is stuck (a database outage), and waiting longer would only queue requests.
const WAIT_FOR_BUILD: Duration = Duration::from_secs(2);

type Key = (String, Lang);

/// Pages by campaign and language.
#[derive(Default)]
pub struct PageCache {
    pages: RwLock<HashMap<Key, Kept>>,
    /// The pages a request is building now, each with what its end is told to (whatever its
    /// outcome): one per page, so that a build's end wakes only the requests waiting for it.
    building: Mutex<HashMap<Key, Arc<Notify>>>,
}

struct Kept {
    generation: u64,
    made: Instant,
    page: Encoded,
}

/// Marks `key` as being built until dropped (the build's end, its error, or its request going
/// away), then wakes the requests waiting for it.
struct Building<'a> {
    cache: &'a PageCache,
    key: Key,
    ended: Arc<Notify>,
}

impl Drop for Building<'_> {
    fn drop(&mut self) {
        self.cache.builds().remove(&self.key);
        self.ended.notify_waiters();
    }
}

impl PageCache {
    /// The page of `slug` in `lang`, if one was made at `generation` less than [`FRESH_FOR`] ago.
    pub fn get(&self, slug: &str, lang: Lang, generation: u64) -> Option<Encoded> {
        let pages = self.pages.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        pages
            .get(&(slug.to_string(), lang))
            .filter(|k| k.generation == generation && k.made.elapsed() < FRESH_FOR)
            .map(|k| k.page.clone())
    }

    /// Keeps `page` as the page of `slug` in `lang` made at `generation`.
    pub fn put(&self, slug: &str, lang: Lang, generation: u64, page: Encoded) {
        let mut pages = self.pages.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        pages.insert((slug.to_string(), lang), Kept { generation, made: Instant::now(), page });
    }

    /// The kept page of `slug` in `lang` at `generation` (read before anything is loaded, so
    /// that a change landing meanwhile makes the page stale), or one `build` makes and keeps.
    /// While a request builds it, the others wait for that build and take its page; if it
    /// failed, came from an older generation, or takes longer than [`WAIT_FOR_BUILD`], they
    /// build their own, as every request would without this.
    pub async fn get_or_build<F, Fut, E>(&self, slug: &str, lang: Lang, generation: u64, build: F) -> Result<Encoded, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Encoded, E>>,
    {
        if let Some(page) = self.get(slug, lang, generation) {
            return Ok(page);
        }
        let key = (slug.to_string(), lang);
        let (ended, first) = {
            let mut builds = self.builds();
            match builds.get(&key) {
                Some(ended) => (ended.clone(), false),
                None => {
                    let ended = Arc::new(Notify::new());
                    builds.insert(key.clone(), ended.clone());
                    (ended, true)
                }
            }
        };
        let built = ended.notified();
        tokio::pin!(built);
        built.as_mut().enable();
        // A build that ended between the look above and listening is not heard: it is seen gone.
        let over = !first && !self.builds().get(&key).is_some_and(|now| Arc::ptr_eq(now, &ended));
        // Held by the request that builds, until its build ends.
        let _building = first.then(|| Building { cache: self, key, ended: ended.clone() });
        // The builder looks once more (a build that ended between its first look and now has
        // stored the page); the others wait for the build first.
        if first || over || tokio::time::timeout(WAIT_FOR_BUILD, built).await.is_ok() {
            if let Some(page) = self.get(slug, lang, generation) {
                return Ok(page);
            }
        }
        let page = build().await?;
        self.put(slug, lang, generation, page.clone());
        Ok(page)
    }

    fn builds(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<Notify>>> {
        self.building.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use actix_web::web::Bytes;

    use super::*;

    #[test]
    fn a_kept_page_is_served_only_at_its_generation() {
        let cache = PageCache::default();
        cache.put("mentors", Lang::Ru, 7, Encoded::new(Bytes::from_static(b"page")));
        let kept = cache.get("mentors", Lang::Ru, 7).map(|page| page.plain().clone());
        assert_eq!(kept, Some(Bytes::from_static(b"page")));
        assert!(cache.get("mentors", Lang::Ru, 8).is_none(), "progress changed since");
        assert!(cache.get("mentors", Lang::En, 7).is_none(), "another language");
        assert!(cache.get("other", Lang::Ru, 7).is_none());
    }

    fn page(text: &'static str) -> Encoded {
        Encoded::new(Bytes::from_static(text.as_bytes()))
    }

    /// What `n` requests missing the page at once did: how many builds ran, how many of them
    /// at most at the same time (each takes 50 ms), and what each request got.
    struct Builds {
        builds: usize,
        at_once: usize,
        pages: Vec<Result<Encoded, ()>>,
    }

    async fn concurrent_builds(cache: &PageCache, n: usize, fail: bool) -> Builds {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let (builds, running, at_once) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
        let requests = (0..n).map(|_| {
            cache.get_or_build("mentors", Lang::Ru, 7, || async {
                builds.fetch_add(1, SeqCst);
                at_once.fetch_max(running.fetch_add(1, SeqCst) + 1, SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                running.fetch_sub(1, SeqCst);
                if fail {
                    Err(())
                } else {
                    Ok(page("page"))
                }
            })
        });
        let pages = futures_util::future::join_all(requests).await;
        Builds { builds: builds.into_inner(), at_once: at_once.into_inner(), pages }
    }

    #[tokio::test]
    async fn requests_that_miss_a_page_at_once_build_it_once() {
        let cache = PageCache::default();
        let done = concurrent_builds(&cache, 16, false).await;
        assert_eq!(done.builds, 1);
        assert!(done.pages.iter().all(|p| p.as_ref().is_ok_and(|p| p.plain() == &Bytes::from_static(b"page"))));
        assert!(cache.get("mentors", Lang::Ru, 7).is_some(), "kept for the next requests");
        assert!(cache.building.lock().expect("lock").is_empty());
    }

    #[tokio::test]
    async fn when_the_build_fails_the_waiting_requests_build_their_own_at_once() {
        let cache = PageCache::default();
        let done = concurrent_builds(&cache, 4, true).await;
        // The first build fails; the three requests that waited for it then try, each once and
        // all at the same time, not queued one behind another.
        assert_eq!((done.builds, done.at_once), (4, 3));
        assert!(done.pages.iter().all(Result::is_err));
        assert!(cache.building.lock().expect("lock").is_empty());
    }

    #[tokio::test]
    async fn requests_waiting_for_one_language_are_not_woken_by_another_languages_build() {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let cache = PageCache::default();
        let kk_builds = AtomicUsize::new(0);
        let kk = (0..4).map(|_| {
            cache.get_or_build("mentors", Lang::Kk, 7, || async {
                kk_builds.fetch_add(1, SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                Ok::<_, ()>(page("kk"))
            })
        });
        // The Russian page is built, and its build ends, while the Kazakh one is being built.
        let ru = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            cache
                .get_or_build("mentors", Lang::Ru, 7, || async {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    Ok::<_, ()>(page("ru"))
                })
                .await
        };
        let (kk, ru) = futures_util::future::join(futures_util::future::join_all(kk), ru).await;
        assert_eq!(kk_builds.into_inner(), 1);
        assert!(kk.iter().all(|p| p.as_ref().is_ok_and(|p| p.plain() == &Bytes::from_static(b"kk"))));
        assert_eq!(ru.map(|p| p.plain().clone()), Ok(Bytes::from_static(b"ru")));
    }

    #[tokio::test]
    async fn a_request_after_a_change_does_not_take_the_page_built_before_it() {
        let cache = PageCache::default();
        let before = cache.get_or_build("mentors", Lang::Ru, 7, || async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok::<_, ()>(page("before"))
        });
        // A payment counted (generation 8) while the page of generation 7 was being built.
        let after = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            cache.get_or_build("mentors", Lang::Ru, 8, || async { Ok::<_, ()>(page("after")) }).await
        };
        let (before, after) = futures_util::future::join(before, after).await;
        assert_eq!(before.map(|p| p.plain().clone()), Ok(Bytes::from_static(b"before")));
        assert_eq!(after.map(|p| p.plain().clone()), Ok(Bytes::from_static(b"after")));
    }
}

//! The campaign page as most visitors get it (no form state, no pledge of theirs), kept
//! rendered per campaign and language so that a viral campaign's readers cost what the
//! progress JSON costs. A kept page is served while the campaign's progress is unchanged (the
//! snapshot's generation, which every counted payment and another instance's change bumps) and
//! for at most [`FRESH_FOR`], so that news and approved comments show within that too: the
//! same bound the page's `Cache-Control` gives a CDN.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;

use super::i18n::Lang;

/// How long a kept page is served.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// Pages by campaign and language.
#[derive(Default)]
pub struct PageCache {
    pages: RwLock<HashMap<(String, Lang), Kept>>,
}

struct Kept {
    generation: u64,
    made: Instant,
    body: Bytes,
}

impl PageCache {
    /// The page of `slug` in `lang`, if one was made at `generation` less than [`FRESH_FOR`] ago.
    pub fn get(&self, slug: &str, lang: Lang, generation: u64) -> Option<Bytes> {
        let pages = self.pages.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        pages
            .get(&(slug.to_string(), lang))
            .filter(|k| k.generation == generation && k.made.elapsed() < FRESH_FOR)
            .map(|k| k.body.clone())
    }

    /// Keeps `body` as the page of `slug` in `lang` made at `generation`.
    pub fn put(&self, slug: &str, lang: Lang, generation: u64, body: Bytes) {
        let mut pages = self.pages.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        pages.insert((slug.to_string(), lang), Kept { generation, made: Instant::now(), body });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_page_is_served_only_at_its_generation() {
        let cache = PageCache::default();
        cache.put("mentors", Lang::Ru, 7, Bytes::from_static(b"page"));
        assert_eq!(cache.get("mentors", Lang::Ru, 7), Some(Bytes::from_static(b"page")));
        assert_eq!(cache.get("mentors", Lang::Ru, 8), None, "progress changed since");
        assert_eq!(cache.get("mentors", Lang::En, 7), None, "another language");
        assert_eq!(cache.get("other", Lang::Ru, 7), None);
    }
}

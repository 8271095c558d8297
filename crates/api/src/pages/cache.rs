//! The campaign page as most visitors get it (no form state, no pledge of theirs), kept
//! rendered per campaign and language so that a viral campaign's readers cost what the
//! progress JSON costs. A kept page is served while the campaign's progress is unchanged (the
//! snapshot's generation, which every counted payment and another instance's change bumps) and
//! for at most [`FRESH_FOR`], so that news and approved comments show within that too: the
//! same bound the page's `Cache-Control` gives a CDN.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use super::compression::Encoded;
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
    page: Encoded,
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
}

//! Campaign progress as donors read it, kept in memory with its serialized bytes and ETag, so
//! that the reads donors wait on cost what `/health` costs: no pooled connection, no blocking
//! thread, no serialization per request.
//!
//! How fresh it is (the bound the README states): a change this process makes (a webhook that
//! counts, an offline gift, a refund counted at once) invalidates the snapshot before the
//! request that made it answers, so the next read here shows it; a change another instance
//! makes (or a campaign's start or end passing) is seen by a stamp read at most every
//! [`POLL`] — one small query over the campaigns' running totals and dates, whatever the
//! pledges. Caches in front may add the `Cache-Control` of [`CACHE_CONTROL`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use demeu_db::DbPool;
use donations::campaign::{Audience, CampaignStatus, Locale, ProgressStamp};
use donations::money::Currency;
use sha2::{Digest, Sha256};

use crate::problem::ApiError;
use crate::routes::campaigns::{CampaignList, CampaignView};

/// How often another instance's change is looked for.
pub const POLL: Duration = Duration::from_millis(250);

/// What shared caches and browsers may do with a progress answer: keep it a second, and serve
/// it up to five more while they fetch a fresh one.
pub const CACHE_CONTROL: &str = "public, max-age=1, stale-while-revalidate=5";

/// One answer, ready to send.
pub struct Entry {
    body: Bytes,
    etag: HeaderValue,
}

impl Entry {
    fn of(body: Vec<u8>) -> Result<Entry, ApiError> {
        let digest = Sha256::digest(&body);
        let etag = format!("\"{}\"", hex::encode(&digest[..12]));
        let etag = HeaderValue::from_str(&etag).map_err(|e| ApiError::Internal(e.into()))?;
        Ok(Entry { body: Bytes::from(body), etag })
    }

    /// The JSON.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Its ETag: the same bytes, the same tag.
    pub fn etag(&self) -> &HeaderValue {
        &self.etag
    }

    /// 304 when the client holds this very answer (`If-None-Match`), else 200 with the body.
    pub fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let held = req.headers().get_all(header::IF_NONE_MATCH).filter_map(|v| v.to_str().ok()).any(|list| {
            list.split(',')
                .map(|tag| tag.trim().trim_start_matches("W/"))
                .any(|tag| tag == "*" || tag.as_bytes() == self.etag.as_bytes())
        });
        let mut answer = if held { HttpResponse::NotModified() } else { HttpResponse::Ok() };
        answer
            .insert_header((header::ETAG, self.etag.clone()))
            .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
            // The texts follow Accept-Language when `?lang=` is absent.
            .insert_header((header::VARY, "Accept-Language"));
        if held {
            answer.finish()
        } else {
            answer.content_type("application/json").body(self.body.clone())
        }
    }
}

/// What pages need to know of a public campaign before they read it: the language its page
/// falls back to, and the currency a typed amount is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignFacts {
    /// Its own language.
    pub locale: Locale,
    /// Its currency.
    pub currency: Currency,
}

/// What every page shows of the foundation: its identity and its logo.
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// Name, legal details, offer and privacy policy.
    pub identity: campaign_news::foundation::Identity,
    /// The logo, if staff uploaded one.
    pub logo: Option<campaign_news::pictures::Picture>,
}

/// Every public campaign's answer, and the stamp they were built from.
struct Published {
    /// The invalidation this was built after.
    generation: u64,
    stamp: Vec<(ProgressStamp, CampaignStatus)>,
    /// The list with each campaign in its own language, then in kk, ru and en.
    lists: [Arc<Entry>; 4],
    /// Each campaign in kk, ru and en.
    by_slug: HashMap<String, [Arc<Entry>; 3]>,
    facts: HashMap<String, CampaignFacts>,
    site: Arc<Site>,
}

/// The snapshot, shared by every worker of the server.
pub struct Snapshots {
    published: RwLock<Option<Arc<Published>>>,
    /// Bumped by every invalidation; a snapshot built before the last one is not served.
    wanted: AtomicU64,
    /// One rebuild at a time: concurrent readers of a stale snapshot wait for it, not redo it.
    rebuilding: tokio::sync::Mutex<()>,
    /// Told of every invalidation, so that live streams (Server-Sent Events) look again.
    changes: tokio::sync::watch::Sender<u64>,
}

impl Default for Snapshots {
    fn default() -> Self {
        Snapshots {
            published: RwLock::new(None),
            wanted: AtomicU64::new(1),
            rebuilding: tokio::sync::Mutex::new(()),
            changes: tokio::sync::watch::Sender::new(1),
        }
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|e| ApiError::Internal(e.into()))
}

/// Where `lang` is in `Locale::ALL` (the order of each campaign's entries).
fn language_index(lang: Locale) -> usize {
    Locale::ALL.iter().position(|&l| l == lang).unwrap_or(0)
}

/// The stamp with each campaign's status now: a campaign that starts or ends changes its
/// answer without any write.
fn stamped(stamps: Vec<ProgressStamp>) -> Vec<(ProgressStamp, CampaignStatus)> {
    let now = Utc::now();
    stamps
        .into_iter()
        .map(|s| {
            let status = s.status_at(now);
            (s, status)
        })
        .collect()
}

impl Snapshots {
    /// Marks what is published as out of date: the next read rebuilds it. Called after this
    /// process changed a campaign's totals, before the request that changed them answers.
    pub fn invalidate(&self) {
        let generation = self.wanted.fetch_add(1, Ordering::AcqRel) + 1;
        self.changes.send_replace(generation);
    }

    /// The number of invalidations so far: what was built from an earlier one may be out of
    /// date.
    pub fn generation(&self) -> u64 {
        self.wanted.load(Ordering::Acquire)
    }

    /// Wakes on every invalidation: what a live stream waits on before it reads its campaign
    /// again (and sends it only if its bytes changed).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn load(&self) -> Option<Arc<Published>> {
        self.published.read().map(|p| p.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    fn fresh(&self) -> Option<Arc<Published>> {
        self.load().filter(|p| p.generation >= self.wanted.load(Ordering::Acquire))
    }

    async fn current(&self, pool: &DbPool) -> Result<Arc<Published>, ApiError> {
        if let Some(published) = self.fresh() {
            return Ok(published);
        }
        let _one = self.rebuilding.lock().await;
        if let Some(published) = self.fresh() {
            return Ok(published);
        }
        // Read the generation before the database: a write that lands while this builds bumps
        // it again, so what is built here is never taken for newer than it is.
        let generation = self.wanted.load(Ordering::Acquire);
        let (stamps, progress, covers, site) = pool
            .run(|conn| {
                let stamps = donations::campaign::progress_stamps(conn)?;
                let progress = donations::campaign::list_progress(conn, Audience::Public)?;
                let covers = campaign_news::pictures::covers(conn)?;
                let identity = campaign_news::foundation::get(conn)?.unwrap_or_default();
                let site = Site { identity, logo: campaign_news::pictures::logo(conn)? };
                Ok::<_, ApiError>((stamps, progress, covers, site))
            })
            .await?;
        let now = Utc::now();
        let mut by_slug = HashMap::new();
        let mut facts = HashMap::new();
        // Index 0: each campaign in its own language; 1..=3: kk, ru, en.
        let mut lists: [Vec<CampaignView>; 4] = Default::default();
        for p in &progress {
            let spec = &p.campaign.spec;
            facts.insert(spec.slug.clone(), CampaignFacts { locale: spec.locale, currency: spec.currency });
            let cover = covers.get(&p.campaign.id);
            lists[0].push(CampaignView::of(p, spec.locale, now, cover));
            let mut entries = Vec::with_capacity(3);
            for (i, &lang) in Locale::ALL.iter().enumerate() {
                let view = CampaignView::of(p, lang, now, cover);
                entries.push(Arc::new(Entry::of(json(&view)?)?));
                lists[i + 1].push(view);
            }
            let entries: [Arc<Entry>; 3] =
                entries.try_into().map_err(|_| ApiError::Internal(anyhow::anyhow!("three languages")))?;
            by_slug.insert(spec.slug.clone(), entries);
        }
        let mut list_entries = Vec::with_capacity(4);
        for campaigns in lists {
            list_entries.push(Arc::new(Entry::of(json(&CampaignList { campaigns })?)?));
        }
        let lists: [Arc<Entry>; 4] =
            list_entries.try_into().map_err(|_| ApiError::Internal(anyhow::anyhow!("four lists")))?;
        let published =
            Arc::new(Published { generation, stamp: stamped(stamps), lists, by_slug, facts, site: Arc::new(site) });
        match self.published.write() {
            Ok(mut slot) => *slot = Some(published.clone()),
            Err(poisoned) => *poisoned.into_inner() = Some(published.clone()),
        }
        Ok(published)
    }

    /// The answer for `GET /api/v1/campaigns` in `lang` (`None`: each in its own language).
    pub async fn list(&self, pool: &DbPool, lang: Option<Locale>) -> Result<Arc<Entry>, ApiError> {
        let index = lang.map_or(0, |l| language_index(l) + 1);
        Ok(self.current(pool).await?.lists[index].clone())
    }

    /// The answer for `GET /api/v1/campaigns/{slug}` in `lang` (`None`: its own language).
    pub async fn campaign(&self, pool: &DbPool, slug: &str, lang: Option<Locale>) -> Result<Arc<Entry>, ApiError> {
        let published = self.current(pool).await?;
        let entries = published.by_slug.get(slug).ok_or_else(|| ApiError::NotFound("campaign".into()))?;
        let lang = lang.or_else(|| published.facts.get(slug).map(|f| f.locale)).unwrap_or(Locale::Ru);
        Ok(entries[language_index(lang)].clone())
    }

    /// The foundation as pages show it.
    pub async fn site(&self, pool: &DbPool) -> Result<Arc<Site>, ApiError> {
        Ok(self.current(pool).await?.site.clone())
    }

    /// The foundation as last read, without waiting (`None` before the first read): for the
    /// error pages, which cannot wait.
    pub fn site_now(&self) -> Option<Arc<Site>> {
        self.load().map(|p| p.site.clone())
    }

    /// The public campaign `slug`'s language and currency; `None` when there is no such public
    /// campaign (unknown, or a draft).
    pub async fn facts(&self, pool: &DbPool, slug: &str) -> Result<Option<CampaignFacts>, ApiError> {
        Ok(self.current(pool).await?.facts.get(slug).copied())
    }

    /// The public campaign `slug`'s own language.
    pub async fn locale_of(&self, pool: &DbPool, slug: &str) -> Result<Option<Locale>, ApiError> {
        Ok(self.facts(pool, slug).await?.map(|f| f.locale))
    }

    /// Looks for changes made elsewhere, every [`POLL`], until the server stops: a stamp that
    /// differs from the published one (another instance counted money, or a campaign started or
    /// ended) invalidates and rebuilds at once, so that readers do not wait for it.
    pub async fn watch(self: Arc<Self>, pool: DbPool) {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Ok(stamps) = pool.run(donations::campaign::progress_stamps).await else {
                // The database is away: what is published stays, and /ready says so.
                continue;
            };
            let now = stamped(stamps);
            if self.load().is_some_and(|p| p.stamp == now) {
                continue;
            }
            self.invalidate();
            if let Err(e) = self.current(&pool).await {
                tracing::warn!(error = %e, "campaign snapshot not rebuilt");
            }
        }
    }
}

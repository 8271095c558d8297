//! Uploading a picture (a campaign's cover or one of its gallery, the foundation's logo) and
//! removing one: the
//! upload checked for what staff said of it first (its role, its alt text: cheap, before any
//! decoding), then made into its variants (`pictures::prepare`) one upload at a time on a
//! blocking thread, so that memory stays flat however many come at once, then stored in the
//! database with its variants' bytes (several instances share them), audited.

use std::sync::Arc;

use campaign_news::ids::PictureId;
use campaign_news::pictures::{self, NewPicture, Picture, PictureRole};
use demeu_db::locale::Texts;
use tokio::sync::Semaphore;

use super::pictures::{prepare, PictureLimits};
use super::ServiceError;
use crate::auth::StaffUser;
use crate::state::AppState;

/// Pictures being made into variants at once: one (decoding and resizing a 24-megapixel photo
/// takes a core and ~150 MB for a second; a second upload waits for it).
#[derive(Clone)]
pub struct Workshop(Arc<Semaphore>);

impl Workshop {
    /// Waits for the workshop's turn: held while one upload is decoded and encoded.
    pub async fn turn(&self) -> Result<tokio::sync::SemaphorePermit<'_>, ServiceError> {
        self.0.acquire().await.map_err(|e| ServiceError::Broken(e.to_string()))
    }
}

impl Default for Workshop {
    fn default() -> Self {
        Workshop(Arc::new(Semaphore::new(1)))
    }
}

/// What staff sent with the file.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    /// `cover` or `gallery`.
    pub role: String,
    /// Alt text per language.
    pub alts: Texts,
    /// The file as sent.
    pub bytes: Vec<u8>,
}

/// Where an upload goes.
#[derive(Debug, Clone)]
pub enum Target {
    /// A campaign's cover or gallery (a draft's too), by slug.
    Campaign(String),
    /// The foundation's logo.
    Foundation,
}

/// Makes `upload` a picture of `target`, as `actor`.
pub async fn add(state: &AppState, target: Target, upload: Upload, actor: &StaffUser) -> Result<Picture, ServiceError> {
    let (campaign_id, language, roles): (_, _, &[&str]) = match target {
        Target::Campaign(slug) => {
            let campaign = state.pool.run(move |conn| donations::campaign::find_by_slug(conn, &slug)).await?;
            (Some(campaign.id), campaign.spec.locale, &["cover", "gallery"])
        }
        Target::Foundation => (None, campaign_news::foundation::LANGUAGE, &["logo"]),
    };
    let role: PictureRole =
        upload.role.parse().map_err(|_| campaign_news::Error::from(demeu_db::FieldError::one_of("role", roles)))?;
    pictures::check(role, campaign_id.is_some(), &upload.alts, language)?;
    let limits = PictureLimits { max_pixels: state.settings.limits.picture_max_pixels, ..PictureLimits::default() };
    let prepared = {
        let _turn = state.workshop.turn().await?;
        let bytes = upload.bytes;
        tokio::task::spawn_blocking(move || prepare(&bytes, limits))
            .await
            .map_err(|e| ServiceError::Broken(e.to_string()))??
    };
    let new = NewPicture {
        campaign_id,
        role,
        alts: upload.alts,
        width: prepared.width,
        height: prepared.height,
        variants: prepared.variants,
    };
    let actor = actor.id;
    let stored = state.pool.run(move |conn| pictures::store(conn, &new, actor)).await?;
    // The cover is in the campaigns' answers and pages, the logo on every page.
    state.snapshots.invalidate();
    Ok(stored)
}

/// Removes picture `id`, as `actor`.
pub async fn remove(state: &AppState, id: PictureId, actor: &StaffUser) -> Result<Picture, ServiceError> {
    let actor = actor.id;
    let removed = state.pool.run(move |conn| pictures::remove(conn, id, actor)).await?;
    state.snapshots.invalidate();
    Ok(removed)
}

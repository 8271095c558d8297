//! Pictures as stored: a campaign's cover (one; a new one replaces it) and gallery, the
//! foundation's logo (one), each with alt text per language and the variants pages choose from.
//! The bytes of each variant are a file of `demeu_db::files`, addressed by its hash; making the
//! variants out of an upload (decoding, resizing, stripping metadata) is the api crate's.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use demeu_db::locale::{Locale, Texts};
use demeu_db::schema::{campaigns, picture_variants, pictures};
use demeu_db::DbConn;
use diesel::prelude::*;
use serde_json::json;

use crate::ids::{CampaignId, PictureId, StaffUserId};
use crate::{Error, FieldError};

/// The longest alt text, in characters.
pub const MAX_ALT_CHARS: usize = 300;
/// The most pictures a campaign's gallery holds.
pub const MAX_GALLERY: i64 = 24;

demeu_db::stored_enum! {
    /// What a picture is for.
    pub enum PictureRole("picture role") {
        /// A campaign's cover: the first thing a donor sees, and the shared link's image.
        Cover = "cover",
        /// One more picture of a campaign.
        Gallery = "gallery",
        /// The foundation's logo, in every page's header.
        Logo = "logo",
    }
}

demeu_db::stored_enum! {
    /// A variant's encoding.
    pub enum VariantFormat("picture format") {
        /// WebP: what browsers take first.
        Webp = "webp",
        /// JPEG: what every browser and every link preview reads.
        Jpeg = "jpeg",
    }
}

impl VariantFormat {
    /// The variant's content type.
    pub fn content_type(self) -> &'static str {
        match self {
            VariantFormat::Webp => "image/webp",
            VariantFormat::Jpeg => "image/jpeg",
        }
    }

    /// The extension of its URL.
    pub fn extension(self) -> &'static str {
        match self {
            VariantFormat::Webp => "webp",
            VariantFormat::Jpeg => "jpg",
        }
    }

    /// The format an extension names.
    pub fn of_extension(extension: &str) -> Option<VariantFormat> {
        VariantFormat::ALL.iter().copied().find(|f| f.extension() == extension)
    }
}

/// One variant of a stored picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// `w480`, `w960`, `w1600` or `share`.
    pub name: String,
    /// Its encoding.
    pub format: VariantFormat,
    /// Pixels.
    pub width: i32,
    /// Pixels.
    pub height: i32,
    /// The SHA-256 of its bytes.
    pub hash: String,
}

impl Variant {
    /// Where it is served: its hash names it, so the answer never changes.
    pub fn url(&self) -> String {
        format!("/images/{}.{}", self.hash, self.format.extension())
    }

    /// One of the widths a page chooses from (not the share image).
    pub fn is_width(&self) -> bool {
        self.name.starts_with('w')
    }
}

/// A stored picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// Id.
    pub id: PictureId,
    /// Its campaign; `None` for the logo.
    pub campaign_id: Option<CampaignId>,
    /// What it is for.
    pub role: PictureRole,
    /// Its place in the gallery.
    pub position: i32,
    /// The original's pixels (upright).
    pub width: i32,
    /// The original's pixels.
    pub height: i32,
    /// Alt text per language.
    pub alts: Texts,
    /// Its variants, widths ascending, WebP before JPEG.
    pub variants: Vec<Variant>,
}

impl Picture {
    /// The alt text a reader of `lang` gets (else the one in `default`, else any).
    pub fn alt(&self, lang: Locale, default: Locale) -> &str {
        self.alts.shown(lang, default)
    }

    /// The variant for a shared link's preview (`og:image`): the share image as JPEG.
    pub fn share(&self) -> Option<&Variant> {
        self.variants.iter().find(|v| v.name == "share" && v.format == VariantFormat::Jpeg)
    }

    /// The widths in `format`, narrowest first.
    pub fn widths(&self, format: VariantFormat) -> impl Iterator<Item = &Variant> {
        self.variants.iter().filter(move |v| v.format == format && v.is_width())
    }
}

/// A variant about to be stored.
#[derive(Debug, Clone)]
pub struct NewVariant {
    /// `w480`, `w960`, `w1600` or `share`.
    pub name: String,
    /// Its encoding.
    pub format: VariantFormat,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// The encoded bytes.
    pub bytes: Vec<u8>,
}

/// A picture about to be stored.
#[derive(Debug, Clone)]
pub struct NewPicture {
    /// Its campaign (`None` for the logo).
    pub campaign_id: Option<CampaignId>,
    /// What it is for.
    pub role: PictureRole,
    /// Alt text per language.
    pub alts: Texts,
    /// The original's size (upright).
    pub width: u32,
    /// The original's size.
    pub height: u32,
    /// Its variants.
    pub variants: Vec<NewVariant>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = pictures)]
struct PictureRow {
    id: PictureId,
    campaign_id: Option<CampaignId>,
    role: PictureRole,
    position: i32,
    width: i32,
    height: i32,
    alt_kk: String,
    alt_ru: String,
    alt_en: String,
    created_at: NaiveDateTime,
    created_by: Option<StaffUserId>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = picture_variants)]
struct VariantRow {
    picture_id: PictureId,
    name: String,
    format: VariantFormat,
    width: i32,
    height: i32,
    file_hash: String,
}

/// Checks what staff said of a picture: its role fits where it goes, and its alt text (the one
/// in `required` language is needed: a picture a screen reader cannot say is refused).
pub fn check(role: PictureRole, for_campaign: bool, alts: &Texts, required: Locale) -> Result<(), Error> {
    let mut errors = Vec::new();
    if (role == PictureRole::Logo) == for_campaign {
        let allowed: &[&str] = if for_campaign { &["cover", "gallery"] } else { &["logo"] };
        errors.push(FieldError::one_of("role", allowed));
    }
    if alts.get(required).is_none() {
        errors.push(
            FieldError::new(&format!("alt_{required}"), "is required: what the picture shows, for who cannot see it")
                .translated("error-alt-needed", vec![]),
        );
    }
    for (lang, alt) in alts.present() {
        if alt.chars().count() > MAX_ALT_CHARS {
            errors.push(FieldError::at_most_chars(&format!("alt_{lang}"), MAX_ALT_CHARS));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

fn to_i32(n: u32) -> Result<i32, Error> {
    i32::try_from(n).map_err(|_| Error::Corrupt(format!("{n} pixels")))
}

/// The pictures of `role` of a campaign (or, `None`, of the foundation), with their positions.
fn in_slot(
    conn: &mut DbConn,
    campaign_id: Option<CampaignId>,
    role: PictureRole,
) -> Result<Vec<(PictureId, i32)>, Error> {
    let query = pictures::table.filter(pictures::role.eq(role)).select((pictures::id, pictures::position)).into_boxed();
    let query = match campaign_id {
        Some(id) => query.filter(pictures::campaign_id.eq(id)),
        None => query.filter(pictures::campaign_id.is_null()),
    };
    Ok(query.load(conn)?)
}

/// Stores `new` (its variants' bytes as files): a cover or a logo replaces the one before, a
/// gallery picture goes last. Audited as `picture.add`.
pub fn store(conn: &mut DbConn, new: &NewPicture, actor: StaffUserId) -> Result<Picture, Error> {
    conn.write_transaction(|conn| {
        let now = demeu_db::now();
        let siblings = in_slot(conn, new.campaign_id, new.role)?;
        let position = match new.role {
            PictureRole::Cover | PictureRole::Logo => {
                for (id, _) in siblings {
                    remove_in(conn, id)?;
                }
                0
            }
            PictureRole::Gallery => {
                if siblings.len() as i64 >= MAX_GALLERY {
                    return Err(Error::Invalid(vec![FieldError::new(
                        "role",
                        format!("the gallery holds {MAX_GALLERY} pictures at most: remove one first"),
                    )]));
                }
                siblings.iter().map(|(_, p)| p + 1).max().unwrap_or(0)
            }
        };
        let id = PictureId::new();
        let row = PictureRow {
            id,
            campaign_id: new.campaign_id,
            role: new.role,
            position,
            width: to_i32(new.width)?,
            height: to_i32(new.height)?,
            alt_kk: new.alts.kk.clone(),
            alt_ru: new.alts.ru.clone(),
            alt_en: new.alts.en.clone(),
            created_at: now,
            created_by: Some(actor),
        };
        diesel::insert_into(pictures::table).values(&row).execute(conn)?;
        for v in &new.variants {
            let file_hash = demeu_db::files::put(conn, v.format.content_type(), &v.bytes)?;
            let row = VariantRow {
                picture_id: id,
                name: v.name.clone(),
                format: v.format,
                width: to_i32(v.width)?,
                height: to_i32(v.height)?,
                file_hash,
            };
            diesel::insert_into(picture_variants::table).values(&row).execute(conn)?;
        }
        touch(conn, new.campaign_id, now)?;
        let details = json!({"role": new.role.as_str(), "campaign": new.campaign_id.map(|c| c.to_string())});
        demeu_db::audit::record(conn, Some(actor), "picture.add", &format!("picture:{id}"), &details)?;
        find(conn, id)
    })
}

/// Removes picture `id` and the files no other picture uses. Audited as `picture.remove`.
pub fn remove(conn: &mut DbConn, id: PictureId, actor: StaffUserId) -> Result<Picture, Error> {
    conn.write_transaction(|conn| {
        let picture = find(conn, id)?;
        remove_in(conn, id)?;
        touch(conn, picture.campaign_id, demeu_db::now())?;
        let details = json!({"role": picture.role.as_str(), "campaign": picture.campaign_id.map(|c| c.to_string())});
        demeu_db::audit::record(conn, Some(actor), "picture.remove", &format!("picture:{id}"), &details)?;
        Ok(picture)
    })
}

/// Marks campaign `id` changed (the logo: every campaign, it is on each page): every
/// instance's public snapshot and kept pages see the new pictures at their next look (they
/// compare the campaigns' `updated_at`).
fn touch(conn: &mut DbConn, id: Option<CampaignId>, now: NaiveDateTime) -> Result<(), Error> {
    match id {
        Some(id) => diesel::update(campaigns::table.find(id)).set(campaigns::updated_at.eq(now)).execute(conn)?,
        None => diesel::update(campaigns::table).set(campaigns::updated_at.eq(now)).execute(conn)?,
    };
    Ok(())
}

/// Inside the caller's transaction.
fn remove_in(conn: &mut DbConn, id: PictureId) -> Result<(), Error> {
    let hashes: Vec<String> = picture_variants::table
        .filter(picture_variants::picture_id.eq(id))
        .select(picture_variants::file_hash)
        .load(conn)?;
    diesel::delete(picture_variants::table.filter(picture_variants::picture_id.eq(id))).execute(conn)?;
    diesel::delete(pictures::table.find(id)).execute(conn)?;
    demeu_db::files::remove_unused(conn, &hashes, |conn, hash| {
        let users: i64 =
            picture_variants::table.filter(picture_variants::file_hash.eq(hash)).count().get_result(conn)?;
        Ok(users > 0)
    })?;
    Ok(())
}

fn assemble(rows: Vec<PictureRow>, variants: Vec<VariantRow>) -> Vec<Picture> {
    let mut by_picture: HashMap<PictureId, Vec<Variant>> = HashMap::new();
    for v in variants {
        by_picture.entry(v.picture_id).or_default().push(Variant {
            name: v.name,
            format: v.format,
            width: v.width,
            height: v.height,
            hash: v.file_hash,
        });
    }
    rows.into_iter()
        .map(|r| {
            let mut variants = by_picture.remove(&r.id).unwrap_or_default();
            // Widths ascending, the share image last; WebP before JPEG.
            variants.sort_by_key(|v| (!v.is_width(), v.width, v.format != VariantFormat::Webp));
            Picture {
                id: r.id,
                campaign_id: r.campaign_id,
                role: r.role,
                position: r.position,
                width: r.width,
                height: r.height,
                alts: Texts { kk: r.alt_kk, ru: r.alt_ru, en: r.alt_en },
                variants,
            }
        })
        .collect()
}

fn load(conn: &mut DbConn, rows: Vec<PictureRow>) -> Result<Vec<Picture>, Error> {
    let ids: Vec<PictureId> = rows.iter().map(|r| r.id).collect();
    let variants = picture_variants::table
        .filter(picture_variants::picture_id.eq_any(&ids))
        .select(VariantRow::as_select())
        .load(conn)?;
    Ok(assemble(rows, variants))
}

/// Picture `id`.
pub fn find(conn: &mut DbConn, id: PictureId) -> Result<Picture, Error> {
    let row = pictures::table
        .find(id)
        .select(PictureRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("picture"))?;
    Ok(load(conn, vec![row])?.remove(0))
}

/// A campaign's pictures: the cover first, then the gallery in order.
pub fn of_campaign(conn: &mut DbConn, campaign_id: CampaignId) -> Result<Vec<Picture>, Error> {
    let rows = pictures::table
        .filter(pictures::campaign_id.eq(campaign_id))
        .order((pictures::role.asc(), pictures::position.asc()))
        .select(PictureRow::as_select())
        .load(conn)?;
    // `cover` sorts before `gallery`.
    load(conn, rows)
}

/// Every campaign's cover, by campaign: what a list of campaigns shows.
pub fn covers(conn: &mut DbConn) -> Result<HashMap<CampaignId, Picture>, Error> {
    let rows =
        pictures::table.filter(pictures::role.eq(PictureRole::Cover)).select(PictureRow::as_select()).load(conn)?;
    Ok(load(conn, rows)?.into_iter().filter_map(|p| p.campaign_id.map(|c| (c, p))).collect())
}

/// The foundation's logo, if there is one.
pub fn logo(conn: &mut DbConn) -> Result<Option<Picture>, Error> {
    let rows = pictures::table
        .filter(pictures::role.eq(PictureRole::Logo))
        .filter(pictures::campaign_id.is_null())
        .select(PictureRow::as_select())
        .load(conn)?;
    Ok(load(conn, rows)?.into_iter().next())
}

/// The variant whose bytes are `hash` in `format`, as served: its file's bytes, if a picture
/// uses it (a file kept for something else is not served as a picture).
pub fn variant_bytes(conn: &mut DbConn, hash: &str, format: VariantFormat) -> Result<Option<Vec<u8>>, Error> {
    let used: i64 = picture_variants::table
        .filter(picture_variants::file_hash.eq(hash))
        .filter(picture_variants::format.eq(format))
        .count()
        .get_result(conn)?;
    if used == 0 {
        return Ok(None);
    }
    Ok(demeu_db::files::get(conn, hash)?.map(|f| f.bytes))
}

//! Pictures: staff upload a campaign's cover and gallery (multipart) and remove them; anyone
//! reads a variant at its content-hashed URL, cached a year.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use campaign_news::pictures::{Picture, PictureRole, VariantFormat};
use demeu_db::locale::{Locale, Texts};
use serde::Serialize;

use crate::extract::path_id;
use crate::multipart::{self, FormShape};
use crate::problem::ApiError;
use crate::routes::access::Editor;
use crate::services::uploads::{self, Upload};
use crate::state::AppState;

/// One variant as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VariantView {
    /// Where it is served (relative to the site): `/images/{sha256}.webp` or `.jpg`.
    pub url: String,
    /// Pixels.
    pub width: i32,
    /// Pixels.
    pub height: i32,
    /// `webp` or `jpeg`.
    #[schema(schema_with = crate::stored_schema::names::<VariantFormat>)]
    pub format: VariantFormat,
}

/// A picture as staff see it after an upload.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PictureView {
    /// Id (for removing it).
    pub id: String,
    /// `cover` or `gallery`.
    #[schema(schema_with = crate::stored_schema::names::<PictureRole>)]
    pub role: PictureRole,
    /// Alt text per language.
    #[schema(value_type = Object)]
    pub alts: Texts,
    /// The original's pixels, upright.
    pub width: i32,
    /// The original's pixels.
    pub height: i32,
    /// Widths 480, 960 and 1600 (none wider than the original) and the 1200×630 share image,
    /// each in WebP and JPEG.
    pub variants: Vec<VariantView>,
}

/// The variants of `picture`, as every answer lists them.
pub fn variant_views(picture: &Picture) -> Vec<VariantView> {
    picture
        .variants
        .iter()
        .map(|v| VariantView { url: v.url(), width: v.width, height: v.height, format: v.format })
        .collect()
}

impl From<Picture> for PictureView {
    fn from(p: Picture) -> Self {
        PictureView {
            id: p.id.to_string(),
            role: p.role,
            width: p.width,
            height: p.height,
            variants: variant_views(&p),
            alts: p.alts,
        }
    }
}

/// Reads the multipart form: the file (at most `limit` bytes, else 413 as soon as it is
/// exceeded), `role` and `alt_kk`, `alt_ru`, `alt_en`. Any other part is named in a 422. The
/// console's form (`csrf` expected) must begin with its token (see [`crate::multipart`]).
pub(crate) async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    csrf: Option<&str>,
) -> Result<Upload, ApiError> {
    let shape =
        FormShape { files: "file", max_files: 1, file_bytes: limit, texts: &["role", "alt_kk", "alt_ru", "alt_en"] };
    let mut form = multipart::read(req, payload, shape, csrf).await?;
    let mut upload = Upload { role: form.text("role"), ..Upload::default() };
    for lang in Locale::ALL {
        *upload.alts.slot_mut(*lang) = form.text(&format!("alt_{}", lang.as_str()));
    }
    upload.bytes = form.files.pop().ok_or_else(|| ApiError::invalid("file", "is required"))?;
    Ok(upload)
}

/// Uploads a picture of a campaign: a JPEG, PNG or WebP (checked by decoding it, whatever its
/// name or declared type), within `limits.picture_upload_bytes` (413 beyond) and
/// `limits.picture_max_pixels`; stored as its variants without any of its metadata (a phone's
/// GPS position never reaches the public). A new cover replaces the one before.
#[utoipa::path(post, path = "/api/v1/staff/campaigns/{slug}/images", operation_id = "upload_campaign_picture",
    tag = "staff", security(("bearer" = [])), params(("slug" = String, Path, description = "The campaign")),
    request_body(content_type = "multipart/form-data", description = "`file`; `role` (`cover` or `gallery`); \
        `alt_kk`, `alt_ru`, `alt_en` (the campaign's language's required)"),
    responses(
        (status = 201, body = PictureView),
        (status = 413, description = "The file is larger than limits.picture_upload_bytes"),
        (status = 415, description = "Not multipart/form-data"),
    ))]
pub async fn upload(
    editor: Editor,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let form = read_form(&req, payload, state.settings.limits.picture_upload_bytes, None).await?;
    let picture = uploads::add(&state, uploads::Target::Campaign(slug.into_inner()), form, &editor.0).await?;
    Ok(HttpResponse::Created().json(PictureView::from(picture)))
}

/// Removes a picture (and the files no other picture uses).
#[utoipa::path(delete, path = "/api/v1/staff/images/{id}", operation_id = "remove_picture", tag = "staff",
    security(("bearer" = [])), params(("id" = String, Path, description = "The picture")),
    responses((status = 204, description = "Removed")))]
pub async fn remove(editor: Editor, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let id = path_id(&req, "id", "picture")?;
    uploads::remove(&state, id, &editor.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// How long a file kept by its hash may be kept: its URL is its bytes' hash, so it never changes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A file's name at a content-hashed URL, `{sha256}.{extension}`, split; `None` (a 404) for any
/// other name.
pub(crate) fn hashed_name(name: &str) -> Option<(&str, &str)> {
    let (hash, extension) = name.rsplit_once('.')?;
    let hex = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    hex.then_some((hash, extension))
}

/// The answer for a file kept by its `hash`: its ETag the hash, kept a year, 304 to a client
/// holding it; `headers` added (a sandboxing policy, a download's name).
pub(crate) fn immutable_answer(
    req: &HttpRequest,
    hash: &str,
    content_type: &str,
    bytes: Vec<u8>,
    headers: &[(header::HeaderName, String)],
) -> Result<HttpResponse, ApiError> {
    let etag = HeaderValue::from_str(&format!("\"{hash}\"")).map_err(|e| ApiError::Internal(e.into()))?;
    let held = req.headers().get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let mut answer = HttpResponse::build(if held { StatusCode::NOT_MODIFIED } else { StatusCode::OK });
    answer.insert_header((header::ETAG, etag)).insert_header((header::CACHE_CONTROL, IMMUTABLE));
    for (name, value) in headers {
        answer.insert_header((name.clone(), value.clone()));
    }
    if held {
        return Ok(answer.finish());
    }
    Ok(answer.content_type(content_type).body(bytes))
}

/// `GET /images/{sha256}.{webp|jpg}`: a picture's variant.
pub async fn serve(
    state: web::Data<AppState>,
    req: HttpRequest,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::NotFound("image".into());
    let (hash, extension) = hashed_name(&name).ok_or_else(not_found)?;
    let format = VariantFormat::of_extension(extension).ok_or_else(not_found)?;
    let owned = hash.to_string();
    let bytes = state
        .pool
        .run(move |conn| campaign_news::pictures::variant_bytes(conn, &owned, format))
        .await?
        .ok_or_else(not_found)?;
    immutable_answer(&req, hash, format.content_type(), bytes, &[])
}

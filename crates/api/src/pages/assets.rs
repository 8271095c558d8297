//! The site's static files, compiled into the binary and served under names that carry a hash
//! of their content: a browser or CDN keeps them a year, and a new release changes the name.

use std::sync::LazyLock;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};

use crate::problem::ApiError;

/// One static file.
pub struct Asset {
    /// Where it is served: `/static/app.<hash>.css`.
    pub path: String,
    body: &'static str,
    content_type: &'static str,
}

fn asset(stem: &str, extension: &str, body: &'static str, content_type: &'static str) -> Asset {
    let hash = hex::encode(&Sha256::digest(body.as_bytes())[..6]);
    Asset { path: format!("/static/{stem}.{hash}.{extension}"), body, content_type }
}

static STYLE: LazyLock<Asset> =
    LazyLock::new(|| asset("app", "css", include_str!("../../static/app.css"), "text/css; charset=utf-8"));
static SCRIPT: LazyLock<Asset> =
    LazyLock::new(|| asset("app", "js", include_str!("../../static/app.js"), "text/javascript; charset=utf-8"));

/// The style sheet.
pub fn style() -> &'static Asset {
    &STYLE
}

/// The script.
pub fn script() -> &'static Asset {
    &SCRIPT
}

/// `GET /static/{file}`: only the current names; an old or unknown name is 404, so that a
/// stale page never gets a file that does not match it under a year-long cache.
pub async fn serve(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let path = format!("/static/{}", file.into_inner());
    let asset =
        [style(), script()].into_iter().find(|a| a.path == path).ok_or_else(|| ApiError::NotFound("file".into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, asset.content_type))
        .insert_header((CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(asset.body))
}

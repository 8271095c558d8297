//! The campaign's QR code, drawn as SVG on the server (nothing is fetched from elsewhere) and
//! served as an image of its own, `/campaigns/{slug}/qr.svg`: inline, its ~8 KB were a third of
//! every page view (issue 10, target 1). The page links it with the hash of the address it
//! encodes (`?v=`), which changes only with that address, so browsers keep it a year.

use sha2::{Digest, Sha256};

use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use actix_web::{web, HttpResponse};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use crate::problem::ApiError;
use crate::state::AppState;

/// An SVG document of `url`'s QR code; `None` when the URL is too long for one.
pub fn svg(url: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).ok()?;
    Some(code.render::<svg::Color<'_>>().min_dimensions(160, 160).quiet_zone(true).build())
}

/// The version of the code of `url`: a hash of what it encodes.
fn version(url: &str) -> String {
    hex::encode(&Sha256::digest(url.as_bytes())[..6])
}

/// Where the page of campaign `slug`, whose public address is `page_url`, finds its code.
pub fn path(page_url: &str, slug: &str) -> String {
    format!("/campaigns/{slug}/qr.svg?v={}", version(page_url))
}

/// `GET /campaigns/{slug}/qr.svg[?v=…]`: the code of the campaign page's public address; kept a
/// year at the page's versioned link, a day at any other.
pub async fn serve(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // Only a campaign's code: the snapshot answers 404 for any other slug.
    state.snapshots.campaign(&state.pool, &slug, None).await?;
    let url = format!("{}/campaigns/{slug}", state.settings.public_url());
    let body = svg(&url).ok_or_else(|| ApiError::NotFound("qr".into()))?;
    let current = req.query_string() == format!("v={}", version(&url));
    let caching = if current { "public, max-age=31536000, immutable" } else { "public, max-age=86400" };
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "image/svg+xml"))
        .insert_header((CACHE_CONTROL, caching))
        // An SVG opened on its own is a document: nothing in it may load or run.
        .insert_header((CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'"))
        .body(body))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_code_is_an_svg_document() {
        let svg = super::svg("http://127.0.0.1:8080/campaigns/mentors").expect("a code");
        assert!(svg.contains("<svg") && svg.contains("xmlns=\"http://www.w3.org/2000/svg\""), "{}", &svg[..80]);
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(super::svg(&"x".repeat(5_000)), None, "too long for a code");
    }
}

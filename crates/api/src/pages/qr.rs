//! The campaign's QR code, drawn as SVG on the server (nothing is fetched from elsewhere) and
//! served as an image of its own, `/campaigns/{slug}/qr.svg`: inline, its ~8 KB were a third of
//! every page view, while as an image a browser fetches it once a day (issue 10, target 1).

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

/// Where the page of campaign `slug` finds its code.
pub fn path(slug: &str) -> String {
    format!("/campaigns/{slug}/qr.svg")
}

/// `GET /campaigns/{slug}/qr.svg`: the code of the campaign page's public address. It changes
/// only with `public_url`, so browsers and CDNs keep it for a day.
pub async fn serve(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, ApiError> {
    // Only a campaign's code: the snapshot answers 404 for any other slug.
    state.snapshots.campaign(&state.pool, &slug, None).await?;
    let url = format!("{}/campaigns/{slug}", state.settings.public_url());
    let body = svg(&url).ok_or_else(|| ApiError::NotFound("qr".into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "image/svg+xml"))
        .insert_header((CACHE_CONTROL, "public, max-age=86400"))
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

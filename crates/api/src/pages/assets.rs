//! The site's static files, compiled into the binary and served under names that carry a hash
//! of their content: a browser or CDN keeps them a year, and a new release changes the name.
//! Compressed once (gzip) for the browsers that take it; and the site's icon at `/favicon.ico`,
//! where browsers ask for it.

use std::sync::LazyLock;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, VARY};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use super::compression::{mark_gzip, Encoded};
use crate::problem::ApiError;

/// One static file.
pub struct Asset {
    /// Where it is served: `/static/app.<hash>.css`.
    pub path: String,
    body: Encoded,
    content_type: &'static str,
}

fn asset(stem: &str, extension: &str, body: &'static str, content_type: &'static str) -> Asset {
    let hash = hex::encode(&Sha256::digest(body.as_bytes())[..6]);
    Asset {
        path: format!("/static/{stem}.{hash}.{extension}"),
        body: Encoded::new(Bytes::from_static(body.as_bytes())),
        content_type,
    }
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
pub async fn serve(req: HttpRequest, file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let path = format!("/static/{}", file.into_inner());
    let asset =
        [style(), script()].into_iter().find(|a| a.path == path).ok_or_else(|| ApiError::NotFound("file".into()))?;
    let (body, gzip) = asset.body.for_request(&req);
    let mut res = HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, asset.content_type))
        .insert_header((CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((VARY, "Accept-Encoding"))
        .body(body);
    if gzip {
        mark_gzip(&mut res);
    }
    Ok(res)
}

/// `GET /favicon.ico`: the site's icon (a white heart on the header's navy). Its name cannot
/// carry a hash, so it is kept a week.
pub async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "image/x-icon"))
        .insert_header((CACHE_CONTROL, "public, max-age=604800"))
        .body(Bytes::from_static(include_bytes!("../../static/favicon.ico")))
}

#[cfg(test)]
mod tests {
    /// WCAG 2.1's contrast ratio of two `#rrggbb` colours.
    fn contrast(a: &str, b: &str) -> f64 {
        let luminance = |hex: &str| {
            let channel = |i: usize| {
                let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")) / 255.0;
                if c <= 0.03928 {
                    c / 12.92
                } else {
                    ((c + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
        };
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    /// Issue 24's finding: the focus ring (#f0a400 on white) was 2.1:1. Each of its colours must
    /// stand 3:1 against what is next to it somewhere: the outline against the page and the
    /// cards, the white inner ring against the navy header and footer.
    #[test]
    fn the_focus_ring_stands_out_wherever_it_is() {
        let css = include_str!("../../static/app.css");
        let rule = css.split('}').find(|r| r.contains(":focus-visible{")).expect("a focus rule");
        let outline = rule.split("outline:3px solid ").nth(1).expect("an outline").get(..7).expect("a colour");
        for background in ["#ffffff", "#fafaf7", "#eeeeee"] {
            assert!(
                contrast(outline, background) >= 3.0,
                "{outline} on {background}: {:.1}",
                contrast(outline, background)
            );
        }
        let inner = rule.split("box-shadow:0 0 0 2px ").nth(1).expect("an inner ring").get(..4).expect("a colour");
        assert_eq!(inner, "#fff");
        assert!(contrast("#ffffff", "#12355b") >= 3.0, "the inner ring on the header");
        assert!(contrast("#f0a400", "#ffffff") < 3.0, "the old ring would fail this test");
    }
}

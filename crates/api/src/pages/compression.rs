//! The kept campaign page in gzip as well as plain, compressed once when it is made: every
//! browser asks for gzip, and a page a third its size is what lets a viral campaign's page be
//! served at the rate of the progress JSON (issue 10, target 1). Compressing per request would
//! cost more than serving the plain page; pages made for one visitor are sent plain.

use std::io::Write;

use actix_web::http::header::{HeaderValue, ACCEPT_ENCODING, CONTENT_ENCODING};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use flate2::write::GzEncoder;
use flate2::Compression;

/// A page's bytes, plain and gzip-compressed.
#[derive(Clone)]
pub struct Encoded {
    plain: Bytes,
    gzip: Option<Bytes>,
}

impl Encoded {
    /// `plain` and its compression (left out, and the page sent plain, if it fails).
    pub fn new(plain: Bytes) -> Self {
        let mut encoder = GzEncoder::new(Vec::with_capacity(plain.len() / 3), Compression::default());
        let gzip = encoder.write_all(&plain).and_then(|()| encoder.finish()).map(Bytes::from).ok();
        Encoded { plain, gzip }
    }

    /// The plain bytes.
    pub fn plain(&self) -> &Bytes {
        &self.plain
    }

    /// The bytes `req` should get, and whether they are gzip.
    pub fn for_request(&self, req: &HttpRequest) -> (Bytes, bool) {
        match &self.gzip {
            Some(gzip) if accepts_gzip(req) => (gzip.clone(), true),
            _ => (self.plain.clone(), false),
        }
    }
}

/// Marks `res` as carrying a gzip body.
pub fn mark_gzip(res: &mut HttpResponse) {
    res.headers_mut().insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
}

/// True when the request's `Accept-Encoding` takes gzip (named or `*`, and not at q=0).
pub fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers().get_all(ACCEPT_ENCODING).filter_map(|v| v.to_str().ok()).any(takes_gzip)
}

fn takes_gzip(header: &str) -> bool {
    let mut star = false;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or_default().trim();
        let refused = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=")
                .or_else(|| p.strip_prefix("Q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            return !refused;
        }
        if coding == "*" {
            star = !refused;
        }
    }
    star
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn gzip_is_taken_when_named_or_starred_and_not_refused() {
        for yes in ["gzip", "gzip, deflate, br, zstd", "br;q=1.0, GZIP;q=0.5", "*", "deflate, *;q=0.1", "x-gzip"] {
            assert!(takes_gzip(yes), "{yes}");
        }
        for no in ["", "identity", "br, deflate", "gzip;q=0", "gzip; q=0.0, *", "*;q=0", "gzipx"] {
            assert!(!takes_gzip(no), "{no}");
        }
    }

    #[test]
    fn the_compressed_page_decompresses_to_the_page() {
        let page = Bytes::from("<!DOCTYPE html><p>Демеу</p>".repeat(200));
        let encoded = Encoded::new(page.clone());
        let gzip = encoded.gzip.clone().expect("compressed");
        assert!(gzip.len() < page.len() / 4, "{} of {}", gzip.len(), page.len());
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gzip[..]).read_to_end(&mut back).expect("gzip");
        assert_eq!(back, page);
    }
}

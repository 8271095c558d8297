//! What a reader's browser gets when a page cannot be answered: a page, in the reader's language,
//! through the site's layout, never the API's problem document. A browser asks for HTML
//! (`Accept: text/html`); every problem answer to such a request outside the API and the
//! operations' routes (a campaign that does not exist, a link cut short, a flood stopped, the
//! database away) becomes the page saying it, with the same status and the headers that matter
//! (Retry-After, Allow, the request id). API clients and scripts keep the problem document.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::HttpResponse;
use maud::html;

use super::layout::{document, respond, Caching, Frame};
use crate::i18n::{Lang, Tr};

/// Paths whose readers are programs: their refusals stay problem documents.
fn for_programs(path: &str) -> bool {
    path.starts_with("/api/") || ["/health", "/ready", "/metrics", "/docs"].contains(&path)
}

/// The message of a refusal of `status`, in the catalogues.
fn message(status: u16) -> &'static str {
    match status {
        404 | 405 => "not-found",
        429 => "problem-rate-limited",
        502 => "problem-provider",
        503 => "problem-unavailable",
        400..=499 => "problem-invalid",
        _ => "problem-internal",
    }
}

/// The error handler: a problem answer to a browser's page request becomes a page.
pub fn as_page<B: MessageBody + 'static>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let req = res.request();
    let problem =
        res.headers().get(header::CONTENT_TYPE) == Some(&HeaderValue::from_static("application/problem+json"));
    let browser = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !problem || !browser || for_programs(req.path()) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let tr = Tr::new(Lang::negotiate(req, Lang::Ru));
    let title = tr.t("error-heading");
    // The foundation as last read (an error page cannot wait for the database).
    let site = req.app_data::<actix_web::web::Data<crate::state::AppState>>().and_then(|s| s.snapshots.site_now());
    let frame = Frame { site: site.as_deref(), ..Frame::new(tr, &title, req.path()) };
    let main = html! {
        h1 { (title) }
        p.alert role="alert" { (tr.t(message(status.as_u16()))) }
    };
    let mut page: HttpResponse<BoxBody> = respond(status, document(&frame, main), Caching::Private, None, None);
    for name in [header::RETRY_AFTER, header::ALLOW, header::HeaderName::from_static("x-request-id")] {
        if let Some(value) = res.headers().get(&name).cloned() {
            page.headers_mut().insert(name, value);
        }
    }
    let (req, _) = res.into_parts();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, page).map_into_right_body()))
}

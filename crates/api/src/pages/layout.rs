//! The frame every page of the site shares (language switch, landmarks, the one style sheet
//! and script), and how a page is answered: its security policy and caching.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, VARY, X_FRAME_OPTIONS};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use campaign_news::foundation::Identity;
use campaign_news::pictures::{Picture, VariantFormat};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::assets;
use crate::i18n::{Lang, Tr};
use crate::snapshot::Site;

/// The policy of the site's pages: its own script and style sheet, requests only to itself
/// (the live progress, the thanks page's polling), forms only to itself, no framing.
pub const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// What a page says about itself for sharing (Open Graph).
pub struct Share<'a> {
    /// The page's public URL.
    pub url: &'a str,
    /// A sentence or two.
    pub description: &'a str,
    /// The preview image (the cover's 1200×630 share variant): its absolute URL and size.
    pub image: Option<(String, i32, i32)>,
}

/// A page's frame.
pub struct Frame<'a> {
    /// The visitor's language.
    pub tr: Tr,
    /// `<title>` and the share title.
    pub title: &'a str,
    /// The path the language switch links to (with `lang=` added to its query, if it has one).
    pub path: &'a str,
    /// Open Graph, for pages worth sharing.
    pub share: Option<Share<'a>>,
    /// The campaign's Atom feed, if the page is a campaign's.
    pub feed: Option<&'a str>,
    /// Reload every few seconds when scripts are off (a thanks page waiting for its payment).
    pub refresh_without_script: Option<u32>,
    /// Send the browser elsewhere (the payment page): where, at once.
    pub redirect: Option<&'a str>,
    /// The foundation whose site this is (its name and logo in the header, its details in the
    /// footer); `None`: Demeu's own frame (the console, an error before anything was read).
    pub site: Option<&'a Site>,
}

impl<'a> Frame<'a> {
    /// A frame of only its language, title and path (nothing to share, no feed, no refresh, no
    /// redirect, Demeu's own header); a page sets what else it has by field.
    pub fn new(tr: Tr, title: &'a str, path: &'a str) -> Self {
        Frame { tr, title, path, share: None, feed: None, refresh_without_script: None, redirect: None, site: None }
    }
}

/// The whole document around `main`.
pub fn document(frame: &Frame<'_>, main: Markup) -> Markup {
    let tr = frame.tr;
    html! {
        (DOCTYPE)
        html lang=(tr.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (frame.title) " · " (tr.t("site-name")) }
                // Every page says what it is to a search engine or a link preview: its own
                // words when it has them, else whose site it is.
                @let description = frame.share.as_ref().map(|s| s.description.trim()).filter(|d| !d.is_empty());
                meta name="description" content=(description.map_or_else(|| site_description(tr, frame.site), str::to_string));
                @if let Some(icon) = frame.site.and_then(|s| s.logo.as_ref()).and_then(smallest) {
                    link rel="icon" type=(icon.format.content_type()) href=(icon.url());
                }
                @if let Some(share) = &frame.share {
                    meta property="og:type" content="website";
                    meta property="og:title" content=(frame.title);
                    meta property="og:description" content=(share.description);
                    meta property="og:url" content=(share.url);
                    meta property="og:locale" content=(og_locale(tr.lang));
                    @if let Some((image, width, height)) = &share.image {
                        meta property="og:image" content=(image);
                        meta property="og:image:width" content=(width);
                        meta property="og:image:height" content=(height);
                        meta name="twitter:card" content="summary_large_image";
                    }
                    link rel="canonical" href=(share.url);
                }
                @if let Some(feed) = frame.feed {
                    link rel="alternate" type="application/atom+xml" href=(feed) title=(tr.t("news-feed"));
                }
                @if let Some(seconds) = frame.refresh_without_script {
                    noscript { meta http-equiv="refresh" content=(seconds); }
                }
                @if let Some(to) = frame.redirect {
                    meta http-equiv="refresh" content=(format!("0;url={to}"));
                }
                link rel="stylesheet" href=(assets::style().path);
                script src=(assets::script().path) defer {}
            }
            body {
                a.skip href="#main" { (tr.t("skip-to-content")) }
                header.site {
                    @match frame.site {
                        Some(site) => a.brand href={ "/?lang=" (tr.lang.code()) } {
                            @if let Some(logo) = &site.logo {
                                (logo_image(logo))
                            }
                            span { (site.identity.name(tr.lang.locale())) }
                        },
                        None => a.brand href={ "/?lang=" (tr.lang.code()) } { (tr.t("site-name")) },
                    }
                    nav.langs aria-label=(tr.t("language")) {
                        ul {
                            @let join = if frame.path.contains('?') { "&" } else { "?" };
                            @for lang in Lang::ALL {
                                li {
                                    @let name = crate::i18n::Tr::new(lang).t("lang-name");
                                    @if lang == tr.lang {
                                        a href={ (frame.path) (join) "lang=" (lang.code()) } hreflang=(lang.code())
                                            lang=(lang.code()) aria-current="true" { (name) }
                                    } @else {
                                        a href={ (frame.path) (join) "lang=" (lang.code()) } hreflang=(lang.code())
                                            lang=(lang.code()) { (name) }
                                    }
                                }
                            }
                        }
                    }
                }
                main #main { (main) }
                footer.site {
                    @if let Some(site) = frame.site {
                        (foundation_details(tr, &site.identity))
                    }
                    p.powered {
                        (tr.t("powered-by")) " " a href="/docs" { (tr.t("footer-api")) }
                    }
                }
            }
        }
    }
}

/// What a page without words of its own says of itself: whose site it is.
fn site_description(tr: Tr, site: Option<&Site>) -> String {
    match site {
        Some(site) => {
            tr.t_with("site-description", &[("foundation", site.identity.name(tr.lang.locale()).to_string().into())])
        }
        None => tr.t("site-description-demeu"),
    }
}

/// A picture's narrowest variant (WebP first): the header's logo, the site's icon.
fn smallest(picture: &Picture) -> Option<&campaign_news::pictures::Variant> {
    picture.widths(VariantFormat::Webp).next().or_else(|| picture.widths(VariantFormat::Jpeg).next())
}

/// The logo in the header: its narrowest variant, 40 pixels high.
fn logo_image(logo: &Picture) -> Markup {
    html! {
        @if let Some(v) = smallest(logo) {
            // The name beside it says who it is: the image itself is decoration here.
            img.logo src=(v.url()) alt="" height="40" width=(i64::from(v.width) * 40 / i64::from(v.height.max(1)));
        }
    }
}

/// The footer's details: who the foundation is, how to reach it, its offer and privacy policy.
fn foundation_details(tr: Tr, identity: &Identity) -> Markup {
    let lang = tr.lang.locale();
    html! {
        div.foundation {
            p { strong { (identity.legal_line(lang)) } }
            @if !identity.phone.is_empty() || !identity.email.is_empty() || !identity.website.is_empty() {
                p {
                    @if !identity.phone.is_empty() { a href={ "tel:" (identity.phone.replace(' ', "")) } { (identity.phone) } " " }
                    @if !identity.email.is_empty() { a href={ "mailto:" (identity.email) } { (identity.email) } " " }
                    @if !identity.website.is_empty() { a href=(identity.website) rel="noopener" { (identity.website) } }
                }
            }
            @if !identity.bank_details.is_empty() {
                details {
                    summary { (tr.t("footer-bank-details")) }
                    pre.bank { (identity.bank_details) }
                }
            }
            p {
                a href={ "/donor?lang=" (tr.lang.code()) } { (tr.t("footer-donor")) } " · "
                @if !identity.offer.is_empty() { a href={ "/offer?lang=" (tr.lang.code()) } { (tr.t("footer-offer")) } " · " }
                @if !identity.privacy.is_empty() { a href={ "/privacy?lang=" (tr.lang.code()) } { (tr.t("footer-privacy")) } }
            }
        }
    }
}

fn og_locale(lang: Lang) -> &'static str {
    match lang {
        Lang::Kk => "kk_KZ",
        Lang::Ru => "ru_RU",
        Lang::En => "en_US",
    }
}

/// How long a page may be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// The same for everyone of a language for a second (the campaign page, the list): a CDN
    /// may carry it like the progress JSON.
    Public,
    /// A form's answer or one pledge's page: never stored.
    Private,
}

/// Answers `markup` with the page policy, framing refused unless `frame_ancestors` names who
/// may frame it (the embed), and the language cookie when `?lang=` chose one.
pub fn respond(
    status: StatusCode,
    markup: Markup,
    caching: Caching,
    remember: Option<Lang>,
    frame_ancestors: Option<&str>,
) -> HttpResponse {
    respond_bytes(status, Bytes::from(markup.into_string()), caching, remember, frame_ancestors)
}

/// [`respond`] with a page already rendered.
pub fn respond_bytes(
    status: StatusCode,
    body: Bytes,
    caching: Caching,
    remember: Option<Lang>,
    frame_ancestors: Option<&str>,
) -> HttpResponse {
    let mut answer = HttpResponse::build(status);
    answer.content_type("text/html; charset=utf-8");
    match frame_ancestors {
        Some(sources) => {
            let policy = PAGE_POLICY.replace("frame-ancestors 'none'", &format!("frame-ancestors {sources}"));
            answer.insert_header((CONTENT_SECURITY_POLICY, policy));
        }
        None => {
            answer.insert_header((CONTENT_SECURITY_POLICY, PAGE_POLICY));
            answer.insert_header((X_FRAME_OPTIONS, "DENY"));
        }
    }
    // An answer that sets the language cookie is this visitor's alone: a shared cache keeping
    // it would hand the cookie, and the language, to everyone after.
    let caching = if remember.is_some() { Caching::Private } else { caching };
    match caching {
        Caching::Public => answer.insert_header((CACHE_CONTROL, crate::snapshot::CACHE_CONTROL)),
        Caching::Private => answer.insert_header((CACHE_CONTROL, "no-store")),
    };
    // What picks the page's language and encoding, whether a cache may keep it or not.
    answer.insert_header((VARY, "Cookie, Accept-Language, Accept-Encoding"));
    if let Some(lang) = remember {
        answer.cookie(lang.cookie());
    }
    answer.body(body)
}

/// HTML that is already safe: sanitized Markdown (the story, posts), the generated QR code.
pub fn trusted(html: String) -> PreEscaped<String> {
    PreEscaped(html)
}

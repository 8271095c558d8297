//! The site's own addresses that more than one layer writes: a provider is told where to send
//! the donor back (services), the pages link there, the sandbox redirects there.

/// The thanks page of a pledge.
pub fn thanks_url(public_url: &str, slug: &str, pledge: impl std::fmt::Display) -> String {
    format!("{public_url}/campaigns/{slug}/thanks?pledge={pledge}")
}

/// The campaign page with a pledge's amount back in the form, after a checkout that did not pay.
pub fn back_url(public_url: &str, slug: &str, pledge: impl std::fmt::Display) -> String {
    format!("{public_url}/campaigns/{slug}?pledge={pledge}&checkout=cancel#give")
}

/// A published news post's page, from the site's root (the campaign's pages and the console's
/// editor both link it).
pub fn news_post_path(campaign: &str, post: &str) -> String {
    format!("/campaigns/{campaign}/news/{post}")
}

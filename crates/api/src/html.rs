//! The few HTML pages the server renders itself (the sandbox checkout, subscription links) and
//! the escaping every HTML text here goes through, mail included.

use actix_web::HttpResponse;

/// HTML-escapes text put into markup.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A small page: `title` is text, `body` is markup the caller built with [`escape`].
pub fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}\
         .amount{{font-size:2rem;font-weight:700}}button{{font-size:1rem;padding:.6rem 1.4rem;margin-right:.5rem}}\
         .note{{color:#666;font-size:.9rem}}</style></head><body>{body}</body></html>",
        title = escape(title)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}

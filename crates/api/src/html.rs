//! The one HTML page the server still renders by hand (the sandbox checkout) and
//! the escaping every HTML text here goes through, mail included. Their security headers are
//! added to every HTML answer by [`crate::security_headers`].

use actix_web::HttpResponse;

/// HTML-escapes text put into markup.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// The style sheet of [`page`], inline: the Content-Security-Policy allows it by its hash
/// (see [`crate::security_headers`]), so it needs no `'unsafe-inline'`, and there are no
/// `style` attributes (the policy would block them).
const PAGE_STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}\
     .amount{font-size:2rem;font-weight:700}button{font-size:1rem;padding:.6rem 1.4rem;margin-right:.5rem}\
     form{display:inline}.note{color:#666;font-size:.9rem}";

/// The markup of a small page: `title` is text, `body` is markup the caller built with
/// [`escape`].
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <style>{PAGE_STYLE}</style></head><body>{body}</body></html>",
        title = escape(title)
    )
}

/// A small page: `title` is text, `body` is markup the caller built with [`escape`].
pub fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(document(title, body))
}

/// A button that POSTs `fields` (names and values, both text) to `action` (a path on this
/// server, text): how a page asks for a change that following a link must not make.
pub fn post_button(action: &str, fields: &[(&str, &str)], label: &str) -> String {
    let inputs: String = fields
        .iter()
        .map(|(name, value)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", escape(name), escape(value)))
        .collect();
    format!("<form method=\"post\" action=\"{}\">{inputs}<button>{}</button></form>", escape(action), escape(label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn a_button_escapes_what_it_carries() {
        let form = post_button("/x?a=1&b=2", &[("token", "\"><script>alert(1)</script>")], "<Go>");
        assert_eq!(
            form,
            "<form method=\"post\" action=\"/x?a=1&amp;b=2\"><input type=\"hidden\" name=\"token\" \
             value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"><button>&lt;Go&gt;</button></form>"
        );
    }

    #[test]
    fn the_title_is_escaped() {
        assert!(document("</title><script>", "").contains("<title>&lt;/title&gt;&lt;script&gt;</title>"));
    }
}

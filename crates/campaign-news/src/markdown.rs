//! Markdown to HTML, sanitized once when a post is saved, so that reading a post never renders.

use pulldown_cmark::{html, Options, Parser};

/// Renders `markdown` and keeps only safe HTML: no scripts, no event handlers, no `javascript:`
/// links; links open with `rel="noopener noreferrer"`.
pub fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut unsafe_html = String::new();
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::Builder::default().link_rel(Some("noopener noreferrer")).clean(&unsafe_html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders() {
        let html = render("# School of Mentors\n\nTwenty **mentors** trained. [Read](https://dara.kz/report)");
        assert!(html.contains("<h1>School of Mentors</h1>"));
        assert!(html.contains("<strong>mentors</strong>"));
        assert!(html.contains("href=\"https://dara.kz/report\""));
        assert!(html.contains("rel=\"noopener noreferrer\""));
    }

    #[test]
    fn scripts_handlers_and_javascript_links_are_removed() {
        let html = render(
            "Hello <script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n[click](javascript:alert(3))\n\n\
             <a href=\"javascript:alert(4)\" onclick=\"alert(5)\">x</a> <iframe src=\"https://evil\"></iframe>",
        );
        let lower = html.to_lowercase();
        for bad in ["<script", "onerror", "onclick", "javascript:", "<iframe", "alert(1)"] {
            assert!(!lower.contains(bad), "{bad} survived in {html}");
        }
        assert!(html.contains("Hello"));
    }
}

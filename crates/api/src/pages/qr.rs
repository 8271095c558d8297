//! The page's QR code, drawn as SVG on the server: nothing is fetched from elsewhere.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// An `<svg>` of `url`'s QR code labelled `label`; empty when the URL is too long for one.
pub fn svg(url: &str, label: &str) -> String {
    let Ok(code) = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M) else { return String::new() };
    let drawn = code.render::<svg::Color<'_>>().min_dimensions(160, 160).quiet_zone(true).build();
    // The renderer writes a standalone document: its XML declaration goes, and the element gets
    // its accessible name.
    let element = drawn.find("<svg").map_or(drawn.as_str(), |start| &drawn[start..]);
    element.replacen("<svg", &format!("<svg role=\"img\" aria-label=\"{}\"", crate::html::escape(label)), 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_code_is_an_svg_with_a_name() {
        let svg = super::svg("http://127.0.0.1:8080/campaigns/mentors", "QR \"code\"");
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"QR &quot;code&quot;\""), "{}", &svg[..80]);
        assert!(svg.ends_with("</svg>") && !svg.contains("<?xml"));
    }
}

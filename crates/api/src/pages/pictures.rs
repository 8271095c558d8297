//! A stored picture as `<picture>`: WebP and JPEG `srcset`s of its widths, the browser choosing
//! by `sizes`; explicit width and height (no layout shift); lazy unless it is above the fold.

use campaign_news::pictures::{Picture, VariantFormat};
use maud::{html, Markup};

/// `picture` shown at `sizes` (a `sizes` attribute), with `alt`; `eager` for the one above the
/// fold (fetched first), lazy for the rest.
pub fn picture(picture: &Picture, alt: &str, sizes: &str, eager: bool) -> Markup {
    let srcset =
        |format| picture.widths(format).map(|v| format!("{} {}w", v.url(), v.width)).collect::<Vec<_>>().join(", ");
    // The fallback `src`: the widest JPEG up to 960 pixels.
    let fallback = picture.widths(VariantFormat::Jpeg).filter(|v| v.width <= 960).last();
    html! {
        @if let Some(fallback) = fallback {
            picture {
                source type="image/webp" srcset=(srcset(VariantFormat::Webp)) sizes=(sizes);
                img src=(fallback.url()) srcset=(srcset(VariantFormat::Jpeg)) sizes=(sizes)
                    width=(fallback.width) height=(fallback.height) alt=(alt) decoding="async"
                    loading=[(!eager).then_some("lazy")] fetchpriority=[eager.then_some("high")];
            }
        }
    }
}

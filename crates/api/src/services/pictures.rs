//! Pictures staff upload (a campaign's cover and gallery, the foundation's logo), made safe to
//! serve: the upload is decoded to prove it is an image (its name and declared type are not
//! trusted), refused when it is not JPEG, PNG or WebP, when it declares more pixels than
//! allowed (checked from its header, before a byte of pixels is decoded: a decompression bomb
//! never reaches memory), or when decoding it would allocate more than allowed; then it is
//! re-encoded into the variants the pages use. Nothing of the upload but its pixels survives:
//! re-encoding writes no metadata, so a phone photo's EXIF block and its GPS position never
//! reach the public.
//!
//! Pure: no database, no HTTP. Storing the variants (in the database, so that several instances
//! share them) and serving them are the callers'.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};

/// The widths of the variants a page chooses from (`srcset`); a picture narrower than one is
/// not enlarged: that variant is left out.
pub const WIDTHS: [u32; 3] = [480, 960, 1600];

/// The share image's size (Open Graph's 1.91:1).
pub const SHARE: (u32, u32) = (1200, 630);

/// JPEG quality of the variants: photographs without visible loss at a third of the bytes.
const JPEG_QUALITY: u8 = 82;

/// What an upload may be.
#[derive(Debug, Clone, Copy)]
pub struct PictureLimits {
    /// Pixels (width × height) at most: 40 megapixels takes any phone's photo.
    pub max_pixels: u64,
    /// Bytes the decoder may allocate at most.
    pub max_alloc: u64,
}

impl Default for PictureLimits {
    fn default() -> Self {
        PictureLimits { max_pixels: 40_000_000, max_alloc: 256 * 1024 * 1024 }
    }
}

/// Why an upload was refused. Nothing is stored for any of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PictureError {
    /// Not a JPEG, PNG or WebP image (whatever its name or declared type).
    #[error("is not a JPEG, PNG or WebP image")]
    NotAnImage,
    /// More pixels than allowed.
    #[error("has {width}×{height} pixels, more than the {max} allowed")]
    TooManyPixels {
        /// As its header declares.
        width: u32,
        /// As its header declares.
        height: u32,
        /// The limit.
        max: u64,
    },
    /// Its pixels could not be read (truncated, corrupt, or more memory than allowed).
    #[error("could not be read as an image: {0}")]
    Unreadable(String),
}

/// The encoded form of one variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// `w480`, `w960`, `w1600` or `share`.
    pub name: String,
    /// Its size in pixels.
    pub width: u32,
    /// Its size in pixels.
    pub height: u32,
    /// `image/webp` or `image/jpeg`.
    pub content_type: &'static str,
    /// The encoded bytes.
    pub bytes: Vec<u8>,
}

/// An upload made into variants.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The original's size in pixels (for the page's `width` and `height`).
    pub width: u32,
    /// The original's size in pixels.
    pub height: u32,
    /// Each width (not wider than the original) and the share image, in WebP and in JPEG.
    pub variants: Vec<Variant>,
}

/// Decodes `upload` within `limits` and makes its variants.
pub fn prepare(upload: &[u8], limits: PictureLimits) -> Result<Prepared, PictureError> {
    let picture = decode(upload, limits)?;
    let (width, height) = (picture.width(), picture.height());
    let mut variants = Vec::new();
    for target in WIDTHS.into_iter().filter(|w| *w <= width) {
        // Aspect kept; the height rounded, and at least one pixel.
        let scaled = ((u64::from(height) * u64::from(target) + u64::from(width) / 2) / u64::from(width)).max(1);
        let resized = picture.resize_exact(target, scaled as u32, FilterType::Lanczos3);
        variants.extend(encoded(&format!("w{target}"), &resized)?);
    }
    let share = picture.resize_to_fill(SHARE.0, SHARE.1, FilterType::Lanczos3);
    variants.extend(encoded("share", &share)?);
    Ok(Prepared { width, height, variants })
}

/// The pixels of `upload`, if it is a JPEG, PNG or WebP within `limits`.
fn decode(upload: &[u8], limits: PictureLimits) -> Result<DynamicImage, PictureError> {
    let reader = ImageReader::new(Cursor::new(upload)).with_guessed_format().map_err(|_| PictureError::NotAnImage)?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) => {}
        _ => return Err(PictureError::NotAnImage),
    }
    // The header's size first: a picture that declares too many pixels is refused before any
    // is decoded.
    let (width, height) = reader.into_dimensions().map_err(|e| PictureError::Unreadable(e.to_string()))?;
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(PictureError::TooManyPixels { width, height, max: limits.max_pixels });
    }
    let mut reader =
        ImageReader::new(Cursor::new(upload)).with_guessed_format().map_err(|_| PictureError::NotAnImage)?;
    let mut decoder_limits = Limits::default();
    decoder_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(decoder_limits);
    reader.decode().map_err(|e| PictureError::Unreadable(e.to_string()))
}

/// `picture` as WebP and as JPEG, named `name`. Neither encoder writes metadata.
fn encoded(name: &str, picture: &DynamicImage) -> Result<[Variant; 2], PictureError> {
    let rgb = DynamicImage::ImageRgb8(picture.to_rgb8());
    let mut webp = Vec::new();
    WebPEncoder::new_lossless(&mut webp)
        .encode(rgb.as_bytes(), rgb.width(), rgb.height(), image::ExtendedColorType::Rgb8)
        .map_err(|e| PictureError::Unreadable(e.to_string()))?;
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
        .encode(rgb.as_bytes(), rgb.width(), rgb.height(), image::ExtendedColorType::Rgb8)
        .map_err(|e| PictureError::Unreadable(e.to_string()))?;
    let variant = |content_type, bytes| Variant {
        name: name.to_string(),
        width: rgb.width(),
        height: rgb.height(),
        content_type,
        bytes,
    };
    Ok([variant("image/webp", webp), variant("image/jpeg", jpeg)])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `width`×`height` photo-like JPEG (a gradient), with an EXIF block holding a GPS
    /// position inserted after its start marker, as a phone writes it.
    fn phone_photo(width: u32, height: u32) -> Vec<u8> {
        let picture =
            image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode(picture.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .expect("a JPEG");
        let exif = b"Exif\0\0MM\0*GPSLatitude 43.238949 GPSLongitude 76.889709";
        let length = u16::try_from(exif.len() + 2).expect("short");
        let mut app1 = vec![0xFF, 0xE1];
        app1.extend(length.to_be_bytes());
        app1.extend_from_slice(exif);
        let mut with_exif = jpeg[..2].to_vec();
        with_exif.extend(app1);
        with_exif.extend_from_slice(&jpeg[2..]);
        with_exif
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_photo_becomes_its_variants_without_its_metadata() {
        let upload = phone_photo(1000, 750);
        assert!(contains(&upload, b"GPSLatitude"), "the upload carries a position");
        let prepared = prepare(&upload, PictureLimits::default()).expect("prepared");
        assert_eq!((prepared.width, prepared.height), (1000, 750));
        let sizes: Vec<(&str, u32, u32, &str)> =
            prepared.variants.iter().map(|v| (v.name.as_str(), v.width, v.height, v.content_type)).collect();
        assert_eq!(
            sizes,
            [
                ("w480", 480, 360, "image/webp"),
                ("w480", 480, 360, "image/jpeg"),
                ("w960", 960, 720, "image/webp"),
                ("w960", 960, 720, "image/jpeg"),
                ("share", 1200, 630, "image/webp"),
                ("share", 1200, 630, "image/jpeg"),
            ],
            "no 1600 variant of a 1000-pixel photo"
        );
        for variant in &prepared.variants {
            assert!(!contains(&variant.bytes, b"GPS") && !contains(&variant.bytes, b"Exif"), "{}", variant.name);
            let read = image::load_from_memory(&variant.bytes).expect("each variant reads back");
            assert_eq!((read.width(), read.height()), (variant.width, variant.height));
        }
    }

    #[test]
    fn what_is_not_an_image_is_refused() {
        let limits = PictureLimits::default();
        assert_eq!(prepare(b"%PDF-1.7 not a picture", limits).map(|_| ()), Err(PictureError::NotAnImage));
        assert_eq!(prepare(b"GIF89a\x01\x00\x01\x00", limits).map(|_| ()), Err(PictureError::NotAnImage));
        let photo = phone_photo(64, 64);
        let cut = &photo[..photo.len() / 2];
        assert!(matches!(prepare(cut, limits), Err(PictureError::Unreadable(_))), "a truncated upload");
    }

    #[test]
    fn a_picture_declaring_too_many_pixels_is_refused_before_decoding() {
        // A PNG header declaring 50 000 × 50 000 pixels (2.5 gigapixels, 7.5 GB decoded) with
        // almost no data after it: refused from the header, nothing allocated for its pixels.
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&[0u8; 3], 1, 1, image::ExtendedColorType::Rgb8)
            .expect("a PNG");
        // IHDR's width and height are bytes 16..24, its CRC (over its type and data, 12..29)
        // bytes 29..33: a crafted file carries a right CRC.
        png[16..20].copy_from_slice(&50_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&50_000u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        match prepare(&png, PictureLimits::default()) {
            Err(PictureError::TooManyPixels { width: 50_000, height: 50_000, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    /// CRC-32 (IEEE), as PNG chunks carry it.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    use image::ImageEncoder as _;
}

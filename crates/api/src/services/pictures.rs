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

use campaign_news::pictures::{NewVariant, VariantFormat};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// The widths of the variants a page chooses from (`srcset`); a picture narrower than one is
/// not enlarged: that variant is left out.
pub const WIDTHS: [u32; 3] = [480, 960, 1600];

/// The share image's size (Open Graph's 1.91:1).
pub const SHARE: (u32, u32) = (1200, 630);

/// JPEG quality of the variants: photographs without visible loss at a third of the bytes.
const JPEG_QUALITY: u8 = 82;

/// WebP quality (libwebp's 0–100 scale): about the JPEG's look in two thirds of its bytes.
const WEBP_QUALITY: f32 = 80.0;

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

/// An upload made into variants.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The original's size in pixels (for the page's `width` and `height`).
    pub width: u32,
    /// The original's size in pixels.
    pub height: u32,
    /// Each width (not wider than the original) and the share image, in WebP and in JPEG, as
    /// the store takes them.
    pub variants: Vec<NewVariant>,
}

/// Decodes `upload` within `limits` and makes its variants.
pub fn prepare(upload: &[u8], limits: PictureLimits) -> Result<Prepared, PictureError> {
    let picture = decode(upload, limits)?;
    let (width, height) = (picture.width(), picture.height());
    let height_at = |w: u32| {
        // Aspect kept; the height rounded, and at least one pixel.
        ((u64::from(height) * u64::from(w) + u64::from(width) / 2) / u64::from(width)).max(1) as u32
    };
    // A phone photo comes down to the widest variant first by averaging areas (memory: the
    // output only), and the original is dropped: the finer filter then works on 1600 pixels,
    // not 6000 (whose float buffers would take a hundred megabytes more).
    let widest = WIDTHS[WIDTHS.len() - 1];
    let base = if width > widest {
        let smaller = picture.thumbnail_exact(widest, height_at(widest));
        // Freed now, not at the end: the encoders below would otherwise work beside 72 MB of a
        // 24-megapixel original.
        drop(picture);
        smaller
    } else {
        picture
    };
    let mut variants = Vec::new();
    // A picture narrower than the narrowest width keeps its own, once.
    let widths: Vec<u32> =
        if width < WIDTHS[0] { vec![width] } else { WIDTHS.into_iter().filter(|w| *w <= width).collect() };
    for target in widths {
        let resized = if target == base.width() {
            base.clone()
        } else {
            base.resize_exact(target, height_at(target), FilterType::Lanczos3)
        };
        variants.extend(encoded(&format!("w{target}"), &resized)?);
    }
    let share = base.resize_to_fill(SHARE.0, SHARE.1, FilterType::Lanczos3);
    variants.extend(encoded("share", &share)?);
    Ok(Prepared { width, height, variants })
}

/// The pixels of `upload`, if it is a JPEG, PNG or WebP within `limits`.
fn decode(upload: &[u8], limits: PictureLimits) -> Result<DynamicImage, PictureError> {
    let reader = ImageReader::new(Cursor::new(upload)).with_guessed_format().map_err(|_| PictureError::NotAnImage)?;
    match reader.format() {
        Some(ImageFormat::Jpeg) if !jpeg_is_whole(upload) => {
            return Err(PictureError::Unreadable("the JPEG is cut short (no end of image)".into()))
        }
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
    let unreadable = |e: image::ImageError| PictureError::Unreadable(e.to_string());
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    // A phone stores a portrait photo sideways and says how to turn it in its metadata, which
    // is dropped: turned here, or the page would show it lying down.
    let orientation = decoder.orientation().map_err(unreadable)?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    picture.apply_orientation(orientation);
    Ok(picture)
}

/// Whether a JPEG's end-of-image marker (FF D9) comes after its last start of scan (FF DA): the
/// JPEG decoder fills a cut-short upload's missing rows with grey rather than fail, and a photo
/// half uploaded is not one to publish. (The scan's data cannot hold FF D9: an FF in it is
/// followed by 00. Bytes after the end marker, which some phones add, do not matter.)
fn jpeg_is_whole(jpeg: &[u8]) -> bool {
    let scan = jpeg.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    scan.is_some_and(|start| jpeg[start..].windows(2).any(|w| w == [0xFF, 0xD9]))
}

/// `picture` as WebP and as JPEG, named `name`. Neither encoder writes metadata.
fn encoded(name: &str, picture: &DynamicImage) -> Result<[NewVariant; 2], PictureError> {
    let rgb = DynamicImage::ImageRgb8(picture.to_rgb8());
    let webp = webp::Encoder::from_rgb(rgb.as_bytes(), rgb.width(), rgb.height()).encode(WEBP_QUALITY).to_vec();
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
        .encode(rgb.as_bytes(), rgb.width(), rgb.height(), image::ExtendedColorType::Rgb8)
        .map_err(|e| PictureError::Unreadable(e.to_string()))?;
    let variant =
        |format, bytes| NewVariant { name: name.to_string(), format, width: rgb.width(), height: rgb.height(), bytes };
    Ok([variant(VariantFormat::Webp, webp), variant(VariantFormat::Jpeg, jpeg)])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `width`×`height` photo-like JPEG (a gradient), with an EXIF block holding a GPS
    /// position inserted after its start marker, as a phone writes it.
    fn phone_photo(width: u32, height: u32) -> Vec<u8> {
        with_exif(&plain_jpeg(width, height), b"Exif\0\0MM\0*GPSLatitude 43.238949 GPSLongitude 76.889709")
    }

    fn plain_jpeg(width: u32, height: u32) -> Vec<u8> {
        let picture =
            image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode(picture.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .expect("a JPEG");
        jpeg
    }

    /// `jpeg` with an APP1 segment holding `exif` right after its start marker.
    fn with_exif(jpeg: &[u8], exif: &[u8]) -> Vec<u8> {
        let length = u16::try_from(exif.len() + 2).expect("short");
        let mut out = jpeg[..2].to_vec();
        out.extend([0xFF, 0xE1]);
        out.extend(length.to_be_bytes());
        out.extend_from_slice(exif);
        out.extend_from_slice(&jpeg[2..]);
        out
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
            prepared.variants.iter().map(|v| (v.name.as_str(), v.width, v.height, v.format.content_type())).collect();
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
    fn a_photo_taken_upright_is_turned_as_its_metadata_says() {
        // 1000 × 500 as stored, with an EXIF Orientation of 6: "turn 90° clockwise to show".
        let mut exif = b"Exif\0\0MM\0*\0\0\0\x08".to_vec();
        exif.extend([0, 1]); // one IFD entry
        exif.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // Orientation, SHORT, 1, 6
        exif.extend([0, 0, 0, 0]); // no next IFD
        let upload = with_exif(&plain_jpeg(1000, 500), &exif);
        let prepared = prepare(&upload, PictureLimits::default()).expect("prepared");
        assert_eq!((prepared.width, prepared.height), (500, 1000), "upright");
        let w480 = &prepared.variants[0];
        assert_eq!((w480.name.as_str(), w480.width, w480.height), ("w480", 480, 960));
        assert!(!contains(&w480.bytes, b"Exif"));
    }

    #[test]
    fn lossy_webp_is_lighter_than_the_jpeg() {
        let prepared = prepare(&phone_photo(1000, 750), PictureLimits::default()).expect("prepared");
        let (webp, jpeg) = (&prepared.variants[2], &prepared.variants[3]);
        assert_eq!((webp.name.as_str(), jpeg.name.as_str()), ("w960", "w960"));
        assert!(webp.bytes.len() < jpeg.bytes.len(), "webp {} against jpeg {}", webp.bytes.len(), jpeg.bytes.len());
    }

    #[test]
    fn what_is_not_an_image_is_refused() {
        let limits = PictureLimits::default();
        assert_eq!(prepare(b"%PDF-1.7 not a picture", limits).map(|_| ()), Err(PictureError::NotAnImage));
        assert_eq!(prepare(b"GIF89a\x01\x00\x01\x00", limits).map(|_| ()), Err(PictureError::NotAnImage));
        for size in [64, 800] {
            let photo = phone_photo(size, size);
            let cut = &photo[..photo.len() / 2];
            assert!(matches!(prepare(cut, limits), Err(PictureError::Unreadable(_))), "a truncated {size}² upload");
        }
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
        let crc = crc32fast::hash(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        match prepare(&png, PictureLimits::default()) {
            Err(PictureError::TooManyPixels { width: 50_000, height: 50_000, .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    use image::ImageEncoder as _;
}

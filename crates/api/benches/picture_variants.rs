//! How long making a phone photo's variants takes (`services::pictures::prepare`): a 24-megapixel
//! JPEG (6000 × 4000, a gradient with detail, as a phone writes it) made into every variant.
//! Run by scripts/pictures.sh, which also reads the process's peak memory; the target is
//! under 2 s and under 150 MB on this machine.
//!
//!   cargo bench -p demeu-api --bench picture_variants [-- megapixels] [--write FILE]
//!
//! With `--write FILE` it only writes the photo there (scripts/pictures.sh uploads it to a
//! running server, whose peak memory it then reads).

use std::time::Instant;

use demeu_api::services::pictures::{prepare, PictureLimits};
use image::codecs::jpeg::JpegEncoder;

fn main() {
    let megapixels: u32 = std::env::args().filter_map(|a| a.parse().ok()).next().unwrap_or(24);
    let (width, height) = (megapixels * 250, 4000);
    let photo = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x ^ y) % 239) as u8])
    });
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode(photo.as_raw(), width, height, image::ExtendedColorType::Rgb8)
        .expect("a JPEG");
    drop(photo);
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--write") {
        let file = args.get(at + 1).expect("--write FILE");
        std::fs::write(file, &jpeg).expect("the photo written");
        return;
    }
    // The peak from here on only (Linux: writing 5 to clear_refs resets VmHWM to the current
    // resident size), so that making the photo above does not count.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let resident = status_mb("VmRSS");
    let started = Instant::now();
    let prepared = prepare(&jpeg, PictureLimits::default()).expect("prepared");
    let took = started.elapsed();
    println!("resident before: {resident} MB; peak while making the variants: {} MB", status_mb("VmHWM"));
    let bytes: usize = prepared.variants.iter().map(|v| v.bytes.len()).sum();
    println!(
        "{width}x{height} JPEG ({} KB) -> {} variants ({} KB) in {:.2} s",
        jpeg.len() / 1024,
        prepared.variants.len(),
        bytes / 1024,
        took.as_secs_f64()
    );
    for variant in &prepared.variants {
        println!(
            "  {:6} {:10} {:5}x{:<5} {:7} KB",
            variant.name,
            variant.format.content_type(),
            variant.width,
            variant.height,
            variant.bytes.len() / 1024
        );
    }
}

/// A `/proc/self/status` field in megabytes (0 where there is none).
fn status_mb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

//! Pictures (issue 23): staff upload a campaign's cover and gallery; each is stored as its
//! variants without metadata and served at content-hashed URLs cached a year; every bad upload
//! is refused naming why, with nothing stored.

use demeu_api::auth::Role;
use image::ImageEncoder as _;
use serde_json::Value;

use crate::helpers::{assert_problem, count, multipart, phone_photo, spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_cover_is_served_in_every_size_without_its_metadata,
    a_new_cover_replaces_the_old_and_a_removed_picture_is_gone,
    every_bad_upload_is_refused_and_nothing_is_stored,
);

const BOUNDARY: &str = "demeu-test-boundary-7MA4YWxkTrZu0gW";

/// A multipart/form-data body of `parts`: (name, file name if a file, content type, bytes); the
/// content type a browser would state is not sent (the server trusts no declared type).
fn form(parts: &[(&str, Option<&str>, &str, &[u8])]) -> Vec<u8> {
    let parts: Vec<(&str, Option<&str>, &[u8])> = parts.iter().map(|(n, f, _, b)| (*n, *f, *b)).collect();
    multipart(BOUNDARY, &parts)
}

async fn upload(app: &TestApp, token: &str, slug: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/staff/campaigns/{slug}/images")))
        .bearer_auth(token)
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(body)
        .send()
        .await
        .expect("sent")
}

fn cover_form(photo: &[u8], role: &str) -> Vec<u8> {
    form(&[
        ("role", None, "text/plain", role.as_bytes()),
        ("alt_ru", None, "text/plain; charset=utf-8", "Наставник и ребёнок в парке".as_bytes()),
        ("alt_en", None, "text/plain", b"A mentor and a child in a park"),
        ("file", Some("IMG_0042.JPG"), "image/jpeg", photo),
    ])
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn a_cover_is_served_in_every_size_without_its_metadata(backend: Backend) {
    let app = spawn_app(backend).await;
    let editor = app.staff_token(Role::Editor).await;
    let photo = phone_photo(2000, 1500);
    assert!(contains(&photo, b"GPSLatitude"));
    let res = upload(&app, &editor, "mentors", cover_form(&photo, "cover")).await;
    assert_eq!(res.status(), 201);
    let cover: Value = res.json().await.expect("JSON");
    assert_eq!((cover["width"].as_i64(), cover["height"].as_i64()), (Some(2000), Some(1500)));
    assert_eq!(cover["alts"]["ru"], "Наставник и ребёнок в парке");
    let variants = cover["variants"].as_array().expect("variants");
    let sizes: Vec<(i64, i64, &str)> = variants
        .iter()
        .map(|v| (v["width"].as_i64().expect("w"), v["height"].as_i64().expect("h"), v["format"].as_str().expect("f")))
        .collect();
    assert_eq!(
        sizes,
        [
            (480, 360, "webp"),
            (480, 360, "jpeg"),
            (960, 720, "webp"),
            (960, 720, "jpeg"),
            (1600, 1200, "webp"),
            (1600, 1200, "jpeg"),
            (1200, 630, "webp"),
            (1200, 630, "jpeg"),
        ]
    );
    for variant in variants {
        let url = variant["url"].as_str().expect("url");
        assert!(url.starts_with("/images/") && (url.ends_with(".webp") || url.ends_with(".jpg")), "{url}");
        let res = app.get(url).await;
        assert_eq!(res.status(), 200, "{url}");
        let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        assert_eq!(header("cache-control").as_deref(), Some("public, max-age=31536000, immutable"));
        let expected_type = if url.ends_with(".webp") { "image/webp" } else { "image/jpeg" };
        assert_eq!(header("content-type").as_deref(), Some(expected_type));
        let etag = header("etag").expect("an ETag");
        let bytes = res.bytes().await.expect("bytes");
        assert!(!contains(&bytes, b"GPS") && !contains(&bytes, b"Exif"), "{url} carries no metadata");
        let read = image::load_from_memory(&bytes).expect("a picture");
        assert_eq!(
            (i64::from(read.width()), i64::from(read.height())),
            (variant["width"].as_i64().expect("w"), variant["height"].as_i64().expect("h"))
        );
        let again = app.client.get(app.url(url)).header("if-none-match", etag).send().await.expect("sent");
        assert_eq!(again.status(), 304, "{url}");
    }
    // A WebP URL asked as JPEG, or a hash that is no picture's: not found.
    let webp = variants[0]["url"].as_str().expect("url");
    assert_eq!(app.get(&webp.replace(".webp", ".jpg")).await.status(), 404);
    assert_eq!(app.get(&format!("/images/{}.jpg", "0".repeat(64))).await.status(), 404);
    assert_eq!(app.get("/images/../../etc/passwd").await.status(), 404);

    // The campaign's answers and page show it at once.
    let public = app.get_json("/api/v1/campaigns/mentors?lang=en").await;
    assert_eq!(public["cover"]["alt"], "A mentor and a child in a park");
    assert_eq!(public["cover"]["variants"].as_array().map(Vec::len), Some(8));
    let kazakh = app.get_json("/api/v1/campaigns/mentors?lang=kk").await;
    assert_eq!(kazakh["cover"]["alt"], "Наставник и ребёнок в парке", "no Kazakh alt: the campaign's language");
    let html = app.get("/campaigns/mentors?lang=ru").await.text().await.expect("html");
    assert!(html.contains("<picture>") && html.contains("type=\"image/webp\""), "{html}");
    assert!(html.contains("480w") && html.contains("1600w"), "srcset");
    assert!(html.contains("width=\"960\" height=\"720\""), "explicit size");
    assert!(html.contains("fetchpriority=\"high\""), "the cover is fetched first");
    assert!(html.contains("alt=\"Наставник и ребёнок в парке\""));
    let share = variants.iter().find(|v| v["width"] == 1200 && v["format"] == "jpeg").expect("share");
    let og = format!(
        "<meta property=\"og:image\" content=\"http://127.0.0.1:8080{}\">",
        share["url"].as_str().expect("url")
    );
    assert!(html.contains(&og), "og:image: {html}");

    // A gallery picture: below the fold, lazy.
    let res = upload(&app, &editor, "mentors", cover_form(&phone_photo(640, 480), "gallery")).await;
    assert_eq!(res.status(), 201);
    let mut html = String::new();
    for _ in 0..20 {
        html = app.get("/campaigns/mentors?lang=ru").await.text().await.expect("html");
        if html.contains("loading=\"lazy\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(html.contains("loading=\"lazy\""), "the gallery is lazy: {html}");
    assert!(app.audit_actions().await.iter().filter(|a| *a == "picture.add").count() == 2);
}

async fn a_new_cover_replaces_the_old_and_a_removed_picture_is_gone(backend: Backend) {
    let app = spawn_app(backend).await;
    let editor = app.staff_token(Role::Editor).await;
    let first: Value = upload(&app, &editor, "mentors", cover_form(&phone_photo(1000, 700), "cover"))
        .await
        .json()
        .await
        .expect("JSON");
    let old_url = first["variants"][0]["url"].as_str().expect("url").to_string();
    let second: Value = upload(&app, &editor, "mentors", cover_form(&phone_photo(1200, 800), "cover"))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(app.get(&old_url).await.status(), 404, "the old cover's files are gone");
    assert_eq!(count(&app, "pictures").await, 1);
    assert_eq!(count(&app, "stored_files").await, 6, "the new cover's 6 variants (1200 wide: no 1600), nothing else");
    let id = second["id"].as_str().expect("id");
    let accountant = app.staff_token(Role::Accountant).await;
    let refused = app.delete_as(&accountant, &format!("/api/v1/staff/images/{id}")).await;
    assert_eq!(refused.status(), 403);
    let removed = app.delete_as(&editor, &format!("/api/v1/staff/images/{id}")).await;
    assert_eq!(removed.status(), 204);
    assert_eq!(app.get(second["variants"][0]["url"].as_str().expect("url")).await.status(), 404);
    assert_eq!((count(&app, "pictures").await, count(&app, "stored_files").await), (0, 0));
    assert_eq!(app.get_json("/api/v1/campaigns/mentors").await["cover"], Value::Null);
    let again = app.delete_as(&editor, &format!("/api/v1/staff/images/{id}")).await;
    assert_eq!(again.status(), 404);
}

async fn every_bad_upload_is_refused_and_nothing_is_stored(backend: Backend) {
    let app = spawn_app(backend).with(|s| s.limits.picture_upload_bytes = 300_000).await;
    let (editor, accountant) = (app.staff_token(Role::Editor).await, app.staff_token(Role::Accountant).await);
    let photo = phone_photo(800, 600);
    // A PNG whose header declares 50 000 × 50 000 pixels (7.5 GB decoded).
    let mut bomb = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bomb)
        .write_image(&[0u8; 3], 1, 1, image::ExtendedColorType::Rgb8)
        .expect("png");
    bomb[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    let crc = crc32fast::hash(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    let big = phone_photo(1800, 1800);
    assert!(big.len() > 300_000, "{}", big.len());
    let cases: Vec<(Vec<u8>, u16, &str, &str)> = vec![
        (cover_form(b"%PDF-1.7 pretending", "cover"), 422, "file", "is not a JPEG, PNG or WebP image"),
        (cover_form(b"GIF89a\x01\x00\x01\x00\x00\x00\x00", "cover"), 422, "file", "is not a JPEG, PNG or WebP image"),
        (cover_form(&photo[..photo.len() / 2], "cover"), 422, "file", "could not be read"),
        (cover_form(&bomb, "cover"), 422, "file", "more than the 40000000 allowed"),
        (cover_form(&big, "cover"), 413, "", ""),
        (cover_form(&photo, "poster"), 422, "role", ""),
        (cover_form(&photo, "logo"), 422, "role", ""),
        (
            form(&[
                ("role", None, "text/plain", b"cover"),
                ("alt_en", None, "text/plain", b"Only English"),
                ("file", Some("a.jpg"), "image/jpeg", &photo),
            ]),
            422,
            "alt_ru",
            "is required",
        ),
        (
            form(&[("role", None, "text/plain", b"cover"), ("alt_ru", None, "text/plain", b"x")]),
            422,
            "file",
            "is required",
        ),
        (
            form(&[
                ("role", None, "text/plain", b"cover"),
                ("alt_ru", None, "text/plain", b"x"),
                ("caption", None, "text/plain", b"x"),
                ("file", Some("a.jpg"), "image/jpeg", &photo),
            ]),
            422,
            "caption",
            "",
        ),
        (
            form(&[
                ("role", None, "text/plain", b"cover"),
                ("alt_ru", None, "text/plain", "Ребёнок\u{202e}".as_bytes()),
                ("file", Some("a.jpg"), "image/jpeg", &photo),
            ]),
            422,
            "alt_ru",
            "",
        ),
    ];
    for (i, (body, status, field, words)) in cases.into_iter().enumerate() {
        let res = upload(&app, &editor, "mentors", body).await;
        assert_eq!(res.status(), status, "case {i}");
        let problem = assert_problem(res, status).await;
        if !field.is_empty() {
            assert_eq!(problem["errors"][0]["field"], field, "{problem}");
            assert!(problem["errors"][0]["message"].as_str().expect("message").contains(words), "{problem}");
        }
    }
    let json = app.post_as(&editor, "/api/v1/staff/campaigns/mentors/images", &serde_json::json!({"file": "x"})).await;
    assert_problem(json, 415).await;
    assert_problem(upload(&app, &accountant, "mentors", cover_form(&photo, "cover")).await, 403).await;
    assert_problem(upload(&app, &editor, "no-such", cover_form(&photo, "cover")).await, 404).await;
    assert_eq!((count(&app, "pictures").await, count(&app, "stored_files").await), (0, 0), "nothing stored");
    assert!(!app.audit_actions().await.iter().any(|a| a.starts_with("picture.")));
}

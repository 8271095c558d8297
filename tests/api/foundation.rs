//! The foundation's identity (issue 23): imported once, edited by admins, shown where donors
//! look for it (the header's name and logo, the footer's details, its offer and privacy pages,
//! the receipts' legal details), every bad detail named.

use demeu_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, fresh_database, multipart, spawn_app, spawn_app_on, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    the_foundation_is_who_the_pages_say_in_each_language,
    an_admin_edits_the_details_and_receipts_carry_them,
    every_bad_detail_is_named_and_nothing_changes,
    the_identity_is_imported_once,
    the_logo_is_in_every_pages_header,
);

async fn the_foundation_is_who_the_pages_say_in_each_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let public = app.get_json("/api/v1/foundation").await;
    assert_eq!(
        public["names"],
        json!({"kk": "«Дара» қайырымдылық қоры", "ru": "Благотворительный фонд «Дара»", "en": "Dara charity foundation"})
    );
    assert_eq!(public["logo"], Value::Null);
    assert!(public.get("offer").is_none(), "the documents are pages of their own");
    for (lang, name, offer, powered) in [
        ("kk", "«Дара» қайырымдылық қоры", "Жария оферта", "Demeu платформасында"),
        ("ru", "Благотворительный фонд «Дара»", "Публичная оферта", "Работает на Demeu"),
        ("en", "Dara charity foundation", "Public offer", "Runs on Demeu"),
    ] {
        let html = app.get(&format!("/campaigns/mentors?lang={lang}")).await.text().await.expect("html");
        let header = &html[html.find("<header").expect("header")..html.find("</header>").expect("end")];
        assert!(header.contains(name), "{lang}: the header names the foundation: {header}");
        assert!(!header.contains(">Demeu<"), "{lang}: Demeu is not the brand");
        let footer = &html[html.find("<footer").expect("footer")..];
        assert!(footer.contains(&format!("href=\"/offer?lang={lang}\"")) && footer.contains(offer), "{lang}: {footer}");
        assert!(footer.contains(&format!("href=\"/privacy?lang={lang}\"")), "{lang}");
        assert!(footer.contains(powered), "{lang}: Demeu only as what it runs on");
        let page = app.get(&format!("/offer?lang={lang}")).await;
        assert_eq!(page.status(), 200);
        let page = page.text().await.expect("html");
        assert!(page.contains(&format!("<h1>{offer}</h1>")), "{lang}: {page}");
    }
    let privacy = app.get("/privacy?lang=kk").await.text().await.expect("html");
    assert!(privacy.contains("Құпиялылық саясаты"), "{privacy}");
}

async fn an_admin_edits_the_details_and_receipts_carry_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, editor) = (app.staff_token(Role::Admin).await, app.staff_token(Role::Editor).await);
    let details = json!({
        "legal_form": "Общественный фонд",
        "registration_number": "123456789012",
        "address": "Алматы, ул. Абая, 1",
        "phone": "+7 727 000 00 00",
        "email": "info@dara.kz",
        "website": "https://dara.kz",
        "bank_details": "IBAN KZ00 0000 0000 0000 0000\nАО «Банк», БИК XXXXKZKA\nКБе 18",
        "privacy": {"en": "## Privacy\n\nWe keep <script>alert(1)</script> little."}
    });
    assert_problem(app.patch_as(&editor, "/api/v1/staff/foundation", &details).await, 403).await;
    let res = app.patch_as(&admin, "/api/v1/staff/foundation", &details).await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.expect("JSON");
    assert_eq!(saved["registration_number"], "123456789012");
    assert!(saved["privacy"]["ru"].as_str().expect("kept").contains("Политика"), "languages not sent are kept");
    let audit =
        app.get_as(&admin, "/api/v1/staff/audit?action=foundation.edit").await.json::<Value>().await.expect("JSON");
    let changed = &audit["items"][0]["details"]["changed"];
    assert_eq!(
        changed,
        &json!([
            "legal_form",
            "registration_number",
            "address",
            "phone",
            "email",
            "website",
            "bank_details",
            "privacy"
        ])
    );

    // Shown at once: the footer, the public answer, the policy page (its markup not run).
    let html = app.get("/campaigns/mentors?lang=ru").await.text().await.expect("html");
    assert!(
        html.contains("Общественный фонд Благотворительный фонд «Дара», БИН 123456789012, Алматы, ул. Абая, 1"),
        "{html}"
    );
    assert!(html.contains("href=\"tel:+77270000000\"") && html.contains("mailto:info@dara.kz"));
    assert!(html.contains("КБе 18"), "bank details for transfers");
    let privacy = app.get("/privacy?lang=en").await.text().await.expect("html");
    assert!(privacy.contains("We keep") && !privacy.contains("<script>alert"), "{privacy}");
    assert_eq!(app.get_json("/api/v1/foundation").await["address"], "Алматы, ул. Абая, 1");

    // A receipt carries the legal details.
    let created = app
        .post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 500_000, "email": "donor@example.kz"}))
        .await
        .json::<Value>()
        .await
        .expect("JSON");
    let checkout =
        created["checkout_url"].as_str().expect("url").trim_start_matches("http://127.0.0.1:8080").to_string();
    app.client.post(app.url(&format!("{checkout}/pay"))).send().await.expect("paid");
    let receipt = outbox_text(&app, "receipt").await;
    assert!(
        receipt.contains("Общественный фонд Благотворительный фонд «Дара», БИН 123456789012, Алматы, ул. Абая, 1"),
        "{receipt}"
    );
}

async fn outbox_text(app: &TestApp, kind: &'static str) -> String {
    app.pool
        .run(move |conn| {
            use demeu_db::schema::mail_outbox as m;
            use diesel::prelude::*;
            m::table
                .filter(m::kind.eq(kind))
                .select(m::text_body)
                .first::<String>(conn)
                .map_err(demeu_db::DbError::from)
        })
        .await
        .expect("a mail")
}

async fn every_bad_detail_is_named_and_nothing_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.staff_token(Role::Admin).await;
    let before = app.get_as(&admin, "/api/v1/staff/foundation").await.json::<Value>().await.expect("JSON");
    for (body, fields) in [
        (json!({"registration_number": "12345"}), vec!["registration_number"]),
        (json!({"registration_number": "12345678901a"}), vec!["registration_number"]),
        (json!({"email": "info at dara"}), vec!["email"]),
        (json!({"website": "javascript:alert(1)"}), vec!["website"]),
        (json!({"names": {"kz": "Дара"}}), vec!["names.kz"]),
        (json!({"names": {"kk": "", "ru": "", "en": ""}}), vec!["names"]),
        (json!({"offer": {"de": "x"}, "address": "x".repeat(301)}), vec!["offer.de", "address"]),
        (json!({"phone": "+7\u{202e}727"}), vec!["phone"]),
        (json!({"colour": "red"}), vec![]),
    ] {
        let problem = assert_problem(app.patch_as(&admin, "/api/v1/staff/foundation", &body).await, 422).await;
        let named: Vec<&str> = problem["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        for field in fields {
            assert!(named.contains(&field), "{field}: {problem}");
        }
    }
    let after = app.get_as(&admin, "/api/v1/staff/foundation").await.json::<Value>().await.expect("JSON");
    assert_eq!(before, after, "nothing changed");
}

async fn the_identity_is_imported_once(backend: Backend) {
    let database = fresh_database(backend);
    let first = spawn_app_on(&database).await;
    let admin = first.staff_token(Role::Admin).await;
    let res = first.patch_as(&admin, "/api/v1/staff/foundation", &json!({"names": {"en": "Dara foundation"}})).await;
    assert_eq!(res.status(), 200);
    drop(first);
    let second = spawn_app_on(&database)
        .with(|s| {
            s.foundation.names.insert("en".into(), "From the file".into());
            s.foundation.registration_number = "999999999999".into();
        })
        .await;
    let public = second.get_json("/api/v1/foundation").await;
    assert_eq!(public["names"]["en"], "Dara foundation", "the admin's edit stands");
    assert_eq!(public["registration_number"], "", "configuration is not read again");
}

async fn the_logo_is_in_every_pages_header(backend: Backend) {
    let app = spawn_app(backend).await;
    let editor = app.staff_token(Role::Editor).await;
    let mut png = Vec::new();
    let pixels = image::RgbImage::from_fn(600, 200, |x, _| image::Rgb([(x % 256) as u8, 80, 160]));
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        pixels.as_raw(),
        600,
        200,
        image::ExtendedColorType::Rgb8,
    )
    .expect("png");
    let boundary = "logo-boundary-42";
    let body =
        multipart(boundary, &[("alt_ru", None, "Логотип фонда «Дара»".as_bytes()), ("file", Some("logo.png"), &png)]);
    let res = app
        .client
        .post(app.url("/api/v1/staff/foundation/logo"))
        .bearer_auth(&editor)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 201);
    let logo: Value = res.json().await.expect("JSON");
    assert_eq!(logo["role"], "logo");
    let url = logo["variants"][0]["url"].as_str().expect("url");
    assert_eq!(logo["variants"][0]["width"], 480);
    for path in ["/campaigns/mentors?lang=en", "/offer?lang=kk", "/privacy"] {
        let html = app.get(path).await.text().await.expect("html");
        let header = &html[html.find("<header").expect("header")..html.find("</header>").expect("end")];
        assert!(
            header.contains(&format!("src=\"{url}\"")) && header.contains("height=\"40\" width=\"120\""),
            "{path}: {header}"
        );
        // Issue 24: the site's icon is the foundation's logo when it has one.
        let head = &html[..html.find("</head>").expect("head")];
        assert!(head.contains("rel=\"icon\"") && head.contains(&format!("href=\"{url}\"")), "{path}: {head}");
    }
    assert_eq!(app.get_json("/api/v1/foundation?lang=en").await["logo"]["alt"], "Логотип фонда «Дара»");
}

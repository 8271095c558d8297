//! Campaigns and the foundation in the console (issue 23): an admin creates a draft from the
//! form, previews and opens it; an editor writes its words and uploads its cover; a refused
//! form comes back as typed with each field said; the foundation's details saved.

use demeu_api::auth::Role;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::Value;

use crate::console::{client, console_session, csrf_in, get, html, post};
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    an_admin_creates_previews_and_opens_a_campaign_from_the_console,
    an_editor_writes_the_words_and_uploads_the_cover,
    a_refused_campaign_form_comes_back_as_typed,
    an_admin_keeps_the_foundations_details,
);

fn autumn_form(csrf: &str) -> Vec<(&'static str, String)> {
    let mut form: Vec<(&'static str, String)> = vec![
        ("csrf", csrf.to_string()),
        ("slug", "autumn".into()),
        ("locale", "ru".into()),
        ("title_kk", "Күзгі мектеп".into()),
        ("title_ru", "Осенняя школа".into()),
        ("title_en", "Autumn School".into()),
        ("summary_ru", "Вторая школа наставников.".into()),
        ("story_ru", "## Зачем\n\nЧтобы у детей были наставники.".into()),
        ("currency", "KZT".into()),
        ("goal", "225 000".into()),
        ("min_pledge", "500".into()),
        ("max_pledge", "5000000".into()),
        ("starts_on", "2026-09-01".into()),
        ("last_day", "".into()),
        ("line_key_0", "school".into()),
        ("line_tier_0", "goal".into()),
        ("line_target_0", "225000".into()),
        ("line_title_ru_0", "Школа".into()),
        ("line_title_kk_0", "Мектеп".into()),
        ("line_title_en_0", "School".into()),
        ("line_key_1", "".into()),
        ("line_tier_1", "goal".into()),
        ("line_target_1", "".into()),
        ("preset_amount_0", "5000".into()),
        ("preset_label_ru_0", "час психолога".into()),
        ("preset_amount_1", "10000".into()),
        ("preset_default", "1".into()),
        ("preset_amount_2", "".into()),
        ("action", "save".into()),
    ];
    form.retain(|(name, _)| *name != "action");
    form
}

async fn post_owned(app: &TestApp, cookie: &str, path: &str, form: &[(&'static str, String)]) -> reqwest::Response {
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post(app, cookie, path, &borrowed).await
}

async fn an_admin_creates_previews_and_opens_a_campaign_from_the_console(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, _) = console_session(&app, Role::Admin).await;
    let list = html(get(&app, &admin, "/staff/campaigns").await).await;
    assert!(list.contains("href=\"/staff/campaigns/mentors\"") && list.contains("New campaign"), "{list}");
    let csrf = csrf_in(&list);
    let res = post_owned(&app, &admin, "/staff/campaigns", &autumn_form(&csrf)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers().get(LOCATION).and_then(|v| v.to_str().ok()), Some("/staff/campaigns/autumn"));
    let made = app
        .get_as(&app.staff_token(Role::Admin).await, "/api/v1/staff/campaigns/autumn")
        .await
        .json::<Value>()
        .await
        .expect("JSON");
    assert_eq!((made["state"].as_str(), made["goal"].as_i64()), (Some("draft"), Some(22_500_000)));
    assert_eq!(made["presets"][0]["amount"], 500_000);
    assert_eq!(
        (made["presets"][0]["default"].as_bool(), made["presets"][1]["default"].as_bool()),
        (Some(false), Some(true))
    );
    let form = html(get(&app, &admin, "/staff/campaigns/autumn").await).await;
    assert!(form.contains("name=\"preset_default\" value=\"1\" checked"), "the form shows the choice: {form}");
    assert!(form.contains("name=\"allows_monthly\" value=\"on\" checked"), "monthly gifts taken unless said");
    assert_eq!(made["starts_at"], "2026-08-31T19:00:00Z", "the first day begins in Almaty");
    assert_eq!(made["ends_at"], Value::Null);
    // The draft: its preview for staff, nothing for the public.
    let preview = html(get(&app, &admin, "/staff/campaigns/autumn/preview").await).await;
    assert!(preview.contains("Autumn School") && preview.contains("Preview:"), "{preview}");
    assert_eq!(app.get("/campaigns/autumn").await.status(), 404);
    let page = html(get(&app, &admin, "/staff/campaigns/autumn").await).await;
    assert!(page.contains("value=\"Осенняя школа\""), "the form filled in");
    let res = post(&app, &admin, "/staff/campaigns/autumn", &[("csrf", &csrf), ("action", "open")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.get("/campaigns/autumn?lang=kk").await.status(), 200, "open: public");
    // Closing, continuing as the Mentors.
    let res = post(
        &app,
        &admin,
        "/staff/campaigns/autumn",
        &[("csrf", &csrf), ("action", "close"), ("continues_as", "mentors")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let closed = app.get_json("/api/v1/campaigns/autumn").await;
    assert_eq!(closed["status"], "ended");
}

async fn an_editor_writes_the_words_and_uploads_the_cover(backend: Backend) {
    let app = spawn_app(backend).await;
    let (editor, _) = console_session(&app, Role::Editor).await;
    let page = html(get(&app, &editor, "/staff/campaigns/mentors").await).await;
    assert!(page.contains("Only an admin changes the money"), "{page}");
    assert!(!page.contains("value=\"open\"") && !page.contains("value=\"close\""), "no state actions for an editor");
    let csrf = csrf_in(&page);
    // The whole form as it came, with a new English title: words only.
    let mut form = form_fields(&page);
    form.retain(|(k, _)| k != "title_en");
    form.push(("title_en".into(), "The Mentors".into()));
    let pairs: Vec<(&str, &str)> =
        form.iter().map(|(k, v)| (k.as_str(), v.as_str())).chain([("action", "save")]).collect();
    let res = post(&app, &editor, "/staff/campaigns/mentors", &pairs).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap_or_default());
    assert_eq!(app.get_json("/api/v1/campaigns/mentors?lang=en").await["title"], "The Mentors");
    // Money changed by an editor: refused by name.
    let mut money = form.clone();
    money.retain(|(k, _)| k != "goal");
    money.push(("goal".into(), "1000000".into()));
    let pairs: Vec<(&str, &str)> =
        money.iter().map(|(k, v)| (k.as_str(), v.as_str())).chain([("action", "save")]).collect();
    assert_eq!(post(&app, &editor, "/staff/campaigns/mentors", &pairs).await.status(), 403);
    assert_eq!(app.get_json("/api/v1/campaigns/mentors").await["goal"], 52_500_000);

    // The cover, uploaded as a browser sends the form (its token first).
    let photo = {
        let pixels = image::RgbImage::from_fn(1000, 600, |x, y| image::Rgb([(x % 200) as u8, (y % 200) as u8, 50]));
        let mut jpeg = Vec::new();
        image::ImageEncoder::write_image(
            image::codecs::jpeg::JpegEncoder::new(&mut jpeg),
            pixels.as_raw(),
            1000,
            600,
            image::ExtendedColorType::Rgb8,
        )
        .expect("jpeg");
        jpeg
    };
    let multipart = |token: &str| {
        let boundary = "console-upload-boundary";
        let body = crate::helpers::multipart(
            boundary,
            &[
                ("csrf", None, token.as_bytes()),
                ("role", None, b"cover"),
                ("alt_ru", None, "Дети и наставники".as_bytes()),
                ("file", Some("cover.jpg"), &photo),
            ],
        );
        (format!("multipart/form-data; boundary={boundary}"), body)
    };
    let send = |token: String| {
        let (content_type, body) = multipart(&token);
        client()
            .post(app.url("/staff/campaigns/mentors/pictures"))
            .header(COOKIE, format!("{editor}; lang=en"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    assert_eq!(send("forged".into()).await.expect("sent").status(), 403, "a forged token: nothing read");
    let res = send(csrf.clone()).await.expect("sent");
    assert_eq!(res.status(), 303);
    let cover = &app.get_json("/api/v1/campaigns/mentors").await["cover"];
    assert_eq!(cover["alt"], "Дети и наставники");
    let page = html(get(&app, &editor, "/staff/campaigns/mentors").await).await;
    assert!(page.contains("/staff/pictures/"), "a remove button for it");
}

/// Every `name="…" value="…"` input and textarea of the campaign form, as a browser sends it.
fn form_fields(page: &str) -> Vec<(String, String)> {
    let form = &page[page.find("form class=\"campaign\"").expect("the form")..];
    let form = &form[..form.find("</form>").expect("its end")];
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find("name=\"") {
        let tag_start = rest[..at].rfind('<').unwrap_or(0);
        let tag = &rest[tag_start..];
        let name_start = at + 6;
        let name = rest[name_start..name_start + rest[name_start..].find('"').expect("end")].to_string();
        let value = if tag.starts_with("<textarea") {
            let open = tag.find('>').expect(">") + 1;
            html_unescape(&tag[open..tag.find("</textarea>").expect("close")])
        } else if tag.starts_with("<select") {
            let body = &tag[..tag.find("</select>").expect("close")];
            body.find("selected")
                .and_then(|s| {
                    let before = &body[..s];
                    let v = before.rfind("value=\"")? + 7;
                    Some(before[v..v + before[v..].find('"')?].to_string())
                })
                .unwrap_or_default()
        } else {
            let end = tag.find('>').expect(">");
            tag[..end]
                .find("value=\"")
                .map(|v| html_unescape(&tag[v + 7..v + 7 + tag[v + 7..].find('"').expect("q")]))
                .unwrap_or_default()
        };
        if name != "action" && !tag.starts_with("<button") {
            out.push((name, value));
        }
        rest = &rest[name_start..];
    }
    out
}

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

async fn a_refused_campaign_form_comes_back_as_typed(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, _) = console_session(&app, Role::Admin).await;
    let csrf = csrf_in(&html(get(&app, &admin, "/staff/campaigns").await).await);
    let mut form = autumn_form(&csrf);
    for (name, value) in form.iter_mut() {
        match *name {
            "slug" => *value = "Autumn!".into(),
            "title_ru" => *value = String::new(),
            "goal" => *value = "двести".into(),
            _ => {}
        }
    }
    let res = post_owned(&app, &admin, "/staff/campaigns", &form).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.expect("html");
    assert!(page.contains("value=\"Autumn!\"") && page.contains("value=\"Күзгі мектеп\""), "as typed");
    assert!(
        page.contains("Goal (the goal lines&#39; sum)") || page.contains("Goal (the goal lines' sum)"),
        "the field said: {page}"
    );
    // Then fixed amounts, still a bad slug and no Russian title: both said.
    for (name, value) in form.iter_mut() {
        if *name == "goal" {
            *value = "225000".into();
        }
    }
    let page = post_owned(&app, &admin, "/staff/campaigns", &form).await.text().await.expect("html");
    assert!(page.contains("Name in the address"), "the slug said: {page}");
    assert!(page.contains("Title (ru)"), "the missing title said");
    assert!(
        app.get_json("/api/v1/campaigns").await["campaigns"].as_array().is_some_and(|c| c.len() == 1),
        "nothing stored"
    );
    // An open campaign's money without a reason.
    let page = html(get(&app, &admin, "/staff/campaigns/mentors").await).await;
    let mut fields = form_fields(&page);
    fields.retain(|(k, _)| k != "min_pledge");
    fields.push(("min_pledge".into(), "1000".into()));
    let pairs: Vec<(&str, &str)> =
        fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).chain([("action", "save")]).collect();
    let res = post(&app, &admin, "/staff/campaigns/mentors", &pairs).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("html").contains("Reason (required"), "the reason asked for");
}

async fn an_admin_keeps_the_foundations_details(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, _) = console_session(&app, Role::Admin).await;
    let (editor, _) = console_session(&app, Role::Editor).await;
    assert_eq!(get(&app, &editor, "/staff/foundation").await.status(), 403);
    let page = html(get(&app, &admin, "/staff/foundation").await).await;
    assert!(page.contains("value=\"Dara charity foundation\""), "{page}");
    let csrf = csrf_in(&page);
    let refused = post(
        &app,
        &admin,
        "/staff/foundation",
        &[("csrf", &csrf), ("name_ru", "Фонд «Дара»"), ("registration_number", "123")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.expect("html").contains("value=\"123\""), "as typed");
    let saved = post(
        &app,
        &admin,
        "/staff/foundation",
        &[("csrf", &csrf), ("name_ru", "Фонд «Дара»"), ("registration_number", "123456789012")],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let public = app.get_json("/api/v1/foundation").await;
    assert_eq!(
        (public["names"]["ru"].as_str(), public["registration_number"].as_str()),
        (Some("Фонд «Дара»"), Some("123456789012"))
    );
    assert_eq!(public["names"]["en"], Value::Null, "the console's form sends every language: an empty one is removed");
}

//! Campaigns live in the database (issue 23): configuration's are imported once and never
//! overwrite what staff changed; texts are read in the reader's language; a draft is for staff
//! only; a closed campaign takes no new gifts but counts the checkouts begun before.

use reqwest::header::{ACCEPT_LANGUAGE, VARY};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, campaign, fresh_database, spawn_app, spawn_app_on, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    configuration_is_imported_once_and_a_restart_changes_nothing,
    an_installation_from_before_keeps_its_campaign_and_takes_configurations_texts_once,
    texts_are_read_in_the_readers_language,
    a_draft_is_for_staff_only,
    a_closed_campaign_shows_what_was_raised_and_takes_no_gifts,
    the_index_lists_open_campaigns_and_closed_ones_apart,
);

async fn stored(app: &TestApp, slug: &'static str) -> donations::campaign::Campaign {
    app.pool.run(move |conn| donations::campaign::find_by_slug(conn, slug)).await.expect("stored")
}

async fn configuration_is_imported_once_and_a_restart_changes_nothing(backend: Backend) {
    let database = fresh_database(backend);
    let first = spawn_app_on(&database).await;
    let imported = stored(&first, "mentors").await;
    assert_eq!(imported.spec.titles.kk, "Тәлімгерлер");
    assert_eq!(imported.spec.presets.len(), 4);
    // What staff change (here straight in the database, as the console will).
    first
        .execute_sql("UPDATE campaigns SET title_ru = 'Наставники: исправлено', min_pledge = 100000")
        .await
        .expect("sql");
    first.execute_sql("UPDATE campaign_presets SET amount = 300000 WHERE position = 0").await.expect("sql");
    drop(first);

    // Configuration changed meanwhile, and a campaign added to it.
    let second = spawn_app_on(&database)
        .with(|s| {
            s.campaigns[0].titles.insert("ru".into(), "Из конфигурации".into());
            s.campaigns[0].min_pledge = 70_000;
            s.campaigns.push(campaign("autumn", "2026-09-01T00:00:00+05:00", None, 1_000_000));
        })
        .await;
    let kept = stored(&second, "mentors").await;
    assert_eq!(kept.spec.titles.ru, "Наставники: исправлено", "staff's title stands");
    assert_eq!(kept.spec.min_pledge.minor, 100_000, "staff's limit stands");
    assert_eq!(kept.spec.presets[0].amount.minor, 300_000, "staff's preset stands");
    let slugs = |list: &Value| -> Vec<String> {
        list["campaigns"].as_array().expect("list").iter().map(|c| c["slug"].as_str().expect("slug").into()).collect()
    };
    assert_eq!(slugs(&second.get_json("/api/v1/campaigns").await), ["autumn", "mentors"], "a new one is imported");
    drop(second);

    // Configuration without either: the database is their home now.
    let third = spawn_app_on(&database).with(|s| s.campaigns.clear()).await;
    assert_eq!(slugs(&third.get_json("/api/v1/campaigns").await), ["autumn", "mentors"]);
    assert_eq!(stored(&third, "mentors").await.spec.titles.ru, "Наставники: исправлено");
}

/// The first start after the upgrade: migration 000012 moved the one title the row had into its
/// language's column; the start then takes configuration's texts, presets and plan titles a last
/// time, and never again.
async fn an_installation_from_before_keeps_its_campaign_and_takes_configurations_texts_once(backend: Backend) {
    let database = fresh_database(backend);
    let app = spawn_app_on(&database).await;
    let id = app.pledge(500_000).await;
    app.pool
        .run(|conn| {
            use diesel::connection::SimpleConnection;
            while !demeu_db::revert_last_migration(conn)?.ends_with("000012") {}
            // As the release before kept it: one title, one description, English line titles.
            conn.batch_execute(
                "UPDATE campaigns SET title = 'Наставники / Mentors', description = 'Old words'; \
                 UPDATE budget_lines SET title = 'Old line title'",
            )?;
            demeu_db::run_migrations(conn)?;
            Ok::<_, demeu_db::DbError>(())
        })
        .await
        .expect("upgraded");
    let migrated = stored(&app, "mentors").await;
    assert_eq!(migrated.spec.titles.ru, "Наставники / Mentors", "the old title, in the campaign's language");
    assert_eq!((migrated.spec.titles.kk.as_str(), migrated.spec.titles.en.as_str()), ("", ""));
    assert_eq!(migrated.spec.summaries.ru, "Old words");
    assert_eq!(migrated.spec.plan.lines()[0].titles.ru, "Old line title");
    assert!(migrated.spec.presets.is_empty(), "presets were configuration's only");
    // The row is the release before's: no import recorded.
    app.execute_sql("UPDATE campaigns SET imported_from = NULL").await.expect("sql");
    drop(app);

    let restarted = spawn_app_on(&database).await;
    let adopted = stored(&restarted, "mentors").await;
    assert_eq!(adopted.id, migrated.id, "the same campaign, its pledges with it");
    assert_eq!(adopted.spec.titles.kk, "Тәлімгерлер");
    assert_eq!(adopted.spec.titles.ru, "Наставники");
    assert_eq!(adopted.spec.plan.lines()[0].titles.ru, "Школа наставников этим летом (два дня обучения)");
    assert_eq!(adopted.spec.presets.len(), 4);
    let pledge = restarted.get_json(&format!("/api/v1/pledges/{id}")).await;
    assert_eq!(pledge["campaign"], "mentors");
    restarted.execute_sql("UPDATE campaigns SET title_ru = 'Staff wrote this'").await.expect("sql");
    drop(restarted);
    let again = spawn_app_on(&database).await;
    assert_eq!(stored(&again, "mentors").await.spec.titles.ru, "Staff wrote this", "adopted once only");
}

async fn texts_are_read_in_the_readers_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let read = |path: &'static str, language: Option<&'static str>| {
        let mut req = app.client.get(app.url(path));
        if let Some(language) = language {
            req = req.header(ACCEPT_LANGUAGE, language);
        }
        async move {
            let res = req.send().await.expect("sent");
            assert_eq!(res.status(), 200, "{path}");
            assert_eq!(res.headers().get(VARY).and_then(|v| v.to_str().ok()), Some("Accept-Language"), "{path}");
            res.json::<Value>().await.expect("JSON")
        }
    };
    let own = read("/api/v1/campaigns/mentors", None).await;
    assert_eq!(own["title"], "Наставники", "the campaign's own language by default");
    assert_eq!(own["titles"], json!({"kk": "Тәлімгерлер", "ru": "Наставники", "en": "Mentors"}));
    assert_eq!(own["days_left"], Value::Null, "open-ended");
    assert!(own["summary"].as_str().expect("summary").starts_with("Проект «Наставники»"));
    assert_eq!(own["description"], own["summary"]);
    let kazakh = read("/api/v1/campaigns/mentors?lang=kk", None).await;
    assert_eq!(kazakh["title"], "Тәлімгерлер");
    assert_eq!(kazakh["allocation"][0]["title"], "Жазғы Тәлімгерлер мектебі (екі күндік тренинг)");
    assert_eq!(kazakh["allocation"][0]["titles"]["en"], "School of Mentors this summer (two days of training)");
    let english = read("/api/v1/campaigns/mentors", Some("en-GB,en;q=0.9,ru;q=0.5")).await;
    assert_eq!(english["title"], "Mentors");
    let listed = read("/api/v1/campaigns?lang=en", None).await;
    assert_eq!(listed["campaigns"][0]["title"], "Mentors");
    let listed = read("/api/v1/campaigns", Some("de")).await;
    assert_eq!(listed["campaigns"][0]["title"], "Наставники", "a language the site lacks: the campaign's own");

    // The page: one title per language, never "Наставники / Mentors".
    for (lang, title, line) in [
        ("kk", "Тәлімгерлер", "Жазғы Тәлімгерлер мектебі"),
        ("ru", "Наставники", "Школа наставников этим летом"),
        ("en", "Mentors", "School of Mentors this summer"),
    ] {
        let html = app.get(&format!("/campaigns/mentors?lang={lang}")).await.text().await.expect("html");
        assert!(html.contains(&format!("<h1>{title}</h1>")), "{lang}: {html}");
        assert!(html.contains(line), "{lang}: the plan line's title");
        assert!(!html.contains("Наставники / Mentors"), "{lang}");
    }

    // A preset's label, where the campaign has one, beside its amount.
    app.execute_sql("UPDATE campaign_presets SET label_ru = 'час работы психолога' WHERE amount = 500000")
        .await
        .expect("sql");
    app.execute_sql("UPDATE campaigns SET updated_at = CURRENT_TIMESTAMP").await.expect("sql");
    let html = loop_until(&app, "/campaigns/mentors?lang=ru", "час работы психолога").await;
    assert!(html.contains("час работы психолога"));
}

/// The page as served once `expected` is in it (a change made straight in the database shows
/// at the server's next look, every 250 ms), or as it is after two seconds.
async fn loop_until(app: &TestApp, path: &str, expected: &str) -> String {
    let mut html = String::new();
    for _ in 0..20 {
        html = app.get(path).await.text().await.expect("html");
        if html.contains(expected) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    html
}

async fn a_draft_is_for_staff_only(backend: Backend) {
    let app = spawn_app(backend)
        .with(|s| s.campaigns.push(campaign("autumn", "2026-09-01T00:00:00+05:00", None, 1_000_000)))
        .await;
    app.execute_sql("UPDATE campaigns SET state = 'draft' WHERE slug = 'autumn'").await.expect("sql");
    let listed = app.campaign_once(|_| true).await;
    assert_eq!(listed["slug"], "mentors");
    // The snapshot sees the change at its next look.
    let mut slugs = Vec::new();
    for _ in 0..20 {
        let list = app.get_json("/api/v1/campaigns").await;
        slugs = list["campaigns"].as_array().expect("list").iter().map(|c| c["slug"].to_string()).collect();
        if slugs.len() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(slugs, ["\"mentors\""], "a draft is not listed");
    for path in [
        "/api/v1/campaigns/autumn",
        "/api/v1/campaigns/autumn/pledges",
        "/api/v1/campaigns/autumn/news",
        "/campaigns/autumn",
        "/campaigns/autumn/news.atom",
        "/embed/campaigns/autumn",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    let refused = app.post_json("/api/v1/campaigns/autumn/pledges", &json!({"amount": 500_000})).await;
    assert_problem(refused, 404).await;
    let comment = app.post_json("/api/v1/campaigns/autumn/comments", &json!({"name": "A", "body": "Hi"})).await;
    assert_problem(comment, 404).await;
    // The index lists only the public one: it goes straight to it.
    let index = app.client.get(app.url("/")).send().await.expect("sent");
    assert_eq!(index.url().path(), "/campaigns/mentors");
}

async fn a_closed_campaign_shows_what_was_raised_and_takes_no_gifts(backend: Backend) {
    let app = spawn_app(backend).await;
    let paid = app.post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 500_000})).await;
    let paid: Value = paid.json().await.expect("JSON");
    let pending = app.post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 700_000})).await;
    let pending: Value = pending.json().await.expect("JSON");
    let pay = |created: &Value| {
        let path = created["checkout_url"].as_str().expect("url").trim_start_matches("http://127.0.0.1:8080");
        app.client.post(app.url(&format!("{path}/pay"))).send()
    };
    assert_eq!(pay(&paid).await.expect("sent").status(), 200);
    app.execute_sql(
        "UPDATE campaigns SET state = 'closed', closed_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP",
    )
    .await
    .expect("sql");
    let closed = app.campaign_once(|c| c["status"] == "ended").await;
    assert_eq!((closed["status"].as_str(), closed["raised"].as_i64()), (Some("ended"), Some(500_000)));
    assert_eq!(closed["days_left"], Value::Null, "open-ended, closed by staff");

    let refused = app.post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 500_000})).await;
    let problem = assert_problem(refused, 422).await;
    assert_eq!(problem["errors"][0]["field"], "campaign");
    // The checkout begun before the close is paid after it: it counts.
    assert_eq!(pay(&pending).await.expect("sent").status(), 200);
    let counted = app.campaign_once(|c| c["raised"] == 1_200_000).await;
    assert_eq!(counted["raised"], 1_200_000);

    let html = app.get("/campaigns/mentors?lang=ru").await.text().await.expect("html");
    assert!(html.contains("Сбор завершён"), "the page says it is closed: {html}");
    assert!(html.contains("12 000 ₸"), "and what was raised");
    assert!(html.contains("Сейчас кампания не принимает пожертвования"), "no give form");
    assert!(!html.contains("action=\"/campaigns/mentors/give"), "no give form");
    let form = app
        .client
        .post(app.url("/campaigns/mentors/give?lang=ru"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("preset=500000&key=k")
        .send()
        .await
        .expect("sent");
    assert_eq!(form.status(), 422);
    let html = form.text().await.expect("html");
    assert!(html.contains("Сейчас кампания не принимает пожертвования"), "a clear page: {html}");
}

async fn the_index_lists_open_campaigns_and_closed_ones_apart(backend: Backend) {
    let ends = (chrono::Utc::now() + chrono::Duration::days(10)).to_rfc3339();
    let app = spawn_app(backend)
        .with(move |s| {
            s.campaigns.push(campaign("autumn", "2026-09-01T00:00:00+05:00", Some(&ends), 1_000_000));
            s.campaigns.push(campaign("spring", "2026-03-01T00:00:00+05:00", None, 1_000_000));
            s.campaigns.push(campaign("draft", "2026-03-01T00:00:00+05:00", None, 1_000_000));
        })
        .await;
    app.execute_sql("UPDATE campaigns SET state = 'closed', closed_at = CURRENT_TIMESTAMP WHERE slug = 'spring'")
        .await
        .expect("sql");
    app.execute_sql("UPDATE campaigns SET state = 'draft' WHERE slug = 'draft'").await.expect("sql");
    let res = app.get("/?lang=en").await;
    assert_eq!(res.status(), 200, "several campaigns: a list, not a redirect");
    let html = res.text().await.expect("html");
    let closed_at = html.find("Closed campaigns").expect("the closed ones apart");
    let position = |slug: &str| {
        html.find(&format!("href=\"/campaigns/{slug}?lang=en\"")).unwrap_or_else(|| panic!("{slug} listed: {html}"))
    };
    assert!(position("autumn") < closed_at && position("mentors") < closed_at, "open ones first");
    assert!(position("spring") > closed_at, "the closed one apart");
    assert!(!html.contains("/campaigns/draft"), "no draft");
    assert!(html.contains("10 days left"), "days left: {html}");
}

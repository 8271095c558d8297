//! News posts, the Atom feed and comments over HTTP.

use std::str::FromStr;

use demeu_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(
    posts_are_sanitized_and_only_published_ones_show,
    the_atom_feed_lists_published_posts,
    comments_appear_after_approval,
    spam_and_floods_are_refused,
    news_routes_need_an_editor,
    a_post_marks_a_plan_line_done_on_the_campaign_page,
);

async fn posts_are_sanitized_and_only_published_ones_show(backend: Backend) {
    let app = spawn_app(backend).await;
    let editor = app.staff_token(Role::Editor).await;
    let body = "# Report\n\nAll <script>alert(1)</script> good. <img src=x onerror=alert(2)> [x](javascript:alert(3))";
    let res = app
        .post_as(
            &editor,
            "/api/v1/staff/campaigns/mentors/news",
            &json!({"title": "Отчёт за ноябрь", "body_markdown": body}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let draft: Value = res.json().await.expect("JSON");
    assert_eq!(draft["slug"], "otchet-za-noyabr");
    assert_eq!(draft["status"], "draft");
    let html = draft["html"].as_str().expect("html").to_lowercase();
    for bad in ["<script", "onerror", "javascript:"] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    let list = app.get_json("/api/v1/campaigns/mentors/news").await;
    assert_eq!(list["posts"].as_array().map(Vec::len), Some(0), "drafts are not news");
    assert_problem(app.get("/api/v1/campaigns/mentors/news/otchet-za-noyabr").await, 404).await;
    let id = draft["id"].as_str().expect("id");
    app.post_as(&editor, &format!("/api/v1/staff/news/{id}/publish"), &json!({})).await;
    let post = app.get_json("/api/v1/campaigns/mentors/news/otchet-za-noyabr").await;
    assert_eq!(post["title"], "Отчёт за ноябрь");
    assert!(post["html"].as_str().is_some_and(|h| h.contains("<h1>Report</h1>")));
    assert!(post["published_at"].is_string());
    let same_slug = app
        .post_as(
            &editor,
            "/api/v1/staff/campaigns/mentors/news",
            &json!({"title": "Отчёт за ноябрь", "body_markdown": "x"}),
        )
        .await;
    assert_eq!(assert_problem(same_slug, 422).await["errors"][0]["field"], "slug");
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/staff/news/{id}")))
        .bearer_auth(&editor)
        .send()
        .await
        .expect("sent");
    assert_problem(res, 409).await;
    let other: Value = app
        .post_as(
            &editor,
            "/api/v1/staff/campaigns/mentors/news",
            &json!({"title": "Draft", "body_markdown": "x", "slug": "draft-1"}),
        )
        .await
        .json()
        .await
        .expect("JSON");
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/staff/news/{}", other["id"].as_str().expect("id"))))
        .bearer_auth(&editor)
        .send()
        .await;
    assert_eq!(res.expect("sent").status(), 204);
    let bad =
        app.post_as(&editor, "/api/v1/staff/campaigns/mentors/news", &json!({"title": "", "body_markdown": ""})).await;
    assert_problem(bad, 422).await;
}

async fn the_atom_feed_lists_published_posts(backend: Backend) {
    let app = spawn_app(backend).await;
    let editor = app.staff_token(Role::Editor).await;
    for (title, publish) in [("First news", true), ("Still a draft", false), ("Second news", true)] {
        let post: Value = app
            .post_as(
                &editor,
                "/api/v1/staff/campaigns/mentors/news",
                &json!({"title": title, "body_markdown": format!("About {title}")}),
            )
            .await
            .json()
            .await
            .expect("JSON");
        if publish {
            app.post_as(
                &editor,
                &format!("/api/v1/staff/news/{}/publish", post["id"].as_str().expect("id")),
                &json!({}),
            )
            .await;
        }
    }
    let res = app.get("/campaigns/mentors/news.atom").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().expect("ascii").starts_with("application/atom+xml"));
    let xml = res.text().await.expect("xml");
    let feed = atom_syndication::Feed::from_str(&xml).expect("valid Atom");
    let titles: Vec<String> = feed.entries().iter().map(|e| e.title().value.clone()).collect();
    assert_eq!(titles, ["Second news", "First news"]);
    assert!(xml.contains("xmlns=\"http://www.w3.org/2005/Atom\""));
    assert!(feed.entries().iter().all(|e| e.content().and_then(|c| c.value()).is_some_and(|v| v.contains("About"))));
    assert_problem(app.get("/campaigns/nope/news.atom").await, 404).await;
}

async fn comments_appear_after_approval(backend: Backend) {
    let app = spawn_app(backend).await;
    let path = "/api/v1/campaigns/mentors/comments";
    let mut ids = Vec::new();
    for (name, body) in [("Асель", "Спасибо за ваш труд!"), ("Bolat", "Keep going <b>please</b>")]
    {
        let res = app.post_json(path, &json!({"name": name, "body": body})).await;
        assert_eq!(res.status(), 202);
        let accepted: Value = res.json().await.expect("JSON");
        assert_eq!(accepted["status"], "pending");
        ids.push(accepted["id"].as_str().expect("id").to_string());
    }
    assert_eq!(app.get_json(path).await["comments"].as_array().map(Vec::len), Some(0), "nothing before moderation");
    let editor = app.staff_token(Role::Editor).await;
    let pending: Value = app.get_as(&editor, "/api/v1/staff/comments?status=pending").await.json().await.expect("JSON");
    assert_eq!(pending["comments"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        app.post_as(&editor, &format!("/api/v1/staff/comments/{}/approve", ids[1]), &json!({})).await.status(),
        200
    );
    assert_eq!(
        app.post_as(&editor, &format!("/api/v1/staff/comments/{}/reject", ids[0]), &json!({})).await.status(),
        200
    );
    let shown = app.get_json(path).await;
    let comments = shown["comments"].as_array().expect("list");
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["name"], "Bolat");
    assert_eq!(comments[0]["body"], "Keep going <b>please</b>", "plain text, stored as written; clients escape it");
    assert_problem(
        app.post_as(&editor, &format!("/api/v1/staff/comments/{}/approve", uuid::Uuid::new_v4()), &json!({})).await,
        404,
    )
    .await;
}

async fn spam_and_floods_are_refused(backend: Backend) {
    let app = spawn_app(backend)
        .with(|s| {
            s.limits.comments_per_hour = 2;
            s.limits.subscriptions_per_hour = 2;
        })
        .await;
    let path = "/api/v1/campaigns/mentors/comments";
    let spam = app.post_json(path, &json!({"name": "Win", "body": "https://cheap.example http://pills.example"})).await;
    assert_eq!(assert_problem(spam, 422).await["errors"][0]["field"], "body");
    let long = app.post_json(path, &json!({"name": "Long", "body": "x".repeat(2001)})).await;
    assert_eq!(assert_problem(long, 422).await["errors"][0]["field"], "body");
    for _ in 0..2 {
        assert_eq!(app.post_json(path, &json!({"name": "A", "body": "Hello"})).await.status(), 202);
    }
    let flood = app.post_json(path, &json!({"name": "A", "body": "Hello"})).await;
    assert!(flood.headers()["retry-after"].to_str().expect("ascii").parse::<u64>().is_ok_and(|s| s > 0));
    assert_problem(flood, 429).await;
    let subs = "/api/v1/campaigns/mentors/subscriptions";
    assert_eq!(
        assert_problem(app.post_json(subs, &json!({"email": "nope"})).await, 422).await["errors"][0]["field"],
        "email"
    );
    for i in 0..2 {
        assert_eq!(app.post_json(subs, &json!({"email": format!("s{i}@example.kz")})).await.status(), 202);
    }
    assert_problem(app.post_json(subs, &json!({"email": "s9@example.kz"})).await, 429).await;
}

async fn news_routes_need_an_editor(backend: Backend) {
    let app = spawn_app(backend).await;
    let accountant = app.staff_token(Role::Accountant).await;
    let new = json!({"title": "T", "body_markdown": "B"});
    assert_problem(app.post_json("/api/v1/staff/campaigns/mentors/news", &new).await, 401).await;
    assert_problem(app.post_as(&accountant, "/api/v1/staff/campaigns/mentors/news", &new).await, 403).await;
    assert_problem(app.get_as(&accountant, "/api/v1/staff/comments").await, 403).await;
    assert_problem(app.get("/api/v1/staff/comments").await, 401).await;
    let id = uuid::Uuid::new_v4();
    assert_problem(app.post_as(&accountant, &format!("/api/v1/staff/news/{id}/publish"), &json!({})).await, 403).await;
    let admin = app.staff_token(Role::Admin).await;
    assert_problem(app.post_as(&admin, &format!("/api/v1/staff/news/{id}/publish"), &json!({})).await, 404).await;
}

/// Issue 26 (impact): a post tied to a line of the campaign's plan and saying it is done shows
/// beside that line once published, linking the post; a line that is not the plan's, or "done"
/// without a line, is refused by name.
async fn a_post_marks_a_plan_line_done_on_the_campaign_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let editor = app.staff_token(Role::Editor).await;
    let news = "/api/v1/staff/campaigns/mentors/news";
    let body = |extra: Value| {
        let mut post = json!({"title": "Школа проведена", "body_markdown": "14 июня: 23 будущих наставника обучены."});
        for (k, v) in extra.as_object().expect("fields") {
            post[k] = v.clone();
        }
        post
    };
    let problem = assert_problem(app.post_as(&editor, news, &body(json!({"plan_line": "nope"}))).await, 422).await;
    assert_eq!(problem["errors"][0]["field"], "plan_line", "{problem}");
    let problem = assert_problem(app.post_as(&editor, news, &body(json!({"marks_done": true}))).await, 422).await;
    assert_eq!(problem["errors"][0]["field"], "marks_done", "{problem}");
    let res = app.post_as(&editor, news, &body(json!({"plan_line": "summer-school", "marks_done": true}))).await;
    assert_eq!(res.status(), 201);
    let draft: Value = res.json().await.expect("JSON");
    assert_eq!((draft["plan_line"].as_str(), draft["marks_done"].as_bool()), (Some("summer-school"), Some(true)));
    let id = draft["id"].as_str().expect("id").to_string();
    // The campaign page is kept for a second at most (pages/cache.rs): read until it shows.
    let page = |done: bool| {
        let app = &app;
        async move {
            let mut html = String::new();
            for _ in 0..20 {
                html = app.get("/campaigns/mentors?lang=en").await.text().await.expect("html");
                if html.contains("✓ Done:") == done {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            html
        }
    };
    assert!(!page(false).await.contains("✓ Done:"), "not while a draft");

    assert_eq!(app.post_as(&editor, &format!("/api/v1/staff/news/{id}/publish"), &json!({})).await.status(), 200);
    let html = page(true).await;
    let line = html
        .split(r#"data-line="summer-school""#)
        .nth(1)
        .and_then(|rest| rest.split("</li>").next())
        .expect("the line");
    assert!(
        line.contains("✓ Done:")
            && line.contains(&format!("/campaigns/mentors/news/{}", draft["slug"].as_str().expect("slug"))),
        "{line}"
    );
    assert!(line.contains("Школа проведена"), "{line}");

    let edit = format!("/api/v1/staff/news/{id}");
    let problem = assert_problem(app.patch_as(&editor, &edit, &json!({"plan_line": ""})).await, 422).await;
    assert_eq!(problem["errors"][0]["field"], "marks_done", "done needs its line: {problem}");
    assert_eq!(app.patch_as(&editor, &edit, &json!({"marks_done": false})).await.status(), 200);
    assert!(!page(false).await.contains("✓ Done:"), "no longer said done");

    // The console's editor of the post: the line chosen, the box; a line not the plan's refused.
    let (cookie, _) = crate::console::console_session(&app, Role::Editor).await;
    let path = format!("/staff/news/{id}");
    let form = crate::console::html(crate::console::get(&app, &cookie, &path).await).await;
    let csrf = crate::console::csrf_in(&form);
    assert!(form.contains(r#"<option value="summer-school" selected>"#), "{form}");
    assert!(
        form.contains(r#"name="marks_done""#) && !form.contains(r#"name="marks_done" value="on" checked"#),
        "{form}"
    );
    let title = "Школа проведена";
    let body = "14 июня: 23 будущих наставника обучены.";
    let fields = |line: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("action", "save".into()),
            ("title", title.into()),
            ("body_markdown", body.into()),
            ("plan_line", line.into()),
            ("marks_done", "on".into()),
        ]
    };
    let refused = fields("nope");
    let refused: Vec<(&str, &str)> = refused.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = crate::console::post(&app, &cookie, &path, &refused).await;
    assert_eq!(res.status(), 422);
    let done = fields("summer-school");
    let done: Vec<(&str, &str)> = done.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(crate::console::post(&app, &cookie, &path, &done).await.status(), 303);
    assert!(page(true).await.contains("✓ Done:"), "marked done from the console");

    // A new post from the console is tied to its line from the start (the lines grouped by
    // campaign); a line another campaign's plan lacks is refused, the form as typed.
    let list = crate::console::html(crate::console::get(&app, &cookie, "/staff/news").await).await;
    assert!(list.contains("<optgroup label=") && list.contains(r#"<option value="psychologists">"#), "{list}");
    let new = |line: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("action", "save".to_string()),
            ("campaign", "mentors".into()),
            ("title", "Психологи начали".into()),
            ("body_markdown", "Первые сессии прошли.".into()),
            ("plan_line", line.into()),
            ("marks_done", "on".into()),
        ]
    };
    let wrong = new("yacht");
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = crate::console::post(&app, &cookie, "/staff/news", &wrong).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("html").contains("Психологи начали"), "the form as typed");
    let tied = new("psychologists");
    let tied: Vec<(&str, &str)> = tied.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(crate::console::post(&app, &cookie, "/staff/news", &tied).await.status(), 303);
    let stored =
        app.text("SELECT plan_line AS v FROM news_posts WHERE title = 'Психологи начали' AND marks_done").await;
    assert_eq!(stored, "psychologists");
}

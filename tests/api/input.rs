//! What comes in from outside, refused the same way on both backends before it reaches the
//! database: control characters in paths (404), in query strings and JSON strings (422 naming
//! the field), over-long query values; and 405 answers that list the methods a path takes.

use demeu_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, count, spawn_app, Backend};
use crate::on_both_backends;
use crate::stripe::{event, session, signature, Ids, SANDBOX_SECRET};

on_both_backends!(
    control_characters_in_paths_are_not_found,
    control_characters_in_query_strings_are_refused_by_name,
    over_long_query_values_are_refused_by_name,
    control_characters_in_json_strings_are_refused_by_name,
    newlines_are_kept_where_free_text_is_expected,
    every_405_lists_the_allowed_methods,
    bidirectional_controls_are_refused_wherever_text_comes_in,
    visitors_text_is_shown_isolated,
);

/// Asserts a 422 whose first error names `field`.
async fn assert_refused(res: reqwest::Response, field: &str, what: &str) {
    let problem = assert_problem(res, 422).await;
    assert_eq!(problem["errors"][0]["field"], field, "{what}: {problem}");
}

async fn control_characters_in_paths_are_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in [
        "/api/v1/campaigns/%00",
        "/api/v1/campaigns/mentors%00",
        "/api/v1/campaigns/%1B",
        "/api/v1/campaigns/%C2%85",
        "/api/v1/campaigns/%7F/pledges",
        "/api/v1/campaigns/%00/news",
        "/api/v1/campaigns/mentors/news/%00",
        "/campaigns/%00/news.atom",
        "/sandbox/checkout/%00",
        "/api/v1/pledges/%00",
    ] {
        assert_problem(app.get(path).await, 404).await;
    }
    for path in ["/sandbox/checkout/%00/pay", "/sandbox/checkout/%00/decline"] {
        let res = app.client.post(app.url(path)).send().await.expect("sent");
        assert_problem(res, 404).await;
    }
    let pledge = json!({"amount": 500_000});
    assert_problem(app.post_json("/api/v1/campaigns/%00/pledges", &pledge).await, 404).await;
    let comment = json!({"name": "Асель", "body": "Спасибо!"});
    assert_problem(app.post_json("/api/v1/campaigns/%00/comments", &comment).await, 404).await;
    let accountant = app.staff_token(Role::Accountant).await;
    let gift = json!({"amount": 100_000, "method": "cash", "reference": "R-1"});
    let res = app.post_as(&accountant, "/api/v1/staff/campaigns/%00/offline-pledges", &gift).await;
    assert_problem(res, 404).await;
    assert_problem(app.get_as(&accountant, "/api/v1/staff/campaigns/%00/reconciliation").await, 404).await;
    assert_eq!(count(&app, "pledges").await, 0, "nothing was stored");
    assert_eq!(count(&app, "comments").await, 0, "nothing was stored");
    assert_eq!(app.get_json("/api/v1/campaigns/mentors").await["slug"], "mentors", "plain paths still work");
}

async fn control_characters_in_query_strings_are_refused_by_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let accountant = app.staff_token(Role::Accountant).await;
    let editor = app.staff_token(Role::Editor).await;
    let admin = app.staff_token(Role::Admin).await;
    for (token, path, field) in [
        (&accountant, "/api/v1/staff/pledges?campaign=%00", "campaign"),
        (&accountant, "/api/v1/staff/pledges?campaign=mentors&q=a%00b", "q"),
        (&accountant, "/api/v1/staff/pledges?status=paid%01", "status"),
        (&accountant, "/api/v1/staff/pledges?cursor=1_%00", "cursor"),
        (&accountant, "/api/v1/staff/pledges.csv?campaign=%00", "campaign"),
        (&accountant, "/api/v1/staff/pledges?q=%C2%9B", "q"),
        (&admin, "/api/v1/staff/webhook-events?cursor=1_%00", "cursor"),
        (&editor, "/api/v1/staff/comments?cursor=1_%00", "cursor"),
        (&admin, "/api/v1/staff/mail?status=dead%0A", "status"),
    ] {
        assert_refused(app.get_as(token, path).await, field, path).await;
    }
    for (path, field) in [
        ("/api/v1/campaigns/mentors/pledges?cursor=1_%00", "cursor"),
        ("/api/v1/campaigns/mentors/news?cursor=1_%00", "cursor"),
        ("/api/v1/campaigns/mentors/comments?cursor=%00", "cursor"),
        ("/api/v1/subscriptions/confirm?token=%00", "token"),
        ("/api/v1/subscriptions/unsubscribe?token=a%00", "token"),
        ("/api/v1/campaigns/mentors?%00=x", "query"),
    ] {
        assert_refused(app.get(path).await, field, path).await;
    }
    let res = app.client.post(app.url("/api/v1/subscriptions/unsubscribe?token=%00")).send().await.expect("sent");
    assert_refused(res, "token", "one-click unsubscribe").await;
    let page: Value =
        app.get_as(&accountant, "/api/v1/staff/pledges?campaign=mentors&q=a%20b").await.json().await.expect("JSON");
    assert!(page["pledges"].is_array(), "plain queries still work: {page}");
}

async fn over_long_query_values_are_refused_by_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let accountant = app.staff_token(Role::Accountant).await;
    // SQLite refuses a LIKE pattern over 50 000 bytes once there is a row to match it against; a
    // cursor or token that long is no cursor either.
    app.pledge(500_000).await;
    let path = format!("/api/v1/staff/pledges?q={}", "a".repeat(60_000));
    assert_refused(app.get_as(&accountant, &path).await, "q", "q").await;
    let path = format!("/api/v1/campaigns/mentors/pledges?cursor=1_{}", "a".repeat(5_000));
    assert_refused(app.get(&path).await, "cursor", "cursor").await;
    let path = format!("/api/v1/subscriptions/confirm?token={}", "a".repeat(5_000));
    assert_refused(app.get(&path).await, "token", "token").await;
    let path = format!("/api/v1/staff/pledges?q={}", "й".repeat(100));
    assert_eq!(app.get_as(&accountant, &path).await.status(), 200, "a reasonable search is answered");
    // What the document says is what is enforced: maxLength 1 024 counts characters (1 024
    // Cyrillic letters are 2 048 bytes), and a `date` is a date, not an empty value.
    let docs = app.get_json("/api/v1/openapi.json").await;
    let params = docs["paths"]["/api/v1/staff/pledges"]["get"]["parameters"].as_array().cloned().unwrap_or_default();
    let q = params.iter().find(|p| p["name"] == "q").expect("q documented");
    assert_eq!(q["schema"]["maxLength"], 1024);
    for list in ["/api/v1/staff/pledges", "/api/v1/staff/pledges.csv"] {
        let at_most = format!("{list}?q={}", "ж".repeat(1024));
        assert_eq!(app.get_as(&accountant, &at_most).await.status(), 200, "{list}: 1 024 characters");
        let over = format!("{list}?q={}", "ж".repeat(1025));
        assert_refused(app.get_as(&accountant, &over).await, "q", "1 025 characters").await;
        for field in ["from", "to"] {
            assert_refused(app.get_as(&accountant, &format!("{list}?{field}=")).await, field, "an empty date").await;
        }
    }
}

async fn control_characters_in_json_strings_are_refused_by_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let pledges = "/api/v1/campaigns/mentors/pledges";
    for (body, field) in [
        (json!({"amount": 500_000, "donor_name": "\u{0}"}), "donor_name"),
        (json!({"amount": 500_000, "donor_name": "Ай\nгерим"}), "donor_name"),
        (json!({"amount": 500_000, "donor_name": "Ай\tгерим"}), "donor_name"),
        (json!({"amount": 500_000, "message": "Удачи!\u{0}"}), "message"),
        (json!({"amount": 500_000, "message": "\u{1b}[31mred"}), "message"),
        (json!({"amount": 500_000, "message": "bell\u{7}"}), "message"),
        (json!({"amount": 500_000, "email": "a\u{0}@example.kz"}), "email"),
        (json!({"amount": 500_000, "email": "a@example.kz\u{85}"}), "email"),
        (json!({"amount": 500_000, "extra": {"list": ["ok", "\u{0}"]}}), "extra.list[1]"),
    ] {
        let what = body.to_string();
        assert_refused(app.post_json(pledges, &body).await, field, &what).await;
    }
    let res = app
        .client
        .post(app.url(pledges))
        .header("idempotency-key", "nul-1")
        .json(&json!({"amount": 500_000, "donor_name": "\u{0}"}))
        .send()
        .await
        .expect("sent");
    assert_refused(res, "donor_name", "with an idempotency key").await;

    let comments = "/api/v1/campaigns/mentors/comments";
    assert_refused(app.post_json(comments, &json!({"name": "A\u{0}", "body": "Hi"})).await, "name", "name").await;
    assert_refused(app.post_json(comments, &json!({"name": "A", "body": "Hi\u{0}"})).await, "body", "body").await;
    let subscriptions = "/api/v1/campaigns/mentors/subscriptions";
    assert_refused(app.post_json(subscriptions, &json!({"email": "r\u{0}@example.kz"})).await, "email", "sub").await;

    let accountant = app.staff_token(Role::Accountant).await;
    let offline = "/api/v1/staff/campaigns/mentors/offline-pledges";
    for (gift, field) in [
        (json!({"amount": 100_000, "method": "cash", "reference": "R-1\u{0}"}), "reference"),
        (json!({"amount": 100_000, "method": "cash\u{0}", "reference": "R-1"}), "method"),
        (json!({"amount": 100_000, "method": "cash", "reference": "R-1", "donor_name": "\u{0}"}), "donor_name"),
        (json!({"amount": 100_000, "method": "cash", "reference": "R-1", "email": "\u{0}@x.kz"}), "email"),
    ] {
        let what = gift.to_string();
        assert_refused(app.post_as(&accountant, offline, &gift).await, field, &what).await;
    }
    let editor = app.staff_token(Role::Editor).await;
    let news = "/api/v1/staff/campaigns/mentors/news";
    for (post, field) in [
        (json!({"title": "News\u{0}", "body_markdown": "Body"}), "title"),
        (json!({"title": "News", "body_markdown": "Body\u{0}"}), "body_markdown"),
        (json!({"title": "News", "body_markdown": "Body", "slug": "news\u{0}"}), "slug"),
    ] {
        let what = post.to_string();
        assert_refused(app.post_as(&editor, news, &post).await, field, &what).await;
    }
    let admin = app.staff_token(Role::Admin).await;
    let user = json!({"email": "new\u{0}@dara.kz", "password": "a long enough password", "role": "editor"});
    assert_refused(app.post_as(&admin, "/api/v1/staff/users", &user).await, "email", "staff email").await;
    let sign_in = json!({"email": "admin\u{0}@dara.kz", "password": "a long enough password"});
    assert_refused(app.post_json("/api/v1/staff/sessions", &sign_in).await, "email", "sign-in email").await;

    assert_eq!(count(&app, "pledges").await, 0, "nothing was stored");
    assert_eq!(count(&app, "comments").await, 0, "nothing was stored");
    assert_eq!(count(&app, "subscribers").await, 0, "nothing was stored");
    assert_eq!(count(&app, "news_posts").await, 0, "nothing was stored");
    assert_eq!(count(&app, "idempotency_keys").await, 0, "the key was not taken");
}

async fn newlines_are_kept_where_free_text_is_expected(backend: Backend) {
    let app = spawn_app(backend).await;
    let pledges = "/api/v1/campaigns/mentors/pledges";
    let res = app.post_json(pledges, &json!({"amount": 500_000, "message": "Удачи!\r\n\tВперёд!"})).await;
    assert_eq!(res.status(), 201, "a message may have lines");
    let res = app.post_json("/api/v1/campaigns/mentors/comments", &json!({"name": "A", "body": "One\nTwo"})).await;
    assert_eq!(res.status(), 202, "a comment may have lines");
    let editor = app.staff_token(Role::Editor).await;
    let post = json!({"title": "News", "body_markdown": "# Title\n\n\tcode\r\n"});
    let res = app.post_as(&editor, "/api/v1/staff/campaigns/mentors/news", &post).await;
    assert_eq!(res.status(), 201, "Markdown has lines");
    let id = res.json::<Value>().await.expect("JSON")["id"].as_str().expect("id").to_string();
    let res = app.patch_as(&editor, &format!("/api/v1/staff/news/{id}"), &json!({"body_markdown": "a\n\nb"})).await;
    assert_eq!(res.status(), 200, "an edit too");
    let res = app.patch_as(&editor, &format!("/api/v1/staff/news/{id}"), &json!({"title": "a\nb"})).await;
    assert_refused(res, "title", "a title is one line").await;
}

async fn every_405_lists_the_allowed_methods(backend: Backend) {
    let app = spawn_app(backend).await;
    for (method, path, allowed) in [
        (reqwest::Method::DELETE, "/api/v1/campaigns/mentors", "GET"),
        (reqwest::Method::PUT, "/health", "GET"),
        (reqwest::Method::PUT, "/api/v1/campaigns/mentors/pledges", "GET, POST"),
        (reqwest::Method::GET, "/api/v1/webhooks/stripe", "POST"),
        (reqwest::Method::GET, "/api/v1/staff/sessions", "POST, DELETE"),
        (reqwest::Method::POST, "/api/v1/staff/news/x", "PATCH, DELETE"),
    ] {
        let res = app.client.request(method.clone(), app.url(path)).send().await.expect("sent");
        let allow = res.headers().get("allow").and_then(|v| v.to_str().ok()).map(str::to_string);
        assert_eq!(allow.as_deref(), Some(allowed), "{method} {path}");
        assert_problem(res, 405).await;
    }
}

/// The audit's finding: this name drew a 500 ₸ gift on the wall as 5 500 000 ₸.
const FAKE_AMOUNT: &str = "\u{202E} ₸ 000 005 5 ·";

async fn bidirectional_controls_are_refused_wherever_text_comes_in(backend: Backend) {
    let app = spawn_app(backend).await;
    for c in
        ['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}']
    {
        let name = format!("Айгерим{c}");
        let res =
            app.post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 50_000, "donor_name": name})).await;
        assert_refused(res, "donor_name", "a pledge's name").await;
        let res = app
            .post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 50_000, "message": format!("a\n{c}b")}))
            .await;
        assert_refused(res, "message", "a pledge's message (free text)").await;
    }
    let res =
        app.post_json("/api/v1/campaigns/mentors/comments", &json!({"name": FAKE_AMOUNT, "body": "Спасибо"})).await;
    assert_refused(res, "name", "a comment's name").await;
    let volunteer = json!({"name": "Асель", "city": FAKE_AMOUNT, "contact": "+7 701 000 00 00", "age_confirmed": true});
    let res = app.post_json("/api/v1/campaigns/mentors/volunteers", &volunteer).await;
    assert_refused(res, "city", "a volunteer's city").await;

    // The campaign page's forms: refused beside the field, in the page, nothing made.
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let give = [("amount_other", "500"), ("donor_name", FAKE_AMOUNT)];
    let res = client.post(app.url("/campaigns/mentors/give?lang=ru")).form(&give).send().await.expect("sent");
    assert_eq!(res.status(), 422);
    let page = res.text().await.expect("html");
    assert!(
        page.contains("не должно содержать символов, меняющих направление текста (найден U+202E)"),
        "said in the page's language"
    );
    let comment = [("name", FAKE_AMOUNT), ("body", "Спасибо")];
    let res = client.post(app.url("/campaigns/mentors/comments")).form(&comment).send().await.expect("sent");
    assert_eq!(res.status(), 422);
    for table in ["pledges", "comments", "volunteers"] {
        assert_eq!(count(&app, table).await, 0, "{table}: nothing was stored");
    }
}

async fn visitors_text_is_shown_isolated(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app
        .post_json(
            "/api/v1/campaigns/mentors/pledges",
            &json!({"amount": 50_000, "donor_name": "Айгерим", "message": "Сәттілік!"}),
        )
        .await;
    let id = res.json::<Value>().await.expect("JSON")["id"].as_str().expect("id").to_string();
    // A row written before the rule (or by hand) still cannot reorder what stands beside it.
    app.execute_sql(&format!("UPDATE pledges SET donor_name = '{FAKE_AMOUNT}' WHERE id = '{id}'")).await.expect("sql");
    let ids = Ids::for_pledge(&id);
    let body = event("checkout.session.completed", session(&ids, 50_000, "paid"));
    assert_eq!(app.post_webhook(&body, &signature(&body, SANDBOX_SECRET)).await.status(), 200);
    let page = app.get("/campaigns/mentors?lang=en").await.text().await.expect("html");
    assert!(page.contains(&format!("<bdi>{FAKE_AMOUNT}</bdi>")), "the name is isolated");
    assert!(page.contains("<bdi>Сәттілік!</bdi>"), "the message is isolated");
}

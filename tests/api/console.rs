//! The staff console over real HTTP: the session cookie and its flags, CSRF on every form that
//! changes something, roles checked by the server, and the editor's queues and news.

use demeu_api::auth::Role;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE, X_FRAME_OPTIONS};
use reqwest::redirect::Policy;
use reqwest::Response;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    signing_in_sets_a_strict_http_only_cookie_and_signing_out_revokes_it,
    a_form_without_its_csrf_token_changes_nothing,
    the_server_checks_each_role,
    an_editor_moderates_follows_up_volunteers_and_publishes_news,
    the_dashboard_shows_progress_money_and_what_waits,
    an_accountant_records_a_gift_refunds_part_once_and_exports,
    every_console_route_asks_who_is_there_before_anything_else,
    a_refused_form_comes_back_as_typed_with_what_is_wrong_in_the_consoles_language,
);

/// A client that shows each redirect (the console answers forms with 303).
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().expect("client")
}

/// The whole `Set-Cookie` line of `name`, flags included.
pub(crate) fn cookie_of(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn value_of(set_cookie: &str) -> String {
    set_cookie.split(';').next().and_then(|kv| kv.split_once('=')).map(|(_, v)| v.to_string()).unwrap_or_default()
}

/// The hidden CSRF field of a page.
pub(crate) fn csrf_in(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    html[start..start + html[start..].find('"').expect("end")].to_string()
}

/// Signs in through the console's form (its CSRF cookie and field first); the answer to the
/// form's POST.
pub(crate) async fn sign_in(app: &TestApp, email: &str, password: &str) -> Response {
    let form = client().get(app.url("/staff/sign-in")).send().await.expect("sent");
    let pre = value_of(&cookie_of(&form, "demeu_sign_in").expect("a sign-in cookie"));
    let csrf = csrf_in(&form.text().await.expect("html"));
    assert_eq!(csrf, pre, "the form carries the cookie's value");
    client()
        .post(app.url("/staff/sign-in"))
        .header(COOKIE, format!("demeu_sign_in={pre}"))
        .form(&[("email", email), ("password", password), ("csrf", csrf.as_str())])
        .send()
        .await
        .expect("sent")
}

/// A staff member with `role`, signed in through the console's form; returns the session
/// cookie's `name=value`.
pub(crate) async fn console_session(app: &TestApp, role: Role) -> (String, String) {
    let email = format!("{}-{}@dara.kz", role.as_str(), uuid::Uuid::new_v4().simple());
    let token = app.staff_token(Role::Admin).await;
    let made = app
        .post_as(
            &token,
            "/api/v1/staff/users",
            &json!({"email": email, "password": "a long enough password", "role": role.as_str()}),
        )
        .await;
    assert_eq!(made.status(), 201);
    let res = sign_in(app, &email, "a long enough password").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers().get(LOCATION).and_then(|v| v.to_str().ok()), Some("/staff"));
    let session = cookie_of(&res, "demeu_staff").expect("a session cookie");
    (format!("demeu_staff={}", value_of(&session)), session)
}

/// The console in English (its default is the foundation's Russian).
pub(crate) async fn get(app: &TestApp, cookie: &str, path: &str) -> Response {
    client().get(app.url(path)).header(COOKIE, format!("{cookie}; lang=en")).send().await.expect("sent")
}

pub(crate) async fn post(app: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> Response {
    client().post(app.url(path)).header(COOKIE, format!("{cookie}; lang=en")).form(form).send().await.expect("sent")
}

pub(crate) async fn html(res: Response) -> String {
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get(X_FRAME_OPTIONS).and_then(|v| v.to_str().ok()), Some("DENY"), "never framed");
    assert_eq!(res.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    res.text().await.expect("html")
}

async fn signing_in_sets_a_strict_http_only_cookie_and_signing_out_revokes_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let (cookie, set) = console_session(&app, Role::Editor).await;
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/staff", "Max-Age="] {
        assert!(set.contains(flag), "{flag} in {set}");
    }
    assert!(!set.contains("Secure"), "not over plain http: {set}");
    let page = html(get(&app, &cookie, "/staff").await).await;
    let csrf = csrf_in(&page);
    // Signed out, the same cookie opens nothing.
    let res = post(&app, &cookie, "/staff/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 303);
    assert!(cookie_of(&res, "demeu_staff").is_some_and(|c| c.contains("Max-Age=0") || c.contains("expires=")));
    let res = get(&app, &cookie, "/staff").await;
    assert_eq!(
        (res.status().as_u16(), res.headers().get(LOCATION).and_then(|v| v.to_str().ok())),
        (303, Some("/staff/sign-in"))
    );
    // Without a cookie: to the sign-in form.
    assert_eq!(client().get(app.url("/staff/comments")).send().await.expect("sent").status(), 303);
    // A wrong password: the form again, 401, no session.
    let form = client().get(app.url("/staff/sign-in")).send().await.expect("sent");
    let pre = value_of(&cookie_of(&form, "demeu_sign_in").expect("cookie"));
    let res = client()
        .post(app.url("/staff/sign-in"))
        .header(COOKIE, format!("demeu_sign_in={pre}"))
        .form(&[("email", "nobody@dara.kz"), ("password", "wrong"), ("csrf", pre.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 401);
    assert!(cookie_of(&res, "demeu_staff").is_none());
    // Over https the cookie is Secure.
    let app = spawn_app(backend).with(|s| s.server.public_url = "https://donate.dara.kz".into()).await;
    let (_, set) = console_session(&app, Role::Editor).await;
    assert!(set.contains("Secure"), "{set}");
}

async fn a_form_without_its_csrf_token_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.post_json("/api/v1/campaigns/mentors/comments", &json!({"name": "Dana", "body": "Hello"})).await;
    let editor = app.staff_token(Role::Editor).await;
    let pending: Value = app.get_as(&editor, "/api/v1/staff/comments?status=pending").await.json().await.expect("JSON");
    let id = pending["comments"][0]["id"].as_str().expect("pending").to_string();
    let (cookie, _) = console_session(&app, Role::Editor).await;
    let path = format!("/staff/comments/{id}");
    for form in [vec![("action", "approve")], vec![("action", "approve"), ("csrf", "0123456789abcdef0123456789abcdef")]]
    {
        let res = post(&app, &cookie, &path, &form).await;
        assert_eq!(res.status(), 403, "{form:?}");
    }
    let still: Value = app.get_as(&editor, "/api/v1/staff/comments?status=pending").await.json().await.expect("JSON");
    assert_eq!(still["comments"].as_array().map(Vec::len), Some(1), "nothing changed");
    // The sign-in form without its cookie's token opens no session.
    let res = client()
        .post(app.url("/staff/sign-in"))
        .form(&[("email", "a@dara.kz"), ("password", "x"), ("csrf", "forged")])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 403);
    assert!(cookie_of(&res, "demeu_staff").is_none());
    // Another session's token is not this one's.
    let (other, _) = console_session(&app, Role::Editor).await;
    let foreign = csrf_in(&html(get(&app, &other, "/staff").await).await);
    assert_eq!(post(&app, &cookie, &path, &[("action", "approve"), ("csrf", &foreign)]).await.status(), 403);
    let csrf = csrf_in(&html(get(&app, &cookie, "/staff").await).await);
    assert_eq!(post(&app, &cookie, &path, &[("action", "approve"), ("csrf", &csrf)]).await.status(), 303);
    let shown: Value = app.get_json("/api/v1/campaigns/mentors/comments").await;
    assert_eq!(shown["comments"][0]["body"], "Hello");
}

async fn the_server_checks_each_role(backend: Backend) {
    let app = spawn_app(backend).await;
    let (accountant, _) = console_session(&app, Role::Accountant).await;
    let dashboard = html(get(&app, &accountant, "/staff").await).await;
    assert!(
        !dashboard.contains("href=\"/staff/comments\"") && !dashboard.contains("href=\"/staff/news\""),
        "not in the menu"
    );
    for path in ["/staff/comments", "/staff/volunteers", "/staff/news"] {
        assert_eq!(get(&app, &accountant, path).await.status(), 403, "{path}");
    }
    let csrf = csrf_in(&dashboard);
    let id = uuid::Uuid::new_v4().to_string();
    let res =
        post(&app, &accountant, &format!("/staff/volunteers/{id}"), &[("csrf", &csrf), ("status", "accepted")]).await;
    assert_eq!(res.status(), 403, "forced");
    let (editor, _) = console_session(&app, Role::Editor).await;
    let dashboard = html(get(&app, &editor, "/staff").await).await;
    assert!(dashboard.contains("href=\"/staff/comments\"") && !dashboard.contains("pledges.csv"), "the editor's menu");
    for path in ["/staff/comments", "/staff/volunteers", "/staff/news"] {
        html(get(&app, &editor, path).await).await;
    }
}

async fn an_editor_moderates_follows_up_volunteers_and_publishes_news(backend: Backend) {
    let app = spawn_app(backend).await;
    let (cookie, _) = console_session(&app, Role::Editor).await;
    // A volunteer's status and note.
    let applied = app
        .post_json(
            "/api/v1/campaigns/mentors/volunteers",
            &json!({"name": "Erlan", "city": "Almaty", "contact": "+7 701 000 00 00", "age_confirmed": true}),
        )
        .await;
    assert_eq!(applied.status(), 202);
    let page = html(get(&app, &cookie, "/staff/volunteers").await).await;
    assert!(page.contains("Erlan") && page.contains("+7 701 000 00 00"));
    let action = page.split("action=\"/staff/volunteers/").nth(1).and_then(|s| s.split('"').next()).expect("a form");
    let csrf = csrf_in(&page);
    let res = post(
        &app,
        &cookie,
        &format!("/staff/volunteers/{action}"),
        &[("csrf", &csrf), ("status", "contacted"), ("note", "Called on Monday")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let page = html(get(&app, &cookie, "/staff/volunteers").await).await;
    assert!(page.contains("value=\"contacted\" selected") && page.contains("Called on Monday"), "{page}");

    // News: preview (sanitized), save, publish; the campaign page shows it.
    let body = "**School** dates <script>alert(1)</script>";
    let res = post(
        &app,
        &cookie,
        "/staff/news",
        &[("csrf", &csrf), ("action", "preview"), ("campaign", "mentors"), ("title", "Dates"), ("body_markdown", body)],
    )
    .await;
    let preview = html(res).await;
    assert!(preview.contains("<strong>School</strong>") && !preview.contains("<script>alert"), "sanitized preview");
    let res = post(
        &app,
        &cookie,
        "/staff/news",
        &[("csrf", &csrf), ("action", "save"), ("campaign", "mentors"), ("title", "Dates"), ("body_markdown", body)],
    )
    .await;
    assert_eq!(res.status(), 303);
    let post_path = res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).expect("the post").to_string();
    let edit = html(get(&app, &cookie, &post_path).await).await;
    assert!(edit.contains("Publishing mails 0 confirmed subscribers."), "{edit}");
    assert!(
        !app.get("/campaigns/mentors?lang=en").await.text().await.expect("html").contains(">Dates<"),
        "a draft is not shown"
    );
    assert_eq!(post(&app, &cookie, &post_path, &[("csrf", &csrf), ("action", "publish")]).await.status(), 303);
    let site = app.get("/campaigns/mentors?lang=en&sent=x").await.text().await.expect("html");
    assert!(site.contains(">Dates</a>"), "published: on the campaign page");
    assert_eq!(post(&app, &cookie, &post_path, &[("csrf", &csrf), ("action", "unpublish")]).await.status(), 303);
    let news: Value = app.get_json("/api/v1/campaigns/mentors/news").await;
    assert_eq!(news["posts"].as_array().map(Vec::len), Some(0), "withdrawn");
}

async fn the_dashboard_shows_progress_money_and_what_waits(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.staff_token(Role::Accountant).await;
    let gift = json!({"amount": 1_500_000, "method": "kaspi", "reference": "KASPI-7", "donor_name": "Aigerim"});
    assert_eq!(app.post_as(&token, "/api/v1/staff/campaigns/mentors/offline-pledges", &gift).await.status(), 201);
    app.post_json("/api/v1/campaigns/mentors/comments", &json!({"name": "Dana", "body": "Hello"})).await;
    let (cookie, _) = console_session(&app, Role::Admin).await;
    let page = html(get(&app, &cookie, "/staff").await).await;
    for expected in [
        "15 000 ₸ raised of 525 000 ₸",
        "data-label=\"Today\"><strong class=\"money\">15 000 ₸</strong>",
        "data-label=\"Last 7 days\"><strong class=\"money\">15 000 ₸</strong>",
        "data-label=\"Books\">Reconciled",
        "Comments waiting: <strong>1</strong>",
        "15 000 ₸ of 225 000 ₸",
        "Aigerim",
    ] {
        assert!(page.contains(expected), "missing {expected:?}");
    }
    // The dashboard shows the books as the background check found them (every 5 minutes), with
    // when: it does not read the whole ledger on each load. A total changed behind its back
    // shows at the next check, not at the next load.
    app.books_out_of_balance_on_purpose();
    app.execute_sql("UPDATE campaign_totals SET net_raised = net_raised + 1 WHERE shard = 0").await.expect("tampered");
    let page = html(get(&app, &cookie, "/staff").await).await;
    assert!(page.contains("data-label=\"Books\">Reconciled"), "{page}");
    // What the background check does: it finds the difference.
    let books = demeu_api::services::books::Books::default();
    books.check(&app.pool).await.expect("checked");
    assert_eq!(books.of("mentors").map(|b| b.clean), Some(false));
    app.execute_sql("UPDATE campaign_totals SET net_raised = net_raised - 1 WHERE shard = 0").await.expect("mended");
    books.check(&app.pool).await.expect("checked");
    assert_eq!(books.of("mentors").map(|b| b.clean), Some(true));
}

async fn an_accountant_records_a_gift_refunds_part_once_and_exports(backend: Backend) {
    let app = spawn_app(backend).await;
    let (cookie, _) = console_session(&app, Role::Accountant).await;
    let form = html(get(&app, &cookie, "/staff/offline").await).await;
    let csrf = csrf_in(&form);
    let gift = [
        ("csrf", csrf.as_str()),
        ("campaign", "mentors"),
        ("amount", "20 000"),
        ("method", "kaspi"),
        ("reference", "KASPI-42"),
        ("donor_name", "Aigerim"),
        ("received_on", "2026-11-27"),
    ];
    // Without the token nothing is recorded.
    let forged: Vec<(&str, &str)> = gift.iter().copied().filter(|(k, _)| *k != "csrf").collect();
    assert_eq!(post(&app, &cookie, "/staff/offline", &forged).await.status(), 403);
    assert_eq!(app.progress().await, (0, 0));
    let res = post(&app, &cookie, "/staff/offline", &gift).await;
    assert_eq!(res.status(), 303);
    let pledge = res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).expect("the pledge").to_string();
    assert_eq!(app.progress().await, (2_000_000, 1), "counted at once");
    let detail = html(get(&app, &cookie, &pledge).await).await;
    assert!(detail.contains("Offline gift") && detail.contains("KASPI-42"), "its ledger row");
    // Statuses, methods and kinds in words, never the stored ones.
    for stored in ["offline_payment", ">paid<", "kaspi ·", "· paid"] {
        assert!(!detail.contains(stored), "{stored} shown as stored: {detail}");
    }
    assert!(detail.contains("Paid") && detail.contains("Kaspi"), "{detail}");
    assert!(detail.contains("id=\"refundable\">20 000 ₸"), "all of it may be refunded");

    // A part refunded; the same form posted twice (a double click) refunds once.
    let key =
        detail.split("name=\"key\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("a key").to_string();
    for _ in 0..2 {
        let res = post(&app, &cookie, &pledge, &[("csrf", &csrf), ("key", &key), ("amount", "5000")]).await;
        assert_eq!(res.status(), 303);
    }
    assert_eq!(app.progress().await, (1_500_000, 1), "refunded once");
    let detail = html(get(&app, &cookie, &pledge).await).await;
    assert!(detail.contains("id=\"refundable\">15 000 ₸"), "{detail}");
    // More than what remains: the page again with the reason, nothing moved.
    let res = post(&app, &cookie, &pledge, &[("csrf", &csrf), ("key", "another-key"), ("amount", "20000")]).await;
    assert_eq!(res.status(), 422);
    // Said in tenge, as the form is written; never in minor units.
    let refused = res.text().await.expect("html");
    assert!(refused.contains("must be between 0.01 ₸ and 15 000 ₸"), "{refused}");
    assert!(!refused.contains("1500000"), "{refused}");
    assert_eq!(app.progress().await, (1_500_000, 1));

    // Search, and the file for the books with the same filters.
    let list = html(get(&app, &cookie, "/staff/pledges?q=aigerim&method=kaspi").await).await;
    assert!(list.contains("Aigerim") && list.contains("/staff/pledges.csv?method=kaspi&amp;q=aigerim"), "{list}");
    let file = get(&app, &cookie, "/staff/pledges.csv?method=kaspi").await;
    assert_eq!(file.status(), 200);
    assert!(file
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .starts_with("text/csv"));
    let text = file.text().await.expect("csv");
    assert!(text.lines().count() == 2 && text.contains("KASPI-42"), "{text}");

    // A day range: the gift was made today (Almaty), not tomorrow.
    let today = chrono::Utc::now().with_timezone(&demeu_api::format::almaty_offset(chrono::Utc::now())).date_naive();
    let tomorrow = today.succ_opt().expect("a day");
    let found = html(get(&app, &cookie, &format!("/staff/pledges?from={today}&to={today}")).await).await;
    assert!(found.contains("Aigerim"), "made today");
    let none = html(get(&app, &cookie, &format!("/staff/pledges?from={tomorrow}")).await).await;
    assert!(!none.contains("Aigerim"), "not made tomorrow");
    assert_eq!(get(&app, &cookie, "/staff/pledges?from=28.11.2026").await.status(), 422, "a day it cannot read");
    let token = app.staff_token(Role::Accountant).await;
    let api: Value = app.get_as(&token, &format!("/api/v1/staff/pledges?to={today}")).await.json().await.expect("JSON");
    assert_eq!(api["pledges"].as_array().map(Vec::len), Some(1), "the API takes the same range");

    // An editor reaches none of it, even forced.
    let (editor, _) = console_session(&app, Role::Editor).await;
    for path in ["/staff/pledges", "/staff/offline", "/staff/pledges.csv", "/staff/books/mentors", pledge.as_str()] {
        assert_eq!(get(&app, &editor, path).await.status(), 403, "{path}");
    }
    let editor_csrf = csrf_in(&html(get(&app, &editor, "/staff").await).await);
    let forced = post(&app, &editor, &pledge, &[("csrf", &editor_csrf), ("amount", "1000")]).await;
    assert_eq!(forced.status(), 403);
    assert_eq!(app.progress().await, (1_500_000, 1));
}

/// Every console address asks for the session first (then the role, then the form's CSRF
/// token) before it reads anything of the request: a stranger is sent to sign in whatever the
/// query or the form holds, and a form without its token is refused whatever else it carries.
async fn every_console_route_asks_who_is_there_before_anything_else(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = uuid::Uuid::new_v4();
    let pages = [
        "/staff".to_string(),
        "/staff/users".into(),
        "/staff/audit?limit=many&limit=more".into(),
        "/staff/password".into(),
        "/staff/comments".into(),
        "/staff/volunteers".into(),
        "/staff/news".into(),
        format!("/staff/news/{id}"),
        "/staff/pledges?q=a&q=b".into(),
        "/staff/pledges.csv?q=a&q=b".into(),
        "/staff/offline".into(),
        format!("/staff/pledges/{id}"),
        "/staff/campaigns".into(),
        "/staff/campaigns/mentors".into(),
        "/staff/campaigns/mentors/preview".into(),
        "/staff/foundation".into(),
        "/staff/books/mentors".into(),
        "/staff/subscriptions".into(),
    ];
    for path in &pages {
        let res = client().get(app.url(path)).send().await.expect("sent");
        assert_eq!(
            (res.status().as_u16(), res.headers().get(LOCATION).and_then(|v| v.to_str().ok())),
            (303, Some("/staff/sign-in")),
            "GET {path}"
        );
    }
    let forms = [
        "/staff/users".to_string(),
        format!("/staff/users/{id}"),
        "/staff/password".into(),
        "/staff/sign-out".into(),
        format!("/staff/comments/{id}"),
        format!("/staff/volunteers/{id}"),
        "/staff/news".into(),
        format!("/staff/news/{id}"),
        format!("/staff/pledges/{id}"),
        "/staff/offline".into(),
        format!("/staff/subscriptions/{id}/cancel"),
        "/staff/campaigns".into(),
        "/staff/campaigns/mentors".into(),
        "/staff/campaigns/mentors/pictures".into(),
        format!("/staff/pictures/{id}"),
        "/staff/foundation".into(),
        "/staff/foundation/logo".into(),
    ];
    let (admin, _) = console_session(&app, Role::Admin).await;
    for path in &forms {
        // A stranger: to sign in, even with a form that does not read.
        let res = client().post(app.url(path)).body("%%%&&&").send().await.expect("sent");
        assert_eq!(res.status(), 303, "POST {path} without a session");
        // Signed in, without the token, with fields that would otherwise be refused: 403.
        let res = post(&app, &admin, path, &[("role", "owner"), ("amount", "-1"), ("action", "nonsense")]).await;
        assert_eq!(res.status(), 403, "POST {path} without its token");
    }
    // The menu says the role in the console's language, not its stored name.
    let res = client().get(app.url("/staff")).header(COOKIE, format!("{admin}; lang=ru")).send().await.expect("sent");
    let page = html(res).await;
    assert!(page.contains("(Администратор)") && !page.contains("(admin)"), "the role in Russian");
}

/// A post or a volunteer's note the domain refuses comes back as the page, with the text as it
/// was typed and each refused field said in the console's language: never a JSON problem
/// document in the editor's browser, and nothing changed.
async fn a_refused_form_comes_back_as_typed_with_what_is_wrong_in_the_consoles_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let (cookie, _) = console_session(&app, Role::Editor).await;
    let russian = format!("{cookie}; lang=ru");
    let page = client().get(app.url("/staff/news")).header(COOKIE, &russian).send().await.expect("sent");
    let csrf = csrf_in(&html(page).await);
    let long_title = "З".repeat(201);
    let form = [
        ("csrf", csrf.as_str()),
        ("action", "save"),
        ("campaign", "mentors"),
        ("title", long_title.as_str()),
        ("body_markdown", "Двадцать наставников"),
    ];
    let res = client().post(app.url("/staff/news")).header(COOKIE, &russian).form(&form).send().await.expect("sent");
    assert_eq!(res.status(), 422);
    let kind = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(kind.starts_with("text/html"), "a page, not {kind}");
    let text = res.text().await.expect("html");
    assert!(text.contains("Заголовок: должно быть от 1 до 200 символов"), "{text}");
    assert!(text.contains("Двадцать наставников") && text.contains(&long_title), "as typed");
    let editor = app.staff_token(Role::Editor).await;
    let posts: Value = app.get_as(&editor, "/api/v1/staff/campaigns/mentors/news").await.json().await.expect("JSON");
    assert_eq!(posts.as_array().map(Vec::len), Some(0), "nothing stored: {posts}");
    // A volunteer's note over its length: the applications again, the note's refusal in Russian.
    let applied = app
        .post_json(
            "/api/v1/campaigns/mentors/volunteers",
            &json!({"name": "Асель", "city": "Алматы", "contact": "asel@example.kz", "age_confirmed": true}),
        )
        .await;
    assert_eq!(applied.status(), 202);
    let list: Value = app.get_as(&editor, "/api/v1/staff/volunteers").await.json().await.expect("JSON");
    let id = list["volunteers"][0]["id"].as_str().expect("an application").to_string();
    let note = "н".repeat(2_001);
    let form = [("csrf", csrf.as_str()), ("status", "contacted"), ("note", note.as_str())];
    let res = client()
        .post(app.url(&format!("/staff/volunteers/{id}")))
        .header(COOKIE, &russian)
        .form(&form)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 422);
    let text = res.text().await.expect("html");
    assert!(text.contains("Заметка: должно быть"), "{text}");
    let shown: Value = app.get_as(&editor, &format!("/api/v1/staff/volunteers/{id}")).await.json().await.expect("JSON");
    assert_eq!(shown["status"], "new", "nothing changed");
}

//! "Join the mentors' team": the public application, the staff's list and follow-up, the
//! foundation's mail, and that no public answer ever holds an applicant's details.

use demeu_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, Backend, TestApp};
use crate::mail::through_smtp;
use crate::on_both_backends;
use crate::smtp::SmtpServer;

on_both_backends!(
    an_application_is_received_and_listed_for_staff,
    every_bad_field_is_named_and_nothing_is_stored,
    applications_are_limited_per_address,
    only_editors_and_admins_read_and_change_applications,
    staff_move_an_application_on_and_the_audit_log_has_it,
    the_staff_list_filters_and_pages,
    the_foundation_is_mailed_the_applicants_details,
    no_mail_goes_out_without_an_address,
    applications_never_reach_a_public_answer,
);

const APPLY: &str = "/api/v1/campaigns/mentors/volunteers";
const LIST: &str = "/api/v1/staff/volunteers";

fn application(name: &str) -> Value {
    json!({
        "name": name,
        "city": "Алматы",
        "contact": "+7 701 555 12 34",
        "age_confirmed": true,
        "about": "Работаю учителем математики.\nХожу в горы по выходным.",
        "locale": "kk",
    })
}

async fn apply(app: &TestApp, body: &Value) -> reqwest::Response {
    app.post_json(APPLY, body).await
}

/// Rows in the volunteers table, read straight from the database.
async fn stored(app: &TestApp) -> i64 {
    app.pool
        .run(|conn| {
            use demeu_db::schema::volunteers::dsl::*;
            use diesel::prelude::*;
            volunteers.count().get_result::<i64>(conn).map_err(demeu_db::DbError::from)
        })
        .await
        .expect("count")
}

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let res = app.get_as(token, &format!("{LIST}{query}")).await;
    assert_eq!(res.status(), 200, "GET {LIST}{query}");
    res.json().await.expect("JSON")
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field").into()).collect()
}

async fn an_application_is_received_and_listed_for_staff(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = apply(&app, &application("Айгерим Серикова")).await;
    assert_eq!(res.status(), 202);
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body, json!({"status": "received"}), "nothing of the application comes back");

    let editor = app.staff_token(Role::Editor).await;
    let page = list(&app, &editor, "").await;
    let items = page["volunteers"].as_array().expect("a list");
    assert_eq!(items.len(), 1, "{page}");
    let v = &items[0];
    assert_eq!(v["status"], "new");
    assert_eq!(v["campaign"], "mentors");
    assert_eq!(v["name"], "Айгерим Серикова");
    assert_eq!(v["city"], "Алматы");
    assert_eq!(v["contact"], "+7 701 555 12 34");
    assert_eq!(v["about"], "Работаю учителем математики.\nХожу в горы по выходным.");
    assert_eq!((&v["age_confirmed"], &v["locale"], &v["note"]), (&json!(true), &json!("kk"), &json!("")));
    assert!(page["next_cursor"].is_null());

    let id = v["id"].as_str().expect("id");
    let one = app.get_as(&editor, &format!("{LIST}/{id}")).await;
    assert_eq!(one.status(), 200);
    assert_eq!(one.json::<Value>().await.expect("JSON"), *v);
    let admin = app.staff_token(Role::Admin).await;
    assert_eq!(list(&app, &admin, "").await["volunteers"].as_array().map(Vec::len), Some(1), "admins too");

    // Only the required fields: no about, no locale.
    let bare = json!({"name": "Ержан", "city": "Астана", "contact": "erzhan@example.kz", "age_confirmed": true});
    assert_eq!(apply(&app, &bare).await.status(), 202);
    let newest = &list(&app, &editor, "").await["volunteers"][0];
    assert_eq!((&newest["name"], &newest["about"], &newest["locale"]), (&json!("Ержан"), &json!(""), &Value::Null));

    let unknown = app.post_json("/api/v1/campaigns/nope/volunteers", &application("Асель")).await;
    assert_problem(unknown, 404).await;
    assert_problem(app.get_as(&editor, &format!("{LIST}/{}", uuid::Uuid::new_v4())).await, 404).await;
    assert_eq!(stored(&app).await, 2);
}

async fn every_bad_field_is_named_and_nothing_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let bad = json!({
        "name": "   ",
        "city": "",
        "contact": "",
        "age_confirmed": false,
        "about": "x".repeat(campaign_news::volunteer::MAX_ABOUT_CHARS + 1),
    });
    let problem = assert_problem(apply(&app, &bad).await, 422).await;
    assert_eq!(fields(&problem), ["name", "city", "contact", "about", "age_confirmed"], "{problem}");
    let age = problem["errors"].as_array().expect("errors").iter().find(|e| e["field"] == "age_confirmed").cloned();
    assert!(age.is_some_and(|e| e["message"].as_str().is_some_and(|m| m.contains("25 or older"))), "{problem}");

    let problem = assert_problem(apply(&app, &json!({})).await, 422).await;
    assert_eq!(fields(&problem), ["name", "city", "contact", "age_confirmed"], "missing fields: {problem}");

    let long =
        json!({"name": "я".repeat(101), "city": "c".repeat(101), "contact": "7".repeat(201), "age_confirmed": true});
    assert_eq!(fields(&assert_problem(apply(&app, &long).await, 422).await), ["name", "city", "contact"]);

    let mut two_lines = application("Асель");
    two_lines["name"] = json!("Асель\nЖанна");
    assert_eq!(fields(&assert_problem(apply(&app, &two_lines).await, 422).await), ["name"]);
    let mut escape = application("Асель");
    escape["about"] = json!("hi \u{1b}[31m");
    assert_eq!(fields(&assert_problem(apply(&app, &escape).await, 422).await), ["about"]);
    let mut locale = application("Асель");
    locale["locale"] = json!("de");
    assert_eq!(fields(&assert_problem(apply(&app, &locale).await, 422).await), ["locale"]);
    let mut not_bool = application("Асель");
    not_bool["age_confirmed"] = json!("yes");
    assert_eq!(fields(&assert_problem(apply(&app, &not_bool).await, 422).await), ["age_confirmed"]);

    assert_eq!(stored(&app).await, 0, "nothing refused is stored");
}

async fn applications_are_limited_per_address(backend: Backend) {
    let app = spawn_app(backend).with(|s| s.limits.volunteers_per_hour = 2).await;
    // A refused form does not use up the quota.
    assert_problem(apply(&app, &json!({"name": "A"})).await, 422).await;
    for i in 0..2 {
        assert_eq!(apply(&app, &application(&format!("Applicant {i}"))).await.status(), 202);
    }
    let flood = apply(&app, &application("Applicant 3")).await;
    let retry_after = flood.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
    assert!(retry_after.is_some_and(|s| s.parse::<u64>().is_ok_and(|s| s > 0)), "Retry-After in seconds");
    assert_problem(flood, 429).await;
    assert_eq!(stored(&app).await, 2);
    // Counted apart from comments: the comment quota is untouched.
    let comment = app.post_json("/api/v1/campaigns/mentors/comments", &json!({"name": "A", "body": "Hello"})).await;
    assert_eq!(comment.status(), 202);
}

async fn only_editors_and_admins_read_and_change_applications(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(apply(&app, &application("Асель")).await.status(), 202);
    let editor = app.staff_token(Role::Editor).await;
    let id = list(&app, &editor, "").await["volunteers"][0]["id"].as_str().expect("id").to_string();
    let one = format!("{LIST}/{id}");
    let patch = json!({"status": "contacted"});

    assert_problem(app.get(LIST).await, 401).await;
    assert_problem(app.get(&one).await, 401).await;
    let anonymous = app.client.patch(app.url(&one)).json(&patch).send().await.expect("sent");
    assert_problem(anonymous, 401).await;

    let accountant = app.staff_token(Role::Accountant).await;
    assert_problem(app.get_as(&accountant, LIST).await, 403).await;
    assert_problem(app.get_as(&accountant, &one).await, 403).await;
    assert_problem(app.patch_as(&accountant, &one, &patch).await, 403).await;

    let v = list(&app, &editor, "").await;
    assert_eq!(v["volunteers"][0]["status"], "new", "refused changes changed nothing");
    assert!(!app.audit_actions().await.iter().any(|a| a.starts_with("volunteer.")));
}

async fn staff_move_an_application_on_and_the_audit_log_has_it(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(apply(&app, &application("Асель")).await.status(), 202);
    let editor = app.staff_token(Role::Editor).await;
    let id = list(&app, &editor, "").await["volunteers"][0]["id"].as_str().expect("id").to_string();
    let one = format!("{LIST}/{id}");

    for status in ["contacted", "accepted", "declined"] {
        let res = app.patch_as(&editor, &one, &json!({"status": status})).await;
        assert_eq!(res.status(), 200, "{status}");
        let v: Value = res.json().await.expect("JSON");
        assert_eq!((&v["status"], &v["name"]), (&json!(status), &json!("Асель")));
    }
    let res = app.patch_as(&editor, &one, &json!({"note": " Called on Monday;\nto the School in June. "})).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.expect("JSON");
    assert_eq!((&v["status"], &v["note"]), (&json!("declined"), &json!("Called on Monday;\nto the School in June.")));
    let admin = app.staff_token(Role::Admin).await;
    let res = app.patch_as(&admin, &one, &json!({"status": "accepted", "note": ""})).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.expect("JSON");
    assert_eq!((&v["status"], &v["note"]), (&json!("accepted"), &json!("")));

    let unknown = assert_problem(app.patch_as(&editor, &one, &json!({"status": "hired"})).await, 422).await;
    assert_eq!(fields(&unknown), ["status"]);
    assert!(unknown["errors"][0]["message"].as_str().is_some_and(|m| m.contains("new, contacted, accepted, declined")));
    let long = json!({"note": "x".repeat(campaign_news::volunteer::MAX_NOTE_CHARS + 1)});
    assert_eq!(fields(&assert_problem(app.patch_as(&editor, &one, &long).await, 422).await), ["note"]);
    assert_problem(app.patch_as(&editor, &one, &json!({})).await, 422).await;
    let nobody = format!("{LIST}/{}", uuid::Uuid::new_v4());
    assert_problem(app.patch_as(&editor, &nobody, &json!({"status": "contacted"})).await, 404).await;
    assert_problem(app.patch_as(&editor, &format!("{LIST}/not-an-id"), &json!({"status": "new"})).await, 404).await;

    let audited: Vec<String> = app.audit_actions().await.into_iter().filter(|a| a.starts_with("volunteer.")).collect();
    assert_eq!(audited, vec!["volunteer.update"; 5], "one row per change, none for refused ones");
    let (subject, details) = app
        .pool
        .run(|conn| {
            use demeu_db::schema::audit_log::dsl::*;
            use diesel::prelude::*;
            audit_log
                .filter(action.eq("volunteer.update"))
                .order(created_at.desc())
                .select((subject, details))
                .first::<(String, String)>(conn)
                .map_err(demeu_db::DbError::from)
        })
        .await
        .expect("the last change");
    assert_eq!(subject, format!("volunteer:{id}"));
    let details: Value = serde_json::from_str(&details).expect("JSON details");
    assert_eq!(details, json!({"status": "accepted", "previous_status": "declined", "note_changed": true}));
}

async fn the_staff_list_filters_and_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    for i in 0..3 {
        assert_eq!(apply(&app, &application(&format!("Applicant {i}"))).await.status(), 202);
    }
    let editor = app.staff_token(Role::Editor).await;
    let names = |page: &Value| -> Vec<String> {
        page["volunteers"].as_array().expect("list").iter().map(|v| v["name"].as_str().expect("name").into()).collect()
    };
    let first = list(&app, &editor, "?limit=2").await;
    assert_eq!(names(&first), ["Applicant 2", "Applicant 1"], "newest first");
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = list(&app, &editor, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(names(&second), ["Applicant 0"]);
    assert!(second["next_cursor"].is_null());

    let id = first["volunteers"][1]["id"].as_str().expect("id");
    assert_eq!(app.patch_as(&editor, &format!("{LIST}/{id}"), &json!({"status": "contacted"})).await.status(), 200);
    assert_eq!(names(&list(&app, &editor, "?status=contacted").await), ["Applicant 1"]);
    assert_eq!(names(&list(&app, &editor, "?status=new&campaign=mentors").await), ["Applicant 2", "Applicant 0"]);
    assert_eq!(names(&list(&app, &editor, "?status=accepted").await), Vec::<String>::new());
    assert_eq!(names(&list(&app, &editor, "?campaign=nope").await), Vec::<String>::new());

    assert_eq!(
        fields(&assert_problem(app.get_as(&editor, &format!("{LIST}?status=hired")).await, 422).await),
        ["status"]
    );
    assert_eq!(fields(&assert_problem(app.get_as(&editor, &format!("{LIST}?limit=0")).await, 422).await), ["limit"]);
    assert_eq!(
        fields(&assert_problem(app.get_as(&editor, &format!("{LIST}?cursor=junk")).await, 422).await),
        ["cursor"]
    );
}

const FOUNDATION: &str = "mentors@dara.kz";

async fn the_foundation_is_mailed_the_applicants_details(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = through_smtp(spawn_app(backend), smtp.port)
        .with(|s| s.foundation.volunteers_email = FOUNDATION.to_string())
        .await;
    let mut body = application("Айгерим Серикова");
    body["contact"] = json!("aigerim@example.kz");
    assert_eq!(apply(&app, &body).await.status(), 202);
    app.drain_mail().await;
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, [FOUNDATION], "to the foundation only");
    let text = mail.text();
    let details = ["Айгерим Серикова", "Алматы", "aigerim@example.kz", "Работаю учителем математики.", "kk"];
    for detail in details {
        assert!(text.contains(detail), "{detail} in {text}");
    }
    assert!(mail.html().contains("Айгерим Серикова"));
    assert_eq!(mail.header("Reply-To").as_deref(), Some("aigerim@example.kz"), "answering reaches the applicant");

    // A phone number is no Reply-To; the mail still goes.
    assert_eq!(apply(&app, &application("Ержан")).await.status(), 202);
    app.drain_mail().await;
    let mails = smtp.wait_for(2).await;
    assert_eq!(mails[1].to, [FOUNDATION]);
    assert!(mails[1].text().contains("+7 701 555 12 34") && mails[1].header("Reply-To").is_none());

    // A refused application mails nothing.
    assert_problem(apply(&app, &json!({"name": "x"})).await, 422).await;
    app.drain_mail().await;
    assert_eq!(smtp.messages().len(), 2);
}

async fn no_mail_goes_out_without_an_address(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = through_smtp(spawn_app(backend), smtp.port).await;
    assert_eq!(apply(&app, &application("Асель")).await.status(), 202);
    app.drain_mail().await;
    let queued = app
        .pool
        .run(|conn| {
            use demeu_db::schema::mail_outbox::dsl::*;
            use diesel::prelude::*;
            mail_outbox.count().get_result::<i64>(conn).map_err(demeu_db::DbError::from)
        })
        .await
        .expect("outbox");
    assert_eq!(queued, 0);
    assert!(smtp.messages().is_empty());
    assert_eq!(stored(&app).await, 1, "the application is kept all the same");
}

async fn applications_never_reach_a_public_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({
        "name": "Zhanar-Unique-Name",
        "city": "Taldykorgan-Unique-City",
        "contact": "unique-contact-7700@example.kz",
        "age_confirmed": true,
        "about": "Unique-About-Words",
        "locale": "ru",
    });
    let res = apply(&app, &body).await;
    assert_eq!(res.status(), 202);
    let mut answers = vec![res.text().await.expect("text")];
    // Something on every public list, so that each answers with content.
    assert_eq!(
        app.post_json("/api/v1/campaigns/mentors/comments", &json!({"name": "Reader", "body": "Good luck"}))
            .await
            .status(),
        202
    );
    app.pledge(100_000).await;
    for path in [
        "/api/v1/campaigns",
        "/api/v1/campaigns/mentors",
        "/api/v1/campaigns/mentors/pledges",
        "/api/v1/campaigns/mentors/comments",
        "/api/v1/campaigns/mentors/news",
        "/campaigns/mentors/news.atom",
        "/api/v1/openapi.json",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        answers.push(res.text().await.expect("text"));
    }
    let editor = app.staff_token(Role::Editor).await;
    let staff = list(&app, &editor, "").await.to_string();
    for needle in ["Zhanar-Unique-Name", "Taldykorgan-Unique-City", "unique-contact-7700", "Unique-About-Words"] {
        assert!(staff.contains(needle), "staff see {needle}");
        for answer in &answers {
            assert!(!answer.contains(needle), "{needle} in a public answer: {answer}");
        }
    }
}

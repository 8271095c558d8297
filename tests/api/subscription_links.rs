//! The links in subscription mail: following one (as a mail scanner does) only shows a page;
//! its button, a POST, confirms or unsubscribes. RFC 8058's one-click POST still unsubscribes.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{assert_problem, spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::security_headers::assert_secure_html;
use crate::smtp::{Received, SmtpServer};

on_both_backends!(
    following_a_mailed_link_changes_nothing_until_the_button_is_pressed,
    posting_a_token_works_from_the_query_or_the_form,
);

async fn with_smtp(backend: Backend) -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let app = spawn_app(backend)
        .with(move |s| {
            s.mail.transport = demeu_api::settings::MailTransportKind::Smtp;
            s.mail.retry_base = Duration::from_millis(200);
            s.mail.smtp.host = "127.0.0.1".into();
            s.mail.smtp.port = port;
            s.mail.smtp.tls = demeu_api::settings::SmtpTls::None;
        })
        .await;
    (app, smtp)
}

/// Subscribes `email` and returns the confirmation mail.
async fn subscribe(app: &TestApp, smtp: &SmtpServer, email: &str) -> Received {
    let res = app.post_json("/api/v1/campaigns/mentors/subscriptions", &json!({"email": email})).await;
    assert_eq!(res.status(), 202);
    app.drain_mail().await;
    smtp.messages().into_iter().rev().find(|m| m.to == [email]).expect("a confirmation")
}

async fn status_of(app: &TestApp, email: &str) -> String {
    let email = email.to_string();
    app.pool
        .run(move |conn| {
            use demeu_db::schema::subscribers::dsl::{email as address, status, subscribers};
            use diesel::prelude::*;
            subscribers.filter(address.eq(email)).select(status).first::<String>(conn).map_err(demeu_db::DbError::from)
        })
        .await
        .expect("a subscriber")
}

fn token_of(link: &str) -> String {
    link.split_once("token=").expect("a token").1.split('&').next().unwrap_or_default().to_string()
}

/// POSTs a form (`application/x-www-form-urlencoded`) to `path`.
async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let body = serde_urlencoded::to_string(form).expect("a form");
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("sent")
}

async fn following_a_mailed_link_changes_nothing_until_the_button_is_pressed(backend: Backend) {
    let (app, smtp) = with_smtp(backend).await;
    let mail = subscribe(&app, &smtp, "reader@example.kz").await;
    let confirm = mail.link("/subscriptions/confirm?token=");
    let token = token_of(&confirm);
    for _ in 0..2 {
        let res = app.get(&confirm).await;
        assert_eq!(status_of(&app, "reader@example.kz").await, "pending", "following the link confirms nothing");
        assert_button_page(res, "/api/v1/subscriptions/confirm", &token, "ru", "Подтвердить").await;
    }
    // The link carries the mail's language (the campaign's, Russian); each reader may switch.
    assert!(confirm.ends_with("&lang=ru"), "{confirm}");
    for (lang, button) in [("kk", "Растау"), ("en", "Confirm")] {
        let res = app.get(&confirm.replace("lang=ru", &format!("lang={lang}"))).await;
        assert_button_page(res, "/api/v1/subscriptions/confirm", &token, lang, button).await;
    }
    assert_problem(app.get("/api/v1/subscriptions/confirm?token=forged").await, 404).await;

    let done = assert_secure_html(post_form(&app, "/api/v1/subscriptions/confirm", &[("token", &token)]).await).await;
    assert!(done.contains("Подписка подтверждена"), "{done}");
    assert_eq!(status_of(&app, "reader@example.kz").await, "confirmed");

    let unsubscribe = mail.link("/subscriptions/unsubscribe?token=");
    let token = token_of(&unsubscribe);
    let res = app.get(&unsubscribe).await;
    assert_eq!(status_of(&app, "reader@example.kz").await, "confirmed", "following the link unsubscribes no one");
    assert_button_page(res, "/api/v1/subscriptions/unsubscribe", &token, "ru", "Отписаться").await;
    assert_problem(app.get("/api/v1/subscriptions/unsubscribe?token=forged").await, 404).await;

    let done =
        assert_secure_html(post_form(&app, "/api/v1/subscriptions/unsubscribe", &[("token", &token)]).await).await;
    assert!(done.contains("Вы отписаны"), "{done}");
    assert_eq!(status_of(&app, "reader@example.kz").await, "unsubscribed");
}

async fn posting_a_token_works_from_the_query_or_the_form(backend: Backend) {
    let (app, smtp) = with_smtp(backend).await;
    let mail = subscribe(&app, &smtp, "clicker@example.kz").await;
    let confirm = mail.link("/subscriptions/confirm?token=");
    let res = app.client.post(app.url(&confirm)).send().await.expect("sent");
    assert_eq!(res.status(), 200, "the token in the query");
    assert_eq!(status_of(&app, "clicker@example.kz").await, "confirmed");

    // What is refused changes nothing and names the field.
    let missing = assert_problem(post_form(&app, "/api/v1/subscriptions/confirm", &[]).await, 422).await;
    assert!(missing.to_string().contains("token"), "{missing}");
    assert_problem(post_form(&app, "/api/v1/subscriptions/confirm", &[("token", "forged")]).await, 404).await;
    assert_problem(post_form(&app, "/api/v1/subscriptions/unsubscribe", &[("token", "forged")]).await, 404).await;

    // RFC 8058 one-click, as mail clients send it: the token in the query, a fixed form body.
    let unsubscribe = mail.link("/subscriptions/unsubscribe?token=");
    let one_click = post_form(&app, &unsubscribe, &[("List-Unsubscribe", "One-Click")]).await;
    assert_eq!(one_click.status(), 200);
    assert_eq!(status_of(&app, "clicker@example.kz").await, "unsubscribed");
    // The same with the body as multipart/form-data, which RFC 8058 also allows.
    let mail = subscribe(&app, &smtp, "multipart@example.kz").await;
    let res = app.client.post(app.url(&mail.link("/subscriptions/confirm?token="))).send().await.expect("sent");
    assert_eq!(res.status(), 200);
    let multipart = "--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--b--\r\n";
    let res = app
        .client
        .post(app.url(&mail.link("/subscriptions/unsubscribe?token=")))
        .header("content-type", "multipart/form-data; boundary=b")
        .body(multipart)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    assert_eq!(status_of(&app, "multipart@example.kz").await, "unsubscribed");
}

/// A secure page in `lang` whose one button, labelled `button`, POSTs `token` to `action`.
async fn assert_button_page(res: reqwest::Response, action: &str, token: &str, lang: &str, button: &str) {
    let page = assert_secure_html(res).await;
    assert!(page.contains(&format!("<html lang=\"{lang}\"")), "in {lang}: {page}");
    assert!(page.contains(&format!("<form method=\"post\" action=\"{action}?lang={lang}\"")), "a button: {page}");
    assert!(page.contains(&format!("name=\"token\" value=\"{token}\"")), "it posts the token: {page}");
    assert!(page.contains(button), "labelled {button}: {page}");
}

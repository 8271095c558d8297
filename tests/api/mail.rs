//! Mail through lettre's SMTP transport to a real SMTP server on loopback.

use std::time::Duration;

use demeu_api::auth::Role;
use demeu_db::outbox::MailStatus;
use serde_json::{json, Value};

use crate::helpers::{fresh_database, spawn_app, spawn_app_on, Backend, Spawn, TestApp};
use crate::on_both_backends;
use crate::smtp::{Received, SmtpServer};

on_both_backends!(
    subscribe_confirm_publish_unsubscribe,
    publishing_again_mails_no_one,
    mail_waits_for_a_server_that_is_down_and_arrives_once,
    receipts_and_refund_notices_follow_the_money,
    mail_that_never_goes_through_is_dead_for_staff_to_see,
    two_servers_share_the_outbox_and_send_each_mail_once,
    each_reader_is_written_to_in_their_own_language,
);

/// Mail through the SMTP server on `port`, retried quickly.
pub(crate) fn through_smtp(spawn: Spawn, port: u16) -> Spawn {
    spawn.with(move |s| {
        s.mail.transport = demeu_api::settings::MailTransportKind::Smtp;
        s.mail.retry_base = Duration::from_millis(200);
        s.mail.smtp.host = "127.0.0.1".into();
        s.mail.smtp.port = port;
        s.mail.smtp.tls = demeu_api::settings::SmtpTls::None;
    })
}

async fn with_smtp(backend: Backend) -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let app = through_smtp(spawn_app(backend), smtp.port).await;
    (app, smtp)
}

async fn outbox(app: &TestApp) -> Vec<(String, String, MailStatus, i32)> {
    app.pool
        .run(|conn| {
            use demeu_db::schema::mail_outbox::dsl::*;
            use diesel::prelude::*;
            mail_outbox.select((recipient, kind, status, attempts)).load(conn).map_err(demeu_db::DbError::from)
        })
        .await
        .expect("outbox")
}

/// Subscribes `email` and follows the confirmation link from the mail it gets.
async fn subscribe_and_confirm(app: &TestApp, smtp: &SmtpServer, email: &str) {
    let before = smtp.messages().len();
    let res = app.post_json("/api/v1/campaigns/mentors/subscriptions", &json!({"email": email})).await;
    assert_eq!(res.status(), 202);
    let mails = smtp.wait_for(before + 1).await;
    let confirmation = mails.iter().rev().find(|m| m.to == [email]).expect("a confirmation");
    // The link's page has a button; pressing it POSTs the token.
    let res = app.client.post(app.url(&confirmation.link("/subscriptions/confirm?token="))).send().await.expect("sent");
    assert_eq!(res.status(), 200);
}

async fn publish(app: &TestApp, editor: &str, title: &str) -> Value {
    let res = app
        .post_as(
            editor,
            "/api/v1/staff/campaigns/mentors/news",
            &json!({"title": title, "body_markdown": format!("**{title}** happened.")}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.expect("JSON")["id"].as_str().expect("id").to_string();
    let res = app.post_as(editor, &format!("/api/v1/staff/news/{id}/publish"), &json!({})).await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("JSON")
}

async fn subscribe_confirm_publish_unsubscribe(backend: Backend) {
    let (app, smtp) = with_smtp(backend).await;
    let first = app.post_json("/api/v1/campaigns/mentors/subscriptions", &json!({"email": "Reader@Example.kz"})).await;
    let second = app.post_json("/api/v1/campaigns/mentors/subscriptions", &json!({"email": "reader@example.kz"})).await;
    assert_eq!(first.status(), 202);
    assert_eq!(second.status(), 202);
    assert_eq!(first.text().await.expect("body"), second.text().await.expect("body"), "the same answer twice");
    let mails = smtp.wait_for(1).await;
    app.drain_mail().await;
    assert_eq!(smtp.messages().len(), 1, "subscribing twice sends one confirmation");
    let confirmation = &mails[0];
    assert_eq!(confirmation.to, ["reader@example.kz"]);
    assert!(confirmation.subject().contains("Подтвердите подписку"), "{}", confirmation.subject());
    assert!(confirmation.header("Message-ID").is_some_and(|id| id.ends_with("@dara.kz>")));
    assert!(confirmation.header("List-Unsubscribe").is_some());
    assert!(!confirmation.html().is_empty() && !confirmation.text().is_empty(), "text and HTML parts");
    let confirm = confirmation.link("/subscriptions/confirm?token=");
    assert_eq!(app.get(&confirm).await.status(), 200);
    assert_eq!(app.client.post(app.url(&confirm)).send().await.expect("sent").status(), 200);
    assert_eq!(app.get("/api/v1/subscriptions/confirm?token=forged").await.status(), 404);

    let editor = app.staff_token(Role::Editor).await;
    let published = publish(&app, &editor, "Школа наставников прошла").await;
    assert_eq!(published["mails_queued"], 1);
    let mails = smtp.wait_for(2).await;
    let news = &mails[1];
    assert_eq!(news.to, ["reader@example.kz"]);
    assert!(news.subject().contains("Школа наставников прошла"), "{}", news.subject());
    assert!(news.html().contains("<strong>Школа наставников прошла</strong>"));
    assert_eq!(news.header("List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
    let header_link = news.header("List-Unsubscribe").expect("header");
    let unsubscribe = news.link("/subscriptions/unsubscribe?token=");
    assert!(header_link.contains(&unsubscribe), "{header_link} vs {unsubscribe}");
    assert_eq!(app.get(&unsubscribe).await.status(), 200);
    assert_eq!(app.client.post(app.url(&unsubscribe)).send().await.expect("sent").status(), 200);

    publish(&app, &editor, "Second post").await;
    app.drain_mail().await;
    assert_eq!(smtp.messages().len(), 2, "an unsubscribed reader gets nothing more");

    // RFC 8058 one-click: a POST to the header's link.
    subscribe_and_confirm(&app, &smtp, "clicker@example.kz").await;
    let published = publish(&app, &editor, "Third post").await;
    assert_eq!(published["mails_queued"], 1);
    let mails = smtp.wait_for(4).await;
    let link = mails[3].link("/subscriptions/unsubscribe?token=");
    let res = app.client.post(app.url(&link)).body("List-Unsubscribe=One-Click").send().await.expect("sent");
    assert_eq!(res.status(), 200);
    assert_eq!(publish(&app, &editor, "Fourth post").await["mails_queued"], 0);
}

async fn publishing_again_mails_no_one(backend: Backend) {
    let (app, smtp) = with_smtp(backend).await;
    subscribe_and_confirm(&app, &smtp, "a@example.kz").await;
    subscribe_and_confirm(&app, &smtp, "b@example.kz").await;
    let editor = app.staff_token(Role::Editor).await;
    let published = publish(&app, &editor, "Summer school").await;
    assert_eq!(published["mails_queued"], 2);
    smtp.wait_for(4).await;
    let id = published["post"]["id"].as_str().expect("id");
    let res = app.patch_as(&editor, &format!("/api/v1/staff/news/{id}"), &json!({"body_markdown": "Edited."})).await;
    assert_eq!(res.status(), 200);
    app.post_as(&editor, &format!("/api/v1/staff/news/{id}/unpublish"), &json!({})).await;
    let again = app.post_as(&editor, &format!("/api/v1/staff/news/{id}/publish"), &json!({})).await;
    assert_eq!(again.json::<Value>().await.expect("JSON")["mails_queued"], 0);
    app.drain_mail().await;
    assert_eq!(smtp.messages().len(), 4, "two confirmations and two news mails, nothing more");
}

async fn mail_waits_for_a_server_that_is_down_and_arrives_once(backend: Backend) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let app = through_smtp(spawn_app(backend), port).await;
    for i in 0..3 {
        let res = app
            .post_json("/api/v1/campaigns/mentors/subscriptions", &json!({"email": format!("r{i}@example.kz")}))
            .await;
        assert_eq!(res.status(), 202);
    }
    // Nobody listens: every mail fails at least once and waits.
    app.drain_mail().await;
    let rows = outbox(&app).await;
    assert!(rows.len() == 3 && rows.iter().all(|r| r.3 >= 1 && r.2 == MailStatus::Pending), "{rows:?}");
    let smtp = SmtpServer::start_on(port).await;
    let mails = smtp.wait_for(3).await;
    app.drain_mail().await;
    let mut recipients: Vec<String> = smtp.messages().iter().flat_map(|m| m.to.clone()).collect();
    recipients.sort();
    assert_eq!(recipients, ["r0@example.kz", "r1@example.kz", "r2@example.kz"], "each mail once");
    assert_eq!(mails.len(), 3);
    assert!(outbox(&app).await.iter().all(|r| r.2 == MailStatus::Sent));
}

async fn receipts_and_refund_notices_follow_the_money(backend: Backend) {
    let (app, smtp) = with_smtp(backend).await;
    let res = app
        .post_json(
            "/api/v1/campaigns/mentors/pledges",
            &json!({"amount": 500_000, "donor_name": "Айгерим", "email": "donor@example.kz", "subscribe": true}),
        )
        .await;
    let created: Value = res.json().await.expect("JSON");
    let id = created["id"].as_str().expect("id").to_string();
    let confirmation = smtp.wait_for(1).await;
    assert!(confirmation[0].subject().contains("Подтвердите"), "a pledge that asks for news starts a subscription");
    let checkout =
        created["checkout_url"].as_str().expect("url").trim_start_matches("http://127.0.0.1:8080").to_string();
    app.client.post(app.url(&format!("{checkout}/pay"))).send().await.expect("paid");
    app.client.post(app.url(&format!("{checkout}/pay"))).send().await.expect("paid again");
    let mails = smtp.wait_for(2).await;
    let receipt: &Received = &mails[1];
    assert_eq!(receipt.to, ["donor@example.kz"]);
    let text = receipt.text();
    // In the donor's language (the campaign's: Russian), the plan line's Russian title too.
    for expected in ["5 000 ₸", id.as_str(), "Школа наставников этим летом", "Дара", "Айгерим"]
    {
        assert!(text.contains(expected), "{expected} missing from the receipt: {text}");
    }
    let accountant = app.staff_token(Role::Accountant).await;
    let res =
        app.post_as(&accountant, &format!("/api/v1/staff/pledges/{id}/refunds"), &json!({"amount": 200_000})).await;
    assert_eq!(res.status(), 202);
    let mails = smtp.wait_for(3).await;
    assert!(mails[2].subject().contains("2 000 ₸"), "{}", mails[2].subject());
    // The notice's dedupe key counts minor units, as every version wrote it: a key that changed
    // form (`2 000 ₸`) would let an upgrade send a pending notice a second time.
    let keys: Vec<String> = app
        .pool
        .run(|conn| {
            use demeu_db::schema::mail_outbox::dsl::*;
            use diesel::prelude::*;
            mail_outbox.filter(kind.eq("refund")).select(dedupe_key).load(conn).map_err(demeu_db::DbError::from)
        })
        .await
        .expect("keys");
    assert_eq!(keys, [format!("refund:{id}:200000")]);
    app.drain_mail().await;
    assert_eq!(smtp.messages().len(), 3, "paying twice sent one receipt");
    // An offline gift with an address gets its receipt at once.
    let gift = json!({"amount": 100_000, "email": "cash@example.kz", "method": "cash", "reference": "R-1"});
    assert_eq!(app.post_as(&accountant, "/api/v1/staff/campaigns/mentors/offline-pledges", &gift).await.status(), 201);
    let mails = smtp.wait_for(4).await;
    assert_eq!(mails[3].to, ["cash@example.kz"]);
}

async fn mail_that_never_goes_through_is_dead_for_staff_to_see(backend: Backend) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let app = through_smtp(spawn_app(backend), port).with(|s| s.mail.give_up = Duration::from_millis(720)).await;
    app.post_json("/api/v1/campaigns/mentors/subscriptions", &json!({"email": "lost@example.kz"})).await;
    let admin = app.staff_token(Role::Admin).await;
    let mut dead = Value::Null;
    for _ in 0..100 {
        dead = app.get_as(&admin, "/api/v1/staff/mail?status=dead").await.json().await.expect("JSON");
        if dead.as_array().is_some_and(|d| !d.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let dead = dead.as_array().expect("list");
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["recipient"], "lost@example.kz");
    assert!(dead[0]["last_error"].as_str().is_some_and(|e| !e.is_empty()));
    let editor = app.staff_token(Role::Editor).await;
    assert_eq!(app.get_as(&editor, "/api/v1/staff/mail?status=dead").await.status(), 403);
}

async fn two_servers_share_the_outbox_and_send_each_mail_once(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let database = fresh_database(backend);
    let generous = |s: &mut demeu_api::settings::Settings| s.limits.subscriptions_per_hour = 1000;
    let first = through_smtp(spawn_app_on(&database), smtp.port).with(generous).await;
    let second = through_smtp(spawn_app_on(&database), smtp.port).with(generous).await;
    let mut recipients = Vec::new();
    for i in 0..60 {
        let email = format!("twin{i}@example.kz");
        let app = if i % 2 == 0 { &first } else { &second };
        let res = app.post_json("/api/v1/campaigns/mentors/subscriptions", &json!({"email": email})).await;
        assert_eq!(res.status(), 202);
        recipients.push(email);
    }
    smtp.wait_for(60).await;
    first.drain_mail().await;
    second.drain_mail().await;
    let mut received: Vec<String> = smtp.messages().iter().flat_map(|m| m.to.clone()).collect();
    received.sort();
    recipients.sort();
    assert_eq!(received, recipients, "every mail once, though two workers ran");
}

/// A donor who gave on the Kazakh page gets a Kazakh receipt and refund notice, and a reader who
/// subscribed in English an English confirmation, whatever the campaign's own language (here
/// Russian); a gift staff recorded by hand keeps the campaign's.
async fn each_reader_is_written_to_in_their_own_language(backend: Backend) {
    let (app, smtp) = with_smtp(backend).await;
    let res = app
        .post_json(
            "/api/v1/campaigns/mentors/pledges?lang=kk",
            &json!({"amount": 500_000, "email": "donor@example.kz"}),
        )
        .await;
    let created: Value = res.json().await.expect("JSON");
    let id = created["id"].as_str().expect("id").to_string();
    let checkout =
        created["checkout_url"].as_str().expect("url").trim_start_matches("http://127.0.0.1:8080").to_string();
    app.client.post(app.url(&format!("{checkout}/pay"))).send().await.expect("paid");
    let receipt = &smtp.wait_for(1).await[0];
    assert!(receipt.subject().contains("Рахмет") && receipt.subject().contains("5 000 ₸"), "{}", receipt.subject());
    assert!(receipt.html().contains("lang=\"kk\""), "{}", receipt.html());
    let accountant = app.staff_token(Role::Accountant).await;
    let res =
        app.post_as(&accountant, &format!("/api/v1/staff/pledges/{id}/refunds"), &json!({"amount": 100_000})).await;
    assert_eq!(res.status(), 202);
    let notice = &smtp.wait_for(2).await[1];
    assert!(notice.subject().contains("қайтарылды"), "{}", notice.subject());
    let res = app
        .client
        .post(app.url("/api/v1/campaigns/mentors/subscriptions"))
        .header("accept-language", "en-GB,en;q=0.9")
        .json(&json!({"email": "reader@example.kz"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 202);
    let confirmation = &smtp.wait_for(3).await[2];
    assert!(confirmation.subject().starts_with("Confirm your subscription"), "{}", confirmation.subject());
    assert!(confirmation.text().contains("lang=en"), "its links open in English: {}", confirmation.text());
    let gift = json!({"amount": 100_000, "email": "cash@example.kz", "method": "cash", "reference": "R-1"});
    assert_eq!(app.post_as(&accountant, "/api/v1/staff/campaigns/mentors/offline-pledges", &gift).await.status(), 201);
    let by_hand = &smtp.wait_for(4).await[3];
    assert!(by_hand.subject().starts_with("Спасибо"), "{}", by_hand.subject());
}

//! How fast the mail worker sends to a local SMTP server: 1 000 confirmed subscribers, one post
//! published, the time until every news mail has been accepted. On SQLite and on PostgreSQL.
//!
//!     cargo bench -p demeu-api --bench mail_throughput

#[path = "../../../tests/api/postgres.rs"]
#[allow(dead_code)]
mod postgres;
#[path = "../../../tests/api/smtp.rs"]
#[allow(dead_code)]
mod smtp;

use std::time::Instant;

use campaign_news::{post, subscriber};
use demeu_api::mail::compose::{self, MailContext};
use demeu_api::mail::worker::Worker;
use demeu_api::mail::Mailer;
use demeu_api::settings::Settings;
use demeu_api::startup::prepare_database;

const SUBSCRIBERS: usize = 1_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let sqlite = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("bench-{}.db", uuid::Uuid::new_v4().simple()));
        run("sqlite", &format!("sqlite://{}", sqlite.display())).await;
        run("postgres", &postgres::fresh_database_url()).await;
    });
}

async fn run(backend: &str, url: &str) {
    let server = smtp::SmtpServer::start().await;
    let settings = Settings::from_toml_over_defaults(&[&format!(
        "[database]\nurl = \"{url}\"\npool_size = 8\n[mail]\ntransport = \"smtp\"\n[mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n",
        server.port
    )])
    .expect("settings");
    let pool = prepare_database(&settings).expect("database");
    let ctx = MailContext::from_settings(&settings);
    let queued = pool
        .run(move |conn| {
            let campaign = donations::campaign::find_by_slug(conn, "mentors")?;
            for i in 0..SUBSCRIBERS {
                let email = format!("reader{i}@example.kz");
                if let subscriber::Subscribed::ConfirmationDue { token, .. } =
                    subscriber::subscribe_in(conn, campaign.id, &email, None)?
                {
                    subscriber::confirm(conn, &token)?;
                }
            }
            // A staff member the bench makes up: the audit log names whoever it is given.
            let editor = demeu_db::ids::StaffUserId::new();
            let draft = post::create_draft(
                conn,
                campaign.id,
                editor,
                &post::NewPost {
                    title: "School of Mentors".into(),
                    body_markdown: "Twenty mentors **trained**.".into(),
                    slug: None,
                    plan_line: None,
                    marks_done: false,
                },
            )?;
            conn.write_transaction(|conn| {
                let published = post::publish_in(conn, draft.id, editor)?;
                compose::news(conn, &ctx, &campaign, &published.post).map_err(|e| anyhow::anyhow!("{e}"))
            })
        })
        .await
        .map_err(|e: anyhow::Error| e)
        .expect("setup");
    assert_eq!(queued, SUBSCRIBERS);
    let worker = Worker::new(pool.clone(), Mailer::from_settings(&settings.mail).expect("mailer"), &settings.mail)
        .expect("worker");
    let start = Instant::now();
    while worker.send_due().await.expect("send") > 0 {}
    let elapsed = start.elapsed();
    assert_eq!(server.messages().len(), SUBSCRIBERS);
    println!(
        "{backend}: {SUBSCRIBERS} news mails in {:.2} s = {:.0} mails/s",
        elapsed.as_secs_f64(),
        SUBSCRIBERS as f64 / elapsed.as_secs_f64()
    );
}

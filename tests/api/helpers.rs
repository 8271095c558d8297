//! Starting the application for a test, and talking to it.

use demeu_api::auth::{NewStaffUser, Role};
use demeu_api::settings::{CampaignSettings, LineSettings, Settings};
use demeu_api::startup::Application;
use demeu_db::DbPool;
use donations::plan::Tier;
use serde_json::Value;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates, for each named `async fn(Backend)`, one test per backend:
/// `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

/// A running application on a fresh database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: DbPool,
    worker: demeu_api::mail::worker::Worker,
    handle: actix_web::dev::ServerHandle,
    /// Checked on drop unless a test put the books out of balance on purpose.
    check_books: std::sync::atomic::AtomicBool,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sending the stop command is immediate; awaiting it is not needed.
        drop(self.handle.stop(false));
        // Every test ends with the books balanced: totals = ledger = pledges, for every
        // campaign. (Not after a failure: the first panic says more.)
        if std::thread::panicking() || !self.check_books.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let reports = tokio::task::block_in_place(|| {
            let mut conn = self.pool.get().expect("a connection for the final reconciliation");
            let slugs: Vec<String> = {
                use demeu_db::schema::campaigns::dsl::*;
                use diesel::prelude::*;
                campaigns.select(slug).load(&mut **conn).expect("campaigns")
            };
            slugs.iter().map(|s| donations::reconcile::reconcile(&mut conn, s).expect("reconciled")).collect::<Vec<_>>()
        });
        for report in reports {
            assert!(report.is_clean(), "the test left the books out of balance: {report:?}");
        }
    }
}

/// A fresh database URL on `backend`.
pub fn fresh_database(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("demeu-test-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}", dir.join("demeu.db").display())
        }
        Backend::Postgres => crate::postgres::fresh_database_url(),
    }
}

/// The shipped settings on a random port and the database at `database_url`, mail to files in
/// a folder of the test's own.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::from_toml_over_defaults(&[]).expect("the shipped settings are valid");
    settings.server.port = 0;
    settings.database.url = database_url.to_string().into();
    settings.database.pool_size = 4;
    settings.mail.file_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("mail-{}", uuid::Uuid::new_v4().simple()))
        .display()
        .to_string();
    settings.mail.poll_interval = std::time::Duration::from_millis(50);
    // Tests make many pledges from one address; the tests of the limit set their own.
    settings.limits.pledges_per_hour = 100_000;
    // Tests sign sandbox events themselves; an installation makes its own secret.
    settings.payments.sandbox.webhook_secret = crate::stripe::SANDBOX_SECRET.to_string().into();
    settings
}

/// A campaign with one goal line holding the whole goal, from `starts_at` (RFC 3339) to
/// `ends_at`.
pub fn campaign(slug: &str, starts_at: &str, ends_at: Option<&str>, goal: i64) -> CampaignSettings {
    let time = |t: &str| chrono::DateTime::parse_from_rfc3339(t).expect("an RFC 3339 time");
    let mut c = test_settings("sqlite://unused").campaigns.remove(0);
    c.slug = slug.to_string();
    c.titles = [("ru".to_string(), format!("{slug} title"))].into();
    c.starts_at = time(starts_at);
    c.ends_at = ends_at.map(time);
    c.goal = goal;
    c.lines = vec![LineSettings {
        key: "all".into(),
        titles: [("ru".to_string(), "All".to_string())].into(),
        tier: Tier::Goal,
        target: Some(goal),
    }];
    c
}

/// An application to start: `spawn_app(backend).await`, or with its settings changed first,
/// `spawn_app(backend).with(|s| s.limits.comments_per_hour = 2).await`.
pub struct Spawn {
    database_url: String,
    edits: Vec<SettingsEdit>,
}

type SettingsEdit = Box<dyn FnOnce(&mut Settings) + Send>;

impl Spawn {
    /// Changes the settings before the application starts; the result is checked as at start-up.
    pub fn with(mut self, edit: impl FnOnce(&mut Settings) + Send + 'static) -> Self {
        self.edits.push(Box::new(edit));
        self
    }
}

impl std::future::IntoFuture for Spawn {
    type Output = TestApp;
    type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = TestApp> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let mut settings = test_settings(&self.database_url);
            for edit in self.edits {
                edit(&mut settings);
            }
            let app = tokio::task::spawn_blocking(move || Application::build(settings))
                .await
                .expect("build task")
                .expect("the application starts");
            let address = format!("http://127.0.0.1:{}", app.port());
            let (pool, worker, handle) = (app.pool(), app.worker(), app.handle());
            tokio::spawn(app.run_until_stopped());
            TestApp {
                address,
                client: reqwest::Client::new(),
                pool,
                worker,
                handle,
                check_books: std::sync::atomic::AtomicBool::new(true),
            }
        })
    }
}

/// Starts the application on a fresh database on `backend`.
pub fn spawn_app(backend: Backend) -> Spawn {
    spawn_app_on(&fresh_database(backend))
}

/// Starts the application on an existing database (a second server beside a first one).
pub fn spawn_app_on(database_url: &str) -> Spawn {
    Spawn { database_url: database_url.to_string(), edits: Vec::new() }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.expect("JSON body")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(body).send().await.expect("request sent")
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.expect("request sent")
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(token).json(body).send().await.expect("request sent")
    }

    pub async fn patch_as(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client.patch(self.url(path)).bearer_auth(token).json(body).send().await.expect("request sent")
    }

    pub async fn delete_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client.delete(self.url(path)).bearer_auth(token).send().await.expect("request sent")
    }

    pub async fn post_webhook(&self, body: &str, signature: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/webhooks/stripe"))
            .header("content-type", "application/json")
            .header("stripe-signature", signature)
            .body(body.to_string())
            .send()
            .await
            .expect("request sent")
    }

    /// Makes a pledge through the API (`body`) and pays it on the sandbox's checkout, as a donor
    /// would: its id.
    pub async fn paid_pledge(&self, body: Value) -> String {
        let res = self.post_json("/api/v1/campaigns/mentors/pledges", &body).await;
        assert_eq!(res.status(), 201, "pledge created");
        let made: Value = res.json().await.expect("JSON");
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        // The checkout's address is the public one; the test's server listens elsewhere.
        let path = made["checkout_url"].as_str().expect("checkout").trim_start_matches("http://127.0.0.1:8080");
        assert_eq!(client.post(self.url(&format!("{path}/pay"))).send().await.expect("paid").status(), 303);
        made["id"].as_str().expect("id").to_string()
    }

    /// Makes a pledge through the API and returns its id.
    pub async fn pledge(&self, amount: i64) -> String {
        let res = self.post_json("/api/v1/campaigns/mentors/pledges", &serde_json::json!({"amount": amount})).await;
        assert_eq!(res.status(), 201, "pledge created");
        res.json::<Value>().await.expect("JSON")["id"].as_str().expect("id").to_string()
    }

    /// The campaign's net raised and counted pledges.
    /// The campaign once `done` holds for it, or as it is after a second. For a change made
    /// straight in the database, which the server's in-memory snapshot sees at its next poll
    /// (every 250 ms); a change made through the API shows on the next read.
    pub async fn campaign_once(&self, done: impl Fn(&Value) -> bool) -> Value {
        let started = std::time::Instant::now();
        loop {
            let body = self.get_json("/api/v1/campaigns/mentors").await;
            if done(&body) || started.elapsed() > std::time::Duration::from_secs(1) {
                return body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub async fn progress(&self) -> (i64, i64) {
        let body = self.get_json("/api/v1/campaigns/mentors").await;
        (body["raised"].as_i64().expect("raised"), body["pledges"].as_i64().expect("pledges"))
    }

    /// Sends all mail due now and waits until none is in flight: what a test then finds at
    /// the SMTP server is everything there is (no sleeping and hoping).
    pub async fn drain_mail(&self) {
        self.worker.drain().await.expect("the outbox drains");
    }

    /// For a test that puts the books out of balance on purpose (a tampered total).
    pub fn books_out_of_balance_on_purpose(&self) {
        self.check_books.store(false, std::sync::atomic::Ordering::SeqCst);
    }

    /// Asserts that the running totals agree with the ledger and the pledges.
    pub async fn assert_reconciled(&self) {
        let report = self.pool.run(|conn| donations::reconcile::reconcile(conn, "mentors")).await.expect("report");
        assert!(report.is_clean(), "{report:?}");
    }

    /// Runs one SQL statement directly on the database, as an operator (or an attacker with a
    /// hand on it) would.
    pub async fn execute_sql(&self, sql: &str) -> Result<usize, String> {
        let sql = sql.to_string();
        self.pool
            .run(move |conn| {
                use diesel::RunQueryDsl;
                diesel::sql_query(sql).execute(conn).map_err(demeu_db::DbError::from)
            })
            .await
            .map_err(|e| e.to_string())
    }

    /// The one text `sql` selects, as `v`.
    pub async fn text(&self, sql: &str) -> String {
        #[derive(diesel::QueryableByName)]
        struct One {
            #[diesel(sql_type = diesel::sql_types::Text)]
            v: String,
        }
        let sql = sql.to_string();
        let one = self.pool.run(move |conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query(sql).get_result::<One>(conn).map_err(demeu_db::DbError::from)
        });
        one.await.expect("a text").v
    }

    /// The one count `sql` selects, as `v`.
    pub async fn number(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct One {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            v: i64,
        }
        let sql = sql.to_string();
        let one = self.pool.run(move |conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query(sql).get_result::<One>(conn).map_err(demeu_db::DbError::from)
        });
        one.await.expect("a number").v
    }

    /// The audit log's actions, oldest first.
    pub async fn audit_actions(&self) -> Vec<String> {
        self.pool
            .run(|conn| {
                use demeu_db::schema::audit_log::dsl::*;
                use diesel::prelude::*;
                audit_log.select(action).order(created_at.asc()).load::<String>(conn).map_err(demeu_db::DbError::from)
            })
            .await
            .expect("audit")
    }

    /// Loads the fixture's pledges number `first` to `last` into `campaign` (the SQL of
    /// scripts/load/fixture.sh: paid, each with its ledger row and webhook event) and sets every
    /// campaign's running totals from the ledger.
    pub async fn load_pledges(&self, campaign: &str, first: u64, last: u64) {
        let campaign = campaign.to_string();
        self.pool
            .run(move |conn| {
                use diesel::connection::SimpleConnection;
                let batch = match conn {
                    demeu_db::DbConn::Postgres(_) => include_str!("../../scripts/load/fixture/postgres.sql"),
                    demeu_db::DbConn::Sqlite(_) => include_str!("../../scripts/load/fixture/sqlite.sql"),
                };
                let sql = batch
                    .replace("{first}", &first.to_string())
                    .replace("{last}", &last.to_string())
                    .replace("{campaign}", &campaign);
                conn.batch_execute(&sql)?;
                conn.batch_execute(include_str!("../../scripts/load/fixture/totals.sql"))?;
                Ok::<_, demeu_db::DbError>(())
            })
            .await
            .expect("fixture loaded");
    }

    /// Creates a staff account directly and signs it in over HTTP; returns its token.
    pub async fn staff_token(&self, role: Role) -> String {
        let email = format!("{}-{}@dara.kz", role.as_str(), uuid::Uuid::new_v4().simple());
        let password = "a long enough password".to_string();
        let pool = self.pool.clone();
        let new = NewStaffUser { email: email.clone(), password: password.clone(), role };
        pool.run(move |conn| demeu_api::auth::create_user(conn, None, &new)).await.expect("staff user created");
        let res =
            self.post_json("/api/v1/staff/sessions", &serde_json::json!({"email": email, "password": password})).await;
        assert_eq!(res.status(), 201, "sign in");
        let body: Value = res.json().await.expect("JSON");
        body["token"].as_str().expect("token").to_string()
    }
}

/// Asserts that `res` is a problem document with `status`, and returns it.
pub async fn assert_problem(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status(), status, "status");
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = res.json().await.expect("JSON problem");
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["type"].is_string() && body["detail"].is_string(), "{body}");
    body
}

/// The rows of `table` (to check that something refused stored nothing).
pub async fn count(app: &TestApp, table: &'static str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    app.pool
        .run(move |conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                .get_result::<Count>(conn)
                .map_err(demeu_db::DbError::from)
        })
        .await
        .expect("count")
        .n
}

/// A `width`×`height` JPEG as a phone writes it: an EXIF block with a GPS position in it.
pub fn phone_photo(width: u32, height: u32) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 120]));
    let mut jpeg = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90),
        pixels.as_raw(),
        width,
        height,
        image::ExtendedColorType::Rgb8,
    )
    .expect("a JPEG");
    let exif = b"Exif\0\0MM\0*GPSLatitude 43.238949 GPSLongitude 76.889709";
    let mut photo = jpeg[..2].to_vec();
    photo.extend([0xFF, 0xE1]);
    photo.extend(u16::try_from(exif.len() + 2).expect("short").to_be_bytes());
    photo.extend_from_slice(exif);
    photo.extend_from_slice(&jpeg[2..]);
    photo
}

/// A whole PDF of one empty page, as a scanner or an office program writes one: its
/// cross-reference table where its `startxref` says.
pub fn whole_pdf() -> Vec<u8> {
    let body = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n";
    let xref = body.len();
    format!("{body}xref\n0 4\n0000000000 65535 f \ntrailer << /Size 4 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n")
        .into_bytes()
}

/// A `multipart/form-data` body of `parts`, as a browser sends a form with a file: each part's
/// name, its file name when it is a file, and its bytes. The content type to send it with is
/// `multipart/form-data; boundary={boundary}`.
pub fn multipart(boundary: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
        if let Some(file) = filename {
            body.extend(format!("; filename=\"{file}\"\r\nContent-Type: application/octet-stream").as_bytes());
        }
        body.extend(b"\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    body
}

//! Starting the application for a test, and talking to it.

use demeu_api::auth::{NewStaffUser, Role};
use demeu_api::settings::Settings;
use demeu_api::startup::Application;
use demeu_db::DbPool;
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
    handle: actix_web::dev::ServerHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sending the stop command is immediate; awaiting it is not needed.
        drop(self.handle.stop(false));
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

/// The shipped settings on a random port and a fresh database, with `extra` TOML over them.
pub fn test_settings(database_url: &str, extra: &str) -> Settings {
    let mail_dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mail-{}", uuid::Uuid::new_v4().simple()));
    let base = format!(
        "[server]\nport = 0\n[database]\nurl = \"{database_url}\"\npool_size = 4\n[mail]\nfile_dir = \"{}\"\npoll_interval_ms = 50\n",
        mail_dir.display()
    );
    Settings::from_toml_over_defaults(&[&base, extra]).expect("test settings are valid")
}

/// A `[[campaigns]]` TOML entry with one goal line holding the whole goal.
pub fn campaign_toml(slug: &str, starts_at: &str, ends_at: Option<&str>, goal: i64) -> String {
    let ends = ends_at.map(|e| format!("ends_at = \"{e}\"\n")).unwrap_or_default();
    format!(
        "[[campaigns]]\nslug = \"{slug}\"\ntitle = \"{slug} title\"\ncurrency = \"KZT\"\nstarts_at = \"{starts_at}\"\n{ends}\
         goal = {goal}\n[[campaigns.lines]]\nkey = \"all\"\ntitle = \"All\"\ntier = \"goal\"\ntarget = {goal}\n"
    )
}

/// Starts the application on `backend` with the shipped configuration.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, "").await
}

/// Starts the application on `backend` with `extra` TOML over the shipped configuration.
pub async fn spawn_app_with(backend: Backend, extra: &str) -> TestApp {
    spawn_app_on(&fresh_database(backend), extra).await
}

/// Starts the application on an existing database (a second server beside a first one).
pub async fn spawn_app_on(database_url: &str, extra: &str) -> TestApp {
    let settings = test_settings(database_url, extra);
    let app = tokio::task::spawn_blocking(move || Application::build(settings))
        .await
        .expect("build task")
        .expect("the application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let pool = app.pool();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp { address, client: reqwest::Client::new(), pool, handle }
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

    /// Makes a pledge through the API and returns its id.
    pub async fn pledge(&self, amount: i64) -> String {
        let res = self.post_json("/api/v1/campaigns/mentors/pledges", &serde_json::json!({"amount": amount})).await;
        assert_eq!(res.status(), 201, "pledge created");
        res.json::<Value>().await.expect("JSON")["id"].as_str().expect("id").to_string()
    }

    /// The campaign's net raised and counted pledges.
    pub async fn progress(&self) -> (i64, i64) {
        let body = self.get_json("/api/v1/campaigns/mentors").await;
        (body["raised"].as_i64().expect("raised"), body["pledges"].as_i64().expect("pledges"))
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

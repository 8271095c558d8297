//! Configuration: config/default.toml, then config/{DEMEU_ENV}.toml, then `DEMEU__...`
//! environment variables. Everything is checked here, so that a bad value stops start-up with
//! one line naming the key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use donations::campaign::CampaignSpec;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The shipped defaults, used when no config/default.toml is found beside the working directory
/// (e.g. the binary was copied elsewhere).
const EMBEDDED_DEFAULTS: &str = include_str!("../../../../config/default.toml");

/// Everything the server reads at start-up.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Where to listen and how to be reached.
    pub server: ServerSettings,
    /// Which database.
    pub database: DatabaseSettings,
    /// Which payment provider.
    pub payments: PaymentSettings,
    /// The campaigns hosted.
    pub campaigns: Vec<CampaignSettings>,
    /// Who runs them.
    pub foundation: FoundationSettings,
    /// How mail goes out.
    pub mail: MailSettings,
    /// Rate limits per client address.
    pub limits: LimitSettings,
    /// `DEMEU_ENV`, when set (`production` forbids the sandbox).
    #[serde(skip)]
    pub environment: Option<String>,
}

/// True for `http(s)://localhost`, `127.x.x.x` or `[::1]`, with any port and path.
fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `[foundation]`: the identity a new installation starts with (imported once, then admins
/// edit it in the console), and where volunteers' applications are mailed.
#[derive(Debug, Clone, Deserialize)]
pub struct FoundationSettings {
    /// The name per language (`kk`, `ru`, `en`).
    pub names: campaigns::TextSettings,
    /// Legal form, БИН, address, phone, email, website, bank details: see config/default.toml.
    #[serde(default)]
    pub legal_form: String,
    #[serde(default)]
    #[allow(missing_docs)]
    pub registration_number: String,
    #[serde(default)]
    #[allow(missing_docs)]
    pub address: String,
    #[serde(default)]
    #[allow(missing_docs)]
    pub phone: String,
    #[serde(default)]
    #[allow(missing_docs)]
    pub email: String,
    #[serde(default)]
    #[allow(missing_docs)]
    pub website: String,
    #[serde(default)]
    #[allow(missing_docs)]
    pub bank_details: String,
    /// The public offer, Markdown per language.
    #[serde(default)]
    pub offer: campaigns::TextSettings,
    /// The privacy policy, Markdown per language.
    #[serde(default)]
    pub privacy: campaigns::TextSettings,
    /// Where each "join the mentors' team" application is mailed, with the applicant's details;
    /// empty (the default): no mail, staff read them at `GET /api/v1/staff/volunteers`.
    #[serde(default)]
    pub volunteers_email: String,
}

impl FoundationSettings {
    /// The identity configuration gives, checked as admins' edits are (`foundation.<field>`
    /// named when wrong).
    pub fn identity(&self) -> Result<campaign_news::foundation::Identity, SettingsError> {
        let some = |s: &String| Some(s.clone());
        let patch = campaign_news::foundation::IdentityPatch {
            names: Some(self.names.clone()),
            legal_form: some(&self.legal_form),
            registration_number: some(&self.registration_number),
            address: some(&self.address),
            phone: some(&self.phone),
            email: some(&self.email),
            website: some(&self.website),
            bank_details: some(&self.bank_details),
            offer: Some(self.offer.clone()),
            privacy: Some(self.privacy.clone()),
        };
        patch.applied_to(&Default::default()).map_err(|e| match e {
            campaign_news::Error::Invalid(errors) => SettingsError(
                errors.iter().map(|e| format!("foundation.{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "),
            ),
            other => SettingsError(format!("foundation: {other}")),
        })
    }

    /// The address applications are mailed to, if one is set.
    pub fn volunteers_email(&self) -> Option<&str> {
        Some(self.volunteers_email.trim()).filter(|e| !e.is_empty())
    }
}

/// `[limits]`
#[derive(Debug, Clone, Deserialize)]
pub struct LimitSettings {
    /// Comments per client address per hour.
    pub comments_per_hour: u32,
    /// Subscriptions per client address per hour, pledges that ask for news included.
    pub subscriptions_per_hour: u32,
    /// Pledges per client address per hour (a donor gives a few times; a card tester many).
    #[serde(default = "default_pledges_per_hour")]
    pub pledges_per_hour: u32,
    /// "Join the mentors' team" applications per client address per hour.
    #[serde(default = "default_volunteers_per_hour")]
    pub volunteers_per_hour: u32,
    /// Donor sign-in links asked for per client address per hour (beyond: 429).
    #[serde(default = "default_donor_links_per_hour")]
    pub donor_links_per_hour: u32,
    /// Donor sign-in links mailed per address per hour (beyond, nothing more is mailed, and
    /// the answer is the same 202: an address cannot be flooded, nor its owner locked out).
    #[serde(default = "default_donor_links_per_address")]
    pub donor_links_per_address: u32,
    /// Password checks (argon2) at once; 0 is one per core.
    #[serde(default)]
    pub password_checks: usize,
    /// How long a sign-in waits for a password check slot before it is answered 503
    /// (`password_check_wait_ms`).
    #[serde(rename = "password_check_wait_ms", default = "default_check_wait", deserialize_with = "duration::millis")]
    pub password_check_wait: Duration,
    /// An offline gift may be at most the campaign's `max_pledge` times this (a typo of a few
    /// extra zeros is refused, a large bank transfer is not).
    #[serde(default = "default_offline_factor")]
    pub offline_pledge_factor: u32,
    /// Live progress streams one client address may hold at once (a mobile carrier puts many
    /// donors behind one address: each open campaign page holds one).
    #[serde(default = "default_event_streams_per_client")]
    pub event_streams_per_client: usize,
    /// The largest picture staff may upload, in bytes (a larger one is answered 413 before it
    /// is read whole).
    #[serde(default = "default_picture_upload_bytes")]
    pub picture_upload_bytes: usize,
    /// The most pixels (width × height) an uploaded picture may declare.
    #[serde(default = "default_picture_max_pixels")]
    pub picture_max_pixels: u64,
    /// An expense's evidence files together, in bytes (a larger upload is answered 413 naming
    /// `evidence`, before it is read whole).
    #[serde(default = "default_evidence_upload_bytes")]
    pub evidence_upload_bytes: usize,
}

fn default_evidence_upload_bytes() -> usize {
    20 * 1024 * 1024
}

fn default_event_streams_per_client() -> usize {
    32
}

fn default_picture_upload_bytes() -> usize {
    10 * 1024 * 1024
}

fn default_picture_max_pixels() -> u64 {
    40_000_000
}

fn default_check_wait() -> Duration {
    Duration::from_secs(2)
}

fn default_pledges_per_hour() -> u32 {
    30
}

fn default_volunteers_per_hour() -> u32 {
    5
}

fn default_donor_links_per_hour() -> u32 {
    10
}

fn default_donor_links_per_address() -> u32 {
    3
}

fn default_offline_factor() -> u32 {
    100
}

/// `[mail]`
#[derive(Debug, Clone, Deserialize)]
pub struct MailSettings {
    /// `file` or `smtp`.
    pub transport: MailTransportKind,
    /// The From address, `Name <address>` or an address.
    pub from: String,
    /// Where the file transport writes.
    pub file_dir: String,
    /// The first retry waits this long; each next one twice as long (`retry_base_seconds`).
    #[serde(rename = "retry_base_seconds", deserialize_with = "duration::seconds")]
    pub retry_base: Duration,
    /// A mail still failing after this long is dead (`give_up_hours`).
    #[serde(rename = "give_up_hours", deserialize_with = "duration::hours")]
    pub give_up: Duration,
    /// How often the worker looks for due mail (`poll_interval_ms`).
    #[serde(rename = "poll_interval_ms", deserialize_with = "duration::millis")]
    pub poll_interval: Duration,
    /// `[mail.smtp]`
    pub smtp: SmtpSettings,
}

/// Mail transports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    /// .eml files under `mail.file_dir`.
    File,
    /// An SMTP server.
    Smtp,
}

/// `[mail.smtp]`
#[derive(Debug, Clone, Deserialize)]
pub struct SmtpSettings {
    /// Server name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// none, starttls or tls.
    pub tls: SmtpTls,
    /// Empty for no authentication.
    pub username: String,
    /// Password.
    pub password: SecretString,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (a local relay).
    None,
    /// Upgrade with STARTTLS, required.
    Starttls,
    /// TLS from the first byte.
    Tls,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// Address to bind.
    pub host: String,
    /// Port to bind; 0 picks a free one (tests).
    pub port: u16,
    /// The URL donors reach this server at.
    pub public_url: String,
    /// Largest request body, bytes.
    #[serde(default = "default_body_limit")]
    pub body_limit: usize,
    /// Proxies (addresses or CIDR blocks) whose `Forwarded` and `X-Forwarded-For` name the
    /// client; empty believes no such header. See [`crate::client_ip`].
    #[serde(default)]
    pub trusted_proxies: Vec<crate::client_ip::Network>,
    /// Origins (`https://dara.kz`) whose pages may frame `/embed/campaigns/{slug}`.
    #[serde(default)]
    pub embed_origins: Vec<String>,
    /// Origins (`https://dara.kz`) of the foundation's own frontends that may call the public
    /// API from the browser (CORS). See [`crate::cors`].
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// Origins that may also call the staff API (`/api/v1/staff/...`) from the browser; they may
    /// call the public API too.
    #[serde(default)]
    pub cors_staff_origins: Vec<String>,
}

/// `scheme://host[:port]` and nothing else: what a CSP `frame-ancestors` source may name without
/// widening it (no path, no wildcard, no quote or space that would end the directive), and what
/// a browser's `Origin` header can equal (so a CORS list cannot hold an entry that never matches).
fn is_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else { return false };
    let (host, port) = rest.rsplit_once(':').map_or((rest, None), |(h, p)| (h, Some(p)));
    matches!(scheme, "http" | "https")
        && !host.is_empty()
        && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()))
}

fn default_body_limit() -> usize {
    64 * 1024
}

/// `[database]`
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://...` or `postgres://...`; may hold a password.
    pub url: SecretString,
    /// Connections kept at most.
    pub pool_size: u32,
    /// How long a request waits for a connection before it is answered 503
    /// (`pool_timeout_ms`); a database known to be down is answered at once.
    #[serde(rename = "pool_timeout_ms", default = "default_pool_timeout", deserialize_with = "duration::millis")]
    pub pool_timeout: Duration,
}

fn default_pool_timeout() -> Duration {
    Duration::from_secs(5)
}

/// `[payments]`
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentSettings {
    /// `sandbox` or `stripe`.
    pub provider: ProviderKind,
    /// `[payments.sandbox]`
    pub sandbox: SandboxSettings,
    /// `[payments.stripe]`
    #[serde(default)]
    pub stripe: StripeSettings,
    /// `[payments.tiptoppay]`
    #[serde(default)]
    pub tiptoppay: TipTopPaySettings,
    /// How old a webhook signature may be (`webhook_tolerance_seconds`).
    #[serde(
        rename = "webhook_tolerance_seconds",
        default = "default_tolerance",
        deserialize_with = "duration::seconds"
    )]
    pub webhook_tolerance: Duration,
    /// How long a Stripe event naming a payment not known yet is asked to be delivered again
    /// (Stripe retries for about three days); older, it is stored as `unmatched` for staff
    /// (`webhook_retry_hours`). TipTop Pay's is `payments.tiptoppay.retry_hours`.
    #[serde(rename = "webhook_retry_hours", default = "default_retry_window", deserialize_with = "duration::hours")]
    pub webhook_retry: Duration,
}

fn default_tolerance() -> Duration {
    Duration::from_secs(300)
}

fn default_retry_window() -> Duration {
    Duration::from_secs(72 * 3600)
}

/// Durations as configuration writes them: a number in the unit its key names.
mod duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    fn scaled<'de, D: Deserializer<'de>>(deserializer: D, unit_seconds: f64) -> Result<Duration, D::Error> {
        let value = f64::deserialize(deserializer)?;
        Duration::try_from_secs_f64(value * unit_seconds)
            .map_err(|_| serde::de::Error::custom(format!("{value} is not a duration (a number of at least 0)")))
    }

    pub fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        scaled(d, 0.001)
    }

    pub fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        scaled(d, 1.0)
    }

    pub fn hours<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        scaled(d, 3600.0)
    }
}

impl PaymentSettings {
    /// The window within which a delivery from `provider` (as the inbox names it) about something
    /// not known yet is asked for again, from now: each provider's inside its own retries, so
    /// that the event is kept for staff before the provider gives up on it.
    pub fn retry_window(&self, provider: &str) -> donations::payment_events::RetryWindow {
        let window = match provider {
            "tiptoppay" => self.tiptoppay.retry,
            _ => self.webhook_retry,
        };
        donations::payment_events::RetryWindow {
            now: Utc::now(),
            window: chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX),
        }
    }
}

/// `[payments.stripe]`
#[derive(Debug, Clone, Deserialize)]
pub struct StripeSettings {
    /// `sk_live_...` or `sk_test_...`.
    #[serde(default = "empty_secret")]
    pub secret_key: SecretString,
    /// `whsec_...`; several, comma-separated, while a secret is being rotated.
    #[serde(default = "empty_secret")]
    pub webhook_secret: SecretString,
    /// Stripe's API; tests point it at a local stand-in.
    #[serde(default = "default_stripe_base")]
    pub api_base: String,
}

impl Default for StripeSettings {
    fn default() -> Self {
        StripeSettings { secret_key: empty_secret(), webhook_secret: empty_secret(), api_base: default_stripe_base() }
    }
}

fn empty_secret() -> SecretString {
    SecretString::from(String::new())
}

fn default_stripe_base() -> String {
    "https://api.stripe.com/".into()
}

/// `[payments.tiptoppay]`
#[derive(Debug, Clone, Deserialize)]
pub struct TipTopPaySettings {
    /// The site's Public ID (the Basic auth user).
    #[serde(default)]
    pub public_id: String,
    /// The site's API secret: the Basic auth password, and the key notifications are signed with.
    #[serde(default = "empty_secret")]
    pub api_secret: SecretString,
    /// TipTop Pay's API; tests point it at a local stand-in.
    #[serde(default = "default_tiptoppay_base")]
    pub api_base: String,
    /// True for a test site: test-mode notifications are accepted. False (live payments), they
    /// are stored as not ours and move nothing.
    #[serde(default)]
    pub test_mode: bool,
    /// How long a notification naming a payment not known yet is answered 503, so that TipTop
    /// Pay sends it again (`retry_hours`); older, it is stored as `unmatched` for staff. TipTop
    /// Pay retries about 100 times over about two days: 36 hours ends well inside them.
    #[serde(rename = "retry_hours", default = "default_tiptoppay_retry", deserialize_with = "duration::hours")]
    pub retry: Duration,
}

fn default_tiptoppay_retry() -> Duration {
    Duration::from_secs(36 * 3600)
}

impl Default for TipTopPaySettings {
    fn default() -> Self {
        TipTopPaySettings {
            public_id: String::new(),
            api_secret: empty_secret(),
            api_base: default_tiptoppay_base(),
            test_mode: false,
            retry: default_tiptoppay_retry(),
        }
    }
}

fn default_tiptoppay_base() -> String {
    "https://api.tiptoppay.kz/".into()
}

impl PaymentSettings {
    /// The secrets that may sign a Stripe webhook delivery, several while one is being rotated.
    /// (The sandbox's own is made by the installation: see `payments::sandbox::sandbox_secret`.)
    pub fn stripe_webhook_secrets(&self) -> Vec<String> {
        let raw = self.stripe.webhook_secret.expose_secret();
        raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
    }

    /// Stripe serves new pledges, or keeps serving the pledges it made: its keys are set.
    pub fn stripe_configured(&self) -> bool {
        self.provider == ProviderKind::Stripe
            || !self.stripe.secret_key.expose_secret().trim().is_empty()
            || !self.stripe_webhook_secrets().is_empty()
    }

    /// TipTop Pay serves new pledges, or keeps serving the pledges it made: its keys are set.
    pub fn tiptoppay_configured(&self) -> bool {
        self.provider == ProviderKind::TipTopPay
            || !self.tiptoppay.public_id.trim().is_empty()
            || !self.tiptoppay.api_secret.expose_secret().trim().is_empty()
    }

    /// Each configured provider has all its keys.
    fn check(&self) -> Result<(), SettingsError> {
        let missing = |key: &str, provider: &str| {
            Err(SettingsError(format!(
                "payments.{provider}.{key}: must be set (payments.{provider} is in use: it is payments.provider, or some of its keys are set)"
            )))
        };
        if self.stripe_configured() {
            if self.stripe.secret_key.expose_secret().trim().is_empty() {
                return missing("secret_key", "stripe");
            }
            if self.stripe_webhook_secrets().is_empty() {
                return missing("webhook_secret", "stripe");
            }
            if !self.stripe.api_base.starts_with("http") {
                return Err(SettingsError("payments.stripe.api_base: must be an http(s) URL".into()));
            }
        }
        if self.tiptoppay_configured() {
            if self.tiptoppay.public_id.trim().is_empty() {
                return missing("public_id", "tiptoppay");
            }
            if self.tiptoppay.api_secret.expose_secret().trim().is_empty() {
                return missing("api_secret", "tiptoppay");
            }
            if !self.tiptoppay.api_base.starts_with("http") {
                return Err(SettingsError("payments.tiptoppay.api_base: must be an http(s) URL".into()));
            }
        }
        Ok(())
    }
}

/// The payment providers this build has (`sandbox`, `stripe`, `tiptoppay`).
pub use donations::pledge::ProviderKind;

/// `[payments.sandbox]`
#[derive(Debug, Clone, Deserialize)]
pub struct SandboxSettings {
    /// Signs the sandbox's events. Empty (the default): a random secret this installation
    /// makes on first start and keeps in its database, so that no working secret ships here.
    #[serde(default = "empty_secret")]
    pub webhook_secret: SecretString,
    /// Lets the sandbox serve a public address (a demo where no money moves). Never with
    /// `DEMEU_ENV=production`.
    #[serde(default)]
    pub public_demo: bool,
}

pub mod campaigns;

pub use campaigns::{CampaignSettings, LineSettings};

/// A configuration that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct SettingsError(pub(crate) String);

/// The `config` crate's error on one line: a TOML syntax error comes with a drawing of the line
/// that spans several.
fn one_line(e: config::ConfigError) -> SettingsError {
    SettingsError(e.to_string().split_whitespace().collect::<Vec<_>>().join(" "))
}

impl Settings {
    /// Loads from `./config` (or `DEMEU_CONFIG_DIR`), the environment file named by `DEMEU_ENV`,
    /// and `DEMEU__` variables, then checks every value.
    pub fn load() -> Result<Self, SettingsError> {
        let dir = std::env::var_os("DEMEU_CONFIG_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("config"));
        let env = std::env::var("DEMEU_ENV").ok();
        Self::load_from(&dir, env.as_deref(), true)
    }

    /// Loads from `dir`; `with_env` adds the `DEMEU__` variables (tests leave them out).
    pub fn load_from(dir: &Path, env: Option<&str>, with_env: bool) -> Result<Self, SettingsError> {
        use config::{Environment, File, FileFormat};
        let default_file = dir.join("default.toml");
        let mut builder = config::Config::builder();
        builder = if default_file.exists() {
            builder.add_source(File::from(default_file))
        } else {
            builder.add_source(File::from_str(EMBEDDED_DEFAULTS, FileFormat::Toml))
        };
        if let Some(env) = env {
            builder = builder.add_source(File::from(dir.join(format!("{env}.toml"))).required(true));
        }
        builder = builder.add_source(File::from(dir.join("local.toml")).required(false));
        if with_env {
            // A list from one variable: DEMEU__SERVER__TRUSTED_PROXIES=10.0.0.1,fd00::/8.
            let env = Environment::with_prefix("DEMEU").prefix_separator("__").separator("__").try_parsing(true);
            builder = builder.add_source(
                env.list_separator(",")
                    .with_list_parse_key("server.trusted_proxies")
                    .with_list_parse_key("server.embed_origins")
                    .with_list_parse_key("server.cors_origins")
                    .with_list_parse_key("server.cors_staff_origins"),
            );
        }
        let mut settings: Settings = builder.build().and_then(|c| c.try_deserialize()).map_err(one_line)?;
        settings.environment = env.map(str::to_string);
        settings.check()?;
        Ok(settings)
    }

    /// Parses settings from TOML texts laid in order over the shipped defaults (for tests and
    /// tools).
    pub fn from_toml_over_defaults(layers: &[&str]) -> Result<Self, SettingsError> {
        use config::{File, FileFormat};
        let mut builder = config::Config::builder().add_source(File::from_str(EMBEDDED_DEFAULTS, FileFormat::Toml));
        for layer in layers {
            builder = builder.add_source(File::from_str(layer, FileFormat::Toml));
        }
        let settings: Settings = builder.build().and_then(|c| c.try_deserialize()).map_err(one_line)?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), SettingsError> {
        demeu_db::Backend::from_url(self.database.url.expose_secret())
            .map_err(|e| SettingsError(format!("database.url: {e}")))?;
        if self.database.pool_size == 0 {
            return Err(SettingsError("database.pool_size: must be at least 1".into()));
        }
        if !(self.server.public_url.starts_with("http://") || self.server.public_url.starts_with("https://")) {
            return Err(SettingsError("server.public_url: must start with http:// or https://".into()));
        }
        let origin_lists = [
            ("embed_origins", &self.server.embed_origins),
            ("cors_origins", &self.server.cors_origins),
            ("cors_staff_origins", &self.server.cors_staff_origins),
        ];
        for (key, origins) in origin_lists {
            if let Some(bad) = origins.iter().find(|o| !is_origin(o)) {
                return Err(SettingsError(format!(
                    "server.{key}: `{bad}` is not an origin (https://host or https://host:port)"
                )));
            }
        }
        self.check_sandbox()?;
        self.payments.check()?;
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(SettingsError("mail.from: is not a mail address".into()));
        }
        if self.mail.retry_base.is_zero() || self.mail.give_up.is_zero() {
            return Err(SettingsError("mail.retry_base_seconds and mail.give_up_hours: must be above zero".into()));
        }
        self.foundation.identity()?;
        if let Some(address) = self.foundation.volunteers_email() {
            demeu_db::email::Email::parse(address)
                .map_err(|why| SettingsError(format!("foundation.volunteers_email: {why}")))?;
        }
        let specs = self.campaign_specs()?;
        for (i, spec) in specs.iter().enumerate() {
            if specs[..i].iter().any(|s| s.slug == spec.slug) {
                return Err(SettingsError(format!("campaigns[{i}].slug: `{}` is used twice", spec.slug)));
            }
        }
        Ok(())
    }

    /// The sandbox pays without money: anyone could press "Pay" on their own pledge. It serves
    /// only a loopback address, unless a public demo is asked for, and never production.
    fn check_sandbox(&self) -> Result<(), SettingsError> {
        if self.payments.provider != ProviderKind::Sandbox {
            return Ok(());
        }
        let refuse = |why: &str| {
            Err(SettingsError(format!(
                "payments.provider: the sandbox (no money moves) {why}; set payments.provider = \"tiptoppay\" or \"stripe\" and its keys"
            )))
        };
        if self.environment.as_deref() == Some("production") {
            return refuse("cannot run with DEMEU_ENV=production");
        }
        if !self.payments.sandbox.public_demo && !is_loopback_url(self.public_url()) {
            return refuse(&format!(
                "serves only a loopback server.public_url, not {} (payments.sandbox.public_demo = true allows a public demo)",
                self.public_url()
            ));
        }
        Ok(())
    }

    /// The configured campaigns as domain values, each checked.
    pub fn campaign_specs(&self) -> Result<Vec<CampaignSpec>, SettingsError> {
        self.campaigns.iter().enumerate().map(|(i, c)| c.to_spec(i)).collect()
    }

    /// The database URL, for the pool.
    pub fn database_url(&self) -> &str {
        self.database.url.expose_secret()
    }

    /// The public URL without a trailing slash.
    pub fn public_url(&self) -> &str {
        self.server.public_url.trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_defaults_load() {
        let s = Settings::from_toml_over_defaults(&[]).expect("defaults are valid");
        let specs = s.campaign_specs().expect("valid");
        assert_eq!(specs[0].slug, "mentors");
        assert_eq!(specs[0].plan.goal().minor, 52_500_000);
        assert_eq!(s.database_url(), "sqlite://data/demeu.db");
        assert_eq!(s.payments.provider, ProviderKind::Sandbox);
    }

    #[test]
    fn a_plan_that_does_not_add_up_names_the_lines() {
        let err = Settings::from_toml_over_defaults(&[r#"
            [[campaigns]]
            slug = "mentors"
            titles = { ru = "Mentors" }
            currency = "KZT"
            starts_at = "2026-11-01T00:00:00+05:00"
            goal = 52500000
            [[campaigns.lines]]
            key = "summer-school"
            titles = { ru = "Summer" }
            tier = "goal"
            target = 22500000
            [[campaigns.lines]]
            key = "psychologists"
            titles = { ru = "Psychologists" }
            tier = "goal"
            target = 20000000
            "#])
        .expect_err("refused");
        let msg = err.to_string();
        assert!(msg.contains("campaigns[0].lines (mentors)"), "{msg}");
        assert!(msg.contains("summer-school + psychologists"), "{msg}");
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = Settings::from_toml_over_defaults(&["[server]\nport = \"eighty\""]).expect_err("refused");
        assert!(err.to_string().contains("server.port"), "{err}");
        let err = Settings::from_toml_over_defaults(&["[database]\nurl = \"mysql://x\""]).expect_err("refused");
        assert!(err.to_string().contains("database.url"), "{err}");
        let err = Settings::from_toml_over_defaults(&["[payments]\nprovider = \"paypal\""]).expect_err("refused");
        assert!(err.to_string().contains("provider"), "{err}");
        let err = Settings::from_toml_over_defaults(&[
            "[payments]\nprovider = \"stripe\"\n[payments.stripe]\nwebhook_secret = \"whsec_1\"",
        ])
        .expect_err("refused");
        assert!(err.to_string().contains("payments.stripe.secret_key"), "{err}");
    }

    #[test]
    fn loopback_urls_are_told_apart() {
        for url in ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:8080/x", "http://127.0.0.2"] {
            assert!(is_loopback_url(url), "{url}");
        }
        for url in ["https://dara.kz", "http://10.0.0.1:8080", "http://localhost.dara.kz", "http://127.0.0.1.nip.io"] {
            assert!(!is_loopback_url(url), "{url}");
        }
    }

    #[test]
    fn a_provider_in_use_needs_all_its_keys() {
        let tiptoppay = "[payments]\nprovider = \"tiptoppay\"\n[payments.tiptoppay]\npublic_id = \"pk_1\"";
        let err = Settings::from_toml_over_defaults(&[tiptoppay]).expect_err("refused");
        assert!(err.to_string().contains("payments.tiptoppay.api_secret"), "{err}");
        let whole = format!("{tiptoppay}\napi_secret = \"secret_1\"");
        let s = Settings::from_toml_over_defaults(&[&whole]).expect("valid");
        assert!(s.payments.tiptoppay_configured() && !s.payments.stripe_configured());
        assert_eq!(s.payments.tiptoppay.api_base, "https://api.tiptoppay.kz/");
        // Stripe's keys kept beside TipTop Pay's, while its pledges finish: all of them or none.
        let half = format!("{whole}\n[payments.stripe]\nsecret_key = \"sk_live_1\"");
        let err = Settings::from_toml_over_defaults(&[&half]).expect_err("refused");
        assert!(err.to_string().contains("payments.stripe.webhook_secret"), "{err}");
        let both = format!("{half}\nwebhook_secret = \"whsec_1\"");
        let s = Settings::from_toml_over_defaults(&[&both]).expect("valid");
        assert!(s.payments.tiptoppay_configured() && s.payments.stripe_configured());
    }

    #[test]
    fn the_sandbox_serves_no_public_address_unless_a_demo_is_asked_for() {
        let err =
            Settings::from_toml_over_defaults(&["[server]\npublic_url = \"https://dara.kz\""]).expect_err("refused");
        assert!(err.to_string().starts_with("configuration: payments.provider:"), "{err}");
        let demo = "[server]\npublic_url = \"https://demo.dara.kz\"\n[payments.sandbox]\npublic_demo = true";
        assert!(Settings::from_toml_over_defaults(&[demo]).is_ok());
    }

    #[test]
    fn the_volunteers_address_is_optional_and_checked_when_set() {
        let s = Settings::from_toml_over_defaults(&[]).expect("valid");
        assert_eq!((s.foundation.volunteers_email(), s.limits.volunteers_per_hour), (None, 5));
        let set = "[foundation]\nvolunteers_email = \" mentors@dara.kz \"";
        let s = Settings::from_toml_over_defaults(&[set]).expect("valid");
        assert_eq!(s.foundation.volunteers_email(), Some("mentors@dara.kz"));
        let bad = "[foundation]\nvolunteers_email = \"Dara <mentors@dara.kz>\"";
        let err = Settings::from_toml_over_defaults(&[bad]).expect_err("refused");
        assert!(err.to_string().contains("foundation.volunteers_email: is not an email address"), "{err}");
    }

    #[test]
    fn cors_origins_are_origins_and_default_to_none() {
        let s = Settings::from_toml_over_defaults(&[]).expect("valid");
        assert!(s.server.cors_origins.is_empty() && s.server.cors_staff_origins.is_empty());
        let set = "[server]\ncors_origins = [\"https://dara.kz\"]\ncors_staff_origins = [\"http://localhost:5173\"]";
        let s = Settings::from_toml_over_defaults(&[set]).expect("valid");
        assert_eq!((s.server.cors_origins.len(), s.server.cors_staff_origins.len()), (1, 1));
        for (key, bad) in
            [("cors_origins", "*"), ("cors_origins", "https://dara.kz/"), ("cors_staff_origins", "dara.kz")]
        {
            let layer = format!("[server]\n{key} = [\"{bad}\"]");
            let err = Settings::from_toml_over_defaults(&[&layer]).expect_err("refused");
            assert!(err.to_string().contains(&format!("server.{key}: `{bad}` is not an origin")), "{err}");
        }
    }

    #[test]
    fn rotated_webhook_secrets_are_all_accepted() {
        let s = Settings::from_toml_over_defaults(&[
            "[payments]\nprovider = \"stripe\"\n[payments.stripe]\nsecret_key = \"sk_test_1\"\nwebhook_secret = \"whsec_old, whsec_new\"",
        ])
        .expect("valid");
        assert_eq!(s.payments.stripe_webhook_secrets(), ["whsec_old", "whsec_new"]);
    }
}

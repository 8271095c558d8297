//! Mail: templates render into the outbox inside the transaction of the change they report; a
//! worker sends what is due through lettre, retrying with backoff, and never sends a mail twice
//! (each has a unique dedupe key, and claiming takes it out of everyone else's reach).

pub mod compose;
pub mod templates;
pub mod worker;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::settings::{MailSettings, MailTransportKind, SmtpTls};
use demeu_db::outbox::OutboxRow;

/// Why a mail could not be enqueued. Composing only reads and writes the database, so its
/// failures are the store's, and keep their kind: an outage stays "unavailable, retry" (503)
/// all the way out of the transaction that wanted the mail.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The database.
    #[error(transparent)]
    Db(#[from] demeu_db::DbError),
    /// Subscribers and posts.
    #[error(transparent)]
    News(#[from] campaign_news::Error),
    /// The campaign's totals.
    #[error(transparent)]
    Donations(#[from] donations::Error),
}

impl From<diesel::result::Error> for MailError {
    fn from(e: diesel::result::Error) -> Self {
        MailError::Db(e.into())
    }
}

impl From<MailError> for donations::Error {
    /// A mail due inside a money transaction failed: the transaction is undone, and an outage
    /// is still reported as one.
    fn from(e: MailError) -> Self {
        match e {
            MailError::Db(db) | MailError::News(campaign_news::Error::Db(db)) => donations::Error::Db(db),
            MailError::Donations(e) => e,
            other => donations::Error::Effect(other.to_string()),
        }
    }
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// .eml files in a folder.
    File(AsyncFileTransport<Tokio1Executor>),
}

impl Mailer {
    /// The transport `mail.transport` names.
    pub fn from_settings(settings: &MailSettings) -> anyhow::Result<Self> {
        Ok(match settings.transport {
            MailTransportKind::File => {
                std::fs::create_dir_all(&settings.file_dir)
                    .map_err(|e| anyhow::anyhow!("mail.file_dir: cannot create {}: {e}", settings.file_dir))?;
                Mailer::File(AsyncFileTransport::new(&settings.file_dir))
            }
            MailTransportKind::Smtp => {
                let smtp = &settings.smtp;
                let tls = match smtp.tls {
                    SmtpTls::None => Tls::None,
                    SmtpTls::Starttls => Tls::Required(TlsParameters::new(smtp.host.clone())?),
                    SmtpTls::Tls => Tls::Wrapper(TlsParameters::new(smtp.host.clone())?),
                };
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone())
                    .port(smtp.port)
                    .tls(tls)
                    .timeout(Some(std::time::Duration::from_secs(20)));
                if !smtp.username.is_empty() {
                    builder = builder.credentials(Credentials::new(
                        smtp.username.clone(),
                        smtp.password.expose_secret().to_string(),
                    ));
                }
                Mailer::Smtp(builder.build())
            }
        })
    }

    /// Sends one stored mail.
    pub async fn send(&self, from: &Mailbox, row: &OutboxRow, domain: &str) -> Result<(), String> {
        let message = build_message(from, row, domain)?;
        match self {
            Mailer::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Mailer::File(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        }
    }
}

/// The MIME message: text and HTML alternatives, a Message-ID derived from the outbox row (so a
/// resend after a crash carries the same id), and the row's extra headers.
pub fn build_message(from: &Mailbox, row: &OutboxRow, domain: &str) -> Result<Message, String> {
    let to: Mailbox = row.recipient.parse().map_err(|e| format!("recipient: {e}"))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(format!("<{}@{domain}>", row.id)));
    for (name, value) in row.header_pairs() {
        let name = HeaderName::new_from_ascii(name).map_err(|e| format!("header name: {e}"))?;
        builder = builder.raw_header(HeaderValue::new(name, value));
    }
    builder
        .multipart(MultiPart::alternative_plain_html(row.text_body.clone(), row.html_body.clone()))
        .map_err(|e| e.to_string())
}

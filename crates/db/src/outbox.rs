//! The mail outbox: mail is written here in the same transaction as the change it reports, and
//! a worker sends it. A unique dedupe key makes a second enqueue of the same mail a no-op.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::schema::mail_outbox;
use crate::DbConn;

crate::stored_enum! {
    /// Where a mail is.
    pub enum MailStatus("mail status") {
        /// Waiting for (another) try.
        Pending = "pending",
        /// Delivered to the server.
        Sent = "sent",
        /// Failed for too long; left for staff to see.
        Dead = "dead",
    }
}

/// A mail to send, fully rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// One address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// The text/plain part.
    pub text_body: String,
    /// The text/html part.
    pub html_body: String,
    /// Extra headers (List-Unsubscribe and the like).
    pub headers: Vec<(String, String)>,
    /// receipt, refund, confirmation, news.
    pub kind: String,
    /// Unique per mail that must go once: e.g. `receipt:<pledge>`.
    pub dedupe_key: String,
}

/// A stored mail.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct OutboxRow {
    /// Id.
    pub id: String,
    /// One address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// text/plain.
    pub text_body: String,
    /// text/html.
    pub html_body: String,
    /// JSON list of [name, value].
    pub headers: String,
    /// Kind.
    pub kind: String,
    /// Unique key.
    pub dedupe_key: String,
    /// Where it is.
    pub status: MailStatus,
    /// Tries so far.
    pub attempts: i32,
    /// When it is due.
    pub next_attempt_at: NaiveDateTime,
    /// Enqueued.
    pub created_at: NaiveDateTime,
    /// Delivered to the server.
    pub sent_at: Option<NaiveDateTime>,
    /// Why the last try failed.
    pub last_error: Option<String>,
}

impl OutboxRow {
    /// The extra headers.
    pub fn header_pairs(&self) -> Vec<(String, String)> {
        serde_json::from_str(&self.headers).unwrap_or_default()
    }
}

/// Enqueues `mail` inside the caller's transaction; `false` when its dedupe key was already used.
pub fn enqueue(conn: &mut DbConn, mail: &OutgoingMail) -> Result<bool, diesel::result::Error> {
    let now = crate::now();
    let headers = serde_json::to_string(&mail.headers).unwrap_or_else(|_| "[]".into());
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(mail_outbox::table)
            .values((
                mail_outbox::id.eq(uuid::Uuid::new_v4().to_string()),
                mail_outbox::recipient.eq(&mail.recipient),
                mail_outbox::subject.eq(&mail.subject),
                mail_outbox::text_body.eq(&mail.text_body),
                mail_outbox::html_body.eq(&mail.html_body),
                mail_outbox::headers.eq(headers),
                mail_outbox::kind.eq(&mail.kind),
                mail_outbox::dedupe_key.eq(&mail.dedupe_key),
                mail_outbox::status.eq(MailStatus::Pending),
                mail_outbox::attempts.eq(0),
                mail_outbox::next_attempt_at.eq(now),
                mail_outbox::created_at.eq(now),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if crate::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Claims up to `limit` due mails for `lease`: they stop being due until the lease ends, so no
/// other worker takes them meanwhile. On PostgreSQL the rows are read with
/// `FOR UPDATE SKIP LOCKED`, so that workers in several processes claim disjoint sets; SQLite's
/// write transaction already admits one claimer at a time.
pub fn claim_due(conn: &mut DbConn, limit: i64, lease: Duration) -> Result<Vec<OutboxRow>, diesel::result::Error> {
    let now = crate::now();
    conn.write_transaction(|conn| {
        let ids: Vec<String> = match conn {
            DbConn::Postgres(pg) => mail_outbox::table
                .filter(mail_outbox::status.eq(MailStatus::Pending))
                .filter(mail_outbox::next_attempt_at.le(now))
                .order(mail_outbox::next_attempt_at.asc())
                .select(mail_outbox::id)
                .limit(limit)
                .for_update()
                .skip_locked()
                .load(pg)?,
            DbConn::Sqlite(sqlite) => mail_outbox::table
                .filter(mail_outbox::status.eq(MailStatus::Pending))
                .filter(mail_outbox::next_attempt_at.le(now))
                .order(mail_outbox::next_attempt_at.asc())
                .select(mail_outbox::id)
                .limit(limit)
                .load(sqlite)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(mail_outbox::table.filter(mail_outbox::id.eq_any(&ids)))
            .set(mail_outbox::next_attempt_at.eq(now + lease))
            .execute(conn)?;
        mail_outbox::table.filter(mail_outbox::id.eq_any(&ids)).select(OutboxRow::as_select()).load(conn)
    })
}

/// Marks a mail delivered.
pub fn mark_sent(conn: &mut DbConn, id: &str) -> Result<(), diesel::result::Error> {
    let now = crate::now();
    diesel::update(mail_outbox::table.find(id))
        .set((
            mail_outbox::status.eq(MailStatus::Sent),
            mail_outbox::sent_at.eq(now),
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Records a failed try: due again at `retry_at`, or dead when `retry_at` is `None`.
pub fn mark_failed(
    conn: &mut DbConn,
    id: &str,
    error: &str,
    retry_at: Option<NaiveDateTime>,
) -> Result<(), diesel::result::Error> {
    let status = if retry_at.is_some() { MailStatus::Pending } else { MailStatus::Dead };
    diesel::update(mail_outbox::table.find(id))
        .set((
            mail_outbox::status.eq(status),
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::next_attempt_at.eq(retry_at.unwrap_or_else(crate::now)),
            mail_outbox::last_error.eq(error),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Mails with `status`, newest first.
pub fn list(conn: &mut DbConn, status: MailStatus, limit: i64) -> Result<Vec<OutboxRow>, diesel::result::Error> {
    mail_outbox::table
        .filter(mail_outbox::status.eq(status))
        .order(mail_outbox::created_at.desc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}

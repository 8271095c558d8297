//! The background worker: claims due mail, sends it, and records the outcome. A failure waits
//! twice as long as the one before (from `mail.retry_base_seconds`), until the mail is older than
//! `mail.give_up_hours`; then it is dead, for staff to see.

use std::time::Duration;

use chrono::NaiveDateTime;
use demeu_db::outbox::{self, OutboxRow};
use demeu_db::DbPool;
use lettre::message::Mailbox;

use super::Mailer;
use crate::settings::MailSettings;

/// How many mails one claim takes.
const BATCH: i64 = 50;
/// How long a claim holds its mails: longer than sending a batch can take.
const LEASE_SECONDS: i64 = 300;
/// How often the worker sweeps the shared limit counts (see [`Worker::run`]).
const LIMITS_SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The worker's configuration.
#[derive(Clone)]
pub struct Worker {
    pool: DbPool,
    mailer: Mailer,
    from: Mailbox,
    domain: String,
    retry_base: f64,
    give_up: chrono::Duration,
    poll: Duration,
    /// Batches being sent by this worker or its clones, so that [`Worker::drain`] knows when
    /// nothing is in flight.
    busy: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// Counts a batch in flight for as long as it lives, however `send_due` ends.
struct Busy<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Busy<'a> {
    fn enter(counter: &'a std::sync::atomic::AtomicUsize) -> Self {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Busy(counter)
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Worker {
    /// A worker sending through `mailer`.
    pub fn new(pool: DbPool, mailer: Mailer, settings: &MailSettings) -> anyhow::Result<Self> {
        let from: Mailbox = settings.from.parse().map_err(|e| anyhow::anyhow!("mail.from: {e}"))?;
        let domain = from.email.domain().to_string();
        Ok(Worker {
            pool,
            mailer,
            from,
            domain,
            retry_base: settings.retry_base.as_secs_f64(),
            give_up: chrono::Duration::from_std(settings.give_up).unwrap_or(chrono::Duration::MAX),
            poll: settings.poll_interval.max(Duration::from_millis(10)),
            busy: Default::default(),
        })
    }

    /// Runs until the task is dropped. Being the server's background task, it also sweeps, once
    /// a minute, the rate-limit and sign-in counts no rule reads any more
    /// ([`crate::limit_store::sweep`]), so that they do not pile up. Every instance's worker
    /// does: the sweep deletes only what no decision reads, so doing it twice is harmless.
    pub async fn run(self) {
        let mut next_sweep = tokio::time::Instant::now();
        loop {
            if tokio::time::Instant::now() >= next_sweep {
                next_sweep = tokio::time::Instant::now() + LIMITS_SWEEP_EVERY;
                self.sweep_limits().await;
            }
            match self.send_due().await {
                // A full batch: more may be due at once.
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "mail worker could not reach the database"),
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    /// Sends everything due now, and returns once no batch of this worker or its clones is in
    /// flight: afterwards, every mail due has been handed to the server or has failed and waits.
    /// (Tests call it instead of sleeping; an operator's one-off run could too.)
    pub async fn drain(&self) -> Result<(), demeu_db::DbError> {
        loop {
            let tried = self.send_due().await?;
            if tried == 0 && self.busy.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                return Ok(());
            }
            if tried == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }

    async fn sweep_limits(&self) {
        match self.pool.run(|conn| crate::limit_store::sweep(conn, demeu_db::now())).await {
            Ok((events, pairs)) => tracing::debug!(events, pairs, "swept the expired limit counts"),
            Err(e) => tracing::warn!(error = %e, "could not sweep the limit counts"),
        }
    }

    /// Claims and sends one batch; returns how many mails it tried.
    pub async fn send_due(&self) -> Result<usize, demeu_db::DbError> {
        let _busy = Busy::enter(&self.busy);
        let batch = self
            .pool
            .run(|conn| {
                outbox::claim_due(conn, BATCH, chrono::Duration::seconds(LEASE_SECONDS))
                    .map_err(demeu_db::DbError::from)
            })
            .await?;
        let tried = batch.len();
        // Sent side by side: one SMTP exchange waits on the network far longer than it works,
        // and lettre's pool bounds the connections (10) whatever the batch size.
        let mut sends = tokio::task::JoinSet::new();
        for row in batch {
            let (mailer, from, domain) = (self.mailer.clone(), self.from.clone(), self.domain.clone());
            sends.spawn(async move {
                let outcome = mailer.send(&from, &row, &domain).await;
                (row, outcome)
            });
        }
        while let Some(sent) = sends.join_next().await {
            match sent {
                Ok((row, outcome)) => self.record(row, outcome).await?,
                // The claim's lease brings the mail back after a crashed send.
                Err(e) => tracing::error!(error = %e, "a mail send task failed"),
            }
        }
        Ok(tried)
    }

    async fn record(&self, row: OutboxRow, outcome: Result<(), String>) -> Result<(), demeu_db::DbError> {
        let retry_at = match &outcome {
            Ok(()) => None,
            Err(error) => {
                let next = next_attempt(row.created_at, row.attempts, self.retry_base, self.give_up, demeu_db::now());
                match next {
                    Some(_) => tracing::info!(mail = %row.id, %error, "mail failed; will retry"),
                    None => tracing::error!(mail = %row.id, %error, "mail failed for good"),
                }
                next
            }
        };
        self.pool
            .run(move |conn| {
                match outcome {
                    Ok(()) => outbox::mark_sent(conn, &row.id),
                    Err(error) => outbox::mark_failed(conn, &row.id, &error, retry_at),
                }
                .map_err(demeu_db::DbError::from)
            })
            .await
    }
}

/// When to try again after failure number `attempts + 1`, or `None` once the mail has been
/// failing for longer than `give_up`.
pub fn next_attempt(
    created_at: NaiveDateTime,
    attempts: i32,
    base_seconds: f64,
    give_up: chrono::Duration,
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    let factor = 2f64.powi(attempts.clamp(0, 30));
    let wait_ms = (base_seconds * factor * 1000.0).min(6.0 * 3_600_000.0) as i64;
    let next = now + chrono::Duration::milliseconds(wait_ms);
    (next - created_at <= give_up).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_then_give_up() {
        let t0 = chrono::DateTime::from_timestamp(1_764_000_000, 0).expect("time").naive_utc();
        let give_up = chrono::Duration::hours(48);
        let first = next_attempt(t0, 0, 30.0, give_up, t0).expect("retry");
        assert_eq!((first - t0).num_seconds(), 30);
        let fourth = next_attempt(t0, 3, 30.0, give_up, t0).expect("retry");
        assert_eq!((fourth - t0).num_seconds(), 240);
        let capped = next_attempt(t0, 20, 30.0, give_up, t0).expect("retry");
        assert_eq!((capped - t0).num_hours(), 6, "no wait is longer than six hours");
        let late = t0 + chrono::Duration::hours(47);
        assert_eq!(next_attempt(t0, 10, 30.0, give_up, late), None, "past 48 hours the mail is dead");
    }
}

//! Whether each campaign's books balance (running totals = ledger = pledges), as the background
//! task last found them: the console's dashboard reads this instead of reconciling every
//! campaign on each load (a full read of the ledger: seconds at 10⁶ pledges).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use demeu_db::DbPool;

/// How often the books are checked: often enough that a difference shows on the dashboard
/// within minutes, seldom enough that the full read costs nothing to the donors' pages.
pub const CHECK_EVERY: Duration = Duration::from_secs(300);

/// One campaign's books as last checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// The totals agree with the ledger and the pledges.
    pub clean: bool,
    /// How many things disagree (none when `clean`): see `Report::differences`.
    pub differences: usize,
    /// When.
    pub at: DateTime<Utc>,
}

/// The last check of each campaign's books (by slug), shared by the task that checks them and
/// the dashboard that shows them. Each instance keeps its own: each reads the same database.
#[derive(Debug, Clone, Default)]
pub struct Books(Arc<RwLock<HashMap<String, Checked>>>);

impl Books {
    /// The last check of campaign `slug`, if there was one since this instance started.
    pub fn of(&self, slug: &str) -> Option<Checked> {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(slug).copied()
    }

    /// Reconciles every campaign once and keeps what it found.
    pub async fn check(&self, pool: &DbPool) -> Result<(), demeu_db::DbError> {
        let found = pool
            .run(|conn| {
                let slugs = donations::campaign::list_progress(conn, donations::campaign::Audience::Staff)
                    .map_err(|e| demeu_db::DbError::Unavailable(e.to_string()))?
                    .into_iter()
                    .map(|p| p.campaign.spec.slug);
                let mut found = Vec::new();
                for slug in slugs {
                    let report = donations::reconcile::reconcile(conn, &slug)
                        .map_err(|e| demeu_db::DbError::Unavailable(e.to_string()))?;
                    found.push((slug, report.is_clean(), report.differences()));
                }
                Ok::<_, demeu_db::DbError>(found)
            })
            .await?;
        let at = Utc::now();
        let mut books = self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (slug, clean, differences) in found {
            if !clean {
                tracing::error!(campaign = %slug, "the books do not balance: run `demeu reconcile`");
            }
            books.insert(slug, Checked { clean, differences, at });
        }
        Ok(())
    }

    /// Checks the books at once and then every [`CHECK_EVERY`], until the task is dropped.
    pub async fn keep(self, pool: DbPool) {
        loop {
            if let Err(error) = self.check(&pool).await {
                tracing::warn!(%error, "the books could not be checked");
            }
            tokio::time::sleep(CHECK_EVERY).await;
        }
    }
}

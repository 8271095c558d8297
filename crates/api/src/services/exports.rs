//! The audit of a download of the donors' file (`pledges.export`): who, with which filters (the
//! query as they sent it), how many rows, and whether the file went out whole. The API's and the
//! console's downloads both stream through `routes::staff_pledges::csv_answer`, which tells this
//! what it sent; the entry is written once, when the download ends: with the last page, or, when
//! the client goes away or a page fails part way, as it stands then (an auditor asks about a cut
//! download too).

use demeu_db::ids::StaffUserId;
use demeu_db::{DbConn, DbPool};

/// One download's entry, while it runs.
pub struct ExportAudit {
    pool: DbPool,
    entry: ExportEntry,
    written: bool,
}

/// What the entry says.
#[derive(Debug, Clone)]
pub struct ExportEntry {
    actor: StaffUserId,
    filters: String,
    rows: u64,
    complete: bool,
}

impl ExportEntry {
    /// The entry once `rows` more have been sent.
    pub fn with_rows(&self, rows: u64) -> ExportEntry {
        ExportEntry { rows: self.rows + rows, ..self.clone() }
    }

    /// Writes the entry, in the caller's use of the database (the last page's read).
    pub fn write(&self, conn: &mut DbConn) -> Result<(), diesel::result::Error> {
        let details = serde_json::json!({"filters": self.filters, "rows": self.rows, "complete": self.complete});
        let subject = format!("staff_user:{}", self.actor);
        demeu_db::audit::record(conn, Some(self.actor), "pledges.export", &subject, &details)
    }
}

impl ExportAudit {
    /// The entry of a download by `actor` of the file filtered by `query`.
    pub fn new(pool: DbPool, actor: StaffUserId, query: &str) -> Self {
        let entry = ExportEntry { actor, filters: query.to_string(), rows: 0, complete: false };
        ExportAudit { pool, entry, written: false }
    }

    /// The entry as the last page will write it: complete, with the rows sent before that page.
    pub fn when_complete(&self) -> ExportEntry {
        ExportEntry { complete: true, ..self.entry.clone() }
    }

    /// A page of `rows` went out; the last one's read wrote the entry.
    pub fn sent(&mut self, rows: u64, last: bool) {
        self.entry.rows += rows;
        self.written |= last;
    }
}

impl Drop for ExportAudit {
    fn drop(&mut self) {
        if self.written {
            return;
        }
        let (pool, entry) = (self.pool.clone(), self.entry.clone());
        // Dropped on the server's runtime (the export's task ends there); outside one (a test
        // that never ran the body) there is no download to record.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let written = pool.run(move |conn| entry.write(conn).map_err(demeu_db::DbError::from)).await;
                if let Err(error) = written {
                    tracing::error!(%error, "the audit entry of a cut CSV download was not written");
                }
            });
        }
    }
}

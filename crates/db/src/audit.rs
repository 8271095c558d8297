//! The audit log: one row for every staff action that changes something, written in the same
//! transaction as the change, and read back by admins newest first.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::ids::StaffUserId;
use crate::page::{encode_cursor, paginate, row_before, Page};
use crate::schema::audit_log;
use crate::DbConn;

/// Records that `actor` (a staff user id, or `None` for the system or the command line) did
/// `action` to `subject`, with `details` as a JSON object.
pub fn record(
    conn: &mut DbConn,
    actor: Option<StaffUserId>,
    action: &str,
    subject: &str,
    details: &serde_json::Value,
) -> Result<(), diesel::result::Error> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(uuid::Uuid::new_v4().to_string()),
            audit_log::actor_id.eq(actor),
            audit_log::action.eq(action),
            audit_log::subject.eq(subject),
            audit_log::details.eq(details.to_string()),
            audit_log::created_at.eq(crate::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// One entry of the log, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    /// Id (a UUID).
    pub id: String,
    /// The staff user who acted; `None` for the system or the command line.
    pub actor_id: Option<StaffUserId>,
    /// What was done, such as `staff.create`.
    pub action: String,
    /// To what, such as `staff_user:<id>`.
    pub subject: String,
    /// A JSON object.
    pub details: String,
    /// When (UTC).
    pub created_at: NaiveDateTime,
}

/// Which entries to list; an absent field matches every entry.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exactly this action.
    pub action: Option<String>,
    /// Done by this staff user id.
    pub actor: Option<String>,
}

impl AuditFilter {
    /// The filter a query asks for (the console's form and the staff API alike): a blank
    /// field matches every entry.
    pub fn asked(action: Option<&str>, actor: Option<&str>) -> Self {
        let given = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        AuditFilter { action: given(action), actor: given(actor) }
    }
}

/// The entries matching `filter`, newest first, at most `limit`, starting after `after` (the
/// position [`crate::page::decode_cursor`] reads from the previous page's cursor).
///
/// Keyset by `(created_at, id)`: the id breaks ties between entries written in the same
/// microsecond, so that no entry is skipped or shown twice across pages, and a deep page costs
/// what the first does.
pub fn list(
    conn: &mut DbConn,
    filter: &AuditFilter,
    limit: i64,
    after: Option<(NaiveDateTime, String)>,
) -> Result<Page<AuditEntry>, diesel::result::Error> {
    let mut query = audit_log::table
        .select(AuditEntry::as_select())
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .limit(limit + 1)
        .into_boxed();
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::action.eq(action.clone()));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_log::actor_id.eq(actor.clone()));
    }
    if let Some(position) = after {
        query = query.filter(row_before((audit_log::created_at, audit_log::id), position));
    }
    let rows = query.load(conn)?;
    Ok(paginate(rows, limit, |e: &AuditEntry| encode_cursor(e.created_at, &e.id)))
}

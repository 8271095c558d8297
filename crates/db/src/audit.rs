//! The audit log: one row for every staff action that changes something, written in the same
//! transaction as the change.

use diesel::prelude::*;

use crate::schema::audit_log;
use crate::DbConn;

/// Records that `actor` (a staff user id, or `None` for the system or the command line) did
/// `action` to `subject`, with `details` as a JSON object.
pub fn record(
    conn: &mut DbConn,
    actor: Option<&str>,
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

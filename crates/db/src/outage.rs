//! Telling a storage outage from a query's fault: a full or failing disk, a read-only database
//! or a lost connection is "unavailable, retry" (503) for the client and "not ready" for the
//! orchestrator, never a 500.

use diesel::result::{DatabaseErrorKind, Error};

/// What SQLite and PostgreSQL say when the storage, not the statement, failed. SQLite reports
/// these codes (SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY, SQLITE_BUSY, SQLITE_CANTOPEN) only by
/// their fixed English messages through diesel.
const STORAGE_MESSAGES: [&str; 7] = [
    "database or disk is full",
    "disk i/o error",
    "readonly database",
    "database is locked",
    "unable to open database file",
    "no space left on device",
    "could not extend file",
];

/// True when `err` says the storage failed.
pub fn is_storage_outage(err: &Error) -> bool {
    match err {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::ReadOnlyTransaction, _) => true,
        Error::DatabaseError(_, info) => {
            let message = info.message().to_ascii_lowercase();
            STORAGE_MESSAGES.iter().any(|m| message.contains(m))
        }
        _ => false,
    }
}

/// How much the readiness probe writes: more than the largest write a payment makes (a Stripe
/// delivery's event, pledge, ledger row, totals and receipt, with their indexes: about 150 KB of
/// SQLite's write-ahead log), so that "ready" means such a write would find room. A one-row
/// probe found room in the last few kilobytes of a full disk while every delivery failed.
pub const PROBE_BYTES: usize = 256 * 1024;

/// Writes and removes a row of [`PROBE_BYTES`] in one committed transaction: what readiness
/// needs to know is whether a payment's write reaches the disk (a full disk, a read-only file
/// or database, a lost connection all fail it), so the probe really writes, as much as one. The
/// text is random, so that PostgreSQL's compression cannot make it small.
pub fn write_probe(conn: &mut crate::DbConn) -> Result<(), Error> {
    use diesel::prelude::*;

    use crate::schema::installation_secrets as probe;
    let mut random = vec![0u8; PROBE_BYTES / 2];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut random);
    let filler = hex::encode(random);
    conn.write_transaction(|conn| {
        let name = format!("ready-probe-{}", uuid::Uuid::new_v4().simple());
        diesel::insert_into(probe::table)
            .values((probe::name.eq(&name), probe::value.eq(&filler), probe::created_at.eq(crate::now())))
            .execute(conn)?;
        diesel::delete(probe::table.find(&name)).execute(conn)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Info(&'static str);

    impl diesel::result::DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn unknown(message: &'static str) -> Error {
        Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new(Info(message)))
    }

    #[test]
    fn storage_failures_are_told_from_statement_failures() {
        assert!(is_storage_outage(&unknown("database or disk is full")));
        assert!(is_storage_outage(&unknown("attempt to write a readonly database")));
        assert!(is_storage_outage(&unknown("could not extend file \"base/1/2\": No space left on device")));
        assert!(!is_storage_outage(&unknown("no such table: pledges")));
        assert!(!is_storage_outage(&Error::DatabaseError(DatabaseErrorKind::UniqueViolation, Box::new(Info("dup")))));
        assert!(!is_storage_outage(&Error::NotFound));
    }
}

//! Secrets an installation makes for itself on first use and keeps in its database, so that
//! no working secret ships in a configuration file (anyone can read those).

use diesel::prelude::*;
use rand::RngCore;

use crate::schema::installation_secrets;
use crate::{DbConn, DbError};

/// The secret called `name`, made (32 random bytes, hex) and stored the first time it is asked
/// for. Two servers starting together on one database agree: the loser of the insert reads the
/// winner's.
pub fn get_or_create(conn: &mut DbConn, name: &str) -> Result<String, DbError> {
    let read = |conn: &mut DbConn| {
        installation_secrets::table.find(name).select(installation_secrets::value).first::<String>(conn).optional()
    };
    if let Some(value) = read(conn)? {
        return Ok(value);
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let value = hex::encode(bytes);
    let inserted = diesel::insert_into(installation_secrets::table)
        .values((
            installation_secrets::name.eq(name),
            installation_secrets::value.eq(&value),
            installation_secrets::created_at.eq(crate::now()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(value),
        Err(e) if crate::is_unique_violation(&e) => read(conn)?.ok_or(DbError::Query(diesel::result::Error::NotFound)),
        Err(e) => Err(e.into()),
    }
}

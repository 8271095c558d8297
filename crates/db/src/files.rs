//! Files kept in the database (pictures' variants, later the evidence of spending), so that
//! several instances share them with no shared disk. Each is addressed by the SHA-256 of its
//! bytes: the same bytes are kept once, and a URL made of the hash never changes its answer.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::schema::{expense_evidence, stored_files};
use crate::DbConn;

/// The address of `bytes`: their SHA-256, in lower-case hex.
pub fn hash_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Keeps `bytes` (unless the same bytes are kept already) and returns their hash.
pub fn put(conn: &mut DbConn, content_type: &str, bytes: &[u8]) -> Result<String, diesel::result::Error> {
    let hash = hash_of(bytes);
    let kept: i64 = stored_files::table.filter(stored_files::hash.eq(&hash)).count().get_result(conn)?;
    if kept == 0 {
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        diesel::insert_into(stored_files::table)
            .values((
                stored_files::hash.eq(&hash),
                stored_files::content_type.eq(content_type),
                stored_files::size.eq(size),
                stored_files::bytes.eq(bytes),
                stored_files::created_at.eq(crate::now()),
            ))
            .execute(conn)?;
    }
    Ok(hash)
}

/// A kept file.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = stored_files)]
pub struct StoredFile {
    /// Its content type, as stored.
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The file of `hash`, if kept.
pub fn get(conn: &mut DbConn, hash: &str) -> Result<Option<StoredFile>, diesel::result::Error> {
    stored_files::table.find(hash).select(StoredFile::as_select()).first(conn).optional()
}

/// Removes the files of `hashes` that `still_used` says nothing refers to any more (and no
/// expense's evidence does).
pub fn remove_unused(
    conn: &mut DbConn,
    hashes: &[String],
    still_used: impl Fn(&mut DbConn, &str) -> Result<bool, diesel::result::Error>,
) -> Result<usize, diesel::result::Error> {
    let mut removed = 0;
    for hash in hashes {
        // Evidence of spending is kept for good (append-only), whoever else used the bytes.
        let evidence: i64 = expense_evidence::table
            .filter(expense_evidence::file_hash.eq(hash).or(expense_evidence::thumb_hash.eq(hash)))
            .count()
            .get_result(conn)?;
        if evidence == 0 && !still_used(conn, hash)? {
            removed += diesel::delete(stored_files::table.find(hash)).execute(conn)?;
        }
    }
    Ok(removed)
}

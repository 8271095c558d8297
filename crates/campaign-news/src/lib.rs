//! The news side of a campaign: posts written in Markdown and published, subscribers confirmed
//! by a link, comments shown after moderation. No HTTP and no mail sending here: the api crate
//! renders mail from its templates and enqueues it in the same transaction.

pub mod comment;
mod error;
pub mod markdown;
pub mod post;
pub mod subscriber;

pub use error::{Error, FieldError};

/// A position in a time-ordered list: the time and id of the last item seen.
pub(crate) fn encode_cursor(at: chrono::NaiveDateTime, id: &str) -> String {
    format!("{}_{}", at.and_utc().timestamp_micros(), id)
}

pub(crate) fn decode_cursor(cursor: &str) -> Result<(chrono::NaiveDateTime, String), Error> {
    let bad = || Error::Invalid(vec![FieldError::new("cursor", "is not a cursor from this list")]);
    let (micros, id) = cursor.split_once('_').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = chrono::DateTime::from_timestamp_micros(micros).ok_or_else(bad)?.naive_utc();
    Ok((at, id.to_string()))
}

/// Checks a page size: 1 to 100, 20 when absent.
pub fn page_limit(limit: Option<i64>) -> Result<i64, Error> {
    match limit {
        None => Ok(20),
        Some(l) if (1..=100).contains(&l) => Ok(l),
        Some(_) => Err(Error::Invalid(vec![FieldError::new("limit", "must be between 1 and 100")])),
    }
}

/// A page of a list and the cursor to the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// `None` on the last page.
    pub next_cursor: Option<String>,
}

pub(crate) fn paginate<T>(mut rows: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> String) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(cursor_of)
    } else {
        None
    };
    Page { items: rows, next_cursor }
}

//! Keyset pagination shared by every list: a page of items and an opaque cursor naming the
//! last item's time and id, so that a page costs the same however deep it is.

use chrono::{DateTime, NaiveDateTime};

use crate::FieldError;

/// A page of a list and the cursor to the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// `None` on the last page.
    pub next_cursor: Option<String>,
}

/// The cursor after an item with time `at` and id `id`.
pub fn encode_cursor(at: NaiveDateTime, id: &str) -> String {
    format!("{}_{}", at.and_utc().timestamp_micros(), id)
}

/// Reads a cursor made by [`encode_cursor`].
pub fn decode_cursor(cursor: &str) -> Result<(NaiveDateTime, String), FieldError> {
    let bad = || FieldError::new("cursor", "is not a cursor from this list");
    let (micros, id) = cursor.split_once('_').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?.naive_utc();
    Ok((at, id.to_string()))
}

/// A cursor naming no row: the time of the last item shown and how many items at exactly that
/// time were shown. For lists whose rows' ids are secrets of their own (the donor wall: a pledge
/// id opens the pledge's amount, which the donor may have hidden).
pub fn encode_position(at: NaiveDateTime, shown_at_that_time: u32) -> String {
    hex::encode(format!("{}.{shown_at_that_time}", at.and_utc().timestamp_micros()))
}

/// Reads a cursor made by [`encode_position`].
pub fn decode_position(cursor: &str) -> Result<(NaiveDateTime, u32), FieldError> {
    let bad = || FieldError::new("cursor", "is not a cursor from this list");
    let text = hex::decode(cursor).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(bad)?;
    let (micros, shown) = text.split_once('.').ok_or_else(bad)?;
    let at = DateTime::from_timestamp_micros(micros.parse().map_err(|_| bad())?).ok_or_else(bad)?.naive_utc();
    // A page is at most 100 items: more shown at one instant is not a cursor we made.
    let shown: u32 = shown.parse().ok().filter(|n| *n <= 10_000).ok_or_else(bad)?;
    Ok((at, shown))
}

/// Checks a page size: 1 to 100, 20 when absent.
pub fn page_limit(limit: Option<i64>) -> Result<i64, FieldError> {
    match limit {
        None => Ok(20),
        Some(l) if (1..=100).contains(&l) => Ok(l),
        Some(_) => Err(FieldError::new("limit", "must be between 1 and 100")),
    }
}

/// Cuts `rows` (fetched with `limit + 1`) to a page, with a cursor when more follow.
pub fn paginate<T>(mut rows: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> String) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(cursor_of)
    } else {
        None
    };
    Page { items: rows, next_cursor }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let at = DateTime::from_timestamp_micros(1_764_000_000_123_456).expect("time").naive_utc();
        let cursor = encode_cursor(at, "abc-def");
        assert_eq!(decode_cursor(&cursor).ok(), Some((at, "abc-def".to_string())));
        assert!(decode_cursor("garbage").is_err());
        assert!(decode_cursor("x_y").is_err());
    }

    #[test]
    fn positions_round_trip_and_name_no_row() {
        let at = DateTime::from_timestamp_micros(1_764_000_000_123_456).expect("time").naive_utc();
        let cursor = encode_position(at, 2);
        assert_eq!(decode_position(&cursor).ok(), Some((at, 2)));
        assert!(cursor.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(decode_position("zz").is_err());
        assert!(decode_position(&hex::encode("1.99999")).is_err());
    }

    #[test]
    fn pages_know_whether_more_follow() {
        let page = paginate(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!((page.items, page.next_cursor), (vec![1, 2], Some("2".to_string())));
        assert_eq!(paginate(vec![1, 2], 2, |n| n.to_string()).next_cursor, None);
        assert!(page_limit(Some(0)).is_err());
        assert_eq!(page_limit(None).ok(), Some(20));
    }
}

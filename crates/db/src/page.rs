//! Keyset pagination shared by every list: a page of items and an opaque cursor naming the
//! last item's time and id, so that a page costs the same however deep it is.

use chrono::{DateTime, NaiveDateTime};
use diesel::backend::Backend;
use diesel::expression::{
    AppearsOnTable, AsExpression, Expression, SelectableExpression, TypedExpressionType, ValidGrouping,
};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, SqlType};
use diesel::QueryResult;

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

/// `(a, b) < (x, y)`: the rows after a cursor `(x, y)` in a list ordered by `a DESC, b DESC`.
///
/// Written as a row comparison, never as `a < x OR (a = x AND b < y)`: PostgreSQL uses a row
/// comparison as the lower bound of an index range on `(.., a, b)`, where the OR form is only a
/// filter on rows already read (a deep page then reads every row before it). SQLite (3.15 and
/// later) reads row values the same way.
pub fn row_before<A, B, X, Y>(columns: (A, B), values: (X, Y)) -> RowBefore<A, B, X::Expression, Y::Expression>
where
    A: Expression,
    B: Expression,
    A::SqlType: SqlType + TypedExpressionType,
    B::SqlType: SqlType + TypedExpressionType,
    X: AsExpression<A::SqlType>,
    Y: AsExpression<B::SqlType>,
{
    RowBefore { a: columns.0, b: columns.1, x: values.0.as_expression(), y: values.1.as_expression() }
}

/// The expression [`row_before`] makes.
#[derive(Debug, Clone, Copy, QueryId, ValidGrouping)]
pub struct RowBefore<A, B, X, Y> {
    a: A,
    b: B,
    x: X,
    y: Y,
}

impl<A, B, X, Y> Expression for RowBefore<A, B, X, Y>
where
    A: Expression,
    B: Expression,
    X: Expression,
    Y: Expression,
{
    type SqlType = Bool;
}

impl<A, B, X, Y, QS> AppearsOnTable<QS> for RowBefore<A, B, X, Y>
where
    Self: Expression,
    A: AppearsOnTable<QS>,
    B: AppearsOnTable<QS>,
    X: AppearsOnTable<QS>,
    Y: AppearsOnTable<QS>,
{
}

impl<A, B, X, Y, QS> SelectableExpression<QS> for RowBefore<A, B, X, Y>
where
    Self: AppearsOnTable<QS>,
    A: SelectableExpression<QS>,
    B: SelectableExpression<QS>,
    X: SelectableExpression<QS>,
    Y: SelectableExpression<QS>,
{
}

impl<A, B, X, Y, DB> QueryFragment<DB> for RowBefore<A, B, X, Y>
where
    DB: Backend,
    A: QueryFragment<DB>,
    B: QueryFragment<DB>,
    X: QueryFragment<DB>,
    Y: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("((");
        self.a.walk_ast(out.reborrow())?;
        out.push_sql(", ");
        self.b.walk_ast(out.reborrow())?;
        out.push_sql(") < (");
        self.x.walk_ast(out.reborrow())?;
        out.push_sql(", ");
        self.y.walk_ast(out.reborrow())?;
        out.push_sql("))");
        Ok(())
    }
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
    fn a_cursor_is_one_row_comparison() {
        use crate::schema::pledges;
        use diesel::prelude::*;
        let at = DateTime::from_timestamp_micros(1_764_000_000_123_456).expect("time").naive_utc();
        let query = pledges::table
            .select(pledges::id)
            .filter(row_before((pledges::created_at, pledges::id), (at, "abc".to_string())));
        let sql = diesel::debug_query::<diesel::pg::Pg, _>(&query).to_string();
        assert!(sql.contains(r#"(("pledges"."created_at", "pledges"."id") < ($1, $2))"#), "{sql}");
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

//! The request target (path and query string) checked before routing, for every route at once:
//! a control character in the decoded path names nothing (404); a query parameter with a
//! control character or longer than [`MAX_QUERY_VALUE_CHARS`] is a 422 naming it. Slugs,
//! session ids, cursors, tokens and search text all come in this way, and PostgreSQL cannot
//! take a NUL where SQLite would (see [`crate::control_chars`]); SQLite in turn refuses a LIKE
//! pattern over 50 000 bytes, which a staff search could otherwise send.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use crate::control_chars::{self, TextKind};
use crate::problem::ApiError;

/// The longest query value taken, in characters, as the OpenAPI document's `maxLength` counts
/// them (so that what it says is what is enforced): far above any slug, cursor, token or
/// search, and at most 4 KiB, far under SQLite's 50 000-byte LIKE pattern.
pub const MAX_QUERY_VALUE_CHARS: usize = 1024;

/// Checks a request's percent-decoded `path` and its raw `query` string.
pub fn check(path: &str, query: &str) -> Result<(), ApiError> {
    if control_chars::check(path, TextKind::Line).is_err() {
        return Err(ApiError::NotFound("path".into()));
    }
    if query.is_empty() {
        return Ok(());
    }
    // Decoded as `web::Query` decodes it, so that what is checked is what handlers read.
    let pairs = web::Query::<Vec<(String, String)>>::from_query(query)
        .map_err(|e| ApiError::BadRequest(format!("the query string cannot be read: {e}")))?;
    for (name, value) in pairs.into_inner() {
        if name.chars().count() > MAX_QUERY_VALUE_CHARS || control_chars::check(&name, TextKind::Line).is_err() {
            // Such a name cannot be echoed back as a field: the query as a whole is named.
            return Err(ApiError::invalid("query", "a parameter name is too long or holds control characters"));
        }
        control_chars::check(&value, TextKind::Line).map_err(|why| ApiError::Invalid(vec![why.field_error(&name)]))?;
        if value.chars().count() > MAX_QUERY_VALUE_CHARS {
            return Err(ApiError::invalid(&name, format!("must be at most {MAX_QUERY_VALUE_CHARS} characters")));
        }
    }
    Ok(())
}

/// The middleware: answers a bad target with its problem document, passes the rest on.
pub async fn refuse_bad_targets<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    // `match_info` holds the path as routing sees it: percent-decoded (but for `/`, `%`, `+`).
    match check(req.match_info().as_str(), req.query_string()) {
        Ok(()) => next.call(req).await.map(ServiceResponse::map_into_left_body),
        Err(refused) => Ok(req.error_response(refused).map_into_right_body()),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::control_chars::strategy::control;

    fn field(result: Result<(), ApiError>) -> Option<String> {
        match result {
            Err(ApiError::Invalid(fields)) => Some(fields[0].field.clone()),
            _ => None,
        }
    }

    #[test]
    fn a_control_character_in_the_path_names_nothing() {
        assert!(matches!(check("/api/v1/campaigns/\u{0}", ""), Err(ApiError::NotFound(_))));
        assert!(matches!(check("/a/\u{85}/b", ""), Err(ApiError::NotFound(_))));
        assert!(check("/api/v1/campaigns/mentors", "").is_ok());
        assert!(check("/api/v1/campaigns/мектеп", "").is_ok());
    }

    #[test]
    fn query_parameters_are_named() {
        assert_eq!(field(check("/", "campaign=%00")), Some("campaign".into()));
        assert_eq!(field(check("/", "limit=2&cursor=1_%0A")), Some("cursor".into()));
        assert_eq!(field(check("/", "q=%C2%9B")), Some("q".into()));
        assert_eq!(field(check("/", "%00=x")), Some("query".into()));
        assert_eq!(field(check("/", &format!("q={}", "a".repeat(MAX_QUERY_VALUE_CHARS + 1)))), Some("q".into()));
        assert!(check("/", &format!("q={}", "a".repeat(MAX_QUERY_VALUE_CHARS))).is_ok());
        // Counted in characters, as the document's maxLength counts: 1 024 Cyrillic letters are
        // 2 048 bytes and allowed, 1 025 are not.
        let cyrillic = |n: usize| serde_urlencoded::to_string([("q", "ж".repeat(n))]).expect("encodable");
        assert!(check("/", &cyrillic(MAX_QUERY_VALUE_CHARS)).is_ok());
        assert_eq!(field(check("/", &cyrillic(MAX_QUERY_VALUE_CHARS + 1))), Some("q".into()));
        assert!(check("/", "q=a+b&status=paid&cursor=&flag").is_ok());
    }

    proptest! {
        #[test]
        fn any_query_without_control_characters_passes(
            pairs in proptest::collection::vec(("[a-z_]{1,10}", "\\PC{0,40}"), 0..5),
        ) {
            let query = serde_urlencoded::to_string(&pairs).expect("encodable");
            prop_assert!(check("/", &query).is_ok());
        }

        #[test]
        fn any_control_character_in_a_value_is_refused_by_name(
            value in "\\PC{0,10}", c in control(),
        ) {
            let query = serde_urlencoded::to_string([("cursor", format!("{value}{c}"))]).expect("encodable");
            prop_assert_eq!(field(check("/", &query)), Some("cursor".to_string()));
        }
    }
}

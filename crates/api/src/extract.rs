//! Request extractors that answer in problem+json and name the field at fault.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::control_chars;
use crate::problem::ApiError;
use crate::text_fields::TextFields;

/// A query value naming one of a stored set (`?status=active`): absent, `None`; one not in the
/// set, a 422 naming `field` and what it may be.
pub fn named<T>(field: &str, raw: Option<&str>) -> Result<Option<T>, ApiError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    raw.map(str::parse::<T>).transpose().map_err(|e| ApiError::invalid(field, e.to_string()))
}

/// A path segment `name` holding an id (`PledgeId`, `PostId`, … or a bare UUID); anything else
/// names nothing, so 404 (`what` says what).
pub fn path_id<T: From<uuid::Uuid>>(req: &HttpRequest, name: &str, what: &str) -> Result<T, ApiError> {
    req.match_info()
        .get(name)
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .map(T::from)
        .ok_or_else(|| ApiError::NotFound(what.into()))
}

/// The page parameters of every list: `?limit=&cursor=`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct Paging {
    /// 1 to 100; 20 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the page before.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

impl Paging {
    /// The page size asked for, checked (422 naming `limit`).
    pub fn limit(&self) -> Result<i64, ApiError> {
        Ok(demeu_db::page::page_limit(self.limit)?)
    }
}

/// A page of one campaign's public list (news, comments, the donor wall): the page size checked,
/// the campaign named `slug` found (404), then `list(conn, campaign, limit, cursor)`.
pub async fn campaign_page<T, F>(
    state: &crate::state::AppState,
    slug: String,
    paging: Paging,
    list: F,
) -> Result<demeu_db::page::Page<T>, ApiError>
where
    T: Send + 'static,
    F: FnOnce(
            &mut demeu_db::DbConn,
            &donations::campaign::Campaign,
            i64,
            Option<&str>,
        ) -> Result<demeu_db::page::Page<T>, ApiError>
        + Send
        + 'static,
{
    let limit = paging.limit()?;
    state
        .pool
        .run(move |conn| {
            let campaign = donations::campaign::find_public(conn, &slug)?;
            list(conn, &campaign, limit, paging.cursor.as_deref())
        })
        .await
}

/// A JSON body, limited to `server.body_limit`, whose deserialization errors name the field;
/// the raw bytes come along for idempotency checks. A string with a control character anywhere
/// in the body is a 422 naming its field, before the handler runs (line breaks and tabs are
/// allowed in the fields [`TextFields`] lists as free text).
#[derive(Debug)]
pub struct JsonBody<T>(pub T, pub Bytes);

impl<T: DeserializeOwned + TextFields + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim();
                v.eq_ignore_ascii_case("application/json") || v.ends_with("+json")
            });
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType("Content-Type: application/json"));
            }
            let bytes = bytes.await.map_err(|e| match e.as_response_error().status_code().as_u16() {
                413 => ApiError::PayloadTooLarge,
                _ => ApiError::BadRequest(e.to_string()),
            })?;
            let value = parse_json(&bytes)?;
            // Parsed twice: a body is small (`server.body_limit`), and the typed parse above
            // keeps its own error messages.
            let document: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest(e.to_string()))?;
            control_chars::check_json(&document, T::LINES, T::SECRETS)?;
            Ok(JsonBody(value, bytes))
        })
    }
}

/// Parses `bytes` as JSON into `T`: syntax errors are 400, wrong values are 422 naming the
/// field's path.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = inner.to_string();
                // serde names a missing field in its message, not in the path.
                let field = message
                    .strip_prefix("missing field `")
                    .and_then(|rest| rest.split('`').next())
                    .map(|f| if path == "." { f.to_string() } else { format!("{path}.{f}") })
                    .unwrap_or_else(|| if path == "." { "body".to_string() } else { path.clone() });
                let message = message.split(" at line ").next().unwrap_or(&message).to_string();
                ApiError::invalid(&field, message)
            }
            _ => ApiError::BadRequest(format!("the body is not valid JSON: {inner}")),
        }
    })?;
    // One document and nothing after it: `{...}garbage` is not JSON.
    de.end().map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        amount: i64,
        email: Option<String>,
    }

    fn field_of(result: Result<Body, ApiError>) -> String {
        match result {
            Err(ApiError::Invalid(fields)) => fields[0].field.clone(),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn wrong_values_name_the_field() {
        assert_eq!(field_of(parse_json(br#"{"amount": "many"}"#)), "amount");
        assert_eq!(field_of(parse_json(br#"{"email": "a@b.kz"}"#)), "amount");
        assert!(matches!(parse_json::<Body>(b"{not json"), Err(ApiError::BadRequest(_))));
        assert!(parse_json::<Body>(br#"{"amount": 5}"#).is_ok());
        assert!(matches!(parse_json::<Body>(br#"{"amount": 5} {"amount": 6}"#), Err(ApiError::BadRequest(_))));
    }
}

//! Reading a `multipart/form-data` upload (a picture with its alt texts, an expense with its
//! evidence), for the API and the console alike: the declared size checked before a byte is
//! read, each part bounded as it streams (413 naming the file field as soon as the files pass
//! their limit, 422 naming a text part past its own), text parts held to the one-line rule, and
//! a part the form does not have, or a text part given twice, named in a 422. The console's forms must begin with their CSRF
//! token: anything else is 403 before a byte of a file is read.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use crate::problem::ApiError;

/// The longest value of a text part.
const MAX_TEXT_PART: usize = 4 * 1024;
/// What the parts besides the files may add to the form's size.
const FORM_OVERHEAD: usize = 64 * 1024;

/// What a form may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FormShape<'a> {
    /// The name of its file part (repeated for several files).
    pub files: &'a str,
    /// How many files at most (an empty file part, a browser's unused input, is none).
    pub max_files: usize,
    /// The files' bytes together at most.
    pub file_bytes: usize,
    /// Its text parts.
    pub texts: &'a [&'a str],
}

/// A form as read: its text parts (trimmed) and its files, in their order.
#[derive(Debug, Default)]
pub(crate) struct Form {
    /// By name; a part absent is absent.
    pub texts: HashMap<String, String>,
    /// Each non-empty file part's bytes.
    pub files: Vec<Vec<u8>>,
}

impl Form {
    /// The text part `name`, or empty.
    pub fn text(&self, name: &str) -> String {
        self.texts.get(name).cloned().unwrap_or_default()
    }
}

/// The refusal of files past `shape`'s limit, naming the field.
fn too_large(shape: &FormShape<'_>) -> ApiError {
    let megabytes = shape.file_bytes / (1024 * 1024);
    ApiError::TooLarge(
        demeu_db::FieldError::new(shape.files, format!("must be at most {megabytes} MB"))
            .translated("error-file-size", vec![("max", megabytes.to_string())]),
    )
}

/// Reads the form of `req` as `shape` says; `csrf`: the console's token, expected first.
pub(crate) async fn read(
    req: &HttpRequest,
    payload: web::Payload,
    shape: FormShape<'_>,
    csrf: Option<&str>,
) -> Result<Form, ApiError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return Err(if csrf.is_some() {
            ApiError::Forbidden
        } else {
            ApiError::UnsupportedMediaType("multipart/form-data")
        });
    }
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > shape.file_bytes + FORM_OVERHEAD) {
        return Err(too_large(&shape));
    }
    let mut parts = actix_multipart::Multipart::new(req.headers(), payload);
    let mut form = Form::default();
    let mut token = String::new();
    let mut file_bytes = 0usize;
    let malformed = |e: actix_multipart::MultipartError| ApiError::BadRequest(format!("malformed form: {e}"));
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(malformed)?;
        let name = part.content_disposition().and_then(|d| d.get_name()).unwrap_or_default().to_string();
        if csrf.is_some() && token.is_empty() && name != "csrf" {
            return Err(ApiError::Forbidden);
        }
        let is_file = name == shape.files;
        if !is_file && name != "csrf" && !shape.texts.contains(&name.as_str()) {
            let mut known = vec![shape.files];
            known.extend_from_slice(shape.texts);
            return Err(ApiError::invalid(&name, format!("is not a field of this form ({})", known.join(", "))));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(malformed)?;
            if is_file {
                file_bytes += chunk.len();
                if file_bytes > shape.file_bytes {
                    return Err(too_large(&shape));
                }
            } else if bytes.len() + chunk.len() > MAX_TEXT_PART {
                return Err(ApiError::invalid(&name, format!("must be at most {MAX_TEXT_PART} bytes")));
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            if !bytes.is_empty() {
                if form.files.len() == shape.max_files {
                    return Err(ApiError::invalid(shape.files, format!("must be at most {} files", shape.max_files)));
                }
                form.files.push(bytes);
            }
            continue;
        }
        let text = String::from_utf8(bytes).map_err(|_| ApiError::invalid(&name, "must be UTF-8 text"))?;
        crate::control_chars::check(&text, crate::control_chars::TextKind::Line)
            .map_err(|why| ApiError::Invalid(vec![why.field_error(&name)]))?;
        let text = text.trim().to_string();
        if name == "csrf" {
            if !csrf.is_some_and(|expected| crate::auth::same(&text, expected)) {
                return Err(if csrf.is_some() {
                    ApiError::Forbidden
                } else {
                    ApiError::invalid("csrf", "is not a field of this form")
                });
            }
            token = text;
        } else {
            match form.texts.entry(name) {
                // Two values for one field: which one was meant is not for the server to guess.
                Entry::Occupied(taken) => return Err(ApiError::invalid(taken.key(), "is given more than once")),
                Entry::Vacant(free) => {
                    free.insert(text);
                }
            }
        }
    }
    Ok(form)
}

//! The rule for the characters of text that comes from outside (`demeu_db::text`: no control
//! character but line breaks and tabs in free text, no bidirectional control), applied to every
//! string of a JSON body and of an HTML form.

use serde_json::Value;

use donations::FieldError;

pub use demeu_db::text::{check, Refused, TextKind};

/// Checks every string in a JSON document: those at the paths in `lines` as free text,
/// those at the paths in `secrets` not at all (a password is hashed at once, never stored or
/// shown: any character is its own), every other one as one line. Paths are named as
/// [`crate::extract::parse_json`] names fields in a 422: `donor_name`, `items[0].name`.
pub fn check_json(value: &Value, lines: &[&str], secrets: &[&str]) -> Result<(), FieldError> {
    let mut path = String::new();
    walk(value, &mut path, lines, secrets)
}

/// The free-text fields of the site's and the console's HTML forms (their `<textarea>`s).
const FORM_LINES: &[&str] = &["message", "body", "about", "note", "body_markdown", "bank_details"];
/// The same, per language (`story_kk`): a campaign's summary and story, the foundation's
/// offer and privacy policy.
const FORM_LINE_PREFIXES: &[&str] = &["summary_", "story_", "offer_", "privacy_"];
/// The forms' password fields, never checked (see [`check_json`]).
const FORM_SECRETS: &[&str] = &["password", "current", "repeat"];

/// Checks every value of an urlencoded HTML form (a page's or the console's) as
/// [`check_json`] checks a JSON body: the same rule whichever way the text comes in.
pub fn check_form(body: &[u8]) -> Result<(), FieldError> {
    for (name, value) in form_urlencoded_pairs(body) {
        if FORM_SECRETS.contains(&name.as_str()) {
            continue;
        }
        let lines = FORM_LINES.contains(&name.as_str()) || FORM_LINE_PREFIXES.iter().any(|p| name.starts_with(p));
        let kind = if lines { TextKind::Lines } else { TextKind::Line };
        check(&value, kind).map_err(|why| why.field_error(&name))?;
    }
    Ok(())
}

fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default()
}

fn walk(value: &Value, path: &mut String, lines: &[&str], secrets: &[&str]) -> Result<(), FieldError> {
    match value {
        Value::String(text) => {
            let here = path.as_str();
            if secrets.contains(&here) {
                return Ok(());
            }
            let kind = if lines.contains(&here) { TextKind::Lines } else { TextKind::Line };
            check(text, kind).map_err(|why| why.field_error(if here.is_empty() { "body" } else { here }))
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                walk(item, path, lines, secrets)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                walk(item, path, lines, secrets)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// Test strategies for the modules that apply the rule.
#[cfg(test)]
pub(crate) mod strategy {
    use proptest::prelude::*;

    /// Any control character: C0, DEL or C1.
    pub(crate) fn control() -> impl Strategy<Value = char> {
        prop_oneof![(0u32..0x20), (0x7fu32..0xa0)].prop_map(|c| char::from_u32(c).expect("a control character"))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::strategy::control;
    use super::*;

    fn refused_at(value: Value) -> Option<String> {
        check_json(&value, &["message", "post.body"], &["password"]).err().map(|e| e.field)
    }

    #[test]
    fn fields_are_named_as_serde_names_them() {
        assert_eq!(refused_at(json!({"donor_name": "\u{0}"})), Some("donor_name".into()));
        assert_eq!(refused_at(json!({"a": {"b": [1, "ok", "x\u{1b}"]}})), Some("a.b[2]".into()));
        assert_eq!(refused_at(json!(["ok", "\u{7f}"])), Some("[1]".into()));
        assert_eq!(refused_at(json!("\u{0}")), Some("body".into()));
        assert_eq!(refused_at(json!({"post": {"title": "a\nb", "body": "a\nb"}})), Some("post.title".into()));
    }

    #[test]
    fn free_text_keeps_its_lines_and_secrets_are_not_read() {
        assert_eq!(refused_at(json!({"message": "one\r\n\ttwo", "post": {"body": "a\nb"}})), None);
        assert_eq!(refused_at(json!({"message": "one\u{0}"})), Some("message".into()));
        assert_eq!(refused_at(json!({"password": "any\u{0}thing\n"})), None);
        assert_eq!(refused_at(json!({"amount": 5, "ok": true, "none": null})), None);
    }

    #[test]
    fn a_form_is_checked_as_a_body_is() {
        let refused = |body: &str| check_form(body.as_bytes()).err().map(|e| e.field);
        assert_eq!(refused("donor_name=%E2%80%AE+%E2%82%B8+000+005+5&amount_other=500"), Some("donor_name".into()));
        assert_eq!(refused("message=one%0D%0Atwo&name=A"), None);
        assert_eq!(refused("name=one%0Atwo"), Some("name".into()));
        assert_eq!(refused("body=%E2%81%A6x"), Some("body".into()));
        assert_eq!(refused("password=%00%E2%80%AE"), None);
    }

    proptest! {
        #[test]
        fn a_control_character_anywhere_in_a_document_is_found(
            keys in proptest::collection::vec("[a-z]{1,8}", 1..4), c in control(),
        ) {
            let mut value = json!(format!("x{c}"));
            for key in keys.iter().rev() {
                value = json!({ key.as_str(): [value] });
            }
            let expected = keys.iter().map(|k| format!("{k}[0]")).collect::<Vec<_>>().join(".");
            prop_assert_eq!(check_json(&value, &[], &[]).err().map(|e| e.field), Some(expected));
        }
    }
}

//! The rule for control characters in text that comes from outside: none, except line breaks
//! and tabs where free text (a message, a comment, Markdown) is expected.
//!
//! Why: PostgreSQL cannot store NUL in TEXT (a 500 there, while SQLite keeps it), and the
//! other control characters (escape sequences, bells, C1 codes) have no business in a name, an
//! address, a slug or a reference: they end up in staff's CSV export, in mail and in the log.
//! Refusing them where text comes in makes both backends answer alike.

use serde_json::Value;

use donations::FieldError;

/// How a piece of text is used, which decides what it may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// One line: a name, an address, a slug, a reference, a token. No control character.
    Line,
    /// Free text: line breaks (`\n`, `\r`) and tabs allowed, no other control character.
    Lines,
}

/// Why a piece of text is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// A line break or tab in one-line text.
    #[error("must be a single line: no line breaks or tabs")]
    LineBreak,
    /// Any other control character (U+0000–U+001F, U+007F–U+009F).
    #[error("must not contain control characters (found U+{0:04X})")]
    Control(u32),
}

/// Checks `text` for the control characters `kind` does not allow.
pub fn check(text: &str, kind: TextKind) -> Result<(), Refused> {
    let allowed = |c: char| kind == TextKind::Lines && matches!(c, '\n' | '\r' | '\t');
    match text.chars().find(|&c| c.is_control() && !allowed(c)) {
        None => Ok(()),
        Some('\n' | '\r' | '\t') => Err(Refused::LineBreak),
        Some(c) => Err(Refused::Control(u32::from(c))),
    }
}

/// Checks every string in a JSON document: those at the paths in `lines` as free text,
/// those at the paths in `secrets` not at all (a password is hashed at once, never stored or
/// shown: any character is its own), every other one as one line. Paths are named as
/// [`crate::extract::parse_json`] names fields in a 422: `donor_name`, `items[0].name`.
pub fn check_json(value: &Value, lines: &[&str], secrets: &[&str]) -> Result<(), FieldError> {
    let mut path = String::new();
    walk(value, &mut path, lines, secrets)
}

fn walk(value: &Value, path: &mut String, lines: &[&str], secrets: &[&str]) -> Result<(), FieldError> {
    match value {
        Value::String(text) => {
            let here = path.as_str();
            if secrets.contains(&here) {
                return Ok(());
            }
            let kind = if lines.contains(&here) { TextKind::Lines } else { TextKind::Line };
            check(text, kind)
                .map_err(|why| FieldError::new(if here.is_empty() { "body" } else { here }, why.to_string()))
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
    fn the_answer_says_what_is_wrong() {
        assert_eq!(check("a\nb", TextKind::Line), Err(Refused::LineBreak));
        assert_eq!(check("a\u{85}", TextKind::Lines), Err(Refused::Control(0x85)));
        assert_eq!(
            check("a\n\u{0}", TextKind::Lines).map_err(|e| e.to_string()).err().as_deref(),
            Some("must not contain control characters (found U+0000)")
        );
    }

    proptest! {
        #[test]
        fn text_with_a_control_character_is_refused(
            before in "\\PC*", c in control(), after in "\\PC*",
        ) {
            let text = format!("{before}{c}{after}");
            prop_assert!(check(&text, TextKind::Line).is_err());
            prop_assert_eq!(check(&text, TextKind::Lines).is_err(), !matches!(c, '\n' | '\r' | '\t'));
        }

        #[test]
        fn text_without_one_is_accepted(text in "\\PC*") {
            prop_assert_eq!(check(&text, TextKind::Line), Ok(()));
            prop_assert_eq!(check(&text, TextKind::Lines), Ok(()));
        }

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

//! The rule for the characters of text that comes from outside, in one place for every way in
//! (JSON bodies, HTML forms, query strings, providers' ids): no control character, except line
//! breaks and tabs where free text (a message, a comment, Markdown) is expected; and no
//! bidirectional formatting character anywhere.
//!
//! Why: PostgreSQL cannot store NUL in TEXT (a 500 there, while SQLite keeps it), and the
//! other control characters (escape sequences, bells, C1 codes) have no business in a name, an
//! address, a slug or a reference: they end up in staff's CSV export, in mail and in the log.
//! The bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) reorder
//! what is drawn after them: a donor named `U+202E ₸ 000 005 5 ·` showed a 500 ₸ gift on the
//! wall as 5 500 000 ₸. No name or message needs them (the marks U+200E/U+200F stay allowed);
//! refusing them where text comes in makes both backends, and every reader, see the same text.

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
    /// A bidirectional embedding, override or isolate, which would reorder the text around it.
    #[error("must not contain characters that reverse the direction of text (found U+{0:04X})")]
    Bidi(u32),
}

impl Refused {
    /// The refusal of field `field`'s text: its English words, and its message id and
    /// arguments for the reader's language (pages, console).
    pub fn field_error(self, field: &str) -> crate::FieldError {
        let error = crate::FieldError::new(field, self.to_string());
        match self {
            Refused::LineBreak => error.translated("error-text-line-break", Vec::new()),
            Refused::Control(c) => error.translated("error-text-control", vec![("code", format!("U+{c:04X}"))]),
            Refused::Bidi(c) => error.translated("error-text-bidi", vec![("code", format!("U+{c:04X}"))]),
        }
    }
}

/// Whether `c` is a bidirectional embedding, override or isolate.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `text` holds markup: a `<` opening a tag, an end tag, a comment or a declaration
/// (`<b`, `</`, `<!`, `<?`). Such text is refused where people read it as plain words (an
/// expense's payee and description), so that what an auditor reads is what was typed; a bare
/// `<` (`23 < 25`) is words.
pub fn has_markup(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?')))
}

/// The refusal of markup in field `field`.
pub fn markup_error(field: &str) -> crate::FieldError {
    crate::FieldError::new(field, "must be plain text, without markup such as <b> or <a href>")
        .translated("error-markup", Vec::new())
}

/// Checks `text` for the characters `kind` does not allow.
pub fn check(text: &str, kind: TextKind) -> Result<(), Refused> {
    let allowed = |c: char| kind == TextKind::Lines && matches!(c, '\n' | '\r' | '\t');
    match text.chars().find(|&c| (c.is_control() && !allowed(c)) || is_bidi_control(c)) {
        None => Ok(()),
        Some('\n' | '\r' | '\t') => Err(Refused::LineBreak),
        Some(c) if is_bidi_control(c) => Err(Refused::Bidi(u32::from(c))),
        Some(c) => Err(Refused::Control(u32::from(c))),
    }
}

#[cfg(test)]
mod strategy {
    use proptest::prelude::*;

    /// Any control character: C0, DEL or C1.
    pub(super) fn control() -> impl Strategy<Value = char> {
        prop_oneof![(0u32..0x20), (0x7fu32..0xa0)].prop_map(|c| char::from_u32(c).expect("a control character"))
    }

    /// Any bidirectional embedding, override or isolate.
    pub(super) fn bidi() -> impl Strategy<Value = char> {
        prop_oneof![(0x202Au32..=0x202E), (0x2066u32..=0x2069)]
            .prop_map(|c| char::from_u32(c).expect("a bidirectional control"))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::strategy::{bidi, control};
    use super::*;

    #[test]
    fn markup_is_a_tag_not_a_less_than_sign() {
        for marked in ["<b>paid</b>", "x</p>", "<!-- c -->", "<?xml", "<script>alert(1)</script>", "<img src=x>"] {
            assert!(has_markup(marked), "{marked}");
        }
        for words in ["23 < 25", "a <= b", "<3", "", "Школа <  лето", "→ <"] {
            assert!(!has_markup(words), "{words}");
        }
    }

    #[test]
    fn the_answer_says_what_is_wrong() {
        assert_eq!(check("a\nb", TextKind::Line), Err(Refused::LineBreak));
        assert_eq!(check("a\u{85}", TextKind::Lines), Err(Refused::Control(0x85)));
        assert_eq!(
            check("a\n\u{0}", TextKind::Lines).map_err(|e| e.to_string()).err().as_deref(),
            Some("must not contain control characters (found U+0000)")
        );
        // The finding: a name that drew a 500 ₸ gift as 5 500 000 ₸.
        assert_eq!(check("\u{202E} ₸ 000 005 5 ·", TextKind::Line), Err(Refused::Bidi(0x202E)));
        assert_eq!(check("Айгерим\u{2067}", TextKind::Lines), Err(Refused::Bidi(0x2067)));
        // The direction marks change nothing around them and stay allowed.
        assert_eq!(check("שלום\u{200F} Айгерим\u{200E}", TextKind::Line), Ok(()));
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
        fn text_with_a_bidirectional_control_is_refused_in_either_kind(
            before in "\\PC*", c in bidi(), after in "\\PC*",
        ) {
            let text = format!("{before}{c}{after}");
            prop_assert!(check(&text, TextKind::Line).is_err());
            prop_assert!(check(&text, TextKind::Lines).is_err());
        }

        #[test]
        fn text_without_one_is_accepted(text in "\\PC*") {
            prop_assume!(!text.chars().any(is_bidi_control));
            prop_assert_eq!(check(&text, TextKind::Line), Ok(()));
            prop_assert_eq!(check(&text, TextKind::Lines), Ok(()));
        }
    }
}

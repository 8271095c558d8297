//! The one rule for the strings a payment provider's event carries and the database keeps or
//! indexes: event ids and types, session, payment, charge and dispute ids, our pledge id echoed
//! back, currencies and statuses.

use crate::control_chars::{self, TextKind};

/// A string named by the provider: at most [`ProviderId::MAX_BYTES`] bytes, no control
/// character. Longer ids do not fit PostgreSQL's btree index rows (a 500 there, while SQLite
/// took them), and PostgreSQL cannot store a NUL at all; Stripe's own ids are far shorter, so an
/// event holding such a string is not one of Stripe's, whatever its signature says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderId(String);

/// Why a string is not a [`ProviderId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadProviderId {
    /// Over [`ProviderId::MAX_BYTES`].
    #[error("is longer than {} bytes", ProviderId::MAX_BYTES)]
    TooLong,
    /// A control character.
    #[error("{0}")]
    Control(control_chars::Refused),
}

impl ProviderId {
    /// The longest id taken, in bytes.
    pub const MAX_BYTES: usize = 255;

    /// Checks `text`.
    pub fn parse(text: &str) -> Result<Self, BadProviderId> {
        if text.len() > Self::MAX_BYTES {
            return Err(BadProviderId::TooLong);
        }
        control_chars::check(text, TextKind::Line).map_err(BadProviderId::Control)?;
        Ok(ProviderId(text.to_string()))
    }

    /// The id.
    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::control_chars::strategy::control;

    #[test]
    fn the_bound_is_in_bytes() {
        assert!(ProviderId::parse(&"a".repeat(255)).is_ok());
        assert_eq!(ProviderId::parse(&"a".repeat(256)), Err(BadProviderId::TooLong));
        // 86 three-byte characters: 258 bytes.
        assert_eq!(ProviderId::parse(&"中".repeat(86)), Err(BadProviderId::TooLong));
        assert_eq!(ProviderId::parse("pi_1").map(ProviderId::into_string), Ok("pi_1".to_string()));
    }

    proptest! {
        #[test]
        fn ids_within_the_bound_and_without_control_characters_are_taken(id in "\\PC{0,60}") {
            prop_assume!(id.len() <= ProviderId::MAX_BYTES);
            prop_assert_eq!(ProviderId::parse(&id).map(ProviderId::into_string), Ok(id));
        }

        #[test]
        fn a_control_character_is_refused(
            before in "[a-z_0-9]{0,20}", c in control(), after in "[a-z0-9]{0,20}",
        ) {
            let id = format!("{before}{c}{after}");
            prop_assert!(matches!(ProviderId::parse(&id), Err(BadProviderId::Control(_))));
        }
    }
}

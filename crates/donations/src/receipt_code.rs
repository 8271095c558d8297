//! A counted gift's receipt code: what a donor (or anyone they show it to) types to check that
//! their gift is counted, and on which day's line of the campaign's open ledger, without the
//! pledge id and without anything about the donor.
//!
//! Twelve characters of Crockford's base32 (digits and capitals without I, L, O, U: nothing to
//! misread), 60 random bits from the operating system: not guessable (a billion guesses a second
//! would take decades to find one of a million codes), short enough to read out. Shown as
//! `XXXX-XXXX-XXXX`; typed in any case, with or without dashes or spaces, and with the letters
//! people confuse with digits (O for 0, I and L for 1) read as the digits.

use rand::RngCore;

/// Crockford's alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code.
pub const LENGTH: usize = 12;

/// A fresh code, as stored and shown (`XXXX-XXXX-XXXX`).
pub fn generate() -> String {
    let mut bytes = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let bits = u64::from_le_bytes(bytes);
    let chars: String = (0..LENGTH).map(|i| char::from(ALPHABET[((bits >> (5 * i)) & 31) as usize])).collect();
    grouped(&chars)
}

fn grouped(chars: &str) -> String {
    format!("{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12])
}

/// What a person typed, as a stored code, if it can be one.
pub fn normalize(typed: &str) -> Option<String> {
    let mut chars = String::with_capacity(LENGTH);
    for c in typed.chars().filter(|c| !c.is_whitespace() && *c != '-') {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
            return None;
        }
        chars.push(c);
    }
    (chars.len() == LENGTH).then(|| grouped(&chars))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_are_read_as_people_type_them() {
        assert_eq!(normalize("abcd-efgh-jkmn").as_deref(), Some("ABCD-EFGH-JKMN"));
        assert_eq!(normalize(" 7k3m q9xw 2ab0 ").as_deref(), Some("7K3M-Q9XW-2AB0"));
        assert_eq!(normalize("OIL0-0000-0000").as_deref(), Some("0110-0000-0000"), "look-alikes are the digits");
        for bad in ["", "ABCD-EFGH-JKM", "ABCD-EFGH-JKMNP", "ABCD-EFGH-JKMU", "ҚҚҚҚ-ҚҚҚҚ-ҚҚҚҚ", "ABCD_EFGH_JKMN"]
        {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }

    #[test]
    fn fresh_codes_differ() {
        let codes: std::collections::HashSet<String> = (0..1000).map(|_| generate()).collect();
        assert_eq!(codes.len(), 1000);
    }

    proptest! {
        /// A code as shown reads back as itself, however it is typed.
        #[test]
        fn a_shown_code_reads_back(_seed in 0u8..255, lower in any::<bool>(), spaced in any::<bool>()) {
            let code = generate();
            prop_assert_eq!(code.len(), LENGTH + 2);
            let mut typed = if lower { code.to_lowercase() } else { code.clone() };
            if spaced {
                typed = typed.replace('-', " ");
            }
            prop_assert_eq!(normalize(&typed), Some(code));
        }
    }
}

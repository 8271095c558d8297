//! An email address, parsed once.

use std::fmt;

/// A plausible email address, trimmed and lower-cased. Deliverability is proven by mail, not here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses `raw` as an addr-spec and nothing else (RFC 5321/5322 without the obsolete and
    /// quoted forms): a dot-atom local part of printable ASCII, `@`, and a domain of dotted
    /// letter-digit-hyphen labels ending in a letter label; surrounding white space is trimmed and
    /// the result lower-cased, which is the canonical form stored. A display name, angle
    /// brackets, a comment or a second address (`x1<victim@example.org>`) is refused: they would
    /// let one inbox pass for many.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let email = raw.trim().to_ascii_lowercase();
        let valid = email.len() <= 254
            && email.split_once('@').is_some_and(|(local, domain)| dot_atom(local) && domain_name(domain));
        if valid {
            Ok(Email(email))
        } else {
            Err("is not an email address")
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// RFC 5322 dot-atom: atext runs joined by single dots, at most 64 characters (RFC 5321).
fn dot_atom(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";
    local.len() <= 64
        && local
            .split('.')
            .all(|run| !run.is_empty() && run.chars().all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c)))
}

/// A host name: labels of letters, digits and inner hyphens, 1 to 63 characters each, at least
/// two of them, the last not all digits.
fn domain_name(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && labels.last().is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()))
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalized_or_refused() {
        assert_eq!(Email::parse("  Ainash@Dara.KZ ").map(Email::into_string), Ok("ainash@dara.kz".to_string()));
        for bad in ["", "no-at-sign", "a@nodot", "a b@x.kz", "@x.kz", "a@.kz", "a@x.kz.", "a@@x.kz", "a@x..kz"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_an_addr_spec_is_an_address() {
        for bad in [
            "x1<victim@example.org>",
            "<victim@example.org>",
            "Victim <victim@example.org>",
            "victim@example.org (comment)",
            "\"quoted\"@example.org",
            "a,b@example.org",
            "a@example.org,b@example.org",
            "a..b@example.org",
            ".a@example.org",
            "a.@example.org",
            "a@-example.org",
            "a@example-.org",
            "a@example.123",
            "a@exa_mple.org",
            "a\u{0}@example.org",
            "ainash@дара.kz",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        for good in ["a@b.kz", "first.last+tag@sub.example.org", "o'brien@example.ie", "x_y-z@1.example.com"] {
            assert!(Email::parse(good).is_ok(), "{good}");
        }
    }

    proptest::proptest! {
        /// Whatever is accepted is one plain address: no brackets, spaces, commas or controls.
        #[test]
        fn accepted_addresses_are_plain(raw in ".{0,80}") {
            if let Ok(email) = Email::parse(&raw) {
                let s = email.as_str();
                proptest::prop_assert!(!s.contains(['<', '>', ',', ' ', '(', ')', '"']));
                proptest::prop_assert!(!s.chars().any(char::is_control));
                proptest::prop_assert_eq!(s.matches('@').count(), 1);
            }
        }
    }
}

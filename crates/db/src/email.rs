//! An email address, parsed once.

use std::fmt;

/// A plausible email address, trimmed and lower-cased. Deliverability is proven by mail, not here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses `raw`: one `@`, something before it, a dotted domain after it, no spaces, at most
    /// 254 characters.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.contains(char::is_whitespace)
            && email.matches('@').count() == 1
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            });
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
}

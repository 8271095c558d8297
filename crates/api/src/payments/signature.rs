//! Stripe's webhook signature scheme: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
//! "<t>.<body>">[,v1=...]`. Any v1 matching any configured secret passes, within a tolerance, in
//! constant time. The sandbox signs its events the same way.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Stripe-Signature` header.
    #[error("the Stripe-Signature header is missing")]
    Missing,
    /// The header has no timestamp or no v1 signature.
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    /// The timestamp is outside the tolerance.
    #[error("the signature's timestamp is too old or in the future")]
    Stale,
    /// No v1 signature matches any secret.
    #[error("no signature matches")]
    Mismatch,
}

fn mac(secret: &str, timestamp: i64, payload: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// The `Stripe-Signature` header value for `payload` signed with `secret` at `timestamp`.
pub fn sign(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let signature = hex::encode(mac(secret, timestamp, payload).finalize().into_bytes());
    format!("t={timestamp},v1={signature}")
}

/// Checks `header` against `payload` with each of `secrets`, at `now` (unix seconds).
pub fn verify(
    payload: &[u8],
    header: Option<&str>,
    secrets: &[String],
    now: i64,
    tolerance_seconds: u64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => {
                // Only what can be an HMAC-SHA256 is kept: a header may hold thousands of entries.
                let mut bytes = [0u8; 32];
                if hex::decode_to_slice(sig, &mut bytes).is_ok() {
                    signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let tolerance = i64::try_from(tolerance_seconds).unwrap_or(i64::MAX);
    if now.abs_diff(timestamp) > tolerance.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    // The body is hashed once per secret, never once per entry: a header of thousands of `v1`
    // entries over a 1 MiB body would otherwise cost gigabytes of hashing before any check.
    let matches = secrets.iter().any(|secret| {
        let expected = mac(secret, timestamp, payload);
        signatures.iter().any(|sig| expected.clone().verify_slice(sig).is_ok())
    });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_000_000;

    fn secrets(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_signed_body_verifies_and_a_changed_one_does_not() {
        let header = sign(b"{\"id\":\"evt_1\"}", "whsec_a", NOW);
        assert_eq!(verify(b"{\"id\":\"evt_1\"}", Some(&header), &secrets(&["whsec_a"]), NOW, 300), Ok(()));
        assert_eq!(
            verify(b"{\"id\":\"evt_2\"}", Some(&header), &secrets(&["whsec_a"]), NOW, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify(b"x", Some(&header), &secrets(&["whsec_b"]), NOW, 300), Err(SignatureError::Mismatch));
    }

    #[test]
    fn any_secret_and_any_v1_may_match() {
        let good = sign(b"body", "whsec_new", NOW);
        let other = sign(b"body", "whsec_unrelated", NOW);
        let v1 = good.split(",v1=").nth(1).expect("v1");
        let header = format!("{other},v1={v1},v0=ignored");
        assert_eq!(verify(b"body", Some(&header), &secrets(&["whsec_old", "whsec_new"]), NOW, 300), Ok(()));
    }

    #[test]
    fn a_flood_of_entries_neither_hides_nor_forges_a_signature() {
        let good = sign(b"body", "whsec_a", NOW);
        let flood = ",v1=00,v1=zz".repeat(5_000) + &",v1=".repeat(2) + &format!(",v1={}", "0".repeat(64)).repeat(100);
        let header = format!("{good}{flood}");
        assert_eq!(verify(b"body", Some(&header), &secrets(&["whsec_b", "whsec_a"]), NOW, 300), Ok(()));
        let forged = format!("t={NOW}{flood}");
        assert_eq!(verify(b"body", Some(&forged), &secrets(&["whsec_a"]), NOW, 300), Err(SignatureError::Mismatch));
        // Entries that cannot be an HMAC-SHA256 are not signatures at all.
        let short = format!("t={NOW},v1=00");
        assert_eq!(verify(b"body", Some(&short), &secrets(&["whsec_a"]), NOW, 300), Err(SignatureError::Malformed));
    }

    #[test]
    fn stale_missing_and_malformed_are_told_apart() {
        let header = sign(b"body", "whsec_a", NOW - 301);
        assert_eq!(verify(b"body", Some(&header), &secrets(&["whsec_a"]), NOW, 300), Err(SignatureError::Stale));
        let future = sign(b"body", "whsec_a", NOW + 301);
        assert_eq!(verify(b"body", Some(&future), &secrets(&["whsec_a"]), NOW, 300), Err(SignatureError::Stale));
        assert_eq!(verify(b"body", None, &secrets(&["whsec_a"]), NOW, 300), Err(SignatureError::Missing));
        assert_eq!(verify(b"body", Some("v1=abcd"), &secrets(&["whsec_a"]), NOW, 300), Err(SignatureError::Malformed));
        assert_eq!(verify(b"body", Some("t=1"), &secrets(&["whsec_a"]), NOW, 300), Err(SignatureError::Malformed));
    }
}

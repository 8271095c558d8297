use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::problem::ApiError;

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 12;

/// An argon2id hash in PHC form, after checking the password's length.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(ApiError::invalid("password", format!("must be at least {MIN_PASSWORD_LEN} characters")));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches `hash`; an unreadable hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Runs password checks off the async threads and off the database pool, a few at a time.
///
/// argon2id takes ~19 MiB and tens of milliseconds of one core per check: unbounded, a flood of
/// sign-ins (even with unknown addresses, which are checked against a dummy hash so that they
/// cost the same) takes the memory and the cores the donors' pages need. So at most one check
/// per core runs; a request that finds every slot taken for `queue_wait` is answered 503 with
/// Retry-After instead of queueing without bound.
#[derive(Debug, Clone)]
pub struct HashingSlots {
    slots: std::sync::Arc<tokio::sync::Semaphore>,
    queue_wait: std::time::Duration,
}

impl HashingSlots {
    /// `slots` checks at once (0: one per core), waiting at most `queue_wait` for a slot.
    pub fn new(slots: usize, queue_wait: std::time::Duration) -> Self {
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
        let slots = if slots == 0 { cores } else { slots };
        HashingSlots { slots: std::sync::Arc::new(tokio::sync::Semaphore::new(slots)), queue_wait }
    }

    /// Whether `password` matches `hash`; with no account (`None`), a dummy hash is checked so
    /// that an unknown address takes as long as a wrong password.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let busy = || ApiError::Unavailable("every password check slot is busy".into());
        let permit = tokio::time::timeout(self.queue_wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        let checked = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            match hash {
                Some(hash) => verify_password(&password, &hash),
                None => {
                    verify_password(&password, dummy_hash());
                    false
                }
            }
        })
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
        Ok(checked)
    }
}

/// A hash of a random password, checked when the address is unknown.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-real-password-at-all").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_short_passwords_are_refused() {
        let hash = hash_password("correct horse battery").expect("hashes");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(matches!(hash_password("short"), Err(ApiError::Invalid(_))));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[tokio::test]
    async fn a_check_beyond_the_slots_is_refused_not_queued() {
        let slots = HashingSlots::new(1, std::time::Duration::from_millis(1));
        let held = slots.slots.clone().acquire_owned().await.expect("a slot");
        assert!(matches!(slots.verify("x".into(), None).await, Err(ApiError::Unavailable(_))));
        drop(held);
        let hash = hash_password("correct horse battery").expect("hashes");
        assert_eq!(slots.verify("correct horse battery".into(), Some(hash)).await.ok(), Some(true));
    }
}

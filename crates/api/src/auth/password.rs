use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use super::AuthError;

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 12;

/// An argon2id hash in PHC form, after checking the password's length.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(short_password().into());
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Broken(format!("hashing a password: {e}")))
}

/// The refusal of a password shorter than [`MIN_PASSWORD_LEN`] characters.
pub(super) fn short_password() -> demeu_db::FieldError {
    demeu_db::FieldError::new("password", format!("must be at least {MIN_PASSWORD_LEN} characters"))
        .translated("error-password-short", vec![("min", MIN_PASSWORD_LEN.to_string())])
}

/// Whether `password` matches `hash`; an unreadable hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Runs password checks off the async threads and off the database pool, a few at a time, on
/// threads of their own.
///
/// argon2id takes ~19 MiB and tens of milliseconds of one core per check: unbounded, a flood of
/// sign-ins (even with unknown addresses, which are checked against a dummy hash so that they
/// cost the same) takes the memory and the cores the donors' pages need. So at most one check
/// per core runs; a request that finds every slot taken for `queue_wait` is answered 503 with
/// Retry-After instead of queueing without bound. The checks run on that many long-lived
/// threads rather than tokio's blocking pool: the allocator keeps an arena per thread that has
/// hashed, so checks spread over a pool of hundreds of threads would hold ~19 MiB in each.
#[derive(Debug, Clone)]
pub struct HashingSlots {
    slots: std::sync::Arc<tokio::sync::Semaphore>,
    queue_wait: std::time::Duration,
    jobs: std::sync::mpsc::Sender<Check>,
}

/// One password check for a hashing thread, and where its answer goes.
#[derive(Debug)]
struct Check {
    password: String,
    hash: Option<String>,
    answer: tokio::sync::oneshot::Sender<bool>,
}

impl Check {
    /// Runs the check in `memory`, the thread's own argon2 blocks: allocating ~19 MiB per check
    /// and freeing it leaves the allocator holding most of it (measured: ~400 MB after a burst
    /// of a few dozen checks on two threads); reused, the memory is one block set per thread.
    fn run(self, memory: &mut Vec<argon2::Block>) {
        let matches = match &self.hash {
            Some(hash) => verify_in(&self.password, hash, memory),
            None => {
                verify_in(&self.password, dummy_hash(), memory);
                false
            }
        };
        // The asker may have gone (its client hung up): nothing to tell.
        let _ = self.answer.send(matches);
    }
}

impl HashingSlots {
    /// `slots` checks at once (0: one per core) on as many threads, waiting at most
    /// `queue_wait` for a slot. The threads end when the last clone of this is dropped.
    pub fn new(slots: usize, queue_wait: std::time::Duration) -> Self {
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
        let slots = if slots == 0 { cores } else { slots };
        let (jobs, queue) = std::sync::mpsc::channel::<Check>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for _ in 0..slots {
            let queue = queue.clone();
            std::thread::spawn(move || {
                let mut memory = Vec::new();
                loop {
                    let next = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match next {
                        Ok(check) => check.run(&mut memory),
                        Err(_) => return,
                    }
                }
            });
        }
        HashingSlots { slots: std::sync::Arc::new(tokio::sync::Semaphore::new(slots)), queue_wait, jobs }
    }

    /// Whether `password` matches `hash`; with no account (`None`), a dummy hash is checked so
    /// that an unknown address takes as long as a wrong password.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AuthError> {
        let _permit = tokio::time::timeout(self.queue_wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| AuthError::Busy)?
            .map_err(|_| AuthError::Busy)?;
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Check { password, hash, answer })
            .map_err(|_| AuthError::Broken("the password check threads are gone".into()))?;
        answered.await.map_err(|_| AuthError::Broken("a password check thread failed".into()))
    }
}

/// [`verify_password`] computed in `memory` (grown to the hash's cost once, then reused); the
/// comparison is constant-time (`Output`'s equality).
fn verify_in(password: &str, hash: &str, memory: &mut Vec<argon2::Block>) -> bool {
    use argon2::{Algorithm, Params, Version};
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(parsed.algorithm), Params::try_from(&parsed)) else {
        return false;
    };
    let Ok(version) = parsed.version.map(Version::try_from).transpose() else { return false };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, argon2::Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version.unwrap_or_default(), params);
    argon.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..blocks]).is_ok()
        && argon2::password_hash::Output::new(&out).is_ok_and(|computed| computed == expected)
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
        assert!(matches!(hash_password("short"), Err(AuthError::Invalid(_))));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn checking_in_reused_memory_agrees_with_the_plain_check() {
        let hash = hash_password("correct horse battery").expect("hashes");
        let mut memory = Vec::new();
        for _ in 0..2 {
            assert!(verify_in("correct horse battery", &hash, &mut memory));
            assert!(!verify_in("wrong horse battery", &hash, &mut memory));
        }
        assert!(!verify_in("anything", "not a hash", &mut memory));
    }

    #[tokio::test]
    async fn a_check_beyond_the_slots_is_refused_not_queued() {
        let slots = HashingSlots::new(1, std::time::Duration::from_millis(1));
        let held = slots.slots.clone().acquire_owned().await.expect("a slot");
        assert!(matches!(slots.verify("x".into(), None).await, Err(AuthError::Busy)));
        drop(held);
        let hash = hash_password("correct horse battery").expect("hashes");
        assert_eq!(slots.verify("correct horse battery".into(), Some(hash)).await.ok(), Some(true));
    }
}

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before sign-in slows down.
const FREE_FAILURES: u32 = 5;
/// The longest wait imposed.
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// Slows down repeated failed sign-ins per email address, whether or not the address belongs to
/// anyone, so that the answer reveals nothing.
///
/// Kept in memory: a restart forgets, and each server instance counts on its own; that bounds a
/// guesser to a few attempts a minute per instance, which argon2 already makes costly.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    /// Seconds to wait before `email` may try again, if it must wait.
    pub fn wait_for(&self, email: &str) -> Option<u64> {
        let failures = self.failures.lock().ok()?;
        let (count, last) = failures.get(&email.to_lowercase())?;
        let wait = Self::wait_after(*count)?;
        let elapsed = last.elapsed();
        (elapsed < wait).then(|| (wait - elapsed).as_secs().max(1))
    }

    /// Records a failure for `email`.
    pub fn failed(&self, email: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            // Guessed addresses would otherwise pile up for good.
            if failures.len() > 10_000 {
                failures.retain(|_, (_, last)| last.elapsed() < MAX_WAIT);
            }
            let entry = failures.entry(email.to_lowercase()).or_insert((0, Instant::now()));
            entry.0 = entry.0.saturating_add(1);
            entry.1 = Instant::now();
        }
    }

    /// Forgets the failures of `email` after a success.
    pub fn succeeded(&self, email: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&email.to_lowercase());
        }
    }

    /// Doubling from one second after the free failures, capped.
    fn wait_after(count: u32) -> Option<Duration> {
        let over = count.checked_sub(FREE_FAILURES)?;
        let secs = 1u64.checked_shl(over.min(20)).unwrap_or(u64::MAX);
        Some(Duration::from_secs(secs).min(MAX_WAIT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_after_the_free_failures() {
        let t = LoginThrottle::default();
        for _ in 0..FREE_FAILURES - 1 {
            t.failed("A@x.kz");
        }
        assert_eq!(t.wait_for("a@x.kz"), None);
        t.failed("a@x.kz");
        assert_eq!(t.wait_for("a@x.kz"), Some(1));
        for _ in 0..5 {
            t.failed("a@x.kz");
        }
        assert!(t.wait_for("a@x.kz").is_some_and(|s| s >= 16));
        t.succeeded("a@x.kz");
        assert_eq!(t.wait_for("a@x.kz"), None);
        assert_eq!(LoginThrottle::wait_after(1_000), Some(MAX_WAIT));
    }
}

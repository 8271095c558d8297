//! The sign-in slow-down. The policy (also in the README):
//!
//! - Per account and client address: 5 failures are free, then each further attempt from that
//!   address waits 1 s, 2 s, 4 s, … up to 15 minutes. A success clears that pair only.
//! - Per client address, whatever the account: 30 failures in an hour, then that address waits
//!   until the hour has passed (one stranger cannot try many accounts).
//! - Per account, whatever the address: after 100 failures in an hour (a distributed guess),
//!   every address that has failed on that account gets no free attempts; an address that has
//!   not failed on it (the owner at home or at the office) is not slowed at all.
//!
//! So nobody can lock the owner out from another address, and a guesser gets a handful of
//! attempts per address per quarter hour (each refusal answered after a one-second pause:
//! `services::sign_in`). The account is the address as sign-in reads it
//! (`sign_in_key`), so `" a@x.kz"` and `"A@X.KZ\t"` count as one. Kept in memory: a restart
//! forgets, and each server instance counts on its own.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures per account and address before waits begin.
const FREE_FAILURES: u32 = 5;
/// The longest wait imposed on an account and address.
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// The window of the per-address and per-account counts.
const WINDOW: Duration = Duration::from_secs(3600);
/// Failures per address in the window, over every account.
const ADDRESS_CEILING: usize = 30;
/// Failures per account in the window, over every address.
const ACCOUNT_CEILING: usize = 100;
/// Entries kept before stale ones are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Debug, Default)]
struct Counts {
    /// (account, address) → failures and the last one.
    pairs: HashMap<(String, Option<IpAddr>), (u32, Instant)>,
    /// address → failure times in the window.
    addresses: HashMap<IpAddr, VecDeque<Instant>>,
    /// account → failure times in the window.
    accounts: HashMap<String, VecDeque<Instant>>,
}

/// The sign-in slow-down; see the module documentation for the policy.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    counts: Mutex<Counts>,
}

fn recent(times: &mut VecDeque<Instant>, now: Instant) -> usize {
    while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
        times.pop_front();
    }
    times.len()
}

impl LoginThrottle {
    /// Seconds `client` must wait before trying `account` again, if it must.
    pub fn wait_for(&self, account: &str, client: Option<IpAddr>) -> Option<u64> {
        let mut counts = self.counts.lock().ok()?;
        let now = Instant::now();
        let mut wait = Duration::ZERO;
        if let Some(times) = client.and_then(|ip| counts.addresses.get_mut(&ip)) {
            if recent(times, now) >= ADDRESS_CEILING {
                let oldest = times.front().copied().unwrap_or(now);
                wait = wait.max(WINDOW.saturating_sub(now.duration_since(oldest)));
            }
        }
        let under_attack = counts.accounts.get_mut(account).is_some_and(|t| recent(t, now) >= ACCOUNT_CEILING);
        if let Some((failures, last)) = counts.pairs.get(&(account.to_string(), client)) {
            let free = if under_attack { 0 } else { FREE_FAILURES };
            if let Some(pair_wait) = wait_after(*failures, free) {
                wait = wait.max(pair_wait.saturating_sub(now.duration_since(*last)));
            }
        }
        (!wait.is_zero()).then(|| wait.as_secs().max(1))
    }

    /// Records a failed sign-in of `account` from `client`.
    pub fn failed(&self, account: &str, client: Option<IpAddr>) {
        let Ok(mut counts) = self.counts.lock() else { return };
        let now = Instant::now();
        if counts.pairs.len() > SWEEP_AT {
            counts.pairs.retain(|_, (_, last)| now.duration_since(*last) < MAX_WAIT);
        }
        if counts.addresses.len() > SWEEP_AT {
            counts.addresses.retain(|_, t| recent(t, now) > 0);
        }
        if counts.accounts.len() > SWEEP_AT {
            counts.accounts.retain(|_, t| recent(t, now) > 0);
        }
        let pair = counts.pairs.entry((account.to_string(), client)).or_insert((0, now));
        pair.0 = pair.0.saturating_add(1);
        pair.1 = now;
        if let Some(ip) = client {
            counts.addresses.entry(ip).or_default().push_back(now);
        }
        counts.accounts.entry(account.to_string()).or_default().push_back(now);
    }

    /// Forgets the failures of `account` from `client` after a success there.
    pub fn succeeded(&self, account: &str, client: Option<IpAddr>) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.pairs.remove(&(account.to_string(), client));
        }
    }
}

/// Doubling from one second after `free` failures, capped.
fn wait_after(failures: u32, free: u32) -> Option<Duration> {
    let over = failures.checked_sub(free.max(1))?;
    let secs = 1u64.checked_shl(over.min(20)).unwrap_or(u64::MAX);
    Some(Duration::from_secs(secs).min(MAX_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn waits_grow_after_the_free_failures_of_a_pair() {
        let t = LoginThrottle::default();
        let (a, stranger) = ("a@x.kz", ip("203.0.113.9"));
        for _ in 0..FREE_FAILURES - 1 {
            t.failed(a, stranger);
        }
        assert_eq!(t.wait_for(a, stranger), None);
        t.failed(a, stranger);
        assert_eq!(t.wait_for(a, stranger), Some(1));
        for _ in 0..5 {
            t.failed(a, stranger);
        }
        assert!(t.wait_for(a, stranger).is_some_and(|s| s >= 16));
        t.succeeded(a, stranger);
        assert_eq!(t.wait_for(a, stranger), None);
        assert_eq!(wait_after(1_000, FREE_FAILURES), Some(MAX_WAIT));
    }

    #[test]
    fn a_stranger_cannot_lock_the_owner_out() {
        let t = LoginThrottle::default();
        for _ in 0..ACCOUNT_CEILING + 10 {
            t.failed("owner@x.kz", ip("203.0.113.9"));
        }
        assert!(t.wait_for("owner@x.kz", ip("203.0.113.9")).is_some());
        assert_eq!(t.wait_for("owner@x.kz", ip("198.51.100.7")), None, "the owner's own address");
    }

    #[test]
    fn one_address_cannot_try_many_accounts() {
        let t = LoginThrottle::default();
        for i in 0..ADDRESS_CEILING {
            t.failed(&format!("guess{i}@x.kz"), ip("203.0.113.9"));
        }
        assert!(t.wait_for("fresh@x.kz", ip("203.0.113.9")).is_some_and(|s| s > 3000));
        assert_eq!(t.wait_for("fresh@x.kz", ip("198.51.100.7")), None);
    }

    #[test]
    fn under_a_distributed_guess_failed_addresses_get_no_free_tries() {
        let t = LoginThrottle::default();
        for i in 0..ACCOUNT_CEILING {
            t.failed("owner@x.kz", ip(&format!("10.0.{}.{}", i / 250, i % 250 + 1)));
        }
        assert!(t.wait_for("owner@x.kz", ip("10.0.0.1")).is_some(), "one failure is enough now");
        assert_eq!(t.wait_for("owner@x.kz", ip("198.51.100.7")), None);
    }
}

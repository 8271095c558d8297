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
//! (`sign_in_key`), so `" a@x.kz"` and `"A@X.KZ\t"` count as one.
//!
//! The decision, [`wait`], is pure: given the failures stored ([`crate::limit_store`], shared by
//! every server instance, so that a guesser gains nothing by reaching several) and the time,
//! how long to wait. Each instance also remembers the refusals it answered ([`LoginThrottle`]),
//! so that a client told to wait who keeps asking is refused without the database, as it was
//! when the counts were kept in memory: a database that is slow or down does not turn a
//! refusal into a 503, nor make refused guesses cost it work.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use demeu_db::DbConn;

use crate::limit_store::{self, elapsed, LimitsUnavailable, SignInFailures};

/// Failures per account and address before waits begin.
const FREE_FAILURES: u32 = 5;
/// The longest wait imposed on an account and address.
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// The window of the per-address and per-account counts.
pub(crate) const WINDOW: Duration = Duration::from_secs(3600);
/// Failures per address in the window, over every account.
const ADDRESS_CEILING: u64 = 30;
/// Failures per account in the window, over every address.
const ACCOUNT_CEILING: u64 = 100;
/// Pairs kept before those quiet for [`MAX_WAIT`] are forgotten; refusals remembered before
/// the ones that have run out are swept.
const SWEEP_AT: usize = 10_000;

/// How long a client must wait before trying an account again: for its address (whatever the
/// account) and for the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Wait {
    /// The address has failed too often, on any accounts.
    pub address: Duration,
    /// This address has failed too often on this account.
    pub pair: Duration,
}

impl Wait {
    /// The answer's Retry-After, when there is a wait: whole seconds, at least one.
    pub fn retry_after(&self) -> Option<u64> {
        let wait = self.address.max(self.pair);
        (!wait.is_zero()).then(|| wait.as_secs().max(1))
    }
}

/// The policy: how long the client of `failures` waits, at `now`.
pub fn wait(failures: &SignInFailures, now: NaiveDateTime) -> Wait {
    let mut wait = Wait::default();
    if failures.address.count >= ADDRESS_CEILING {
        let oldest = failures.address.oldest.unwrap_or(now);
        wait.address = WINDOW.saturating_sub(elapsed(oldest, now));
    }
    let under_attack = failures.account >= ACCOUNT_CEILING;
    if let Some((count, last)) = failures.pair {
        let free = if under_attack { 0 } else { FREE_FAILURES };
        if let Some(pair_wait) = wait_after(count, free) {
            wait.pair = pair_wait.saturating_sub(elapsed(last, now));
        }
    }
    wait
}

/// Doubling from one second after `free` failures, capped.
fn wait_after(failures: u32, free: u32) -> Option<Duration> {
    let over = failures.checked_sub(free.max(1))?;
    let secs = 1u64.checked_shl(over.min(20)).unwrap_or(u64::MAX);
    Some(Duration::from_secs(secs).min(MAX_WAIT))
}

/// Which stored pairs the slow-down forgets, as of `now`: those whose last failure is at or
/// before the time returned, once more than the number returned are stored. (Forgetting a pair
/// gives its address the free failures again, so it is done only to bound the table, as the
/// in-memory counts did.)
pub(crate) fn forgotten_pairs(now: NaiveDateTime) -> (NaiveDateTime, u64) {
    (limit_store::window_start(now, MAX_WAIT), SWEEP_AT as u64)
}

/// Asks the database (one statement) how long `client` must wait before trying `account`.
pub fn stored_wait(conn: &mut DbConn, account: &str, client: Option<IpAddr>) -> Result<Wait, LimitsUnavailable> {
    let now = demeu_db::now();
    let failures =
        limit_store::sign_in_failures(conn, account, client, limit_store::window_start(now, WINDOW), ACCOUNT_CEILING)?;
    Ok(wait(&failures, now))
}

/// Records a failed sign-in of `account` from `client`.
pub fn record_failure(conn: &mut DbConn, account: &str, client: Option<IpAddr>) -> Result<(), LimitsUnavailable> {
    limit_store::record_sign_in_failure(conn, account, client)
}

/// Forgets the failures of `account` from `client` after a success there.
pub fn record_success(conn: &mut DbConn, account: &str, client: Option<IpAddr>) -> Result<(), LimitsUnavailable> {
    limit_store::forget_sign_in_failures(conn, account, client)
}

/// The refusals this instance answered, until when they run. A refusal can be answered from
/// here: while it runs, the database would give the same wait, since failures only lengthen
/// waits and the one thing that clears a pair, a success, cannot happen while it waits.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    refusals: Mutex<Refusals>,
}

#[derive(Debug, Default)]
struct Refusals {
    /// (account, address) → until when it waits.
    pairs: HashMap<(String, Option<IpAddr>), Instant>,
    /// address → until when it waits, whatever the account.
    addresses: HashMap<IpAddr, Instant>,
}

impl LoginThrottle {
    /// The seconds `client` must still wait before trying `account`, if this instance refused
    /// it and the wait has not run out.
    pub fn remembered(&self, account: &str, client: Option<IpAddr>) -> Option<u64> {
        let refusals = self.refusals.lock().ok()?;
        let now = Instant::now();
        let pair = refusals.pairs.get(&(account.to_string(), client));
        let address = client.and_then(|ip| refusals.addresses.get(&ip));
        let until = pair.into_iter().chain(address).max()?;
        let left = until.saturating_duration_since(now);
        (!left.is_zero()).then(|| left.as_secs().max(1))
    }

    /// Remembers that `client` was told to `wait` before trying `account`.
    pub fn remember(&self, account: &str, client: Option<IpAddr>, wait: &Wait) {
        let Ok(mut refusals) = self.refusals.lock() else { return };
        let now = Instant::now();
        if refusals.pairs.len() > SWEEP_AT {
            refusals.pairs.retain(|_, until| *until > now);
        }
        if refusals.addresses.len() > SWEEP_AT {
            refusals.addresses.retain(|_, until| *until > now);
        }
        if let Some(ip) = client.filter(|_| !wait.address.is_zero()) {
            refusals.addresses.insert(ip, now + wait.address);
        }
        let longest = wait.address.max(wait.pair);
        if !longest.is_zero() {
            refusals.pairs.insert((account.to_string(), client), now + longest);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use proptest::prelude::*;

    use super::*;
    use crate::limit_store::Window;

    fn at(millis: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp_millis(1_764_000_000_000 + millis).expect("a time").naive_utc()
    }

    /// Failures as the store keeps them, for tests: every event, and the pairs.
    #[derive(Default)]
    struct Stored {
        addresses: Vec<(IpAddr, NaiveDateTime)>,
        accounts: Vec<(String, NaiveDateTime)>,
        pairs: HashMap<(String, Option<IpAddr>), (u32, NaiveDateTime)>,
    }

    impl Stored {
        fn failed(&mut self, account: &str, client: Option<IpAddr>, now: NaiveDateTime) {
            if let Some(ip) = client {
                self.addresses.push((ip, now));
            }
            self.accounts.push((account.to_string(), now));
            let pair = self.pairs.entry((account.to_string(), client)).or_insert((0, now));
            *pair = (pair.0 + 1, now);
        }

        fn succeeded(&mut self, account: &str, client: Option<IpAddr>) {
            self.pairs.remove(&(account.to_string(), client));
        }

        /// What `limit_store::sign_in_failures` reads.
        fn failures(&self, account: &str, client: Option<IpAddr>, now: NaiveDateTime) -> SignInFailures {
            let since = limit_store::window_start(now, WINDOW);
            let from_address: Vec<_> =
                self.addresses.iter().filter(|(ip, t)| Some(*ip) == client && *t > since).map(|(_, t)| *t).collect();
            let on_account = self.accounts.iter().filter(|(a, t)| a == account && *t > since).count() as u64;
            SignInFailures {
                address: Window { count: from_address.len() as u64, oldest: from_address.iter().copied().min() },
                account: on_account.min(ACCOUNT_CEILING),
                pair: self.pairs.get(&(account.to_string(), client)).copied(),
            }
        }

        fn wait_for(&self, account: &str, client: Option<IpAddr>, now: NaiveDateTime) -> Option<u64> {
            wait(&self.failures(account, client, now), now).retry_after()
        }
    }

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn waits_grow_after_the_free_failures_of_a_pair() {
        let mut t = Stored::default();
        let (a, stranger, now) = ("a@x.kz", ip("203.0.113.9"), at(0));
        for _ in 0..FREE_FAILURES - 1 {
            t.failed(a, stranger, now);
        }
        assert_eq!(t.wait_for(a, stranger, now), None);
        t.failed(a, stranger, now);
        assert_eq!(t.wait_for(a, stranger, now), Some(1));
        for _ in 0..5 {
            t.failed(a, stranger, now);
        }
        assert!(t.wait_for(a, stranger, now).is_some_and(|s| s >= 16));
        assert_eq!(t.wait_for(a, stranger, at(40_000)), None, "the wait runs out");
        t.succeeded(a, stranger);
        assert_eq!(t.wait_for(a, stranger, now), None);
        assert_eq!(wait_after(1_000, FREE_FAILURES), Some(MAX_WAIT));
    }

    #[test]
    fn a_stranger_cannot_lock_the_owner_out() {
        let mut t = Stored::default();
        for _ in 0..ACCOUNT_CEILING + 10 {
            t.failed("owner@x.kz", ip("203.0.113.9"), at(0));
        }
        assert!(t.wait_for("owner@x.kz", ip("203.0.113.9"), at(0)).is_some());
        assert_eq!(t.wait_for("owner@x.kz", ip("198.51.100.7"), at(0)), None, "the owner's own address");
    }

    #[test]
    fn one_address_cannot_try_many_accounts() {
        let mut t = Stored::default();
        for i in 0..ADDRESS_CEILING {
            t.failed(&format!("guess{i}@x.kz"), ip("203.0.113.9"), at(0));
        }
        assert!(t.wait_for("fresh@x.kz", ip("203.0.113.9"), at(0)).is_some_and(|s| s > 3000));
        assert_eq!(t.wait_for("fresh@x.kz", ip("203.0.113.9"), at(3_600_000)), None, "the hour has passed");
        assert_eq!(t.wait_for("fresh@x.kz", ip("198.51.100.7"), at(0)), None);
    }

    #[test]
    fn under_a_distributed_guess_failed_addresses_get_no_free_tries() {
        let mut t = Stored::default();
        for i in 0..ACCOUNT_CEILING {
            t.failed("owner@x.kz", ip(&format!("10.0.{}.{}", i / 250, i % 250 + 1)), at(0));
        }
        assert!(t.wait_for("owner@x.kz", ip("10.0.0.1"), at(0)).is_some(), "one failure is enough now");
        assert_eq!(t.wait_for("owner@x.kz", ip("198.51.100.7"), at(0)), None);
    }

    #[test]
    fn a_remembered_refusal_runs_out_with_its_wait() {
        let throttle = LoginThrottle::default();
        let (stranger, neighbour) = (ip("203.0.113.9"), ip("203.0.113.10"));
        assert_eq!(throttle.remembered("a@x.kz", stranger), None);
        throttle.remember("a@x.kz", stranger, &Wait { address: Duration::ZERO, pair: Duration::from_secs(8) });
        assert!(throttle.remembered("a@x.kz", stranger).is_some_and(|s| (7..=8).contains(&s)));
        assert_eq!(throttle.remembered("b@x.kz", stranger), None, "a pair's wait is the pair's");
        throttle.remember("b@x.kz", neighbour, &Wait { address: Duration::from_secs(3000), pair: Duration::ZERO });
        assert!(
            throttle.remembered("c@x.kz", neighbour).is_some_and(|s| s > 2990),
            "an address's wait is any account's"
        );
        throttle.remember("d@x.kz", stranger, &Wait { address: Duration::ZERO, pair: Duration::from_millis(1) });
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(throttle.remembered("d@x.kz", stranger), None, "run out");
    }

    /// The slow-down as it was when each instance counted in memory (`Instant`s replaced by
    /// times, the size-triggered sweeps left out): the reference the stored counts must match.
    #[derive(Default)]
    struct InMemory {
        pairs: HashMap<(String, Option<IpAddr>), (u32, NaiveDateTime)>,
        addresses: HashMap<IpAddr, VecDeque<NaiveDateTime>>,
        accounts: HashMap<String, VecDeque<NaiveDateTime>>,
    }

    fn recent(times: &mut VecDeque<NaiveDateTime>, now: NaiveDateTime) -> usize {
        while times.front().is_some_and(|t| elapsed(*t, now) >= WINDOW) {
            times.pop_front();
        }
        times.len()
    }

    impl InMemory {
        fn wait_for(&mut self, account: &str, client: Option<IpAddr>, now: NaiveDateTime) -> Option<u64> {
            let mut wait = Duration::ZERO;
            if let Some(times) = client.and_then(|ip| self.addresses.get_mut(&ip)) {
                if recent(times, now) >= ADDRESS_CEILING as usize {
                    let oldest = times.front().copied().unwrap_or(now);
                    wait = wait.max(WINDOW.saturating_sub(elapsed(oldest, now)));
                }
            }
            let under_attack =
                self.accounts.get_mut(account).is_some_and(|t| recent(t, now) >= ACCOUNT_CEILING as usize);
            if let Some((failures, last)) = self.pairs.get(&(account.to_string(), client)) {
                let free = if under_attack { 0 } else { FREE_FAILURES };
                if let Some(pair_wait) = wait_after(*failures, free) {
                    wait = wait.max(pair_wait.saturating_sub(elapsed(*last, now)));
                }
            }
            (!wait.is_zero()).then(|| wait.as_secs().max(1))
        }

        fn failed(&mut self, account: &str, client: Option<IpAddr>, now: NaiveDateTime) {
            let pair = self.pairs.entry((account.to_string(), client)).or_insert((0, now));
            pair.0 = pair.0.saturating_add(1);
            pair.1 = now;
            if let Some(ip) = client {
                self.addresses.entry(ip).or_default().push_back(now);
            }
            self.accounts.entry(account.to_string()).or_default().push_back(now);
        }

        fn succeeded(&mut self, account: &str, client: Option<IpAddr>) {
            self.pairs.remove(&(account.to_string(), client));
        }
    }

    proptest! {
        /// Sign-ins by a few clients on a few accounts, failing or not, at random times: the
        /// stored counts give every answer the in-memory slow-down gave.
        #[test]
        fn counting_in_the_database_answers_as_memory_did(
            steps in proptest::collection::vec(
                (
                    // One account and one address most of the time, so that both ceilings are
                    // reached; now and then an hour passes.
                    prop_oneof![3 => Just(0usize), 1 => 0usize..8],
                    prop_oneof![1 => Just(0usize), 1 => 0usize..42],
                    0u8..10,
                    prop_oneof![20 => 0i64..5_000, 1 => 0i64..2_000_000],
                ),
                1..600,
            ),
        ) {
            let (mut memory, mut stored) = (InMemory::default(), Stored::default());
            let mut now = at(0);
            for (account, client, outcome, gap) in steps {
                now += chrono::TimeDelta::milliseconds(gap);
                let account = format!("account{account}@x.kz");
                let account = account.as_str();
                // Index 41 is a request with no address.
                let client = (client < 41).then(|| IpAddr::from([10, 0, 0, client as u8]));
                let answer = stored.wait_for(account, client, now);
                prop_assert_eq!(answer, memory.wait_for(account, client, now));
                if answer.is_some() {
                    continue;
                }
                // Mostly failures, so that every ceiling is reached.
                if outcome == 0 {
                    stored.succeeded(account, client);
                    memory.succeeded(account, client);
                } else {
                    stored.failed(account, client, now);
                    memory.failed(account, client, now);
                }
            }
        }
    }
}

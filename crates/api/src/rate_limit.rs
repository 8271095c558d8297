//! Per-client limits for what anyone can post (pledges, comments, subscriptions, volunteer
//! applications). The client is the address [`crate::client_ip`] settles on; an IPv6 client
//! counts by its /64.
//!
//! The rule, [`verdict`]: at most `per_hour` requests let through per client in any hour; a
//! request over it waits until the oldest of those leaves the hour (Retry-After, at least one
//! second). Refused requests do not count. The counts are in the database
//! ([`crate::limit_store`]), shared by every server instance.

use std::net::IpAddr;
use std::time::Duration;

use chrono::NaiveDateTime;
use demeu_db::DbPool;

use crate::limit_store::{self, elapsed, LimitsUnavailable, Scope, Window};

/// The window every per-client limit counts in.
pub const WINDOW: Duration = Duration::from_secs(3600);

/// Whether one more request may go ahead, given the requests let through in the [`WINDOW`]
/// before `now`: `Err` holds the seconds until the oldest of them leaves it.
pub fn verdict(per_hour: u32, window: &Window, now: NaiveDateTime) -> Result<(), u64> {
    if window.count < u64::from(per_hour) {
        return Ok(());
    }
    let oldest = window.oldest.unwrap_or(now);
    Err(WINDOW.saturating_sub(elapsed(oldest, now)).as_secs().max(1))
}

/// A request a limit stopped, or could not count.
#[derive(Debug, thiserror::Error)]
pub enum Limited {
    /// Over the limit: allowed again in `retry_after` seconds.
    #[error("too many requests: retry in {retry_after} s")]
    Wait {
        /// Seconds.
        retry_after: u64,
    },
    /// The shared counts could not be read or written: refused too, since letting the request
    /// through uncounted would open the limit to a flood.
    #[error(transparent)]
    Uncounted(#[from] LimitsUnavailable),
}

impl From<demeu_db::DbError> for Limited {
    fn from(error: demeu_db::DbError) -> Self {
        Limited::Uncounted(error.into())
    }
}

/// At most `per_hour` requests per client in any hour, counted by every instance together.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    pool: DbPool,
    scope: Scope,
    per_hour: u32,
}

impl RateLimiter {
    /// A limiter allowing `per_hour`, counting its requests as `scope` in `pool`'s database.
    pub fn new(pool: DbPool, scope: Scope, per_hour: u32) -> Self {
        RateLimiter { pool, scope, per_hour }
    }

    /// Counts a request from `addr` (from [`crate::client_ip::of`]), or answers 429 with the
    /// seconds until one is allowed; 503 when the database cannot count it. Addresses in one
    /// IPv6 /64 are one client.
    pub async fn check(&self, addr: Option<IpAddr>) -> Result<(), Limited> {
        let Some(client) = addr.map(crate::client_ip::limit_key) else { return Ok(()) };
        let (scope, per_hour) = (self.scope, self.per_hour);
        let counted = self
            .pool
            .run(move |conn| {
                limit_store::admit(conn, scope, &client.to_string(), WINDOW, |window, now| {
                    verdict(per_hour, window, now)
                })
            })
            .await?;
        counted.map_err(|retry_after| Limited::Wait { retry_after })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use proptest::prelude::*;

    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_764_000_000 + seconds, 0).expect("a time").naive_utc()
    }

    fn window(times: &[i64]) -> Window {
        Window { count: times.len() as u64, oldest: times.iter().copied().min().map(at) }
    }

    #[test]
    fn the_limit_counts_the_hour_and_says_when_the_oldest_leaves_it() {
        assert_eq!(verdict(2, &window(&[]), at(0)), Ok(()));
        assert_eq!(verdict(2, &window(&[0]), at(10)), Ok(()));
        assert_eq!(verdict(2, &window(&[0, 10]), at(100)), Err(3500));
        assert_eq!(verdict(2, &window(&[0, 10]), at(3599)), Err(1), "never less than a second");
        assert_eq!(verdict(0, &window(&[]), at(0)), Err(3600), "a limit of none waits the hour");
        assert_eq!(verdict(1, &window(&[5]), at(0)), Err(3600), "another clock ahead is no time passed");
    }

    /// The limiter as it was when each instance kept its own, in memory: the times let through,
    /// forgotten as they leave the window.
    #[derive(Default)]
    struct InMemory {
        times: VecDeque<NaiveDateTime>,
    }

    impl InMemory {
        fn check(&mut self, per_hour: u32, now: NaiveDateTime) -> Result<(), u64> {
            while self.times.front().is_some_and(|t| elapsed(*t, now) >= WINDOW) {
                self.times.pop_front();
            }
            if self.times.len() >= per_hour as usize {
                let oldest = self.times.front().copied().unwrap_or(now);
                return Err(WINDOW.saturating_sub(elapsed(oldest, now)).as_secs().max(1));
            }
            self.times.push_back(now);
            Ok(())
        }
    }

    proptest! {
        /// The stored counts give every answer the in-memory limiter gave, Retry-After included.
        #[test]
        fn counting_in_the_database_answers_as_memory_did(
            per_hour in 0u32..6,
            gaps in proptest::collection::vec(0i64..1500, 1..60),
        ) {
            let mut memory = InMemory::default();
            let mut stored: Vec<NaiveDateTime> = Vec::new();
            let mut now = at(0);
            for gap in gaps {
                now += chrono::TimeDelta::milliseconds(gap * 1000 + gap % 7);
                let since = limit_store::window_start(now, WINDOW);
                let in_window: Vec<_> = stored.iter().copied().filter(|t| *t > since).collect();
                let window = Window { count: in_window.len() as u64, oldest: in_window.iter().copied().min() };
                let answer = verdict(per_hour, &window, now);
                if answer.is_ok() {
                    stored.push(now);
                }
                prop_assert_eq!(answer, memory.check(per_hour, now));
            }
        }
    }
}

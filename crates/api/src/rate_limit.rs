//! Per-client limits for what anyone can post (comments, subscriptions). The client is the
//! address [`crate::client_ip`] settles on; an IPv6 client counts by its /64.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::problem::ApiError;

const WINDOW: Duration = Duration::from_secs(3600);

/// At most `per_hour` requests per address in any hour. Kept in memory per server instance.
#[derive(Debug)]
pub struct RateLimiter {
    per_hour: u32,
    hits: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl RateLimiter {
    /// A limiter allowing `per_hour`.
    pub fn new(per_hour: u32) -> Self {
        RateLimiter { per_hour, hits: Mutex::new(HashMap::new()) }
    }

    /// Counts a request from `addr` (from [`crate::client_ip::of`]), or answers 429 with the
    /// seconds until one is allowed. Addresses in one IPv6 /64 are one client.
    pub fn check(&self, addr: Option<IpAddr>) -> Result<(), ApiError> {
        let Some(addr) = addr.map(crate::client_ip::limit_key) else { return Ok(()) };
        let mut hits = self.hits.lock().map_err(|_| ApiError::internal("rate limiter poisoned"))?;
        let now = Instant::now();
        // Addresses seen once and gone would otherwise pile up for good.
        if hits.len() > 10_000 {
            hits.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        let times = hits.entry(addr).or_default();
        while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            times.pop_front();
        }
        if times.len() >= self.per_hour as usize {
            let oldest = times.front().copied().unwrap_or(now);
            let retry_after = WINDOW.saturating_sub(now.duration_since(oldest)).as_secs().max(1);
            return Err(ApiError::RateLimited { retry_after });
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_per_address() {
        let limiter = RateLimiter::new(2);
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        assert!(limiter.check(Some(a)).is_ok());
        assert!(limiter.check(Some(a)).is_ok());
        assert!(matches!(limiter.check(Some(a)), Err(ApiError::RateLimited { retry_after }) if retry_after > 3000));
        assert!(limiter.check(Some(b)).is_ok());
    }

    #[test]
    fn an_ipv6_64_is_one_client() {
        let limiter = RateLimiter::new(1);
        let ip = |s: &str| Some(s.parse::<IpAddr>().expect("ip"));
        assert!(limiter.check(ip("2001:db8:1:2::1")).is_ok());
        assert!(limiter.check(ip("2001:db8:1:2:ffff::9")).is_err(), "the same /64");
        assert!(limiter.check(ip("2001:db8:1:3::1")).is_ok(), "the next /64");
    }
}

//! The stored side of the per-client limits and the sign-in slow-down: what they count, kept in
//! the database so that N server instances behind a load balancer count a client once, not once
//! per instance. This module only counts, reads counts and forgets; the rules that read the
//! counts (how many, how long to wait) are pure functions in `rate_limit.rs` and
//! `auth/throttle.rs`.
//!
//! The work per request, in statements:
//!
//! - a per-client limit ([`admit`]): one write transaction of a lock on the key (PostgreSQL; on
//!   SQLite `BEGIN IMMEDIATE` is the lock), the window's read and, when let through, one insert;
//! - asking the sign-in slow-down ([`sign_in_failures`]): one read;
//! - a failed sign-in ([`record_sign_in_failure`]): one write transaction of one insert (the
//!   address's and the account's events) and one upsert (the pair's count);
//! - a successful sign-in ([`forget_sign_in_failures`]): one delete.
//!
//! A failure of the database is [`LimitsUnavailable`]: the request is answered 503 with
//! Retry-After (`problem.rs`), never let through uncounted and never a 500.

use chrono::NaiveDateTime;
use demeu_db::schema::{limit_events, sign_in_failures};
use demeu_db::{DbConn, DbError};
use diesel::dsl::{count_star, min};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};
use sha2::{Digest, Sha256};

demeu_db::stored_enum! {
    /// What an event in `limit_events` counts.
    pub enum Scope("limit scope") {
        /// A pledge let through, by client address.
        Pledges = "pledges",
        /// A comment let through, by client address.
        Comments = "comments",
        /// A subscription let through (a pledge asking for news included), by client address.
        Subscriptions = "subscriptions",
        /// A "join the mentors' team" application let through, by client address.
        Volunteers = "volunteers",
        /// A failed sign-in, by client address.
        SignInAddress = "sign-in-address",
        /// A failed sign-in, by account.
        SignInAccount = "sign-in-account",
        /// A donor sign-in link asked for, by client address.
        DonorLinks = "donor-links",
        /// A donor sign-in link mailed, by address (its SHA-256).
        DonorLinkAddress = "donor-link-address",
    }
}

/// The database could not count or read the limits: answered 503, so that the request is
/// neither let through uncounted nor reported as a bug.
#[derive(Debug, thiserror::Error)]
#[error("the shared limits could not be read or counted: {0}")]
pub struct LimitsUnavailable(#[from] pub DbError);

impl From<diesel::result::Error> for LimitsUnavailable {
    fn from(e: diesel::result::Error) -> Self {
        LimitsUnavailable(DbError::Query(e))
    }
}

/// What the store knows of one key's events in a window that ends now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    /// Events in the window.
    pub count: u64,
    /// The oldest of them.
    pub oldest: Option<NaiveDateTime>,
}

/// The start of the window of `length` that ends at `now` (events at or before it are out).
pub fn window_start(now: NaiveDateTime, length: std::time::Duration) -> NaiveDateTime {
    chrono::TimeDelta::from_std(length)
        .ok()
        .and_then(|length| now.checked_sub_signed(length))
        .unwrap_or(NaiveDateTime::MIN)
}

/// Time from `then` to `now`; zero if `then` is later (another instance's clock ran ahead).
pub fn elapsed(then: NaiveDateTime, now: NaiveDateTime) -> std::time::Duration {
    (now - then).to_std().unwrap_or_default()
}

/// Counts an event of `scope` for `key` if `rule`, given the key's events in the window of
/// `length` ending now, lets it through. Atomic across instances: admissions of one key wait for
/// each other, so that two instances cannot both let through the last request of a window.
pub fn admit<E>(
    conn: &mut DbConn,
    scope: Scope,
    key: &str,
    length: std::time::Duration,
    rule: impl FnOnce(&Window, NaiveDateTime) -> Result<(), E>,
) -> Result<Result<(), E>, LimitsUnavailable> {
    conn.write_transaction(|conn| {
        lock_key(conn, scope, key)?;
        // Read after the lock: what the instance that held it has just counted is in.
        let now = demeu_db::now();
        let window = window(conn, scope, key, window_start(now, length))?;
        let verdict = rule(&window, now);
        if verdict.is_ok() {
            insert_event(conn, scope, key, now)?;
        }
        Ok(verdict)
    })
}

/// Makes the other admissions of `scope` and `key` wait until this transaction ends. On
/// PostgreSQL, a transaction-scoped advisory lock on the key's hash (two keys that hash alike
/// only wait for each other, which costs time, not correctness). On SQLite nothing is needed:
/// `write_transaction`'s `BEGIN IMMEDIATE` already lets one writer in at a time.
fn lock_key(conn: &mut DbConn, scope: Scope, key: &str) -> QueryResult<()> {
    if let DbConn::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))")
            .bind::<Text, _>(scope.as_str())
            .bind::<Text, _>(key)
            .execute(pg)?;
    }
    Ok(())
}

fn window(conn: &mut DbConn, scope: Scope, key: &str, since: NaiveDateTime) -> QueryResult<Window> {
    let (count, oldest): (i64, Option<NaiveDateTime>) = limit_events::table
        .filter(limit_events::scope.eq(scope))
        .filter(limit_events::key.eq(key))
        .filter(limit_events::counted_at.gt(since))
        .select((count_star(), min(limit_events::counted_at)))
        .first(conn)?;
    Ok(Window { count: u64::try_from(count).unwrap_or_default(), oldest })
}

fn insert_event(conn: &mut DbConn, scope: Scope, key: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(limit_events::table)
        .values((
            limit_events::id.eq(uuid::Uuid::new_v4().to_string()),
            limit_events::scope.eq(scope),
            limit_events::key.eq(key),
            limit_events::counted_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// An account as stored: its SHA-256, so that what people type into the address field (now and
/// then a password) is never written down.
pub(crate) fn account_key(account: &str) -> String {
    hex::encode(Sha256::digest(account.as_bytes()))
}

/// A client as stored: its address (already an IPv6 /64 where the limits count so), or empty
/// for a request with no peer.
fn client_key(client: Option<std::net::IpAddr>) -> String {
    client.map(|ip| ip.to_string()).unwrap_or_default()
}

/// What the store knows about failed sign-ins that concern one account and one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SignInFailures {
    /// The client address's failures in the window, over every account (none without an address).
    pub address: Window,
    /// The account's failures in the window, over every address, counted up to the cap asked for.
    pub account: u64,
    /// The pair's failures since its last success, and the last of them.
    pub pair: Option<(u32, NaiveDateTime)>,
}

#[derive(QueryableByName)]
struct SignInRow {
    #[diesel(sql_type = BigInt)]
    address_count: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    address_oldest: Option<NaiveDateTime>,
    #[diesel(sql_type = BigInt)]
    account_count: i64,
    #[diesel(sql_type = Nullable<Integer>)]
    pair_failures: Option<i32>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pair_last: Option<NaiveDateTime>,
}

/// In one statement: the failures of `client` and of `account` after `since` (the account's
/// counted up to `account_cap`, all a rule needs to know, so that a distributed guess does not
/// make each sign-in count thousands of rows), and the pair's.
pub fn sign_in_failures(
    conn: &mut DbConn,
    account: &str,
    client: Option<std::net::IpAddr>,
    since: NaiveDateTime,
    account_cap: u64,
) -> Result<SignInFailures, LimitsUnavailable> {
    // Each parameter appears once and in order: SQLite reads `$n` as a named parameter numbered
    // by first appearance, PostgreSQL by n; in this order both agree.
    const SQL: &str = "SELECT \
        (SELECT count(*) FROM limit_events \
            WHERE scope = $1 AND key = $2 AND counted_at > $3) AS address_count, \
        (SELECT min(counted_at) FROM limit_events \
            WHERE scope = $4 AND key = $5 AND counted_at > $6) AS address_oldest, \
        (SELECT count(*) FROM (SELECT 1 FROM limit_events \
            WHERE scope = $7 AND key = $8 AND counted_at > $9 LIMIT $10) AS capped) AS account_count, \
        (SELECT failures FROM sign_in_failures WHERE account = $11 AND client = $12) AS pair_failures, \
        (SELECT last_failed_at FROM sign_in_failures WHERE account = $13 AND client = $14) AS pair_last";
    let (account, client) = (account_key(account), client_key(client));
    // Without an address there is no address to count: a key no event has.
    let address = if client.is_empty() { "-" } else { client.as_str() };
    let row: SignInRow = diesel::sql_query(SQL)
        .bind::<Text, _>(Scope::SignInAddress.as_str())
        .bind::<Text, _>(address)
        .bind::<Timestamp, _>(since)
        .bind::<Text, _>(Scope::SignInAddress.as_str())
        .bind::<Text, _>(address)
        .bind::<Timestamp, _>(since)
        .bind::<Text, _>(Scope::SignInAccount.as_str())
        .bind::<Text, _>(&account)
        .bind::<Timestamp, _>(since)
        .bind::<BigInt, _>(i64::try_from(account_cap).unwrap_or(i64::MAX))
        .bind::<Text, _>(&account)
        .bind::<Text, _>(&client)
        .bind::<Text, _>(&account)
        .bind::<Text, _>(&client)
        .get_result(conn)?;
    let count = |n: i64| u64::try_from(n).unwrap_or_default();
    Ok(SignInFailures {
        address: Window { count: count(row.address_count), oldest: row.address_oldest },
        account: count(row.account_count),
        pair: row.pair_failures.zip(row.pair_last).map(|(n, last)| (u32::try_from(n).unwrap_or_default(), last)),
    })
}

/// Counts a failed sign-in of `account` from `client` now: an event for the address (when
/// known) and one for the account, and one more failure for the pair.
pub fn record_sign_in_failure(
    conn: &mut DbConn,
    account: &str,
    client: Option<std::net::IpAddr>,
) -> Result<(), LimitsUnavailable> {
    let (account, client) = (account_key(account), client_key(client));
    let now = demeu_db::now();
    conn.write_transaction(|conn| {
        if client.is_empty() {
            insert_event(conn, Scope::SignInAccount, &account, now)?;
        } else {
            // Both events in one statement (diesel's multi-backend connection builds no
            // multi-row insert).
            diesel::sql_query(
                "INSERT INTO limit_events (id, scope, key, counted_at) VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)",
            )
            .bind::<Text, _>(uuid::Uuid::new_v4().to_string())
            .bind::<Text, _>(Scope::SignInAccount.as_str())
            .bind::<Text, _>(&account)
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(uuid::Uuid::new_v4().to_string())
            .bind::<Text, _>(Scope::SignInAddress.as_str())
            .bind::<Text, _>(&client)
            .bind::<Timestamp, _>(now)
            .execute(conn)?;
        }
        // An upsert, which diesel's multi-backend connection cannot build: the same SQL runs on
        // both backends. One statement, so that failures counted at once by two instances both
        // count.
        diesel::sql_query(
            "INSERT INTO sign_in_failures (account, client, failures, last_failed_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (account, client) DO UPDATE \
             SET failures = sign_in_failures.failures + 1, last_failed_at = excluded.last_failed_at",
        )
        .bind::<Text, _>(&account)
        .bind::<Text, _>(&client)
        .bind::<Timestamp, _>(now)
        .execute(conn)?;
        Ok(())
    })
}

/// Forgets the failures of `account` from `client` (after a success there); the address's and
/// the account's events stay.
pub fn forget_sign_in_failures(
    conn: &mut DbConn,
    account: &str,
    client: Option<std::net::IpAddr>,
) -> Result<(), LimitsUnavailable> {
    let (account, client) = (account_key(account), client_key(client));
    diesel::delete(sign_in_failures::table.find((account, client))).execute(conn)?;
    Ok(())
}

/// Forgets what no rule counts any more, as of `now`: events older than every rule's window,
/// and the sign-in pairs the slow-down forgets (`auth::throttle::forgotten_pairs`). Any instance
/// may run it at any time: it deletes only what no decision reads. Returns how many events and
/// pairs went.
pub fn sweep(conn: &mut DbConn, now: NaiveDateTime) -> Result<(usize, usize), LimitsUnavailable> {
    let longest = crate::rate_limit::WINDOW.max(crate::auth::throttle::WINDOW);
    let events = diesel::delete(limit_events::table.filter(limit_events::counted_at.le(window_start(now, longest))))
        .execute(conn)?;
    let (quiet_since, kept) = crate::auth::throttle::forgotten_pairs(now);
    let stored: i64 = sign_in_failures::table.count().get_result(conn)?;
    let pairs = if u64::try_from(stored).unwrap_or_default() > kept {
        diesel::delete(sign_in_failures::table.filter(sign_in_failures::last_failed_at.le(quiet_since)))
            .execute(conn)?
    } else {
        0
    };
    Ok((events, pairs))
}

-- Counts that every server instance shares: behind a load balancer, N instances on one database
-- must count a client once, not once per instance. The rules that read these rows are
-- crates/api/src/rate_limit.rs (per-client limits) and crates/api/src/auth/throttle.rs (the
-- sign-in slow-down); crates/api/src/limit_store.rs reads and writes them.

-- One row per event counted in a sliding window: a request let through a per-client limit
-- (scope `pledges`, `comments` or `subscriptions`; key: the client address), a failed sign-in
-- by its address (`sign-in-address`) and by its account (`sign-in-account`; key: a SHA-256 of
-- the account, so that what people type into the address field is never stored). No rule looks
-- back further than an hour: older rows are swept.
CREATE TABLE limit_events (
    id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    counted_at TIMESTAMP NOT NULL
);
CREATE INDEX limit_events_window ON limit_events (scope, key, counted_at);
CREATE INDEX limit_events_age ON limit_events (counted_at);

-- Failed sign-ins per account (a SHA-256, as above) and client address ('' when none is known)
-- since that pair's last success.
CREATE TABLE sign_in_failures (
    account TEXT NOT NULL,
    client TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_failed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account, client)
);
CREATE INDEX sign_in_failures_age ON sign_in_failures (last_failed_at);

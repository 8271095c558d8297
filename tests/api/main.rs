//! Integration tests: the real application on a random port, over real HTTP, against a fresh
//! database on each backend. Every test listed in `on_both_backends!` runs twice: once on SQLite
//! and once on PostgreSQL (a throwaway cluster this binary starts; see postgres.rs).

mod helpers;
mod postgres;

mod campaigns;
mod cli;
mod errors;
mod ledger;
mod mail;
mod news;
mod outage;
mod pledges;
mod refunds;
mod schema;
mod smtp;
mod staff;
mod staff_money;
mod stripe;
mod stripe_provider;
mod webhooks;

//! Integration tests: the real application on a random port, over real HTTP, against a fresh
//! database on each backend. Every test listed in `on_both_backends!` runs twice: once on SQLite
//! and once on PostgreSQL (a throwaway cluster this binary starts; see postgres.rs).

mod helpers;
mod postgres;

mod architecture;
mod browser;
mod campaign_store;
mod campaigns;
mod cli;
mod console;
mod console_admin;
mod console_campaigns;
mod console_glance;
mod cors;
mod donor;
mod errors;
mod expenses;
mod foundation;
mod hardening;
mod input;
mod instances;
mod ledger;
mod logs;
mod mail;
mod monthly;
mod news;
mod open_ledger;
mod outage;
mod pages;
mod pictures;
mod pledges;
mod proxies;
mod query_plans;
mod receipts;
mod refunds;
mod round_trips;
mod routes;
mod schema;
mod security_headers;
mod smtp;
mod snapshot;
mod staff;
mod staff_campaigns;
mod staff_money;
mod stripe;
mod stripe_provider;
mod subscription_links;
mod tiptoppay;
mod volunteers;
mod webhook_input;
mod webhooks;

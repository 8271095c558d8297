//! The Demeu HTTP API: routes, staff authentication, the problem+json mapping, and the
//! application that the `demeu` binary and the tests start.

pub mod auth;
pub mod cli;
pub mod client_ip;
pub mod console;
pub mod control_chars;
pub mod cors;
pub mod extract;
pub mod format;
pub mod i18n;
pub mod idempotency;
pub mod limit_store;
pub mod links;
pub mod mail;
pub mod metrics;
pub mod multipart;
pub mod pages;
pub mod payments;
pub mod problem;
pub mod rate_limit;
pub mod request_target;
pub mod routes;
pub mod security_headers;
pub mod services;
pub mod settings;
pub mod snapshot;
pub mod startup;
pub mod state;
pub mod statement_pdf;
pub mod stored_schema;
pub mod streaming;
pub mod telemetry;
pub mod text_fields;

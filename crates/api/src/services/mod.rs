//! Workflows that span the database, a provider and an idempotency key: pledging, refunding,
//! publishing, signing in. A handler parses the request, calls one of these and maps the answer; the money
//! rules themselves stay in the domain crates, which these call.

pub mod books;
pub mod community;
pub mod news;
pub mod offline;
pub mod pledges;
pub mod refunds;
pub mod sign_in;
pub mod volunteers;

//! The money side of Demeu: amounts, campaign plans and their allocation, pledges and the
//! ledger that counts them. No HTTP here; the api crate maps [`Error`] to responses.

pub mod allocation;
pub mod campaign;
pub mod campaign_edit;
pub mod donor;
mod error;
pub mod expense;
pub mod ids;
pub mod ledger;
pub mod ledger_source;
pub mod money;
pub mod offline;
pub mod open_ledger;
pub mod payment_check;
pub mod payment_events;
pub mod plan;
pub mod pledge;
pub mod pledge_store;
pub mod receipt_code;
pub mod reconcile;
pub mod refund;
pub mod spending;
pub mod subscription;
pub mod totals;

pub use error::{Error, FieldError};

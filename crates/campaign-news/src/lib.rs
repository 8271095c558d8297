//! The news side of a campaign: posts written in Markdown and published, subscribers confirmed
//! by a link, comments shown after moderation, and readers' offers to become mentors
//! (volunteers, staff-only). No HTTP and no mail sending here: the api crate
//! renders mail from its templates and enqueues it in the same transaction.

pub mod comment;
mod error;
pub mod foundation;
pub mod ids;
pub mod markdown;
pub mod pictures;
pub mod post;
pub mod subscriber;
pub mod volunteer;

pub use error::{Error, FieldError};

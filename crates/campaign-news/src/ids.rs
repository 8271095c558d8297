//! The ids of the news' rows: one type per kind, parsed once where rows are read. A campaign's
//! and a staff member's ids are `demeu_db::ids`, shared with the money.

pub use demeu_db::ids::{CampaignId, StaffUserId};

demeu_db::stored_id! {
    /// A news post.
    pub struct PostId;
}

demeu_db::stored_id! {
    /// A visitor's comment.
    pub struct CommentId;
}

demeu_db::stored_id! {
    /// A subscription to a campaign's news.
    pub struct SubscriberId;
}

demeu_db::stored_id! {
    /// An application to join the mentors' team.
    pub struct VolunteerId;
}

demeu_db::stored_id! {
    /// A picture staff uploaded.
    pub struct PictureId;
}

//! The ids of the money's rows: one type per kind, parsed once where rows are read.

pub use demeu_db::ids::{CampaignId, StaffUserId};

demeu_db::stored_id! {
    /// A pledge: its donor's secret handle as much as a key.
    pub struct PledgeId;
}

demeu_db::stored_id! {
    /// A refund staff asked for.
    pub struct RefundId;
}

demeu_db::stored_id! {
    /// A monthly gift: its donor's and staff's handle on the subscription at the provider.
    pub struct SubscriptionId;
}

demeu_db::stored_id! {
    /// An expense, or the reversing entry that corrects one.
    pub struct ExpenseId;
}

//! The ids that more than one crate holds: a campaign (the money's and the news'), and a staff
//! member (who acted, in every audited change). Each crate's own ids are beside its rows
//! (`donations::ids`, `campaign_news::ids`).

crate::stored_id! {
    /// A campaign.
    pub struct CampaignId;
}

crate::stored_id! {
    /// A staff account: who signed in, who acted.
    pub struct StaffUserId;
}

//! News posts, subscribers and comments of a campaign (issue 4 fills this crate).

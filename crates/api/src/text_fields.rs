//! Which strings of each request body are free text, and which are secrets: the one table
//! [`crate::extract::JsonBody`] reads to refuse control characters (see
//! [`crate::control_chars`]). A body type taken by `JsonBody` must be listed here; the
//! compiler says so when one is not.

use campaign_news::comment::NewComment;
use campaign_news::foundation::IdentityPatch;
use campaign_news::post::{NewPost, PostEdit};
use campaign_news::volunteer::{VolunteerForm, VolunteerPatch};
use donations::campaign_edit::{CampaignPatch, NewCampaign};
use donations::offline::OfflineGift;
use donations::pledge::PledgeRequest;

use crate::auth::{NewStaffUser, StaffUpdate};
use crate::routes::news::SubscribeBody;
use crate::routes::staff::SignIn;
use crate::routes::staff_campaigns::CloseRequest;
use crate::routes::staff_pledges::RefundBody;

/// The text fields of a request body, named as a 422 names them. Every string not listed is
/// one line without control characters.
pub trait TextFields {
    /// Free text: line breaks and tabs allowed.
    const LINES: &'static [&'static str] = &[];
    /// Secrets, hashed at once and never stored or shown: not checked, any character is theirs
    /// (refusing one now would lock out whoever chose it).
    const SECRETS: &'static [&'static str] = &[];
}

/// Lists each type's fields of one kind (`LINES` or `SECRETS`).
macro_rules! fields {
    ($kind:ident: $($ty:ty => [$($field:literal),*]),* $(,)?) => {
        $(impl TextFields for $ty {
            const $kind: &'static [&'static str] = &[$($field),*];
        })*
    };
}

fields!(LINES: PledgeRequest => ["message"], NewComment => ["body"], NewPost => ["body_markdown"], PostEdit => ["body_markdown"]);
fields!(LINES: VolunteerForm => ["about"], VolunteerPatch => ["note"]);
// A campaign's story and summary per language (`stories.kk`) are paragraphs.
fields!(LINES: NewCampaign => ["summaries.kk", "summaries.ru", "summaries.en", "stories.kk", "stories.ru", "stories.en"]);
fields!(LINES: CampaignPatch => ["summaries.kk", "summaries.ru", "summaries.en", "stories.kk", "stories.ru", "stories.en", "reason"]);
// The foundation's bank details are several lines; its offer and policy are documents.
fields!(LINES: IdentityPatch => ["bank_details", "offer.kk", "offer.ru", "offer.en", "privacy.kk", "privacy.ru", "privacy.en"]);
fields!(SECRETS: SignIn => ["password"], NewStaffUser => ["password"], StaffUpdate => ["password"]);

// Names, addresses, references, methods: one line each.
impl TextFields for OfflineGift {}
impl TextFields for SubscribeBody {}
impl TextFields for RefundBody {}
impl TextFields for crate::routes::expenses::ReverseBody {}
impl TextFields for CloseRequest {}
impl TextFields for crate::routes::donor::LinkRequest {}
// The link's token is a secret: checked against its hash, never stored or shown.
fields!(SECRETS: crate::routes::donor::SessionRequest => ["token"]);
impl TextFields for crate::routes::donor::AmountChange {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name listed for `T` is one of its fields: a misspelt name would silently make a
    /// free-text field one line, or check a password.
    fn listed_fields_exist<T: TextFields + utoipa::ToSchema>() {
        let schema = serde_json::to_value(T::schema()).expect("a schema serializes");
        for name in T::LINES.iter().chain(T::SECRETS) {
            // `stories.kk`: a language of the field `stories`.
            let (field, key) = name.split_once('.').map_or((*name, None), |(f, k)| (f, Some(k)));
            assert!(schema["properties"][field].is_object(), "{} has no field `{field}`: {schema}", T::name());
            if let Some(key) = key {
                assert!(demeu_db::locale::Locale::NAMES.contains(&key), "{name}: `{key}` is not a language");
            }
        }
    }

    #[test]
    fn every_listed_field_exists() {
        listed_fields_exist::<PledgeRequest>();
        listed_fields_exist::<NewComment>();
        listed_fields_exist::<NewPost>();
        listed_fields_exist::<PostEdit>();
        listed_fields_exist::<VolunteerForm>();
        listed_fields_exist::<VolunteerPatch>();
        listed_fields_exist::<SignIn>();
        listed_fields_exist::<NewStaffUser>();
        listed_fields_exist::<StaffUpdate>();
        listed_fields_exist::<NewCampaign>();
        listed_fields_exist::<CampaignPatch>();
        listed_fields_exist::<IdentityPatch>();
    }
}

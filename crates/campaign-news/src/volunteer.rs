//! "Join the mentors' team": a reader's expression of interest in becoming a mentor (an adult
//! of 25 or older who gives a day a week for two years), taken from the campaign page and
//! followed up by staff.
//!
//! It is personal data: staff read it, no public answer holds it, and nothing here logs it. The
//! stored and parsed types print no value in `Debug`, so that a stray `{:?}` in a log line or a
//! panic message cannot carry a name or a phone number out.

use std::fmt;

use chrono::NaiveDateTime;
use demeu_db::locale::Locale;
use demeu_db::page::{decode_cursor, encode_cursor, paginate, row_before, Page};
use demeu_db::schema::{campaigns, volunteers};
use demeu_db::text::TextKind;
use demeu_db::DbConn;
use diesel::prelude::*;
use serde::Deserialize;

use crate::ids::{CampaignId, StaffUserId, VolunteerId};
use crate::{Error, FieldError};

/// Longest name, characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest city, characters.
pub const MAX_CITY_CHARS: usize = 100;
/// Longest contact (an email address or a phone number), characters.
pub const MAX_CONTACT_CHARS: usize = 200;
/// Longest "a few words about yourself", characters.
pub const MAX_ABOUT_CHARS: usize = 2_000;
/// Longest staff note, characters.
pub const MAX_NOTE_CHARS: usize = 2_000;
/// The youngest a mentor may be, years.
pub const MIN_AGE: u32 = 25;

demeu_db::stored_enum! {
    /// Where staff are with an application.
    pub enum VolunteerStatus("volunteer status") {
        /// Not looked at yet.
        New = "new",
        /// Staff got in touch.
        Contacted = "contacted",
        /// Invited to the screening and the School of Mentors.
        Accepted = "accepted",
        /// Not going ahead.
        Declined = "declined",
    }
}

/// What the volunteer form sends, as it comes: every field is read, even when missing, so
/// that [`NewVolunteer::parse`] can name every field at fault in one answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Default, Deserialize)]
pub struct VolunteerForm {
    /// One line, 1 to 100 characters (trimmed).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, min_length = 1, max_length = 100))]
    pub name: String,
    /// One line, 1 to 100 characters (trimmed).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, min_length = 1, max_length = 100))]
    pub city: String,
    /// How to reach the applicant (an email address or a phone number): one line, 1 to 200
    /// characters (trimmed).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, min_length = 1, max_length = 200))]
    pub contact: String,
    /// The applicant confirms being 25 or older; must be `true`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub age_confirmed: bool,
    /// A few words about themselves: free text, up to 2 000 characters (trimmed).
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub about: Option<String>,
    /// The language of the page: `kk`, `ru` or `en`.
    #[cfg_attr(feature = "openapi", schema(schema_with = languages))]
    pub locale: Option<String>,
}

#[cfg(feature = "openapi")]
fn languages() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    let values = Locale::NAMES.iter().map(|n| serde_json::Value::from(*n)).chain([serde_json::Value::Null]);
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values))
        .build()
}

impl fmt::Debug for VolunteerForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VolunteerForm").finish_non_exhaustive()
    }
}

/// An application that passed every check: what is stored. Made only by
/// [`NewVolunteer::parse`], so that whoever holds one (the API's handler, the campaign page's
/// form) holds valid values.
#[derive(Clone, PartialEq, Eq)]
pub struct NewVolunteer {
    name: String,
    city: String,
    contact: String,
    about: String,
    locale: Option<Locale>,
}

impl fmt::Debug for NewVolunteer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewVolunteer").field("locale", &self.locale).finish_non_exhaustive()
    }
}

/// Checks `raw` (trimmed) as text of `kind` (`demeu_db::text`: the rule every way in shares,
/// applied here because the campaign page's HTML form reaches [`NewVolunteer::parse`] too), 1
/// (or 0 when `may_be_empty`) to `max` characters.
fn text(field: &str, raw: &str, kind: TextKind, may_be_empty: bool, max: usize) -> Result<String, FieldError> {
    let value = raw.trim();
    let chars = value.chars().count();
    if (chars == 0 && !may_be_empty) || chars > max {
        return Err(if may_be_empty {
            FieldError::at_most_chars(field, max)
        } else {
            FieldError::chars_between(field, 1, max)
        });
    }
    demeu_db::text::check(value, kind).map_err(|why| why.field_error(field))?;
    Ok(value.to_string())
}

impl NewVolunteer {
    /// Checks every field of `form` and names each one at fault (an [`Error::Invalid`] with all
    /// of them, never only the first), so that the form can be corrected in one go.
    pub fn parse(form: &VolunteerForm) -> Result<Self, Error> {
        let mut errors = Vec::new();
        let mut take = |checked: Result<String, FieldError>| checked.map_err(|e| errors.push(e)).unwrap_or_default();
        let name = take(text("name", &form.name, TextKind::Line, false, MAX_NAME_CHARS));
        let city = take(text("city", &form.city, TextKind::Line, false, MAX_CITY_CHARS));
        let contact = take(text("contact", &form.contact, TextKind::Line, false, MAX_CONTACT_CHARS));
        let about =
            take(text("about", form.about.as_deref().unwrap_or_default(), TextKind::Lines, true, MAX_ABOUT_CHARS));
        if !form.age_confirmed {
            errors.push(
                FieldError::new("age_confirmed", format!("mentors must be {MIN_AGE} or older: confirm that you are"))
                    .translated("error-age", vec![("age", MIN_AGE.to_string())]),
            );
        }
        // A form's empty hidden field says nothing, like a missing one.
        let locale = match form.locale.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            None => None,
            Some(raw) => match raw.parse::<Locale>() {
                Ok(language) => Some(language),
                Err(_) => {
                    errors.push(FieldError::one_of("locale", Locale::NAMES));
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(NewVolunteer { name, city, contact, about, locale })
        } else {
            Err(Error::Invalid(errors))
        }
    }

    /// The name given (trimmed).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The city given (trimmed).
    pub fn city(&self) -> &str {
        &self.city
    }

    /// How to reach the applicant (trimmed).
    pub fn contact(&self) -> &str {
        &self.contact
    }

    /// A few words, possibly none.
    pub fn about(&self) -> &str {
        &self.about
    }

    /// The language of the page, when the form said.
    pub fn locale(&self) -> Option<Locale> {
        self.locale
    }
}

/// A stored application.
#[derive(Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = volunteers)]
pub struct Volunteer {
    /// Id.
    pub id: VolunteerId,
    /// The campaign whose page it came from.
    pub campaign_id: CampaignId,
    /// As given (trimmed).
    pub name: String,
    /// As given (trimmed).
    pub city: String,
    /// An email address or a phone number, as given (trimmed).
    pub contact: String,
    /// A few words, possibly none.
    pub about: String,
    /// Always true: an application without it is refused.
    pub age_confirmed: bool,
    /// The language of the page.
    pub locale: Option<Locale>,
    /// Where staff are with it.
    pub status: VolunteerStatus,
    /// Staff's own note.
    pub staff_note: String,
    /// Received.
    pub created_at: NaiveDateTime,
    /// Last changed by staff (or received).
    pub updated_at: NaiveDateTime,
}

impl fmt::Debug for Volunteer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Volunteer")
            .field("id", &self.id)
            .field("campaign_id", &self.campaign_id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// Stores an application, status `new`. One statement: alone or inside the caller's
/// transaction (the API enqueues the foundation's mail in the same one).
pub fn insert(conn: &mut DbConn, campaign_id: CampaignId, new: &NewVolunteer) -> Result<Volunteer, Error> {
    let now = demeu_db::now();
    // Built here rather than read back: the multi-backend connection has no RETURNING.
    let stored = Volunteer {
        id: VolunteerId::new(),
        campaign_id,
        name: new.name.clone(),
        city: new.city.clone(),
        contact: new.contact.clone(),
        about: new.about.clone(),
        age_confirmed: true,
        locale: new.locale,
        status: VolunteerStatus::New,
        staff_note: String::new(),
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(volunteers::table)
        .values((
            volunteers::id.eq(&stored.id),
            volunteers::campaign_id.eq(&stored.campaign_id),
            volunteers::name.eq(&stored.name),
            volunteers::city.eq(&stored.city),
            volunteers::contact.eq(&stored.contact),
            volunteers::about.eq(&stored.about),
            volunteers::age_confirmed.eq(stored.age_confirmed),
            volunteers::locale.eq(stored.locale),
            volunteers::status.eq(stored.status),
            volunteers::staff_note.eq(&stored.staff_note),
            volunteers::created_at.eq(stored.created_at),
            volunteers::updated_at.eq(stored.updated_at),
        ))
        .execute(conn)?;
    Ok(stored)
}

/// The staff list's filters; `None` is any.
#[derive(Debug, Clone, Default)]
pub struct VolunteerFilter {
    /// Where staff are with them.
    pub status: Option<VolunteerStatus>,
    /// The campaign's slug.
    pub campaign: Option<String>,
}

/// Applications matching `filter`, newest first, each with its campaign's slug. A page is one
/// range of an index of migration `volunteers` (filter, time, id), however deep: the cursor is
/// a row comparison ([`row_before`]). A campaign that does not exist matches nothing.
pub fn list(
    conn: &mut DbConn,
    filter: &VolunteerFilter,
    limit: i64,
    cursor: Option<&str>,
) -> Result<Page<(Volunteer, String)>, Error> {
    let after = cursor.map(decode_cursor).transpose()?;
    let mut query = volunteers::table
        .inner_join(campaigns::table)
        .select((Volunteer::as_select(), campaigns::slug))
        .order((volunteers::created_at.desc(), volunteers::id.desc()))
        .limit(limit + 1)
        .into_boxed();
    if let Some(slug) = &filter.campaign {
        let id: Option<String> =
            campaigns::table.filter(campaigns::slug.eq(slug)).select(campaigns::id).first(conn).optional()?;
        let Some(id) = id else { return Ok(Page { items: Vec::new(), next_cursor: None }) };
        query = query.filter(volunteers::campaign_id.eq(id));
    }
    if let Some(status) = filter.status {
        query = query.filter(volunteers::status.eq(status));
    }
    if let Some((at, id)) = after {
        query = query.filter(row_before((volunteers::created_at, volunteers::id), (at, id)));
    }
    let rows = query.load::<(Volunteer, String)>(conn)?;
    Ok(paginate(rows, limit, |(v, _): &(Volunteer, String)| encode_cursor(v.created_at, &v.id.to_string())))
}

/// One application, with its campaign's slug.
pub fn find(conn: &mut DbConn, id: VolunteerId) -> Result<(Volunteer, String), Error> {
    volunteers::table
        .inner_join(campaigns::table)
        .filter(volunteers::id.eq(id))
        .select((Volunteer::as_select(), campaigns::slug))
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("volunteer"))
}

/// What staff send to change an application, as it comes; absent fields stay.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VolunteerPatch {
    /// The new status.
    #[cfg_attr(feature = "openapi", schema(schema_with = statuses))]
    pub status: Option<String>,
    /// Staff's note, replacing the one before (empty clears it): free text, up to 2 000
    /// characters (trimmed).
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub note: Option<String>,
}

#[cfg(feature = "openapi")]
fn statuses() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(VolunteerStatus::NAMES.iter().copied()))
        .build()
}

/// A checked change: at least one of the two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolunteerChange {
    status: Option<VolunteerStatus>,
    staff_note: Option<String>,
}

impl VolunteerChange {
    /// Checks a patch, naming each field at fault; a patch that changes nothing is refused.
    pub fn parse(patch: &VolunteerPatch) -> Result<Self, Error> {
        let mut errors = Vec::new();
        let status = match patch.status.as_deref().map(str::parse::<VolunteerStatus>) {
            None => None,
            Some(Ok(status)) => Some(status),
            Some(Err(_)) => {
                errors.push(FieldError::one_of("status", VolunteerStatus::NAMES));
                None
            }
        };
        let staff_note = match patch.note.as_deref().map(|n| text("note", n, TextKind::Lines, true, MAX_NOTE_CHARS)) {
            None => None,
            Some(Ok(note)) => Some(note),
            Some(Err(e)) => {
                errors.push(e);
                None
            }
        };
        if errors.is_empty() && status.is_none() && staff_note.is_none() {
            errors.push(
                FieldError::new("body", "must hold status or note").translated("error-status-or-note", Vec::new()),
            );
        }
        if errors.is_empty() {
            Ok(VolunteerChange { status, staff_note })
        } else {
            Err(Error::Invalid(errors))
        }
    }
}

/// Changes an application's status and/or note as staff member `actor`, and writes the change
/// to the audit log in the same transaction (the note's text stays out of the log: it is about a
/// person).
pub fn update(
    conn: &mut DbConn,
    id: VolunteerId,
    change: &VolunteerChange,
    actor: StaffUserId,
) -> Result<(Volunteer, String), Error> {
    conn.write_transaction(|conn| {
        let now = demeu_db::now();
        // Touched before it is read: on PostgreSQL the update takes the row's lock, so that two
        // staff changing one application at once each log the status the other left (SQLite's
        // write transaction already lets one writer in at a time).
        let touched = diesel::update(volunteers::table.find(id)).set(volunteers::updated_at.eq(now)).execute(conn)?;
        if touched == 0 {
            return Err(Error::NotFound("volunteer"));
        }
        let (before, campaign) = find(conn, id)?;
        let status = change.status.unwrap_or(before.status);
        let staff_note = change.staff_note.clone().unwrap_or_else(|| before.staff_note.clone());
        diesel::update(volunteers::table.find(id))
            .set((volunteers::status.eq(status), volunteers::staff_note.eq(&staff_note)))
            .execute(conn)?;
        demeu_db::audit::record(
            conn,
            Some(actor),
            "volunteer.update",
            &format!("volunteer:{id}"),
            &serde_json::json!({
                "status": status,
                "previous_status": before.status,
                "note_changed": staff_note != before.staff_note,
            }),
        )?;
        Ok((Volunteer { status, staff_note, updated_at: now, ..before }, campaign))
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn form() -> VolunteerForm {
        VolunteerForm {
            name: " Айгерим ".into(),
            city: "Алматы".into(),
            contact: "+7 701 000 00 00".into(),
            age_confirmed: true,
            about: Some("Работаю учителем.\nЛюблю походы.".into()),
            locale: Some("kk".into()),
        }
    }

    fn fields(result: Result<NewVolunteer, Error>) -> Vec<String> {
        match result {
            Err(Error::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn a_good_application_is_trimmed_and_kept() {
        let new = NewVolunteer::parse(&form()).expect("valid");
        assert_eq!((new.name(), new.city(), new.contact()), ("Айгерим", "Алматы", "+7 701 000 00 00"));
        assert_eq!(new.about(), "Работаю учителем.\nЛюблю походы.");
        assert_eq!(new.locale(), Some(Locale::Kk));
        let bare = VolunteerForm { about: None, locale: Some(String::new()), ..form() };
        let bare = NewVolunteer::parse(&bare).expect("valid");
        assert_eq!((bare.about(), bare.locale()), ("", None));
    }

    #[test]
    fn every_field_at_fault_is_named_at_once() {
        let bad = VolunteerForm {
            name: "  ".into(),
            city: "x".repeat(MAX_CITY_CHARS + 1),
            contact: String::new(),
            age_confirmed: false,
            about: Some("x".repeat(MAX_ABOUT_CHARS + 1)),
            locale: Some("de".into()),
        };
        assert_eq!(fields(NewVolunteer::parse(&bad)), ["name", "city", "contact", "about", "age_confirmed", "locale"]);
        assert_eq!(
            fields(NewVolunteer::parse(&VolunteerForm::default())),
            ["name", "city", "contact", "age_confirmed"]
        );
    }

    #[test]
    fn the_age_is_confirmed_or_refused_with_the_reason() {
        let young = VolunteerForm { age_confirmed: false, ..form() };
        match NewVolunteer::parse(&young) {
            Err(Error::Invalid(errors)) => {
                assert_eq!(errors.len(), 1);
                assert_eq!(errors[0].field, "age_confirmed");
                assert!(errors[0].message.contains("25 or older"), "{}", errors[0].message);
            }
            other => panic!("refused, got {other:?}"),
        }
    }

    #[test]
    fn control_characters_are_refused_line_breaks_only_in_free_text() {
        assert_eq!(fields(NewVolunteer::parse(&VolunteerForm { name: "A\nB".into(), ..form() })), ["name"]);
        assert_eq!(fields(NewVolunteer::parse(&VolunteerForm { contact: "a\u{0}b".into(), ..form() })), ["contact"]);
        assert_eq!(
            fields(NewVolunteer::parse(&VolunteerForm { about: Some("a\u{1b}[31m".into()), ..form() })),
            ["about"]
        );
        assert!(NewVolunteer::parse(&VolunteerForm { about: Some("a\r\n\tb".into()), ..form() }).is_ok());
    }

    #[test]
    fn nothing_personal_is_printed_by_debug() {
        let new = NewVolunteer::parse(&form()).expect("valid");
        let printed = format!("{new:?} {:?}", form());
        assert!(!printed.contains("Айгерим") && !printed.contains("701"), "{printed}");
    }

    #[test]
    fn patches_are_checked() {
        let patch = |status: Option<&str>, note: Option<&str>| {
            VolunteerChange::parse(&VolunteerPatch { status: status.map(Into::into), note: note.map(Into::into) })
        };
        assert_eq!(
            patch(Some("contacted"), None).ok(),
            Some(VolunteerChange { status: Some(VolunteerStatus::Contacted), staff_note: None })
        );
        assert_eq!(
            patch(None, Some(" called\nback ")).ok(),
            Some(VolunteerChange { status: None, staff_note: Some("called\nback".into()) })
        );
        assert!(patch(None, Some("")).is_ok(), "an empty note clears it");
        let named = |r: Result<VolunteerChange, Error>| match r {
            Err(Error::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect::<Vec<_>>(),
            other => panic!("refused, got {other:?}"),
        };
        assert_eq!(named(patch(Some("hired"), Some(&"x".repeat(MAX_NOTE_CHARS + 1)))), ["status", "note"]);
        assert_eq!(named(patch(None, None)), ["body"]);
    }

    #[test]
    fn statuses_and_languages_are_stored_by_their_names() {
        assert_eq!(VolunteerStatus::NAMES, ["new", "contacted", "accepted", "declined"]);
        assert_eq!(Locale::NAMES, ["kk", "ru", "en"]);
        for status in VolunteerStatus::ALL {
            assert_eq!(status.as_str().parse::<VolunteerStatus>(), Ok(*status));
        }
    }

    proptest! {
        /// Any text within the limits and free of control characters is accepted as it comes
        /// (trimmed); one character over a limit, or a control character, names that field only.
        #[test]
        fn the_limits_hold_for_any_text(
            name in "\\PC{1,100}",
            city in "\\PC{1,100}",
            contact in "\\PC{1,200}",
            about in "\\PC{0,300}",
            over in 0usize..3,
        ) {
            let good = VolunteerForm {
                name: name.clone(),
                city: city.clone(),
                contact: contact.clone(),
                age_confirmed: true,
                about: Some(about.clone()),
                locale: None,
            };
            let blank = |s: &str| s.trim().is_empty();
            if blank(&name) || blank(&city) || blank(&contact) {
                prop_assert!(NewVolunteer::parse(&good).is_err());
                return Ok(());
            }
            let new = NewVolunteer::parse(&good).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            prop_assert_eq!(new.name(), name.trim());
            prop_assert_eq!(new.about(), about.trim());
            prop_assert!(new.name().chars().count() <= MAX_NAME_CHARS);

            let (field, bad) = match over {
                0 => ("name", VolunteerForm { name: format!("{}{}", "я".repeat(MAX_NAME_CHARS), name.trim()), ..good.clone() }),
                1 => ("city", VolunteerForm { city: format!("{}\u{7}", city.trim()), ..good.clone() }),
                _ => ("contact", VolunteerForm { contact: "7".repeat(MAX_CONTACT_CHARS + 1), ..good.clone() }),
            };
            prop_assert_eq!(fields(NewVolunteer::parse(&bad)), vec![field.to_string()]);
        }
    }
}

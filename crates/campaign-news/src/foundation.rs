//! The foundation's identity, where donors look for it: its name per language, its legal form
//! and registration number (БИН), address, phone, email, website, bank details for transfers,
//! and its public offer and privacy policy (Markdown per language, each a page of its own). One
//! row, imported once from configuration, edited by admins (audited).

use chrono::NaiveDateTime;
use demeu_db::ids::StaffUserId;
use demeu_db::locale::{Locale, Texts};
use demeu_db::schema::{campaigns, foundation};
use demeu_db::DbConn;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;

use crate::{Error, FieldError};

/// The foundation's own language: what a reader of a language it has no text in sees (its name,
/// its documents, its logo's alt text), and the one its logo's alt text is required in.
pub const LANGUAGE: Locale = Locale::Ru;

/// The longest one-line detail (legal form, address, phone, website), in characters.
pub const MAX_LINE_CHARS: usize = 300;
/// The longest bank details.
pub const MAX_BANK_CHARS: usize = 2_000;
/// The longest offer or privacy policy, per language.
pub const MAX_DOCUMENT_CHARS: usize = 100_000;

/// The foundation as donors see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// Its name per language.
    pub names: Texts,
    /// Its legal form ("Общественный фонд", "Public foundation").
    pub legal_form: String,
    /// Its БИН: twelve digits.
    pub registration_number: String,
    /// Its registered address.
    pub address: String,
    /// A phone donors may call.
    pub phone: String,
    /// An address donors may write to.
    pub email: String,
    /// Its own site.
    pub website: String,
    /// For bank transfers: the account, the bank, its BIC, the beneficiary code (several lines).
    pub bank_details: String,
    /// The public offer (the terms of a gift), Markdown per language.
    pub offer: Texts,
    /// The privacy policy, Markdown per language.
    pub privacy: Texts,
}

impl Identity {
    /// Its name for a reader of `lang` (else Russian, else any).
    pub fn name(&self, lang: Locale) -> &str {
        self.names.shown(lang, LANGUAGE)
    }

    /// The legal details a receipt carries: "Общественный фонд «Дара», БИН 123456789012, адрес".
    pub fn legal_line(&self, lang: Locale) -> String {
        let mut parts = vec![self.name(lang).to_string()];
        if !self.legal_form.is_empty() {
            parts[0] = format!("{} {}", self.legal_form, parts[0]);
        }
        if !self.registration_number.is_empty() {
            // The business identification number in the reader's language: БСН in Kazakh
            // (бизнес-сәйкестендіру нөмірі), БИН in Russian, BIN in English.
            let label = match lang {
                Locale::Kk => "БСН",
                Locale::Ru => "БИН",
                Locale::En => "BIN",
            };
            parts.push(format!("{label} {}", self.registration_number));
        }
        if !self.address.is_empty() {
            parts.push(self.address.clone());
        }
        parts.join(", ")
    }
}

/// What admins (or configuration) send: any field; `offer` and `privacy` per language.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityPatch {
    /// Name per language (`kk`, `ru`, `en`); a language sent empty is removed.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub names: Option<std::collections::BTreeMap<String, String>>,
    /// Legal form.
    pub legal_form: Option<String>,
    /// БИН: twelve digits (or empty).
    pub registration_number: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Website: https://…
    pub website: Option<String>,
    /// Bank details, several lines.
    pub bank_details: Option<String>,
    /// Public offer, Markdown per language.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub offer: Option<std::collections::BTreeMap<String, String>>,
    /// Privacy policy, Markdown per language.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub privacy: Option<std::collections::BTreeMap<String, String>>,
}

fn merged(
    field: &str,
    old: &Texts,
    sent: &Option<std::collections::BTreeMap<String, String>>,
    errors: &mut Vec<FieldError>,
) -> Texts {
    let mut texts = old.clone();
    if let Some(sent) = sent {
        let (read, unknown) = Texts::from_map(field, sent.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        errors.extend(unknown);
        for key in sent.keys() {
            if let Ok(lang) = key.parse::<Locale>() {
                *texts.slot_mut(lang) = read.get(lang).unwrap_or("").to_string();
            }
        }
    }
    texts
}

impl IdentityPatch {
    /// `old` with this applied, every field checked and every fault named.
    pub fn applied_to(&self, old: &Identity) -> Result<Identity, Error> {
        let mut errors = Vec::new();
        let line = |field: &str, sent: &Option<String>, old: &str, max: usize, errors: &mut Vec<FieldError>| {
            let value = sent.as_deref().map_or(old, str::trim).to_string();
            if value.chars().count() > max {
                errors.push(FieldError::at_most_chars(field, max));
            }
            value
        };
        let new = Identity {
            names: merged("names", &old.names, &self.names, &mut errors),
            legal_form: line("legal_form", &self.legal_form, &old.legal_form, MAX_LINE_CHARS, &mut errors),
            registration_number: line(
                "registration_number",
                &self.registration_number,
                &old.registration_number,
                12,
                &mut errors,
            ),
            address: line("address", &self.address, &old.address, MAX_LINE_CHARS, &mut errors),
            phone: line("phone", &self.phone, &old.phone, 40, &mut errors),
            email: line("email", &self.email, &old.email, 254, &mut errors),
            website: line("website", &self.website, &old.website, MAX_LINE_CHARS, &mut errors),
            bank_details: line("bank_details", &self.bank_details, &old.bank_details, MAX_BANK_CHARS, &mut errors),
            offer: merged("offer", &old.offer, &self.offer, &mut errors),
            privacy: merged("privacy", &old.privacy, &self.privacy, &mut errors),
        };
        if new.names.is_empty() {
            errors.push(
                FieldError::new("names", "the foundation needs a name in one language at least")
                    .translated("error-name-needed", vec![]),
            );
        }
        for (lang, name) in new.names.present() {
            if name.chars().count() > MAX_LINE_CHARS {
                errors.push(FieldError::at_most_chars(&format!("names.{lang}"), MAX_LINE_CHARS));
            }
        }
        for (field, texts) in [("offer", &new.offer), ("privacy", &new.privacy)] {
            for (lang, text) in texts.present() {
                if text.chars().count() > MAX_DOCUMENT_CHARS {
                    errors.push(FieldError::at_most_chars(&format!("{field}.{lang}"), MAX_DOCUMENT_CHARS));
                }
            }
        }
        let bin = &new.registration_number;
        if !bin.is_empty() && (bin.len() != 12 || !bin.bytes().all(|b| b.is_ascii_digit())) {
            errors.push(
                FieldError::new("registration_number", "must be the twelve digits of a БИН")
                    .translated("error-bin", vec![]),
            );
        }
        if !new.email.is_empty() {
            if let Err(why) = demeu_db::email::Email::parse(&new.email) {
                errors.push(FieldError::email("email", why.to_string()));
            }
        }
        let web = ["https://", "http://"].iter().any(|scheme| new.website.starts_with(scheme));
        if !new.website.is_empty() && !web {
            errors.push(FieldError::new("website", "must start with https://").translated("error-website", vec![]));
        }
        if errors.is_empty() {
            Ok(new)
        } else {
            Err(Error::Invalid(errors))
        }
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = foundation)]
struct Row {
    id: i32,
    name_kk: String,
    name_ru: String,
    name_en: String,
    legal_form: String,
    registration_number: String,
    address: String,
    phone: String,
    email: String,
    website: String,
    bank_details: String,
    offer_kk: String,
    offer_ru: String,
    offer_en: String,
    privacy_kk: String,
    privacy_ru: String,
    privacy_en: String,
    updated_at: NaiveDateTime,
}

/// The one row's id.
const ONE: i32 = 1;

impl Row {
    fn of(i: &Identity, updated_at: NaiveDateTime) -> Row {
        Row {
            id: ONE,
            name_kk: i.names.kk.clone(),
            name_ru: i.names.ru.clone(),
            name_en: i.names.en.clone(),
            legal_form: i.legal_form.clone(),
            registration_number: i.registration_number.clone(),
            address: i.address.clone(),
            phone: i.phone.clone(),
            email: i.email.clone(),
            website: i.website.clone(),
            bank_details: i.bank_details.clone(),
            offer_kk: i.offer.kk.clone(),
            offer_ru: i.offer.ru.clone(),
            offer_en: i.offer.en.clone(),
            privacy_kk: i.privacy.kk.clone(),
            privacy_ru: i.privacy.ru.clone(),
            privacy_en: i.privacy.en.clone(),
            updated_at,
        }
    }

    fn identity(self) -> Identity {
        Identity {
            names: Texts { kk: self.name_kk, ru: self.name_ru, en: self.name_en },
            legal_form: self.legal_form,
            registration_number: self.registration_number,
            address: self.address,
            phone: self.phone,
            email: self.email,
            website: self.website,
            bank_details: self.bank_details,
            offer: Texts { kk: self.offer_kk, ru: self.offer_ru, en: self.offer_en },
            privacy: Texts { kk: self.privacy_kk, ru: self.privacy_ru, en: self.privacy_en },
        }
    }
}

/// The foundation as stored; `None` before the first start stored it.
pub fn get(conn: &mut DbConn) -> Result<Option<Identity>, Error> {
    Ok(foundation::table.find(ONE).select(Row::as_select()).first(conn).optional()?.map(Row::identity))
}

/// Stores configuration's identity if none is stored yet; later starts change nothing (admins
/// edit it). Returns whether it was stored now.
pub fn import_once(conn: &mut DbConn, identity: &Identity) -> Result<bool, Error> {
    conn.write_transaction(|conn| {
        if get(conn)?.is_some() {
            return Ok(false);
        }
        diesel::insert_into(foundation::table).values(Row::of(identity, demeu_db::now())).execute(conn)?;
        Ok(true)
    })
}

/// Applies `patch` as `actor`; audited with the names of the fields that changed. Every
/// campaign is marked changed: the identity is on each of their pages, which every instance
/// then renders again.
pub fn update(conn: &mut DbConn, patch: &IdentityPatch, actor: StaffUserId) -> Result<Identity, Error> {
    conn.write_transaction(|conn| {
        let old = get(conn)?.ok_or(Error::NotFound("foundation"))?;
        let new = patch.applied_to(&old)?;
        let changed: Vec<&str> = [
            ("names", old.names != new.names),
            ("legal_form", old.legal_form != new.legal_form),
            ("registration_number", old.registration_number != new.registration_number),
            ("address", old.address != new.address),
            ("phone", old.phone != new.phone),
            ("email", old.email != new.email),
            ("website", old.website != new.website),
            ("bank_details", old.bank_details != new.bank_details),
            ("offer", old.offer != new.offer),
            ("privacy", old.privacy != new.privacy),
        ]
        .into_iter()
        .filter_map(|(field, differs)| differs.then_some(field))
        .collect();
        if changed.is_empty() {
            return Ok(old);
        }
        let now = demeu_db::now();
        diesel::update(foundation::table.find(ONE)).set(Row::of(&new, now)).execute(conn)?;
        diesel::update(campaigns::table).set(campaigns::updated_at.eq(now)).execute(conn)?;
        demeu_db::audit::record(conn, Some(actor), "foundation.edit", "foundation", &json!({"changed": changed}))?;
        Ok(new)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dara() -> Identity {
        Identity { names: Texts::one(Locale::Ru, "«Дара»"), ..Identity::default() }
    }

    fn fields(result: Result<Identity, Error>) -> Vec<String> {
        match result {
            Err(Error::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn every_bad_detail_is_named() {
        let patch: IdentityPatch = serde_json::from_value(json!({
            "names": {"ru": "", "de": "Dara"},
            "registration_number": "12345",
            "email": "not an address",
            "website": "dara.kz",
            "offer": {"kz": "x"}
        }))
        .expect("patch");
        assert_eq!(
            fields(patch.applied_to(&dara())),
            ["names.de", "offer.kz", "names", "registration_number", "email", "website"]
        );
        let ok: IdentityPatch = serde_json::from_value(json!({
            "names": {"kk": "«Дара» қоры"}, "registration_number": " 123456789012 ", "website": "https://dara.kz"
        }))
        .expect("patch");
        let new = ok.applied_to(&dara()).expect("valid");
        assert_eq!((new.name(Locale::Kk), new.name(Locale::En)), ("«Дара» қоры", "«Дара»"));
        assert_eq!(new.registration_number, "123456789012");
    }

    #[test]
    fn a_receipt_carries_the_legal_details() {
        let identity = Identity {
            legal_form: "Общественный фонд".into(),
            registration_number: "123456789012".into(),
            address: "Алматы, ул. Абая, 1".into(),
            ..dara()
        };
        assert_eq!(identity.legal_line(Locale::Ru), "Общественный фонд «Дара», БИН 123456789012, Алматы, ул. Абая, 1");
        assert_eq!(dara().legal_line(Locale::En), "«Дара»");
        // The number's name is the reader's: БСН in Kazakh, BIN in English.
        assert!(identity.legal_line(Locale::Kk).contains("БСН 123456789012"), "{}", identity.legal_line(Locale::Kk));
        assert!(identity.legal_line(Locale::En).contains("BIN 123456789012"), "{}", identity.legal_line(Locale::En));
    }
}

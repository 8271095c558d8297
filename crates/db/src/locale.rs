//! The site's languages, one type for all who store one: a campaign's default (its mail and its
//! pages), and the page a volunteer's application came from (staff answer in it).

crate::stored_enum! {
    /// One of the languages Demeu speaks.
    pub enum Locale("locale") {
        /// Kazakh.
        Kk = "kk",
        /// Russian.
        Ru = "ru",
        /// English.
        En = "en",
    }
}

/// One text said in the three languages, any of which may be missing (stored as `""`): a
/// campaign's title, a plan line's, a preset's label, a picture's alt text. What a reader sees is
/// [`Texts::shown`]: their language, else the campaign's own, else whichever is there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Texts {
    /// Kazakh.
    pub kk: String,
    /// Russian.
    pub ru: String,
    /// English.
    pub en: String,
}

impl Texts {
    /// The same text in every language: what a one-language source (an older row) says.
    pub fn one(lang: Locale, text: impl Into<String>) -> Texts {
        let mut texts = Texts::default();
        *texts.slot_mut(lang) = text.into();
        texts
    }

    /// Reads `{"kk": .., "ru": .., "en": ..}` as sent by staff or configuration, trimmed. A key
    /// that is not one of the three languages is an error naming `field.key` (so that a Kazakh
    /// title typed under `kz` is not silently lost); the other keys are read all the same, so
    /// that each fault is named once.
    pub fn from_map<'a>(
        field: &str,
        map: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> (Texts, Vec<crate::FieldError>) {
        let mut texts = Texts::default();
        let mut errors = Vec::new();
        for (key, text) in map {
            match key.parse::<Locale>() {
                Ok(lang) => *texts.slot_mut(lang) = text.trim().to_string(),
                Err(_) => errors.push(crate::FieldError::one_of(&format!("{field}.{key}"), Locale::NAMES)),
            }
        }
        (texts, errors)
    }

    /// The text in `lang`, if it is there (a blank one is not).
    pub fn get(&self, lang: Locale) -> Option<&str> {
        let text = match lang {
            Locale::Kk => &self.kk,
            Locale::Ru => &self.ru,
            Locale::En => &self.en,
        };
        Some(text.as_str()).filter(|t| !t.trim().is_empty())
    }

    /// Where the text in `lang` is kept.
    pub fn slot_mut(&mut self, lang: Locale) -> &mut String {
        match lang {
            Locale::Kk => &mut self.kk,
            Locale::Ru => &mut self.ru,
            Locale::En => &mut self.en,
        }
    }

    /// What a reader of `lang` sees: their language, else `default` (the campaign's), else the
    /// first language that has it, else nothing.
    pub fn shown(&self, lang: Locale, default: Locale) -> &str {
        self.get(lang)
            .or_else(|| self.get(default))
            .or_else(|| Locale::ALL.iter().find_map(|&l| self.get(l)))
            .unwrap_or("")
    }

    /// No language has it.
    pub fn is_empty(&self) -> bool {
        Locale::ALL.iter().all(|&l| self.get(l).is_none())
    }

    /// Each language that has it, with its text.
    pub fn present(&self) -> impl Iterator<Item = (Locale, &str)> {
        Locale::ALL.iter().filter_map(|&l| self.get(l).map(|t| (l, t)))
    }
}

/// As the API shows it: every language a key, `null` where it is missing.
impl serde::Serialize for Texts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(Locale::ALL.len()))?;
        for &lang in Locale::ALL {
            map.serialize_entry(lang.as_str(), &self.get(lang))?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_sees_their_language_else_the_campaigns_else_any() {
        let texts = Texts { kk: String::new(), ru: "Наставники".into(), en: "Mentors".into() };
        assert_eq!(texts.shown(Locale::En, Locale::Ru), "Mentors");
        assert_eq!(texts.shown(Locale::Kk, Locale::Ru), "Наставники");
        assert_eq!(Texts::one(Locale::En, "Only").shown(Locale::Kk, Locale::Ru), "Only");
        assert_eq!(Texts { kk: "  ".into(), ..Texts::default() }.shown(Locale::Kk, Locale::Kk), "");
        assert!(Texts { kk: " ".into(), ..Texts::default() }.is_empty());
    }

    #[test]
    fn an_unknown_language_key_is_refused_by_name() {
        let (texts, errors) = Texts::from_map("titles", [("kk", "Тәлімгерлер"), ("kz", "x")]);
        assert_eq!(errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["titles.kz"]);
        assert_eq!(texts.get(Locale::Kk), Some("Тәлімгерлер"), "the known keys are read all the same");
        let (ok, errors) = Texts::from_map("titles", [("en", " Mentors ")]);
        assert!(errors.is_empty());
        assert_eq!(ok.get(Locale::En), Some("Mentors"));
        assert_eq!(
            serde_json::to_value(&ok).expect("json"),
            serde_json::json!({"kk": null, "ru": null, "en": "Mentors"})
        );
    }
}

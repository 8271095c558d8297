//! The site's languages: Kazakh, Russian and English. Every interface string is in one Project
//! Fluent catalogue per language (crates/api/locales/*.ftl), compiled into the binary; Fluent
//! gives each language its own plural rules (Russian has three forms, Kazakh and English two).
//!
//! Which language a visitor sees: `?lang=`, then the `lang` cookie (set when `?lang=` chose),
//! then the browser's Accept-Language, then the campaign's own locale.

use std::sync::LazyLock;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::HttpRequest;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use donations::campaign::Locale;

/// A language of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Қазақша.
    Kk,
    /// Русский.
    Ru,
    /// English.
    En,
}

/// The cookie that remembers a chosen language.
pub const COOKIE: &str = "lang";

impl Lang {
    /// In the order the language switch shows them.
    pub const ALL: [Lang; 3] = [Lang::Kk, Lang::Ru, Lang::En];

    /// The BCP 47 code, as in `<html lang>` and `?lang=`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// A code (`kk`, `ru-RU`, `EN`) to a language of the site, if it is one.
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "kk" => Some(Lang::Kk),
            "ru" => Some(Lang::Ru),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language a campaign's locale names.
    pub fn of(locale: Locale) -> Lang {
        match locale {
            Locale::Kk => Lang::Kk,
            Locale::Ru => Lang::Ru,
            Locale::En => Lang::En,
        }
    }

    /// The campaign locale of this language (for the provider's page and the mails).
    pub fn locale(self) -> Locale {
        match self {
            Lang::Kk => Locale::Kk,
            Lang::Ru => Locale::Ru,
            Lang::En => Locale::En,
        }
    }

    /// The best of an Accept-Language header's languages that the site has: by quality, then
    /// by order; `q=0` means "not this one".
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut offered: Vec<(u16, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(position, item)| {
                let mut parts = item.split(';');
                let lang = Lang::parse(parts.next()?)?;
                let quality = parts.filter_map(|p| p.trim().strip_prefix("q=")).next().map_or(Some(1000), |q| {
                    q.trim().parse::<f32>().ok().map(|q| (q.clamp(0.0, 1.0) * 1000.0) as u16)
                })?;
                (quality > 0).then_some((quality, position, lang))
            })
            .collect();
        offered.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        offered.first().map(|(_, _, lang)| *lang)
    }

    /// The visitor's language (see the module's doc); `fallback` is the campaign's locale.
    pub fn negotiate(req: &HttpRequest, fallback: Lang) -> Lang {
        Lang::asked(req).unwrap_or(fallback)
    }

    /// The language the visitor asked for, if any: `?lang=`, then the `lang` cookie, then
    /// Accept-Language.
    pub fn asked(req: &HttpRequest) -> Option<Lang> {
        chosen(req).or_else(|| req.cookie(COOKIE).and_then(|c| Lang::parse(c.value()))).or_else(|| {
            req.headers().get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::from_accept_language)
        })
    }

    /// The language an API reader asked for, if any: `?lang=`, then Accept-Language. No cookie:
    /// the API's answers vary by what a shared cache can see (`Vary: Accept-Language`).
    pub fn asked_by_api(req: &HttpRequest) -> Option<Lang> {
        let query = req.query_string().split('&').filter_map(|pair| pair.strip_prefix("lang=")).find_map(Lang::parse);
        query.or_else(|| {
            req.headers().get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::from_accept_language)
        })
    }

    /// The cookie that keeps this language for the visitor's next pages.
    pub fn cookie(self) -> Cookie<'static> {
        Cookie::build(COOKIE, self.code())
            .path("/")
            .max_age(actix_web::cookie::time::Duration::days(365))
            .same_site(SameSite::Lax)
            .http_only(true)
            .finish()
    }
}

/// The language `?lang=` asks for, if it is one of the site's and not the one the `lang` cookie
/// remembers already: the language to remember.
pub fn chosen(req: &HttpRequest) -> Option<Lang> {
    let chosen = req.query_string().split('&').filter_map(|pair| pair.strip_prefix("lang=")).find_map(Lang::parse)?;
    // Remembered already: no cookie again (a response that sets one is one a CDN will not keep).
    let remembered = req.cookie(COOKIE).and_then(|c| Lang::parse(c.value()));
    (remembered != Some(chosen)).then_some(chosen)
}

struct Catalogue {
    lang: Lang,
    bundle: FluentBundle<FluentResource>,
}

fn catalogue(lang: Lang, source: &'static str) -> Catalogue {
    // Start-up: a catalogue that does not parse is a build mistake the unit tests catch.
    let resource = FluentResource::try_new(source.to_string())
        .unwrap_or_else(|(_, errors)| panic!("locales/{}.ftl: {errors:?}", lang.code()));
    let id = lang.code().parse().unwrap_or_else(|e| panic!("{}: {e}", lang.code()));
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around arguments: they would end up inside attribute values
    // and copied text.
    bundle.set_use_isolating(false);
    bundle.add_resource(resource).unwrap_or_else(|errors| panic!("locales/{}.ftl: {errors:?}", lang.code()));
    Catalogue { lang, bundle }
}

static CATALOGUES: LazyLock<[Catalogue; 3]> = LazyLock::new(|| {
    [
        catalogue(Lang::Kk, include_str!("../locales/kk.ftl")),
        catalogue(Lang::Ru, include_str!("../locales/ru.ftl")),
        catalogue(Lang::En, include_str!("../locales/en.ftl")),
    ]
});

/// The interface strings of one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    /// The language.
    pub lang: Lang,
}

impl Tr {
    /// The strings of `lang`.
    pub fn new(lang: Lang) -> Self {
        Tr { lang }
    }

    /// The message `key`.
    pub fn t(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with its arguments.
    pub fn t_with(&self, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, value.clone());
        }
        self.format(key, Some(&fluent))
    }

    /// A stored value as staff read it, in this language: the message `{kind}-{value}`, e.g.
    /// `pledge-status-paid`, `method-bank_transfer`, `role-admin` (never the stored word itself).
    pub fn name(&self, kind: &str, value: &str) -> String {
        self.t(&format!("{kind}-{value}"))
    }

    /// What a refused field says to a reader of this language: its message id and arguments
    /// where the domain gave them, its English words where it gave none yet.
    pub fn field_error(&self, error: &demeu_db::FieldError) -> String {
        match &error.translated {
            Some((id, args)) => {
                let args: Vec<(&str, FluentValue<'_>)> =
                    args.iter().map(|(name, value)| (*name, FluentValue::from(value.as_str()))).collect();
                self.t_with(id, &args)
            }
            None => error.message.clone(),
        }
    }

    fn format(&self, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        let Some(catalogue) = CATALOGUES.iter().find(|c| c.lang == self.lang) else { return key.to_string() };
        let Some(pattern) = catalogue.bundle.get_message(key).and_then(|m| m.value()) else {
            // A key missing from a catalogue is caught by the unit tests; shown as itself rather
            // than failing a donor's page.
            tracing::warn!(key, lang = self.lang.code(), "missing interface string");
            return key.to_string();
        };
        let mut errors = Vec::new();
        let text = catalogue.bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(key, lang = self.lang.code(), ?errors, "interface string did not format");
        }
        text.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(source: &str) -> Vec<String> {
        source
            .lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_string()))
            .collect()
    }

    #[test]
    fn every_catalogue_has_every_key_and_parses() {
        let en = keys(include_str!("../locales/en.ftl"));
        assert!(en.len() > 50, "{}", en.len());
        for (lang, source) in
            [(Lang::Kk, include_str!("../locales/kk.ftl")), (Lang::Ru, include_str!("../locales/ru.ftl"))]
        {
            let mut theirs = keys(source);
            let mut ours = en.clone();
            theirs.sort();
            ours.sort();
            assert_eq!(theirs, ours, "{lang:?} has the same keys as en");
        }
        for lang in Lang::ALL {
            for key in &en {
                assert_ne!(&Tr::new(lang).t(key), key, "{lang:?}: {key}");
            }
        }
    }

    #[test]
    fn every_stored_value_staff_see_has_a_name_in_every_language() {
        use campaign_news::volunteer::VolunteerStatus;
        use donations::ledger::EntryKind;
        use donations::pledge::{DisplayStatus, PaymentMethod, PledgeState, ProviderKind};
        let kinds: [(&str, &[&str]); 10] = [
            ("campaign-state", donations::campaign::CampaignState::NAMES),
            ("picture-role", campaign_news::pictures::PictureRole::NAMES),
            ("pledge-status", DisplayStatus::NAMES),
            ("pledge-status", PledgeState::NAMES),
            ("method", PaymentMethod::NAMES),
            ("provider", ProviderKind::NAMES),
            ("role", crate::auth::Role::NAMES),
            ("volunteer", VolunteerStatus::NAMES),
            ("entry", EntryKind::NAMES),
            ("post-status", campaign_news::post::PostStatus::NAMES),
        ];
        for lang in Lang::ALL {
            let tr = Tr::new(lang);
            for (kind, values) in kinds {
                for value in values {
                    let name = tr.name(kind, value);
                    assert_ne!(name, format!("{kind}-{value}"), "{} has no name for {kind} {value}", lang.code());
                }
            }
        }
        assert_eq!(Tr::new(Lang::Ru).name("method", "bank_transfer"), "Банковский перевод");
    }

    #[test]
    fn plurals_follow_each_language() {
        let donors = |lang, n: i64| Tr::new(lang).t_with("donors", &[("count", n.into())]);
        assert_eq!(donors(Lang::En, 1), "1 donor");
        assert_eq!(donors(Lang::En, 5), "5 donors");
        assert_eq!(donors(Lang::Ru, 1), "1 жертвователь");
        assert_eq!(donors(Lang::Ru, 3), "3 жертвователя");
        assert_eq!(donors(Lang::Ru, 5), "5 жертвователей");
        assert_eq!(donors(Lang::Ru, 21), "21 жертвователь");
        assert_eq!(donors(Lang::Kk, 5), "5 демеуші");
    }

    #[test]
    fn accept_language_is_read_by_quality_then_order() {
        assert_eq!(Lang::from_accept_language("de-DE, kk;q=0.8, ru;q=0.9"), Some(Lang::Ru));
        assert_eq!(Lang::from_accept_language("kk-KZ,ru;q=0.9,en;q=0.8"), Some(Lang::Kk));
        assert_eq!(Lang::from_accept_language("en-GB;q=0, ru;q=0.1"), Some(Lang::Ru));
        assert_eq!(Lang::from_accept_language("de, fr"), None);
        assert_eq!(Lang::from_accept_language(""), None);
        assert_eq!(Lang::from_accept_language("ru;q=abc"), None);
    }

    proptest::proptest! {
        #[test]
        fn any_header_gives_a_language_or_none(header in ".{0,200}") {
            let _ = Lang::from_accept_language(&header);
        }
    }
}

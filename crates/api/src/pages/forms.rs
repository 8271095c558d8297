//! The campaign page's forms (give, comment, subscribe) posted without a script: each calls
//! the same workflow as its API route; success redirects (303) to the next page, a refusal
//! renders the campaign page again with the values kept and each field's error beside it (422,
//! or the refusal's own status: 429, 502, 503), never JSON.

use std::collections::BTreeMap;

use actix_web::http::header::{LOCATION, RETRY_AFTER};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use campaign_news::comment::NewComment;
use campaign_news::volunteer::{NewVolunteer, VolunteerForm};
use donations::campaign::{CampaignSpec, Preset};
use donations::money::{Currency, Money};
use donations::pledge::PledgeRequest;
use serde::Deserialize;

use super::campaign::{load, render, PageQuery};
use super::layout::Caching;
use crate::i18n::{Lang, Tr};
use actix_web::ResponseError;

use crate::idempotency::{request_hash, Answer};
use crate::problem::ApiError;
use crate::services::{community, pledges, volunteers};
use crate::state::AppState;
use crate::{client_ip, control_chars};

/// Each field's messages.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    /// The messages of `field`.
    pub fn of(&self, field: &str) -> &[String] {
        self.0.get(field).map_or(&[], Vec::as_slice)
    }

    /// Whether `field` has any.
    pub fn has(&self, field: &str) -> bool {
        !self.of(field).is_empty()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every refused field with each of its messages, in the fields' order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().flat_map(|(field, messages)| messages.iter().map(move |m| (field.as_str(), m.as_str())))
    }

    fn add(&mut self, field: &str, message: String) {
        self.0.entry(field.to_string()).or_default().push(message);
    }
}

/// One form's state: what was typed, what was refused, and a refusal not about one field.
#[derive(Debug, Default, Clone)]
pub struct FormState<V> {
    /// The values, kept.
    pub values: V,
    /// By field.
    pub errors: FieldErrors,
    /// A refusal of the whole form (a rate limit, a provider down), in the visitor's language.
    pub problem: Option<String>,
}

/// The donate form's values.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct GiveValues {
    /// The form's Idempotency-Key (filled by the script; empty without it).
    pub key: String,
    /// A preset amount, minor units, as posted.
    #[serde(deserialize_with = "preset")]
    pub preset: Option<i64>,
    /// Another amount, in major units as typed.
    pub amount_other: String,
    /// Name.
    pub donor_name: String,
    /// Email.
    pub email: String,
    /// `on` when checked.
    #[serde(deserialize_with = "checkbox")]
    pub anonymous: bool,
    /// `on` when checked.
    #[serde(deserialize_with = "checkbox")]
    pub hide_amount: bool,
    /// Words for the wall.
    pub message: String,
    /// `on` when checked.
    #[serde(deserialize_with = "checkbox")]
    pub subscribe: bool,
    /// `once` or `month`.
    pub interval: String,
}

fn checkbox<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(!String::deserialize(d)?.is_empty())
}

fn preset<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(String::deserialize(d)?.trim().parse().ok())
}

impl GiveValues {
    /// The form filled with `amount` again: its preset when it is one, else as another amount
    /// in major units (`1234.50`, `1234`).
    pub fn amount_of(amount: Money, presets: &[Preset]) -> Self {
        if presets.iter().any(|p| p.amount == amount) {
            GiveValues { preset: Some(amount.minor), ..Default::default() }
        } else {
            let text = amount.to_major_decimal();
            let text = text.strip_suffix(".00").map_or_else(|| text.clone(), str::to_string);
            GiveValues { amount_other: text, ..Default::default() }
        }
    }

    /// The preset shown chosen: the one sent, else (nothing typed either) the campaign's
    /// [`chosen_preset`](donations::campaign::CampaignSpec::chosen_preset).
    pub fn chosen(&self, spec: &CampaignSpec) -> Option<Money> {
        match self.preset {
            Some(minor) => Some(Money::new(minor, spec.currency)),
            None if self.amount_other.trim().is_empty() => spec.chosen_preset().map(|p| p.amount),
            None => None,
        }
    }

    /// The amount the give button says: another amount when it reads as one, else the chosen
    /// preset; none when what is typed is not an amount.
    pub fn shown_amount(&self, spec: &CampaignSpec) -> Option<Money> {
        let with_chosen = GiveValues { preset: self.chosen(spec).map(|m| m.minor), ..self.clone() };
        with_chosen.amount(spec.currency).ok().map(|minor| Money::new(minor, spec.currency))
    }

    /// The amount in minor units: another amount when typed (spaces and a decimal comma
    /// allowed), else the preset; the catalogue key of the refusal otherwise.
    fn amount(&self, currency: Currency) -> Result<i64, &'static str> {
        match typed_amount(&self.amount_other, currency) {
            Err("amount-needed") => self.preset.ok_or("amount-needed"),
            typed => typed,
        }
    }

    fn optional(text: &str) -> Option<String> {
        let trimmed = text.trim();
        (!trimmed.is_empty()).then(|| trimmed.to_string())
    }
}

/// An amount as a donor types it, in major units (`5 000`, `5000,50`, `5000 ₸`), in minor
/// units; the catalogue key of the refusal otherwise (`amount-needed` when nothing is typed).
pub fn typed_amount(text: &str, currency: Currency) -> Result<i64, &'static str> {
    let typed: String = text.chars().filter(|c| !c.is_whitespace() && *c != '₸').collect();
    if typed.is_empty() {
        return Err("amount-needed");
    }
    Money::from_major_decimal(&typed.replace(',', "."), currency).map(|m| m.minor).map_err(|_| "amount-unreadable")
}

/// The comment form's values.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct CommentValues {
    /// Name.
    pub name: String,
    /// Text.
    pub body: String,
}

/// The subscribe form's values.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct SubscribeValues {
    /// Address.
    pub email: String,
}

/// The volunteer form's values.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct VolunteerValues {
    /// Name.
    pub name: String,
    /// City.
    pub city: String,
    /// Phone or email.
    pub contact: String,
    /// `on` when checked.
    #[serde(deserialize_with = "checkbox")]
    pub age_confirmed: bool,
    /// About.
    pub about: String,
}

/// Every form of the page, and what the page says above them.
#[derive(Debug, Default, Clone)]
pub struct Forms {
    /// Give.
    pub give: FormState<GiveValues>,
    /// Comment.
    pub comment: FormState<CommentValues>,
    /// Subscribe.
    pub subscribe: FormState<SubscribeValues>,
    /// Volunteer.
    pub volunteer: FormState<VolunteerValues>,
    /// A catalogue key shown at the top (the console's preview says it is one).
    pub notice: Option<&'static str>,
    /// Which form just went through.
    pub sent: Option<String>,
}

pub(super) fn decode<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, ApiError> {
    serde_urlencoded::from_bytes(body).map_err(|e| ApiError::BadRequest(format!("the form could not be read: {e}")))
}

pub(super) fn see_other(to: String) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, to)).finish()
}

/// What a refusal does to a form: field errors beside their fields, anything else said once.
pub(super) fn refused<V>(form: &mut FormState<V>, tr: &Tr, error: &ApiError) -> StatusCode {
    match error {
        ApiError::Invalid(errors) => {
            for e in errors {
                form.errors.add(&e.field, tr.field_error(e));
            }
        }
        ApiError::RateLimited { .. } => form.problem = Some(tr.t("problem-rate-limited")),
        ApiError::BadGateway(_) => form.problem = Some(tr.t("problem-provider")),
        _ => form.problem = Some(tr.t("problem-unavailable")),
    }
    error.status_code()
}

/// Renders the campaign page with `forms` at `status` (a refusal); errors that are not a
/// refusal of the form (an unknown campaign, the database away) stay errors.
async fn again(
    state: &AppState,
    req: &HttpRequest,
    slug: String,
    forms: Forms,
    status: StatusCode,
    retry_after: Option<u64>,
) -> Result<HttpResponse, ApiError> {
    let loaded = load(state, slug, &PageQuery::default()).await?;
    let mut answer = render(state, req, &loaded, &forms, status, Caching::Private);
    if let Some(seconds) = retry_after {
        if let Ok(value) = seconds.to_string().parse() {
            answer.headers_mut().insert(RETRY_AFTER, value);
        }
    }
    Ok(answer)
}

pub(super) fn retry_after(error: &ApiError) -> Option<u64> {
    match error {
        ApiError::RateLimited { retry_after } => Some(*retry_after),
        _ => None,
    }
}

/// Whether `error` is a refusal the form shows (rather than an error page).
pub(super) fn shown_on_form(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::Invalid(_) | ApiError::RateLimited { .. } | ApiError::BadGateway(_) | ApiError::Unavailable(_)
    )
}

fn lang_of(req: &HttpRequest) -> Lang {
    Lang::negotiate(req, Lang::Ru)
}

/// `POST /campaigns/{slug}/give`: makes the pledge, then sends the donor to pay.
pub async fn give(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let values: GiveValues = decode(&body)?;
    let tr = Tr::new(lang_of(&req));
    let mut forms = Forms::default();
    // An unknown campaign's amount is read as tenge: the pledge is refused as not found anyway.
    let facts = state.snapshots.facts(&state.pool, &slug).await?;
    let currency = facts.map_or(Currency::Kzt, |f| f.currency);
    let amount = match (values.amount(currency), control_chars::check_form(&body)) {
        (Ok(amount), Ok(())) => amount,
        (amount, text) => {
            if let Err(key) = amount {
                forms.give.errors.add("amount", tr.t(key));
            }
            if let Err(refused) = text {
                forms.give.errors.add(&refused.field, tr.field_error(&refused));
            }
            forms.give.values = values;
            return again(&state, &req, slug, forms, StatusCode::UNPROCESSABLE_ENTITY, None).await;
        }
    };
    let request = PledgeRequest {
        amount,
        donor_name: GiveValues::optional(&values.donor_name),
        email: GiveValues::optional(&values.email),
        anonymous: values.anonymous,
        hide_amount: values.hide_amount,
        message: GiveValues::optional(&values.message),
        subscribe: values.subscribe,
        interval: GiveValues::optional(&values.interval),
    };
    // The same key with the same values replays the first answer: a double click pays once.
    let fingerprint = format!(
        "{amount}\n{:?}\n{:?}\n{}\n{}\n{:?}\n{}\n{:?}",
        request.donor_name,
        request.email,
        request.anonymous,
        request.hide_amount,
        request.message,
        request.subscribe,
        request.interval
    );
    let key = Some(values.key.trim().to_string()).filter(|k| crate::idempotency::check_key(k).is_ok());
    let client = client_ip::of(&req);
    let lang = Some(tr.lang.locale());
    let made = pledges::pledge(&state, client, slug.clone(), request, lang, key, request_hash(fingerprint.as_bytes()))
        .await
        .map_err(ApiError::from);
    let id = match made {
        Ok(Answer::Fresh(created)) => created.id.to_string(),
        Ok(Answer::Replay { status: 201, body }) => serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_string))
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a stored pledge answer without an id")))?,
        Ok(Answer::Replay { status, .. }) => {
            let error = ApiError::Conflict(format!("the first request with this key was answered {status}"));
            forms.give.problem = Some(tr.t("problem-unavailable"));
            forms.give.values = values;
            return again(&state, &req, slug, forms, error.status_code(), None).await;
        }
        Err(error) if shown_on_form(&error) => {
            let status = refused(&mut forms.give, &tr, &error);
            forms.give.values = values;
            return again(&state, &req, slug, forms, status, retry_after(&error)).await;
        }
        Err(error) => return Err(error),
    };
    Ok(see_other(format!("/campaigns/{slug}/pay?pledge={id}&lang={}", tr.lang.code())))
}

/// `POST /campaigns/{slug}/comments`.
pub async fn comment(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let values: CommentValues = decode(&body)?;
    let new = NewComment { name: values.name.clone(), body: values.body.clone() };
    let outcome = match control_chars::check_form(&body) {
        Ok(()) => {
            community::comment(&state, client_ip::of(&req), slug.clone(), new).await.map(|_| ()).map_err(ApiError::from)
        }
        Err(refused) => Err(refused.into()),
    };
    settle(&state, &req, slug, outcome, ("comment", "comments"), values, |forms| &mut forms.comment).await
}

/// `POST /campaigns/{slug}/subscribe`.
pub async fn subscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let values: SubscribeValues = decode(&body)?;
    let outcome = match control_chars::check_form(&body) {
        Ok(()) => community::subscribe(
            &state,
            client_ip::of(&req),
            slug.clone(),
            values.email.clone(),
            Some(lang_of(&req).locale()),
        )
        .await
        .map_err(ApiError::from),
        Err(refused) => Err(refused.into()),
    };
    settle(&state, &req, slug, outcome, ("subscribe", "subscribe"), values, |forms| &mut forms.subscribe).await
}

/// `POST /campaigns/{slug}/volunteer`: an application to join the mentors' team.
pub async fn volunteer(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let values: VolunteerValues = decode(&body)?;
    let form = VolunteerForm {
        name: values.name.clone(),
        city: values.city.clone(),
        contact: values.contact.clone(),
        age_confirmed: values.age_confirmed,
        about: Some(values.about.clone()),
        locale: Some(lang_of(&req).code().to_string()),
    };
    let applied = match NewVolunteer::parse(&form) {
        Ok(new) => volunteers::apply(&state, client_ip::of(&req), slug.clone(), new).await.map_err(ApiError::from),
        Err(refused) => Err(refused.into()),
    };
    settle(&state, &req, slug, applied, ("volunteer", "volunteer"), values, |forms| &mut forms.volunteer).await
}

/// A form's outcome answered: to its section of the page, saying it went through (303); or
/// the page again with the refusal beside the form and its values kept.
async fn settle<V>(
    state: &AppState,
    req: &HttpRequest,
    slug: String,
    outcome: Result<(), ApiError>,
    (form, anchor): (&str, &str),
    values: V,
    pick: fn(&mut Forms) -> &mut FormState<V>,
) -> Result<HttpResponse, ApiError> {
    match outcome {
        Ok(()) => Ok(see_other(sent(req, &slug, form, anchor))),
        Err(error) if shown_on_form(&error) => {
            let mut forms = Forms::default();
            let state_of_form = pick(&mut forms);
            let status = refused(state_of_form, &Tr::new(lang_of(req)), &error);
            state_of_form.values = values;
            again(state, req, slug, forms, status, retry_after(&error)).await
        }
        Err(error) => Err(error),
    }
}

/// Where a form that went through sends the visitor: back to its section, saying so.
fn sent(req: &HttpRequest, slug: &str, form: &str, anchor: &str) -> String {
    format!("/campaigns/{slug}?sent={form}&lang={}#{anchor}", lang_of(req).code())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(text: &str) -> GiveValues {
        GiveValues { amount_other: text.into(), ..Default::default() }
    }

    #[test]
    fn another_amount_wins_over_a_preset_and_is_read_exactly() {
        let mut v = typed("5 000,50 ₸");
        v.preset = Some(200_000);
        assert_eq!(v.amount(Currency::Kzt), Ok(500_050));
        assert_eq!(typed("25000").amount(Currency::Kzt), Ok(2_500_000));
        assert_eq!(typed("1e5").amount(Currency::Kzt), Err("amount-unreadable"));
        assert_eq!(typed("-5").amount(Currency::Kzt), Err("amount-unreadable"));
        assert_eq!(GiveValues { preset: Some(500_000), ..Default::default() }.amount(Currency::Kzt), Ok(500_000));
        assert_eq!(GiveValues::default().amount(Currency::Kzt), Err("amount-needed"));
    }

    #[test]
    fn a_returning_amount_fills_its_preset_or_the_other_field() {
        let kzt = |minor| Money::new(minor, Currency::Kzt);
        let presets = [Preset { amount: kzt(500_000), labels: Default::default(), is_default: false }];
        assert_eq!(GiveValues::amount_of(kzt(500_000), &presets).preset, Some(500_000));
        assert_eq!(GiveValues::amount_of(kzt(123_450), &presets).amount_other, "1234.50");
        assert_eq!(GiveValues::amount_of(kzt(123_400), &[]).amount_other, "1234");
    }

    #[test]
    fn checkboxes_and_presets_read_what_browsers_send() {
        let v: GiveValues = serde_urlencoded::from_str("preset=500000&anonymous=on&amount_other=").expect("form");
        assert_eq!((v.preset, v.anonymous, v.hide_amount), (Some(500_000), true, false));
        let v: GiveValues = serde_urlencoded::from_str("preset=x").expect("form");
        assert_eq!(v.preset, None);
    }
}

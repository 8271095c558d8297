//! The foundation in the console (an admin's): its names, legal details, contacts, bank
//! details, public offer and privacy policy, and its logo. The same workflow as
//! `PATCH /api/v1/staff/foundation`.

use std::collections::BTreeMap;

use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use campaign_news::foundation::{Identity, IdentityPatch};
use campaign_news::pictures::Picture;
use demeu_db::locale::Locale;
use maud::{html, Markup};

use super::campaigns::Fields;
use super::{page, Console, ConsoleForm, Signed};
use crate::problem::ApiError;
use crate::routes::access::Admin;
use crate::services::{foundation, uploads};
use crate::state::AppState;

/// The console's routes for the foundation.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/staff/foundation").route(web::get().to(show)).route(web::post().to(save)))
        .service(web::resource("/staff/foundation/logo").route(web::post().to(logo)));
}

const LINES: [(&str, &str); 7] = [
    ("legal_form", "cf-legal-form"),
    ("registration_number", "cf-registration-number"),
    ("address", "cf-address"),
    ("phone", "cf-phone"),
    ("email", "cf-email"),
    ("website", "cf-website"),
    ("bank_details", "cf-bank-details"),
];

fn fields_of(identity: &Identity) -> Fields {
    let mut f = Fields::new();
    for lang in Locale::ALL {
        let l = lang.as_str();
        f.insert(format!("name_{l}"), identity.names.get(*lang).unwrap_or("").into());
        f.insert(format!("offer_{l}"), identity.offer.get(*lang).unwrap_or("").into());
        f.insert(format!("privacy_{l}"), identity.privacy.get(*lang).unwrap_or("").into());
    }
    for (name, value) in [
        ("legal_form", &identity.legal_form),
        ("registration_number", &identity.registration_number),
        ("address", &identity.address),
        ("phone", &identity.phone),
        ("email", &identity.email),
        ("website", &identity.website),
        ("bank_details", &identity.bank_details),
    ] {
        f.insert(name.into(), value.clone());
    }
    f
}

fn per_language(fields: &Fields, prefix: &str) -> BTreeMap<String, String> {
    Locale::ALL
        .iter()
        .map(|l| (l.as_str().to_string(), fields.get(&format!("{prefix}{}", l.as_str())).cloned().unwrap_or_default()))
        .collect()
}

fn view(signed: &Signed, values: &Fields, logo: Option<&Picture>, refused: &[demeu_db::FieldError]) -> Markup {
    let tr = signed.tr;
    let get = |name: &str| values.get(name).map_or("", String::as_str).to_string();
    html! {
        (super::refused_fields(tr, refused))
        form method="post" action="/staff/foundation" {
            input type="hidden" name="csrf" value=(signed.csrf);
            @for lang in Locale::ALL {
                @let l = lang.as_str();
                div.field {
                    label for={ "name_" (l) } { (tr.t("cf-names")) " (" (l) ")" }
                    input id={ "name_" (l) } type="text" name={ "name_" (l) } value=(get(&format!("name_{l}")));
                }
            }
            @for (name, key) in LINES {
                div.field {
                    label for=(name) { (tr.t(key)) }
                    @if name == "bank_details" {
                        textarea id=(name) name=(name) rows="4" { (get(name)) }
                    } @else {
                        input id=(name) type="text" name=(name) value=(get(name));
                    }
                }
            }
            @for (prefix, key) in [("offer_", "cf-offer"), ("privacy_", "cf-privacy")] {
                @for lang in Locale::ALL {
                    @let l = lang.as_str();
                    div.field {
                        label for={ (prefix) (l) } { (tr.t(key)) " (" (l) ")" }
                        textarea id={ (prefix) (l) } name={ (prefix) (l) } rows="6" { (get(&format!("{prefix}{l}"))) }
                    }
                }
            }
            button type="submit" { (tr.t("console-save")) }
        }
        section.card aria-labelledby="logo-heading" {
            h2 #logo-heading { (tr.t("cf-logo")) }
            @if let Some(logo) = logo {
                (crate::pages::pictures::picture(logo, logo.alt(tr.lang.locale(), campaign_news::foundation::LANGUAGE), "12rem", false))
                form method="post" action={ "/staff/pictures/" (logo.id) } {
                    input type="hidden" name="csrf" value=(signed.csrf);
                    button.secondary type="submit" name="action" value="remove" { (tr.t("cc-remove")) }
                }
            }
            (super::campaigns::upload_form(signed, "/staff/foundation/logo", &[]))
        }
    }
}

async fn foundation_page(
    state: &AppState,
    signed: &Signed,
    typed: Option<&Fields>,
    refused: &[demeu_db::FieldError],
) -> Result<HttpResponse, ApiError> {
    let (identity, logo) = foundation::current(state).await?;
    let values = typed.cloned().unwrap_or_else(|| fields_of(&identity));
    let tr = signed.tr;
    let status = if refused.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(page(Some(signed), tr, &tr.t("cf-foundation"), status, view(signed, &values, logo.as_ref(), refused)))
}

/// `GET /staff/foundation`.
pub async fn show(Console(signed, ..): Console<Admin>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    foundation_page(&state, &signed, None, &[]).await
}

/// `POST /staff/foundation`: saves every detail.
pub async fn save(
    ConsoleForm(signed, fields, ..): ConsoleForm<Admin, Fields>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let line = |name: &str| fields.get(name).cloned();
    let patch = IdentityPatch {
        names: Some(per_language(&fields, "name_")),
        legal_form: line("legal_form"),
        registration_number: line("registration_number"),
        address: line("address"),
        phone: line("phone"),
        email: line("email"),
        website: line("website"),
        bank_details: line("bank_details"),
        offer: Some(per_language(&fields, "offer_")),
        privacy: Some(per_language(&fields, "privacy_")),
    };
    match foundation::update(&state, patch, &signed.user).await.map_err(ApiError::from) {
        Ok(_) => Ok(HttpResponse::SeeOther().insert_header((LOCATION, "/staff/foundation")).finish()),
        Err(ApiError::Invalid(refused)) => foundation_page(&state, &signed, Some(&fields), &refused).await,
        Err(other) => Err(other),
    }
}

/// `POST /staff/foundation/logo`: the logo uploaded from the console (its CSRF token a part of
/// the multipart form).
pub async fn logo(
    Console(signed, ..): Console<Admin>,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let limit = state.settings.limits.picture_upload_bytes;
    let form = match crate::routes::pictures::read_form(&req, payload, limit, Some(&signed.csrf)).await {
        Ok(form) => form,
        Err(ApiError::Invalid(refused)) => return foundation_page(&state, &signed, None, &refused).await,
        Err(other) => return Err(other),
    };
    let mut upload = form;
    upload.role = "logo".into();
    match uploads::add(&state, uploads::Target::Foundation, upload, &signed.user).await.map_err(ApiError::from) {
        Ok(_) => Ok(HttpResponse::SeeOther().insert_header((LOCATION, "/staff/foundation#logo-heading")).finish()),
        Err(ApiError::Invalid(refused)) => foundation_page(&state, &signed, None, &refused).await,
        Err(other) => Err(other),
    }
}

//! The foundation's identity: public as donors see it, and edited by admins; its logo uploaded
//! by editors.

use actix_web::{web, HttpRequest, HttpResponse};
use campaign_news::foundation::{Identity, IdentityPatch};
use demeu_db::locale::Texts;
use serde::Serialize;

use crate::extract::JsonBody;
use crate::i18n::Lang;
use crate::problem::ApiError;
use crate::routes::access::{Admin, Editor};
use crate::routes::pictures::{read_form, variant_views, PictureView, VariantView};
use crate::services::foundation;
use crate::services::uploads::{self, Target};
use crate::state::AppState;

/// The logo as the public API shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LogoView {
    /// What it shows, in the language read.
    pub alt: String,
    /// Its variants.
    pub variants: Vec<VariantView>,
}

/// The foundation as donors see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FoundationView {
    /// Name per language.
    #[schema(value_type = Object)]
    pub names: Texts,
    /// Legal form.
    pub legal_form: String,
    /// БИН.
    pub registration_number: String,
    /// Address.
    pub address: String,
    /// Phone.
    pub phone: String,
    /// Email.
    pub email: String,
    /// Website.
    pub website: String,
    /// For bank transfers.
    pub bank_details: String,
    /// The logo, if there is one.
    pub logo: Option<LogoView>,
}

/// The same, with what only staff edit here: the offer and the privacy policy (Markdown).
#[derive(Serialize, utoipa::ToSchema)]
pub struct StaffFoundationView {
    /// As the public sees it.
    #[serde(flatten)]
    pub public: FoundationView,
    /// Public offer per language.
    #[schema(value_type = Object)]
    pub offer: Texts,
    /// Privacy policy per language.
    #[schema(value_type = Object)]
    pub privacy: Texts,
}

fn public_view(identity: &Identity, logo: Option<&campaign_news::pictures::Picture>, lang: Lang) -> FoundationView {
    FoundationView {
        names: identity.names.clone(),
        legal_form: identity.legal_form.clone(),
        registration_number: identity.registration_number.clone(),
        address: identity.address.clone(),
        phone: identity.phone.clone(),
        email: identity.email.clone(),
        website: identity.website.clone(),
        bank_details: identity.bank_details.clone(),
        logo: logo.map(|l| LogoView {
            alt: l.alt(lang.locale(), campaign_news::foundation::LANGUAGE).to_string(),
            variants: variant_views(l),
        }),
    }
}

/// Who the foundation is: its names, legal details, how to reach it, its bank details, its logo.
#[utoipa::path(get, path = "/api/v1/foundation", operation_id = "show_foundation", tag = "campaigns",
    params(crate::routes::campaigns::LangQuery), responses((status = 200, body = FoundationView)))]
pub async fn show(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let site = state.snapshots.site(&state.pool).await?;
    let lang = Lang::asked_by_api(&req).unwrap_or(Lang::of(campaign_news::foundation::LANGUAGE));
    Ok(HttpResponse::Ok().insert_header((actix_web::http::header::VARY, "Accept-Language")).json(public_view(
        &site.identity,
        site.logo.as_ref(),
        lang,
    )))
}

async fn staff_answer(state: &AppState) -> Result<HttpResponse, ApiError> {
    let (identity, logo) = foundation::current(state).await?;
    let view = StaffFoundationView {
        public: public_view(&identity, logo.as_ref(), Lang::of(campaign_news::foundation::LANGUAGE)),
        offer: identity.offer.clone(),
        privacy: identity.privacy.clone(),
    };
    Ok(HttpResponse::Ok().json(view))
}

/// The foundation with its offer and privacy policy, for editing.
#[utoipa::path(get, path = "/api/v1/staff/foundation", operation_id = "show_staff_foundation", tag = "staff",
    security(("bearer" = [])), responses((status = 200, body = StaffFoundationView)))]
pub async fn staff_show(_admin: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    staff_answer(&state).await
}

/// Edits any of the foundation's details; audited (which fields changed).
#[utoipa::path(patch, path = "/api/v1/staff/foundation", operation_id = "edit_foundation", tag = "staff",
    security(("bearer" = [])), request_body = IdentityPatch, responses((status = 200, body = StaffFoundationView)))]
pub async fn edit(
    admin: Admin,
    state: web::Data<AppState>,
    body: JsonBody<IdentityPatch>,
) -> Result<HttpResponse, ApiError> {
    foundation::update(&state, body.0, &admin.0).await?;
    staff_answer(&state).await
}

/// Uploads the foundation's logo (it replaces the one before), as a campaign's picture is
/// uploaded: `file`, `alt_kk`, `alt_ru` (required), `alt_en`.
#[utoipa::path(post, path = "/api/v1/staff/foundation/logo", operation_id = "upload_logo", tag = "staff",
    security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "`file`; `alt_kk`, `alt_ru`, `alt_en`"),
    responses(
        (status = 201, body = PictureView),
        (status = 413, description = "The file is larger than limits.picture_upload_bytes"),
        (status = 415, description = "Not multipart/form-data"),
    ))]
pub async fn logo(
    editor: Editor,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let mut form = read_form(&req, payload, state.settings.limits.picture_upload_bytes, None).await?;
    if form.role.is_empty() {
        form.role = "logo".into();
    }
    let picture = uploads::add(&state, Target::Foundation, form, &editor.0).await?;
    Ok(HttpResponse::Created().json(PictureView::from(picture)))
}

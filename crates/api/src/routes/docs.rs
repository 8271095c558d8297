use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{campaigns, health, news, pledges, staff, staff_news, staff_pledges, staff_webhooks, webhooks};

/// The OpenAPI document, generated from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(title = "Demeu", description = "Donation campaigns: progress, pledges, news. Money is in minor units (tiyn for KZT)."),
    paths(
        health::health, health::ready, health::metrics,
        campaigns::list, campaigns::show, campaigns::reconciliation,
        staff::sign_in, staff::sign_out, staff::list_users, staff::create_user, staff::update_user,
        pledges::create, pledges::show, pledges::wall, webhooks::stripe,
        staff_pledges::list, staff_pledges::csv, staff_pledges::offline, staff_pledges::refund, staff_webhooks::list,
        news::list, news::show, news::atom, news::subscribe, news::confirm, news::unsubscribe, news::comments, news::comment,
        staff_news::create, staff_news::list, staff_news::edit, staff_news::publish, staff_news::unpublish, staff_news::delete,
        staff_news::comments, staff_news::approve, staff_news::reject, staff_news::mail,
    ),
    components(schemas(crate::problem::Problem, crate::problem::ProblemField, crate::auth::Role)),
    modifiers(&BearerAuth),
    tags((name = "campaigns", description = "Public progress"), (name = "pledges", description = "Donors' pledges"), (name = "webhooks", description = "Payment provider deliveries"), (name = "news", description = "News, subscriptions, comments"), (name = "staff", description = "Foundation staff (Bearer token)"), (name = "operations")),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The schema of a stored enum's field: a string, one of the enum's names (so that the document
/// lists exactly the values the code knows, from the one mapping that stores them).
pub fn names<T: demeu_db::stored::StoredEnum>() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(T::NAMES.iter().copied()))
        .build()
}

/// The OpenAPI 3.1 document of every endpoint.
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// A page that renders the OpenAPI document. Self-contained: it loads nothing from elsewhere,
/// so it works on a machine with no internet.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(DOCS_PAGE)
}

const DOCS_PAGE: &str = include_str!("docs.html");

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{health, news, ApiRoutes};

/// The OpenAPI document's frame and the routes outside `/api/v1` (operations, the feed); the
/// API's own operations come from the route table ([`ApiRoutes`]), merged in by [`document`].
#[derive(OpenApi)]
#[openapi(
    info(title = "Demeu", description = "Donation campaigns: progress, pledges, news. Money is in minor units (tiyn for KZT)."),
    paths(health::health, health::ready, health::metrics, news::atom),
    components(schemas(crate::problem::Problem, crate::problem::ProblemField, crate::auth::Role)),
    tags((name = "campaigns", description = "Public progress"), (name = "pledges", description = "Donors' pledges"), (name = "webhooks", description = "Payment provider deliveries"), (name = "news", description = "News, subscriptions, comments"), (name = "volunteers", description = "Join the mentors' team: applications, read by staff only"), (name = "donor", description = "A donor's own page: sign-in by mailed link, gifts, monthly gifts, statements"), (name = "staff", description = "Foundation staff (Bearer token)"), (name = "operations")),
)]
pub struct ApiDoc;

/// The whole document: the frame, the table's operations, then what every operation shares
/// (the bearer scheme, the problem answers), applied once over all of them.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document.merge(ApiRoutes::openapi());
    BearerAuth.modify(&mut document);
    ProblemResponses.modify(&mut document);
    document
}

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

/// The one declaration of the problem answers (RFC 9457) in the document. Every operation gets
/// those that any such operation can give: 401 and 403 when it needs a token, 404 when its path
/// names something, 400/413/422 when it reads a body (and 415 when that body is JSON); 400/422
/// for a query string, 500 and 503 always (the query string of every route is checked before
/// routing, see [`crate::request_target`], whether the operation reads it or not). Answers an
/// operation declares itself (409, 429, 502, with a description of when) get the problem
/// document as their content.
struct ProblemResponses;

impl ProblemResponses {
    fn answer(description: &str) -> utoipa::openapi::Response {
        let problem = utoipa::openapi::Ref::from_schema_name("Problem");
        utoipa::openapi::ResponseBuilder::new()
            .description(description)
            .content("application/problem+json", utoipa::openapi::content::Content::new(Some(problem)))
            .build()
    }

    fn standard(operation: &utoipa::openapi::path::Operation) -> Vec<(&'static str, &'static str)> {
        use utoipa::openapi::path::ParameterIn;
        let params = operation.parameters.as_deref().unwrap_or_default();
        let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
        let mut answers =
            vec![("500", "A bug; logged with the request id"), ("503", "The database is unavailable: retry")];
        if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
            answers.push(("401", "No token, or an expired or revoked one"));
            answers.push(("403", "The staff member's role does not allow this"));
        }
        if has(ParameterIn::Path) {
            answers.push(("404", "Nothing by that name"));
        }
        if let Some(body) = &operation.request_body {
            answers.push(("400", "The body could not be read"));
            answers.push(("413", "The body is too large"));
            // A form body of another type is not refused: it is read as no form.
            if body.content.contains_key("application/json") {
                answers.push(("415", "The body is not JSON"));
            }
            answers.push(("422", "Values that do not pass, each named"));
        }
        // Last, so that a body's descriptions come first where both apply.
        answers.push(("400", "The query string could not be read"));
        answers.push((
            "422",
            "Values that do not pass, each named; a query value over 1024 bytes or with a control character is one",
        ));
        answers
    }
}

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                for (status, description) in Self::standard(operation) {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| Self::answer(description).into());
                }
                for (status, response) in operation.responses.responses.iter_mut() {
                    let is_problem = status.starts_with('4') || status.starts_with('5');
                    if let (true, utoipa::openapi::RefOr::T(response)) = (is_problem, response) {
                        if response.content.is_empty() {
                            *response = Self::answer(&response.description);
                        }
                    }
                }
            }
        }
    }
}

/// The OpenAPI 3.1 document of every endpoint, built and serialized once per process: it is
/// the same for every request, and the code that builds it is compiled unoptimized.
pub async fn openapi_json() -> Result<HttpResponse, crate::problem::ApiError> {
    static DOCUMENT: std::sync::OnceLock<Result<Vec<u8>, String>> = std::sync::OnceLock::new();
    let document = DOCUMENT
        .get_or_init(|| serde_json::to_vec(&document()).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| crate::problem::ApiError::internal(format_args!("the OpenAPI document: {e}")))?;
    Ok(HttpResponse::Ok().content_type("application/json").body(document.as_slice()))
}

/// A page that renders the OpenAPI document. Self-contained: it loads nothing from elsewhere,
/// so it works on a machine with no internet.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(DOCS_PAGE)
}

/// The docs page; its inline script and style are allowed by hash (see
/// [`crate::security_headers`]).
pub(crate) const DOCS_PAGE: &str = include_str!("docs.html");

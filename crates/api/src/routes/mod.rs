//! HTTP handlers, a few lines each: parse, call the domain, map the answer.

pub mod access;
pub mod campaigns;
pub mod docs;
pub mod donor;
pub mod events;
pub mod expenses;
pub mod foundation;
pub mod health;
pub mod ledger;
pub mod news;
pub mod pictures;
pub mod pledges;
pub mod receipts;
pub mod sandbox;
pub mod staff;
pub mod staff_campaigns;
pub mod staff_news;
pub mod staff_pledges;
pub mod staff_subscriptions;
pub mod staff_webhooks;
pub mod volunteers;
pub mod webhooks;

use actix_web::web;

/// The health and metrics routes, and the API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health").route(web::get().to(health::health)))
        .service(web::resource("/ready").route(web::get().to(health::ready)))
        .service(web::resource("/metrics").route(web::get().to(health::metrics)))
        .service(web::resource("/docs").route(web::get().to(docs::page)))
        // The API in one scope: a request for the site or the console passes it on one string
        // comparison of the prefix, where it used to be tried against each API route's pattern
        // (a regular expression) in turn, twice (routing and the request's log span): a
        // quarter of the server's CPU on the campaign page.
        .service(web::scope("/api/v1").configure(api));
}

/// The feed and the sandbox's checkout pages: registered after the campaign site's routes, so
/// that a page request is not tried against their patterns first.
pub fn after_site(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/campaigns/{slug}/news.atom").route(web::get().to(news::atom)))
        .service(
            web::resource("/images/{name}")
                .route(web::get().to(pictures::serve))
                .route(web::head().to(pictures::serve)),
        )
        .service(
            web::resource("/evidence/{name}")
                .route(web::get().to(expenses::serve))
                .route(web::head().to(expenses::serve)),
        )
        .service(web::resource("/sandbox/checkout/{session}").route(web::get().to(sandbox::show)))
        .service(web::resource("/sandbox/checkout/{session}/pay").route(web::post().to(sandbox::pay)))
        .service(web::resource("/sandbox/checkout/{session}/decline").route(web::post().to(sandbox::decline)))
        .service(web::resource("/sandbox/subscriptions/{id}/charge").route(web::post().to(sandbox::charge)));
}

/// Who may call a route of the table from another origin (see [`crate::cors`]).
macro_rules! audience {
    (public) => {
        Some(crate::cors::Audience::Public)
    };
    (staff) => {
        Some(crate::cors::Audience::Staff)
    };
    (nobody) => {
        None
    };
}

/// One route of the API as the table declares it.
#[derive(Debug, Clone, Copy)]
pub struct ApiRoute {
    /// `GET`, `POST`, `PATCH` or `DELETE`.
    pub method: &'static str,
    /// Under `/api/v1`, with `{name}` for a segment the handler reads.
    pub path: &'static str,
    /// Who may call it from another origin.
    pub audience: Option<crate::cors::Audience>,
}

/// Every route of the API, declared once: its path (and its body's limit when not the
/// default), then each method with its handler and who may call it from another origin. From
/// this one list come the actix registration ([`table`]), the OpenAPI document's operations
/// ([`ApiRoutes`], from each handler's own annotation) and the CORS audiences ([`API_ROUTES`],
/// read by `cors::audience`). `tests/api/routes.rs` checks that each handler's annotation
/// documents the path and method the table gives it.
macro_rules! api_routes {
    ($( $path:literal $( limit $limit:expr )? => [ $( $method:ident $module:ident :: $handler:ident $who:ident ),+ $(,)? ] )*) => {
        fn table(cfg: &mut web::ServiceConfig) {
            $(
                cfg.service(
                    web::resource($path)
                        $( .app_data(web::PayloadConfig::new($limit)) )?
                        $( .route(web::method(actix_web::http::Method::$method).to($module::$handler)) )+
                );
            )*
        }

        /// The table, for CORS and the tests.
        pub const API_ROUTES: &[ApiRoute] = &[
            $( $( ApiRoute { method: stringify!($method), path: $path, audience: audience!($who) }, )+ )*
        ];

        /// The operations of the table's handlers, as their annotations document them.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths( $( $( $module::$handler ),+ ),* ))]
        pub struct ApiRoutes;
    };
}

// Stripe's and TipTop Pay's deliveries are small, but an event with expanded objects can pass
// the limit meant for what donors send; the providers' own bounds are far below 1 MiB.
api_routes! {
    "/campaigns" => [GET campaigns::list public]
    "/campaigns/{slug}" => [GET campaigns::show public]
    "/campaigns/{slug}/events" => [GET events::stream public]
    "/campaigns/{slug}/pledges" => [GET pledges::wall public, POST pledges::create public]
    "/pledges/{id}" => [GET pledges::show public]
    "/receipts/{code}" => [GET receipts::check public]
    "/campaigns/{slug}/ledger" => [GET ledger::show public]
    "/campaigns/{slug}/ledger.csv" => [GET ledger::csv public]
    "/campaigns/{slug}/report" => [GET expenses::report public]
    "/campaigns/{slug}/news" => [GET news::list public]
    "/campaigns/{slug}/news/{post}" => [GET news::show public]
    "/campaigns/{slug}/subscriptions" => [POST news::subscribe public]
    // Following a mailed link (GET) shows a page; only its button (POST) acts.
    "/subscriptions/confirm" => [GET news::confirm_page nobody, POST news::confirm nobody]
    "/subscriptions/unsubscribe" => [GET news::unsubscribe_page nobody, POST news::unsubscribe nobody]
    "/campaigns/{slug}/comments" => [GET news::comments public, POST news::comment public]
    "/staff/campaigns/{slug}/news" => [GET staff_news::list staff, POST staff_news::create staff]
    "/staff/news/{id}" => [PATCH staff_news::edit staff, DELETE staff_news::delete staff]
    "/staff/news/{id}/publish" => [POST staff_news::publish staff]
    "/staff/news/{id}/unpublish" => [POST staff_news::unpublish staff]
    "/staff/comments" => [GET staff_news::comments staff]
    "/staff/comments/{id}/approve" => [POST staff_news::approve staff]
    "/staff/comments/{id}/reject" => [POST staff_news::reject staff]
    "/staff/mail" => [GET staff_news::mail staff]
    "/webhooks/stripe" limit 1 << 20 => [POST webhooks::stripe nobody]
    "/webhooks/tiptoppay/{kind}" limit 1 << 20 => [POST webhooks::tiptoppay nobody, GET webhooks::tiptoppay_by_get nobody]
    "/staff/pledges" => [GET staff_pledges::list staff]
    "/staff/webhook-events" => [GET staff_webhooks::list staff]
    "/staff/pledges.csv" => [GET staff_pledges::csv staff]
    "/staff/pledges/{id}/refunds" => [POST staff_pledges::refund staff]
    "/staff/subscriptions" => [GET staff_subscriptions::list staff]
    "/staff/subscriptions/{id}/cancel" => [POST staff_subscriptions::cancel staff]
    "/staff/campaigns/{slug}/offline-pledges" => [POST staff_pledges::offline staff]
    "/staff/campaigns/{slug}/expenses" => [POST expenses::record staff]
    "/staff/expenses/{id}/reverse" => [POST expenses::reverse staff]
    "/staff/sessions" => [POST staff::sign_in staff, DELETE staff::sign_out staff]
    "/staff/users" => [GET staff::list_users staff, POST staff::create_user staff]
    "/staff/users/{id}" => [PATCH staff::update_user staff]
    "/staff/audit" => [GET staff::audit staff]
    "/staff/campaigns/{slug}/reconciliation" => [GET campaigns::reconciliation staff]
    "/staff/campaigns" => [GET staff_campaigns::list staff, POST staff_campaigns::create staff]
    "/staff/campaigns/{slug}" => [GET staff_campaigns::show staff, PATCH staff_campaigns::edit staff]
    "/staff/campaigns/{slug}/open" => [POST staff_campaigns::open staff]
    "/staff/campaigns/{slug}/close" => [POST staff_campaigns::close staff]
    "/staff/campaigns/{slug}/images" => [POST pictures::upload staff]
    "/staff/images/{id}" => [DELETE pictures::remove staff]
    "/donor/sign-in" => [POST donor::sign_in_link nobody]
    "/donor/sessions" => [POST donor::session nobody]
    "/donor/gifts" => [GET donor::gifts nobody]
    "/donor/subscriptions/{id}" => [PATCH donor::change nobody]
    "/donor/subscriptions/{id}/cancel" => [POST donor::cancel nobody]
    "/donor/statements/{year}" => [GET donor::statement nobody]
    "/foundation" => [GET foundation::show public]
    "/staff/foundation" => [GET foundation::staff_show staff, PATCH foundation::edit staff]
    "/staff/foundation/logo" => [POST foundation::logo staff]
    "/campaigns/{slug}/volunteers" => [POST volunteers::apply public]
    "/staff/volunteers" => [GET volunteers::list staff]
    "/staff/volunteers/{id}" => [GET volunteers::show staff, PATCH volunteers::update staff]
}

/// The routes under `/api/v1`: the document itself, then the table.
fn api(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/openapi.json").route(web::get().to(docs::openapi_json))).configure(table);
}

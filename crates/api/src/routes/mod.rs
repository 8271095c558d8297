//! HTTP handlers, a few lines each: parse, call the domain, map the answer.

pub mod campaigns;
pub mod docs;
pub mod health;
pub mod staff;

use actix_web::web;

/// Every route of the application.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health").route(web::get().to(health::health)))
        .service(web::resource("/ready").route(web::get().to(health::ready)))
        .service(web::resource("/metrics").route(web::get().to(health::metrics)))
        .service(web::resource("/docs").route(web::get().to(docs::page)))
        .service(web::resource("/api/v1/openapi.json").route(web::get().to(docs::openapi_json)))
        .service(web::resource("/api/v1/campaigns").route(web::get().to(campaigns::list)))
        .service(web::resource("/api/v1/campaigns/{slug}").route(web::get().to(campaigns::show)))
        .service(
            web::resource("/api/v1/staff/sessions")
                .route(web::post().to(staff::sign_in))
                .route(web::delete().to(staff::sign_out)),
        )
        .service(
            web::resource("/api/v1/staff/users")
                .route(web::get().to(staff::list_users))
                .route(web::post().to(staff::create_user)),
        )
        .service(web::resource("/api/v1/staff/users/{id}").route(web::patch().to(staff::update_user)))
        .service(
            web::resource("/api/v1/staff/campaigns/{slug}/reconciliation")
                .route(web::get().to(campaigns::reconciliation)),
        );
}

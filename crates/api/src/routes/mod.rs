//! HTTP handlers, a few lines each: parse, call the domain, map the answer.

pub mod access;
pub mod campaigns;
pub mod docs;
pub mod events;
pub mod health;
pub mod news;
pub mod pledges;
pub mod sandbox;
pub mod staff;
pub mod staff_news;
pub mod staff_pledges;
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
        .service(web::resource("/sandbox/checkout/{session}").route(web::get().to(sandbox::show)))
        .service(web::resource("/sandbox/checkout/{session}/pay").route(web::post().to(sandbox::pay)))
        .service(web::resource("/sandbox/checkout/{session}/decline").route(web::post().to(sandbox::decline)));
}

/// The routes under `/api/v1`.
fn api(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/openapi.json").route(web::get().to(docs::openapi_json)))
        .service(web::resource("/campaigns").route(web::get().to(campaigns::list)))
        .service(web::resource("/campaigns/{slug}").route(web::get().to(campaigns::show)))
        .service(web::resource("/campaigns/{slug}/events").route(web::get().to(events::stream)))
        .service(
            web::resource("/campaigns/{slug}/pledges")
                .route(web::get().to(pledges::wall))
                .route(web::post().to(pledges::create)),
        )
        .service(web::resource("/pledges/{id}").route(web::get().to(pledges::show)))
        .service(web::resource("/campaigns/{slug}/news").route(web::get().to(news::list)))
        .service(web::resource("/campaigns/{slug}/news/{post}").route(web::get().to(news::show)))
        .service(web::resource("/campaigns/{slug}/subscriptions").route(web::post().to(news::subscribe)))
        // Following a mailed link (GET) shows a page; only its button (POST) acts.
        .service(
            web::resource("/subscriptions/confirm")
                .route(web::get().to(news::confirm_page))
                .route(web::post().to(news::confirm)),
        )
        .service(
            web::resource("/subscriptions/unsubscribe")
                .route(web::get().to(news::unsubscribe_page))
                .route(web::post().to(news::unsubscribe)),
        )
        .service(
            web::resource("/campaigns/{slug}/comments")
                .route(web::get().to(news::comments))
                .route(web::post().to(news::comment)),
        )
        .service(
            web::resource("/staff/campaigns/{slug}/news")
                .route(web::get().to(staff_news::list))
                .route(web::post().to(staff_news::create)),
        )
        .service(
            web::resource("/staff/news/{id}")
                .route(web::patch().to(staff_news::edit))
                .route(web::delete().to(staff_news::delete)),
        )
        .service(web::resource("/staff/news/{id}/publish").route(web::post().to(staff_news::publish)))
        .service(web::resource("/staff/news/{id}/unpublish").route(web::post().to(staff_news::unpublish)))
        .service(web::resource("/staff/comments").route(web::get().to(staff_news::comments)))
        .service(web::resource("/staff/comments/{id}/approve").route(web::post().to(staff_news::approve)))
        .service(web::resource("/staff/comments/{id}/reject").route(web::post().to(staff_news::reject)))
        .service(web::resource("/staff/mail").route(web::get().to(staff_news::mail)))
        .service(
            web::resource("/webhooks/stripe")
                // Stripe's events are small, but one with expanded objects can pass the limit
                // meant for what donors send; Stripe's own bound is far below this.
                .app_data(web::PayloadConfig::new(1 << 20))
                .route(web::post().to(webhooks::stripe)),
        )
        .service(
            web::resource("/webhooks/tiptoppay/{kind}")
                .app_data(web::PayloadConfig::new(1 << 20))
                .route(web::post().to(webhooks::tiptoppay))
                .route(web::get().to(webhooks::tiptoppay_by_get)),
        )
        .service(web::resource("/staff/pledges").route(web::get().to(staff_pledges::list)))
        .service(web::resource("/staff/webhook-events").route(web::get().to(staff_webhooks::list)))
        .service(web::resource("/staff/pledges.csv").route(web::get().to(staff_pledges::csv)))
        .service(web::resource("/staff/pledges/{id}/refunds").route(web::post().to(staff_pledges::refund)))
        .service(web::resource("/staff/campaigns/{slug}/offline-pledges").route(web::post().to(staff_pledges::offline)))
        .service(
            web::resource("/staff/sessions")
                .route(web::post().to(staff::sign_in))
                .route(web::delete().to(staff::sign_out)),
        )
        .service(
            web::resource("/staff/users")
                .route(web::get().to(staff::list_users))
                .route(web::post().to(staff::create_user)),
        )
        .service(web::resource("/staff/users/{id}").route(web::patch().to(staff::update_user)))
        .service(web::resource("/staff/audit").route(web::get().to(staff::audit)))
        .service(
            web::resource("/staff/campaigns/{slug}/reconciliation").route(web::get().to(campaigns::reconciliation)),
        )
        .service(web::resource("/campaigns/{slug}/volunteers").route(web::post().to(volunteers::apply)))
        .service(web::resource("/staff/volunteers").route(web::get().to(volunteers::list)))
        .service(
            web::resource("/staff/volunteers/{id}")
                .route(web::get().to(volunteers::show))
                .route(web::patch().to(volunteers::update)),
        );
}

//! The campaign site Demeu serves itself: server-rendered HTML in Kazakh, Russian and English
//! that works without a script (forms post, links navigate) and is enhanced by one small one
//! (live progress, the thanks page following its pledge). Every page is built from the same
//! workflows and domain calls as the API, so a foundation's own frontend can do the same.

pub mod assets;
pub mod cache;
pub mod campaign;
pub mod checkout;
pub mod compression;
pub mod donor;
pub mod forms;

pub mod layout;
pub mod outcome;
pub mod pictures;
pub mod qr;
pub mod receipts;
pub mod refusal;
pub mod report;

use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use campaign_news::post;
use donations::campaign::Audience;
use maud::html;

use crate::i18n::{chosen, Lang, Tr};
use crate::problem::ApiError;
use crate::state::AppState;
use layout::{document, respond, trusted, Caching, Frame};

/// The site's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // Pages answer HEAD as GET (link checkers, monitors); actix sends no body for it.
    cfg.service(web::resource("/").route(web::get().to(index)).route(web::head().to(index)))
        .service(web::resource("/static/{file}").route(web::get().to(assets::serve)))
        .service(web::resource("/favicon.ico").route(web::get().to(assets::favicon)))
        .service(
            web::resource("/campaigns/{slug}")
                .route(web::get().to(campaign::show))
                .route(web::head().to(campaign::show)),
        )
        .service(web::resource("/campaigns/{slug}/give").route(web::post().to(forms::give)))
        .service(web::resource("/campaigns/{slug}/comments").route(web::post().to(forms::comment)))
        .service(web::resource("/campaigns/{slug}/subscribe").route(web::post().to(forms::subscribe)))
        .service(web::resource("/campaigns/{slug}/volunteer").route(web::post().to(forms::volunteer)))
        .service(web::resource("/campaigns/{slug}/qr.svg").route(web::get().to(qr::serve)))
        .service(web::resource("/campaigns/{slug}/pay").route(web::get().to(checkout::pay)))
        .service(
            web::resource("/campaigns/{slug}/thanks")
                .route(web::get().to(checkout::thanks))
                .route(web::head().to(checkout::thanks)),
        )
        .service(web::resource("/campaigns/{slug}/news/{post}").route(web::get().to(news_post)))
        .service(web::resource("/embed/campaigns/{slug}").route(web::get().to(embed)).route(web::head().to(embed)))
        .service(
            web::resource("/campaigns/{slug}/report")
                .route(web::get().to(report::show))
                .route(web::head().to(report::show)),
        )
        .service(web::resource("/receipts").route(web::get().to(receipts::check)))
        .service(web::resource("/receipts/{code}").route(web::get().to(receipts::check)))
        .service(web::resource("/donor").route(web::get().to(donor::page)))
        .service(web::resource("/donor/link").route(web::post().to(donor::ask_link)))
        .service(web::resource("/donor/session").route(web::post().to(donor::open)))
        .service(web::resource("/donor/sign-out").route(web::post().to(donor::sign_out)))
        .service(web::resource("/donor/statements/{year}").route(web::get().to(donor::statement)))
        .service(web::resource("/donor/gifts/{pledge}").route(web::get().to(donor::receipt)))
        .service(web::resource("/donor/subscriptions/{id}/amount").route(web::post().to(donor::change)))
        .service(web::resource("/donor/subscriptions/{id}/cancel").route(web::post().to(donor::cancel)))
        .service(web::resource("/offer").route(web::get().to(offer)).route(web::head().to(offer)))
        .service(web::resource("/privacy").route(web::get().to(privacy)).route(web::head().to(privacy)));
}

/// `GET /`: the open campaigns (cover, title, progress, days left), the closed ones apart; the
/// only one's page when there is just one.
pub async fn index(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (all, covers) = state
        .pool
        .run(|conn| {
            let all = donations::campaign::list_progress(conn, Audience::Public)?;
            Ok::<_, ApiError>((all, campaign_news::pictures::covers(conn)?))
        })
        .await?;
    let suffix = chosen(&req).map(|l| format!("?lang={}", l.code())).unwrap_or_default();
    if let [only] = all.as_slice() {
        return Ok(HttpResponse::SeeOther()
            .insert_header((LOCATION, format!("/campaigns/{}{suffix}", only.campaign.spec.slug)))
            .finish());
    }
    let tr = Tr::new(Lang::negotiate(&req, Lang::Ru));
    let site = state.snapshots.site(&state.pool).await?;
    let heading = tr.t("campaigns-heading");
    let frame = Frame { site: Some(&site), ..Frame::new(tr, &heading, "/") };
    let now = chrono::Utc::now();
    let (closed, open): (Vec<_>, Vec<_>) =
        all.iter().partition(|p| p.campaign.status_at(now) == donations::campaign::CampaignStatus::Ended);
    let lang = tr.lang.locale();
    let card = |progress: &donations::campaign::Progress, first: bool| {
        let campaign = &progress.campaign;
        let href = format!("/campaigns/{}?lang={}", campaign.spec.slug, tr.lang.code());
        html! {
            article.card {
                @if let Some(cover) = covers.get(&campaign.id) {
                    a href=(href) tabindex="-1" aria-hidden="true" {
                        (pictures::picture(cover, "", "(min-width: 46rem) 44rem, 100vw", first))
                    }
                }
                h2 { a href=(href) { (campaign.title(lang)) } }
                p { (campaign.summary(lang)) }
                (campaign::progress_box(&tr, progress, false, None))
            }
        }
    };
    let main = html! {
        h1 { (tr.t("campaigns-heading")) }
        @if all.is_empty() { p { (tr.t("campaigns-none")) } }
        @for (i, progress) in open.iter().enumerate() { (card(progress, i == 0)) }
        @if !closed.is_empty() {
            section aria-labelledby="closed-heading" {
                h2 #closed-heading { (tr.t("campaigns-closed")) }
                @for progress in &closed { (card(progress, false)) }
            }
        }
    };
    Ok(respond(StatusCode::OK, document(&frame, main), Caching::Public, chosen(&req), None))
}

/// `GET /offer`: the foundation's public offer, in the reader's language (else Russian, else
/// whichever it has).
pub async fn offer(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    foundation_document(&state, &req, "/offer", "footer-offer", |i| &i.offer).await
}

/// `GET /privacy`: the foundation's privacy policy.
pub async fn privacy(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    foundation_document(&state, &req, "/privacy", "footer-privacy", |i| &i.privacy).await
}

async fn foundation_document(
    state: &AppState,
    req: &HttpRequest,
    path: &str,
    title_key: &str,
    text: impl Fn(&campaign_news::foundation::Identity) -> &demeu_db::locale::Texts,
) -> Result<HttpResponse, ApiError> {
    let site = state.snapshots.site(&state.pool).await?;
    let texts = text(&site.identity);
    if texts.is_empty() {
        return Err(ApiError::NotFound("page".into()));
    }
    let tr = Tr::new(Lang::negotiate(req, Lang::Ru));
    let title = tr.t(title_key);
    let frame = Frame { site: Some(&site), ..Frame::new(tr, &title, path) };
    // Sanitized as news is: staff's Markdown, never their HTML.
    let html = campaign_news::markdown::render(texts.shown(tr.lang.locale(), campaign_news::foundation::LANGUAGE));
    let main = html! { article.document { h1 { (title) } (trusted(html)) } };
    Ok(respond(StatusCode::OK, document(&frame, main), Caching::Public, chosen(req), None))
}

/// `GET /campaigns/{slug}/news/{post}`: one published post.
pub async fn news_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (slug, post_slug) = path.into_inner();
    let (progress, post) = state
        .pool
        .run(move |conn| {
            let progress = donations::campaign::progress(conn, &slug)?;
            let post = post::find_published(conn, progress.campaign.id, &post_slug)?;
            Ok::<_, ApiError>((progress, post))
        })
        .await?;
    let campaign = &progress.campaign;
    let tr = Tr::new(Lang::negotiate(&req, Lang::of(campaign.spec.locale)));
    let path = format!("/campaigns/{}/news/{}", campaign.spec.slug, post.slug);
    let url = format!("{}{path}", state.settings.public_url());
    let feed = format!("/campaigns/{}/news.atom", campaign.spec.slug);
    let campaign_title = campaign.title(tr.lang.locale());
    let give = format!("/campaigns/{}?lang={}#give", campaign.spec.slug, tr.lang.code());
    let site = state.snapshots.site(&state.pool).await?;
    let frame = Frame {
        site: Some(&site),
        tr,
        title: &post.title,
        path: &path,
        share: Some(layout::Share { url: &url, description: campaign_title, image: None }),
        feed: Some(&feed),
        refresh_without_script: None,
        redirect: None,
    };
    let main = html! {
        article {
            p { a href={ "/campaigns/" (campaign.spec.slug) } { (campaign_title) } }
            h1 { (post.title) }
            @if let Some(at) = post.published_at { p.when { (crate::format::date(&tr, demeu_db::utc(at))) } }
            // Sanitized when it was saved (campaign_news::markdown).
            (trusted(post.body_html.clone()))
        }
        // A post is not a dead end: the campaign's progress and its Give button.
        (campaign::progress_box(&tr, &progress, false, Some(&give)))
    };
    Ok(respond(StatusCode::OK, document(&frame, main), Caching::Public, chosen(&req), None))
}

/// `GET /embed/campaigns/{slug}`: the progress and a "Give" button, for an iframe on the sites
/// `server.embed_origins` names (and no other: the only page that may be framed).
pub async fn embed(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let progress = state.pool.run(move |conn| donations::campaign::progress(conn, &slug)).await?;
    let tr = Tr::new(Lang::negotiate(&req, Lang::of(progress.campaign.spec.locale)));
    let page = format!("{}/campaigns/{}", state.settings.public_url(), progress.campaign.spec.slug);
    let markup = html! {
        (maud::DOCTYPE)
        html lang=(tr.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (progress.campaign.title(tr.lang.locale())) }
                meta name="description" content=(progress.campaign.summary(tr.lang.locale()));
                link rel="stylesheet" href=(assets::style().path);
                script src=(assets::script().path) defer {}
            }
            body.embed {
                main.embed {
                    p.embed-title { strong { (progress.campaign.title(tr.lang.locale())) } }
                    (campaign::progress_compact(&tr, &progress))
                    @if progress.campaign.status_at(chrono::Utc::now()) == donations::campaign::CampaignStatus::Active {
                        a.button href={ (page) "?lang=" (tr.lang.code()) "#give" } target="_top" { (tr.t("embed-give")) }
                    }
                }
            }
        }
    };
    let origins = &state.settings.server.embed_origins;
    let ancestors = if origins.is_empty() { "'none'".to_string() } else { origins.join(" ") };
    Ok(respond(StatusCode::OK, markup, Caching::Public, chosen(&req), Some(&ancestors)))
}

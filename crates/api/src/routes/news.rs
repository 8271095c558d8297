//! The public side of news: posts, the Atom feed, subscriptions and comments.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, HttpRequest, HttpResponse};
use campaign_news::comment::{self, CommentStatus, NewComment};
use campaign_news::post::{self, Post};
use campaign_news::subscriber::{self, Purpose, SubscriberStatus};
use chrono::{DateTime, Utc};
use demeu_db::utc;
use serde::{Deserialize, Serialize};

use crate::client_ip;
use crate::extract::JsonBody;
use crate::extract::{campaign_page, Paging};
use crate::i18n::{Lang, Tr};
use crate::pages::layout::{document, respond, Caching, Frame};
use crate::problem::ApiError;
use crate::services::community;
use crate::state::AppState;
use actix_web::http::StatusCode;
use maud::html;

/// A published post.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PostView {
    /// URL name.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Sanitized HTML.
    pub html: String,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Last edited.
    pub updated_at: DateTime<Utc>,
}

impl From<Post> for PostView {
    fn from(p: Post) -> Self {
        PostView {
            slug: p.slug,
            title: p.title,
            html: p.body_html,
            published_at: p.published_at.map(utc),
            updated_at: utc(p.updated_at),
        }
    }
}

/// A page of posts.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PostPage {
    /// Newest first.
    pub posts: Vec<PostView>,
    /// Null on the last page.
    pub next_cursor: Option<String>,
}

/// Published posts, newest first.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/news", operation_id = "list_news", tag = "news",
    params(("slug" = String, Path, description = "The campaign"), Paging),
    responses((status = 200, body = PostPage)))]
pub async fn list(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let page = campaign_page(&state, slug.into_inner(), query.into_inner(), |conn, campaign, limit, cursor| {
        post::list_published(conn, campaign.id, limit, cursor).map_err(ApiError::from)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .json(PostPage { posts: page.items.into_iter().map(PostView::from).collect(), next_cursor: page.next_cursor }))
}

/// One published post.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/news/{post}", operation_id = "show_news_post", tag = "news",
    params(("slug" = String, Path, description = "The campaign"), ("post" = String, Path, description = "The post's slug")),
    responses((status = 200, body = PostView)))]
pub async fn show(state: web::Data<AppState>, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let (slug, post_slug) = path.into_inner();
    let post = state
        .pool
        .run(move |conn| {
            let campaign = donations::campaign::find_public(conn, &slug)?;
            post::find_published(conn, campaign.id, &post_slug).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(PostView::from(post)))
}

/// The Atom 1.0 feed of the published posts.
#[utoipa::path(get, path = "/campaigns/{slug}/news.atom", operation_id = "news_feed", tag = "news",
    params(("slug" = String, Path, description = "The campaign")),
    responses((status = 200, content_type = "application/atom+xml")))]
pub async fn atom(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, ApiError> {
    use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
    let slug = slug.into_inner();
    let (campaign, posts) = state
        .pool
        .run(move |conn| {
            let campaign = donations::campaign::find_public(conn, &slug)?;
            let posts = post::list_published(conn, campaign.id, 50, None)?;
            Ok::<_, ApiError>((campaign, posts.items))
        })
        .await?;
    let base = state.settings.public_url().to_string();
    let feed_url = format!("{base}/campaigns/{}/news.atom", campaign.spec.slug);
    let link = |href: String, rel: &str| Link { href, rel: rel.to_string(), ..Default::default() };
    let entries: Vec<Entry> = posts
        .iter()
        .map(|p| {
            let url = format!("{base}/api/v1/campaigns/{}/news/{}", campaign.spec.slug, p.slug);
            Entry {
                id: format!("urn:uuid:{}", p.id),
                title: Text::plain(p.title.clone()),
                updated: utc(p.updated_at).fixed_offset(),
                published: p.published_at.map(|t| utc(t).fixed_offset()),
                links: vec![link(url, "alternate")],
                content: Some(Content {
                    value: Some(p.body_html.clone()),
                    content_type: Some("html".to_string()),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let updated = posts.iter().map(|p| utc(p.updated_at)).max().unwrap_or(campaign.spec.starts_at).fixed_offset();
    let site = state.snapshots.site(&state.pool).await?;
    let feed = Feed {
        id: format!("urn:uuid:{}", campaign.id),
        title: Text::plain(campaign.title(campaign.spec.locale).to_string()),
        updated,
        authors: vec![Person { name: site.identity.name(campaign.spec.locale).to_string(), ..Default::default() }],
        links: vec![link(feed_url, "self")],
        entries,
        ..Default::default()
    };
    Ok(HttpResponse::Ok().content_type("application/atom+xml; charset=utf-8").body(feed.to_string()))
}

/// An address to subscribe.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SubscribeBody {
    /// Where news goes: an addr-spec, up to 254 characters.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

/// Accepted, whatever the address's history.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Accepted {
    /// `accepted`.
    pub status: &'static str,
}

/// Subscribes an address; a confirmation link is mailed. The answer is the same whether or not
/// the address is known.
#[utoipa::path(post, path = "/api/v1/campaigns/{slug}/subscriptions", operation_id = "subscribe", tag = "news",
    params(("slug" = String, Path, description = "The campaign")), request_body = SubscribeBody,
    responses((status = 202, body = Accepted),
              (status = 429, description = "Too many requests: wait for retry-after")))]
pub async fn subscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: JsonBody<SubscribeBody>,
) -> Result<HttpResponse, ApiError> {
    // The language asked for (`?lang=`, the cookie, Accept-Language) is the one their mail speaks.
    let lang = crate::i18n::Lang::asked(&req).map(crate::i18n::Lang::locale);
    community::subscribe(&state, client_ip::of(&req), slug.into_inner(), body.0.email, lang).await?;
    Ok(HttpResponse::Accepted().json(Accepted { status: "accepted" }))
}

/// A token from a mailed link.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct TokenQuery {
    /// As mailed.
    #[param(min_length = 1, max_length = 1024)]
    pub token: String,
}

/// A token posted by a link page's button, or by a mail client's one-click unsubscribe.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct PostedTokenQuery {
    /// As mailed; or in the form body.
    #[param(max_length = 1024)]
    pub token: Option<String>,
}

/// The form a link page's button posts. Other fields (RFC 8058's `List-Unsubscribe=One-Click`)
/// are ignored.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenForm {
    /// As mailed; or in the query.
    pub token: Option<String>,
}

/// A page of the subscription links, in the reader's language (the link carries the mail's,
/// `?lang=`; else the cookie or Accept-Language): `title_key`'s heading, `text_key`'s words and
/// `button`, a form that POSTs `token` to its action, when there is something to press.
fn link_page(req: &HttpRequest, title_key: &str, text_key: &str, button: Option<(&str, &str, &str)>) -> HttpResponse {
    let tr = Tr::new(Lang::negotiate(req, Lang::Ru));
    let title = tr.t(title_key);
    let path = format!("{}?{}", req.path(), req.query_string());
    let main = html! {
        h1 { (title) }
        p { (tr.t(text_key)) }
        @if let Some((action, token, label)) = button {
            form method="post" action={ (action) "?lang=" (tr.lang.code()) } {
                input type="hidden" name="token" value=(token);
                button type="submit" { (tr.t(label)) }
            }
        }
    };
    let state = req.app_data::<web::Data<AppState>>();
    let site = state.and_then(|s| s.snapshots.site_now());
    let frame = Frame { site: site.as_deref(), ..Frame::new(tr, &title, &path) };
    respond(StatusCode::OK, document(&frame, main), Caching::Private, None, None)
}

/// The token of a POST: the form body's (`application/x-www-form-urlencoded`), else the
/// query's. A body of another type (RFC 8058 allows `multipart/form-data`) is not read.
pub struct PostedToken(String);

impl actix_web::FromRequest for PostedToken {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let is_form = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| {
            t.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
        });
        let query = web::Query::<PostedTokenQuery>::from_query(req.query_string())
            .map(|q| q.into_inner().token)
            .map_err(|e| ApiError::BadRequest(e.to_string()));
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await.map_err(|e| ApiError::BadRequest(e.to_string()))?;
            let from_body = if is_form && !body.is_empty() {
                let text =
                    std::str::from_utf8(&body).map_err(|_| ApiError::BadRequest("the form is not UTF-8".into()))?;
                web::Query::<TokenForm>::from_query(text)
                    .map_err(|e| ApiError::BadRequest(format!("the form: {e}")))?
                    .0
                    .token
            } else {
                None
            };
            from_body
                .or(query?)
                .filter(|t| !t.is_empty())
                .map(PostedToken)
                .ok_or_else(|| ApiError::invalid("token", "is required, in the query or the form body"))
        })
    }
}

const CONFIRM: &str = "/api/v1/subscriptions/confirm";
const UNSUBSCRIBE: &str = "/api/v1/subscriptions/unsubscribe";

/// The page of the mailed confirmation link: a button that confirms (by POST). Following the
/// link changes nothing, so a mail scanner that follows it subscribes no one.
#[utoipa::path(get, path = "/api/v1/subscriptions/confirm", operation_id = "confirm_subscription_page",
    tag = "news", params(TokenQuery),
    responses((status = 200, content_type = "text/html", description = "A page with a button that POSTs the token"),
              (status = 404, description = "No such token")))]
pub async fn confirm_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    let token = query.into_inner().token;
    let lookup = token.clone();
    let s = state
        .pool
        .run(move |conn| subscriber::find_by_token(conn, &lookup, Purpose::Confirm).map_err(ApiError::from))
        .await?;
    Ok(match s.status {
        SubscriberStatus::Pending => {
            link_page(&req, "sub-confirm-title", "sub-confirm-text", Some((CONFIRM, &token, "sub-confirm-button")))
        }
        SubscriberStatus::Confirmed => subscribed(&req),
        SubscriberStatus::Unsubscribed => left(&req),
    })
}

fn subscribed(req: &HttpRequest) -> HttpResponse {
    link_page(req, "sub-subscribed-title", "sub-subscribed-text", None)
}

fn left(req: &HttpRequest) -> HttpResponse {
    link_page(req, "sub-left-title", "sub-left-text", None)
}

/// Confirms a subscription: the button of the confirmation link's page.
#[utoipa::path(post, path = "/api/v1/subscriptions/confirm", operation_id = "confirm_subscription",
    tag = "news", params(PostedTokenQuery),
    request_body(content = Option<TokenForm>, content_type = "application/x-www-form-urlencoded",
                 description = "The token, unless it is in the query"),
    responses((status = 200, content_type = "text/html", description = "Confirmed (or had left since)"),
              (status = 404, description = "No such token")))]
pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    PostedToken(token): PostedToken,
) -> Result<HttpResponse, ApiError> {
    let s = state.pool.run(move |conn| subscriber::confirm(conn, &token).map_err(ApiError::from)).await?;
    Ok(if s.status == SubscriberStatus::Confirmed { subscribed(&req) } else { left(&req) })
}

/// The page of a mailed unsubscribe link: a button that unsubscribes (by POST). Following the
/// link changes nothing.
#[utoipa::path(get, path = "/api/v1/subscriptions/unsubscribe", operation_id = "unsubscribe_page",
    tag = "news", params(TokenQuery),
    responses((status = 200, content_type = "text/html", description = "A page with a button that POSTs the token"),
              (status = 404, description = "No such token")))]
pub async fn unsubscribe_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    let token = query.into_inner().token;
    let lookup = token.clone();
    let s = state
        .pool
        .run(move |conn| subscriber::find_by_token(conn, &lookup, Purpose::Unsubscribe).map_err(ApiError::from))
        .await?;
    Ok(if s.status == SubscriberStatus::Unsubscribed {
        left(&req)
    } else {
        link_page(
            &req,
            "sub-unsubscribe-title",
            "sub-unsubscribe-text",
            Some((UNSUBSCRIBE, &token, "sub-unsubscribe-button")),
        )
    })
}

/// Unsubscribes: the button of an unsubscribe link's page, or RFC 8058 one-click (the token in
/// the query, `List-Unsubscribe=One-Click` in the body).
#[utoipa::path(post, path = "/api/v1/subscriptions/unsubscribe", operation_id = "unsubscribe",
    tag = "news", params(PostedTokenQuery),
    request_body(content = Option<TokenForm>, content_type = "application/x-www-form-urlencoded",
                 description = "The token, unless it is in the query; other fields are ignored"),
    responses((status = 200, content_type = "text/html", description = "Unsubscribed"),
              (status = 404, description = "No such token")))]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    PostedToken(token): PostedToken,
) -> Result<HttpResponse, ApiError> {
    state.pool.run(move |conn| subscriber::unsubscribe(conn, &token).map_err(ApiError::from)).await?;
    Ok(left(&req))
}

/// An approved comment.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CommentView {
    /// Id.
    pub id: String,
    /// As given.
    pub name: String,
    /// Plain text.
    pub body: String,
    /// Written.
    pub created_at: DateTime<Utc>,
}

/// A page of comments.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CommentPage {
    /// Oldest first.
    pub comments: Vec<CommentView>,
    /// Null on the last page.
    pub next_cursor: Option<String>,
}

pub(crate) fn comment_view(c: comment::Comment) -> CommentView {
    CommentView { id: c.id.to_string(), name: c.name, body: c.body, created_at: utc(c.created_at) }
}

/// Approved comments, oldest first.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/comments", operation_id = "list_comments", tag = "news",
    params(("slug" = String, Path, description = "The campaign"), Paging),
    responses((status = 200, body = CommentPage)))]
pub async fn comments(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let page = campaign_page(&state, slug.into_inner(), query.into_inner(), |conn, campaign, limit, cursor| {
        comment::list(conn, Some(campaign.id), CommentStatus::Approved, limit, cursor).map_err(ApiError::from)
    })
    .await?;
    Ok(HttpResponse::Ok().json(CommentPage {
        comments: page.items.into_iter().map(comment_view).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A comment waiting for moderation.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CommentAccepted {
    /// Id.
    pub id: String,
    /// `pending`.
    #[schema(schema_with = crate::stored_schema::names::<CommentStatus>)]
    pub status: CommentStatus,
}

/// Leaves a comment; it is shown after staff approve it.
#[utoipa::path(post, path = "/api/v1/campaigns/{slug}/comments", operation_id = "create_comment", tag = "news",
    params(("slug" = String, Path, description = "The campaign")), request_body = campaign_news::comment::NewComment,
    responses((status = 202, body = CommentAccepted),
              (status = 429, description = "Too many requests: wait for retry-after")))]
pub async fn comment(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    body: JsonBody<NewComment>,
) -> Result<HttpResponse, ApiError> {
    let stored = community::comment(&state, client_ip::of(&req), slug.into_inner(), body.0).await?;
    Ok(HttpResponse::Accepted().json(CommentAccepted { id: stored.id.to_string(), status: stored.status }))
}

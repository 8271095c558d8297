//! The editors' routes: news drafts and publication, comment moderation; and the dead mail list.

use actix_web::{web, HttpRequest, HttpResponse};
use campaign_news::comment::{self, CommentStatus};
use campaign_news::post::{self, NewPost, Post, PostEdit, PostStatus};
use chrono::{DateTime, Utc};
use demeu_db::outbox::MailStatus;
use demeu_db::utc;
use serde::{Deserialize, Serialize};

use crate::extract::path_id;
use crate::extract::JsonBody;
use crate::problem::ApiError;
use crate::routes::access::{Admin, Editor};
use crate::routes::news::{comment_view, CommentPage};
use crate::state::AppState;

/// A post as editors see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StaffPost {
    /// Id.
    pub id: String,
    /// URL name.
    pub slug: String,
    /// Title.
    pub title: String,
    /// As written.
    pub body_markdown: String,
    /// Rendered and sanitized.
    pub html: String,
    /// draft or published.
    #[schema(schema_with = crate::stored_schema::names::<PostStatus>)]
    pub status: PostStatus,
    /// Published.
    pub published_at: Option<DateTime<Utc>>,
    /// First published.
    pub first_published_at: Option<DateTime<Utc>>,
    /// Last edited.
    pub updated_at: DateTime<Utc>,
    /// The plan line it reports on (its key).
    pub plan_line: Option<String>,
    /// It says that line is done.
    pub marks_done: bool,
}

fn staff_post(p: Post) -> StaffPost {
    StaffPost {
        id: p.id.to_string(),
        slug: p.slug,
        title: p.title,
        body_markdown: p.body_markdown,
        html: p.body_html,
        status: p.status,
        published_at: p.published_at.map(utc),
        first_published_at: p.first_published_at.map(utc),
        updated_at: utc(p.updated_at),
        plan_line: p.plan_line,
        marks_done: p.marks_done,
    }
}

/// Saves a draft.
#[utoipa::path(post, path = "/api/v1/staff/campaigns/{slug}/news", operation_id = "create_news_post",
    tag = "staff", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The campaign")), request_body = campaign_news::post::NewPost,
    responses((status = 201, body = StaffPost)))]
pub async fn create(
    editor: Editor,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: JsonBody<NewPost>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let actor = editor.0.id;
    let post = state
        .pool
        .run(move |conn| crate::services::news::create(conn, &slug, actor, &body.0).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Created().json(staff_post(post)))
}

/// Every post of a campaign, drafts too.
#[utoipa::path(get, path = "/api/v1/staff/campaigns/{slug}/news", operation_id = "list_staff_news",
    tag = "staff", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The campaign")), responses((status = 200, body = Vec<StaffPost>)))]
pub async fn list(
    _editor: Editor,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let posts = state
        .pool
        .run(move |conn| {
            let campaign = donations::campaign::find_by_slug(conn, &slug)?;
            post::list_all(conn, campaign.id).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(posts.into_iter().map(staff_post).collect::<Vec<_>>()))
}

/// Edits a post (published posts too: readers see the change, subscribers are not mailed).
#[utoipa::path(patch, path = "/api/v1/staff/news/{id}", operation_id = "edit_news_post",
    tag = "staff", security(("bearer" = [])),
    params(("id" = String, Path, description = "The post")), request_body = campaign_news::post::PostEdit,
    responses((status = 200, body = StaffPost)))]
pub async fn edit(
    editor: Editor,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<PostEdit>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&req, "id", "post")?;
    let actor = editor.0.id;
    let post = state
        .pool
        .run(move |conn| crate::services::news::edit(conn, id, actor, &body.0).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(staff_post(post)))
}

/// What publishing did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PublishedView {
    /// The post.
    pub post: StaffPost,
    /// Mails enqueued: one per confirmed subscriber the first time, none after.
    pub mails_queued: usize,
}

/// Publishes a post; the first publication mails every confirmed subscriber once.
#[utoipa::path(post, path = "/api/v1/staff/news/{id}/publish", operation_id = "publish_news_post",
    tag = "staff", security(("bearer" = [])),
    params(("id" = String, Path, description = "The post")),
    responses((status = 200, body = PublishedView)))]
pub async fn publish(editor: Editor, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let id = path_id(&req, "id", "post")?;
    let (post, mails_queued) = crate::services::news::publish(&state, id, editor.0.id).await?;
    Ok(HttpResponse::Ok().json(PublishedView { post: staff_post(post), mails_queued }))
}

/// Withdraws a published post.
#[utoipa::path(post, path = "/api/v1/staff/news/{id}/unpublish", operation_id = "unpublish_news_post",
    tag = "staff", security(("bearer" = [])),
    params(("id" = String, Path, description = "The post")), responses((status = 200, body = StaffPost)))]
pub async fn unpublish(editor: Editor, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let id = path_id(&req, "id", "post")?;
    let actor = editor.0.id;
    let post = state.pool.run(move |conn| post::unpublish(conn, id, actor).map_err(ApiError::from)).await?;
    Ok(HttpResponse::Ok().json(staff_post(post)))
}

/// Deletes a draft that was never published.
#[utoipa::path(delete, path = "/api/v1/staff/news/{id}", operation_id = "delete_news_post",
    tag = "staff", security(("bearer" = [])),
    params(("id" = String, Path, description = "The post")),
    responses((status = 204), (status = 409, description = "Conflicts with the current state")))]
pub async fn delete(editor: Editor, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let id = path_id(&req, "id", "post")?;
    let actor = editor.0.id;
    state.pool.run(move |conn| post::delete_draft(conn, id, actor).map_err(ApiError::from)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Moderation filters.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ModerationQuery {
    /// `pending` when absent.
    #[param(schema_with = crate::stored_schema::names::<CommentStatus>)]
    pub status: Option<String>,
    /// 1 to 100; 20 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// From the page before.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// Comments waiting for (or past) moderation, oldest first.
#[utoipa::path(get, path = "/api/v1/staff/comments", operation_id = "list_staff_comments",
    tag = "staff", security(("bearer" = [])), params(ModerationQuery),
    responses((status = 200, body = CommentPage)))]
pub async fn comments(
    _editor: Editor,
    state: web::Data<AppState>,
    query: web::Query<ModerationQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let status = crate::extract::named("status", q.status.as_deref())?.unwrap_or(CommentStatus::Pending);
    let page = state
        .pool
        .run(move |conn| {
            let limit = demeu_db::page::page_limit(q.limit)?;
            comment::list(conn, None, status, limit, q.cursor.as_deref()).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(CommentPage {
        comments: page.items.into_iter().map(comment_view).collect(),
        next_cursor: page.next_cursor,
    }))
}

async fn moderate(
    editor: Editor,
    state: web::Data<AppState>,
    req: HttpRequest,
    approve: bool,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&req, "id", "comment")?;
    let actor = editor.0.id;
    let c = state.pool.run(move |conn| comment::moderate(conn, id, approve, actor).map_err(ApiError::from)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"id": c.id, "status": c.status})))
}

/// Shows a comment.
#[utoipa::path(post, path = "/api/v1/staff/comments/{id}/approve", operation_id = "approve_comment",
    tag = "staff", security(("bearer" = [])),
    params(("id" = String, Path, description = "The comment")), responses((status = 200)))]
pub async fn approve(editor: Editor, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    moderate(editor, state, req, true).await
}

/// Hides a comment for good.
#[utoipa::path(post, path = "/api/v1/staff/comments/{id}/reject", operation_id = "reject_comment",
    tag = "staff", security(("bearer" = [])),
    params(("id" = String, Path, description = "The comment")), responses((status = 200)))]
pub async fn reject(editor: Editor, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    moderate(editor, state, req, false).await
}

/// Mail filter.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct MailQuery {
    /// `dead` when absent.
    #[param(schema_with = crate::stored_schema::names::<MailStatus>)]
    pub status: Option<String>,
}

/// A mail in the outbox.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MailView {
    /// Id.
    pub id: String,
    /// To.
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// receipt, refund, confirmation, news.
    pub kind: String,
    /// pending, sent, dead.
    #[schema(schema_with = crate::stored_schema::names::<MailStatus>)]
    pub status: MailStatus,
    /// Tries so far.
    pub attempts: i32,
    /// Why the last try failed.
    pub last_error: Option<String>,
    /// Enqueued.
    pub created_at: DateTime<Utc>,
    /// Delivered.
    pub sent_at: Option<DateTime<Utc>>,
}

/// The outbox by status: `dead` lists mail that could not be delivered for 48 hours.
#[utoipa::path(get, path = "/api/v1/staff/mail", operation_id = "list_mail",
    tag = "staff", security(("bearer" = [])), params(MailQuery),
    responses((status = 200, body = Vec<MailView>)))]
pub async fn mail(
    _admin: Admin,
    state: web::Data<AppState>,
    query: web::Query<MailQuery>,
) -> Result<HttpResponse, ApiError> {
    let status = crate::extract::named("status", query.into_inner().status.as_deref())?.unwrap_or(MailStatus::Dead);
    let rows = state.pool.run(move |conn| demeu_db::outbox::list(conn, status, 200).map_err(ApiError::from)).await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(|r| MailView {
                id: r.id,
                recipient: r.recipient,
                subject: r.subject,
                kind: r.kind,
                status: r.status,
                attempts: r.attempts,
                last_error: r.last_error,
                created_at: utc(r.created_at),
                sent_at: r.sent_at.map(utc),
            })
            .collect::<Vec<_>>(),
    ))
}

//! The editor's news: the posts of every campaign, a draft written in Markdown with a preview
//! of the sanitized HTML donors will see, then publish (saying how many subscribers it mails),
//! unpublish, or delete while still a draft.

use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};
use campaign_news::ids::PostId;
use campaign_news::post::{self, NewPost, Post, PostEdit, PostStatus};
use maud::{html, Markup};
use serde::Deserialize;

use super::{page, Console, ConsoleForm, Signed};
use crate::format::date;
use crate::pages::layout::trusted;
use crate::problem::ApiError;
use crate::routes::access::Editor;
use crate::state::AppState;

fn back(to: String) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, to)).finish()
}

/// The writing form: for a new post (`post` none, a campaign to choose) or an existing one.
fn editor_form(
    signed: &Signed,
    campaigns: &[(String, String)],
    post: Option<&Post>,
    title: &str,
    body: &str,
) -> Markup {
    let tr = signed.tr;
    let action = post.map_or("/staff/news".to_string(), |p| format!("/staff/news/{}", p.id));
    html! {
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(signed.csrf);
            @if post.is_none() {
                div.field {
                    label for="post-campaign" { (tr.t("pl-campaign")) }
                    select #post-campaign name="campaign" {
                        @for (slug, name) in campaigns { option value=(slug) { (name) } }
                    }
                }
            }
            div.field {
                label for="post-title" { (tr.t("console-title")) }
                input #post-title type="text" name="title" required maxlength="200" value=(title);
            }
            div.field {
                label for="post-body" { (tr.t("console-body")) }
                textarea #post-body name="body_markdown" rows="12" required { (body) }
            }
            button.secondary type="submit" name="action" value="preview" { (tr.t("console-preview")) }
            " "
            button type="submit" name="action" value="save" { (tr.t("console-draft")) }
        }
    }
}

/// `GET /staff/news`: every campaign's posts, and a new one's form.
pub async fn list(Console(signed, ..): Console<Editor>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let tr = signed.tr;
    let (campaigns, posts) = state
        .pool
        .run(move |conn| {
            let mut campaigns = Vec::new();
            let mut posts = Vec::new();
            for progress in donations::campaign::list_progress(conn, donations::campaign::Audience::Staff)? {
                let spec = &progress.campaign.spec;
                campaigns.push((spec.slug.clone(), progress.campaign.title(tr.lang.locale()).to_string()));
                for p in post::list_all(conn, progress.campaign.id)? {
                    posts.push((spec.slug.clone(), p));
                }
            }
            Ok::<_, ApiError>((campaigns, posts))
        })
        .await?;
    Ok(page(Some(&signed), tr, &tr.t("console-news"), StatusCode::OK, list_view(&signed, &campaigns, &posts)))
}

/// Every campaign's posts, then a new one's form.
fn list_view(signed: &Signed, campaigns: &[(String, String)], posts: &[(String, Post)]) -> Markup {
    let tr = signed.tr;
    html! {
        @if posts.is_empty() { p { (tr.t("console-none")) } }
        ul.news {
            @for (slug, p) in posts {
                li {
                    a href={ "/staff/news/" (p.id) } { (p.title) }
                    " · " (slug) " · "
                    @if p.status == PostStatus::Published { (tr.t("console-published")) } @else { (tr.t("console-drafted")) }
                    " · " span.when { (date(&tr, demeu_db::utc(p.updated_at))) }
                }
            }
        }
        h2 { (tr.t("console-new-post")) }
        (editor_form(signed, campaigns, None, "", ""))
    }
}

/// A new post as typed: its preview (`preview`) or what the domain refused, then the form again.
fn new_post_view(signed: &Signed, form: &PostForm, preview_it: bool, refused: &[demeu_db::FieldError]) -> Markup {
    let campaigns = vec![(form.campaign.clone(), form.campaign.clone())];
    html! {
        (super::refused_fields(signed.tr, refused))
        @if preview_it { (preview(signed, form)) }
        (editor_form(signed, &campaigns, None, &form.title, &form.body_markdown))
    }
}

/// The writing form's fields.
#[derive(Deserialize)]
pub struct PostForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body_markdown: String,
}

/// The preview: the Markdown rendered and sanitized exactly as it will be stored.
fn preview(signed: &Signed, form: &PostForm) -> Markup {
    html! {
        section.card aria-label=(signed.tr.t("console-preview")) {
            h2 { (signed.tr.t("console-preview")) ": " (form.title) }
            (trusted(campaign_news::markdown::render(&form.body_markdown)))
        }
    }
}

/// `POST /staff/news`: preview a new post, or save it as a draft.
pub async fn create(
    ConsoleForm(signed, form, ..): ConsoleForm<Editor, PostForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if form.action == "preview" {
        let tr = signed.tr;
        let main = new_post_view(&signed, &form, true, &[]);
        return Ok(page(Some(&signed), tr, &tr.t("console-new-post"), StatusCode::OK, main));
    }
    let actor = signed.user.id;
    let new = NewPost { title: form.title.clone(), body_markdown: form.body_markdown.clone(), slug: None };
    let slug = form.campaign.clone();
    let made = state
        .pool
        .run(move |conn| {
            let campaign = donations::campaign::find_by_slug(conn, &slug)?;
            post::create_draft(conn, campaign.id, actor, &new).map_err(ApiError::from)
        })
        .await;
    match made {
        Ok(made) => Ok(back(format!("/staff/news/{}", made.id))),
        // Refused, the form again as it was typed, with what is wrong: nothing is lost.
        Err(ApiError::Invalid(fields)) => {
            let tr = signed.tr;
            let main = new_post_view(&signed, &form, false, &fields);
            Ok(page(Some(&signed), tr, &tr.t("console-new-post"), StatusCode::UNPROCESSABLE_ENTITY, main))
        }
        Err(other) => Err(other),
    }
}

/// `GET /staff/news/{id}`: the post, its preview, and what can be done with it.
pub async fn edit(
    Console(signed, ..): Console<Editor>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().parse().map_err(|_| ApiError::NotFound("post".into()))?;
    let (post, subscribers) = state
        .pool
        .run(move |conn| {
            let post = post::find(conn, id)?;
            let subscribers = campaign_news::subscriber::confirmed(conn, post.campaign_id)?.len();
            Ok::<_, ApiError>((post, subscribers))
        })
        .await?;
    Ok(post_page(&signed, &post, subscribers, None, &[]))
}

fn post_page(
    signed: &Signed,
    post: &Post,
    subscribers: usize,
    form: Option<&PostForm>,
    refused: &[demeu_db::FieldError],
) -> HttpResponse {
    let tr = signed.tr;
    let (title, body) = form
        .map_or((post.title.as_str(), post.body_markdown.as_str()), |f| (f.title.as_str(), f.body_markdown.as_str()));
    let action = |value: &str, label: String| {
        html! {
            form method="post" action={ "/staff/news/" (post.id) } {
                input type="hidden" name="csrf" value=(signed.csrf);
                button type="submit" name="action" value=(value) { (label) }
            }
        }
    };
    let main = html! {
        (super::refused_fields(tr, refused))
        @match form {
            Some(f) => (preview(signed, f)),
            None => section.card { h2 { (post.title) } (trusted(post.body_html.clone())) },
        }
        (editor_form(signed, &[], Some(post), title, body))
        @if post.status == PostStatus::Published {
            (action("unpublish", tr.t("console-unpublish")))
        } @else {
            @if post.first_published_at.is_none() {
                p { (tr.t_with("console-publish-mails", &[("count", (subscribers as i64).into())])) }
            }
            (action("publish", tr.t("console-publish")))
            @if post.first_published_at.is_none() { (action("delete", tr.t("console-delete"))) }
        }
    };
    let status = if refused.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page(Some(signed), tr, &tr.t("console-edit"), status, main)
}

/// `POST /staff/news/{id}`: preview, save, publish, unpublish or delete.
pub async fn act(
    ConsoleForm(signed, form, ..): ConsoleForm<Editor, PostForm>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: PostId = id.into_inner().parse().map_err(|_| ApiError::NotFound("post".into()))?;
    let actor = signed.user.id;
    match form.action.as_str() {
        "preview" => {
            let post = state.pool.run(move |conn| post::find(conn, id).map_err(ApiError::from)).await?;
            Ok(post_page(&signed, &post, 0, Some(&form), &[]))
        }
        "save" => {
            let edit = PostEdit {
                title: Some(form.title.clone()),
                body_markdown: Some(form.body_markdown.clone()),
                slug: None,
            };
            match state.pool.run(move |conn| post::edit(conn, id, actor, &edit).map_err(ApiError::from)).await {
                Ok(_) => Ok(back(format!("/staff/news/{}", req.match_info().query("id")))),
                // Refused, the post with the text as typed and what is wrong: nothing is lost.
                Err(ApiError::Invalid(fields)) => {
                    let post = state.pool.run(move |conn| post::find(conn, id).map_err(ApiError::from)).await?;
                    Ok(post_page(&signed, &post, 0, Some(&form), &fields))
                }
                Err(other) => Err(other),
            }
        }
        "publish" => {
            let target = format!("/staff/news/{id}");
            crate::services::news::publish(&state, id, actor).await?;
            Ok(back(target))
        }
        "unpublish" => {
            let target = format!("/staff/news/{id}");
            state.pool.run(move |conn| post::unpublish(conn, id, actor).map_err(ApiError::from)).await?;
            Ok(back(target))
        }
        "delete" => {
            state.pool.run(move |conn| post::delete_draft(conn, id, actor).map_err(ApiError::from)).await?;
            Ok(back("/staff/news".into()))
        }
        _ => Err(ApiError::invalid("action", "preview, save, publish, unpublish or delete")),
    }
}

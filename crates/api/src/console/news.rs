//! The editor's news: the posts of every campaign, a draft written in Markdown with a preview
//! of the sanitized HTML donors will see, then publish (saying how many subscribers it mails),
//! unpublish, or delete while still a draft.

use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::HttpResponse;
use campaign_news::ids::PostId;
use campaign_news::post::{self, NewPost, Post, PostEdit, PostStatus};
use maud::{html, Markup};
use serde::Deserialize;

use super::{page, Console, ConsoleForm, Signed};
use crate::format::date;
use crate::i18n::Tr;
use crate::pages::layout::trusted;
use crate::problem::ApiError;
use crate::routes::access::Editor;
use crate::state::AppState;

fn back(to: String) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, to)).finish()
}

/// The writing form: for a new post (`post` none, a campaign to choose) or an existing one.
/// Its filled (primary) button is what fits the post's state: "Save the draft" for a new post,
/// "Publish" for a draft (saving what was typed first), "Save changes" for a published post
/// (which stays published); the other actions are secondary. Preview comes first, so that the
/// Enter key in the title only previews.
/// The plan lines a post may report on: per campaign (its title, empty on an existing post's
/// form, which has one), each line's key and title; and what the form says of its tie now.
struct Tie<'a> {
    groups: &'a [(String, Vec<(String, String)>)],
    line: Option<&'a str>,
    done: bool,
}

fn editor_form(
    signed: &Signed,
    campaigns: &[(String, String)],
    post: Option<&Post>,
    (title, body): (&str, &str),
    tie: Option<Tie<'_>>,
    subscribers: usize,
) -> Markup {
    let tr = signed.tr;
    let action = post.map_or("/staff/news".to_string(), |p| format!("/staff/news/{}", p.id));
    let status = post.map(|p| p.status);
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
            @if let Some(tie) = &tie {
                div.field {
                    label for="post-line" { (tr.t("news-plan-line")) }
                    select #post-line name="plan_line" aria-describedby="post-line-help" {
                        option value="" selected[tie.line.is_none()] { (tr.t("news-plan-line-none")) }
                        @for (campaign, lines) in tie.groups {
                            @if campaign.is_empty() {
                                @for (key, line_title) in lines {
                                    option value=(key) selected[tie.line == Some(key.as_str())] { (line_title) }
                                }
                            } @else {
                                optgroup label=(campaign) {
                                    @for (key, line_title) in lines {
                                        option value=(key) selected[tie.line == Some(key.as_str())] { (line_title) }
                                    }
                                }
                            }
                        }
                    }
                    p.help #post-line-help { (tr.t("news-plan-line-help")) }
                }
                div.field.check {
                    input #post-done type="checkbox" name="marks_done" value="on" checked[tie.done];
                    " "
                    label for="post-done" { (tr.t("news-marks-done")) }
                }
            }
            @match status {
                Some(PostStatus::Published) => {
                    p.help { (tr.t("console-save-keeps-published")) }
                    div.actions {
                        button.secondary type="submit" name="action" value="preview" { (tr.t("console-preview")) }
                        button type="submit" name="action" value="save" { (tr.t("console-save-changes")) }
                    }
                }
                Some(PostStatus::Draft) => {
                    @if post.is_some_and(|p| p.first_published_at.is_none()) {
                        p.help { (tr.t_with("console-publish-mails", &[("count", (subscribers as i64).into())])) }
                    }
                    div.actions {
                        button.secondary type="submit" name="action" value="preview" { (tr.t("console-preview")) }
                        button.secondary type="submit" name="action" value="save" { (tr.t("console-draft")) }
                        button type="submit" name="action" value="publish" { (tr.t("console-publish")) }
                    }
                }
                None => {
                    div.actions {
                        button.secondary type="submit" name="action" value="preview" { (tr.t("console-preview")) }
                        button type="submit" name="action" value="save" { (tr.t("console-draft")) }
                    }
                }
            }
        }
    }
}

/// `GET /staff/news`: every campaign's posts, and a new one's form.
pub async fn list(Console(signed, ..): Console<Editor>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let tr = signed.tr;
    let choices = new_post_choices(&state, tr.lang.locale()).await?;
    let slugs: Vec<String> = choices.0.iter().map(|(slug, _)| slug.clone()).collect();
    let posts = state
        .pool
        .run(move |conn| {
            let mut posts = Vec::new();
            for slug in slugs {
                let campaign = donations::campaign::find_by_slug(conn, &slug)?;
                for p in post::list_all(conn, campaign.id)? {
                    posts.push((slug.clone(), p));
                }
            }
            Ok::<_, ApiError>(posts)
        })
        .await?;
    Ok(page(Some(&signed), tr, &tr.t("console-news"), StatusCode::OK, list_view(&signed, &choices, &posts)))
}

/// Every campaign's posts, then a new one's form.
fn list_view(signed: &Signed, (campaigns, groups): &Choices, posts: &[(String, Post)]) -> Markup {
    let tr = signed.tr;
    html! {
        @if posts.is_empty() { p { (tr.t("console-none")) } }
        ul.news {
            @for (slug, p) in posts {
                li {
                    a href={ "/staff/news/" (p.id) } { (p.title) }
                    " · " (slug) " · "
                    (tr.name("post-status", p.status.as_str()))
                    " · " span.when { (date(&tr, demeu_db::utc(p.updated_at))) }
                }
            }
        }
        h2 { (tr.t("console-new-post")) }
        (editor_form(signed, campaigns, None, ("", ""), Some(Tie { groups, line: None, done: false }), 0))
    }
}

/// A new post as typed: its preview (`preview`) or what the domain refused, then the form again.
fn new_post_view(
    signed: &Signed,
    (campaigns, groups): &Choices,
    form: &PostForm,
    preview_it: bool,
    refused: &[demeu_db::FieldError],
) -> Markup {
    // The campaign chosen first, so that the form comes back as it was sent.
    let mut campaigns = campaigns.clone();
    campaigns.sort_by_key(|(slug, _)| *slug != form.campaign);
    let tie = Tie { groups, line: form.plan_line.as_deref().filter(|l| !l.is_empty()), done: form.marks_done == "on" };
    html! {
        (super::refused_fields(signed.tr, refused))
        @if preview_it { (preview(signed, form)) }
        (editor_form(signed, &campaigns, None, (&form.title, &form.body_markdown), Some(tie), 0))
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
    /// The plan line (a key; empty: none).
    plan_line: Option<String>,
    /// `on` when the post says its line is done.
    #[serde(default)]
    marks_done: String,
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
    let tr = signed.tr;
    if form.action == "preview" {
        let choices = new_post_choices(&state, tr.lang.locale()).await?;
        let main = new_post_view(&signed, &choices, &form, true, &[]);
        return Ok(page(Some(&signed), tr, &tr.t("console-new-post"), StatusCode::OK, main));
    }
    let actor = signed.user.id;
    let new = NewPost {
        title: form.title.clone(),
        body_markdown: form.body_markdown.clone(),
        slug: None,
        plan_line: form.plan_line.clone().filter(|l| !l.trim().is_empty()),
        marks_done: form.marks_done == "on",
    };
    let slug = form.campaign.clone();
    let made = state
        .pool
        .run(move |conn| crate::services::news::create(conn, &slug, actor, &new).map_err(ApiError::from))
        .await;
    match made {
        Ok(made) => Ok(back(format!("/staff/news/{}", made.id))),
        // Refused, the form again as it was typed, with what is wrong: nothing is lost.
        Err(ApiError::Invalid(fields)) => {
            let choices = new_post_choices(&state, tr.lang.locale()).await?;
            let main = new_post_view(&signed, &choices, &form, false, &fields);
            Ok(page(Some(&signed), tr, &tr.t("console-new-post"), StatusCode::UNPROCESSABLE_ENTITY, main))
        }
        Err(other) => Err(other),
    }
}

/// A post with what its page shows around it: its campaign's address and its confirmed
/// subscribers (whom a first publication mails).
struct Loaded {
    post: Post,
    campaign: String,
    /// Its campaign's plan lines (key, title in the console's language), as the form groups them.
    lines: Vec<(String, Vec<(String, String)>)>,
    subscribers: usize,
}

/// A campaign's plan lines as the form offers them: key, title in the console's language.
fn plan_lines(campaign: &donations::campaign::Campaign, lang: donations::campaign::Locale) -> Vec<(String, String)> {
    campaign
        .spec
        .plan
        .lines()
        .iter()
        .map(|l| (l.key.clone(), l.titles.shown(lang, campaign.spec.locale).to_string()))
        .collect()
}

/// What a new post may be written for: the campaigns (slug, title) and, per campaign, its plan
/// lines.
type Choices = (Vec<(String, String)>, Vec<(String, Vec<(String, String)>)>);

async fn new_post_choices(state: &AppState, lang: donations::campaign::Locale) -> Result<Choices, ApiError> {
    state
        .pool
        .run(move |conn| {
            let mut choices: Choices = (Vec::new(), Vec::new());
            for progress in donations::campaign::list_progress(conn, donations::campaign::Audience::Staff)? {
                let title = progress.campaign.title(lang).to_string();
                choices.0.push((progress.campaign.spec.slug.clone(), title.clone()));
                choices.1.push((title, plan_lines(&progress.campaign, lang)));
            }
            Ok::<_, ApiError>(choices)
        })
        .await
}

async fn load(state: &AppState, id: PostId, lang: donations::campaign::Locale) -> Result<Loaded, ApiError> {
    state
        .pool
        .run(move |conn| {
            let post = post::find(conn, id)?;
            let found = donations::campaign::find_by_id(conn, post.campaign_id)?;
            let lines = vec![(String::new(), plan_lines(&found, lang))];
            let subscribers = campaign_news::subscriber::confirmed(conn, post.campaign_id)?.len();
            Ok::<_, ApiError>(Loaded { post, campaign: found.spec.slug, lines, subscribers })
        })
        .await
}

/// `GET /staff/news/{id}`: the post, its state, its preview, and what can be done with it.
pub async fn edit(
    Console(signed, ..): Console<Editor>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().parse().map_err(|_| ApiError::NotFound("post".into()))?;
    let loaded = load(&state, id, signed.tr.lang.locale()).await?;
    Ok(post_page(&signed, &state, &loaded, None, &[]))
}

fn post_page(
    signed: &Signed,
    state: &AppState,
    loaded: &Loaded,
    form: Option<&PostForm>,
    refused: &[demeu_db::FieldError],
) -> HttpResponse {
    let tr = signed.tr;
    let main = post_view(signed, state.settings.public_url(), loaded, form, refused);
    let status = if refused.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page(Some(signed), tr, &tr.t("console-edit"), status, main)
}

/// Where the post stands: its state, when it was made, edited and published, and where
/// readers find it (a draft: nowhere).
fn post_facts(tr: Tr, public_url: &str, loaded: &Loaded) -> Markup {
    let post = &loaded.post;
    let when = |at: chrono::NaiveDateTime| date(&tr, demeu_db::utc(at));
    let link = format!("{public_url}{}", crate::links::news_post_path(&loaded.campaign, &post.slug));
    html! {
        dl.facts {
            dt { (tr.t("console-status")) }
            dd { strong.status.(post.status.as_str()) { (tr.name("post-status", post.status.as_str())) } }
            dt { (tr.t("console-created")) } dd { (when(post.created_at)) }
            dt { (tr.t("console-post-updated")) } dd { (when(post.updated_at)) }
            @if let Some(at) = post.published_at {
                dt { (tr.t("console-post-published-at")) } dd { (when(at)) }
            }
            @if let Some(first) = post.first_published_at.filter(|first| Some(*first) != post.published_at) {
                dt { (tr.t("console-post-first-published")) } dd { (when(first)) }
            }
            dt { (tr.t("console-post-link")) }
            dd.who {
                @if post.status == PostStatus::Published { a href=(link) { (link) } }
                @else { (tr.t("console-post-not-public")) }
            }
        }
    }
}

/// The post's page: where it stands, its preview (or the text as typed, refused), the form
/// with the action that fits its state, and the secondary ones apart.
fn post_view(
    signed: &Signed,
    public_url: &str,
    loaded: &Loaded,
    form: Option<&PostForm>,
    refused: &[demeu_db::FieldError],
) -> Markup {
    let tr = signed.tr;
    let post = &loaded.post;
    let (title, body) = form
        .map_or((post.title.as_str(), post.body_markdown.as_str()), |f| (f.title.as_str(), f.body_markdown.as_str()));
    let tie = match form {
        Some(f) => Tie {
            groups: &loaded.lines,
            line: f.plan_line.as_deref().filter(|l| !l.is_empty()),
            done: f.marks_done == "on",
        },
        None => Tie { groups: &loaded.lines, line: post.plan_line.as_deref(), done: post.marks_done },
    };
    let action = |value: &str, label: String| {
        html! {
            form.actions method="post" action={ "/staff/news/" (post.id) } {
                input type="hidden" name="csrf" value=(signed.csrf);
                button.secondary type="submit" name="action" value=(value) { (label) }
            }
        }
    };
    html! {
        (super::refused_fields(tr, refused))
        (post_facts(tr, public_url, loaded))
        @match form {
            Some(f) => (preview(signed, f)),
            None => section.card { h2 { (post.title) } (trusted(post.body_html.clone())) },
        }
        (editor_form(signed, &[], Some(post), (title, body), Some(tie), loaded.subscribers))
        @if post.status == PostStatus::Published {
            (action("unpublish", tr.t("console-unpublish")))
        } @else if post.first_published_at.is_none() {
            (action("delete", tr.t("console-delete")))
        }
    }
}

/// The text of the form as an edit of the post: always for "save" (an empty title is refused,
/// not ignored); for "publish" only when the form carries text (a bare "publish" publishes the
/// post as it stands).
fn typed(form: &PostForm) -> Option<PostEdit> {
    let carries_text = !form.title.is_empty() || !form.body_markdown.is_empty();
    (form.action == "save" || carries_text).then(|| PostEdit {
        title: Some(form.title.clone()),
        body_markdown: Some(form.body_markdown.clone()),
        slug: None,
        // The editor of an existing post carries its tie (a form without the field keeps it).
        plan_line: form.plan_line.clone(),
        marks_done: form.plan_line.is_some().then_some(form.marks_done == "on"),
    })
}

/// `POST /staff/news/{id}`: preview, save (a published post stays published), publish (what
/// was typed saved first), unpublish or delete.
pub async fn act(
    ConsoleForm(signed, form, ..): ConsoleForm<Editor, PostForm>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: PostId = id.into_inner().parse().map_err(|_| ApiError::NotFound("post".into()))?;
    let actor = signed.user.id;
    let target = format!("/staff/news/{id}");
    match form.action.as_str() {
        "preview" => {
            let loaded = load(&state, id, signed.tr.lang.locale()).await?;
            Ok(post_page(&signed, &state, &loaded, Some(&form), &[]))
        }
        "save" | "publish" => {
            if let Some(edit) = typed(&form) {
                let saved = state
                    .pool
                    .run(move |conn| crate::services::news::edit(conn, id, actor, &edit).map_err(ApiError::from));
                match saved.await {
                    Ok(_) => {}
                    // Refused, the post with the text as typed and what is wrong: nothing is
                    // lost, and nothing is published.
                    Err(ApiError::Invalid(fields)) => {
                        let loaded = load(&state, id, signed.tr.lang.locale()).await?;
                        return Ok(post_page(&signed, &state, &loaded, Some(&form), &fields));
                    }
                    Err(other) => return Err(other),
                }
            }
            if form.action == "publish" {
                crate::services::news::publish(&state, id, actor).await?;
            }
            Ok(back(target))
        }
        "unpublish" => {
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

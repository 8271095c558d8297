//! The editor's queues: comments waiting for moderation (one click each), and the
//! "join the mentors' team" applications with their status and note.

use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::web::{self};
use actix_web::HttpResponse;
use campaign_news::comment::{self, CommentStatus};
use campaign_news::volunteer::{self, VolunteerChange, VolunteerFilter, VolunteerPatch, VolunteerStatus};
use maud::{html, Markup};
use serde::Deserialize;

use super::{page, Console, ConsoleForm, Signed};
use crate::format::date;
use crate::problem::ApiError;
use crate::routes::access::Editor;
use crate::state::AppState;

fn back(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, to.to_string())).finish()
}

/// `GET /staff/comments`: the moderation queue, oldest first.
pub async fn comments(
    Console(signed, ..): Console<Editor>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tr = signed.tr;
    let pending = state
        .pool
        .run(|conn| comment::list(conn, None, CommentStatus::Pending, 100, None).map_err(ApiError::from))
        .await?;
    Ok(page(Some(&signed), tr, &tr.t("console-comments"), StatusCode::OK, comments_view(&signed, &pending.items)))
}

/// The moderation queue: each comment with its approve and reject buttons.
fn comments_view(signed: &Signed, pending: &[campaign_news::comment::Comment]) -> Markup {
    let tr = signed.tr;
    html! {
        @if pending.is_empty() { p { (tr.t("console-none")) } }
        ul.comments {
            @for c in pending {
                li {
                    strong { bdi { (c.name) } } " " span.when { (date(&tr, demeu_db::utc(c.created_at))) }
                    p { bdi { (c.body) } }
                    form method="post" action={ "/staff/comments/" (c.id) } {
                        input type="hidden" name="csrf" value=(signed.csrf);
                        button type="submit" name="action" value="approve" { (tr.t("console-approve")) }
                        " "
                        button.secondary type="submit" name="action" value="reject" { (tr.t("console-reject")) }
                    }
                }
            }
        }
    }
}

/// A moderation click.
#[derive(Deserialize)]
pub struct ModerationForm {
    #[serde(default)]
    action: String,
}

/// `POST /staff/comments/{id}`: approve or reject, then back to the queue.
pub async fn moderate(
    ConsoleForm(signed, form, ..): ConsoleForm<Editor, ModerationForm>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let approve = match form.action.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(ApiError::invalid("action", "approve or reject")),
    };
    let id = id.into_inner().parse().map_err(|_| ApiError::NotFound("comment".into()))?;
    let actor = signed.user.id;
    state.pool.run(move |conn| comment::moderate(conn, id, approve, actor).map_err(ApiError::from)).await?;
    Ok(back("/staff/comments"))
}

/// `GET /staff/volunteers`: the applications, newest first, each with its status and note.
pub async fn volunteers(
    Console(signed, ..): Console<Editor>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    volunteers_page(&state, &signed, &[]).await
}

/// The applications' page, with what a refused change got wrong above them (422), or none.
async fn volunteers_page(
    state: &AppState,
    signed: &Signed,
    refused: &[demeu_db::FieldError],
) -> Result<HttpResponse, ApiError> {
    let tr = signed.tr;
    let filter = VolunteerFilter { status: None, campaign: None };
    let list = state.pool.run(move |conn| volunteer::list(conn, &filter, 100, None).map_err(ApiError::from)).await?;
    let statuses =
        [VolunteerStatus::New, VolunteerStatus::Contacted, VolunteerStatus::Accepted, VolunteerStatus::Declined];
    let main = html! {
        (super::refused_fields(tr, refused))
        @if list.items.is_empty() { p { (tr.t("console-none")) } }
        @for (v, slug) in &list.items {
            section.card {
                h2 { bdi { (v.name) } " · " bdi { (v.city) } }
                p { bdi { (v.contact) } " · " (slug) " · " span.when { (date(&tr, demeu_db::utc(v.created_at))) } }
                @if !v.about.is_empty() { p { bdi { (v.about) } } }
                form method="post" action={ "/staff/volunteers/" (v.id) } {
                    input type="hidden" name="csrf" value=(signed.csrf);
                    div.field {
                        label for={ "status-" (v.id) } { (tr.t("console-status")) }
                        select id={ "status-" (v.id) } name="status" {
                            @for status in statuses {
                                option value=(status.as_str()) selected[status == v.status] { (tr.name("volunteer", status.as_str())) }
                            }
                        }
                    }
                    div.field {
                        label for={ "note-" (v.id) } { (tr.t("console-note")) }
                        textarea id={ "note-" (v.id) } name="note" rows="2" maxlength="2000" { (v.staff_note) }
                    }
                    button type="submit" { (tr.t("console-save")) }
                }
            }
        }
    };
    let status = if refused.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(page(Some(signed), tr, &tr.t("console-volunteers"), status, main))
}

/// A volunteer's status and note.
#[derive(Deserialize)]
pub struct VolunteerForm {
    status: Option<String>,
    note: Option<String>,
}

/// `POST /staff/volunteers/{id}`: the same change as the API's PATCH (audited).
pub async fn update_volunteer(
    ConsoleForm(signed, form, ..): ConsoleForm<Editor, VolunteerForm>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().parse().map_err(|_| ApiError::NotFound("volunteer".into()))?;
    // Refused, the page again with what is wrong, in the console's language: nothing changed.
    let change = match VolunteerChange::parse(&VolunteerPatch { status: form.status, note: form.note }) {
        Ok(change) => change,
        Err(campaign_news::Error::Invalid(fields)) => return volunteers_page(&state, &signed, &fields).await,
        Err(other) => return Err(other.into()),
    };
    let actor = signed.user.id;
    state.pool.run(move |conn| volunteer::update(conn, id, &change, actor).map_err(ApiError::from)).await?;
    Ok(back("/staff/volunteers"))
}

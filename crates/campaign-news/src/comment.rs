//! Visitors' comments: plain text, shown after staff approve them.

use chrono::NaiveDateTime;
use demeu_db::schema::comments;
use demeu_db::DbConn;
use diesel::prelude::*;
use serde::Deserialize;

use demeu_db::page::{decode_cursor, encode_cursor, paginate, Page};

use crate::ids::{CampaignId, CommentId, StaffUserId};
use crate::{Error, FieldError};

/// Longest comment, characters.
pub const MAX_BODY_CHARS: usize = 2_000;
/// Longest name, characters.
pub const MAX_NAME_CHARS: usize = 100;

demeu_db::stored_enum! {
    /// Where a comment is in moderation.
    pub enum CommentStatus("comment status") {
        /// Waiting for staff.
        Pending = "pending",
        /// Shown.
        Approved = "approved",
        /// Hidden for good.
        Rejected = "rejected",
    }
}

/// A stored comment.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = comments)]
pub struct Comment {
    /// Id.
    pub id: CommentId,
    /// The campaign.
    pub campaign_id: CampaignId,
    /// As given.
    pub name: String,
    /// Plain text.
    pub body: String,
    /// Where it is in moderation.
    pub status: CommentStatus,
    /// Written.
    pub created_at: NaiveDateTime,
    /// Moderated.
    pub moderated_at: Option<NaiveDateTime>,
    /// By whom.
    pub moderated_by: Option<StaffUserId>,
}

/// What a visitor sends.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize)]
pub struct NewComment {
    /// One line, 1 to 100 characters (trimmed).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// Plain text, 1 to 2 000 characters (trimmed); a body of links only is refused.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub body: String,
}

/// True for a body that is nothing but links: what spam looks like and a reader cannot use.
pub fn is_links_only(body: &str) -> bool {
    let words: Vec<&str> = body.split_whitespace().collect();
    !words.is_empty()
        && words.iter().all(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '/' && c != ':' && c != '.');
            w.is_empty()
                || w.starts_with("http://")
                || w.starts_with("https://")
                || w.starts_with("www.")
                || w.contains("://")
        })
}

/// Checks a comment.
pub fn check(new: &NewComment) -> Result<(String, String), Error> {
    let mut errors = Vec::new();
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        errors.push(FieldError::chars_between("name", 1, MAX_NAME_CHARS));
    }
    let body = new.body.trim();
    if body.is_empty() || body.chars().count() > MAX_BODY_CHARS {
        errors.push(FieldError::chars_between("body", 1, MAX_BODY_CHARS));
    } else if is_links_only(body) {
        errors.push(FieldError::new("body", "must say something besides links").translated("error-links-only", vec![]));
    }
    if errors.is_empty() {
        Ok((name.to_string(), body.to_string()))
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Stores a comment waiting for moderation.
pub fn create(conn: &mut DbConn, campaign_id: CampaignId, new: &NewComment) -> Result<Comment, Error> {
    let (name, body) = check(new)?;
    let id = CommentId::new();
    conn.write_transaction(|conn| {
        diesel::insert_into(comments::table)
            .values((
                comments::id.eq(id),
                comments::campaign_id.eq(campaign_id),
                comments::name.eq(&name),
                comments::body.eq(&body),
                comments::status.eq(CommentStatus::Pending),
                comments::created_at.eq(demeu_db::now()),
            ))
            .execute(conn)?;
        Ok(comments::table.find(id).select(Comment::as_select()).first(conn)?)
    })
}

/// Approves or rejects a comment.
pub fn moderate(conn: &mut DbConn, id: CommentId, approve: bool, actor: StaffUserId) -> Result<Comment, Error> {
    let status = if approve { CommentStatus::Approved } else { CommentStatus::Rejected };
    conn.write_transaction(|conn| {
        let changed = diesel::update(comments::table.find(id))
            .set((
                comments::status.eq(status),
                comments::moderated_at.eq(demeu_db::now()),
                comments::moderated_by.eq(actor),
            ))
            .execute(conn)?;
        if changed == 0 {
            return Err(Error::NotFound("comment"));
        }
        demeu_db::audit::record(
            conn,
            Some(actor),
            &format!("comment.{status}"),
            &format!("comment:{id}"),
            &serde_json::json!({}),
        )?;
        Ok(comments::table.find(id).select(Comment::as_select()).first(conn)?)
    })
}

/// Comments of a campaign with `status` (`None`: any campaign), oldest first.
pub fn list(
    conn: &mut DbConn,
    campaign_id: Option<CampaignId>,
    status: CommentStatus,
    limit: i64,
    cursor: Option<&str>,
) -> Result<Page<Comment>, Error> {
    let mut query = comments::table
        .filter(comments::status.eq(status))
        .select(Comment::as_select())
        .order((comments::created_at.asc(), comments::id.asc()))
        .limit(limit + 1)
        .into_boxed();
    if let Some(campaign) = campaign_id {
        query = query.filter(comments::campaign_id.eq(campaign));
    }
    if let Some(cursor) = cursor {
        let (at, id) = decode_cursor(cursor).map_err(Error::from)?;
        query = query.filter(comments::created_at.gt(at).or(comments::created_at.eq(at).and(comments::id.gt(id))));
    }
    let rows = query.load(conn)?;
    Ok(paginate(rows, limit, |c: &Comment| encode_cursor(c.created_at, &c.id.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_only_bodies_are_spam() {
        assert!(is_links_only("https://spam.example http://more.example"));
        assert!(is_links_only("www.cheap.example"));
        assert!(!is_links_only("Great project! Details: https://dara.kz"));
        assert!(!is_links_only("Спасибо вам"));
    }

    #[test]
    fn comments_are_checked() {
        assert!(check(&NewComment { name: "Asel".into(), body: "Спасибо!".into() }).is_ok());
        let long = NewComment { name: "Asel".into(), body: "x".repeat(2001) };
        assert!(matches!(check(&long), Err(Error::Invalid(e)) if e[0].field == "body"));
        let nameless = NewComment { name: " ".into(), body: "hi".into() };
        assert!(matches!(check(&nameless), Err(Error::Invalid(e)) if e[0].field == "name"));
    }
}

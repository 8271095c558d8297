//! News posts: drafts, edits, publication. The first publication is what subscribers hear of;
//! publishing again after an edit or an unpublish is not news.

use chrono::NaiveDateTime;
use demeu_db::schema::news_posts;
use demeu_db::DbConn;
use diesel::prelude::*;
use serde::Deserialize;

use demeu_db::page::{decode_cursor, encode_cursor, paginate, Page};

use crate::ids::{CampaignId, PostId, StaffUserId};
use crate::{markdown, Error, FieldError};

/// Longest title, characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest body, bytes of Markdown.
pub const MAX_BODY_BYTES: usize = 100_000;

demeu_db::stored_enum! {
    /// Whether readers see a post.
    pub enum PostStatus("post status") {
        /// Being written, or withdrawn: only staff see it.
        Draft = "draft",
        /// Shown to readers.
        Published = "published",
    }
}

/// A stored post.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = news_posts)]
pub struct Post {
    /// Id.
    pub id: PostId,
    /// The campaign.
    pub campaign_id: CampaignId,
    /// URL name, unique in the campaign.
    pub slug: String,
    /// Title.
    pub title: String,
    /// As written.
    pub body_markdown: String,
    /// Rendered and sanitized at save.
    pub body_html: String,
    /// Draft or published.
    pub status: PostStatus,
    /// The staff member who wrote it.
    pub author_id: Option<StaffUserId>,
    /// When it was (last) published.
    pub published_at: Option<NaiveDateTime>,
    /// When it was first published: set once, never cleared.
    pub first_published_at: Option<NaiveDateTime>,
    /// Made.
    pub created_at: NaiveDateTime,
    /// Last edited.
    pub updated_at: NaiveDateTime,
    /// The key of the plan line it reports on, if any.
    pub plan_line: Option<String>,
    /// It says that line is done (the summer School held): shown beside the line once published.
    pub marks_done: bool,
}

/// A new post.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize)]
pub struct NewPost {
    /// Title: one line, 1 to 200 characters (trimmed).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    /// Markdown, 1 to 100 000 bytes (and within the server's request body limit).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100000))]
    pub body_markdown: String,
    /// URL name: a-z, 0-9 and inner dashes, up to 80; made from the title when absent.
    #[cfg_attr(feature = "openapi", schema(max_length = 80, pattern = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"))]
    pub slug: Option<String>,
    /// The key of the campaign's plan line it reports on (checked against the plan by the
    /// caller, which knows it).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub plan_line: Option<String>,
    /// It says that line is done; needs `plan_line`.
    #[serde(default)]
    pub marks_done: bool,
}

/// Changes to a post; absent fields stay.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PostEdit {
    /// New title: one line, 1 to 200 characters (trimmed).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    /// New Markdown, 1 to 100 000 bytes.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100000))]
    pub body_markdown: Option<String>,
    /// New URL name: a-z, 0-9 and inner dashes, up to 80.
    #[cfg_attr(feature = "openapi", schema(max_length = 80, pattern = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"))]
    pub slug: Option<String>,
    /// The plan line it reports on; `""` ties it to none.
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub plan_line: Option<String>,
    /// Whether it says that line is done.
    pub marks_done: Option<bool>,
}

/// A post's tie to a plan line as asked: the line (none for `""`), and whether it says it is
/// done, which needs a line (422 naming `marks_done`).
fn tie(plan_line: Option<&str>, marks_done: bool) -> Result<Option<String>, FieldError> {
    let line = plan_line.map(str::trim).filter(|l| !l.is_empty()).map(str::to_string);
    if marks_done && line.is_none() {
        return Err(FieldError::new("marks_done", "needs the plan line it marks done (plan_line)")
            .translated("error-marks-done", Vec::new()));
    }
    Ok(line)
}

/// A URL name from a title: lower-case ASCII letters and digits joined by single dashes;
/// Cyrillic is transliterated so that Russian titles make readable slugs.
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    for c in title.to_lowercase().chars() {
        let piece: &str = match c {
            'a'..='z' | '0'..='9' => {
                out.push(c);
                continue;
            }
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' | 'й' | 'і' => "i",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' | 'ң' => "n",
            'о' | 'ө' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' | 'ұ' | 'ү' => "u",
            'ф' => "f",
            'х' | 'һ' => "h",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "sch",
            'ы' => "y",
            'ю' => "yu",
            'я' => "ya",
            'ә' => "a",
            'ғ' => "g",
            'қ' => "q",
            'ъ' | 'ь' => "",
            _ => "-",
        };
        out.push_str(piece);
    }
    let slug = out.split('-').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("-");
    slug.chars().take(80).collect::<String>().trim_end_matches('-').to_string()
}

fn check_slug(slug: &str) -> Result<(), FieldError> {
    let ok = !slug.is_empty()
        && slug.len() <= 80
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(FieldError::new("slug", "must be 1 to 80 of a-z, 0-9 and single dashes")
            .translated("error-slug", Vec::new()))
    }
}

fn check_title(title: &str) -> Result<String, FieldError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        Err(FieldError::chars_between("title", 1, MAX_TITLE_CHARS))
    } else {
        Ok(title.to_string())
    }
}

fn check_body(body: &str) -> Result<(), FieldError> {
    if body.trim().is_empty() || body.len() > MAX_BODY_BYTES {
        Err(FieldError::new("body_markdown", format!("must be 1 to {MAX_BODY_BYTES} bytes"))
            .translated("error-body-size", vec![("max", MAX_BODY_BYTES.to_string())]))
    } else {
        Ok(())
    }
}

fn invalid(errors: Vec<FieldError>) -> Result<(), Error> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

fn slug_taken(e: &diesel::result::Error) -> bool {
    demeu_db::is_unique_violation(e)
}

/// Saves a draft.
pub fn create_draft(
    conn: &mut DbConn,
    campaign_id: CampaignId,
    author: StaffUserId,
    new: &NewPost,
) -> Result<Post, Error> {
    let title = check_title(&new.title);
    let slug = new.slug.clone().map(|s| s.trim().to_string()).unwrap_or_else(|| slugify(&new.title));
    let line = tie(new.plan_line.as_deref(), new.marks_done);
    let errors: Vec<FieldError> = [
        title.as_ref().err().cloned(),
        check_slug(&slug).err(),
        check_body(&new.body_markdown).err(),
        line.as_ref().err().cloned(),
    ]
    .into_iter()
    .flatten()
    .collect();
    invalid(errors)?;
    let line = line.map_err(|e| Error::Invalid(vec![e]))?;
    let title = title.map_err(|e| Error::Invalid(vec![e]))?;
    let id = PostId::new();
    let now = demeu_db::now();
    conn.write_transaction(|conn| {
        let inserted = conn.transaction(|conn| {
            diesel::insert_into(news_posts::table)
                .values((
                    news_posts::id.eq(id),
                    news_posts::campaign_id.eq(campaign_id),
                    news_posts::slug.eq(&slug),
                    news_posts::title.eq(&title),
                    news_posts::body_markdown.eq(&new.body_markdown),
                    news_posts::body_html.eq(markdown::render(&new.body_markdown)),
                    news_posts::status.eq(PostStatus::Draft),
                    news_posts::author_id.eq(author),
                    news_posts::plan_line.eq(&line),
                    news_posts::marks_done.eq(new.marks_done),
                    news_posts::created_at.eq(now),
                    news_posts::updated_at.eq(now),
                ))
                .execute(conn)
        });
        match inserted {
            Err(e) if slug_taken(&e) => {
                return Err(Error::Invalid(vec![FieldError::new("slug", "is already used by another post")
                    .translated("error-slug-taken", Vec::new())]))
            }
            other => other?,
        };
        demeu_db::audit::record(
            conn,
            Some(author),
            "news.create",
            &format!("news_post:{id}"),
            &serde_json::json!({"slug": slug}),
        )?;
        find(conn, id)
    })
}

/// A published post tied to a plan line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TiedPost {
    /// The plan line's key.
    pub line: String,
    /// The post's URL name.
    pub slug: String,
    /// Its title.
    pub title: String,
    /// It says the line is done.
    pub marks_done: bool,
}

/// The published posts of `campaign_id` tied to a plan line, newest first.
pub fn tied_posts(conn: &mut DbConn, campaign_id: CampaignId) -> Result<Vec<TiedPost>, Error> {
    let rows: Vec<(Option<String>, String, String, bool)> = news_posts::table
        .filter(news_posts::campaign_id.eq(campaign_id))
        .filter(news_posts::status.eq(PostStatus::Published))
        .filter(news_posts::plan_line.is_not_null())
        .order((news_posts::published_at.desc(), news_posts::id.desc()))
        .select((news_posts::plan_line, news_posts::slug, news_posts::title, news_posts::marks_done))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(line, slug, title, marks_done)| Some(TiedPost { line: line?, slug, title, marks_done }))
        .collect())
}

/// The post with `id`.
pub fn find(conn: &mut DbConn, id: PostId) -> Result<Post, Error> {
    news_posts::table.find(id).select(Post::as_select()).first(conn).optional()?.ok_or(Error::NotFound("post"))
}

/// Applies `edit`; the HTML is rendered again when the Markdown changes.
pub fn edit(conn: &mut DbConn, id: PostId, actor: StaffUserId, edit: &PostEdit) -> Result<Post, Error> {
    let mut errors = Vec::new();
    let title = edit.title.as_deref().map(check_title).transpose().unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let slug = edit.slug.as_deref().map(str::trim).map(str::to_string);
    if let Some(slug) = &slug {
        errors.extend(check_slug(slug).err());
    }
    if let Some(body) = &edit.body_markdown {
        errors.extend(check_body(body).err());
    }
    invalid(errors)?;
    conn.write_transaction(|conn| {
        let now = demeu_db::now();
        let touched = diesel::update(news_posts::table.find(id)).set(news_posts::updated_at.eq(now)).execute(conn)?;
        if touched == 0 {
            return Err(Error::NotFound("post"));
        }
        if edit.plan_line.is_some() || edit.marks_done.is_some() {
            let before = find(conn, id)?;
            let asked = edit.plan_line.as_deref().or(before.plan_line.as_deref());
            let done = edit.marks_done.unwrap_or(before.marks_done);
            let line = tie(asked, done).map_err(|e| Error::Invalid(vec![e]))?;
            diesel::update(news_posts::table.find(id))
                .set((news_posts::plan_line.eq(&line), news_posts::marks_done.eq(done)))
                .execute(conn)?;
        }
        if let Some(title) = &title {
            diesel::update(news_posts::table.find(id)).set(news_posts::title.eq(title)).execute(conn)?;
        }
        if let Some(body) = &edit.body_markdown {
            diesel::update(news_posts::table.find(id))
                .set((news_posts::body_markdown.eq(body), news_posts::body_html.eq(markdown::render(body))))
                .execute(conn)?;
        }
        if let Some(slug) = &slug {
            let updated = conn.transaction(|conn| {
                diesel::update(news_posts::table.find(id)).set(news_posts::slug.eq(slug)).execute(conn)
            });
            match updated {
                Err(e) if slug_taken(&e) => {
                    return Err(Error::Invalid(vec![FieldError::new("slug", "is already used by another post")
                        .translated("error-slug-taken", Vec::new())]))
                }
                other => other?,
            };
        }
        demeu_db::audit::record(conn, Some(actor), "news.edit", &format!("news_post:{id}"), &serde_json::json!({}))?;
        find(conn, id)
    })
}

/// What publishing did.
#[derive(Debug, Clone)]
pub struct Published {
    /// The post as it is now.
    pub post: Post,
    /// True only the first time the post is published: the time to tell subscribers.
    pub first_time: bool,
}

/// Publishes a post inside the caller's transaction, so that the mail it causes is enqueued in
/// the same unit of work.
pub fn publish_in(conn: &mut DbConn, id: PostId, actor: StaffUserId) -> Result<Published, Error> {
    let now = demeu_db::now();
    let post = find(conn, id)?;
    diesel::update(news_posts::table.find(id))
        .set((
            news_posts::status.eq(PostStatus::Published),
            news_posts::published_at.eq(post.published_at.unwrap_or(now)),
        ))
        .execute(conn)?;
    let first_time = diesel::update(news_posts::table.find(id).filter(news_posts::first_published_at.is_null()))
        .set(news_posts::first_published_at.eq(now))
        .execute(conn)?
        == 1;
    demeu_db::audit::record(
        conn,
        Some(actor),
        "news.publish",
        &format!("news_post:{id}"),
        &serde_json::json!({"first_time": first_time}),
    )?;
    Ok(Published { post: find(conn, id)?, first_time })
}

/// Withdraws a published post (back to draft; it keeps its first publication date).
pub fn unpublish(conn: &mut DbConn, id: PostId, actor: StaffUserId) -> Result<Post, Error> {
    conn.write_transaction(|conn| {
        let changed = diesel::update(news_posts::table.find(id))
            .set((news_posts::status.eq(PostStatus::Draft), news_posts::published_at.eq(None::<NaiveDateTime>)))
            .execute(conn)?;
        if changed == 0 {
            return Err(Error::NotFound("post"));
        }
        demeu_db::audit::record(
            conn,
            Some(actor),
            "news.unpublish",
            &format!("news_post:{id}"),
            &serde_json::json!({}),
        )?;
        find(conn, id)
    })
}

/// Deletes a draft that was never published; anything readers may have seen stays.
pub fn delete_draft(conn: &mut DbConn, id: PostId, actor: StaffUserId) -> Result<(), Error> {
    conn.write_transaction(|conn| {
        let post = find(conn, id)?;
        if post.first_published_at.is_some() {
            return Err(Error::Conflict(
                "only a draft that was never published can be deleted; unpublish it instead".into(),
            ));
        }
        diesel::delete(news_posts::table.find(id)).execute(conn)?;
        demeu_db::audit::record(
            conn,
            Some(actor),
            "news.delete",
            &format!("news_post:{id}"),
            &serde_json::json!({"slug": post.slug}),
        )?;
        Ok(())
    })
}

/// Published posts of a campaign, newest first.
pub fn list_published(
    conn: &mut DbConn,
    campaign_id: CampaignId,
    limit: i64,
    cursor: Option<&str>,
) -> Result<Page<Post>, Error> {
    let mut query = news_posts::table
        .filter(news_posts::campaign_id.eq(campaign_id))
        .filter(news_posts::status.eq(PostStatus::Published))
        .select(Post::as_select())
        .order((news_posts::published_at.desc(), news_posts::id.desc()))
        .limit(limit + 1)
        .into_boxed();
    if let Some(cursor) = cursor {
        let (at, id) = decode_cursor(cursor).map_err(Error::from)?;
        query = query
            .filter(news_posts::published_at.lt(at).or(news_posts::published_at.eq(at).and(news_posts::id.lt(id))));
    }
    let rows = query.load(conn)?;
    Ok(paginate(rows, limit, |p: &Post| encode_cursor(p.published_at.unwrap_or(p.created_at), &p.id.to_string())))
}

/// One published post by its slug.
pub fn find_published(conn: &mut DbConn, campaign_id: CampaignId, slug: &str) -> Result<Post, Error> {
    news_posts::table
        .filter(news_posts::campaign_id.eq(campaign_id))
        .filter(news_posts::slug.eq(slug))
        .filter(news_posts::status.eq(PostStatus::Published))
        .select(Post::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("post"))
}

/// Every post of a campaign for staff, drafts too, newest first.
pub fn list_all(conn: &mut DbConn, campaign_id: CampaignId) -> Result<Vec<Post>, Error> {
    Ok(news_posts::table
        .filter(news_posts::campaign_id.eq(campaign_id))
        .select(Post::as_select())
        .order(news_posts::created_at.desc())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slugs_read_well_in_both_languages() {
        assert_eq!(slugify("School of Mentors: Summer 2026!"), "school-of-mentors-summer-2026");
        assert_eq!(slugify("Школа наставников"), "shkola-nastavnikov");
        assert_eq!(slugify("  --  "), "");
    }

    proptest! {
        #[test]
        fn a_slug_from_any_title_is_valid_or_empty(title in "\\PC{0,120}") {
            let slug = slugify(&title);
            prop_assert!(slug.is_empty() || check_slug(&slug).is_ok(), "{slug}");
        }
    }
}

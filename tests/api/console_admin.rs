//! The admin's console pages over real HTTP: accounts made, changed and disabled through the
//! forms with the API's rules, the audit log read and filtered, one's own password changed;
//! every role checked by the server and every form's CSRF token checked first.

use demeu_api::auth::{self, NewStaffUser, Role, StaffUser};
use demeu_db::audit::AuditFilter;
use reqwest::header::LOCATION;
use reqwest::Response;
use serde_json::json;

use crate::console::{csrf_in, get, post, sign_in};
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    an_admin_creates_an_editor_who_can_then_sign_in,
    an_admin_changes_a_role_and_disables_an_account,
    editors_and_accountants_are_refused_the_admin_pages,
    admin_forms_without_their_csrf_token_change_nothing,
    the_audit_page_lists_and_filters_the_actions,
    the_audit_log_pages_by_time_then_id,
    changing_ones_password_ends_the_other_sessions_only,
    changing_a_password_keeps_only_the_session_that_asked,
);

const PASSWORD: &str = "a long enough password";

/// The `name=value` of a `Set-Cookie`, to send back.
fn cookie_of(res: &Response, name: &str) -> Option<String> {
    crate::console::cookie_of(res, name).and_then(|c| c.split(';').next().map(str::to_string))
}

/// A console session of `email`: the session cookie's `name=value`.
async fn session(app: &TestApp, email: &str, password: &str) -> String {
    let res = sign_in(app, email, password).await;
    assert_eq!(res.status(), 303, "{email} signs in");
    cookie_of(&res, "demeu_staff").expect("a session cookie")
}

/// An account made as the command line makes one.
async fn account(app: &TestApp, role: Role) -> StaffUser {
    let email = format!("{}-{}@dara.kz", role.as_str(), uuid::Uuid::new_v4().simple());
    let new = NewStaffUser { email, password: PASSWORD.into(), role };
    app.pool.run(move |conn| auth::create_user(conn, None, &new)).await.expect("an account")
}

/// A signed-in staff member with `role`: who, and the session cookie.
async fn staff(app: &TestApp, role: Role) -> (StaffUser, String) {
    let user = account(app, role).await;
    let cookie = session(app, &user.email, PASSWORD).await;
    (user, cookie)
}

async fn accounts(app: &TestApp) -> Vec<StaffUser> {
    app.pool.run(auth::list_users).await.expect("accounts")
}

async fn find(app: &TestApp, email: &str) -> Option<StaffUser> {
    accounts(app).await.into_iter().find(|u| u.email == email)
}

async fn html(res: Response) -> String {
    assert_eq!(res.status(), 200);
    res.text().await.expect("html")
}

fn location(res: &Response) -> Option<&str> {
    res.headers().get(LOCATION).and_then(|v| v.to_str().ok())
}

async fn an_admin_creates_an_editor_who_can_then_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, cookie) = staff(&app, Role::Admin).await;
    let page = html(get(&app, &cookie, "/staff/users").await).await;
    for link in ["href=\"/staff/users\"", "href=\"/staff/audit\"", "href=\"/staff/password\""] {
        assert!(page.contains(link), "the admin's menu has {link}");
    }
    assert!(page.contains(&admin.email) && page.contains("(you)"), "the accounts are listed");
    let csrf = csrf_in(&page);
    let email = "dana@dara.kz";

    // Refused: the form again beside its message, what was typed kept, nothing made.
    let cases = [
        (email, "editor", "short", 422, "Password: must be at least 12 characters"),
        ("not an address", "editor", PASSWORD, 422, "Email: "),
        (email, "owner", PASSWORD, 422, "Role: "),
        (admin.email.as_str(), "editor", PASSWORD, 409, "already exists"),
    ];
    for (address, role, password, status, message) in cases {
        let form = [("email", address), ("role", role), ("password", password), ("csrf", csrf.as_str())];
        let res = post(&app, &cookie, "/staff/users", &form).await;
        assert_eq!(res.status(), status, "{form:?}");
        let page = res.text().await.expect("html");
        assert!(page.contains(message), "{message:?} in the page");
        assert!(page.contains(&format!("value=\"{}\"", form[0].1)), "the address typed is kept");
        assert!(!page.contains(PASSWORD) && !page.contains("value=\"short\""), "never a password");
    }
    assert_eq!(accounts(&app).await.len(), 1, "nothing made");

    let res = post(
        &app,
        &cookie,
        "/staff/users",
        &[("csrf", &csrf), ("email", " Dana@Dara.KZ "), ("role", "editor"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, Some("/staff/users")));
    let page = html(get(&app, &cookie, "/staff/users").await).await;
    assert!(page.contains("dana@dara.kz"), "listed");
    let dana = find(&app, email).await.expect("made");
    assert_eq!((dana.role, dana.active), (Role::Editor, true));

    // The editor signs in with the initial password and sees the editor's console.
    let editor = session(&app, email, PASSWORD).await;
    let menu = html(get(&app, &editor, "/staff/news").await).await;
    assert!(menu.contains("href=\"/staff/password\"") && !menu.contains("href=\"/staff/users\""), "an editor's menu");
    assert!(app.audit_actions().await.contains(&"staff.create".to_string()));
}

async fn an_admin_changes_a_role_and_disables_an_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, cookie) = staff(&app, Role::Admin).await;
    let (editor, editor_cookie) = staff(&app, Role::Editor).await;
    let csrf = csrf_in(&html(get(&app, &cookie, "/staff/users").await).await);
    let path = format!("/staff/users/{}", editor.id);

    // A new role applies to the sessions already open.
    let res = post(&app, &cookie, &path, &[("csrf", &csrf), ("action", "role"), ("role", "accountant")]).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, Some("/staff/users")));
    assert_eq!(find(&app, &editor.email).await.map(|u| u.role), Some(Role::Accountant));
    assert_eq!(get(&app, &editor_cookie, "/staff/news").await.status(), 403);
    assert_eq!(get(&app, &editor_cookie, "/staff").await.status(), 200);

    // Disabling (the role chosen beside the button is not applied): its sessions stop working
    // and it cannot sign in.
    let res = post(&app, &cookie, &path, &[("csrf", &csrf), ("action", "disable"), ("role", "admin")]).await;
    assert_eq!(res.status(), 303);
    let now = find(&app, &editor.email).await.expect("still there");
    assert_eq!((now.role, now.active), (Role::Accountant, false));
    let res = get(&app, &editor_cookie, "/staff").await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, Some("/staff/sign-in")));
    assert_eq!(sign_in(&app, &editor.email, PASSWORD).await.status(), 401);
    let page = html(get(&app, &cookie, "/staff/users").await).await;
    assert!(page.contains("disabled") && page.contains("value=\"enable\""), "shown disabled, with Enable");

    // Enabled again, it signs in.
    assert_eq!(post(&app, &cookie, &path, &[("csrf", &csrf), ("action", "enable")]).await.status(), 303);
    session(&app, &editor.email, PASSWORD).await;

    // As the API: an admin cannot demote or disable themself (409, the page says why).
    let own = format!("/staff/users/{}", admin.id);
    for form in [vec![("action", "disable")], vec![("action", "role"), ("role", "editor")]] {
        let mut form = form;
        form.push(("csrf", &csrf));
        let res = post(&app, &cookie, &own, &form).await;
        assert_eq!(res.status(), 409, "{form:?}");
        assert!(res.text().await.expect("html").contains("You cannot demote or disable your own account"));
    }
    let me = find(&app, &admin.email).await.expect("there");
    assert_eq!((me.role, me.active), (Role::Admin, true));
    // A button that is none of the form's: 422, nothing changed; an unknown account: 404.
    let res = post(&app, &cookie, &path, &[("csrf", &csrf), ("action", "delete")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("html").contains("Action: must be one of role, disable, enable"));
    let unknown = format!("/staff/users/{}", uuid::Uuid::new_v4());
    assert_eq!(post(&app, &cookie, &unknown, &[("csrf", &csrf), ("action", "disable")]).await.status(), 404);
    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "staff.update").count(), 3, "{actions:?}");
}

async fn editors_and_accountants_are_refused_the_admin_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = account(&app, Role::Admin).await;
    for role in [Role::Editor, Role::Accountant] {
        let (_, cookie) = staff(&app, role).await;
        let dashboard = html(get(&app, &cookie, "/staff").await).await;
        assert!(
            !dashboard.contains("href=\"/staff/users\"") && !dashboard.contains("href=\"/staff/audit\""),
            "not in the {role:?}'s menu"
        );
        assert!(dashboard.contains("href=\"/staff/password\""), "everyone's menu");
        for path in ["/staff/users", "/staff/audit", "/staff/audit?action=staff.create"] {
            assert_eq!(get(&app, &cookie, path).await.status(), 403, "{role:?} GET {path}");
        }
        // Forced, with a valid token of the session: still refused, nothing done.
        let csrf = csrf_in(&dashboard);
        let made = [("csrf", csrf.as_str()), ("email", "x@dara.kz"), ("role", "admin"), ("password", PASSWORD)];
        assert_eq!(post(&app, &cookie, "/staff/users", &made).await.status(), 403, "{role:?} POST");
        let path = format!("/staff/users/{}", admin.id);
        let disable = [("csrf", csrf.as_str()), ("action", "disable")];
        assert_eq!(post(&app, &cookie, &path, &disable).await.status(), 403, "{role:?} POST {path}");
    }
    assert!(find(&app, "x@dara.kz").await.is_none());
    assert_eq!(find(&app, &admin.email).await.map(|u| u.active), Some(true));
}

async fn admin_forms_without_their_csrf_token_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, cookie) = staff(&app, Role::Admin).await;
    let (_, other) = staff(&app, Role::Admin).await;
    let editor = account(&app, Role::Editor).await;
    let foreign = csrf_in(&html(get(&app, &other, "/staff").await).await);
    let path = format!("/staff/users/{}", editor.id);
    for token in [None, Some("0123456789abcdef0123456789abcdef"), Some(foreign.as_str())] {
        let with = |mut form: Vec<(&'static str, String)>| {
            if let Some(token) = token {
                form.push(("csrf", token.to_string()));
            }
            form
        };
        let forms = [
            (
                "/staff/users",
                with(vec![("email", "x@dara.kz".into()), ("role", "admin".into()), ("password", PASSWORD.into())]),
            ),
            (path.as_str(), with(vec![("action", "disable".into())])),
            (path.as_str(), with(vec![("action", "role".into()), ("role", "admin".into())])),
            (
                "/staff/password",
                with(vec![
                    ("current", PASSWORD.into()),
                    ("password", "a brand new password".into()),
                    ("repeat", "a brand new password".into()),
                ]),
            ),
        ];
        for (target, form) in forms {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = post(&app, &cookie, target, &form).await;
            assert_eq!(res.status(), 403, "{target} with {token:?}");
            assert!(res.text().await.expect("html").contains("nothing was changed"));
        }
    }
    assert!(find(&app, "x@dara.kz").await.is_none(), "no account made");
    let still = find(&app, &editor.email).await.expect("there");
    assert_eq!((still.role, still.active), (Role::Editor, true), "unchanged");
    session(&app, &admin.email, PASSWORD).await;
    let actions = app.audit_actions().await;
    assert!(!actions.iter().any(|a| a == "staff.update" || a == "staff.password"), "{actions:?}");
}

async fn the_audit_page_lists_and_filters_the_actions(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, cookie) = staff(&app, Role::Admin).await;
    let csrf = csrf_in(&html(get(&app, &cookie, "/staff/users").await).await);
    let form = [("csrf", csrf.as_str()), ("email", "erlan@dara.kz"), ("role", "editor"), ("password", PASSWORD)];
    assert_eq!(post(&app, &cookie, "/staff/users", &form).await.status(), 303);
    let erlan = find(&app, "erlan@dara.kz").await.expect("made");
    session(&app, &erlan.email, PASSWORD).await;
    let path = format!("/staff/users/{}", erlan.id);
    assert_eq!(post(&app, &cookie, &path, &[("csrf", &csrf), ("action", "disable")]).await.status(), 303);

    let page = html(get(&app, &cookie, "/staff/audit").await).await;
    let at = |action: &str| page.find(&format!(">{action}</a>"));
    let (update, create) = (at("staff.update").expect("the update"), at("staff.create").expect("the creation"));
    assert!(update < create, "newest first");
    assert!(at("staff.sign_in").is_some());
    assert!(page.contains(&format!("staff_user:{} (erlan@dara.kz)", erlan.id)), "the subject's address");
    assert!(page.contains("&quot;active&quot;:false"), "the details");
    assert!(!page.contains("rel=\"next\""), "one page");

    // By action: Erlan made by the admin, the admin by the command line.
    let page = html(get(&app, &cookie, "/staff/audit?action=staff.create").await).await;
    assert_eq!(page.matches(">staff.create</a>").count(), 2);
    assert!(page.contains(">system</td>"), "the command line");
    assert!(!page.contains(">staff.update</a>") && !page.contains(">staff.sign_in</a>"));
    assert!(page.contains(&format!(">{}</a>", admin.email)), "the actor by address");
    // By actor: Erlan only signed in.
    let page = html(get(&app, &cookie, &format!("/staff/audit?actor={}", erlan.id)).await).await;
    assert_eq!(page.matches(">staff.sign_in</a>").count(), 1);
    assert!(!page.contains(">staff.create</a>") && !page.contains(">staff.update</a>"));
    assert!(page.contains(&format!("<option value=\"{}\" selected>erlan@dara.kz</option>", erlan.id)), "kept");
    // Both, matching nothing.
    let page = html(get(&app, &cookie, &format!("/staff/audit?action=staff.create&actor={}", erlan.id)).await).await;
    assert!(page.contains("Nothing here."));
    // A cursor not from this list.
    assert_eq!(get(&app, &cookie, "/staff/audit?cursor=garbage").await.status(), 422);
}

async fn the_audit_log_pages_by_time_then_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, cookie) = staff(&app, Role::Admin).await;
    // 130 entries at three instants: ties broken by id, never skipped nor shown twice.
    let base = chrono::DateTime::from_timestamp(1_764_000_000, 0).expect("time").naive_utc();
    let mut written: Vec<(chrono::NaiveDateTime, String)> =
        (0..130).map(|n| (base + chrono::TimeDelta::seconds(n % 3), uuid::Uuid::new_v4().to_string())).collect();
    let rows = written.clone();
    app.pool
        .run(move |conn| {
            use demeu_db::schema::audit_log;
            use diesel::prelude::*;
            for (at, id) in rows {
                diesel::insert_into(audit_log::table)
                    .values((
                        audit_log::id.eq(id),
                        audit_log::actor_id.eq(None::<String>),
                        audit_log::action.eq("test.tick"),
                        audit_log::subject.eq("nothing"),
                        audit_log::details.eq("{}"),
                        audit_log::created_at.eq(at),
                    ))
                    .execute(conn)?;
            }
            Ok::<_, demeu_db::DbError>(())
        })
        .await
        .expect("written");
    written.sort_by(|a, b| b.cmp(a));

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let filter = AuditFilter { action: Some("test.tick".into()), actor: None };
        let page = app
            .pool
            .run(move |conn| demeu_db::audit::list(conn, &filter, 50, after).map_err(demeu_db::DbError::from))
            .await
            .expect("a page");
        assert!(page.items.len() <= 50);
        seen.extend(page.items.iter().map(|e| (e.created_at, e.id.clone())));
        match page.next_cursor {
            Some(cursor) => after = Some(demeu_db::page::decode_cursor(&cursor).expect("our cursor")),
            None => break,
        }
    }
    assert_eq!(seen, written, "every entry once, newest first, then by id");

    // The page shows 50 and links to the older ones, keeping the filter.
    let page = html(get(&app, &cookie, "/staff/audit?action=test.tick").await).await;
    assert_eq!(page.matches(">test.tick</a>").count(), 50);
    let older = page.split("rel=\"next\" href=\"").nth(1).and_then(|s| s.split('"').next()).expect("older");
    let older = older.replace("&amp;", "&");
    assert!(older.starts_with("/staff/audit?action=test.tick&cursor="), "{older}");
    let page = html(get(&app, &cookie, &older).await).await;
    assert_eq!(page.matches(">test.tick</a>").count(), 50);
    let older = page.split("rel=\"next\" href=\"").nth(1).and_then(|s| s.split('"').next()).expect("older");
    let page = html(get(&app, &cookie, &older.replace("&amp;", "&")).await).await;
    assert_eq!(page.matches(">test.tick</a>").count(), 30);
    assert!(!page.contains("rel=\"next\""), "the last page");
}

async fn changing_ones_password_ends_the_other_sessions_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let (me, cookie) = staff(&app, Role::Editor).await;
    let elsewhere = session(&app, &me.email, PASSWORD).await;
    let token = {
        let res = app.post_json("/api/v1/staff/sessions", &json!({"email": me.email, "password": PASSWORD})).await;
        assert_eq!(res.status(), 201);
        res.json::<serde_json::Value>().await.expect("JSON")["token"].as_str().expect("token").to_string()
    };
    assert_eq!(app.get_as(&token, "/api/v1/staff/comments?status=pending").await.status(), 200);
    let page = html(get(&app, &cookie, "/staff/password").await).await;
    assert!(page.contains("name=\"current\"") && page.contains("name=\"repeat\""));
    let csrf = csrf_in(&page);
    let new = "a brand new password";

    // A wrong current password: 401, the form says so, nothing changed.
    let res = post(
        &app,
        &cookie,
        "/staff/password",
        &[("csrf", &csrf), ("current", "not my password"), ("password", new), ("repeat", new)],
    )
    .await;
    assert_eq!(res.status(), 401);
    assert!(res.text().await.expect("html").contains("The current password is wrong"));
    // The new one typed differently, or too short: 422.
    let cases = [
        (new, "a brand new passw0rd", "The new password again: does not match the new password"),
        ("short", "short", "Password: must be at least 12 characters"),
    ];
    for (password, repeat, message) in cases {
        let form = [("csrf", csrf.as_str()), ("current", PASSWORD), ("password", password), ("repeat", repeat)];
        let res = post(&app, &cookie, "/staff/password", &form).await;
        assert_eq!(res.status(), 422, "{password} / {repeat}");
        assert!(res.text().await.expect("html").contains(message), "{message}");
    }
    assert_eq!(get(&app, &elsewhere, "/staff").await.status(), 200, "nothing changed yet");
    assert_eq!(sign_in(&app, &me.email, new).await.status(), 401);

    let form = [("csrf", csrf.as_str()), ("current", PASSWORD), ("password", new), ("repeat", new)];
    let res = post(&app, &cookie, "/staff/password", &form).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, Some("/staff/password?changed=1")));
    // This session goes on; the others, cookie or token, are ended.
    let done = html(get(&app, &cookie, "/staff/password?changed=1").await).await;
    assert!(done.contains("Your password is changed"), "said");
    assert_eq!(get(&app, &cookie, "/staff/news").await.status(), 200);
    let res = get(&app, &elsewhere, "/staff").await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, Some("/staff/sign-in")));
    assert_eq!(app.get_as(&token, "/api/v1/staff/comments?status=pending").await.status(), 401);
    // The old password no longer signs in; the new one does.
    assert_eq!(sign_in(&app, &me.email, PASSWORD).await.status(), 401);
    session(&app, &me.email, new).await;
    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "staff.password").count(), 1, "{actions:?}");
}

async fn changing_a_password_keeps_only_the_session_that_asked(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = account(&app, Role::Editor).await;
    let other = account(&app, Role::Editor).await;
    let (user, someone) = (me.clone(), other.clone());
    let (ended, live, gone, others, old, new) = app
        .pool
        .run(move |conn| {
            let here = auth::open_session(conn, user.id)?;
            let there = auth::open_session(conn, user.id)?;
            let theirs = auth::open_session(conn, someone.id)?;
            // Refused: nothing changes.
            let refused = auth::change_own_password(conn, &user, &here.token, "a brand new password", "other");
            assert!(matches!(refused, Err(demeu_api::auth::AuthError::Invalid(_))));
            assert!(auth::user_for_token(conn, &there.token)?.is_some());
            let ended =
                auth::change_own_password(conn, &user, &here.token, "a brand new password", "a brand new password")?;
            let hash = auth::credentials(conn, &user.email)?.expect("the account").password_hash;
            Ok::<_, demeu_api::problem::ApiError>((
                ended,
                auth::user_for_token(conn, &here.token)?.is_some(),
                auth::user_for_token(conn, &there.token)?.is_none(),
                auth::user_for_token(conn, &theirs.token)?.is_some(),
                auth::verify_password(PASSWORD, &hash),
                auth::verify_password("a brand new password", &hash),
            ))
        })
        .await
        .expect("changed");
    assert_eq!(ended, 1, "the one other session");
    assert!(live && gone && others, "this session stays, the account's other one ends, others' are untouched");
    assert!(!old && new, "the new hash");
    assert!(app.audit_actions().await.contains(&"staff.password".to_string()));
}

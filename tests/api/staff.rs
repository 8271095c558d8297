use demeu_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(
    sign_in_gives_a_token_that_works_until_sign_out,
    unknown_email_and_wrong_password_are_answered_alike,
    repeated_failures_are_slowed_down,
    roles_guard_the_staff_routes,
    admins_manage_accounts_and_every_change_is_audited,
    two_admins_demoting_each_other_at_once_leave_one_admin,
    the_audit_log_says_who_downloaded_the_donors_and_what_a_role_was,
    a_download_cut_short_is_audited_too,
);

async fn sign_in_gives_a_token_that_works_until_sign_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.staff_token(Role::Admin).await;
    assert_eq!(token.len(), 64);
    // The table holds the token's SHA-256, never the token: a copy of the database signs no one in.
    let stored: Vec<String> = app
        .pool
        .run(|conn| {
            use demeu_db::schema::staff_sessions::dsl::*;
            use diesel::prelude::*;
            staff_sessions.select(token_hash).load(conn).map_err(demeu_db::DbError::from)
        })
        .await
        .expect("sessions");
    use sha2::Digest;
    assert_eq!(stored, [hex::encode(sha2::Sha256::digest(token.as_bytes()))]);
    assert_eq!(app.get_as(&token, "/api/v1/staff/users").await.status(), 200);
    let res = app.client.delete(app.url("/api/v1/staff/sessions")).bearer_auth(&token).send().await.expect("sent");
    assert_eq!(res.status(), 204);
    assert_problem(app.get_as(&token, "/api/v1/staff/users").await, 401).await;
}

async fn unknown_email_and_wrong_password_are_answered_alike(backend: Backend) {
    let app = spawn_app(backend).await;
    app.staff_token(Role::Editor).await;
    let pool = app.pool.clone();
    let email: String = pool
        .run(|conn| {
            use diesel::prelude::*;
            demeu_db::schema::staff_users::table
                .select(demeu_db::schema::staff_users::email)
                .first::<String>(conn)
                .map_err(demeu_db::DbError::from)
        })
        .await
        .expect("an account");
    let wrong = app.post_json("/api/v1/staff/sessions", &json!({"email": email, "password": "not the password"})).await;
    let unknown = app
        .post_json("/api/v1/staff/sessions", &json!({"email": "nobody@dara.kz", "password": "not the password"}))
        .await;
    let a = assert_problem(wrong, 401).await;
    let b = assert_problem(unknown, 401).await;
    assert_eq!(a, b);
}

async fn repeated_failures_are_slowed_down(backend: Backend) {
    let app = spawn_app(backend).await;
    let attempt = json!({"email": "guess@dara.kz", "password": "guess guess guess"});
    for _ in 0..5 {
        assert_problem(app.post_json("/api/v1/staff/sessions", &attempt).await, 401).await;
    }
    let res = app.post_json("/api/v1/staff/sessions", &attempt).await;
    let retry_after: u64 = res.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!(retry_after >= 1);
    assert_problem(res, 429).await;
}

async fn roles_guard_the_staff_routes(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_problem(app.get("/api/v1/staff/users").await, 401).await;
    assert_problem(app.get_as("not-a-token", "/api/v1/staff/users").await, 401).await;
    let editor = app.staff_token(Role::Editor).await;
    let accountant = app.staff_token(Role::Accountant).await;
    assert_problem(app.get_as(&editor, "/api/v1/staff/users").await, 403).await;
    assert_problem(app.get_as(&accountant, "/api/v1/staff/users").await, 403).await;
    let path = "/api/v1/staff/campaigns/mentors/reconciliation";
    assert_problem(app.get_as(&editor, path).await, 403).await;
    let report: Value = app.get_as(&accountant, path).await.json().await.expect("JSON");
    assert_eq!(report["clean"], true);
    assert_eq!(report["ledger_raised"], 0);
}

async fn admins_manage_accounts_and_every_change_is_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.staff_token(Role::Admin).await;
    let res = app
        .post_as(
            &admin,
            "/api/v1/staff/users",
            &json!({"email": "Aigerim@Dara.kz", "password": "short", "role": "editor"}),
        )
        .await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(problem["errors"][0]["field"], "password");
    let res = app
        .post_as(
            &admin,
            "/api/v1/staff/users",
            &json!({"email": "Aigerim@Dara.kz", "password": "twelve chars ok", "role": "editor"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.expect("JSON");
    assert_eq!(created["email"], "aigerim@dara.kz");
    assert_eq!(created["role"], "editor");
    assert!(created.get("password_hash").is_none());
    let again = app
        .post_as(
            &admin,
            "/api/v1/staff/users",
            &json!({"email": "aigerim@dara.kz", "password": "twelve chars ok", "role": "editor"}),
        )
        .await;
    assert_problem(again, 409).await;

    // The new editor signs in, then is disabled: the session stops working at once.
    let res = app
        .post_json("/api/v1/staff/sessions", &json!({"email": "aigerim@dara.kz", "password": "twelve chars ok"}))
        .await;
    let token = res.json::<Value>().await.expect("JSON")["token"].as_str().expect("token").to_string();
    let id = created["id"].as_str().expect("id");
    let res = app
        .patch_as(&admin, &format!("/api/v1/staff/users/{id}"), &json!({"role": "accountant", "active": false}))
        .await;
    assert_eq!(res.status(), 200);
    let updated: Value = res.json().await.expect("JSON");
    assert_eq!((updated["role"].as_str(), updated["active"].as_bool()), (Some("accountant"), Some(false)));
    assert_problem(app.get_as(&token, "/api/v1/staff/campaigns/mentors/reconciliation").await, 401).await;
    let res = app
        .post_json("/api/v1/staff/sessions", &json!({"email": "aigerim@dara.kz", "password": "twelve chars ok"}))
        .await;
    assert_problem(res, 401).await;

    let missing = format!("/api/v1/staff/users/{}", uuid::Uuid::new_v4());
    assert_problem(app.patch_as(&admin, &missing, &json!({"active": true})).await, 404).await;
    assert_problem(app.patch_as(&admin, "/api/v1/staff/users/not-a-uuid", &json!({"active": true})).await, 404).await;

    let users: Value = app.get_as(&admin, "/api/v1/staff/users").await.json().await.expect("JSON");
    assert_eq!(users["users"].as_array().map(Vec::len), Some(2));

    let actions = app.audit_actions().await;
    for action in ["staff.create", "staff.sign_in", "staff.update"] {
        assert!(actions.iter().any(|a| a == action), "{action} is audited: {actions:?}");
    }
}

/// The active admins' ids, read from the database.
async fn active_admins(app: &crate::helpers::TestApp) -> Vec<String> {
    app.pool
        .run(|conn| {
            use demeu_db::schema::staff_users::dsl::*;
            use diesel::prelude::*;
            staff_users
                .filter(role.eq(Role::Admin))
                .filter(active.eq(true))
                .select(id)
                .load::<String>(conn)
                .map_err(demeu_db::DbError::from)
        })
        .await
        .expect("admins")
}

async fn two_admins_demoting_each_other_at_once_leave_one_admin(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.staff_token(Role::Admin).await;
    let second = app.staff_token(Role::Admin).await;
    let ids = active_admins(&app).await;
    assert_eq!(ids.len(), 2);
    // Which account each token signs in.
    let me = |token: &str| {
        use sha2::Digest;
        let hash = hex::encode(sha2::Sha256::digest(token.as_bytes()));
        let pool = app.pool.clone();
        async move {
            pool.run(move |conn| {
                use demeu_db::schema::staff_sessions::dsl::*;
                use diesel::prelude::*;
                staff_sessions
                    .filter(token_hash.eq(hash))
                    .select(user_id)
                    .first::<String>(conn)
                    .map_err(demeu_db::DbError::from)
            })
            .await
            .expect("session owner")
        }
    };
    let (first_id, second_id) = (me(&first).await, me(&second).await);
    for round in 0..10 {
        // Each demotes the other at the same moment; in the last round one disables the other
        // instead (which ends the disabled one's sessions, so it comes last).
        let (a_body, b_body) = match round {
            9 => (json!({"active": false}), json!({"role": "accountant"})),
            _ if round % 2 == 0 => (json!({"role": "editor"}), json!({"role": "accountant"})),
            _ => (json!({"role": "accountant"}), json!({"role": "editor"})),
        };
        let (to_second, to_first) =
            (format!("/api/v1/staff/users/{second_id}"), format!("/api/v1/staff/users/{first_id}"));
        let (a, b) = tokio::join!(app.patch_as(&first, &to_second, &a_body), app.patch_as(&second, &to_first, &b_body));
        let statuses = [a.status().as_u16(), b.status().as_u16()];
        let left = active_admins(&app).await;
        assert_eq!(left.len(), 1, "round {round}: one admin is left, answers {statuses:?}");
        // One change went through; the other was refused as the last admin's (409) or, if the
        // demotion came first, as no longer an admin's (403); in the last round, when the disable
        // came first, the disabled one's session was ended before its request was read (401).
        let refusals: &[u16] = if round == 9 { &[200, 401, 403, 409] } else { &[200, 403, 409] };
        assert!(statuses.contains(&200), "round {round}: {statuses:?}");
        assert!(statuses.iter().all(|s| refusals.contains(s)), "round {round}: {statuses:?}");
        if let Some(refused) = [a, b].into_iter().find(|r| r.status() == 409) {
            let problem = assert_problem(refused, 409).await;
            assert!(problem["detail"].as_str().is_some_and(|d| d.contains("last active admin")), "{problem}");
        }
        app.execute_sql("UPDATE staff_users SET role = 'admin'").await.expect("both admins again");
    }
}

async fn the_audit_log_says_who_downloaded_the_donors_and_what_a_role_was(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.staff_token(Role::Admin).await;
    let accountant = app.staff_token(Role::Accountant).await;
    for amount in [50_000, 60_000, 70_000] {
        app.pledge(amount).await;
    }
    // The accountant downloads the donors' file, filtered.
    let res = app.get_as(&accountant, "/api/v1/staff/pledges.csv?campaign=mentors&status=pending").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.expect("csv").lines().count(), 4, "a header and three pledges");
    // The admin makes the accountant an editor.
    let users: Value = app.get_as(&admin, "/api/v1/staff/users").await.json().await.expect("JSON");
    let target = users["users"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["role"] == "accountant"))
        .and_then(|u| u["id"].as_str())
        .expect("the accountant")
        .to_string();
    let res = app.patch_as(&admin, &format!("/api/v1/staff/users/{target}"), &json!({"role": "editor"})).await;
    assert_eq!(res.status(), 200);

    // Read through the staff API, as the console reads it; admins only.
    assert_problem(app.get_as(&accountant, "/api/v1/staff/audit").await, 403).await;
    let exports: Value =
        app.get_as(&admin, "/api/v1/staff/audit?action=pledges.export").await.json().await.expect("JSON");
    let export = &exports["items"][0];
    assert_eq!(export["actor"], target, "{exports}");
    assert_eq!(export["details"]["rows"], 3, "{exports}");
    assert_eq!(export["details"]["complete"], true, "{exports}");
    assert_eq!(export["details"]["filters"], "campaign=mentors&status=pending", "{exports}");
    assert!(export["at"].is_string() && export["id"].is_string());
    let changes: Value =
        app.get_as(&admin, "/api/v1/staff/audit?action=staff.update").await.json().await.expect("JSON");
    let change = &changes["items"][0];
    assert_eq!(change["target"], format!("staff_user:{target}"));
    assert_eq!(
        (change["details"]["old_role"].as_str(), change["details"]["role"].as_str()),
        (Some("accountant"), Some("editor"))
    );

    // Pages: newest first, by actor, with a cursor that goes on where the page ended.
    let first: Value = app.get_as(&admin, "/api/v1/staff/audit?limit=1").await.json().await.expect("JSON");
    assert_eq!(first["items"][0]["action"], "staff.update");
    let cursor = first["next_cursor"].as_str().expect("more pages");
    let second: Value =
        app.get_as(&admin, &format!("/api/v1/staff/audit?limit=1&cursor={cursor}")).await.json().await.expect("JSON");
    assert_eq!(second["items"][0]["action"], "pledges.export");
    let by_target: Value =
        app.get_as(&admin, &format!("/api/v1/staff/audit?actor={target}")).await.json().await.expect("JSON");
    assert!(by_target["items"].as_array().is_some_and(|items| items.iter().all(|i| i["actor"] == target.as_str())));
    let problem = assert_problem(app.get_as(&admin, "/api/v1/staff/audit?limit=0").await, 422).await;
    assert_eq!(problem["errors"][0]["field"], "limit");
}

/// A download the client abandons part way is in the log too, with the rows it was sent and
/// `complete: false`: an auditor asks about those first.
async fn a_download_cut_short_is_audited_too(backend: Backend) {
    let app = spawn_app(backend).await;
    app.load_pledges("mentors", 1, 5_000).await;
    let admin = app.staff_token(Role::Admin).await;
    let accountant = app.staff_token(Role::Accountant).await;
    let mut res = app.get_as(&accountant, "/api/v1/staff/pledges.csv").await;
    assert_eq!(res.status(), 200);
    let first = res.chunk().await.expect("a chunk").expect("the first chunk");
    assert!(!first.is_empty());
    drop(res);
    let started = std::time::Instant::now();
    let export = loop {
        let page: Value =
            app.get_as(&admin, "/api/v1/staff/audit?action=pledges.export").await.json().await.expect("JSON");
        if let Some(entry) = page["items"].get(0) {
            break entry.clone();
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the cut download is logged");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(export["details"]["complete"], false, "{export}");
    assert!(export["details"]["rows"].as_u64().is_some_and(|rows| rows < 5_000), "{export}");
}

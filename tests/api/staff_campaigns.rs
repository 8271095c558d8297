//! Staff's campaigns through the API (issue 23): admins create a draft, open and close it and
//! set the money; editors the words; a money field of an open campaign changes only with a
//! reason, audited with the old and new values; every bad input is a 422 naming the field and
//! stores nothing.

use demeu_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    an_admin_creates_a_draft_opens_it_and_donors_see_it,
    every_bad_field_is_named_and_nothing_is_stored,
    editors_change_words_and_admins_money,
    a_money_change_of_an_open_campaign_needs_a_reason_and_is_audited,
    closing_names_its_successor_and_happens_once,
);

pub(crate) fn autumn() -> Value {
    json!({
        "slug": "autumn-school",
        "titles": {"kk": "Күзгі Тәлімгерлер мектебі", "ru": "Осенняя Школа наставников", "en": "Autumn School of Mentors"},
        "summaries": {"ru": "Вторая Школа наставников в этом году."},
        "stories": {"ru": "## Зачем\n\nЧтобы у детей были **наставники**.", "en": "Why: mentors."},
        "currency": "KZT",
        "goal": 22_500_000,
        "min_pledge": 50_000,
        "max_pledge": 500_000_000,
        "presets": [{"amount": 500_000, "labels": {"ru": "час работы психолога"}}, {"amount": 1_000_000}],
        "plan": [
            {"key": "school", "titles": {"kk": "Мектеп", "ru": "Школа", "en": "School"}, "tier": "goal", "target": 22_500_000},
            {"key": "books", "titles": {"ru": "Учебники"}, "tier": "overflow"}
        ],
        "starts_at": "2026-09-01T00:00:00Z",
        "locale": "ru"
    })
}

async fn campaign_count(app: &TestApp) -> i64 {
    app.pool
        .run(|conn| {
            use demeu_db::schema::campaigns;
            use diesel::prelude::*;
            campaigns::table.count().get_result::<i64>(conn).map_err(demeu_db::DbError::from)
        })
        .await
        .expect("counted")
}

async fn campaign_actions(app: &TestApp) -> Vec<String> {
    app.audit_actions().await.into_iter().filter(|a| a.starts_with("campaign.")).collect()
}

async fn an_admin_creates_a_draft_opens_it_and_donors_see_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.staff_token(Role::Admin).await;
    let res = app.post_as(&admin, "/api/v1/staff/campaigns", &autumn()).await;
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.expect("JSON");
    assert_eq!((made["state"].as_str(), made["status"].as_str()), (Some("draft"), Some("upcoming")));
    assert_eq!(made["titles"]["kk"], "Күзгі Тәлімгерлер мектебі");
    assert_eq!(
        made["presets"][0],
        json!({"amount": 500_000, "labels": {"kk": null, "ru": "час работы психолога", "en": null}, "default": false})
    );
    assert_eq!(made["plan"][1]["target"], Value::Null);

    // A draft: staff see it, the public does not.
    let listed = app.get_as(&admin, "/api/v1/staff/campaigns").await.json::<Value>().await.expect("JSON");
    let states: Vec<(&str, &str)> = listed["campaigns"]
        .as_array()
        .expect("list")
        .iter()
        .map(|c| (c["slug"].as_str().expect("slug"), c["state"].as_str().expect("state")))
        .collect();
    assert_eq!(states, [("autumn-school", "draft"), ("mentors", "open")]);
    assert_eq!(app.get("/api/v1/campaigns/autumn-school").await.status(), 404);
    assert_eq!(app.get("/campaigns/autumn-school").await.status(), 404);

    let res = app.post_as(&admin, "/api/v1/staff/campaigns/autumn-school/open", &json!({})).await;
    assert_eq!(res.status(), 200);
    // Public at once: the snapshot was refreshed before the answer.
    let public = app.get_json("/api/v1/campaigns/autumn-school?lang=kk").await;
    assert_eq!(
        (public["title"].as_str(), public["status"].as_str()),
        (Some("Күзгі Тәлімгерлер мектебі"), Some("active"))
    );
    assert_eq!(public["allocation"][0]["title"], "Мектеп");
    assert_eq!(public["allocation"][1]["title"], "Учебники", "no Kazakh title: the campaign's language");
    let html = app.get("/campaigns/autumn-school?lang=ru").await.text().await.expect("html");
    assert!(html.contains("<h1>Осенняя Школа наставников</h1>"), "{html}");
    assert!(html.contains("<strong>наставники</strong>"), "the story's Markdown");
    assert!(html.contains("час работы психолога"), "the preset's label");
    let pledge = app.post_json("/api/v1/campaigns/autumn-school/pledges", &json!({"amount": 500_000})).await;
    assert_eq!(pledge.status(), 201, "a donor gives on it");
    assert_eq!(campaign_actions(&app).await, ["campaign.create", "campaign.open"]);
}

/// A change made to a good request.
type Change = Box<dyn Fn(&mut Value)>;

async fn every_bad_field_is_named_and_nothing_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.staff_token(Role::Admin).await;
    let before = campaign_count(&app).await;
    let cases: Vec<(Change, Vec<&str>)> = vec![
        (Box::new(|c| c["slug"] = json!("Autumn School")), vec!["slug"]),
        (Box::new(|c| c["slug"] = json!("mentors")), vec!["slug"]),
        (Box::new(|c| c["plan"][1]["titles"] = json!({"en": "Books"})), vec!["plan[1].titles.ru"]),
        (Box::new(|c| c["presets"][0]["amount"] = json!(100)), vec!["presets[0].amount"]),
        (Box::new(|c| c["ends_at"] = json!("2026-08-01T00:00:00Z")), vec!["ends_at"]),
        (Box::new(|c| c["titles"]["kz"] = json!("Күз")), vec!["titles.kz"]),
        (Box::new(|c| c["stories"]["de"] = json!("x")), vec!["stories.de"]),
        (Box::new(|c| c["locale"] = json!("de")), vec!["locale"]),
        (Box::new(|c| c["currency"] = json!("RUB")), vec!["currency"]),
        (Box::new(|c| c["goal"] = json!(1)), vec!["goal"]),
        (Box::new(|c| c["plan"][0]["tier"] = json!("stretch")), vec!["plan[0].tier"]),
        (Box::new(|c| c["titles"]["ru"] = json!("x".repeat(121))), vec!["titles.ru"]),
        (Box::new(|c| c["titles"]["ru"] = json!("")), vec!["titles.ru"]),
        (Box::new(|c| c["titles"]["ru"] = json!("Осень\u{202e}")), vec!["titles.ru"]),
        (
            Box::new(|c| {
                c["slug"] = json!("-");
                c["min_pledge"] = json!(0);
                c["titles"] = json!({"en": "Autumn"});
            }),
            vec!["titles.ru", "min_pledge"],
        ),
    ];
    for (change, fields) in cases {
        let mut body = autumn();
        change(&mut body);
        let problem = assert_problem(app.post_as(&admin, "/api/v1/staff/campaigns", &body).await, 422).await;
        let named: Vec<&str> =
            problem["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
        for field in &fields {
            assert!(named.contains(field), "{field} named: {problem}");
        }
    }
    assert_eq!(campaign_count(&app).await, before, "nothing stored");
    assert!(campaign_actions(&app).await.is_empty(), "nothing audited");
    // Not JSON, or an unknown field: refused, not half-read.
    let mut unknown = autumn();
    unknown["colour"] = json!("red");
    assert_problem(app.post_as(&admin, "/api/v1/staff/campaigns", &unknown).await, 422).await;
}

async fn editors_change_words_and_admins_money(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, editor, accountant) = (
        app.staff_token(Role::Admin).await,
        app.staff_token(Role::Editor).await,
        app.staff_token(Role::Accountant).await,
    );
    assert_problem(app.post_as(&editor, "/api/v1/staff/campaigns", &autumn()).await, 403).await;
    assert_eq!(app.post_as(&admin, "/api/v1/staff/campaigns", &autumn()).await.status(), 201);
    assert_problem(app.post_as(&editor, "/api/v1/staff/campaigns/autumn-school/open", &json!({})).await, 403).await;
    assert_problem(
        app.patch_as(&accountant, "/api/v1/staff/campaigns/mentors", &json!({"titles": {"en": "x"}})).await,
        403,
    )
    .await;

    // An editor fixes a typo in the English title and a plan line's Kazakh title: words.
    let mentors = app.get_as(&editor, "/api/v1/staff/campaigns/mentors").await.json::<Value>().await.expect("JSON");
    let mut plan: Vec<Value> = mentors["plan"]
        .as_array()
        .expect("plan")
        .iter()
        .map(|l| json!({"key": l["key"], "titles": l["titles"], "tier": l["tier"], "target": l["target"]}))
        .collect();
    plan[0]["titles"]["kk"] = json!("Жазғы мектеп");
    let res = app
        .patch_as(&editor, "/api/v1/staff/campaigns/mentors", &json!({"titles": {"en": "The Mentors"}, "plan": plan}))
        .await;
    assert_eq!(res.status(), 200);
    let edited: Value = res.json().await.expect("JSON");
    assert_eq!(edited["titles"], json!({"kk": "Тәлімгерлер", "ru": "Наставники", "en": "The Mentors"}));
    assert_eq!(app.get_json("/api/v1/campaigns/mentors?lang=kk").await["allocation"][0]["title"], "Жазғы мектеп");
    assert_eq!(app.get_json("/api/v1/campaigns/mentors?lang=en").await["title"], "The Mentors", "public at once");

    // Money is an admin's: the goal, a line's target, a preset's amount, the dates.
    for patch in [
        json!({"goal": 60_000_000, "reason": "r"}),
        json!({"presets": [{"amount": 700_000}], "reason": "r"}),
        json!({"ends_at": "2027-01-01T00:00:00Z", "reason": "r"}),
    ] {
        let problem = assert_problem(app.patch_as(&editor, "/api/v1/staff/campaigns/mentors", &patch).await, 403).await;
        assert!(problem["detail"].as_str().expect("detail").starts_with("only an admin may change"), "{problem}");
    }
    let res = app
        .patch_as(
            &admin,
            "/api/v1/staff/campaigns/mentors",
            &json!({"ends_at": "2027-01-01T00:00:00Z", "reason": "the School moved"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let days = app.get_json("/api/v1/campaigns/mentors").await["days_left"].as_i64().expect("days left");
    assert!(days > 0, "{days}");
}

async fn a_money_change_of_an_open_campaign_needs_a_reason_and_is_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.staff_token(Role::Admin).await;
    // 30 000 ₸ raised.
    for _ in 0..3 {
        let created = app.post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 1_000_000})).await;
        let created: Value = created.json().await.expect("JSON");
        let path =
            created["checkout_url"].as_str().expect("url").trim_start_matches("http://127.0.0.1:8080").to_string();
        app.client.post(app.url(&format!("{path}/pay"))).send().await.expect("paid");
    }
    let lower = json!({
        "goal": 2_000_000,
        "plan": [
            {"key": "summer-school", "titles": {"ru": "Летняя школа"}, "tier": "goal", "target": 2_000_000},
            {"key": "textbooks", "titles": {"ru": "Учебники"}, "tier": "overflow"}
        ]
    });
    let problem = assert_problem(app.patch_as(&admin, "/api/v1/staff/campaigns/mentors", &lower).await, 422).await;
    assert_eq!(problem["errors"][0]["field"], "reason");
    assert!(problem["errors"][0]["message"].as_str().expect("message").contains("goal, plan"), "{problem}");
    assert_eq!(app.get_json("/api/v1/campaigns/mentors").await["goal"], 52_500_000, "nothing changed");

    let mut with_reason = lower.clone();
    with_reason["reason"] = json!("The board cut the summer budget");
    let res = app.patch_as(&admin, "/api/v1/staff/campaigns/mentors", &with_reason).await;
    assert_eq!(res.status(), 200);
    // A goal below what is raised: allowed, and shown as it is; the plan filled from the ledger.
    let public = app.get_json("/api/v1/campaigns/mentors").await;
    assert_eq!((public["goal"].as_i64(), public["raised"].as_i64()), (Some(2_000_000), Some(3_000_000)));
    assert_eq!(public["percent"], 150.0);
    assert_eq!(public["allocation"][0]["funded"], 2_000_000);
    assert_eq!(public["allocation"][1]["funded"], 1_000_000);
    let html = app.get("/campaigns/mentors?lang=ru").await.text().await.expect("html");
    assert!(html.contains("30 000 ₸") && html.contains("20 000 ₸"), "raised beyond the goal, said honestly");

    let audit =
        app.get_as(&admin, "/api/v1/staff/audit?action=campaign.edit").await.json::<Value>().await.expect("JSON");
    let details = &audit["items"][0]["details"];
    assert_eq!(details["reason"], "The board cut the summer budget");
    assert_eq!(details["money"]["goal"], json!({"old": 52_500_000, "new": 2_000_000}));
    assert!(details["money"]["plan"]["old"].is_array());
    assert_eq!(details["texts"], json!(["plan.titles"]));

    // An open campaign's slug and currency are fixed.
    let problem = assert_problem(
        app.patch_as(
            &admin,
            "/api/v1/staff/campaigns/mentors",
            &json!({"slug": "mentors-2", "currency": "USD", "reason": "r"}),
        )
        .await,
        422,
    )
    .await;
    let named: Vec<&str> =
        problem["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("f")).collect();
    assert!(named.contains(&"slug") && named.contains(&"currency"), "{problem}");
    app.assert_reconciled().await;
}

async fn closing_names_its_successor_and_happens_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.staff_token(Role::Admin).await;
    assert_eq!(app.post_as(&admin, "/api/v1/staff/campaigns", &autumn()).await.status(), 201);
    let close = |body: Value| {
        let (app, admin) = (&app, &admin);
        async move { app.post_as(admin, "/api/v1/staff/campaigns/mentors/close", &body).await }
    };
    let problem = assert_problem(close(json!({"continues_as": "nope"})).await, 422).await;
    assert_eq!(problem["errors"][0]["field"], "continues_as");
    let problem = assert_problem(close(json!({"continues_as": "autumn-school"})).await, 422).await;
    assert_eq!(problem["errors"][0]["message"], "must be an open campaign", "a draft cannot take them");
    let problem = assert_problem(close(json!({"continues_as": "mentors"})).await, 422).await;
    assert_eq!(problem["errors"][0]["field"], "continues_as");
    assert_eq!(app.post_as(&admin, "/api/v1/staff/campaigns/autumn-school/open", &json!({})).await.status(), 200);
    let res = close(json!({"continues_as": "autumn-school"})).await;
    assert_eq!(res.status(), 200);
    let closed: Value = res.json().await.expect("JSON");
    assert_eq!((closed["state"].as_str(), closed["status"].as_str()), (Some("closed"), Some("ended")));
    assert!(closed["closed_at"].is_string());
    assert_problem(close(json!({})).await, 409).await;
    assert_problem(app.post_as(&admin, "/api/v1/staff/campaigns/mentors/open", &json!({})).await, 409).await;
    let refused = app.post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 500_000})).await;
    assert_problem(refused, 422).await;
    let audit =
        app.get_as(&admin, "/api/v1/staff/audit?action=campaign.close").await.json::<Value>().await.expect("JSON");
    assert_eq!(audit["items"][0]["details"]["continues_as"], "autumn-school");
}

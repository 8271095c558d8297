//! The accountants' routes: the pledge list and its CSV, offline gifts, refunds, reconciliation.

use demeu_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    offline_gifts_count_at_once_and_are_audited,
    the_pledge_list_filters_and_exports_csv,
    refunds_count_when_the_provider_confirms,
    money_routes_need_an_accountant,
    typed_amounts_are_capped_and_totals_cannot_overflow,
    the_database_refuses_impossible_amounts,
    a_search_finds_any_case_in_any_script,
    a_text_search_reads_a_bounded_window_and_goes_on,
    the_csv_streams_every_page_newest_first,
    reconciliation_names_each_pledge_that_disagrees,
);

async fn offline_gifts_count_at_once_and_are_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.staff_token(Role::Accountant).await;
    let path = "/api/v1/staff/campaigns/mentors/offline-pledges";
    let gift = json!({"amount": 1_000_000, "donor_name": "Фонд друзей", "email": "friends@example.kz", "method": "kaspi",
                      "reference": "KASPI-77", "received_at": "2026-11-20T10:00:00Z"});
    let res = app.post_as(&token, path, &gift).await;
    assert_eq!(res.status(), 201);
    let pledge: Value = res.json().await.expect("JSON");
    assert_eq!(
        (pledge["method"].as_str(), pledge["status"].as_str(), pledge["counted"].as_i64()),
        (Some("kaspi"), Some("paid"), Some(1_000_000))
    );
    assert_eq!(pledge["counted_at"], "2026-11-20T10:00:00Z");
    assert_eq!(app.progress().await, (1_000_000, 1));
    for (bad, field) in [
        (json!({"amount": 0, "method": "cash", "reference": "r"}), "amount"),
        (json!({"amount": 100, "method": "cheque", "reference": "r"}), "method"),
        (json!({"amount": 100, "method": "cash", "reference": " "}), "reference"),
        (json!({"amount": 100, "method": "cash", "reference": "r", "email": "x"}), "email"),
        (
            json!({"amount": 100, "method": "cash", "reference": "r", "received_at": "2099-01-01T00:00:00Z"}),
            "received_at",
        ),
    ] {
        let problem = assert_problem(app.post_as(&token, path, &bad).await, 422).await;
        assert_eq!(problem["errors"][0]["field"], field, "{bad}");
        if field == "amount" {
            // In money, never in minor units.
            assert_eq!(problem["errors"][0]["message"], "must be between 0.01 ₸ and 500 000 000 ₸", "{problem}");
        }
    }
    assert_eq!(app.progress().await, (1_000_000, 1), "refused gifts change nothing");
    // An offline refund counts at once.
    let id = pledge["id"].as_str().expect("id");
    let res = app.post_as(&token, &format!("/api/v1/staff/pledges/{id}/refunds"), &json!({"amount": 250_000})).await;
    assert_eq!(res.status(), 202);
    assert_eq!(res.json::<Value>().await.expect("JSON")["status"], "counted");
    assert_eq!(app.progress().await, (750_000, 1));
    let problem = assert_problem(
        app.post_as(&token, &format!("/api/v1/staff/pledges/{id}/refunds"), &json!({"amount": 750_001})).await,
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "amount");
    let actions = app.audit_actions().await;
    assert!(
        actions.contains(&"pledge.offline".to_string()) && actions.contains(&"pledge.refund".to_string()),
        "{actions:?}"
    );
    let report: Value =
        app.get_as(&token, "/api/v1/staff/campaigns/mentors/reconciliation").await.json().await.expect("JSON");
    assert_eq!((report["clean"].as_bool(), report["ledger_raised"].as_i64()), (Some(true), Some(750_000)));
}

async fn the_pledge_list_filters_and_exports_csv(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.staff_token(Role::Accountant).await;
    for (amount, name) in [(100_000, "Asel, \"the\" donor"), (200_000, "Bolat"), (300_000, "Dana")] {
        let res = app
            .post_json(
                "/api/v1/campaigns/mentors/pledges",
                &json!({"amount": amount, "donor_name": name, "email": format!("{}@example.kz", amount)}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let all: Value = app.get_as(&token, "/api/v1/staff/pledges").await.json().await.expect("JSON");
    let pledges = all["pledges"].as_array().expect("list");
    assert_eq!(pledges.len(), 3);
    assert_eq!(pledges[0]["donor_name"], "Dana", "newest first");
    assert_eq!(pledges[0]["email"], "300000@example.kz", "staff see the email");
    let found: Value = app.get_as(&token, "/api/v1/staff/pledges?q=BOLAT").await.json().await.expect("JSON");
    assert_eq!(found["pledges"].as_array().map(Vec::len), Some(1));
    let pending: Value =
        app.get_as(&token, "/api/v1/staff/pledges?status=pending&campaign=mentors").await.json().await.expect("JSON");
    assert_eq!(pending["pledges"].as_array().map(Vec::len), Some(3));
    let paid: Value = app.get_as(&token, "/api/v1/staff/pledges?status=paid").await.json().await.expect("JSON");
    assert_eq!(paid["pledges"].as_array().map(Vec::len), Some(0));
    assert_problem(app.get_as(&token, "/api/v1/staff/pledges?status=lost").await, 422).await;
    let online: Value = app.get_as(&token, "/api/v1/staff/pledges?method=online").await.json().await.expect("JSON");
    assert_eq!(online["pledges"].as_array().map(Vec::len), Some(3));
    let cash: Value = app.get_as(&token, "/api/v1/staff/pledges?method=cash").await.json().await.expect("JSON");
    assert_eq!(cash["pledges"].as_array().map(Vec::len), Some(0));
    assert_problem(app.get_as(&token, "/api/v1/staff/pledges?method=cheque").await, 422).await;
    let page: Value = app.get_as(&token, "/api/v1/staff/pledges?limit=2").await.json().await.expect("JSON");
    let cursor = page["next_cursor"].as_str().expect("cursor");
    let rest: Value =
        app.get_as(&token, &format!("/api/v1/staff/pledges?limit=2&cursor={cursor}")).await.json().await.expect("JSON");
    assert_eq!(rest["pledges"][0]["donor_name"], "Asel, \"the\" donor");

    let res = app.get_as(&token, "/api/v1/staff/pledges.csv?campaign=mentors").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().expect("ascii").starts_with("text/csv"));
    let csv = res.text().await.expect("text");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "header and three rows: {csv}");
    assert!(lines[0].starts_with("id,campaign,created_at"));
    assert!(csv.contains("\"Asel, \"\"the\"\" donor\""), "{csv}");
}

async fn refunds_count_when_the_provider_confirms(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.staff_token(Role::Accountant).await;
    let res = app.post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 900_000})).await;
    let created: Value = res.json().await.expect("JSON");
    let id = created["id"].as_str().expect("id").to_string();
    let refund_path = format!("/api/v1/staff/pledges/{id}/refunds");
    assert_problem(app.post_as(&token, &refund_path, &json!({})).await, 409).await;
    let checkout =
        created["checkout_url"].as_str().expect("url").trim_start_matches("http://127.0.0.1:8080").to_string();
    app.client.post(app.url(&format!("{checkout}/pay"))).send().await.expect("paid");
    assert_eq!(app.progress().await, (900_000, 1));
    // The sandbox confirms a refund with its own charge.refunded event, through the webhook path.
    let res = app.post_as(&token, &refund_path, &json!({"amount": 400_000})).await;
    assert_eq!(res.status(), 202);
    assert_eq!(res.json::<Value>().await.expect("JSON")["status"], "requested");
    assert_eq!(app.progress().await, (500_000, 1));
    let res = app.post_as(&token, &refund_path, &json!({})).await;
    assert_eq!(res.json::<Value>().await.expect("JSON")["amount"], 500_000, "the default is all that counts");
    assert_eq!(app.progress().await, (0, 0));
    assert_eq!(app.get_json(&format!("/api/v1/pledges/{id}")).await["status"], "refunded");
    assert!(app.audit_actions().await.contains(&"pledge.refund_requested".to_string()));
    app.assert_reconciled().await;
}

async fn money_routes_need_an_accountant(backend: Backend) {
    let app = spawn_app(backend).await;
    let editor = app.staff_token(Role::Editor).await;
    let admin = app.staff_token(Role::Admin).await;
    let id = uuid::Uuid::new_v4();
    for path in ["/api/v1/staff/pledges", "/api/v1/staff/pledges.csv"] {
        assert_problem(app.get(path).await, 401).await;
        assert_problem(app.get_as(&editor, path).await, 403).await;
        assert_eq!(app.get_as(&admin, path).await.status(), 200);
    }
    let gift = json!({"amount": 100, "method": "cash", "reference": "r"});
    assert_problem(app.post_as(&editor, "/api/v1/staff/campaigns/mentors/offline-pledges", &gift).await, 403).await;
    assert_problem(app.post_as(&editor, &format!("/api/v1/staff/pledges/{id}/refunds"), &json!({})).await, 403).await;
    assert_problem(app.post_as(&admin, &format!("/api/v1/staff/pledges/{id}/refunds"), &json!({})).await, 404).await;
}

async fn typed_amounts_are_capped_and_totals_cannot_overflow(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.staff_token(Role::Accountant).await;
    let path = "/api/v1/staff/campaigns/mentors/offline-pledges";
    let gift =
        |amount: i64| json!({"amount": amount, "method": "bank_transfer", "reference": format!("BANK-{amount}")});
    // Twice, as the finding did: neither is taken.
    for _ in 0..2 {
        let problem = assert_problem(app.post_as(&token, path, &gift(i64::MAX)).await, 422).await;
        assert_eq!(problem["errors"][0]["field"], "amount");
    }
    // The shipped campaign's largest pledge is 500 000 000 tiyn; an offline gift may be 100 times it.
    let max_pledge = 500_000_000i64;
    assert_problem(app.post_as(&token, path, &gift(max_pledge * 100 + 1)).await, 422).await;
    assert_eq!(app.progress().await, (0, 0), "refused gifts change nothing");
    assert_eq!(app.post_as(&token, path, &gift(max_pledge * 100)).await.status(), 201);
    assert_eq!(app.progress().await, (max_pledge * 100, 1));
    app.assert_reconciled().await;

    // A total near the end of BIGINT (a hand-edited row): an entry that would pass it is
    // refused with nothing written, instead of wrapping or becoming a REAL.
    let near_end = i64::MAX - 50;
    // The campaign's rows add up to it (the gift's row keeps its money, one in 16 at most).
    app.execute_sql(&format!(
        "UPDATE campaign_totals SET net_raised = CASE WHEN net_raised > 0 THEN net_raised \
         WHEN shard = (SELECT MIN(shard) FROM campaign_totals WHERE net_raised = 0) \
         THEN {near_end} - {} ELSE 0 END",
        max_pledge * 100
    ))
    .await
    .expect("tamper");
    app.books_out_of_balance_on_purpose();
    let problem = assert_problem(app.post_as(&token, path, &gift(100)).await, 409).await;
    assert!(problem["detail"].as_str().unwrap_or("").contains("out of range"), "{problem}");
    // The tampered total was written straight to the database: the snapshot sees it at its poll.
    let shown = app.campaign_once(|c| c["raised"] == near_end).await;
    assert_eq!((&shown["raised"], &shown["pledges"]), (&Value::from(near_end), &Value::from(1)), "nothing moved");
    let list: Value = app.get_as(&token, "/api/v1/staff/pledges").await.json().await.expect("JSON");
    assert_eq!(list["pledges"].as_array().map(Vec::len), Some(1), "the refused gift left no pledge");
}

async fn the_database_refuses_impossible_amounts(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.staff_token(Role::Accountant).await;
    let gift = json!({"amount": 100_000, "method": "cash", "reference": "CASH-1"});
    let pledge: Value =
        app.post_as(&token, "/api/v1/staff/campaigns/mentors/offline-pledges", &gift).await.json().await.expect("JSON");
    let id = pledge["id"].as_str().expect("id");
    for sql in [
        format!("UPDATE pledges SET amount = 0 WHERE id = '{id}'"),
        format!("UPDATE pledges SET refunded = received + 1 WHERE id = '{id}'"),
        format!("UPDATE pledges SET disputed = -1 WHERE id = '{id}'"),
        format!(
            "INSERT INTO ledger_entries (id, campaign_id, pledge_id, kind, amount, currency, source, created_at) \
             SELECT 'x', campaign_id, id, 'correction', 0, currency, 'zero', created_at FROM pledges WHERE id = '{id}'"
        ),
        "UPDATE campaign_totals SET net_raised = -1".to_string(),
        "UPDATE campaign_totals SET counted_pledges = -1".to_string(),
    ] {
        assert!(app.execute_sql(&sql).await.is_err(), "refused: {sql}");
    }
    assert_eq!(app.progress().await, (100_000, 1));
    app.assert_reconciled().await;
}

/// A page of the staff list for `query`.
async fn staff_page(app: &TestApp, token: &str, query: &[(&str, &str)]) -> Value {
    let res =
        app.client.get(app.url("/api/v1/staff/pledges")).query(query).bearer_auth(token).send().await.expect("sent");
    assert_eq!(res.status(), 200, "{query:?}");
    res.json().await.expect("JSON")
}

fn donor_names(page: &Value) -> Vec<&str> {
    page["pledges"].as_array().expect("list").iter().map(|p| p["donor_name"].as_str().unwrap_or("")).collect()
}

async fn a_search_finds_any_case_in_any_script(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.staff_token(Role::Accountant).await;
    for (amount, name, email) in [
        (100_000, "Айгерим Сапарова", "aigerim@example.kz"),
        (200_000, "АЙГЕРИМ", "a2@example.kz"),
        (300_000, "Әлия Нұрланқызы", "Aliya.N@Example.KZ"),
        (400_000, "100% Bolat_N", "bolat@example.kz"),
    ] {
        let body = json!({"amount": amount, "donor_name": name, "email": email});
        assert_eq!(app.post_json("/api/v1/campaigns/mentors/pledges", &body).await.status(), 201);
    }
    let found = |q: &'static str| {
        let (app, token) = (&app, &token);
        async move {
            donor_names(&staff_page(app, token, &[("q", q)]).await).into_iter().map(String::from).collect::<Vec<_>>()
        }
    };
    // Cyrillic and Kazakh letters fold like Latin ones, on SQLite too (whose lower() is ASCII only).
    assert_eq!(found("айгерим").await, ["АЙГЕРИМ", "Айгерим Сапарова"]);
    assert_eq!(found("АйГеРиМ").await, ["АЙГЕРИМ", "Айгерим Сапарова"]);
    assert_eq!(found("нұрлан").await, ["Әлия Нұрланқызы"]);
    assert_eq!(found("ӘЛИЯ").await, ["Әлия Нұрланқызы"]);
    // An address finds the pledges given with exactly it, in any case; part of one is text.
    assert_eq!(found("ALIYA.N@example.kz").await, ["Әлия Нұрланқызы"]);
    assert_eq!(found("liya.n@").await, ["Әлия Нұрланқызы"]);
    assert!(found("aliya@example.kz").await.is_empty(), "no such address");
    // LIKE's wildcards mean themselves.
    assert_eq!(found("100%").await, ["100% Bolat_N"]);
    assert_eq!(found("t_n").await, ["100% Bolat_N"]);
    assert!(found("%").await.len() == 1 && found("_").await.len() == 1);
}

async fn a_text_search_reads_a_bounded_window_and_goes_on(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.staff_token(Role::Accountant).await;
    app.load_pledges("mentors", 1, 2_600).await;
    let oldest = "UPDATE pledges SET donor_name = 'Жұлдыз' WHERE provider_payment_id = 'pi_fixture_1'";
    app.execute_sql(oldest).await.expect("renamed");
    // The newest 2 000 pledges hold no match: the page says so and where to go on.
    let first = staff_page(&app, &token, &[("q", "ЖҰЛДЫЗ"), ("limit", "10")]).await;
    assert!(donor_names(&first).is_empty(), "{first}");
    let cursor = first["next_cursor"].as_str().expect("the search goes on");
    let second = staff_page(&app, &token, &[("q", "ЖҰЛДЫЗ"), ("limit", "10"), ("cursor", cursor)]).await;
    assert_eq!(donor_names(&second), ["Жұлдыз"]);
    assert!(second["next_cursor"].is_null(), "the list has ended");
    // A frequent name fills its page at once.
    let marias = staff_page(&app, &token, &[("q", "maria"), ("limit", "10")]).await;
    assert_eq!(donor_names(&marias), ["Maria Ivanova"; 10]);
    assert!(marias["next_cursor"].is_string());
}

async fn the_csv_streams_every_page_newest_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.staff_token(Role::Accountant).await;
    app.load_pledges("mentors", 1, 1_234).await;
    app.pledge(500_000).await;
    let res = app.get_as(&token, "/api/v1/staff/pledges.csv").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("content-length").is_none(), "streamed, not built first");
    let csv = res.text().await.expect("text");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 1_235, "the header and every pledge, over three pages of 500");
    assert!(lines[0].starts_with("id,campaign,created_at"));
    let created: Vec<&str> = lines[1..].iter().map(|l| l.split(',').nth(2).expect("created_at")).collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let mut ids: Vec<&str> = lines[1..].iter().map(|l| l.split(',').next().expect("id")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1_235, "each pledge once");
    // With a filter, the same pages of fewer pledges.
    let res = app.get_as(&token, "/api/v1/staff/pledges.csv?q=donor77%40example.kz").await;
    assert_eq!(res.text().await.expect("text").lines().count(), 2);
}

async fn reconciliation_names_each_pledge_that_disagrees(backend: Backend) {
    let app = spawn_app(backend).await;
    app.load_pledges("mentors", 1, 300).await;
    let report = app.pool.run(|conn| donations::reconcile::reconcile(conn, "mentors")).await.expect("report");
    assert!(report.is_clean(), "{report:?}");
    assert_eq!((report.ledger_pledges, report.totals_pledges), (300, 300));
    // A pledge's amounts changed by hand: its ledger rows say otherwise.
    app.execute_sql("UPDATE pledges SET received = received + 7 WHERE provider_payment_id = 'pi_fixture_42'")
        .await
        .expect("tampered");
    app.books_out_of_balance_on_purpose();
    let report = app.pool.run(|conn| donations::reconcile::reconcile(conn, "mentors")).await.expect("report");
    let amount = 50_000 + 42 * 100;
    assert_eq!(report.pledge_differences.len(), 1, "{report:?}");
    let difference = &report.pledge_differences[0];
    assert_eq!((difference.counted, difference.ledger), (i128::from(amount) + 7, amount));
    assert!(difference.pledge_id.to_string().ends_with("-0000-4000-8000-00000000002a"), "{difference:?}");
    assert_eq!(report.ledger_raised, i128::from(report.totals_raised), "the ledger and the totals still agree");
}

//! The console readable at a glance (issue 24): the dashboard leads with the money, the pledge
//! list is a table in the console's language, and a post's editor says where the post stands
//! and offers the action that fits it.

use chrono::Datelike;
use demeu_api::auth::Role;
use donations::money::Currency;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::{json, Value};

use crate::console::{client, console_session, csrf_in, get, html, post};
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both_backends;
use crate::stripe::{event, session, signature, Ids, SANDBOX_SECRET};

on_both_backends!(
    the_dashboard_leads_with_today_the_week_and_the_month,
    the_pledge_list_is_a_table_in_the_consoles_language,
    a_published_posts_editor_says_where_it_stands_and_saves_it_published,
);

/// An offline gift of `minor` to Mentors, booked `days_ago` days before now (the ledger row and
/// the pledge moved back by hand: the API books a gift when it is recorded).
async fn gift_booked(app: &TestApp, token: &str, minor: i64, reference: &str, days_ago: i64) -> chrono::NaiveDateTime {
    let gift = json!({"amount": minor, "method": "cash", "reference": reference, "donor_name": reference});
    let res = app.post_as(token, "/api/v1/staff/campaigns/mentors/offline-pledges", &gift).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.expect("JSON")["id"].as_str().expect("an id").to_string();
    let at = (chrono::Utc::now() - chrono::Duration::days(days_ago)).naive_utc();
    if days_ago > 0 {
        let when = at.format("%Y-%m-%d %H:%M:%S");
        app.execute_sql(&format!("UPDATE ledger_entries SET created_at = '{when}' WHERE pledge_id = '{id}'"))
            .await
            .expect("the ledger row moved back");
        app.execute_sql(&format!("UPDATE pledges SET created_at = '{when}', counted_at = '{when}' WHERE id = '{id}'"))
            .await
            .expect("the pledge moved back");
    }
    at
}

/// The cell of the money table under the column `label`, as the dashboard writes it.
fn cell(label: &str, amount: &str, gifts: &str) -> String {
    format!("data-label=\"{label}\"><strong class=\"money\">{amount}</strong><br><span class=\"help\">{gifts}</span>")
}

async fn the_dashboard_leads_with_today_the_week_and_the_month(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.staff_token(Role::Accountant).await;
    gift_booked(&app, &token, 1_500_000, "TODAY", 0).await;
    let three = gift_booked(&app, &token, 700_000, "THREE-DAYS", 3).await;
    let eight = gift_booked(&app, &token, 400_000, "EIGHT-DAYS", 8).await;
    // This month by Almaty's calendar: the older gifts are in it or not depending on today's date.
    // (Almaty is UTC+5 since March 2024: the month begins at 19:00 UTC on the day before its first.)
    let almaty_now = (chrono::Utc::now() + chrono::Duration::hours(5)).naive_utc();
    let month_start = almaty_now.date().with_day(1).expect("a first day").and_hms_opt(0, 0, 0).expect("midnight")
        - chrono::Duration::hours(5);
    let in_month = |at: chrono::NaiveDateTime, minor: i64| if at >= month_start { (minor, 1) } else { (0, 0) };
    let (month, month_gifts) = [(1_500_000, 1), in_month(three, 700_000), in_month(eight, 400_000)]
        .into_iter()
        .fold((0, 0), |(m, n), (a, b)| (m + a, n + b));
    let (cookie, _) = console_session(&app, Role::Accountant).await;
    let page = html(get(&app, &cookie, "/staff").await).await;

    // The money comes first: before the progress box and the plan (which follow it).
    let money = page.find("<section class=\"card\" id=\"money\"").expect("a money block");
    let plan = page.find("class=\"plan\"").expect("the plan, below");
    let progress = page.find("class=\"progress\"").expect("the progress, below");
    assert!(money < plan && money < progress, "the money leads: {page}");
    let h1 = page.find("<h1>").expect("the heading");
    assert!(page[h1..money].matches("<section").count() == 0, "nothing between the heading and the money");

    let gifts = |n: i64| if n == 1 { "1 gift".to_string() } else { format!("{n} gifts") };
    // Money written as the format's own tests pin it (`525 000 ₸`).
    let tenge = |minor: i64| {
        demeu_api::format::money(demeu_api::i18n::Lang::En, donations::money::Money::new(minor, Currency::Kzt))
    };
    for expected in [
        cell("Today", "15 000 ₸", "1 gift"),
        cell("Last 7 days", "22 000 ₸", "2 gifts"),
        cell("This month", &tenge(month), &gifts(month_gifts)),
        "<th scope=\"col\">This month</th>".to_string(),
        "Reconciled".to_string(),
        "href=\"/staff/books/mentors\"".to_string(),
    ] {
        assert!(page.contains(&expected), "missing {expected:?} in {page}");
    }

    // Where the link goes: the books reconciled now, and a difference counted and shown.
    let books = html(get(&app, &cookie, "/staff/books/mentors").await).await;
    assert!(books.contains("Reconciled: the totals agree with the ledger."), "{books}");
    app.books_out_of_balance_on_purpose();
    app.execute_sql("UPDATE campaign_totals SET net_raised = net_raised + 1 WHERE shard = 0").await.expect("tampered");
    let books = html(get(&app, &cookie, "/staff/books/mentors").await).await;
    assert!(books.contains("1 difference") && books.contains("26 000 ₸") && books.contains("26 000.01 ₸"), "{books}");
    // In Russian, counted the Russian way.
    let ru = client().get(app.url("/staff")).header(COOKIE, format!("{cookie}; lang=ru")).send().await.expect("sent");
    let ru = html(ru).await;
    assert!(ru.contains(&cell("Сегодня", "15 000 ₸", "1 пожертвование")), "{ru}");
    assert!(ru.contains(&cell("За 7 дней", "22 000 ₸", "2 пожертвования")), "{ru}");
    app.execute_sql("UPDATE campaign_totals SET net_raised = net_raised - 1 WHERE shard = 0").await.expect("mended");
}

async fn the_pledge_list_is_a_table_in_the_consoles_language(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = "a.very.long.address.that.does.not.fit.a.phone@example-foundation-of-kazakhstan.kz";
    let res = app
        .post_json(
            "/api/v1/campaigns/mentors/pledges",
            &json!({"amount": 500_000, "donor_name": "Айгерим", "email": email}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.expect("JSON")["id"].as_str().expect("id").to_string();
    let body = event("checkout.session.completed", session(&Ids::for_pledge(&id), 500_000, "paid"));
    assert_eq!(app.post_webhook(&body, &signature(&body, SANDBOX_SECRET)).await.status(), 200);
    assert_eq!(app.progress().await, (500_000, 1));

    let (cookie, _) = console_session(&app, Role::Accountant).await;
    let res = client().get(app.url("/staff/pledges")).header(COOKIE, format!("{cookie}; lang=ru")).send().await;
    let page = html(res.expect("sent")).await;
    let table = &page[page.find("<table").expect("a table")..page.find("</table>").expect("its end")];
    for expected in [
        "<caption>Пожертвования, сначала новые</caption>",
        "<th scope=\"col\">Дата</th>",
        "<th scope=\"col\">Жертвователь</th>",
        "<th scope=\"col\">Сумма</th>",
        "<th scope=\"col\">Статус</th>",
        "<th scope=\"col\">Способ</th>",
        "<th scope=\"col\">Отметка</th>",
        "data-label=\"Статус\">Оплачено</td>",
        "data-label=\"Способ\">Онлайн, картой</td>",
        "<strong class=\"money\">5 000 ₸</strong>",
        "<bdi>Айгерим</bdi>",
    ] {
        assert!(table.contains(expected), "missing {expected:?} in {table}");
    }
    assert!(table.contains(email), "the address, in its cell");
    for stored in ["paid · online", ">paid<", ">online<", "Оплачено · Онлайн"] {
        assert!(!page.contains(stored), "{stored:?} in {page}");
    }
    // The page's style turns each row into lines on a phone and lets long words wrap.
    let css = page.split("href=\"/static/app.").nth(1).and_then(|s| s.split('"').next()).expect("the style sheet");
    let css = app.get(&format!("/static/app.{css}")).await.text().await.expect("css");
    assert!(css.contains(".scroll{overflow-x:auto") && css.contains("overflow-wrap:anywhere"), "{css}");
    assert!(css.contains("@media (max-width:40rem){\ntable.list thead"), "rows as blocks on a phone");
}

async fn a_published_posts_editor_says_where_it_stands_and_saves_it_published(backend: Backend) {
    let app = spawn_app(backend).await;
    let (cookie, _) = console_session(&app, Role::Editor).await;
    let csrf = csrf_in(&html(get(&app, &cookie, "/staff/news").await).await);
    let form = [
        ("csrf", csrf.as_str()),
        ("action", "save"),
        ("campaign", "mentors"),
        ("title", "School dates"),
        ("body_markdown", "In **May**."),
    ];
    let res = post(&app, &cookie, "/staff/news", &form).await;
    assert_eq!(res.status(), 303);
    let path = res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).expect("the post").to_string();

    // A draft: its state, no public link, Publish is the filled button, Save the draft is not.
    let draft = html(get(&app, &cookie, &path).await).await;
    for expected in [
        "<dt>Status</dt><dd><strong class=\"status draft\">Draft</strong></dd>",
        "<dt>Created</dt>",
        "<dt>Last edited</dt>",
        "None: readers do not see a draft.",
        "<button type=\"submit\" name=\"action\" value=\"publish\">Publish</button>",
        "<button class=\"secondary\" type=\"submit\" name=\"action\" value=\"save\">Save the draft</button>",
    ] {
        assert!(draft.contains(expected), "missing {expected:?} in {draft}");
    }
    // Publish from the form: what was typed is saved, then published.
    let typed = [
        ("csrf", csrf.as_str()),
        ("action", "publish"),
        ("title", "School dates, fixed"),
        ("body_markdown", "In **May**."),
    ];
    assert_eq!(post(&app, &cookie, &path, &typed).await.status(), 303);
    let news: Value = app.get_json("/api/v1/campaigns/mentors/news").await;
    assert_eq!(news["posts"][0]["title"], "School dates, fixed", "{news}");
    let slug = news["posts"][0]["slug"].as_str().expect("a slug").to_string();

    // Published: its state, its dates, its public link; the main action saves it published,
    // and unpublishing is secondary.
    let edit = html(get(&app, &cookie, &path).await).await;
    let link = format!("/campaigns/mentors/news/{slug}\"");
    for expected in [
        "<dt>Status</dt><dd><strong class=\"status published\">Published</strong></dd>",
        "<dt>Published on</dt>",
        "<dt>Public link</dt>",
        link.as_str(),
        "<button type=\"submit\" name=\"action\" value=\"save\">Save changes</button>",
        "<button class=\"secondary\" type=\"submit\" name=\"action\" value=\"unpublish\">Unpublish</button>",
    ] {
        assert!(edit.contains(expected), "missing {expected:?} in {edit}");
    }
    for wrong in ["Save the draft", "<button type=\"submit\" name=\"action\" value=\"unpublish\">", "value=\"publish\""]
    {
        assert!(!edit.contains(wrong), "{wrong:?} in {edit}");
    }
    assert_eq!(app.get(&format!("/campaigns/mentors/news/{slug}")).await.status(), 200, "the link leads to the post");

    // Saving changes keeps it published.
    let changed = [
        ("csrf", csrf.as_str()),
        ("action", "save"),
        ("title", "School dates, final"),
        ("body_markdown", "In **June**."),
    ];
    assert_eq!(post(&app, &cookie, &path, &changed).await.status(), 303);
    let news: Value = app.get_json("/api/v1/campaigns/mentors/news").await;
    assert_eq!(news["posts"][0]["title"], "School dates, final", "still published, changed: {news}");
    // In Russian, the state in Russian.
    let ru = client().get(app.url(&path)).header(COOKIE, format!("{cookie}; lang=ru")).send().await.expect("sent");
    assert!(html(ru).await.contains(">Опубликовано</strong>"));
}

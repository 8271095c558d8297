//! The console readable at a glance (issue 24): the pledge list is a table in the console's
//! language.

use demeu_api::auth::Role;
use reqwest::header::COOKIE;
use serde_json::{json, Value};

use crate::console::{client, console_session, html};
use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;
use crate::stripe::{event, session, signature, Ids, SANDBOX_SECRET};

on_both_backends!(the_pledge_list_is_a_table_in_the_consoles_language,);

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

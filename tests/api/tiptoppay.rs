//! TipTop Pay (formerly CloudPayments Kazakhstan): checkouts and refunds against a local HTTP
//! server standing in for its API, and notifications in the exact shape the provider sends
//! (form-encoded by default, JSON when so configured), signed by its `Content-HMAC` scheme,
//! implemented here independently of the code under test.

use std::collections::VecDeque;

use base64::Engine as _;
use demeu_api::auth::Role;
use demeu_api::settings::ProviderKind;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::helpers::{assert_problem, spawn_app, test_settings, Backend, TestApp};
use crate::on_both_backends;
use crate::refunds::refund_statuses;
use crate::webhooks::permutations;

on_both_backends!(
    a_checkout_order_is_made_with_the_right_fields,
    a_refused_order_keeps_the_pledge_and_a_keyed_retry_finishes,
    a_payment_counts_once_whatever_the_redeliveries,
    a_json_payment_counts_once_whatever_the_redeliveries,
    a_second_transaction_for_one_invoice_is_counted_and_flagged,
    a_two_stage_payment_counts_on_its_confirmation,
    a_partial_then_a_full_refund_move_the_progress_back,
    a_failed_payment_fails_the_pledge,
    a_canceled_payment_cancels_the_pledge,
    bad_signatures_change_nothing,
    malformed_notifications_are_refused,
    test_payments_count_only_on_a_test_installation,
    checks_answer_the_providers_codes,
    every_order_of_pay_refund_and_redelivery_ends_in_the_same_state,
    staff_refunds_go_to_payments_refund_and_count_on_the_notification,
    both_providers_at_once,
    a_refund_of_an_unknown_payment_is_kept_for_staff_within_tiptoppays_retries,
    notifications_by_get_are_read_from_the_query_string,
    windows_1251_notifications_count_like_utf_8,
    x_content_hmac_signs_the_decoded_parameters,
    a_refund_of_a_test_payment_follows_its_payment,
    the_payment_page_speaks_the_donors_language,
    a_monthly_order_makes_a_subscription_whose_charges_count_once,
    every_order_of_first_payment_charge_and_cancel_counts_the_same_money,
    a_monthly_gift_is_stopped_and_changed_at_tiptoppay_and_its_charges_checked,
    a_closed_campaigns_gift_its_provider_would_not_stop_is_refused_at_check,
);

const PUBLIC_ID: &str = "pk_demeu";
const SECRET: &str = "tiptop_secret";
const DONOR: &str = "donor@example.kz";

// The application and the stand-in for TipTop Pay's API.

/// An app whose provider is TipTop Pay at a fresh stand-in; `test_mode` as configured.
async fn tiptop_app_with(backend: Backend, test_mode: bool) -> (TestApp, MockServer) {
    let server = MockServer::start().await;
    let api_base = server.uri();
    let app = spawn_app(backend)
        .with(move |s| {
            s.payments.provider = ProviderKind::TipTopPay;
            s.payments.tiptoppay.public_id = PUBLIC_ID.to_string();
            s.payments.tiptoppay.api_secret = SECRET.to_string().into();
            s.payments.tiptoppay.api_base = api_base;
            s.payments.tiptoppay.test_mode = test_mode;
        })
        .await;
    (app, server)
}

/// A live installation (`test_mode = false`, the default) whose stand-in makes every order.
async fn tiptop_app(backend: Backend) -> (TestApp, MockServer) {
    let (app, server) = tiptop_app_with(backend, false).await;
    mount_orders(&server).await;
    (app, server)
}

/// The order id the stand-in gives a pledge's order: one per invoice, as TipTop Pay keeps one
/// order per X-Request-ID.
fn order_id(invoice: &str) -> String {
    let hex: String = invoice.chars().filter(char::is_ascii_hexdigit).collect();
    format!("o{}", &hex[..15.min(hex.len())])
}

fn order_url(invoice: &str) -> String {
    format!("https://orders.tiptoppay.kz/d/{}", order_id(invoice))
}

/// Answers `orders/create` the way TipTop Pay does, echoing what it was sent.
fn order_responder(request: &Request) -> ResponseTemplate {
    let sent: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let invoice = sent["InvoiceId"].as_str().unwrap_or("unknown").to_string();
    let amount = sent["Amount"].as_f64().unwrap_or(0.0);
    let body = format!(
        r#"{{"Model":{{"Id":"{id}","Number":61,"Amount":{amount:.2},"Currency":"KZT","CurrencyCode":0,"Email":{email},"Description":{description},"RequireConfirmation":false,"Url":"{url}","CultureName":"ru-RU","CreatedDate":"/Date(1635835930555)/","CreatedDateIso":"2021-11-02T09:52:10","StatusCode":0,"Status":"Created","InternalId":1}},"Success":true,"Message":null}}"#,
        id = order_id(&invoice),
        url = order_url(&invoice),
        email = sent["Email"],
        description = sent["Description"],
    );
    ResponseTemplate::new(200).set_body_raw(body, "application/json")
}

async fn mount_orders(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/orders/create"))
        .respond_with(order_responder)
        .with_priority(5)
        .mount(server)
        .await;
}

/// TipTop Pay's own example answer to `orders/create`.
const ORDER_ANSWER: &str = r#"{"Model":{"Id":"f2K8LV6reGE9WBFn","Number":61,"Amount":5000.00,"Currency":"KZT","CurrencyCode":0,"Email":"donor@example.kz","Description":"Помощь наставникам","RequireConfirmation":false,"Url":"https://orders.tiptoppay.kz/d/f2K8LV6reGE9WBFn","CultureName":"ru-RU","CreatedDate":"/Date(1635835930555)/","CreatedDateIso":"2021-11-02T09:52:10","StatusCode":0,"Status":"Created","InternalId":1},"Success":true,"Message":null}"#;

fn header(request: &Request, name: &str) -> Option<String> {
    request.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn basic_auth() -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{PUBLIC_ID}:{SECRET}")))
}

/// The requests the stand-in received at `at`.
async fn calls(server: &MockServer, at: &str) -> Vec<Request> {
    let requests = server.received_requests().await.expect("recorded");
    requests.into_iter().filter(|r| r.url.path() == at).collect()
}

// Notifications, as TipTop Pay sends them.

/// A field's value: numbers are written bare in JSON bodies, strings quoted.
#[derive(Clone, Debug)]
enum V {
    N(String),
    S(String),
}

fn n(v: impl ToString) -> V {
    V::N(v.to_string())
}

fn s(v: impl ToString) -> V {
    V::S(v.to_string())
}

/// One notification's fields, in the provider's order.
#[derive(Clone, Debug)]
struct Note(Vec<(String, V)>);

impl Note {
    fn set(mut self, name: &str, value: V) -> Self {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some(field) => field.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
        self
    }

    fn without(mut self, name: &str) -> Self {
        self.0.retain(|(k, _)| k != name);
        self
    }

    /// `application/x-www-form-urlencoded`, the provider's default.
    fn form(&self) -> String {
        let pairs: Vec<(&str, &str)> = self
            .0
            .iter()
            .map(|(k, v)| match v {
                V::N(x) | V::S(x) => (k.as_str(), x.as_str()),
            })
            .collect();
        serde_urlencoded::to_string(pairs).expect("a form")
    }

    /// `application/json`, with amounts written as the provider writes them (`5000.00`).
    fn json(&self) -> String {
        let fields: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    V::N(x) => x.clone(),
                    V::S(x) => Value::from(x.as_str()).to_string(),
                };
                format!("{}:{value}", Value::from(k.as_str()))
            })
            .collect();
        format!("{{{}}}", fields.join(","))
    }
}

/// Minor units (tiyn) as the provider writes tenge: `500000` → `5000.00`.
fn tenge(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

fn now_utc() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The fields every notification about a payment of `amount` (tiyn) for `pledge` carries.
fn base(pledge: &str, transaction: u64, amount: i64) -> Note {
    Note(vec![
        ("TransactionId".into(), n(transaction)),
        ("Amount".into(), n(tenge(amount))),
        ("Currency".into(), s("KZT")),
        ("PaymentAmount".into(), n(tenge(amount))),
        ("PaymentCurrency".into(), s("KZT")),
        ("DateTime".into(), s(now_utc())),
        ("CardFirstSix".into(), s("440043")),
        ("CardLastFour".into(), s("0004")),
        ("CardType".into(), s("Visa")),
        ("CardExpDate".into(), s("12/29")),
        ("TestMode".into(), n(0)),
        ("Status".into(), s("Completed")),
        ("OperationType".into(), s("Payment")),
        ("GatewayName".into(), s("Halyk")),
        ("InvoiceId".into(), s(pledge)),
        ("AccountId".into(), s(DONOR)),
        ("SubscriptionId".into(), s("")),
        ("Name".into(), s("AIGERIM S")),
        ("Email".into(), s(DONOR)),
        ("IpAddress".into(), s("95.56.12.34")),
        ("IpCountry".into(), s("KZ")),
        ("IpCity".into(), s("Алматы")),
        ("Issuer".into(), s("Halyk Bank")),
        ("IssuerBankCountry".into(), s("KZ")),
        ("Description".into(), s("mentors")),
        ("Data".into(), s(json!({"pledge_id": pledge}).to_string())),
    ])
}

/// A `pay` (or `check`) notification: a completed one-stage payment.
fn payment(pledge: &str, transaction: u64, amount: i64) -> Note {
    base(pledge, transaction, amount).set("AuthCode", s("A1B2C3")).set("Token", s("tk_477bd5f8"))
}

/// The fields of a notification that speaks of a transaction, not of a card payment: refund and
/// cancel carry these only (no `Currency`, no `TestMode`, no card; CloudPayments' reference,
/// "Уведомление Refund" and "Уведомление Cancel").
fn operation(pledge: &str, transaction: u64, amount: i64) -> Note {
    Note(vec![
        ("TransactionId".into(), n(transaction)),
        ("Amount".into(), n(tenge(amount))),
        ("DateTime".into(), s(now_utc())),
        ("InvoiceId".into(), s(pledge)),
        ("AccountId".into(), s(DONOR)),
        ("Email".into(), s(DONOR)),
        ("Data".into(), s(json!({"pledge_id": pledge}).to_string())),
        ("Rrn".into(), s("123456789012")),
    ])
}

/// A `refund` notification: `amount` given back now (not cumulative) by refund `transaction`
/// of payment `payment_transaction`.
fn refund(pledge: &str, transaction: u64, payment_transaction: u64, amount: i64) -> Note {
    operation(pledge, transaction, amount)
        .set("PaymentTransactionId", n(payment_transaction))
        .set("OperationType", s("Refund"))
}

/// A `fail` notification.
fn failure(pledge: &str, transaction: u64, amount: i64) -> Note {
    base(pledge, transaction, amount).without("Status").set("Reason", s("InsufficientFunds")).set("ReasonCode", n(5051))
}

/// A `cancel` notification (a two-stage payment called off).
fn cancellation(pledge: &str, transaction: u64, amount: i64) -> Note {
    operation(pledge, transaction, amount)
}

/// base64(HMAC-SHA256(secret, body)): TipTop Pay's `Content-HMAC`.
fn content_hmac(body: &[u8], secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Extra request headers: (name, value).
type Headers<'a> = Vec<(&'a str, String)>;

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// Posts `body` to `/api/v1/webhooks/tiptoppay/{kind}` with `headers`.
async fn post_notification(
    app: &TestApp,
    kind: &str,
    content_type: &str,
    body: &str,
    headers: &[(&str, String)],
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(&format!("/api/v1/webhooks/tiptoppay/{kind}")))
        .header("content-type", content_type)
        .body(body.to_string());
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    req.send().await.expect("request sent")
}

/// Delivers `body` signed with the installation's secret; the status and the JSON answer.
async fn deliver_raw(app: &TestApp, kind: &str, content_type: &str, body: &str) -> (u16, Value) {
    let signature = content_hmac(body.as_bytes(), SECRET);
    let res = post_notification(app, kind, content_type, body, &[("Content-HMAC", signature)]).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Delivers `note` form-encoded, signed; the status and the JSON answer.
async fn notify(app: &TestApp, kind: &str, note: &Note) -> (u16, Value) {
    deliver_raw(app, kind, FORM, &note.form()).await
}

/// Delivers `note` and asserts TipTop Pay's "accepted": 200 `{"code":0}`.
async fn notify_ok(app: &TestApp, kind: &str, note: &Note) {
    let (status, body) = notify(app, kind, note).await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(0)), "{kind}: {body}");
}

// What the database holds.

async fn pledge_row(app: &TestApp, id: &str) -> donations::pledge_store::PledgeRecord {
    let id: donations::ids::PledgeId = id.parse().expect("uuid");
    app.pool.run(move |conn| donations::pledge_store::find(conn, id)).await.expect("pledge")
}

async fn money(app: &TestApp, id: &str) -> (i64, i64) {
    let pledge = pledge_row(app, id).await;
    (pledge.received.minor, pledge.refunded.minor)
}

async fn state(app: &TestApp, id: &str) -> String {
    pledge_row(app, id).await.state.as_str().to_string()
}

#[derive(diesel::QueryableByName, Debug)]
struct InboxRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    event_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    outcome: String,
}

/// TipTop Pay's inbox rows: (event_id, outcome), oldest first.
async fn inbox(app: &TestApp) -> Vec<(String, String)> {
    app.pool
        .run(|conn| {
            use diesel::prelude::*;
            diesel::sql_query(
                "SELECT event_id, outcome FROM webhook_events WHERE provider = 'tiptoppay' ORDER BY received_at, event_id",
            )
            .load::<InboxRow>(conn)
            .map(|rows| rows.into_iter().map(|r| (r.event_id, r.outcome)).collect())
            .map_err(demeu_db::DbError::from)
        })
        .await
        .expect("inbox")
}

/// Every provider's inbox row count.
async fn inbox_len(app: &TestApp) -> usize {
    app.pool
        .run(|conn| {
            use demeu_db::schema::webhook_events::dsl::*;
            use diesel::prelude::*;
            webhook_events.count().get_result::<i64>(conn).map_err(demeu_db::DbError::from)
        })
        .await
        .expect("inbox count") as usize
}

#[derive(diesel::QueryableByName)]
struct ProviderRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    provider: Option<String>,
}

/// The `provider` column of a pledge.
async fn provider_of(app: &TestApp, id: &str) -> Option<String> {
    let id = id.to_string();
    app.pool
        .run(move |conn| {
            use diesel::prelude::*;
            diesel::sql_query(format!("SELECT provider FROM pledges WHERE id = '{id}'"))
                .get_result::<ProviderRow>(conn)
                .map(|r| r.provider)
                .map_err(demeu_db::DbError::from)
        })
        .await
        .expect("the pledge's provider")
}

async fn staff_pledges(app: &TestApp, token: &str) -> Vec<Value> {
    let list: Value = app.get_as(token, "/api/v1/staff/pledges").await.json().await.expect("JSON");
    list["pledges"].as_array().cloned().unwrap_or_default()
}

// Checkout.

async fn a_checkout_order_is_made_with_the_right_fields(backend: Backend) {
    let (app, server) = tiptop_app_with(backend, false).await;
    Mock::given(method("POST"))
        .and(path("/orders/create"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(ORDER_ANSWER, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let res = app.post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 500_000, "email": DONOR})).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["checkout_url"], "https://orders.tiptoppay.kz/d/f2K8LV6reGE9WBFn");
    let pledge = body["id"].as_str().expect("id").to_string();

    let requests = calls(&server, "/orders/create").await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(header(request, "authorization"), Some(basic_auth()), "HTTP Basic: Public ID and API secret");
    assert_eq!(
        header(request, "x-request-id"),
        Some(format!("checkout-{pledge}")),
        "the key is derived from the pledge"
    );
    assert!(
        header(request, "content-type").is_some_and(|t| t.starts_with("application/json")),
        "{:?}",
        header(request, "content-type")
    );
    let raw = String::from_utf8(request.body.clone()).expect("UTF-8 body");
    assert!(raw.contains(r#""Amount":5000.00"#), "the amount in tenge with two decimals: {raw}");
    let sent: Value = serde_json::from_str(&raw).expect("a JSON body");
    let title = app.get_json("/api/v1/campaigns/mentors").await["title"].clone();
    assert_eq!(sent["Currency"], "KZT", "{sent}");
    assert_eq!(sent["Description"], title, "{sent}");
    assert_eq!(sent["Email"], DONOR, "{sent}");
    assert_eq!(sent["InvoiceId"], pledge.as_str(), "{sent}");
    assert_eq!(sent["CultureName"], "ru-RU", "the campaign's locale: {sent}");
    // JsonData: an object, or the same object written as a JSON string.
    let data = match &sent["JsonData"] {
        Value::String(text) => serde_json::from_str(text).expect("JsonData is JSON"),
        other => other.clone(),
    };
    assert_eq!(data["pledge_id"], pledge.as_str(), "{sent}");
    let public_url = test_settings("sqlite://unused").public_url().to_string();
    for link in ["SuccessRedirectUrl", "FailRedirectUrl"] {
        let url = sent[link].as_str().unwrap_or_else(|| panic!("{link} in {sent}"));
        assert!(url.starts_with(&public_url), "{link}: {url}");
        assert!(url.contains("/campaigns/mentors") && url.contains(&pledge), "{link}: {url}");
    }

    assert_eq!(provider_of(&app, &pledge).await.as_deref(), Some("tiptoppay"), "the pledge records its provider");
    let public = app.get_json(&format!("/api/v1/pledges/{pledge}")).await;
    assert_eq!(public["status"], "pending");
    assert_eq!(app.progress().await, (0, 0), "a checkout counts nothing");
}

async fn a_refused_order_keeps_the_pledge_and_a_keyed_retry_finishes(backend: Backend) {
    let cases = [
        (
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"Success":false,"Message":"Invalid amount","Model":null}"#, JSON),
            502,
        ),
        (ResponseTemplate::new(500).set_body_raw(r#"{"Success":false,"Message":"Internal error"}"#, JSON), 502),
        (ResponseTemplate::new(429).set_body_raw(r#"{"Success":false,"Message":"Too many requests"}"#, JSON), 503),
        // An answer that is not the API's, or too long to be one (the client reads at most 1 MiB).
        (ResponseTemplate::new(200).set_body_raw("<html>gateway</html>", "text/html"), 502),
        (
            ResponseTemplate::new(200).set_body_raw(
                ORDER_ANSWER.replace(r#""Message":null"#, &format!(r#""Message":"{}""#, "x".repeat(2 << 20))),
                JSON,
            ),
            502,
        ),
    ];
    for (refusal, our_status) in cases {
        let (app, server) = tiptop_app(backend).await;
        Mock::given(method("POST"))
            .and(path("/orders/create"))
            .respond_with(refusal.clone())
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        let send = || {
            app.client
                .post(app.url("/api/v1/campaigns/mentors/pledges"))
                .header("Idempotency-Key", "retry-me")
                .json(&json!({"amount": 500_000, "email": DONOR}))
                .send()
        };
        let failed = send().await.expect("sent");
        let problem = assert_problem(failed, our_status).await;
        let detail = problem["detail"].as_str().unwrap_or("");
        assert!(!detail.contains(SECRET) && !detail.contains("Invalid amount"), "{problem}");

        let token = app.staff_token(Role::Accountant).await;
        let list = staff_pledges(&app, &token).await;
        assert_eq!(list.len(), 1, "the pledge is kept after the answer {our_status}");
        assert_eq!(list[0]["status"], "pending");
        let pledge = list[0]["id"].as_str().expect("id").to_string();

        let retried = send().await.expect("sent");
        assert_eq!(retried.status(), 201, "a retry with the same key finishes the job (after {our_status})");
        let body: Value = retried.json().await.expect("JSON");
        assert_eq!(body["id"], pledge.as_str(), "the same pledge");
        assert_eq!(body["checkout_url"], order_url(&pledge).as_str());
        assert_eq!(staff_pledges(&app, &token).await.len(), 1, "still one pledge");
        let ids: Vec<Option<String>> =
            calls(&server, "/orders/create").await.iter().map(|r| header(r, "x-request-id")).collect();
        let expected = Some(format!("checkout-{pledge}"));
        assert_eq!(ids, [expected.clone(), expected], "one X-Request-ID for both attempts");
        assert_eq!(app.progress().await, (0, 0));
    }
}

// Payments.

async fn a_payment_counts_once_whatever_the_redeliveries(backend: Backend) {
    let (app, _server) = tiptop_app(backend).await;
    let pledge = app.pledge(500_000).await;
    let pay = payment(&pledge, 1_000_101, 500_000);
    for attempt in 0..3 {
        let (status, body) = notify(&app, "pay", &pay).await;
        assert_eq!((status, body["code"].as_i64()), (200, Some(0)), "delivery {attempt}: {body}");
        assert_eq!(app.progress().await, (500_000, 1), "after delivery {attempt}");
    }
    assert_eq!(money(&app, &pledge).await, (500_000, 0));
    assert_eq!(state(&app, &pledge).await, "paid");
    assert_eq!(pledge_row(&app, &pledge).await.provider_payment_id.as_deref(), Some("1000101"));
    let rows = inbox(&app).await;
    assert_eq!(rows.len(), 1, "one inbox row per notification: {rows:?}");
    assert_eq!(rows[0].0, "pay:1000101");
    app.assert_reconciled().await;
}

async fn a_json_payment_counts_once_whatever_the_redeliveries(backend: Backend) {
    let (app, _server) = tiptop_app(backend).await;
    let pledge = app.pledge(500_000).await;
    let body = payment(&pledge, 1_000_202, 500_000).json();
    assert!(body.contains(r#""Amount":5000.00"#) && body.contains(r#""TransactionId":1000202"#), "{body}");
    for attempt in 0..3 {
        let (status, answer) = deliver_raw(&app, "pay", JSON, &body).await;
        assert_eq!((status, answer["code"].as_i64()), (200, Some(0)), "delivery {attempt}: {answer}");
    }
    assert_eq!(app.progress().await, (500_000, 1));
    assert_eq!(money(&app, &pledge).await, (500_000, 0));
    let rows = inbox(&app).await;
    assert_eq!(rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["pay:1000202"]);
    // The same payment, form-encoded: still the same transaction.
    notify_ok(&app, "pay", &payment(&pledge, 1_000_202, 500_000)).await;
    assert_eq!(app.progress().await, (500_000, 1));
    app.assert_reconciled().await;
}

async fn a_second_transaction_for_one_invoice_is_counted_and_flagged(backend: Backend) {
    let (app, _server) = tiptop_app(backend).await;
    let pledge = app.pledge(500_000).await;
    notify_ok(&app, "pay", &payment(&pledge, 2_001, 500_000)).await;
    assert!(pledge_row(&app, &pledge).await.flag.is_none(), "one payment is nothing to look at");
    // The donor paid the same link twice: the money is there, and staff should look.
    notify_ok(&app, "pay", &payment(&pledge, 2_002, 500_000)).await;
    notify_ok(&app, "pay", &payment(&pledge, 2_002, 500_000)).await;
    let row = pledge_row(&app, &pledge).await;
    assert_eq!((row.received.minor, row.refunded.minor), (1_000_000, 0), "both transactions count, each once");
    assert!(row.flag.is_some(), "a second payment of one invoice is flagged");
    assert_eq!(app.progress().await, (1_000_000, 1));
    let mut ids: Vec<String> = inbox(&app).await.into_iter().map(|r| r.0).collect();
    ids.sort();
    assert_eq!(ids, ["pay:2001", "pay:2002"]);
    app.assert_reconciled().await;
}

async fn a_two_stage_payment_counts_on_its_confirmation(backend: Backend) {
    let (app, _server) = tiptop_app(backend).await;
    let pledge = app.pledge(500_000).await;
    let authorized = payment(&pledge, 3_001, 500_000).set("Status", s("Authorized"));
    notify_ok(&app, "pay", &authorized).await;
    assert_eq!(app.progress().await, (0, 0), "money held on the card is not money received");
    assert_eq!(money(&app, &pledge).await, (0, 0));
    let confirmed = payment(&pledge, 3_001, 500_000);
    notify_ok(&app, "confirm", &confirmed).await;
    assert_eq!(app.progress().await, (500_000, 1));
    notify_ok(&app, "confirm", &confirmed).await;
    // The same transaction reported Completed by a pay notification too: one payment.
    notify_ok(&app, "pay", &confirmed).await;
    assert_eq!(app.progress().await, (500_000, 1));
    assert_eq!(money(&app, &pledge).await, (500_000, 0));
    app.assert_reconciled().await;
}

// Refunds, failures, cancellations.

async fn a_partial_then_a_full_refund_move_the_progress_back(backend: Backend) {
    let (app, _server) = tiptop_app(backend).await;
    let pledge = app.pledge(500_000).await;
    notify_ok(&app, "pay", &payment(&pledge, 4_001, 500_000)).await;
    assert_eq!(app.progress().await, (500_000, 1));

    let partial = refund(&pledge, 4_101, 4_001, 100_000);
    for _ in 0..2 {
        notify_ok(&app, "refund", &partial).await;
        assert_eq!(money(&app, &pledge).await, (500_000, 100_000), "each refund counts once");
        assert_eq!(app.progress().await, (400_000, 1));
    }
    assert_eq!(app.get_json(&format!("/api/v1/pledges/{pledge}")).await["status"], "partially_refunded");

    // The rest: this refund's own amount, not a running total.
    let rest = refund(&pledge, 4_102, 4_001, 400_000);
    for _ in 0..2 {
        notify_ok(&app, "refund", &rest).await;
        assert_eq!(money(&app, &pledge).await, (500_000, 500_000));
        assert_eq!(app.progress().await, (0, 0));
    }
    notify_ok(&app, "refund", &partial).await;
    assert_eq!(money(&app, &pledge).await, (500_000, 500_000), "an old refund redelivered changes nothing");
    assert_eq!(app.get_json(&format!("/api/v1/pledges/{pledge}")).await["status"], "refunded");
    let mut ids: Vec<String> = inbox(&app).await.into_iter().map(|r| r.0).collect();
    ids.sort();
    assert_eq!(ids, ["pay:4001", "refund:4101", "refund:4102"]);
    app.assert_reconciled().await;
}

async fn a_failed_payment_fails_the_pledge(backend: Backend) {
    let (app, _server) = tiptop_app(backend).await;
    let pledge = app.pledge(500_000).await;
    let fail = failure(&pledge, 5_001, 500_000);
    notify_ok(&app, "fail", &fail).await;
    notify_ok(&app, "fail", &fail).await;
    assert_eq!(state(&app, &pledge).await, "failed");
    let shown = app.get_json(&format!("/api/v1/pledges/{pledge}")).await;
    assert_eq!(
        (shown["status"].as_str(), shown["decline_reason"].as_str()),
        (Some("failed"), Some("insufficient_funds"))
    );
    // Issue 24's finding: a donor sent back after a declined payment was told nothing of why.
    // The page they come back to says what the bank said, in their language, and offers the gift again.
    let back = app.get(&format!("/campaigns/mentors?pledge={pledge}&checkout=cancel&lang=ru")).await;
    let html = back.text().await.expect("html");
    assert!(html.contains("Оплата не прошла") && html.contains("недостаточно средств"), "{html}");
    assert!(html.contains("Попробовать ещё раз: 5"), "one button to try again");
    let thanks =
        app.get(&format!("/campaigns/mentors/thanks?pledge={pledge}&lang=kk")).await.text().await.expect("html");
    assert!(thanks.contains("қаражат жеткіліксіз"), "the thanks page says it too, in Kazakh");
    assert_eq!(money(&app, &pledge).await, (0, 0));
    assert_eq!(app.progress().await, (0, 0));
    assert_eq!(inbox(&app).await.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["fail:5001"]);
    app.assert_reconciled().await;
}

async fn a_canceled_payment_cancels_the_pledge(backend: Backend) {
    let (app, _server) = tiptop_app(backend).await;
    let pledge = app.pledge(500_000).await;
    notify_ok(&app, "cancel", &cancellation(&pledge, 5_101, 500_000)).await;
    assert_eq!(state(&app, &pledge).await, "canceled");
    assert_eq!(money(&app, &pledge).await, (0, 0));
    assert_eq!(app.progress().await, (0, 0));
    assert_eq!(inbox(&app).await.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["cancel:5101"]);
    app.assert_reconciled().await;
}

// Signatures and malformed bodies.

async fn bad_signatures_change_nothing(backend: Backend) {
    let (app, _server) = tiptop_app(backend).await;
    let pledge = app.pledge(500_000).await;
    let body = payment(&pledge, 6_001, 500_000).form();
    let altered = payment(&pledge, 6_001, 900_000).form();
    assert_ne!(body, altered);
    let good = content_hmac(body.as_bytes(), SECRET);
    let cases: Vec<(&str, &str, Headers)> = vec![
        ("wrong secret", body.as_str(), vec![("Content-HMAC", content_hmac(body.as_bytes(), "someone_elses_secret"))]),
        ("no signature header", body.as_str(), vec![]),
        ("changed after signing", altered.as_str(), vec![("Content-HMAC", good.clone())]),
        ("not base64", body.as_str(), vec![("Content-HMAC", "not a signature!".to_string())]),
        ("empty", body.as_str(), vec![("Content-HMAC", String::new())]),
        (
            "hex, not base64",
            body.as_str(),
            vec![("Content-HMAC", {
                let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key");
                mac.update(body.as_bytes());
                hex::encode(mac.finalize().into_bytes())
            })],
        ),
    ];
    for (what, sent, headers) in cases {
        let res = post_notification(&app, "pay", FORM, sent, &headers).await;
        assert_eq!(res.status(), 400, "{what}");
        assert_problem(res, 400).await;
        assert_eq!(app.progress().await, (0, 0), "{what}");
    }
    // A JSON body changed after signing.
    let json_body = payment(&pledge, 6_001, 500_000).json();
    let res = post_notification(
        &app,
        "pay",
        JSON,
        &json_body.replace("5000.00", "9000.00"),
        &[("Content-HMAC", content_hmac(json_body.as_bytes(), SECRET))],
    )
    .await;
    assert_problem(res, 400).await;
    assert_eq!(app.progress().await, (0, 0));
    assert_eq!(money(&app, &pledge).await, (0, 0));
    assert_eq!(state(&app, &pledge).await, "pending");
    assert_eq!(inbox_len(&app).await, 0, "nothing stored");

    // X-Content-HMAC, the same value under the other name, is accepted.
    let res = post_notification(&app, "pay", FORM, &body, &[("X-Content-HMAC", good)]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.expect("JSON")["code"], 0);
    assert_eq!(app.progress().await, (500_000, 1));
    app.assert_reconciled().await;
}

async fn malformed_notifications_are_refused(backend: Backend) {
    let (app, _server) = tiptop_app(backend).await;
    let pledge = app.pledge(500_000).await;
    // Signed, but without the transaction's id.
    let body = payment(&pledge, 6_101, 500_000).without("TransactionId").form();
    let res =
        post_notification(&app, "pay", FORM, &body, &[("Content-HMAC", content_hmac(body.as_bytes(), SECRET))]).await;
    let problem = assert_problem(res, 400).await;
    assert!(problem["detail"].as_str().is_some_and(|d| d.contains("TransactionId")), "{problem}");
    let body = payment(&pledge, 6_101, 500_000).without("TransactionId").json();
    let res =
        post_notification(&app, "pay", JSON, &body, &[("Content-HMAC", content_hmac(body.as_bytes(), SECRET))]).await;
    let problem = assert_problem(res, 400).await;
    assert!(problem["detail"].as_str().is_some_and(|d| d.contains("TransactionId")), "{problem}");
    // A kind Demeu does not take (the till's receipts are the tax service's, not ours).
    let body = payment(&pledge, 6_102, 500_000).form();
    let res =
        post_notification(&app, "receipt", FORM, &body, &[("Content-HMAC", content_hmac(body.as_bytes(), SECRET))])
            .await;
    assert_eq!(res.status(), 404, "an unknown kind");
    assert_eq!(app.progress().await, (0, 0));
    assert_eq!(inbox_len(&app).await, 0, "nothing stored");
    assert_eq!(state(&app, &pledge).await, "pending");
}

// Test mode.

async fn test_payments_count_only_on_a_test_installation(backend: Backend) {
    let (live, _server) = tiptop_app(backend).await;
    let pledge = live.pledge(500_000).await;
    // `TestMode` is 0 or 1: empty or anything else is refused, never read as a real payment.
    for bad in ["", "2", "yes"] {
        let (status, _) = notify(&live, "pay", &payment(&pledge, 7_000, 500_000).set("TestMode", s(bad))).await;
        assert_eq!(status, 400, "TestMode={bad:?}");
        let (status, _) = notify(&live, "check", &payment(&pledge, 7_000, 500_000).set("TestMode", s(bad))).await;
        assert_eq!(status, 400, "check, TestMode={bad:?}");
    }
    assert_eq!(live.progress().await, (0, 0));
    assert_eq!(inbox_len(&live).await, 0, "nothing stored");
    let test_pay = payment(&pledge, 7_001, 500_000).set("TestMode", n(1));
    notify_ok(&live, "pay", &test_pay).await;
    notify_ok(&live, "pay", &test_pay).await;
    assert_eq!(live.progress().await, (0, 0), "a test card's payment is not money on a live installation");
    assert_eq!(money(&live, &pledge).await, (0, 0));
    assert_eq!(state(&live, &pledge).await, "pending");
    assert_eq!(inbox(&live).await, [("pay:7001".to_string(), "not_ours".to_string())]);
    // The real payment still counts.
    notify_ok(&live, "pay", &payment(&pledge, 7_002, 500_000)).await;
    assert_eq!(live.progress().await, (500_000, 1));
    live.assert_reconciled().await;

    let (test, server) = tiptop_app_with(backend, true).await;
    mount_orders(&server).await;
    let pledge = test.pledge(500_000).await;
    notify_ok(&test, "pay", &payment(&pledge, 7_001, 500_000).set("TestMode", n(1))).await;
    assert_eq!(test.progress().await, (500_000, 1), "a test installation counts test payments");
    assert_eq!(money(&test, &pledge).await, (500_000, 0));
    test.assert_reconciled().await;
}

// Check.

async fn check(app: &TestApp, note: &Note) -> Option<i64> {
    let (status, body) = notify(app, "check", note).await;
    assert_eq!(status, 200, "check: {body}");
    body["code"].as_i64()
}

async fn checks_answer_the_providers_codes(backend: Backend) {
    let (app, _server) = tiptop_app(backend).await;
    let pledge = app.pledge(500_000).await;
    assert_eq!(check(&app, &payment(&pledge, 8_001, 500_000)).await, Some(0), "payable");
    assert_eq!(check(&app, &payment(&pledge, 8_001, 500_000)).await, Some(0), "asked twice, still payable");
    let json_body = payment(&pledge, 8_001, 500_000).json();
    let (status, answer) = deliver_raw(&app, "check", JSON, &json_body).await;
    assert_eq!((status, answer["code"].as_i64()), (200, Some(0)), "a JSON check: {answer}");

    let stranger = uuid::Uuid::new_v4().to_string();
    assert_eq!(check(&app, &payment(&stranger, 8_002, 500_000)).await, Some(10), "an invoice we never made");
    assert_eq!(check(&app, &payment(&pledge, 8_003, 400_000)).await, Some(12), "the wrong amount");
    assert_eq!(
        check(&app, &payment(&pledge, 8_004, 500_000).set("Currency", s("USD"))).await,
        Some(12),
        "the wrong currency"
    );
    assert_eq!(
        check(&app, &payment(&pledge, 8_005, 500_000).set("TestMode", n(1))).await,
        Some(13),
        "a test card on a live installation"
    );
    assert_eq!(app.progress().await, (0, 0), "a check changes nothing");
    assert_eq!(state(&app, &pledge).await, "pending");
    assert_eq!(money(&app, &pledge).await, (0, 0));

    // Paid: a second payment is not invited.
    notify_ok(&app, "pay", &payment(&pledge, 8_010, 500_000)).await;
    assert_eq!(check(&app, &payment(&pledge, 8_011, 500_000)).await, Some(13), "already paid");
    assert_eq!(app.progress().await, (500_000, 1));

    // The campaign has ended: a pending pledge can no longer be paid.
    let late = app.pledge(500_000).await;
    let ended_at = (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%d %H:%M:%S");
    app.execute_sql(&format!("UPDATE campaigns SET ends_at = '{ended_at}' WHERE slug = 'mentors'"))
        .await
        .expect("end the campaign");
    assert_eq!(check(&app, &payment(&late, 8_020, 500_000)).await, Some(20), "the campaign has ended");
    assert_eq!(state(&app, &late).await, "pending");
    assert_eq!(app.progress().await, (500_000, 1));
    app.assert_reconciled().await;
}

// Order of arrival.

/// Delivers `(kind, body)` in order the way TipTop Pay does: an answer other than 200 puts the
/// delivery back at the end of the queue, to be tried again later. The first answer to each.
async fn deliver_until_accepted(app: &TestApp, deliveries: Vec<(&'static str, String)>) -> Vec<u16> {
    let mut first = vec![0u16; deliveries.len()];
    let mut queue: VecDeque<(usize, &'static str, String)> =
        deliveries.into_iter().enumerate().map(|(i, (k, b))| (i, k, b)).collect();
    let mut attempts = 0;
    while let Some((i, kind, body)) = queue.pop_front() {
        attempts += 1;
        assert!(attempts < 50, "deliveries never settle");
        let (status, answer) = deliver_raw(app, kind, FORM, &body).await;
        if first[i] == 0 {
            first[i] = status;
        }
        match status {
            200 => assert_eq!(answer["code"], 0, "{kind}: {answer}"),
            503 => queue.push_back((i, kind, body)),
            other => panic!("{kind}: unexpected {other}: {answer}"),
        }
    }
    first
}

async fn every_order_of_pay_refund_and_redelivery_ends_in_the_same_state(backend: Backend) {
    let (app, _server) = tiptop_app(backend).await;
    let orders = permutations(3);
    assert_eq!(orders.len(), 6);
    for (k, order) in orders.iter().enumerate() {
        let pledge = app.pledge(500_000).await;
        let paid = 9_000 + 10 * k as u64;
        let pay = payment(&pledge, paid, 500_000).form();
        let deliveries =
            [("pay", pay.clone()), ("refund", refund(&pledge, paid + 1, paid, 100_000).form()), ("pay", pay)];
        let first = deliver_until_accepted(&app, order.iter().map(|i| deliveries[*i].clone()).collect()).await;
        let refund_at = order.iter().position(|i| *i == 1).expect("the refund");
        let pay_at = order.iter().position(|i| *i != 1).expect("a pay");
        if refund_at < pay_at {
            assert_eq!(first[refund_at], 503, "a refund before its payment is delivered again later: {order:?}");
        }
        assert_eq!(money(&app, &pledge).await, (500_000, 100_000), "order {order:?}");
        assert_eq!(pledge_row(&app, &pledge).await.provider_payment_id.as_deref(), Some(paid.to_string().as_str()));
        assert_eq!(app.progress().await, ((k as i64 + 1) * 400_000, k as i64 + 1), "order {order:?}");
    }
    assert_eq!(app.progress().await, (6 * 400_000, 6));
    assert_eq!(inbox(&app).await.len(), 12, "one row per payment and per refund");
    app.assert_reconciled().await;
}

// Staff refunds.

fn refund_answer(transaction: u64) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw(format!(r#"{{"Model":{{"TransactionId":{transaction}}},"Success":true,"Message":null}}"#), JSON)
}

async fn staff_refunds_go_to_payments_refund_and_count_on_the_notification(backend: Backend) {
    let (app, server) = tiptop_app(backend).await;
    // The first refund is made; the second refused; the third made.
    Mock::given(method("POST"))
        .and(path("/payments/refund"))
        .respond_with(refund_answer(568))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/payments/refund"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"Success":false,"Message":"Refund refused"}"#, JSON))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/payments/refund"))
        .respond_with(refund_answer(569))
        .with_priority(3)
        .mount(&server)
        .await;
    let pledge = app.pledge(500_000).await;
    notify_ok(&app, "pay", &payment(&pledge, 10_001, 500_000)).await;
    assert_eq!(app.progress().await, (500_000, 1));
    let token = app.staff_token(Role::Accountant).await;
    let refunds = format!("/api/v1/staff/pledges/{pledge}/refunds");
    let ask = |key: &'static str, body: Value| {
        app.client.post(app.url(&refunds)).bearer_auth(&token).header("Idempotency-Key", key).json(&body).send()
    };

    let res = ask("refund-one", json!({"amount": 100_000})).await.expect("sent");
    assert_eq!(res.status(), 202);
    let accepted: Value = res.json().await.expect("JSON");
    assert_eq!(accepted["refund_id"], "568", "{accepted}");
    assert_eq!(accepted["status"], "requested", "{accepted}");
    assert_eq!(accepted["amount"], 100_000, "{accepted}");
    let row_id = accepted["id"].as_str().expect("the refund row's id").to_string();
    let sent = calls(&server, "/payments/refund").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(header(&sent[0], "authorization"), Some(basic_auth()));
    assert_eq!(header(&sent[0], "x-request-id"), Some(format!("refund-{row_id}")));
    let raw = String::from_utf8(sent[0].body.clone()).expect("UTF-8");
    assert!(raw.contains(r#""Amount":1000.00"#), "the amount in tenge with two decimals: {raw}");
    let asked: Value = serde_json::from_str(&raw).expect("JSON body");
    assert_eq!(asked["TransactionId"], json!(10_001), "the payment's TransactionId, a number: {raw}");
    assert_eq!(app.progress().await, (500_000, 1), "nothing moves until the refund notification");

    // The same key again: the first answer, no second call.
    let again = ask("refund-one", json!({"amount": 100_000})).await.expect("sent");
    assert_eq!(again.status(), 202);
    assert_eq!(again.json::<Value>().await.expect("JSON"), accepted);
    assert_eq!(calls(&server, "/payments/refund").await.len(), 1);

    notify_ok(&app, "refund", &refund(&pledge, 568, 10_001, 100_000)).await;
    notify_ok(&app, "refund", &refund(&pledge, 568, 10_001, 100_000)).await;
    assert_eq!(app.progress().await, (400_000, 1));
    assert_eq!(money(&app, &pledge).await, (500_000, 100_000));
    assert_eq!(refund_statuses(&app, &pledge).await, [(100_000, "counted".to_string())]);

    // Refused: 502, and the amount it reserved is free again.
    let refused = ask("refund-rest", json!({"amount": 400_000})).await.expect("sent");
    assert_problem(refused, 502).await;
    assert_eq!(
        refund_statuses(&app, &pledge).await,
        [(100_000, "counted".to_string()), (400_000, "failed".to_string())]
    );
    let res = ask("refund-rest-again", json!({"amount": 400_000})).await.expect("sent");
    assert_eq!(res.status(), 202, "the refused refund reserved nothing");
    let accepted: Value = res.json().await.expect("JSON");
    assert_eq!(accepted["refund_id"], "569");
    let sent = calls(&server, "/payments/refund").await;
    assert_eq!(sent.len(), 3);
    assert_eq!(header(&sent[2], "x-request-id"), Some(format!("refund-{}", accepted["id"].as_str().expect("id"))));
    assert!(String::from_utf8_lossy(&sent[2].body).contains(r#""Amount":4000.00"#));
    notify_ok(&app, "refund", &refund(&pledge, 569, 10_001, 400_000)).await;
    assert_eq!(app.progress().await, (0, 0));
    assert_eq!(money(&app, &pledge).await, (500_000, 500_000));
    app.assert_reconciled().await;
}

// TipTop Pay and Stripe on one installation.

async fn both_providers_at_once(backend: Backend) {
    let tiptop = MockServer::start().await;
    let stripe = MockServer::start().await;
    mount_orders(&tiptop).await;
    let (tiptop_base, stripe_base) = (tiptop.uri(), stripe.uri());
    let app = spawn_app(backend)
        .with(move |s| {
            s.payments.provider = ProviderKind::TipTopPay;
            s.payments.tiptoppay.public_id = PUBLIC_ID.to_string();
            s.payments.tiptoppay.api_secret = SECRET.to_string().into();
            s.payments.tiptoppay.api_base = tiptop_base;
            s.payments.stripe.secret_key = "sk_test_demeu".to_string().into();
            s.payments.stripe.webhook_secret = "whsec_test".to_string().into();
            s.payments.stripe.api_base = stripe_base;
        })
        .await;

    // A pledge whose checkout Stripe made (before the switch to TipTop Pay).
    let earlier = app.pledge(300_000).await;
    let ids = crate::stripe::Ids::for_pledge(&earlier);
    app.execute_sql(&format!(
        "UPDATE pledges SET provider = 'stripe', provider_session_id = '{}', checkout_url = 'https://checkout.stripe.com/c/pay/{}' WHERE id = '{earlier}'",
        ids.session, ids.session
    ))
    .await
    .expect("a Stripe pledge");

    // New pledges go to TipTop Pay.
    let pledge = app.pledge(500_000).await;
    assert_eq!(provider_of(&app, &pledge).await.as_deref(), Some("tiptoppay"));
    assert_eq!(calls(&tiptop, "/orders/create").await.len(), 2);
    assert!(stripe.received_requests().await.expect("recorded").is_empty(), "nothing asked of Stripe");

    // Stripe's event for the earlier pledge still counts.
    let body = crate::stripe::event("checkout.session.completed", crate::stripe::session(&ids, 300_000, "paid"));
    let res = app.post_webhook(&body, &crate::stripe::signature(&body, "whsec_test")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.progress().await, (300_000, 1));
    assert_eq!(money(&app, &earlier).await, (300_000, 0));

    // And TipTop Pay's for the new one.
    notify_ok(&app, "pay", &payment(&pledge, 11_001, 500_000)).await;
    assert_eq!(app.progress().await, (800_000, 2));
    assert_eq!(money(&app, &pledge).await, (500_000, 0));
    app.assert_reconciled().await;
}

/// The "not yet known" window is TipTop Pay's own (36 h), inside its ~100 retries over ~2 days:
/// a refund of a payment Demeu has not heard of is answered 503 (deliver again) while young,
/// and kept for staff as `unmatched` (200, code 0) once older, instead of 503 for 72 hours
/// (Stripe's window) until TipTop Pay gave up and nobody was told.
async fn a_refund_of_an_unknown_payment_is_kept_for_staff_within_tiptoppays_retries(backend: Backend) {
    let (app, _server) = tiptop_app(backend).await;
    let pledge = app.pledge(500_000).await;
    let hours_ago = |h: i64| (chrono::Utc::now() - chrono::Duration::hours(h)).format("%Y-%m-%d %H:%M:%S").to_string();
    let young = refund(&pledge, 9_101, 9_100, 500_000).set("DateTime", s(hours_ago(10)));
    let (status, _) = notify(&app, "refund", &young).await;
    assert_eq!(status, 503, "10 hours old: deliver again");
    assert_eq!(inbox_len(&app).await, 0);
    let old = refund(&pledge, 9_102, 9_100, 500_000).set("DateTime", s(hours_ago(40)));
    notify_ok(&app, "refund", &old).await;
    assert_eq!(inbox(&app).await, [("refund:9102".to_string(), "unmatched".to_string())]);
    assert_eq!(app.progress().await, (0, 0));
}

/// TipTop Pay sends notifications by GET unless the merchant changes it: a site that keeps the
/// default settings gets its Check answered and its payment counted, once.
async fn notifications_by_get_are_read_from_the_query_string(backend: Backend) {
    let (app, _server) = tiptop_app(backend).await;
    let pledge = app.pledge(500_000).await;
    let query = payment(&pledge, 7_301, 500_000).form();
    let get = |kind: &str, query: &str, signature: String| {
        let url = app.url(&format!("/api/v1/webhooks/tiptoppay/{kind}?{query}"));
        let request = app.client.get(url).header("Content-HMAC", signature);
        async move { request.send().await.expect("sent") }
    };
    let check: Value = get("check", &query, content_hmac(query.as_bytes(), SECRET)).await.json().await.expect("JSON");
    assert_eq!(check["code"], 0, "a default site's Check is accepted: {check}");
    for _ in 0..2 {
        let res = get("pay", &query, content_hmac(query.as_bytes(), SECRET)).await;
        assert_eq!(res.status(), 200);
    }
    assert_eq!(app.progress().await, (500_000, 1), "counted once");
    // Signed over something else: 400, nothing.
    let other = payment(&pledge, 7_302, 500_000).form();
    assert_eq!(get("pay", &other, content_hmac(query.as_bytes(), SECRET)).await.status(), 400);
    assert_eq!(app.progress().await, (500_000, 1));
    app.assert_reconciled().await;
}

/// A form in Windows-1251 (the merchant settings' other encoding): percent-encoded bytes that
/// are not UTF-8, read as what they say, stored as UTF-8.
async fn windows_1251_notifications_count_like_utf_8(backend: Backend) {
    let (app, _server) = tiptop_app(backend).await;
    let pledge = app.pledge(500_000).await;
    let note = payment(&pledge, 7_401, 500_000).set("IpCity", s("Алматы")).set("Name", s("АЙГЕРИМ С"));
    let pairs: Vec<(String, String)> = note
        .0
        .iter()
        .map(|(k, v)| match v {
            V::N(x) | V::S(x) => (k.clone(), x.clone()),
        })
        .collect();
    let body = pairs
        .iter()
        .map(|(k, v)| {
            let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(v);
            format!("{k}={}", percent_encoding::percent_encode(&bytes, percent_encoding::NON_ALPHANUMERIC))
        })
        .collect::<Vec<_>>()
        .join("&");
    assert!(body.contains("IpCity=%C0%EB%EC%E0%F2%FB"), "{body}");
    for content_type in [format!("{FORM}; charset=windows-1251"), FORM.to_string()] {
        let (status, answer) = deliver_raw(&app, "pay", &content_type, &body).await;
        assert_eq!((status, answer["code"].as_i64()), (200, Some(0)), "{content_type}: {answer}");
    }
    assert_eq!(app.progress().await, (500_000, 1));
    // A charset that is neither is refused by name, changing nothing.
    let (status, _) = deliver_raw(&app, "pay", &format!("{FORM}; charset=koi8-r"), &body).await;
    assert_eq!(status, 400);
    app.assert_reconciled().await;
}

/// `X-Content-HMAC` is computed over the URL-decoded parameters (`Content-HMAC` over the body
/// as sent): a notification signed only so is accepted.
async fn x_content_hmac_signs_the_decoded_parameters(backend: Backend) {
    let (app, _server) = tiptop_app(backend).await;
    let pledge = app.pledge(500_000).await;
    let body = payment(&pledge, 7_501, 500_000).set("IpCity", s("Алматы")).form();
    let decoded: Vec<u8> = percent_encoding::percent_decode(body.replace('+', " ").as_bytes()).collect();
    assert_ne!(decoded, body.as_bytes(), "something was encoded");
    let res = post_notification(&app, "pay", FORM, &body, &[("X-Content-HMAC", content_hmac(&decoded, SECRET))]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.progress().await, (500_000, 1));
    // Over the body as sent, X-Content-HMAC does not match the decoded form's: refused.
    let other = payment(&pledge, 7_502, 500_000).set("IpCity", s("Алматы")).form();
    let res = post_notification(&app, "pay", FORM, &other, &[("Content-HMAC", content_hmac(&decoded, SECRET))]).await;
    assert_eq!(res.status(), 400);
    app.assert_reconciled().await;
}

/// A refund carries no TestMode: the refund of a test payment, stored as not ours on a live
/// installation, is not ours either (it was answered 503 for days, then kept as unmatched).
async fn a_refund_of_a_test_payment_follows_its_payment(backend: Backend) {
    let (live, _server) = tiptop_app(backend).await;
    let pledge = live.pledge(500_000).await;
    notify_ok(&live, "pay", &payment(&pledge, 7_601, 500_000).set("TestMode", n(1))).await;
    notify_ok(&live, "refund", &refund(&pledge, 7_602, 7_601, 500_000)).await;
    assert_eq!(
        inbox(&live).await,
        [("pay:7601".to_string(), "not_ours".to_string()), ("refund:7602".to_string(), "not_ours".to_string())]
    );
    assert_eq!(live.progress().await, (0, 0));
}

/// `CultureName` is the language the donor chose (Kazakh is `kk-KZ`: `kk` is Russian with
/// Almaty's time), not the campaign's; with none chosen, the campaign's.
async fn the_payment_page_speaks_the_donors_language(backend: Backend) {
    let (app, server) = tiptop_app(backend).await;
    async fn culture(server: &MockServer) -> String {
        let requests = calls(server, "/orders/create").await;
        let sent: Value = serde_json::from_slice(&requests.last().expect("an order").body).expect("JSON");
        sent["CultureName"].as_str().unwrap_or_default().to_string()
    }
    let give = json!({"amount": 500_000});
    let res = app.post_json("/api/v1/campaigns/mentors/pledges?lang=kk", &give).await;
    assert_eq!(res.status(), 201);
    assert_eq!(culture(&server).await, "kk-KZ", "?lang=kk");
    let res = app
        .client
        .post(app.url("/api/v1/campaigns/mentors/pledges"))
        .header("Accept-Language", "en-GB, en;q=0.9")
        .json(&give)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 201);
    assert_eq!(culture(&server).await, "en-US", "Accept-Language");
    // The campaign page's form, in Kazakh.
    let form = [("amount_other", "5000")];
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let res = client.post(app.url("/campaigns/mentors/give?lang=kk")).form(&form).send().await.expect("sent");
    assert_eq!(res.status(), 303);
    assert_eq!(culture(&server).await, "kk-KZ", "the Kazakh page");
    app.post_json("/api/v1/campaigns/mentors/pledges", &give).await;
    assert_eq!(culture(&server).await, "ru-RU", "none chosen: the campaign's");
}

// Monthly gifts (issue 25).

const SUBSCRIPTION: &str = "sc_8cf8a9338fb8ebf7202b08d09c938";

/// A monthly gift made through the API on TipTop Pay: its pledge and subscription ids, and the
/// order's request as the stand-in received it.
async fn monthly_order(app: &TestApp, server: &MockServer, amount: i64) -> (String, String, Value) {
    let res = app
        .post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": amount, "email": DONOR, "interval": "month"}))
        .await;
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.expect("JSON");
    let pledge = made["id"].as_str().expect("id").to_string();
    let subscription = made["subscription"]["id"].as_str().expect("a monthly gift").to_string();
    let order = calls(server, "/orders/create")
        .await
        .into_iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).expect("JSON"))
        .find(|sent| sent["InvoiceId"] == pledge.as_str())
        .expect("its order");
    (pledge, subscription, order)
}

/// The `pay` of a monthly gift's charge after the first: its subscription and our id as the
/// order's AccountId; no invoice of its own (the reference does not promise one).
fn charge(subscription: &str, transaction: u64, amount: i64) -> Note {
    payment("", transaction, amount)
        .without("InvoiceId")
        .without("Data")
        .set("SubscriptionId", s(SUBSCRIPTION))
        .set("AccountId", s(subscription))
}

/// A `recurrent` notification: the subscription's state, as TipTop Pay sends it.
fn recurrent(subscription: &str, status: &str, done: u32, failed: u32) -> Note {
    Note(vec![
        ("Id".into(), s(SUBSCRIPTION)),
        ("AccountId".into(), s(subscription)),
        ("Description".into(), s("Наставники")),
        ("Email".into(), s(DONOR)),
        ("Amount".into(), n("5000.00")),
        ("Currency".into(), s("KZT")),
        ("RequireConfirmation".into(), n(0)),
        ("StartDate".into(), s(now_utc())),
        ("Interval".into(), s("Month")),
        ("Period".into(), n(1)),
        ("Status".into(), s(status)),
        ("SuccessfulTransactionsNumber".into(), n(done)),
        ("FailedTransactionsNumber".into(), n(failed)),
        ("LastTransactionDate".into(), s(now_utc())),
        ("NextTransactionDate".into(), s(now_utc())),
    ])
}

async fn subscription_status(app: &TestApp, id: &str) -> String {
    app.text(&format!("SELECT status AS v FROM subscriptions WHERE id = '{id}'")).await
}

async fn a_monthly_order_makes_a_subscription_whose_charges_count_once(backend: Backend) {
    let (app, server) = tiptop_app(backend).await;
    let (pledge, subscription, order) = monthly_order(&app, &server, 500_000).await;
    assert_eq!(order["SubscriptionBehavior"], "CreateMonthly", "{order}");
    assert_eq!(order["AccountId"], subscription.as_str(), "the gift's own id comes back with each charge: {order}");
    let once = app.post_json("/api/v1/campaigns/mentors/pledges", &json!({"amount": 500_000, "email": DONOR})).await;
    let once: Value = once.json().await.expect("JSON");
    let sent = calls(&server, "/orders/create").await;
    let once_order: Value = serde_json::from_slice(&sent.last().expect("an order").body).expect("JSON");
    assert_eq!(once_order["InvoiceId"], once["id"], "{once_order}");
    assert!(once_order.get("SubscriptionBehavior").is_none(), "a one-off order makes no subscription: {once_order}");

    // The first month: the order's payment, which names the subscription it made.
    let first =
        payment(&pledge, 70_001, 500_000).set("SubscriptionId", s(SUBSCRIPTION)).set("AccountId", s(&subscription));
    notify_ok(&app, "pay", &first).await;
    assert_eq!(subscription_status(&app, &subscription).await, "active");
    notify_ok(&app, "recurrent", &recurrent(&subscription, "Active", 1, 0)).await;
    assert_eq!(money(&app, &pledge).await, (500_000, 0));

    // Each later month: asked by Check first (accepted: today a second payment of one invoice
    // would be refused 13), then paid; redelivered, counted once.
    for (month, transaction) in [(2, 70_002), (3, 70_003)] {
        assert_eq!(check(&app, &charge(&subscription, transaction, 500_000)).await, Some(0), "month {month}");
        for _ in 0..2 {
            notify_ok(&app, "pay", &charge(&subscription, transaction, 500_000)).await;
        }
    }
    assert_eq!(app.progress().await, (1_500_000, 3), "three months, once each");
    let linked =
        app.number(&format!("SELECT COUNT(*) AS v FROM pledges WHERE subscription_id = '{subscription}'")).await;
    assert_eq!(linked, 3, "three pledges, one subscription");
    let receipts = app.number("SELECT COUNT(*) AS v FROM mail_outbox WHERE kind = 'receipt'").await;
    assert_eq!(receipts, 3, "a receipt per month");
    let note = app.text(&format!("SELECT text_body AS v FROM mail_outbox WHERE dedupe_key = 'receipt:{pledge}'")).await;
    assert!(note.contains("ежемесячное") && note.contains("/donor"), "the receipt says how to stop it: {note}");

    // A failed charge: past due, the donor told what to do (once a day, however many fails).
    for transaction in [70_004, 70_005] {
        let failed = failure("", transaction, 500_000)
            .without("InvoiceId")
            .without("Data")
            .set("SubscriptionId", s(SUBSCRIPTION))
            .set("AccountId", s(&subscription));
        notify_ok(&app, "fail", &failed).await;
    }
    notify_ok(&app, "recurrent", &recurrent(&subscription, "PastDue", 3, 2)).await;
    assert_eq!(subscription_status(&app, &subscription).await, "past_due");
    let told = app
        .number("SELECT COUNT(*) AS v FROM mail_outbox WHERE kind = 'monthly' AND dedupe_key LIKE '%:failed:%'")
        .await;
    assert_eq!(told, 1, "one mail on the day");
    let failed_mail = app.text("SELECT text_body AS v FROM mail_outbox WHERE dedupe_key LIKE '%:failed:%'").await;
    assert!(failed_mail.contains("/donor") && failed_mail.contains("карта"), "{failed_mail}");
    // Rejected after three: ended by the provider; the donor is told; a state repeated is one.
    for _ in 0..2 {
        notify_ok(&app, "recurrent", &recurrent(&subscription, "Rejected", 3, 3)).await;
    }
    assert_eq!(subscription_status(&app, &subscription).await, "ended");
    let ended = app.number("SELECT COUNT(*) AS v FROM mail_outbox WHERE dedupe_key LIKE '%:ended'").await;
    assert_eq!(ended, 1);
    let (status, answer) = notify(&app, "recurrent", &recurrent(&subscription, "Sleeping", 3, 3)).await;
    assert_eq!(status, 400, "a state that is none: {answer}");
    // A subscription another installation made: stored, not ours.
    let stranger = recurrent(&uuid::Uuid::new_v4().to_string(), "Active", 1, 0).set("Id", s("sc_stranger"));
    notify_ok(&app, "recurrent", &stranger).await;
    let outcome =
        app.text("SELECT outcome AS v FROM webhook_events WHERE event_id LIKE 'recurrent:sc_stranger%'").await;
    assert_eq!(outcome, "not_ours");
    app.assert_reconciled().await;
}

async fn every_order_of_first_payment_charge_and_cancel_counts_the_same_money(backend: Backend) {
    let (app, server) = tiptop_app(backend).await;
    for (k, order) in permutations(3).iter().enumerate() {
        let (pledge, subscription, _) = monthly_order(&app, &server, 500_000).await;
        let id = format!("sc_order_{k}");
        let base = 80_000 + 10 * k as u64;
        let first = payment(&pledge, base, 500_000).set("SubscriptionId", s(&id)).set("AccountId", s(&subscription));
        let next = charge(&subscription, base + 1, 500_000).set("SubscriptionId", s(&id));
        let stop = recurrent(&subscription, "Cancelled", 2, 0).set("Id", s(&id));
        let deliveries = [("pay", first.form()), ("pay", next.form()), ("recurrent", stop.form())];
        let sent: Vec<_> = order.iter().map(|i| deliveries[*i].clone()).collect();
        deliver_until_accepted(&app, sent.clone()).await;
        deliver_until_accepted(&app, sent).await;
        assert_eq!(subscription_status(&app, &subscription).await, "cancelled", "order {order:?}");
        let counted = app
            .number(&format!(
                "SELECT CAST(COALESCE(SUM(received), 0) AS BIGINT) AS v FROM pledges WHERE subscription_id = '{subscription}'"
            ))
            .await;
        assert_eq!(counted, 1_000_000, "both months counted once, whatever the order: {order:?}");
    }
    assert_eq!(app.progress().await, (6_000_000, 12));
    app.assert_reconciled().await;
}

async fn a_monthly_gift_is_stopped_and_changed_at_tiptoppay_and_its_charges_checked(backend: Backend) {
    let (app, server) = tiptop_app(backend).await;
    let (pledge, subscription, _) = monthly_order(&app, &server, 500_000).await;
    let first =
        payment(&pledge, 90_001, 500_000).set("SubscriptionId", s(SUBSCRIPTION)).set("AccountId", s(&subscription));
    notify_ok(&app, "pay", &first).await;
    let token = crate::donor::donor_token(&app, DONOR).await;
    let gift = format!("/api/v1/donor/subscriptions/{subscription}");

    // A change: subscriptions/update with the new amount, then here; the next charge is asked
    // of the new amount only.
    Mock::given(method("POST"))
        .and(path("/subscriptions/update"))
        .respond_with(|request: &Request| {
            let sent: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            let body = format!(
                r#"{{"Model":{{"Id":{id},"AccountId":"x","Description":"Наставники","Email":"{DONOR}","Amount":{amount:.2},"Currency":"KZT","CurrencyCode":0,"RequireConfirmation":false,"StartDateIso":"2026-12-07T10:00:00","IntervalCode":1,"Interval":"Month","Period":1,"MaxPeriods":null,"StatusCode":0,"Status":"Active","SuccessfulTransactionsNumber":1,"FailedTransactionsNumber":0,"NextTransactionDateIso":"2027-01-07T10:00:00"}},"Success":true,"Message":null}}"#,
                id = sent["Id"],
                amount = sent["Amount"].as_f64().unwrap_or(0.0),
            );
            ResponseTemplate::new(200).set_body_raw(body, "application/json")
        })
        .mount(&server)
        .await;
    let res = app.patch_as(&token, &gift, &json!({"amount": 700_000})).await;
    assert_eq!(res.status(), 200);
    let update: Value = serde_json::from_slice(&calls(&server, "/subscriptions/update").await[0].body).expect("JSON");
    assert_eq!((update["Id"].as_str(), update["Amount"].as_f64()), (Some(SUBSCRIPTION), Some(7000.0)), "{update}");
    assert_eq!(check(&app, &charge(&subscription, 90_002, 500_000)).await, Some(12), "the amount before the change");
    assert_eq!(check(&app, &charge(&subscription, 90_002, 700_000)).await, Some(0));
    notify_ok(&app, "pay", &charge(&subscription, 90_002, 700_000)).await;
    assert_eq!(app.progress().await, (1_200_000, 2));

    // A refused cancel leaves the gift running and says so; an accepted one stops it, and a
    // charge asked after it is declined before the card is touched.
    let refusal = Mock::given(method("POST"))
        .and(path("/subscriptions/cancel"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"Success":false,"Message":"Subscription not found"}"#, JSON),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount_as_scoped(&server)
        .await;
    assert_problem(app.post_as(&token, &format!("{gift}/cancel"), &json!({})).await, 502).await;
    assert_eq!(subscription_status(&app, &subscription).await, "active", "still charged: said so, not hidden");
    drop(refusal);
    Mock::given(method("POST"))
        .and(path("/subscriptions/cancel"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"Success":true,"Message":null}"#, JSON))
        .mount(&server)
        .await;
    let res = app.post_as(&token, &format!("{gift}/cancel"), &json!({})).await;
    assert_eq!(res.status(), 200);
    let cancels = calls(&server, "/subscriptions/cancel").await;
    let sent: Value = serde_json::from_slice(&cancels.last().expect("a cancel").body).expect("JSON");
    assert_eq!(sent, json!({"Id": SUBSCRIPTION}));
    assert_eq!(header(cancels.last().expect("a cancel"), "authorization"), Some(basic_auth()));
    assert_eq!(subscription_status(&app, &subscription).await, "cancelled");
    assert_eq!(check(&app, &charge(&subscription, 90_003, 700_000)).await, Some(13), "a stopped gift is not charged");
    // The provider's own word of it, after: the same state, no second mail.
    notify_ok(&app, "recurrent", &recurrent(&subscription, "Cancelled", 2, 0)).await;
    let stopped = app.number("SELECT COUNT(*) AS v FROM mail_outbox WHERE dedupe_key LIKE '%:stopped'").await;
    assert_eq!(stopped, 1);
    app.assert_reconciled().await;
}

/// A campaign closes with no successor while TipTop Pay cannot be reached: its monthly gift is
/// still charged there, said in the close's answer, and each charge is refused at its check
/// (the campaign has ended) until staff stop it.
async fn a_closed_campaigns_gift_its_provider_would_not_stop_is_refused_at_check(backend: Backend) {
    let (app, server) = tiptop_app(backend).await;
    let (pledge, subscription, _) = monthly_order(&app, &server, 500_000).await;
    let first =
        payment(&pledge, 95_001, 500_000).set("SubscriptionId", s(SUBSCRIPTION)).set("AccountId", s(&subscription));
    notify_ok(&app, "pay", &first).await;
    Mock::given(method("POST"))
        .and(path("/subscriptions/cancel"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let admin = app.staff_token(Role::Admin).await;
    let res = app.post_as(&admin, "/api/v1/staff/campaigns/mentors/close", &json!({})).await;
    assert_eq!(res.status(), 200, "the campaign closes all the same");
    let closed: Value = res.json().await.expect("JSON");
    assert_eq!(closed["monthly_gifts"], json!({"moved": 0, "stopped": 0, "still_running": 1}), "{closed}");
    assert_eq!(subscription_status(&app, &subscription).await, "active", "not shown stopped while charged");
    assert_eq!(check(&app, &charge(&subscription, 95_002, 500_000)).await, Some(20), "the campaign has ended");
    let stopped = app.number("SELECT COUNT(*) AS v FROM mail_outbox WHERE dedupe_key LIKE '%:stopped'").await;
    assert_eq!(stopped, 0, "nobody told of a stop that did not happen");
    // The console's campaign page says so until staff stop it, and links the list of them.
    let (cookie, _) = crate::console::console_session(&app, Role::Admin).await;
    let page = crate::console::html(crate::console::get(&app, &cookie, "/staff/campaigns/mentors").await).await;
    assert!(page.contains("still charged: 1"), "{page}");
    let list = "/staff/subscriptions?campaign=mentors&amp;status=active";
    assert!(page.contains(list), "{page}");
    let listed = crate::console::html(crate::console::get(&app, &cookie, &list.replace("&amp;", "&")).await).await;
    assert!(listed.contains(DONOR), "{listed}");
}

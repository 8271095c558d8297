//! TipTop Pay (formerly CloudPayments Kazakhstan; api.tiptoppay.kz, and api.cloudpayments.kz
//! speaks the same API): a hosted payment link per pledge (`orders/create`; for a monthly gift
//! with `SubscriptionBehavior: CreateMonthly`, which makes the subscription when the first month
//! is paid, and our subscription's id as its `AccountId`), refunds (`payments/refund`), and a
//! monthly gift's cancel and change (`subscriptions/cancel`, `subscriptions/update`). Its
//! notifications are read by [`notification`].
//!
//! Where the names come from: the provider's API documentation ("API" and "Уведомления" of
//! developers.cloudpayments.ru, which TipTop Pay's documentation repeats), checked against two
//! well-used clients: Hexlet/cloudpayments-ruby (`models/order_create_params.rb`,
//! `order_create_response.rb`, `payment_refund_params.rb`, `payment_refund_response.rb`) and
//! izatop/cloudpayments (`src/Api/notification.ts`, `src/Api/constants.ts`, `src/utils.ts`).
//! Every answer is `{"Success": bool, "Message": string|null, "Model": ...}`; requests are
//! authenticated by HTTP Basic (Public ID : API Secret) and made idempotent by `X-Request-ID`.

pub mod notification;

use std::time::Duration;

use base64::Engine as _;
use donations::campaign::Locale;
use donations::money::Money;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use donations::payment_check::{check, PaymentAttempt};
use donations::payment_events;
use notification::{CheckRequest, Fields, Kind, NotificationError, PROVIDER};

use super::webhook::{process_delivery, Inbox, WebhookError};
use super::{Checkout, CheckoutRequest, PaymentProvider, ProviderError, ProviderFuture, RefundRequest, RefundStarted};
use crate::settings::{ProviderKind, Settings};

/// How long a call may take, answer read, before the provider counts as unavailable.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// The most of an answer read: the models used are a few hundred bytes.
const ANSWER_LIMIT: usize = 1 << 20;

/// Talks to TipTop Pay's API (or, in tests, to a stand-in at `payments.tiptoppay.api_base`).
/// The HTTP client is hyper's, over the rustls connector that Stripe's client uses: one HTTP
/// and TLS stack in the build for both providers.
pub struct TipTopPay {
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    api_base: String,
    public_id: String,
    api_secret: SecretString,
    test_mode: bool,
}

/// The envelope of every answer.
#[derive(Deserialize)]
struct Answer<M> {
    #[serde(rename = "Success")]
    success: bool,
    #[serde(rename = "Message")]
    message: Option<String>,
    #[serde(rename = "Model")]
    model: Option<M>,
}

/// `orders/create`'s model: the fields used.
#[derive(Deserialize)]
struct Order {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Url")]
    url: String,
}

/// `payments/refund`'s model.
#[derive(Deserialize)]
struct RefundMade {
    #[serde(rename = "TransactionId")]
    transaction_id: i64,
}

/// What Demeu puts in `JsonData`, which notifications carry back as `Data`.
#[derive(Serialize)]
struct JsonData {
    pledge_id: String,
}

/// `orders/create`'s request.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct OrderCreate<'a> {
    /// Tenge, written as a decimal with two places.
    amount: Box<RawValue>,
    currency: &'static str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    /// A monthly gift's own id: the "user id" the API asks of a subscription, carried back in
    /// each of its charges' and states' notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
    /// `CreateMonthly` for a monthly gift.
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription_behavior: Option<&'static str>,
    invoice_id: String,
    json_data: JsonData,
    success_redirect_url: String,
    fail_redirect_url: String,
    culture_name: &'static str,
}

/// `subscriptions/cancel`'s request.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SubscriptionCancel<'a> {
    id: &'a str,
}

/// `subscriptions/update`'s request: the amount only (the rest stays as it is).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SubscriptionUpdate<'a> {
    id: &'a str,
    amount: Box<RawValue>,
}

/// A subscription's model, as `subscriptions/update` answers: the fields checked.
#[derive(Deserialize)]
struct SubscriptionModel {
    #[serde(rename = "Id")]
    id: String,
    /// As written (`7000.00`), never through a float.
    #[serde(rename = "Amount")]
    amount: Box<RawValue>,
}

/// `payments/refund`'s request.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RefundCreate {
    transaction_id: Box<RawValue>,
    amount: Box<RawValue>,
    json_data: JsonData,
}

/// An amount as the API counts it: major units with two decimals, a JSON number written
/// exactly (`5000.00`), never a float's rounding of it.
fn tenge(amount: Money) -> Result<Box<RawValue>, ProviderError> {
    RawValue::from_string(amount.to_major_decimal()).map_err(|e| ProviderError::Refused(format!("amount: {e}")))
}

/// The page language for a campaign's locale (`CultureName`).
pub fn culture_name(locale: Locale) -> &'static str {
    match locale {
        // Kazakh is `kk-KZ`: the API reference lists `kk` as Russian with Almaty's time zone.
        Locale::Kk => "kk-KZ",
        Locale::Ru => "ru-RU",
        Locale::En => "en-US",
    }
}

#[cfg(test)]
mod culture_tests {
    use super::*;

    #[test]
    fn kazakh_pages_are_asked_for_in_kazakh() {
        // CloudPayments' reference, "Локализация": `kk` is Russian (Almaty time), `kk-KZ` Kazakh.
        assert_eq!(culture_name(Locale::Kk), "kk-KZ");
        assert_eq!(culture_name(Locale::Ru), "ru-RU");
        assert_eq!(culture_name(Locale::En), "en-US");
    }
}

impl TipTopPay {
    /// A client for the configured keys and API base.
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let config = &settings.payments.tiptoppay;
        let connector =
            hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots().https_or_http().enable_http1().build();
        let http = Client::builder(TokioExecutor::new()).build(connector);
        Ok(TipTopPay {
            http,
            api_base: config.api_base.trim_end_matches('/').to_string(),
            public_id: config.public_id.clone(),
            api_secret: config.api_secret.clone(),
            test_mode: config.test_mode,
        })
    }

    /// The secret notifications are signed with (the API secret).
    pub fn api_secret(&self) -> &str {
        self.api_secret.expose_secret()
    }

    /// True on an installation configured for test payments.
    pub fn test_mode(&self) -> bool {
        self.test_mode
    }

    /// POSTs `body` as JSON to `path` under `request_id`, and reads the answer's model.
    /// `Success: false` is the provider's refusal; 429 a rate limit; 5xx, a network failure or
    /// an unreadable answer, unavailability: each leaves our side as it was, to be retried.
    async fn call<M: DeserializeOwned>(
        &self,
        path: &str,
        request_id: &str,
        body: &impl Serialize,
    ) -> Result<M, ProviderError> {
        let model = self.answer(path, request_id, body).await?;
        model.ok_or_else(|| ProviderError::Unavailable(format!("tiptoppay {path}: a success without a model")))
    }

    /// [`call`](Self::call)'s exchange: the model of a success, if the answer has one
    /// (`subscriptions/cancel` answers `{"Success": true, "Message": null}` only).
    async fn answer<M: DeserializeOwned>(
        &self,
        path: &str,
        request_id: &str,
        body: &impl Serialize,
    ) -> Result<Option<M>, ProviderError> {
        let unavailable = |e: &dyn std::fmt::Display| ProviderError::Unavailable(format!("tiptoppay {path}: {e}"));
        let credentials = format!("{}:{}", self.public_id, self.api_secret.expose_secret());
        let body = serde_json::to_vec(body).map_err(|e| ProviderError::Refused(format!("tiptoppay {path}: {e}")))?;
        let request = hyper::Request::post(format!("{}/{path}", self.api_base))
            .header(AUTHORIZATION, format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials)))
            .header(CONTENT_TYPE, "application/json")
            .header("X-Request-ID", request_id)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| unavailable(&e))?;
        let exchange = async {
            let response = self.http.request(request).await.map_err(|e| unavailable(&e))?;
            let status = response.status();
            let answer =
                Limited::new(response.into_body(), ANSWER_LIMIT).collect().await.map_err(|e| unavailable(&e))?;
            Ok::<_, ProviderError>((status, answer.to_bytes()))
        };
        let (status, answer) = tokio::time::timeout(CALL_TIMEOUT, exchange)
            .await
            .map_err(|_| unavailable(&format_args!("no answer in {} s", CALL_TIMEOUT.as_secs())))??;
        if status.as_u16() == 429 {
            return Err(ProviderError::RateLimited);
        }
        if status.is_server_error() {
            return Err(ProviderError::Unavailable(format!("tiptoppay {path} answered {status}")));
        }
        if !status.is_success() {
            return Err(ProviderError::Refused(format!("tiptoppay {path} answered {status}")));
        }
        let answer: Answer<M> =
            serde_json::from_slice(&answer).map_err(|e| unavailable(&format_args!("unreadable answer: {e}")))?;
        if !answer.success {
            let message = answer.message.unwrap_or_default();
            return Err(ProviderError::Refused(format!("tiptoppay {path} refused: {message}")));
        }
        Ok(answer.model)
    }
}

impl TipTopPay {
    /// Verifies a notification of `kind` (`signed`: a POST's body or a GET's query string, as
    /// received; see `notification::verify`), then answers a `check` from
    /// `donations::payment_check` (changing nothing) or processes any other kind once through
    /// the inbox. Returns the code to answer; a bad signature or body is 400, changing nothing.
    async fn notified(
        &self,
        inbox: Inbox<'_>,
        kind: Kind,
        content_type: Option<&str>,
        (content_hmac, x_content_hmac): (Option<&str>, Option<&str>),
        signed: &[u8],
    ) -> Result<u8, WebhookError> {
        let refused = |e: NotificationError| WebhookError::Refused(format!("notification: {e}"));
        notification::verify(signed, content_hmac, x_content_hmac, self.api_secret()).map_err(refused)?;
        let fields = Fields::parse(content_type, signed).map_err(refused)?;
        if kind == Kind::Recurrent {
            // A subscription's state: about a gift, not a payment; no TestMode of its own (a
            // subscription another installation made is not found here: `not_ours`).
            let payload = Fields::payload(content_type, signed).map_err(refused)?;
            let delivery = notification::recurrent_delivery(&fields, payload).map_err(refused)?;
            process_delivery(inbox, delivery).await?;
            return Ok(0);
        }
        if kind != Kind::Check {
            // A refund or cancellation carries no TestMode of its own: it follows its payment,
            // which is not ours if its own notification was stored so.
            let payment_not_ours = match notification::payment_of(kind, &fields).map_err(refused)? {
                Some(payment) => {
                    let paid = format!("{}:{payment}", Kind::Pay.as_str());
                    let outcome = inbox
                        .pool
                        .run(move |conn| payment_events::outcome_of(conn, PROVIDER, &paid).map_err(WebhookError::from))
                        .await?;
                    outcome == Some(payment_events::Outcome::NotOurs)
                }
                None => false,
            };
            let payload = Fields::payload(content_type, signed).map_err(refused)?;
            let delivery =
                notification::delivery(kind, &fields, payload, self.test_mode, payment_not_ours).map_err(refused)?;
            process_delivery(inbox, delivery).await?;
            return Ok(0);
        }
        let request = CheckRequest::read(&fields).map_err(refused)?;
        let code = if request.test_mode && !self.test_mode {
            notification::REFUSED
        } else {
            let verdict = inbox
                .pool
                .run(move |conn| {
                    let subscription =
                        request.subscription.as_ref().map(|(id, account)| (id.as_str(), account.as_deref()));
                    let attempt = PaymentAttempt {
                        pledge_ref: request.pledge_ref.as_deref(),
                        amount: request.amount,
                        subscription,
                    };
                    check(conn, &attempt, chrono::Utc::now()).map_err(WebhookError::from)
                })
                .await?;
            notification::check_code(&verdict)
        };
        if code != 0 {
            tracing::info!(code, "tiptoppay check refused");
        }
        Ok(code)
    }
}

impl PaymentProvider for TipTopPay {
    fn kind(&self) -> ProviderKind {
        ProviderKind::TipTopPay
    }

    fn takes_monthly(&self) -> bool {
        true
    }

    fn cancel_subscription<'a>(&'a self, provider_id: &'a str) -> ProviderFuture<'a, ()> {
        Box::pin(async move {
            // Cancelling one cancelled already is a success too: asking again is safe.
            let request = SubscriptionCancel { id: provider_id };
            self.answer::<serde_json::Value>("subscriptions/cancel", &format!("cancel-{provider_id}"), &request)
                .await?;
            Ok(())
        })
    }

    fn change_subscription_amount<'a>(&'a self, provider_id: &'a str, amount: Money) -> ProviderFuture<'a, ()> {
        Box::pin(async move {
            let request = SubscriptionUpdate { id: provider_id, amount: tenge(amount)? };
            // Each change is its own request: the same amount asked again after another change
            // must be applied, not answered from the first time.
            let key = format!("update-{provider_id}-{}", uuid::Uuid::new_v4().simple());
            let made: SubscriptionModel = self.call("subscriptions/update", &key, &request).await?;
            let charged = Money::from_major_decimal(made.amount.get(), amount.currency).ok();
            if made.id != provider_id || charged != Some(amount) {
                return Err(ProviderError::Refused(format!(
                    "tiptoppay subscriptions/update answered {} at {}, not {provider_id} at {amount}",
                    made.id,
                    made.amount.get()
                )));
            }
            Ok(())
        })
    }

    fn create_checkout<'a>(&'a self, request: &'a CheckoutRequest) -> ProviderFuture<'a, Checkout> {
        Box::pin(async move {
            let pledge = request.pledge_id.to_string();
            let order = OrderCreate {
                amount: tenge(request.amount)?,
                currency: request.amount.currency.code(),
                description: &request.campaign_title,
                email: request.email.as_deref(),
                account_id: request.subscription_id.map(|id| id.to_string()),
                subscription_behavior: request.subscription_id.map(|_| "CreateMonthly"),
                invoice_id: pledge.clone(),
                json_data: JsonData { pledge_id: pledge.clone() },
                success_redirect_url: request.success_url.clone(),
                fail_redirect_url: request.cancel_url.clone(),
                culture_name: culture_name(request.locale),
            };
            // The same pledge always sends the same X-Request-ID: a retry after a failure gets
            // the order the provider may already have made, never a second one.
            let made: Order = self.call("orders/create", &format!("checkout-{pledge}"), &order).await?;
            Ok(Checkout { session_id: made.id, url: made.url })
        })
    }

    fn refund<'a>(&'a self, request: &'a RefundRequest) -> ProviderFuture<'a, RefundStarted> {
        Box::pin(async move {
            // The payment's TransactionId is a number in the API; ours came from a notification.
            let transaction = request
                .payment_id
                .parse::<i64>()
                .ok()
                .and_then(|id| RawValue::from_string(id.to_string()).ok())
                .ok_or_else(|| {
                    ProviderError::Refused(format!("payment {} is not a TransactionId", request.payment_id))
                })?;
            let refund = RefundCreate {
                transaction_id: transaction,
                amount: tenge(request.amount)?,
                json_data: JsonData { pledge_id: request.pledge_id.to_string() },
            };
            let made: RefundMade = self.call("payments/refund", &request.idempotency_key, &refund).await?;
            Ok(RefundStarted { refund_id: made.transaction_id.to_string(), delivery: None })
        })
    }

    fn receive<'a>(&'a self, inbox: Inbox<'a>, notification: super::Notification<'a>) -> super::InboundFuture<'a> {
        Box::pin(async move {
            let kind = notification.kind.and_then(Kind::parse).ok_or(WebhookError::NoSuchKind)?;
            let signatures = (notification.header("content-hmac"), notification.header("x-content-hmac"));
            let code = self.notified(inbox, kind, notification.content_type, signatures, notification.signed).await?;
            Ok(super::Acknowledged::Code(code))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use donations::money::Currency;

    #[test]
    fn amounts_are_written_in_tenge_exactly() {
        let body = serde_json::to_string(&RefundCreate {
            transaction_id: RawValue::from_string("1234".into()).expect("number"),
            amount: tenge(Money::new(500_050, Currency::Kzt)).expect("amount"),
            json_data: JsonData { pledge_id: "p".into() },
        })
        .expect("json");
        assert_eq!(body, r#"{"TransactionId":1234,"Amount":5000.50,"JsonData":{"pledge_id":"p"}}"#);
    }
}

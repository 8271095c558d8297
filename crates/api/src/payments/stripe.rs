//! Stripe Checkout through async-stripe.
//!
//! async-stripe's client sends the requests (authentication, idempotency keys, retries, Stripe's
//! errors); the two requests Demeu makes and the two fields it reads of each answer are our own
//! small types below rather than the generated `async-stripe-checkout`/`-core` crates, whose
//! decoders of every Stripe object were a tenth of a clean release build (issue 10, target 6).
//! The form's shape is Stripe's bracket notation, which the client's encoder writes from any
//! `Serialize` (`line_items[0][price_data][currency]`), and tests check it field by field
//! against a stand-in for Stripe's API.

use std::collections::HashMap;
use std::time::Duration;

use secrecy::ExposeSecret;
use serde::Serialize;
use stripe::{ClientBuilder, IdempotencyKey, RequestStrategy, StripeError};
use stripe_client_core::{RequestBuilder, StripeMethod};

use super::{Checkout, CheckoutRequest, PaymentProvider, ProviderError, ProviderFuture, RefundRequest, RefundStarted};
use crate::settings::{ProviderKind, Settings};
use donations::money::Money;
use donations::subscription::Interval;

/// Talks to Stripe's API (or, in tests, to a stand-in at `payments.stripe.api_base`).
pub struct StripeProvider {
    client: stripe::Client,
}

impl StripeProvider {
    /// A client for the configured key and API base.
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let stripe = &settings.payments.stripe;
        let mut base = stripe.api_base.clone();
        if !base.ends_with('/') {
            base.push('/');
        }
        let client = ClientBuilder::new(stripe.secret_key.expose_secret())
            .url(base)
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| anyhow::anyhow!("payments.stripe: {e}"))?;
        Ok(StripeProvider { client })
    }
}

fn idempotent(key: String) -> Result<RequestStrategy, ProviderError> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| ProviderError::Refused(format!("idempotency key: {e}")))
}

/// `POST /v1/checkout/sessions`: a one-line payment for the pledge's amount, carrying the
/// pledge's id as the session's reference and in the session's and the payment's metadata; for
/// a monthly gift a subscription (`mode=subscription`, the price recurring monthly), the pledge's
/// id in the subscription's metadata (`payment_intent_data` is for one-off payments only).
#[derive(Serialize)]
struct NewSession<'a> {
    mode: &'static str,
    currency: &'a str,
    client_reference_id: &'a str,
    metadata: &'a HashMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_intent_data: Option<PaymentIntentData<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription_data: Option<PaymentIntentData<'a>>,
    line_items: [LineItem<'a>; 1],
    success_url: &'a str,
    cancel_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_email: Option<&'a str>,
}

#[derive(Serialize)]
struct PaymentIntentData<'a> {
    metadata: &'a HashMap<&'static str, String>,
}

#[derive(Serialize)]
struct LineItem<'a> {
    price_data: PriceData<'a>,
    quantity: u32,
}

#[derive(Serialize)]
struct PriceData<'a> {
    currency: &'a str,
    unit_amount: i64,
    product_data: ProductData<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recurring: Option<Recurring>,
}

/// How often a subscription's price is charged.
#[derive(Serialize)]
struct Recurring {
    interval: &'static str,
}

#[derive(Serialize)]
struct ProductData<'a> {
    name: &'a str,
}

/// `POST /v1/refunds`: part or all of a payment, with the pledge's id in its metadata.
#[derive(Serialize)]
struct NewRefund<'a> {
    payment_intent: &'a str,
    amount: i64,
    metadata: HashMap<&'static str, String>,
}

/// What Demeu reads of a checkout session (miniserde, the client's decoder, skips the rest).
#[derive(miniserde::Deserialize)]
struct SessionAnswer {
    id: String,
    url: Option<String>,
}

/// What Demeu reads of a subscription it cancelled.
#[derive(miniserde::Deserialize)]
struct SubscriptionAnswer {
    id: String,
    status: String,
}

/// What Demeu reads of a refund.
/// A subscription with its items: the one item a monthly gift has, and its product.
#[derive(miniserde::Deserialize)]
struct SubscriptionItems {
    id: String,
    items: ItemList,
}

#[derive(miniserde::Deserialize)]
struct ItemList {
    data: Vec<Item>,
}

#[derive(miniserde::Deserialize)]
struct Item {
    id: String,
    price: ItemPriceAnswer,
}

#[derive(miniserde::Deserialize)]
struct ItemPriceAnswer {
    product: String,
}

/// `POST /v1/subscriptions/{id}`'s form changing the item's price. A subscription item's
/// `price_data` names an existing product (it takes no `product_data`): the one the checkout
/// made.
#[derive(Serialize)]
struct AmountChange<'a> {
    items: [ItemChange<'a>; 1],
    proration_behavior: &'static str,
}

#[derive(Serialize)]
struct ItemChange<'a> {
    id: &'a str,
    price_data: ItemPrice<'a>,
}

#[derive(Serialize)]
struct ItemPrice<'a> {
    currency: &'a str,
    product: &'a str,
    unit_amount: i64,
    recurring: Recurring,
}

#[derive(miniserde::Deserialize)]
struct RefundAnswer {
    id: String,
}

/// Stripe's answers mapped to ours: 429 is a rate limit, 5xx and network trouble unavailable,
/// anything else a refusal (a declined card, an invalid request).
fn map_error(e: StripeError) -> ProviderError {
    match e {
        StripeError::Stripe(err, 429) => {
            tracing::warn!(message = ?err.message, "stripe rate limit");
            ProviderError::RateLimited
        }
        StripeError::Stripe(err, status) if status >= 500 => {
            ProviderError::Unavailable(format!("stripe answered {status}: {}", err.message.unwrap_or_default()))
        }
        StripeError::Stripe(err, status) => ProviderError::Refused(format!(
            "stripe answered {status}: {} {}",
            err.code.map(|c| c.to_string()).unwrap_or_default(),
            err.message.unwrap_or_default()
        )),
        StripeError::ClientError(msg) => ProviderError::Unavailable(msg),
        StripeError::Timeout => ProviderError::Unavailable("timeout".into()),
        StripeError::JSONDeserialize(msg) => ProviderError::Unavailable(format!("unreadable answer: {msg}")),
        StripeError::ConfigError(msg) => ProviderError::Refused(msg),
    }
}

impl PaymentProvider for StripeProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Stripe
    }

    fn takes_monthly(&self) -> bool {
        true
    }

    fn create_checkout<'a>(&'a self, request: &'a CheckoutRequest) -> ProviderFuture<'a, Checkout> {
        Box::pin(async move {
            let pledge = request.pledge_id.to_string();
            let currency = request.amount.currency.code().to_lowercase();
            let metadata = HashMap::from([("pledge_id", pledge.clone())]);
            let monthly = request.interval == Interval::Month;
            let form = NewSession {
                mode: if monthly { "subscription" } else { "payment" },
                currency: &currency,
                client_reference_id: &pledge,
                metadata: &metadata,
                payment_intent_data: (!monthly).then_some(PaymentIntentData { metadata: &metadata }),
                subscription_data: monthly.then_some(PaymentIntentData { metadata: &metadata }),
                line_items: [LineItem {
                    price_data: PriceData {
                        currency: &currency,
                        unit_amount: request.amount.minor,
                        product_data: ProductData { name: &request.campaign_title },
                        recurring: monthly.then_some(Recurring { interval: "month" }),
                    },
                    quantity: 1,
                }],
                success_url: &request.success_url,
                cancel_url: &request.cancel_url,
                customer_email: request.email.as_deref(),
            };
            // The same pledge always sends the same key: a retry after a failure gets the
            // session Stripe may already have made, never a second one.
            let session: SessionAnswer = RequestBuilder::new(StripeMethod::Post, "/checkout/sessions")
                .form(&form)
                .customize()
                .request_strategy(idempotent(format!("checkout-{pledge}"))?)
                .send(&self.client)
                .await
                .map_err(map_error)?;
            let url = session.url.ok_or_else(|| ProviderError::Unavailable("the session has no url".into()))?;
            Ok(Checkout { session_id: session.id, url })
        })
    }

    fn cancel_subscription<'a>(&'a self, provider_id: &'a str) -> ProviderFuture<'a, ()> {
        Box::pin(async move {
            // `DELETE /v1/subscriptions/{id}` cancels at once (no prorating, no final invoice);
            // cancelling one already cancelled is answered with it, as it is.
            let answer: SubscriptionAnswer =
                RequestBuilder::new(StripeMethod::Delete, format!("/subscriptions/{provider_id}"))
                    .customize()
                    .send(&self.client)
                    .await
                    .map_err(map_error)?;
            match answer.status.as_str() {
                "canceled" | "incomplete_expired" => Ok(()),
                other => Err(ProviderError::Refused(format!("stripe left subscription {} {other}", answer.id))),
            }
        })
    }

    fn change_subscription_amount<'a>(&'a self, provider_id: &'a str, amount: Money) -> ProviderFuture<'a, ()> {
        Box::pin(async move {
            let path = format!("/subscriptions/{provider_id}");
            let found: SubscriptionItems = RequestBuilder::new(StripeMethod::Get, path.clone())
                .customize()
                .send(&self.client)
                .await
                .map_err(map_error)?;
            let [item] = found.items.data.as_slice() else {
                let count = found.items.data.len();
                return Err(ProviderError::Refused(format!(
                    "stripe subscription {} has {count} items, not one",
                    found.id
                )));
            };
            let currency = amount.currency.code().to_lowercase();
            // `none`: the new amount is charged from the next month; nothing is charged or
            // credited now for the month under way.
            let form = AmountChange {
                items: [ItemChange {
                    id: &item.id,
                    price_data: ItemPrice {
                        currency: &currency,
                        product: &item.price.product,
                        unit_amount: amount.minor,
                        recurring: Recurring { interval: "month" },
                    },
                }],
                proration_behavior: "none",
            };
            let _: SubscriptionAnswer = RequestBuilder::new(StripeMethod::Post, path)
                .form(&form)
                .customize()
                .send(&self.client)
                .await
                .map_err(map_error)?;
            Ok(())
        })
    }

    fn refund<'a>(&'a self, request: &'a RefundRequest) -> ProviderFuture<'a, RefundStarted> {
        Box::pin(async move {
            let form = NewRefund {
                payment_intent: &request.payment_id,
                amount: request.amount.minor,
                metadata: HashMap::from([("pledge_id", request.pledge_id.to_string())]),
            };
            let refund: RefundAnswer = RequestBuilder::new(StripeMethod::Post, "/refunds")
                .form(&form)
                .customize()
                .request_strategy(idempotent(request.idempotency_key.clone())?)
                .send(&self.client)
                .await
                .map_err(map_error)?;
            Ok(RefundStarted { refund_id: refund.id, delivery: None })
        })
    }

    fn receive<'a>(
        &'a self,
        inbox: super::webhook::Inbox<'a>,
        notification: super::Notification<'a>,
    ) -> super::InboundFuture<'a> {
        super::webhook::stripe_shaped(inbox, notification)
    }
}

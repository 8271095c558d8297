//! Stripe Checkout through async-stripe.

use std::collections::HashMap;
use std::time::Duration;

use secrecy::ExposeSecret;
use stripe::{ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, ProductData,
};
use stripe_checkout::CheckoutSessionMode;
use stripe_core::refund::CreateRefund;

use super::{Checkout, CheckoutRequest, PaymentProvider, ProviderError, ProviderFuture, RefundRequest, RefundStarted};
use crate::settings::{ProviderKind, Settings};

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

fn currency(money: donations::money::Money) -> Result<stripe_types::Currency, ProviderError> {
    money
        .currency
        .code()
        .to_lowercase()
        .parse()
        .map_err(|_| ProviderError::Refused(format!("currency {}", money.currency)))
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

    fn create_checkout<'a>(&'a self, request: &'a CheckoutRequest) -> ProviderFuture<'a, Checkout> {
        Box::pin(async move {
            let pledge = request.pledge_id.to_string();
            let metadata = HashMap::from([("pledge_id".to_string(), pledge.clone())]);
            let mut intent = CreateCheckoutSessionPaymentIntentData::new();
            intent.metadata = Some(metadata.clone());
            let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency(request.amount)?);
            price.unit_amount = Some(request.amount.minor);
            price.product_data = Some(ProductData::new(request.campaign_title.clone()));
            let mut line = CreateCheckoutSessionLineItems::new();
            line.price_data = Some(price);
            line.quantity = Some(1);
            let mut create = CreateCheckoutSession::new()
                .mode(CheckoutSessionMode::Payment)
                .currency(currency(request.amount)?)
                .client_reference_id(pledge.clone())
                .metadata(metadata)
                .payment_intent_data(intent)
                .line_items(vec![line])
                .success_url(request.success_url.clone())
                .cancel_url(request.cancel_url.clone());
            if let Some(email) = &request.email {
                create = create.customer_email(email.clone());
            }
            // The same pledge always sends the same key: a retry after a failure gets the
            // session Stripe may already have made, never a second one.
            let session = create
                .customize()
                .request_strategy(idempotent(format!("checkout-{pledge}"))?)
                .send(&self.client)
                .await
                .map_err(map_error)?;
            let url = session.url.ok_or_else(|| ProviderError::Unavailable("the session has no url".into()))?;
            Ok(Checkout { session_id: session.id.to_string(), url })
        })
    }

    fn refund<'a>(&'a self, request: &'a RefundRequest) -> ProviderFuture<'a, RefundStarted> {
        Box::pin(async move {
            let refund = CreateRefund::new()
                .payment_intent(request.payment_id.clone())
                .amount(request.amount.minor)
                .metadata(HashMap::from([("pledge_id".to_string(), request.pledge_id.to_string())]))
                .customize()
                .request_strategy(idempotent(request.idempotency_key.clone())?)
                .send(&self.client)
                .await
                .map_err(map_error)?;
            Ok(RefundStarted { refund_id: refund.id.to_string(), delivery: None })
        })
    }
}

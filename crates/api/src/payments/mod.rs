//! Payment providers behind one trait: make a checkout for a pledge, refund, and verify and
//! decode a webhook delivery into domain events. `payments.provider` picks one at start-up.

pub mod provider_id;
pub mod sandbox;
pub mod signature;
pub mod stripe;
pub mod stripe_events;
pub mod webhook;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use donations::money::Money;
use donations::payment_events::Delivery;
use uuid::Uuid;

use crate::problem::ApiError;
use crate::settings::{ProviderKind, Settings};

/// What a provider needs to make a checkout.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    /// Our pledge: the checkout carries it back in every event.
    pub pledge_id: Uuid,
    /// What to charge.
    pub amount: Money,
    /// Shown on the provider's page.
    pub campaign_title: String,
    /// For the return links.
    pub campaign_slug: String,
    /// Prefilled on the provider's page.
    pub email: Option<String>,
}

/// A checkout made: where the donor goes to pay.
#[derive(Debug, Clone)]
pub struct Checkout {
    /// The provider's session id.
    pub session_id: String,
    /// Where to send the donor.
    pub url: String,
}

/// What a provider needs to give money back.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    /// Our pledge.
    pub pledge_id: Uuid,
    /// The provider's payment.
    pub payment_id: String,
    /// How much to give back now.
    pub amount: Money,
    /// What the provider was asked to refund before this one (confirmed or not).
    pub refunded_before: i64,
    /// The provider's idempotency key: derived from our refund row, so that every retry of one
    /// refund asks the same question.
    pub idempotency_key: String,
}

/// A refund the provider accepted. It counts when the provider's refund event arrives.
#[derive(Debug, Clone)]
pub struct RefundStarted {
    /// The provider's refund id.
    pub refund_id: String,
    /// An event the provider delivers at once (the sandbox), to be fed to the webhook path.
    pub delivery: Option<SignedDelivery>,
}

/// A webhook body with its `Stripe-Signature` header.
#[derive(Debug, Clone)]
pub struct SignedDelivery {
    /// Exact bytes.
    pub body: String,
    /// The header value.
    pub signature: String,
}

/// How a provider call failed. Every variant is retry-safe: the pledge is kept.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// The provider refused (e.g. a card declined, an invalid request).
    #[error("the payment provider refused: {0}")]
    Refused(String),
    /// Too many requests: try again later.
    #[error("the payment provider is rate limiting")]
    RateLimited,
    /// The provider could not be reached or failed (5xx, network, timeout).
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
}

impl From<ProviderError> for ApiError {
    /// The provider's own words go to the log, never to the client: they can name our account,
    /// our request or the card, and they are not ours to show. The client gets a fixed text and
    /// the answer's X-Request-Id, which finds the log line.
    fn from(e: ProviderError) -> Self {
        tracing::warn!(error = %e, "payment provider call failed");
        match e {
            ProviderError::Refused(_) | ProviderError::Unavailable(_) => ApiError::BadGateway(
                "The payment provider did not accept the request. Nothing was lost: try again; \
                 if it keeps failing, quote this answer's X-Request-Id."
                    .into(),
            ),
            ProviderError::RateLimited => ApiError::Unavailable(e.to_string()),
        }
    }
}

/// A boxed future, so that the trait can be used as `dyn PaymentProvider`.
pub type ProviderFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// A payment provider.
pub trait PaymentProvider: Send + Sync {
    /// `stripe` or `sandbox`.
    fn name(&self) -> &'static str;

    /// Makes a checkout for a pledge. Calling it twice for one pledge makes one checkout.
    fn create_checkout<'a>(&'a self, request: &'a CheckoutRequest) -> ProviderFuture<'a, Checkout>;

    /// Asks for money back.
    fn refund<'a>(&'a self, request: &'a RefundRequest) -> ProviderFuture<'a, RefundStarted>;

    /// The secrets a delivery may be signed with.
    fn webhook_secrets(&self) -> &[String];

    /// Verifies a delivery's signature, then decodes it.
    fn verify_and_decode(
        &self,
        payload: &[u8],
        signature_header: Option<&str>,
        now: i64,
        tolerance_seconds: u64,
    ) -> Result<Delivery, ApiError> {
        signature::verify(payload, signature_header, self.webhook_secrets(), now, tolerance_seconds)
            .map_err(|e| ApiError::BadRequest(format!("webhook signature: {e}")))?;
        let text = std::str::from_utf8(payload).map_err(|_| ApiError::BadRequest("the body is not UTF-8".into()))?;
        stripe_events::decode(text).map_err(|e| ApiError::BadRequest(e.to_string()))
    }
}

/// The configured provider, and the sandbox itself when that is it (its pages sign events).
pub struct Providers {
    /// Makes checkouts and refunds, verifies deliveries.
    pub active: Arc<dyn PaymentProvider>,
    /// The sandbox, when `payments.provider = "sandbox"`.
    pub sandbox: Option<Arc<sandbox::SandboxProvider>>,
}

/// The provider configuration names.
pub fn from_settings(settings: &Settings, pool: &demeu_db::DbPool) -> anyhow::Result<Providers> {
    Ok(match settings.payments.provider {
        ProviderKind::Sandbox => {
            let sandbox = Arc::new(sandbox::SandboxProvider::new(settings, sandbox::sandbox_secret(settings, pool)?));
            Providers { active: sandbox.clone(), sandbox: Some(sandbox) }
        }
        ProviderKind::Stripe => Providers { active: Arc::new(stripe::StripeProvider::new(settings)?), sandbox: None },
    })
}

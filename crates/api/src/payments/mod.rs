//! Payment providers behind one trait: make a checkout for a pledge, and refund. Each provider's
//! deliveries are verified and decoded into domain events by its own module (Stripe's and the
//! sandbox's by `stripe_events`, TipTop Pay's by `tiptoppay::notification`), then processed by
//! one path (`webhook`). `payments.provider` picks the provider of new pledges; every provider
//! whose keys are configured keeps serving the pledges it made.

pub mod provider_id;
pub mod sandbox;
pub mod signature;
pub mod stripe;
pub mod stripe_events;
pub mod tiptoppay;
pub mod webhook;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use donations::campaign::Locale;
use donations::money::Money;
use uuid::Uuid;

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
    /// Where the donor comes back to after paying: the pledge's thanks page.
    pub success_url: String,
    /// Where the donor comes back to after a checkout that did not pay: the donate form, with
    /// the amount kept.
    pub cancel_url: String,
    /// Prefilled on the provider's page.
    pub email: Option<String>,
    /// The language of the provider's page.
    pub locale: Locale,
    /// Once, or a monthly gift's first checkout (which starts its subscription).
    pub interval: donations::subscription::Interval,
    /// A monthly gift's own id (TipTop Pay carries it as the order's `AccountId`).
    pub subscription_id: Option<donations::ids::SubscriptionId>,
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
    pub refunded_before: Money,
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

/// A Stripe-shaped webhook body with its `Stripe-Signature` header.
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

/// A boxed future, so that the trait can be used as `dyn PaymentProvider`.
pub type ProviderFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// A notification a provider sent, as the server received it (no HTTP type: the route reads it
/// off the request).
#[derive(Clone, Copy)]
pub struct Notification<'a> {
    /// The kind its address names (TipTop Pay has an address per kind: `pay`, `check`, …);
    /// `None` where one address takes every kind (Stripe).
    pub kind: Option<&'a str>,
    /// Its `Content-Type`, for a body; `None` for a query string.
    pub content_type: Option<&'a str>,
    /// Its headers, names in lower case.
    pub headers: &'a [(&'a str, &'a str)],
    /// What its signature covers: the body as received, or the query string.
    pub signed: &'a [u8],
}

impl<'a> Notification<'a> {
    /// The header `name` (lower case), if it came.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

/// What a provider is to be told of its notification.
#[derive(Debug)]
pub enum Acknowledged {
    /// A Stripe-shaped event: what processing it did.
    Event(donations::payment_events::Processed),
    /// TipTop Pay's answer code (0: accepted; a `check`'s refusal otherwise).
    Code(u8),
}

/// A boxed future of receiving a notification; processing runs on the server's own thread, so
/// it need not be `Send`.
pub type InboundFuture<'a> = Pin<Box<dyn Future<Output = Result<Acknowledged, webhook::WebhookError>> + 'a>>;

/// A payment provider: what Demeu asks of it, and what it tells Demeu.
pub trait PaymentProvider: Send + Sync {
    /// Which one: stored with each pledge it makes.
    fn kind(&self) -> ProviderKind;

    /// Whether its checkout can start a monthly gift (a subscription it charges each month).
    fn takes_monthly(&self) -> bool {
        false
    }

    /// Makes a checkout for a pledge. Calling it twice for one pledge makes one checkout.
    fn create_checkout<'a>(&'a self, request: &'a CheckoutRequest) -> ProviderFuture<'a, Checkout>;

    /// Stops a monthly gift's subscription (the provider's `provider_id`) at once: no more
    /// charges. A provider that cannot is refused, and the gift stays as it is.
    fn cancel_subscription<'a>(&'a self, provider_id: &'a str) -> ProviderFuture<'a, ()> {
        Box::pin(async move {
            Err(ProviderError::Refused(format!("{} cannot cancel subscription {provider_id}", self.kind())))
        })
    }

    /// Changes a monthly gift's amount from its next charge on (no charge now, nothing
    /// prorated). A provider that cannot is refused, and the gift stays as it is.
    fn change_subscription_amount<'a>(&'a self, provider_id: &'a str, amount: Money) -> ProviderFuture<'a, ()> {
        Box::pin(async move {
            Err(ProviderError::Refused(format!("{} cannot change subscription {provider_id} to {amount}", self.kind())))
        })
    }

    /// Asks for money back.
    fn refund<'a>(&'a self, request: &'a RefundRequest) -> ProviderFuture<'a, RefundStarted>;

    /// Verifies, decodes and processes (once) a notification it sent, through `inbox`; what to
    /// tell it. A bad signature or body is refused and changes nothing.
    fn receive<'a>(&'a self, inbox: webhook::Inbox<'a>, notification: Notification<'a>) -> InboundFuture<'a>;
}

/// The configured providers: the one that serves new pledges, and every one whose keys are
/// configured, which keeps serving (refunds, notifications) the pledges it made.
pub struct Providers {
    /// Makes the checkouts of new pledges.
    pub active: Arc<dyn PaymentProvider>,
    /// Every configured provider, the active one included.
    configured: Vec<Arc<dyn PaymentProvider>>,
    /// The secrets a Stripe-shaped delivery may be signed with: Stripe's webhook secrets when its
    /// keys are configured, and the sandbox's own when it runs.
    pub stripe_secrets: Vec<String>,
    /// The sandbox, when `payments.provider = "sandbox"`: its pages sign the events "Pay" sends.
    pub sandbox: Option<Arc<sandbox::SandboxProvider>>,
}

impl Providers {
    /// The configured provider whose deliveries are Stripe-shaped and come to Stripe's address:
    /// Stripe, or the sandbox (whose events take Stripe's shape).
    pub fn stripe_shaped(&self) -> Option<&Arc<dyn PaymentProvider>> {
        self.get(ProviderKind::Stripe).or_else(|| self.get(ProviderKind::Sandbox))
    }

    /// The provider that made a pledge's checkout, if it is still configured.
    pub fn get(&self, kind: ProviderKind) -> Option<&Arc<dyn PaymentProvider>> {
        self.configured.iter().find(|p| p.kind() == kind)
    }

    /// The providers the configuration names: the active one, and every other one whose keys
    /// are set (settings have checked that the keys of each are complete).
    pub fn from_settings(settings: &Settings, pool: &demeu_db::DbPool) -> anyhow::Result<Providers> {
        let payments = &settings.payments;
        let mut configured: Vec<Arc<dyn PaymentProvider>> = Vec::new();
        let mut stripe_secrets = Vec::new();
        let mut sandbox = None;
        if payments.provider == ProviderKind::Sandbox {
            let secret = sandbox::sandbox_secret(settings, pool)?;
            stripe_secrets.push(secret.clone());
            let made = Arc::new(sandbox::SandboxProvider::new(settings, secret));
            configured.push(made.clone());
            sandbox = Some(made);
        }
        if payments.stripe_configured() {
            stripe_secrets.extend(payments.stripe_webhook_secrets());
            configured.push(Arc::new(stripe::StripeProvider::new(settings)?));
        }
        if payments.tiptoppay_configured() {
            configured.push(Arc::new(tiptoppay::TipTopPay::new(settings)?));
        }
        let active = configured
            .iter()
            .find(|p| p.kind() == payments.provider)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("payments.provider: {} has no keys configured", payments.provider))?;
        Ok(Providers { active, configured, stripe_secrets, sandbox })
    }
}

//! The zero-set-up provider: its checkout is a page on this server, and its "Pay", "Decline"
//! and refunds produce Stripe-shaped events signed with the sandbox secret, which enter through
//! the same verification and handling as Stripe's.

use secrecy::ExposeSecret;
use serde_json::{json, Value};

use donations::money::Money;

use super::{
    signature, Checkout, CheckoutRequest, PaymentProvider, ProviderFuture, RefundRequest, RefundStarted, SignedDelivery,
};
use crate::settings::{ProviderKind, Settings};

/// The sandbox provider.
pub struct SandboxProvider {
    secret: String,
    public_url: String,
}

impl SandboxProvider {
    /// A sandbox signing with `secret` (see [`sandbox_secret`]).
    pub fn new(settings: &Settings, secret: String) -> Self {
        SandboxProvider { secret, public_url: settings.public_url().to_string() }
    }
}

impl SandboxProvider {
    /// The event "Pay" sends for checkout `session_id` of a pledge, signed.
    pub fn paid(&self, session_id: &str, pledge_id: &str, amount: Money) -> SignedDelivery {
        paid_session(&self.secret, session_id, pledge_id, amount)
    }

    /// The event "Pay" sends for a monthly gift's first checkout: paid by its first invoice,
    /// starting subscription `subscription` (the sandbox's id for it).
    pub fn paid_monthly(&self, session_id: &str, pledge_id: &str, amount: Money, subscription: &str) -> SignedDelivery {
        signed_event(
            &self.secret,
            "checkout.session.completed",
            json!({
                "id": session_id,
                "object": "checkout.session",
                "mode": "subscription",
                "status": "complete",
                "payment_status": "paid",
                "client_reference_id": pledge_id,
                "metadata": {"pledge_id": pledge_id},
                "subscription": subscription,
                "invoice": format!("in_sandbox_{}", pledge_id.replace('-', "")),
                "amount_total": amount.minor,
                "currency": amount.currency.code().to_lowercase(),
            }),
        )
    }

    /// The provider's next monthly charge of `subscription` (the sandbox's id), now: a paid
    /// invoice of its own, as Stripe sends one each month.
    pub fn charged(&self, subscription: &str, amount: Money) -> SignedDelivery {
        signed_event(
            &self.secret,
            "invoice.paid",
            json!({
                "id": format!("in_sandbox_{}", uuid::Uuid::new_v4().simple()),
                "object": "invoice",
                "billing_reason": "subscription_cycle",
                "status": "paid",
                "amount_paid": amount.minor,
                "currency": amount.currency.code().to_lowercase(),
                "parent": {"type": "subscription_details", "subscription_details": {"subscription": subscription}},
            }),
        )
    }

    /// The event "Decline" sends, signed.
    pub fn declined(&self, session_id: &str, pledge_id: &str, amount: Money) -> SignedDelivery {
        declined_session(&self.secret, session_id, pledge_id, amount)
    }
}

/// The secret the sandbox signs its events with: `payments.sandbox.webhook_secret` when set,
/// else this installation's own, made at random on first start and kept in the database.
pub fn sandbox_secret(settings: &Settings, pool: &demeu_db::DbPool) -> anyhow::Result<String> {
    let configured = settings.payments.sandbox.webhook_secret.expose_secret().trim();
    if !configured.is_empty() {
        return Ok(configured.to_string());
    }
    let mut conn = pool.get()?;
    Ok(demeu_db::secrets::get_or_create(&mut conn, "sandbox_webhook_secret")?)
}

/// The id the sandbox gives a monthly gift's subscription (ours is `subscription`).
pub fn subscription_id(subscription: &str) -> String {
    format!("sub_sandbox_{}", subscription.replace('-', ""))
}

/// The payment id the sandbox gives a pledge's payment.
pub fn payment_id(pledge_id: &str) -> String {
    format!("pi_sandbox_{}", pledge_id.replace('-', ""))
}

fn charge_id(pledge_id: &str) -> String {
    format!("ch_sandbox_{}", pledge_id.replace('-', ""))
}

/// Wraps `object` in an event envelope and signs it with `secret`.
pub fn signed_event(secret: &str, event_type: &str, object: Value) -> SignedDelivery {
    let now = chrono::Utc::now().timestamp();
    let body = json!({
        "id": format!("evt_sandbox_{}", uuid::Uuid::new_v4().simple()),
        "object": "event",
        "api_version": null,
        "created": now,
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": event_type,
        "data": {"object": object},
    })
    .to_string();
    let signature = signature::sign(body.as_bytes(), secret, now);
    SignedDelivery { body, signature }
}

/// The event "Pay" sends: a completed, paid checkout session.
pub fn paid_session(secret: &str, session_id: &str, pledge_id: &str, amount: Money) -> SignedDelivery {
    signed_event(
        secret,
        "checkout.session.completed",
        json!({
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "complete",
            "payment_status": "paid",
            "client_reference_id": pledge_id,
            "metadata": {"pledge_id": pledge_id},
            "payment_intent": payment_id(pledge_id),
            "amount_total": amount.minor,
            "currency": amount.currency.code().to_lowercase(),
        }),
    )
}

/// The event "Decline" sends: the checkout's payment failed.
pub fn declined_session(secret: &str, session_id: &str, pledge_id: &str, amount: Money) -> SignedDelivery {
    signed_event(
        secret,
        "checkout.session.async_payment_failed",
        json!({
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "complete",
            "payment_status": "unpaid",
            "client_reference_id": pledge_id,
            "metadata": {"pledge_id": pledge_id},
            "payment_intent": null,
            "amount_total": amount.minor,
            "currency": amount.currency.code().to_lowercase(),
        }),
    )
}

impl PaymentProvider for SandboxProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Sandbox
    }

    fn takes_monthly(&self) -> bool {
        true
    }

    fn create_checkout<'a>(&'a self, _request: &'a CheckoutRequest) -> ProviderFuture<'a, Checkout> {
        Box::pin(async move {
            // Random, like Stripe's: a session id is a capability (whoever holds it can pay or
            // decline), so it must not be derivable from anything another visitor sees. A retry
            // of the same pledge reuses the checkout stored on it (services::pledges).
            let session_id = format!("cs_sandbox_{}", uuid::Uuid::new_v4().simple());
            let url = format!("{}/sandbox/checkout/{session_id}", self.public_url);
            Ok(Checkout { session_id, url })
        })
    }

    fn cancel_subscription<'a>(&'a self, _provider_id: &'a str) -> ProviderFuture<'a, ()> {
        // Nothing is charged but by its own button: stopping it is only ours to record.
        Box::pin(async move { Ok(()) })
    }

    fn change_subscription_amount<'a>(&'a self, _provider_id: &'a str, _amount: Money) -> ProviderFuture<'a, ()> {
        // Its next charge is made of the amount stored here: nothing to tell.
        Box::pin(async move { Ok(()) })
    }

    fn refund<'a>(&'a self, request: &'a RefundRequest) -> ProviderFuture<'a, RefundStarted> {
        Box::pin(async move {
            let pledge = request.pledge_id.to_string();
            let delivery = signed_event(
                &self.secret,
                "charge.refunded",
                json!({
                    "id": charge_id(&pledge),
                    "object": "charge",
                    "payment_intent": request.payment_id,
                    "amount_refunded": request.refunded_before.checked_add(request.amount).map_err(|e| super::ProviderError::Refused(e.to_string()))?.minor,
                    "currency": request.amount.currency.code().to_lowercase(),
                    "refunded": true,
                }),
            );
            Ok(RefundStarted { refund_id: format!("re_sandbox_{}", request.idempotency_key), delivery: Some(delivery) })
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

//! Stripe's events (and the sandbox's, which take their shape) decoded into the facts the
//! donations crate acts on. Only the fields used are read, so that a new Stripe API version
//! adding fields changes nothing; a missing field makes the event undecodable, never a panic.

use donations::money::Stated;
use donations::payment_events::{CheckoutFacts, Delivery, DisputeFacts, PaymentEvent};
use donations::pledge::PledgeState;
use donations::subscription::SubscriptionStatus;
use serde_json::Value;

use super::provider_id::ProviderId;
use super::signature;
use super::webhook::WebhookError;

/// Verifies a delivery's `Stripe-Signature` against `secrets`, then decodes it.
pub fn verify_and_decode(
    payload: &[u8],
    signature_header: Option<&str>,
    secrets: &[String],
    now: i64,
    tolerance_seconds: u64,
) -> Result<Delivery, WebhookError> {
    signature::verify(payload, signature_header, secrets, now, tolerance_seconds)
        .map_err(|e| WebhookError::Refused(format!("webhook signature: {e}")))?;
    let text = std::str::from_utf8(payload).map_err(|_| WebhookError::Refused("the body is not UTF-8".into()))?;
    decode(text).map_err(|e| WebhookError::Refused(e.to_string()))
}

/// The body is not a Stripe event at all (answered 400).
#[derive(Debug, thiserror::Error)]
#[error("not a Stripe event: {0}")]
pub struct NotAnEvent(String);

/// Why an event's object does not decode.
#[derive(Debug)]
enum Undecodable {
    /// A field missing or of the wrong type: the event is kept raw, for staff.
    Missing(String),
    /// A string no genuine event holds (see [`ProviderId`]): the whole delivery is refused.
    Refused(NotAnEvent),
}

impl From<NotAnEvent> for Undecodable {
    fn from(e: NotAnEvent) -> Self {
        Undecodable::Refused(e)
    }
}

/// Reads the envelope (id, type) and decodes the object; a well-formed envelope whose object
/// cannot be decoded still makes a delivery, kept raw. Every string read on the way is a
/// [`ProviderId`], or the body is refused, so that nothing the database cannot index or store
/// reaches it.
pub fn decode(payload: &str) -> Result<Delivery, NotAnEvent> {
    let envelope: Value = serde_json::from_str(payload).map_err(|e| NotAnEvent(e.to_string()))?;
    let event_id = str_at(&envelope, "", "id")?.ok_or_else(|| NotAnEvent("no `id`".into()))?;
    let event_type = str_at(&envelope, "", "type")?.ok_or_else(|| NotAnEvent("no `type`".into()))?;
    if envelope.get("object").and_then(Value::as_str) != Some("event") {
        return Err(NotAnEvent("`object` is not `event`".into()));
    }
    let object = envelope.pointer("/data/object").cloned().unwrap_or(Value::Null);
    let created_at =
        envelope.get("created").and_then(Value::as_i64).and_then(|t| chrono::DateTime::from_timestamp(t, 0));
    let decoded = match decode_object(&event_type, &object) {
        Ok(event) => Ok(event),
        Err(Undecodable::Missing(why)) => Err(why),
        Err(Undecodable::Refused(e)) => return Err(e),
    };
    Ok(Delivery { provider: "stripe".into(), created_at, decoded, event_id, event_type, payload: payload.to_string() })
}

/// Where the object's fields are, for messages.
const OBJECT: &str = "data.object.";

fn decode_object(event_type: &str, o: &Value) -> Result<PaymentEvent, Undecodable> {
    Ok(match event_type {
        "checkout.session.completed" => PaymentEvent::CheckoutCompleted(checkout(o)?),
        "checkout.session.async_payment_succeeded" => {
            PaymentEvent::CheckoutPaid(CheckoutFacts { paid: true, ..checkout(o)? })
        }
        "checkout.session.expired" | "checkout.session.async_payment_failed" => PaymentEvent::CheckoutClosed {
            session_id: Some(required(o, "id")?),
            pledge_ref: pledge_ref(o)?,
            outcome: if event_type.ends_with("expired") { PledgeState::Expired } else { PledgeState::Failed },
            // A session names no decline: Checkout shows a card's own refusal on its page, and
            // these events come only when the session ends.
            reason: None,
        },
        "payment_intent.succeeded" => PaymentEvent::PaymentSucceeded {
            payment_id: required(o, "id")?,
            pledge_ref: metadata_pledge_id(o)?,
            amount: stated(o, "amount_received")?,
        },
        "charge.refunded" => PaymentEvent::Refunded {
            charge_id: required(o, "id")?,
            payment_id: id_of(o, "payment_intent")?,
            amount_refunded: stated(o, "amount_refunded")?,
        },
        "charge.dispute.created" | "charge.dispute.funds_withdrawn" => PaymentEvent::DisputeFundsHeld(dispute(o)?),
        "charge.dispute.funds_reinstated" => PaymentEvent::DisputeFundsReturned(dispute(o)?),
        "charge.dispute.closed" => match required(o, "status")?.as_str() {
            "won" => PaymentEvent::DisputeFundsReturned(dispute(o)?),
            "lost" => PaymentEvent::DisputeLost(dispute(o)?),
            // warning_closed and the like: no money moved.
            _ => PaymentEvent::Other,
        },
        // A monthly gift's first invoice is paid by its checkout, which counts it: only the
        // later ones are charges of their own.
        "invoice.paid" => match (invoice_subscription(o)?, str_at(o, OBJECT, "billing_reason")?.as_deref()) {
            (Some(_), Some("subscription_create")) | (None, _) => PaymentEvent::Other,
            (Some(subscription_id), _) => PaymentEvent::SubscriptionCharged {
                account_ref: None,
                pledge_ref: None,
                subscription_id,
                payment_id: required(o, "id")?,
                amount: stated(o, "amount_paid")?,
            },
        },
        "invoice.payment_failed" => match invoice_subscription(o)? {
            Some(subscription_id) => PaymentEvent::SubscriptionChanged {
                subscription_id,
                account_ref: None,
                status: SubscriptionStatus::PastDue,
            },
            None => PaymentEvent::Other,
        },
        "customer.subscription.updated" | "customer.subscription.deleted" => {
            let status = match (event_type, str_at(o, OBJECT, "status")?.as_deref()) {
                ("customer.subscription.deleted", _) | (_, Some("canceled")) => Some(SubscriptionStatus::Cancelled),
                (_, Some("active" | "trialing")) => Some(SubscriptionStatus::Active),
                (_, Some("past_due" | "unpaid")) => Some(SubscriptionStatus::PastDue),
                (_, Some("incomplete_expired")) => Some(SubscriptionStatus::Ended),
                // incomplete, paused: nothing we act on.
                _ => None,
            };
            match status {
                Some(status) => {
                    PaymentEvent::SubscriptionChanged { subscription_id: required(o, "id")?, account_ref: None, status }
                }
                None => PaymentEvent::Other,
            }
        }
        _ => PaymentEvent::Other,
    })
}

/// The subscription an invoice belongs to: under `parent.subscription_details` since the API
/// version 2025-03-31 (Demeu's), at `subscription` before.
fn invoice_subscription(o: &Value) -> Result<Option<String>, NotAnEvent> {
    let details = o.get("parent").and_then(|p| p.get("subscription_details"));
    match details {
        Some(details) => id_of_at(details, "data.object.parent.subscription_details.", "subscription"),
        None => id_of(o, "subscription"),
    }
}

fn checkout(o: &Value) -> Result<CheckoutFacts, Undecodable> {
    let total = o.get("amount_total").and_then(Value::as_i64);
    let currency = str_at(o, OBJECT, "currency")?;
    // A monthly gift's session (mode `subscription`) is paid by its first invoice and starts
    // its subscription; a one-off's by its PaymentIntent.
    let monthly = o.get("mode").and_then(Value::as_str) == Some("subscription");
    Ok(CheckoutFacts {
        session_id: required(o, "id")?,
        pledge_ref: pledge_ref(o)?,
        payment_id: if monthly { id_of(o, "invoice")? } else { id_of(o, "payment_intent")? },
        subscription_id: if monthly { id_of(o, "subscription")? } else { None },
        amount: total.zip(currency).map(|(minor, currency)| Stated::new(minor, currency)),
        paid: o.get("payment_status").and_then(Value::as_str) == Some("paid"),
    })
}

fn dispute(o: &Value) -> Result<DisputeFacts, Undecodable> {
    Ok(DisputeFacts {
        dispute_id: required(o, "id")?,
        payment_id: id_of(o, "payment_intent")?,
        amount: stated(o, "amount")?,
    })
}

/// The integer amount at `key` with the object's `currency`: what Stripe states.
fn stated(o: &Value, key: &str) -> Result<Stated, Undecodable> {
    let minor = int(o, key)?;
    Ok(Stated::new(minor, required(o, "currency")?))
}

fn pledge_ref(o: &Value) -> Result<Option<String>, NotAnEvent> {
    match str_at(o, OBJECT, "client_reference_id")? {
        Some(reference) => Ok(Some(reference)),
        None => metadata_pledge_id(o),
    }
}

fn metadata_pledge_id(o: &Value) -> Result<Option<String>, NotAnEvent> {
    match o.get("metadata") {
        Some(metadata) => str_at(metadata, "data.object.metadata.", "pledge_id"),
        None => Ok(None),
    }
}

/// The string at `key`, checked as a [`ProviderId`]; `at` says where `o` is, for the message.
fn str_at(o: &Value, at: &str, key: &str) -> Result<Option<String>, NotAnEvent> {
    let Some(text) = o.get(key).and_then(Value::as_str) else { return Ok(None) };
    match ProviderId::parse(text) {
        Ok(id) => Ok(Some(id.into_string())),
        // The value itself is not echoed: it may be kilobytes of anything.
        Err(why) => Err(NotAnEvent(format!("`{at}{key}` {why}"))),
    }
}

/// An id field that Stripe may send as a string or, when expanded, as an object.
fn id_of(o: &Value, key: &str) -> Result<Option<String>, NotAnEvent> {
    id_of_at(o, OBJECT, key)
}

/// [`id_of`] for an object at `at` in the event.
fn id_of_at(o: &Value, at: &str, key: &str) -> Result<Option<String>, NotAnEvent> {
    match o.get(key) {
        Some(Value::String(_)) => str_at(o, at, key),
        Some(expanded @ Value::Object(_)) => str_at(expanded, &format!("{at}{key}."), "id"),
        _ => Ok(None),
    }
}

fn required(o: &Value, key: &str) -> Result<String, Undecodable> {
    str_at(o, OBJECT, key)?.ok_or_else(|| Undecodable::Missing(format!("`{key}` missing or not a string")))
}

fn int(o: &Value, key: &str) -> Result<i64, Undecodable> {
    o.get(key).and_then(Value::as_i64).ok_or_else(|| Undecodable::Missing(format!("`{key}` missing or not an integer")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, object: Value) -> String {
        json!({"id": "evt_1", "object": "event", "type": kind, "data": {"object": object}}).to_string()
    }

    #[test]
    fn a_paid_session_decodes_with_its_pledge() {
        let body = event(
            "checkout.session.completed",
            json!({"id": "cs_1", "client_reference_id": "p-1", "payment_intent": "pi_1", "amount_total": 500000,
                   "currency": "kzt", "payment_status": "paid"}),
        );
        let d = decode(&body).expect("event");
        assert_eq!(d.event_id, "evt_1");
        assert_eq!(
            d.decoded,
            Ok(PaymentEvent::CheckoutCompleted(CheckoutFacts {
                session_id: "cs_1".into(),
                pledge_ref: Some("p-1".into()),
                payment_id: Some("pi_1".into()),
                amount: Some(Stated::new(500000, "kzt")),
                paid: true,
                subscription_id: None,
            }))
        );
    }

    /// Issue 25: a monthly gift's events as Stripe sends them (API 2025-03-31: an invoice names
    /// its subscription under `parent`; before, at `subscription`).
    #[test]
    fn monthly_gifts_are_read_from_their_invoices_and_sessions() {
        let event = |kind: &str, object: serde_json::Value| {
            decode(
                json!({"id": "evt_m", "object": "event", "type": kind, "created": 1, "data": {"object": object}})
                    .to_string()
                    .as_str(),
            )
            .expect("event")
            .decoded
        };
        let session = event(
            "checkout.session.completed",
            json!({"id": "cs_m", "mode": "subscription", "client_reference_id": "p-1", "subscription": "sub_1",
                   "invoice": "in_1", "payment_intent": null, "amount_total": 500000, "currency": "kzt",
                   "payment_status": "paid"}),
        );
        assert!(matches!(session, Ok(PaymentEvent::CheckoutCompleted(CheckoutFacts {
            ref payment_id, ref subscription_id, .. })) if payment_id.as_deref() == Some("in_1") && subscription_id.as_deref() == Some("sub_1")));
        let cycle = |parent: bool| {
            let mut invoice =
                json!({"id": "in_2", "billing_reason": "subscription_cycle", "amount_paid": 500000, "currency": "kzt"});
            match parent {
                true => invoice["parent"] = json!({"subscription_details": {"subscription": "sub_1"}}),
                false => invoice["subscription"] = json!("sub_1"),
            }
            event("invoice.paid", invoice)
        };
        for parent in [true, false] {
            assert_eq!(
                cycle(parent),
                Ok(PaymentEvent::SubscriptionCharged {
                    account_ref: None,
                    pledge_ref: None,
                    subscription_id: "sub_1".into(),
                    payment_id: "in_2".into(),
                    amount: Stated::new(500000, "kzt"),
                })
            );
        }
        let first = event(
            "invoice.paid",
            json!({"id": "in_1", "billing_reason": "subscription_create",
            "subscription": "sub_1", "amount_paid": 500000, "currency": "kzt"}),
        );
        assert_eq!(first, Ok(PaymentEvent::Other), "the checkout counts the first invoice");
        let deleted = event("customer.subscription.deleted", json!({"id": "sub_1", "status": "canceled"}));
        assert_eq!(
            deleted,
            Ok(PaymentEvent::SubscriptionChanged {
                account_ref: None,
                subscription_id: "sub_1".into(),
                status: SubscriptionStatus::Cancelled
            })
        );
        let failed = event("invoice.payment_failed", json!({"id": "in_3", "subscription": "sub_1"}));
        assert_eq!(
            failed,
            Ok(PaymentEvent::SubscriptionChanged {
                account_ref: None,
                subscription_id: "sub_1".into(),
                status: SubscriptionStatus::PastDue
            })
        );
    }

    #[test]
    fn an_event_with_a_broken_object_is_kept_but_undecodable() {
        let d = decode(&event("charge.refunded", json!({"id": "ch_1", "amount_refunded": "lots"}))).expect("event");
        assert!(d.decoded.is_err());
        assert_eq!(decode(&event("customer.created", json!({}))).expect("event").decoded, Ok(PaymentEvent::Other));
    }

    #[test]
    fn strings_no_genuine_event_holds_are_refused_and_named() {
        let paid = json!({"id": "cs_1", "client_reference_id": "p-1", "payment_intent": "pi_1",
                          "amount_total": 5, "currency": "kzt", "payment_status": "paid"});
        let refused = |body: String| decode(&body).err().map(|e| e.to_string());
        let with = |key: &str, value: Value| {
            let mut o = paid.clone();
            o[key] = value;
            event("checkout.session.completed", o)
        };
        let long = "x".repeat(ProviderId::MAX_BYTES + 1);
        assert_eq!(
            refused(with("payment_intent", json!(long))).as_deref(),
            Some("not a Stripe event: `data.object.payment_intent` is longer than 255 bytes")
        );
        assert_eq!(
            refused(with("payment_intent", json!({"id": "pi_\u{0}"}))).as_deref(),
            Some("not a Stripe event: `data.object.payment_intent.id` must not contain control characters (found U+0000)")
        );
        assert!(refused(with("client_reference_id", json!("p\n1"))).is_some_and(|e| e.contains("client_reference_id")));
        let mut envelope: Value = serde_json::from_str(&event("customer.created", json!({}))).expect("JSON");
        envelope["id"] = json!(long);
        assert!(refused(envelope.to_string()).is_some_and(|e| e.contains("`id` is longer")));
        let intent =
            json!({"id": "pi_1", "amount_received": 5, "currency": "kzt", "metadata": {"pledge_id": "\u{1b}"}});
        let metadata = event("payment_intent.succeeded", intent);
        assert!(refused(metadata).is_some_and(|e| e.contains("data.object.metadata.pledge_id")));
        // A field that is missing is still only undecodable: the event is kept for staff.
        assert!(decode(&event("charge.refunded", json!({"id": "ch_1"}))).expect("event").decoded.is_err());
    }

    #[test]
    fn bodies_that_are_not_events_are_refused() {
        assert!(decode("not json").is_err());
        assert!(decode("{\"id\": \"x\"}").is_err());
        assert!(decode(&json!({"id": "evt", "type": "x", "object": "charge"}).to_string()).is_err());
    }
}

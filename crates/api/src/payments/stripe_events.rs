//! Stripe's events (and the sandbox's, which take their shape) decoded into the facts the
//! donations crate acts on. Only the fields used are read, so that a new Stripe API version
//! adding fields changes nothing; a missing field makes the event undecodable, never a panic.

use donations::payment_events::{CheckoutFacts, Delivery, DisputeFacts, PaymentEvent};
use donations::pledge::PledgeState;
use serde_json::Value;

/// The body is not a Stripe event at all (answered 400).
#[derive(Debug, thiserror::Error)]
#[error("not a Stripe event: {0}")]
pub struct NotAnEvent(String);

/// Reads the envelope (id, type) and decodes the object; a well-formed envelope whose object
/// cannot be decoded still makes a delivery, kept raw.
pub fn decode(payload: &str) -> Result<Delivery, NotAnEvent> {
    let envelope: Value = serde_json::from_str(payload).map_err(|e| NotAnEvent(e.to_string()))?;
    let event_id = str_at(&envelope, "id").ok_or_else(|| NotAnEvent("no `id`".into()))?;
    let event_type = str_at(&envelope, "type").ok_or_else(|| NotAnEvent("no `type`".into()))?;
    if envelope.get("object").and_then(Value::as_str) != Some("event") {
        return Err(NotAnEvent("`object` is not `event`".into()));
    }
    let object = envelope.pointer("/data/object").cloned().unwrap_or(Value::Null);
    let created_at =
        envelope.get("created").and_then(Value::as_i64).and_then(|t| chrono::DateTime::from_timestamp(t, 0));
    Ok(Delivery {
        provider: "stripe".into(),
        created_at,
        decoded: decode_object(&event_type, &object),
        event_id,
        event_type,
        payload: payload.to_string(),
    })
}

fn decode_object(event_type: &str, o: &Value) -> Result<PaymentEvent, String> {
    Ok(match event_type {
        "checkout.session.completed" => PaymentEvent::CheckoutCompleted(checkout(o)?),
        "checkout.session.async_payment_succeeded" => {
            PaymentEvent::CheckoutPaid(CheckoutFacts { paid: true, ..checkout(o)? })
        }
        "checkout.session.expired" | "checkout.session.async_payment_failed" => PaymentEvent::CheckoutClosed {
            session_id: required(o, "id")?,
            pledge_ref: pledge_ref(o),
            outcome: if event_type.ends_with("expired") { PledgeState::Expired } else { PledgeState::Failed },
        },
        "payment_intent.succeeded" => PaymentEvent::PaymentSucceeded {
            payment_id: required(o, "id")?,
            pledge_ref: o.pointer("/metadata/pledge_id").and_then(Value::as_str).map(str::to_string),
            amount: int(o, "amount_received")?,
            currency: required(o, "currency")?,
        },
        "charge.refunded" => PaymentEvent::Refunded {
            charge_id: required(o, "id")?,
            payment_id: id_of(o, "payment_intent"),
            amount_refunded: int(o, "amount_refunded")?,
            currency: required(o, "currency")?,
        },
        "charge.dispute.created" | "charge.dispute.funds_withdrawn" => PaymentEvent::DisputeFundsHeld(dispute(o)?),
        "charge.dispute.funds_reinstated" => PaymentEvent::DisputeFundsReturned(dispute(o)?),
        "charge.dispute.closed" => match required(o, "status")?.as_str() {
            "won" => PaymentEvent::DisputeFundsReturned(dispute(o)?),
            "lost" => PaymentEvent::DisputeLost(dispute(o)?),
            // warning_closed and the like: no money moved.
            _ => PaymentEvent::Other,
        },
        _ => PaymentEvent::Other,
    })
}

fn checkout(o: &Value) -> Result<CheckoutFacts, String> {
    Ok(CheckoutFacts {
        session_id: required(o, "id")?,
        pledge_ref: pledge_ref(o),
        payment_id: id_of(o, "payment_intent"),
        amount: o.get("amount_total").and_then(Value::as_i64),
        currency: str_at(o, "currency"),
        paid: o.get("payment_status").and_then(Value::as_str) == Some("paid"),
    })
}

fn dispute(o: &Value) -> Result<DisputeFacts, String> {
    Ok(DisputeFacts {
        dispute_id: required(o, "id")?,
        payment_id: id_of(o, "payment_intent"),
        amount: int(o, "amount")?,
        currency: required(o, "currency")?,
    })
}

fn pledge_ref(o: &Value) -> Option<String> {
    str_at(o, "client_reference_id")
        .or_else(|| o.pointer("/metadata/pledge_id").and_then(Value::as_str).map(str::to_string))
}

fn str_at(o: &Value, key: &str) -> Option<String> {
    o.get(key).and_then(Value::as_str).map(str::to_string)
}

/// An id field that Stripe may send as a string or, when expanded, as an object.
fn id_of(o: &Value, key: &str) -> Option<String> {
    match o.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Object(obj) => obj.get("id").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

fn required(o: &Value, key: &str) -> Result<String, String> {
    str_at(o, key).ok_or_else(|| format!("`{key}` missing or not a string"))
}

fn int(o: &Value, key: &str) -> Result<i64, String> {
    o.get(key).and_then(Value::as_i64).ok_or_else(|| format!("`{key}` missing or not an integer"))
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
                amount: Some(500000),
                currency: Some("kzt".into()),
                paid: true,
            }))
        );
    }

    #[test]
    fn an_event_with_a_broken_object_is_kept_but_undecodable() {
        let d = decode(&event("charge.refunded", json!({"id": "ch_1", "amount_refunded": "lots"}))).expect("event");
        assert!(d.decoded.is_err());
        assert_eq!(decode(&event("customer.created", json!({}))).expect("event").decoded, Ok(PaymentEvent::Other));
    }

    #[test]
    fn bodies_that_are_not_events_are_refused() {
        assert!(decode("not json").is_err());
        assert!(decode("{\"id\": \"x\"}").is_err());
        assert!(decode(&json!({"id": "evt", "type": "x", "object": "charge"}).to_string()).is_err());
    }
}

//! Stripe-shaped events for tests, built from Stripe's own example objects in
//! tests/fixtures/stripe/ (made KZT, with our ids), and signed by Stripe's scheme, implemented
//! here independently of the code under test.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// The sandbox secret the test apps are configured with (an installation makes its own).
pub const SANDBOX_SECRET: &str = "whsec_sandbox_for_tests_only";

pub fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/stripe")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn set(object: &mut Value, fields: Value) {
    for (k, v) in fields.as_object().expect("object") {
        object[k] = v.clone();
    }
}

/// An event envelope around `object`.
pub fn event(kind: &str, object: Value) -> String {
    let mut envelope = fixture("event");
    set(
        &mut envelope,
        json!({
            "id": format!("evt_{}", uuid::Uuid::new_v4().simple()),
            "type": kind,
            "created": chrono::Utc::now().timestamp(),
            "data": {"object": object},
        }),
    );
    envelope.to_string()
}

/// `Stripe-Signature` for `body` with `secret` at `timestamp`.
pub fn signature_at(body: &str, secret: &str, timestamp: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// `Stripe-Signature` for `body` with `secret`, now.
pub fn signature(body: &str, secret: &str) -> String {
    signature_at(body, secret, chrono::Utc::now().timestamp())
}

/// The ids Stripe would give one pledge's payment.
#[derive(Clone, Debug)]
pub struct Ids {
    pub pledge: String,
    pub session: String,
    pub payment: String,
    pub charge: String,
}

impl Ids {
    pub fn for_pledge(pledge: &str) -> Self {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        Ids {
            pledge: pledge.to_string(),
            session: format!("cs_test_{tag}"),
            payment: format!("pi_test_{tag}"),
            charge: format!("ch_test_{tag}"),
        }
    }
}

pub fn session(ids: &Ids, amount: i64, payment_status: &str) -> Value {
    let mut o = fixture("checkout.session");
    set(
        &mut o,
        json!({
            "id": ids.session, "client_reference_id": ids.pledge, "metadata": {"pledge_id": ids.pledge},
            "payment_intent": ids.payment, "amount_total": amount, "amount_subtotal": amount, "currency": "kzt",
            "mode": "payment", "status": "complete", "payment_status": payment_status,
        }),
    );
    o
}

pub fn payment_intent(ids: &Ids, amount: i64) -> Value {
    let mut o = fixture("payment_intent");
    set(
        &mut o,
        json!({
            "id": ids.payment, "amount": amount, "amount_received": amount, "currency": "kzt",
            "metadata": {"pledge_id": ids.pledge}, "status": "succeeded",
        }),
    );
    o
}

pub fn charge(ids: &Ids, amount: i64, amount_refunded: i64) -> Value {
    let mut o = fixture("charge");
    set(
        &mut o,
        json!({
            "id": ids.charge, "payment_intent": ids.payment, "amount": amount, "amount_captured": amount,
            "amount_refunded": amount_refunded, "refunded": amount_refunded == amount, "currency": "kzt", "paid": true,
        }),
    );
    o
}

pub fn dispute(ids: &Ids, dispute_id: &str, amount: i64, status: &str) -> Value {
    let mut o = fixture("dispute");
    set(
        &mut o,
        json!({
            "id": dispute_id, "charge": ids.charge, "payment_intent": ids.payment, "amount": amount,
            "currency": "kzt", "status": status,
        }),
    );
    o
}

//! What a payment provider tells us, and what it does to the money.
//!
//! Money is keyed by the provider's payment (Stripe's PaymentIntent), never by the event: a
//! session completing and the payment succeeding are two reports of one payment and share one
//! ledger source. Every verified event is kept in the inbox once; a second delivery is a no-op.
//! An event about a pledge or payment not known yet rolls back and asks to be delivered again,
//! so that any order of arrival ends in the same state.

use demeu_db::schema::{ledger_entries, webhook_events};
use demeu_db::DbConn;
use diesel::prelude::*;
use uuid::Uuid;

use crate::ledger::{append_in, Appended, EntryKind, NewEntry};
use crate::money::{Currency, Money};
use crate::pledge::PledgeState;
use crate::pledge_store::{self, PledgeRecord};
use crate::Error;

/// The facts in a provider's event that matter to the money, decoded by the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentEvent {
    /// A checkout finished; `paid` is false while an asynchronous payment method is pending.
    CheckoutCompleted(CheckoutFacts),
    /// An asynchronous payment for a checkout succeeded.
    CheckoutPaid(CheckoutFacts),
    /// A checkout ended without money: expired, or its asynchronous payment failed.
    CheckoutClosed {
        /// The session.
        session_id: String,
        /// Our pledge id, as the session carries it.
        pledge_ref: Option<String>,
        /// `Expired` or `Failed`.
        outcome: PledgeState,
    },
    /// A payment succeeded.
    PaymentSucceeded {
        /// The payment.
        payment_id: String,
        /// Our pledge id, from the payment's metadata.
        pledge_ref: Option<String>,
        /// What was received.
        amount: i64,
        /// Lower-case ISO code.
        currency: String,
    },
    /// A charge was refunded; `amount_refunded` is the cumulative total, not the increment.
    Refunded {
        /// The charge.
        charge_id: String,
        /// Its payment.
        payment_id: Option<String>,
        /// Total refunded so far.
        amount_refunded: i64,
        /// Lower-case ISO code.
        currency: String,
    },
    /// A dispute opened or its funds were withdrawn: the money is held out.
    DisputeFundsHeld(DisputeFacts),
    /// A dispute's funds came back (reinstated, or the dispute closed won).
    DisputeFundsReturned(DisputeFacts),
    /// A dispute closed lost: what is held stays out.
    DisputeLost(DisputeFacts),
    /// An event type that does not concern money.
    Other,
}

/// The facts of a checkout session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutFacts {
    /// The session.
    pub session_id: String,
    /// Our pledge id (`client_reference_id` or metadata).
    pub pledge_ref: Option<String>,
    /// The payment it created.
    pub payment_id: Option<String>,
    /// The total charged.
    pub amount: Option<i64>,
    /// Lower-case ISO code.
    pub currency: Option<String>,
    /// Whether the money is confirmed.
    pub paid: bool,
}

/// The facts of a dispute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeFacts {
    /// The dispute.
    pub dispute_id: String,
    /// The disputed payment.
    pub payment_id: Option<String>,
    /// Disputed amount.
    pub amount: i64,
    /// Lower-case ISO code.
    pub currency: String,
}

/// One verified delivery from a provider.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `stripe` (the sandbox speaks Stripe's language and shares its inbox).
    pub provider: String,
    /// The provider's event id.
    pub event_id: String,
    /// The provider's event type.
    pub event_type: String,
    /// The exact body received.
    pub payload: String,
    /// The decoded facts, or why decoding failed.
    pub decoded: Result<PaymentEvent, String>,
}

/// What processing a delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    /// Money moved.
    Counted {
        /// The pledge.
        pledge_id: Uuid,
        /// The ledger entry.
        kind: EntryKind,
        /// Signed amount.
        amount: i64,
        /// True when this was the pledge's first counted money (a receipt is due).
        first_counted: bool,
    },
    /// Stored; nothing to change (already counted, closed, or not about money).
    Recorded(String),
    /// Stored and flagged for staff; nothing counted.
    Flagged(String),
    /// Stored raw; could not be decoded.
    Undecodable(String),
    /// This event was already delivered: nothing done.
    Duplicate,
    /// Names something not known yet; nothing stored, deliver again later.
    Retry(String),
}

/// Something the caller does in the same transaction once a delivery is applied (the api crate
/// enqueues receipts and refund notices); an error undoes the whole delivery.
pub type Effects<'a> = &'a dyn Fn(&mut DbConn, &Processed) -> Result<(), Error>;

/// Processes one delivery in one write transaction: inbox row, pledge, ledger and `effects`
/// together.
pub fn process(conn: &mut DbConn, delivery: &Delivery, effects: Effects<'_>) -> Result<Processed, Error> {
    let result = conn.write_transaction(|conn| {
        let inbox_id = Uuid::new_v4().to_string();
        let inserted = conn.transaction(|conn| {
            diesel::insert_into(webhook_events::table)
                .values((
                    webhook_events::id.eq(&inbox_id),
                    webhook_events::provider.eq(&delivery.provider),
                    webhook_events::event_id.eq(&delivery.event_id),
                    webhook_events::event_type.eq(&delivery.event_type),
                    webhook_events::payload.eq(&delivery.payload),
                    webhook_events::outcome.eq("processing"),
                    webhook_events::received_at.eq(demeu_db::now()),
                ))
                .execute(conn)
        });
        match inserted {
            Err(e) if demeu_db::is_unique_violation(&e) => return Ok((Processed::Duplicate, None)),
            other => other?,
        };
        let (processed, pledge_id) = match &delivery.decoded {
            Err(why) => (Processed::Undecodable(why.clone()), None),
            Ok(event) => apply(conn, event)?,
        };
        effects(conn, &processed)?;
        let (outcome, detail) = match &processed {
            Processed::Counted { kind, amount, .. } => ("counted", Some(format!("{kind} {amount}"))),
            Processed::Recorded(why) => ("recorded", Some(why.clone())),
            Processed::Flagged(why) => ("flagged", Some(why.clone())),
            Processed::Undecodable(why) => ("undecodable", Some(why.clone())),
            Processed::Duplicate | Processed::Retry(_) => ("recorded", None),
        };
        diesel::update(webhook_events::table.find(&inbox_id))
            .set((
                webhook_events::outcome.eq(outcome),
                webhook_events::detail.eq(detail),
                webhook_events::pledge_id.eq(pledge_id.clone()),
            ))
            .execute(conn)?;
        Ok((processed, pledge_id))
    });
    match result {
        Ok((processed, _)) => Ok(processed),
        Err(Error::NotYetKnown(why)) => Ok(Processed::Retry(why)),
        Err(e) => Err(e),
    }
}

type Applied = (Processed, Option<String>);

fn apply(conn: &mut DbConn, event: &PaymentEvent) -> Result<Applied, Error> {
    match event {
        PaymentEvent::CheckoutCompleted(facts) | PaymentEvent::CheckoutPaid(facts) => checkout(conn, facts),
        PaymentEvent::CheckoutClosed { session_id, pledge_ref, outcome } => {
            let pledge = resolve(conn, pledge_ref.as_deref(), None, Some(session_id))?;
            pledge_store::link_provider_ids(conn, &pledge, Some(session_id), None)?;
            let closed = pledge_store::close_unpaid(conn, &pledge.id, *outcome)?;
            let why = if closed { format!("pledge {outcome}") } else { "pledge not pending: left as it is".into() };
            Ok((Processed::Recorded(why), Some(pledge.id)))
        }
        PaymentEvent::PaymentSucceeded { payment_id, pledge_ref, amount, currency } => {
            let pledge = resolve(conn, pledge_ref.as_deref(), Some(payment_id), None)?;
            pledge_store::link_provider_ids(conn, &pledge, None, Some(payment_id))?;
            count_payment(conn, &pledge, payment_id, *amount, currency)
        }
        PaymentEvent::Refunded { charge_id, payment_id, amount_refunded, currency } => {
            let pledge = resolve(conn, None, payment_id.as_deref(), None)?;
            if let Some(flagged) = mismatch(conn, &pledge, None, currency)? {
                return Ok(flagged);
            }
            if pledge.received == 0 {
                return Err(Error::NotYetKnown(format!("refund for pledge {} before its payment", pledge.id)));
            }
            let increment = amount_refunded - pledge.refunded;
            if increment <= 0 {
                let why = format!("refunds already counted up to {}", pledge.refunded);
                return Ok((Processed::Recorded(why), Some(pledge.id)));
            }
            let source = format!("refund:{charge_id}:{amount_refunded}");
            record(conn, &pledge, EntryKind::Refund, -increment, source)
        }
        PaymentEvent::DisputeFundsHeld(d) => {
            let pledge = resolve(conn, None, d.payment_id.as_deref(), None)?;
            if let Some(flagged) = mismatch(conn, &pledge, None, &d.currency)? {
                return Ok(flagged);
            }
            if pledge.received == 0 {
                return Err(Error::NotYetKnown(format!("dispute on pledge {} before its payment", pledge.id)));
            }
            // What a dispute can hold is what still counts: a refund already gave the rest back.
            let hold = d.amount.min(pledge.amounts().counted());
            if hold <= 0 {
                return Ok((Processed::Recorded(held_nothing(&d.dispute_id)), Some(pledge.id)));
            }
            record(conn, &pledge, EntryKind::DisputeHeld, -hold, format!("dispute:{}:held", d.dispute_id))
        }
        PaymentEvent::DisputeFundsReturned(d) => {
            let pledge = resolve(conn, None, d.payment_id.as_deref(), None)?;
            match held_by_dispute(conn, &d.dispute_id)? {
                Some(held) => record(
                    conn,
                    &pledge,
                    EntryKind::DisputeReversed,
                    held,
                    format!("dispute:{}:returned", d.dispute_id),
                ),
                None if dispute_held_nothing(conn, &d.dispute_id)? => {
                    Ok((Processed::Recorded("the dispute held nothing: nothing to return".into()), Some(pledge.id)))
                }
                None => Err(Error::NotYetKnown(format!("dispute {} returned before it held money", d.dispute_id))),
            }
        }
        PaymentEvent::DisputeLost(d) => {
            let pledge = resolve(conn, None, d.payment_id.as_deref(), None)?;
            if held_by_dispute(conn, &d.dispute_id)?.is_none() && !dispute_held_nothing(conn, &d.dispute_id)? {
                return Err(Error::NotYetKnown(format!("dispute {} lost before it held money", d.dispute_id)));
            }
            Ok((Processed::Recorded("dispute lost: the held money stays out".into()), Some(pledge.id)))
        }
        PaymentEvent::Other => Ok((Processed::Recorded("event type ignored".into()), None)),
    }
}

fn checkout(conn: &mut DbConn, facts: &CheckoutFacts) -> Result<Applied, Error> {
    let pledge = resolve(conn, facts.pledge_ref.as_deref(), facts.payment_id.as_deref(), Some(&facts.session_id))?;
    pledge_store::link_provider_ids(conn, &pledge, Some(&facts.session_id), facts.payment_id.as_deref())?;
    if !facts.paid {
        return Ok((Processed::Recorded("checkout complete, payment pending".into()), Some(pledge.id)));
    }
    let (Some(payment_id), Some(amount), Some(currency)) = (&facts.payment_id, facts.amount, &facts.currency) else {
        let why = format!("paid session {} lacks its payment, amount or currency", facts.session_id);
        pledge_store::flag(conn, &pledge.id, &why)?;
        return Ok((Processed::Flagged(why), Some(pledge.id)));
    };
    count_payment(conn, &pledge, payment_id, amount, currency)
}

fn count_payment(
    conn: &mut DbConn,
    pledge: &PledgeRecord,
    payment_id: &str,
    amount: i64,
    currency: &str,
) -> Result<Applied, Error> {
    if let Some(flagged) = mismatch(conn, pledge, Some(amount), currency)? {
        return Ok(flagged);
    }
    record(conn, pledge, EntryKind::Payment, amount, format!("payment:{payment_id}"))
}

/// Flags the pledge when the provider's amount or currency disagrees with it.
fn mismatch(
    conn: &mut DbConn,
    pledge: &PledgeRecord,
    amount: Option<i64>,
    currency: &str,
) -> Result<Option<Applied>, Error> {
    let why = if !currency.eq_ignore_ascii_case(&pledge.currency) {
        format!("provider currency {currency} differs from the pledge's {}", pledge.currency)
    } else if let Some(amount) = amount.filter(|a| *a != pledge.amount) {
        format!("provider amount {amount} differs from the pledge's {}", pledge.amount)
    } else {
        return Ok(None);
    };
    pledge_store::flag(conn, &pledge.id, &why)?;
    tracing::warn!(pledge = %pledge.id, %why, "provider event flagged");
    Ok(Some((Processed::Flagged(why), Some(pledge.id.clone()))))
}

fn record(
    conn: &mut DbConn,
    pledge: &PledgeRecord,
    kind: EntryKind,
    amount: i64,
    source: String,
) -> Result<Applied, Error> {
    let currency: Currency = pledge.currency.parse()?;
    let pledge_id = pledge.uuid()?;
    let entry = NewEntry { pledge_id, kind, amount: Money::new(amount, currency), source };
    match append_in(conn, &entry) {
        Ok(appended @ Appended::Recorded { .. }) => Ok((
            Processed::Counted { pledge_id, kind, amount, first_counted: appended.first_counted() },
            Some(pledge.id.clone()),
        )),
        Ok(Appended::AlreadyRecorded) => Ok((Processed::Recorded("already counted".into()), Some(pledge.id.clone()))),
        // The provider says more went back than counts (e.g. a refund on money held in a
        // dispute): nothing is counted and staff look at it.
        Err(Error::Ledger(e)) => {
            let why = e.to_string();
            pledge_store::flag(conn, &pledge.id, &why)?;
            Ok((Processed::Flagged(why), Some(pledge.id.clone())))
        }
        Err(e) => Err(e),
    }
}

/// Finds the pledge an event is about: by our id, else by the provider's payment or session.
fn resolve(
    conn: &mut DbConn,
    pledge_ref: Option<&str>,
    payment_id: Option<&str>,
    session_id: Option<&str>,
) -> Result<PledgeRecord, Error> {
    if let Some(id) = pledge_ref.and_then(|r| Uuid::parse_str(r).ok()) {
        match pledge_store::find(conn, id) {
            Ok(p) => return Ok(p),
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if let Some(p) = payment_id.map(|id| pledge_store::find_by_payment(conn, id)).transpose()?.flatten() {
        return Ok(p);
    }
    if let Some(p) = session_id.map(|id| pledge_store::find_by_session(conn, id)).transpose()?.flatten() {
        return Ok(p);
    }
    Err(Error::NotYetKnown(format!(
        "no pledge known for {}",
        pledge_ref.or(payment_id).or(session_id).unwrap_or("an event without ids")
    )))
}

/// The inbox's note that a dispute opened on a pledge with nothing left to hold (refunded
/// already): its later outcome has nothing to return, and must not wait for a hold forever.
fn held_nothing(dispute_id: &str) -> String {
    format!("dispute {dispute_id} held nothing: nothing of the pledge counted")
}

fn dispute_held_nothing(conn: &mut DbConn, dispute_id: &str) -> Result<bool, Error> {
    let found: i64 =
        webhook_events::table.filter(webhook_events::detail.eq(held_nothing(dispute_id))).count().get_result(conn)?;
    Ok(found > 0)
}

/// What dispute `dispute_id` holds, from its ledger row.
fn held_by_dispute(conn: &mut DbConn, dispute_id: &str) -> Result<Option<i64>, Error> {
    let held: Option<i64> = ledger_entries::table
        .filter(ledger_entries::source.eq(format!("dispute:{dispute_id}:held")))
        .select(ledger_entries::amount)
        .first(conn)
        .optional()?;
    Ok(held.map(|amount| -amount))
}

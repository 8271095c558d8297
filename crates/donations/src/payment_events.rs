//! What a payment provider tells us, and what it does to the money.
//!
//! Money is keyed by the provider's payment (Stripe's PaymentIntent), never by the event: a
//! session completing and the payment succeeding are two reports of one payment and share one
//! ledger source. Every verified event is kept in the inbox once; a second delivery is a no-op.
//! An event that is not ours (another installation's pledge, a test-mode event on a live
//! endpoint, a payment without our metadata) is stored and acknowledged as `not_ours`: asking
//! the provider to deliver it again would only get the endpoint disabled. Only what is really
//! "not yet" (a refund or dispute on a payment whose own event has not arrived) rolls back and
//! asks to be delivered again, and only for a while (the retry window): older, it is stored as
//! `unmatched` for staff.

use chrono::{DateTime, Duration, Utc};
use demeu_db::schema::{disputes, webhook_events};
use demeu_db::DbConn;
use diesel::prelude::*;
use uuid::Uuid;

use crate::ids::{PledgeId, SubscriptionId};
use crate::ledger::{append_locked, Appended, EntryKind, NewEntry};
use crate::ledger_source::LedgerSource;
use crate::money::{Money, Stated};
use crate::pledge::{DeclineReason, PledgeState};
use crate::pledge_store::{self, PledgeRecord, ProviderIds};
use crate::subscription::{self, SubscriptionStatus};
use crate::totals::TotalsChange;
use crate::Error;

/// The facts in a provider's event that matter to the money, decoded by the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentEvent {
    /// A checkout finished; `paid` is false while an asynchronous payment method is pending.
    CheckoutCompleted(CheckoutFacts),
    /// An asynchronous payment for a checkout succeeded.
    CheckoutPaid(CheckoutFacts),
    /// A checkout ended without money: expired, failed or canceled.
    CheckoutClosed {
        /// The session, when the provider names it.
        session_id: Option<String>,
        /// Our pledge id, as the session carries it.
        pledge_ref: Option<String>,
        /// `Expired`, `Failed` or `Canceled`.
        outcome: PledgeState,
        /// Why, when the provider said.
        reason: Option<DeclineReason>,
    },
    /// A payment was authorized but not captured yet (a two-stage payment): nothing counts
    /// until it is confirmed.
    PaymentAuthorized {
        /// The payment.
        payment_id: String,
        /// Our pledge id.
        pledge_ref: Option<String>,
    },
    /// A payment succeeded.
    PaymentSucceeded {
        /// The payment.
        payment_id: String,
        /// Our pledge id, from the payment's metadata.
        pledge_ref: Option<String>,
        /// What was received.
        amount: Stated,
    },
    /// A charge was refunded; `amount_refunded` is the cumulative total, not the increment.
    Refunded {
        /// The charge.
        charge_id: String,
        /// Its payment.
        payment_id: Option<String>,
        /// Total refunded so far.
        amount_refunded: Stated,
    },
    /// One refund transaction gave `amount` back (TipTop Pay reports each refund on its own,
    /// where Stripe reports the cumulative total).
    RefundTransaction {
        /// The refund's own transaction.
        refund_id: String,
        /// The refunded payment.
        payment_id: String,
        /// What this refund gave back (in its payment's currency).
        amount: Stated,
    },
    /// The provider charged a monthly gift (a charge after the first, which its checkout paid).
    SubscriptionCharged {
        /// The provider's subscription.
        subscription_id: String,
        /// Our subscription's id as the provider carries it back (TipTop Pay's `AccountId`),
        /// for a subscription whose provider id is not known here yet.
        account_ref: Option<String>,
        /// Our pledge, when the charge names one (TipTop Pay's first payment names the order's).
        pledge_ref: Option<String>,
        /// The charge's payment (Stripe's invoice, TipTop Pay's transaction): counted once.
        payment_id: String,
        /// What was charged.
        amount: Stated,
    },
    /// A monthly gift's state at the provider changed (a failed charge, a cancel, an end).
    SubscriptionChanged {
        /// The provider's subscription.
        subscription_id: String,
        /// Our subscription's id as the provider carries it back (TipTop Pay's `AccountId`).
        account_ref: Option<String>,
        /// Its state now.
        status: SubscriptionStatus,
    },
    /// A dispute opened or its funds were withdrawn: the money is held out.
    DisputeFundsHeld(DisputeFacts),
    /// A dispute's funds came back (reinstated, or the dispute closed won).
    DisputeFundsReturned(DisputeFacts),
    /// A dispute closed lost: what is held stays out.
    DisputeLost(DisputeFacts),
    /// An event type that does not concern money.
    Other,
    /// An event this installation must not act on, as the provider's decoder found it (a
    /// test-mode payment reported to a live installation).
    Foreign(String),
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
    /// The total charged, when the session states it with its currency.
    pub amount: Option<Stated>,
    /// Whether the money is confirmed.
    pub paid: bool,
    /// The subscription a monthly gift's checkout started, by the provider's id.
    pub subscription_id: Option<String>,
}

/// The facts of a dispute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeFacts {
    /// The dispute.
    pub dispute_id: String,
    /// The disputed payment.
    pub payment_id: Option<String>,
    /// Disputed amount.
    pub amount: Stated,
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
    /// When the provider made the event, if it says.
    pub created_at: Option<DateTime<Utc>>,
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
        pledge_id: PledgeId,
        /// The ledger entry.
        kind: EntryKind,
        /// Signed amount.
        amount: Money,
        /// True when this was the pledge's first counted money (a receipt is due).
        first_counted: bool,
    },
    /// Stored; nothing to change (already counted, closed, or not about money).
    Recorded(String),
    /// Stored and flagged for staff; nothing counted.
    Flagged(String),
    /// Stored raw; could not be decoded.
    Undecodable(String),
    /// Stored; about a pledge or payment this installation never made.
    NotOurs(String),
    /// Stored for staff; named a payment still unknown after the retry window.
    Unmatched(String),
    /// A monthly gift's state changed (the donor is told of some).
    SubscriptionStatus {
        /// Ours.
        subscription_id: SubscriptionId,
        /// Its state now.
        status: SubscriptionStatus,
    },
    /// This event was already delivered: nothing done.
    Duplicate,
    /// Names something not known yet; nothing stored, deliver again later.
    Retry(String),
}

impl Processed {
    /// What the inbox row says of it.
    pub fn outcome(&self) -> Outcome {
        match self {
            Processed::Counted { .. } => Outcome::Counted,
            Processed::Recorded(_)
            | Processed::SubscriptionStatus { .. }
            | Processed::Duplicate
            | Processed::Retry(_) => Outcome::Recorded,
            Processed::Flagged(_) => Outcome::Flagged,
            Processed::Undecodable(_) => Outcome::Undecodable,
            Processed::NotOurs(_) => Outcome::NotOurs,
            Processed::Unmatched(_) => Outcome::Unmatched,
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            Processed::Counted { kind, amount, .. } => Some(format!("{kind} {amount}")),
            Processed::SubscriptionStatus { subscription_id, status } => {
                Some(format!("subscription {subscription_id} now {status}"))
            }
            Processed::Recorded(why)
            | Processed::Flagged(why)
            | Processed::Undecodable(why)
            | Processed::NotOurs(why)
            | Processed::Unmatched(why) => Some(why.clone()),
            Processed::Duplicate | Processed::Retry(_) => None,
        }
    }
}

demeu_db::stored_enum! {
    /// The outcome stored in `webhook_events.outcome`.
    pub enum Outcome("webhook outcome") {
        /// Being applied (never seen outside its transaction).
        Processing = "processing",
        /// Money moved.
        Counted = "counted",
        /// Nothing to change.
        Recorded = "recorded",
        /// Staff should look at the pledge.
        Flagged = "flagged",
        /// Could not be decoded; kept raw.
        Undecodable = "undecodable",
        /// About something this installation never made.
        NotOurs = "not_ours",
        /// Named a payment still unknown after the retry window.
        Unmatched = "unmatched",
    }
}

/// How long an event naming an unknown payment is asked to be delivered again before it is
/// stored as `unmatched`.
#[derive(Debug, Clone, Copy)]
pub struct RetryWindow {
    /// Now.
    pub now: DateTime<Utc>,
    /// The window (72 hours by default: Stripe's own retries last about three days).
    pub window: Duration,
}

impl RetryWindow {
    /// True while an event made at `created_at` may still be asked for again; an event without
    /// a time is judged by now, so it is retried.
    fn still_open(&self, created_at: Option<DateTime<Utc>>) -> bool {
        created_at.is_none_or(|at| self.now - at < self.window)
    }
}

/// The outcome stored for `provider`'s delivery `event_id`, if it was delivered: how a refund
/// that names only its payment learns what became of the payment's own notification.
pub fn outcome_of(conn: &mut DbConn, provider: &str, event_id: &str) -> Result<Option<Outcome>, Error> {
    Ok(webhook_events::table
        .filter(webhook_events::provider.eq(provider))
        .filter(webhook_events::event_id.eq(event_id))
        .select(webhook_events::outcome)
        .first::<Outcome>(conn)
        .optional()?)
}

/// Something the caller does in the same transaction once a delivery is applied (the api crate
/// enqueues receipts and refund notices); an error undoes the whole delivery.
pub type Effects<'a> = &'a dyn Fn(&mut DbConn, &Processed) -> Result<(), Error>;

/// Why a delivery's transaction was rolled back.
enum Rollback {
    /// The same event is in the inbox already: what this delivery did is undone.
    AlreadyDelivered,
    /// A domain error (among them "not yet known", which is retried).
    Failed(Error),
}

impl From<Error> for Rollback {
    fn from(e: Error) -> Self {
        Rollback::Failed(e)
    }
}

impl From<diesel::result::Error> for Rollback {
    fn from(e: diesel::result::Error) -> Self {
        Rollback::Failed(e.into())
    }
}

/// Processes one delivery in one write transaction: pledge, ledger, `effects` and the inbox
/// row together.
///
/// The inbox row is written last, with its outcome: its unique key on (provider, event id) is
/// what makes a second delivery of the same event a no-op, by rolling back all it did. That
/// costs a repeated delivery its work, but saves every delivery a savepoint and an update; and
/// it is safe because applying an event is idempotent (a recorded ledger source, a closed
/// pledge, a flag already set, a dispute already held all answer "nothing to do").
pub fn process(
    conn: &mut DbConn,
    delivery: &Delivery,
    effects: Effects<'_>,
    retry: RetryWindow,
) -> Result<Processed, Error> {
    let result = conn.write_transaction(|conn| {
        let mut totals = None;
        let (processed, pledge_id) = match &delivery.decoded {
            Err(why) => (Processed::Undecodable(why.clone()), None),
            Ok(event) => apply(conn, event, &mut totals)?,
        };
        // The campaign's running totals after the pledge's own rows: every delivery of the
        // campaign waits for this row's lock until commit, so it is taken as late as it can be
        // while the receipt (in `effects`) still reads the new total.
        if let Some(change) = totals {
            change.write(conn)?;
        }
        effects(conn, &processed)?;
        if !insert_inbox(conn, delivery, &processed, pledge_id)? {
            return Err(Rollback::AlreadyDelivered);
        }
        Ok(processed)
    });
    match result {
        Ok(processed) => Ok(processed),
        Err(Rollback::AlreadyDelivered) => Ok(Processed::Duplicate),
        Err(Rollback::Failed(Error::NotYetKnown(why))) if retry.still_open(delivery.created_at) => {
            Ok(Processed::Retry(why))
        }
        Err(Rollback::Failed(Error::NotYetKnown(why))) => {
            let unmatched = Processed::Unmatched(why);
            let stored = conn.write_transaction(|conn| insert_inbox(conn, delivery, &unmatched, None))?;
            Ok(if stored { unmatched } else { Processed::Duplicate })
        }
        Err(Rollback::Failed(e)) => Err(e),
    }
}

/// Stores a delivery in the inbox with what processing did; false when the same event is there
/// already. (On PostgreSQL the duplicate aborts the transaction: the caller rolls it back.)
fn insert_inbox(
    conn: &mut DbConn,
    delivery: &Delivery,
    processed: &Processed,
    pledge_id: Option<PledgeId>,
) -> Result<bool, diesel::result::Error> {
    let inserted = diesel::insert_into(webhook_events::table)
        .values((
            webhook_events::id.eq(Uuid::new_v4().to_string()),
            webhook_events::provider.eq(&delivery.provider),
            webhook_events::event_id.eq(&delivery.event_id),
            webhook_events::event_type.eq(&delivery.event_type),
            webhook_events::payload.eq(&delivery.payload),
            webhook_events::outcome.eq(processed.outcome()),
            webhook_events::detail.eq(processed.detail()),
            webhook_events::pledge_id.eq(pledge_id),
            webhook_events::received_at.eq(demeu_db::now()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if demeu_db::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

type Applied = (Processed, Option<PledgeId>);

fn apply(conn: &mut DbConn, event: &PaymentEvent, totals: &mut Option<TotalsChange>) -> Result<Applied, Error> {
    match event {
        PaymentEvent::CheckoutCompleted(facts) | PaymentEvent::CheckoutPaid(facts) => checkout(conn, facts, totals),
        PaymentEvent::CheckoutClosed { session_id, pledge_ref, outcome, reason } => {
            let pledge = match ours(conn, pledge_ref.as_deref())? {
                Ok(pledge) => pledge,
                Err(not_ours) => return Ok(not_ours),
            };
            pledge_store::link_provider_ids(conn, &pledge, session_id.as_deref(), None)?;
            let closed = pledge_store::close_unpaid(conn, pledge.id, *outcome, *reason)?;
            // A monthly gift whose first checkout ended unpaid never started: it ends with it.
            if let (true, Some(subscription_id)) = (closed, pledge.subscription_id) {
                subscription::set_status(conn, subscription_id, SubscriptionStatus::Ended)?;
            }
            let why = if closed { format!("pledge {outcome}") } else { "pledge not pending: left as it is".into() };
            Ok((Processed::Recorded(why), Some(pledge.id)))
        }
        PaymentEvent::SubscriptionCharged { subscription_id, account_ref, pledge_ref, payment_id, amount } => {
            let refs = (subscription_id.as_str(), account_ref.as_deref(), pledge_ref.as_deref());
            charge(conn, refs, payment_id, amount, totals)
        }
        PaymentEvent::SubscriptionChanged { subscription_id, account_ref, status } => {
            let Some(found) = subscription::find_for_provider(conn, subscription_id, account_ref.as_deref())? else {
                let why = format!("subscription {subscription_id} is not one this installation made");
                return Ok((Processed::NotOurs(why), None));
            };
            // A provider that names its subscription first here (TipTop Pay's `recurrent`
            // notification of a new one) starts it.
            if found.provider_subscription_id.is_none() {
                subscription::started(conn, found.id, subscription_id)?;
            }
            let changed = subscription::set_status(conn, found.id, *status)?;
            let processed = match changed {
                true => Processed::SubscriptionStatus { subscription_id: found.id, status: *status },
                false => Processed::Recorded(format!("subscription {} stays {}", found.id, found.status)),
            };
            Ok((processed, Some(found.first_pledge_id)))
        }
        PaymentEvent::PaymentAuthorized { payment_id, pledge_ref } => {
            let pledge = match ours(conn, pledge_ref.as_deref())? {
                Ok(pledge) => pledge,
                Err(not_ours) => return Ok(not_ours),
            };
            pledge_store::link_provider_ids(conn, &pledge, None, Some(payment_id))?;
            let why = format!("payment {payment_id} authorized: counts when it is confirmed");
            Ok((Processed::Recorded(why), Some(pledge.id)))
        }
        PaymentEvent::PaymentSucceeded { payment_id, pledge_ref, amount } => {
            let pledge = match ours(conn, pledge_ref.as_deref())? {
                Ok(pledge) => pledge,
                Err(not_ours) => return Ok(not_ours),
            };
            let ids = ProviderIds::missing(conn, &pledge, None, Some(payment_id))?;
            count_payment(conn, &pledge, ids, payment_id, amount, totals)
        }
        PaymentEvent::Refunded { charge_id, payment_id, amount_refunded } => {
            let pledge = match paid_by(conn, payment_id.as_deref(), "refund")? {
                Ok(pledge) => pledge,
                Err(not_ours) => return Ok(not_ours),
            };
            let cumulative = match in_pledge_currency(conn, &pledge, amount_refunded, Whole::Any)? {
                Ok(cumulative) => cumulative,
                Err(flagged) => return Ok(flagged),
            };
            if pledge.received.is_zero() {
                return Err(Error::NotYetKnown(format!("refund for pledge {} before its payment", pledge.id)));
            }
            let increment = cumulative.checked_sub(pledge.refunded)?;
            if !increment.is_positive() {
                let why = format!("refunds already counted up to {}", pledge.refunded);
                return Ok((Processed::Recorded(why), Some(pledge.id)));
            }
            let source = LedgerSource::ProviderRefund { charge_id: charge_id.clone(), cumulative: cumulative.minor };
            let entry = increment.checked_neg()?;
            let applied = record(conn, &pledge, ProviderIds::default(), EntryKind::Refund, entry, source, totals)?;
            if matches!(applied.0, Processed::Counted { .. }) {
                crate::refund::settle(conn, pledge.id, increment)?;
            }
            Ok(applied)
        }
        PaymentEvent::RefundTransaction { refund_id, payment_id, amount } => {
            let pledge = match paid_by(conn, Some(payment_id), "refund")? {
                Ok(pledge) => pledge,
                Err(not_ours) => return Ok(not_ours),
            };
            let amount = match in_pledge_currency(conn, &pledge, amount, Whole::Any)? {
                Ok(amount) => amount,
                Err(flagged) => return Ok(flagged),
            };
            if pledge.received.is_zero() {
                return Err(Error::NotYetKnown(format!("refund for pledge {} before its payment", pledge.id)));
            }
            let source = LedgerSource::RefundTransaction { refund_id: refund_id.clone() };
            let entry = amount.checked_neg()?;
            let applied = record(conn, &pledge, ProviderIds::default(), EntryKind::Refund, entry, source, totals)?;
            if matches!(applied.0, Processed::Counted { .. }) {
                crate::refund::settle(conn, pledge.id, amount)?;
            }
            Ok(applied)
        }
        PaymentEvent::DisputeFundsHeld(d) => {
            let pledge = match paid_by(conn, d.payment_id.as_deref(), "dispute")? {
                Ok(pledge) => pledge,
                Err(not_ours) => return Ok(not_ours),
            };
            let disputed = match in_pledge_currency(conn, &pledge, &d.amount, Whole::Any)? {
                Ok(disputed) => disputed,
                Err(flagged) => return Ok(flagged),
            };
            if pledge.received.is_zero() {
                return Err(Error::NotYetKnown(format!("dispute on pledge {} before its payment", pledge.id)));
            }
            if held_by_dispute(conn, &pledge, &d.dispute_id)?.is_some() {
                return Ok((Processed::Recorded("the dispute holds its money already".into()), Some(pledge.id)));
            }
            // What a dispute can hold is what still counts: a refund already gave the rest back.
            // A dispute that holds nothing is kept too, so that its outcome knows it by key.
            let counted = pledge.amounts().counted();
            let hold = if disputed < counted { disputed } else { counted };
            let hold = if hold.is_negative() { Money::zero(hold.currency) } else { hold };
            diesel::insert_into(disputes::table)
                .values((
                    disputes::dispute_id.eq(&d.dispute_id),
                    disputes::pledge_id.eq(&pledge.id),
                    disputes::held.eq(hold.minor),
                    disputes::created_at.eq(demeu_db::now()),
                ))
                .execute(conn)?;
            if hold.is_zero() {
                let why = format!("dispute {} held nothing: nothing of the pledge counted", d.dispute_id);
                return Ok((Processed::Recorded(why), Some(pledge.id)));
            }
            let source = LedgerSource::DisputeHeld { dispute_id: d.dispute_id.clone() };
            record(conn, &pledge, ProviderIds::default(), EntryKind::DisputeHeld, hold.checked_neg()?, source, totals)
        }
        PaymentEvent::DisputeFundsReturned(d) => {
            let pledge = match paid_by(conn, d.payment_id.as_deref(), "dispute")? {
                Ok(pledge) => pledge,
                Err(not_ours) => return Ok(not_ours),
            };
            match held_by_dispute(conn, &pledge, &d.dispute_id)? {
                Some(held) if held.is_zero() => {
                    Ok((Processed::Recorded("the dispute held nothing: nothing to return".into()), Some(pledge.id)))
                }
                Some(held) => {
                    let source = LedgerSource::DisputeReturned { dispute_id: d.dispute_id.clone() };
                    record(conn, &pledge, ProviderIds::default(), EntryKind::DisputeReversed, held, source, totals)
                }
                None => Err(Error::NotYetKnown(format!("dispute {} returned before it held money", d.dispute_id))),
            }
        }
        PaymentEvent::DisputeLost(d) => {
            let pledge = match paid_by(conn, d.payment_id.as_deref(), "dispute")? {
                Ok(pledge) => pledge,
                Err(not_ours) => return Ok(not_ours),
            };
            if held_by_dispute(conn, &pledge, &d.dispute_id)?.is_none() {
                return Err(Error::NotYetKnown(format!("dispute {} lost before it held money", d.dispute_id)));
            }
            Ok((Processed::Recorded("dispute lost: the held money stays out".into()), Some(pledge.id)))
        }
        PaymentEvent::Other => Ok((Processed::Recorded("event type ignored".into()), None)),
        PaymentEvent::Foreign(why) => Ok((Processed::NotOurs(why.clone()), None)),
    }
}

fn checkout(conn: &mut DbConn, facts: &CheckoutFacts, totals: &mut Option<TotalsChange>) -> Result<Applied, Error> {
    let pledge = match ours(conn, facts.pledge_ref.as_deref())? {
        Ok(pledge) => pledge,
        Err(not_ours) => return Ok(not_ours),
    };
    // A monthly gift's checkout made its subscription at the provider: ours starts (once).
    if let (Some(provider_id), Some(ours), true) = (&facts.subscription_id, pledge.subscription_id, facts.paid) {
        subscription::started(conn, ours, provider_id)?;
    }
    let ids = ProviderIds::missing(conn, &pledge, Some(&facts.session_id), facts.payment_id.as_deref())?;
    if !facts.paid {
        ids.write(conn, pledge.id)?;
        return Ok((Processed::Recorded("checkout complete, payment pending".into()), Some(pledge.id)));
    }
    let (Some(payment_id), Some(amount)) = (&facts.payment_id, &facts.amount) else {
        ids.write(conn, pledge.id)?;
        let why = format!("paid session {} lacks its payment, amount or currency", facts.session_id);
        pledge_store::flag(conn, pledge.id, &why)?;
        return Ok((Processed::Flagged(why), Some(pledge.id)));
    };
    count_payment(conn, &pledge, ids, payment_id, amount, totals)
}

/// Counts a monthly gift's charge once: a pledge of its own, on the campaign the gift was made
/// for. A charge for a subscription not known yet may precede its start (ask again); one after
/// the gift was stopped still counts (money received is never dropped) and is flagged.
///
/// The subscription is found by the provider's id, else by ours as the provider carries it
/// back (`account_ref`). A subscription not started yet is started by its first payment, which
/// counts on the donor's own first pledge (TipTop Pay pays the first month by the order that
/// makes the subscription, and may name its subscription first in that payment).
fn charge(
    conn: &mut DbConn,
    (subscription_id, account_ref, pledge_ref): (&str, Option<&str>, Option<&str>),
    payment_id: &str,
    amount: &Stated,
    totals: &mut Option<TotalsChange>,
) -> Result<Applied, Error> {
    let Some(found) = subscription::find_for_provider(conn, subscription_id, account_ref)? else {
        return Err(Error::NotYetKnown(format!("no subscription known as {subscription_id}")));
    };
    if found.provider_subscription_id.is_none() {
        subscription::started(conn, found.id, subscription_id)?;
    }
    let first = pledge_store::lock(conn, found.first_pledge_id)?;
    let first_unpaid =
        first.counted_at.is_none() && first.provider_payment_id.as_deref().is_none_or(|p| p == payment_id);
    let names_first = pledge_ref.is_none_or(|r| r == first.id.to_string());
    let pledge = match pledge_store::find_by_payment(conn, payment_id)? {
        Some(made) => pledge_store::lock(conn, made.id)?,
        None if first_unpaid && names_first => first,
        None => subscription::charge_pledge(conn, &found, payment_id, amount)?,
    };
    let ids = ProviderIds::missing(conn, &pledge, None, Some(payment_id))?;
    let applied = count_payment(conn, &pledge, ids, payment_id, amount, totals)?;
    if matches!(found.status, SubscriptionStatus::Cancelled | SubscriptionStatus::Ended) {
        if let Processed::Counted { .. } = applied.0 {
            let why = format!(
                "a charge {payment_id} after the monthly gift was stopped ({}): check with the donor",
                found.status
            );
            pledge_store::flag(conn, pledge.id, &why)?;
        }
    }
    Ok(applied)
}

/// Counts a payment for `pledge` (locked), linking `ids` with it.
fn count_payment(
    conn: &mut DbConn,
    pledge: &PledgeRecord,
    ids: ProviderIds<'_>,
    payment_id: &str,
    amount: &Stated,
    totals: &mut Option<TotalsChange>,
) -> Result<Applied, Error> {
    let amount = match in_pledge_currency(conn, pledge, amount, Whole::Pledge)? {
        Ok(amount) => amount,
        Err(flagged) => {
            ids.write(conn, pledge.id)?;
            return Ok(flagged);
        }
    };
    let source = LedgerSource::Payment { payment_id: payment_id.to_string() };
    let applied = record(conn, pledge, ids, EntryKind::Payment, amount, source, totals)?;
    // Another payment for a pledge already paid is real money (a donor who paid twice): it
    // counts, and staff are asked to look, e.g. to refund it.
    let first = pledge.provider_payment_id.as_deref().filter(|first| *first != payment_id);
    if let (Some(first), Processed::Counted { .. }) = (first, &applied.0) {
        let why =
            format!("a second payment {payment_id} for this pledge (first {first}) was counted: check with the donor");
        pledge_store::flag(conn, pledge.id, &why)?;
        tracing::warn!(pledge = %pledge.id, %why, "second payment for one pledge");
    }
    Ok(applied)
}

/// Whether a provider's amount must be the pledge's whole amount (a payment) or any (a refund,
/// a dispute).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Whole {
    Pledge,
    Any,
}

/// The provider's amount as money of the pledge's currency; or, when the provider names another
/// currency (or, for a payment, another amount), the pledge flagged for staff and nothing
/// counted: money in a currency the pledge is not in is never written.
fn in_pledge_currency(
    conn: &mut DbConn,
    pledge: &PledgeRecord,
    stated: &Stated,
    whole: Whole,
) -> Result<Result<Money, Applied>, Error> {
    let why = match stated.in_currency(pledge.currency) {
        None => format!("provider currency {} differs from the pledge's {}", stated.code(), pledge.currency),
        Some(amount) if whole == Whole::Pledge && amount != pledge.amount => {
            format!("provider amount {amount} differs from the pledge's {}", pledge.amount)
        }
        Some(amount) => return Ok(Ok(amount)),
    };
    pledge_store::flag(conn, pledge.id, &why)?;
    tracing::warn!(pledge = %pledge.id, %why, "provider event flagged");
    Ok(Err((Processed::Flagged(why), Some(pledge.id))))
}

/// Appends a ledger entry to `pledge` (locked), linking `ids` with it, whatever the outcome.
fn record(
    conn: &mut DbConn,
    pledge: &PledgeRecord,
    ids: ProviderIds<'_>,
    kind: EntryKind,
    amount: Money,
    source: LedgerSource,
    totals: &mut Option<TotalsChange>,
) -> Result<Applied, Error> {
    let pledge_id = pledge.id;
    let entry = NewEntry { pledge_id, kind, amount, source };
    match append_locked(conn, pledge, &entry, ids) {
        Ok((appended @ Appended::Recorded { .. }, change)) => {
            *totals = change;
            Ok((
                Processed::Counted { pledge_id, kind, amount, first_counted: appended.first_counted() },
                Some(pledge.id),
            ))
        }
        Ok((Appended::AlreadyRecorded, _)) => Ok((Processed::Recorded("already counted".into()), Some(pledge.id))),
        // The provider says more went back than counts (e.g. a refund on money held in a
        // dispute): nothing is counted and staff look at it.
        Err(Error::Ledger(e)) => {
            let why = e.to_string();
            ids.write(conn, pledge.id)?;
            pledge_store::flag(conn, pledge.id, &why)?;
            Ok((Processed::Flagged(why), Some(pledge.id)))
        }
        Err(e) => Err(e),
    }
}

/// The pledge a checkout or payment event names by our id, which every checkout and payment
/// Demeu makes carries, locked for the rest of the delivery: no id, or an id this installation
/// does not know, is not ours (the pledge is always stored before the provider is called, so
/// "not yet" cannot happen here).
fn ours(conn: &mut DbConn, pledge_ref: Option<&str>) -> Result<Result<PledgeRecord, Applied>, Error> {
    let not_ours = |why: String| Ok(Err((Processed::NotOurs(why), None)));
    let Some(reference) = pledge_ref else {
        return not_ours("the event carries no pledge_id: not made by Demeu".into());
    };
    let Ok(id) = Uuid::parse_str(reference) else {
        return not_ours(format!("pledge_id `{reference}` is not one of ours"));
    };
    match pledge_store::lock(conn, id.into()) {
        Ok(pledge) => Ok(Ok(pledge)),
        Err(Error::NotFound(_)) => not_ours(format!("pledge {id} is unknown to this installation")),
        Err(e) => Err(e),
    }
}

/// The pledge paid by the provider's payment `payment_id`, locked for the rest of the delivery.
/// A refund or dispute names only the payment: unknown, it may be a payment whose own event has not arrived yet (ask again), and
/// without a payment it cannot be ours.
fn paid_by(conn: &mut DbConn, payment_id: Option<&str>, what: &str) -> Result<Result<PledgeRecord, Applied>, Error> {
    let Some(payment_id) = payment_id else {
        return Ok(Err((Processed::NotOurs(format!("the {what} names no payment")), None)));
    };
    match pledge_store::find_by_payment(conn, payment_id)? {
        Some(pledge) => Ok(Ok(pledge_store::lock(conn, pledge.id)?)),
        None => Err(Error::NotYetKnown(format!("no pledge known for payment {payment_id}"))),
    }
}

/// What dispute `dispute_id` of `pledge` holds (zero when it opened on a pledge with nothing
/// left), or `None` before it held anything. Held in the pledge's currency: the dispute's row
/// keeps only the count.
fn held_by_dispute(conn: &mut DbConn, pledge: &PledgeRecord, dispute_id: &str) -> Result<Option<Money>, Error> {
    let held: Option<i64> = disputes::table.find(dispute_id).select(disputes::held).first(conn).optional()?;
    Ok(held.map(|minor| Money::new(minor, pledge.currency)))
}

/// A stored delivery as staff see it (without its body).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_events)]
pub struct InboxEntry {
    /// Ours.
    pub id: String,
    /// `stripe` (the sandbox shares it).
    pub provider: String,
    /// The provider's event id.
    pub event_id: String,
    /// The provider's event type.
    pub event_type: String,
    /// What processing did.
    pub outcome: Outcome,
    /// Why, for staff.
    pub detail: Option<String>,
    /// The pledge it was about, when one was found.
    pub pledge_id: Option<PledgeId>,
    /// When it arrived.
    pub received_at: chrono::NaiveDateTime,
}

/// The stored deliveries, newest first, those with `outcome` only when given.
pub fn inbox(
    conn: &mut DbConn,
    outcome: Option<Outcome>,
    limit: i64,
    cursor: Option<&str>,
) -> Result<demeu_db::page::Page<InboxEntry>, Error> {
    use demeu_db::page::{decode_cursor, encode_cursor, paginate};
    let mut query = webhook_events::table
        .select(InboxEntry::as_select())
        .order((webhook_events::received_at.desc(), webhook_events::id.desc()))
        .limit(limit + 1)
        .into_boxed();
    if let Some(outcome) = outcome {
        query = query.filter(webhook_events::outcome.eq(outcome));
    }
    if let Some(cursor) = cursor {
        let (at, id) = decode_cursor(cursor)?;
        query = query.filter(
            webhook_events::received_at.lt(at).or(webhook_events::received_at.eq(at).and(webhook_events::id.lt(id))),
        );
    }
    let rows: Vec<InboxEntry> = query.load(conn)?;
    Ok(paginate(rows, limit, |e| encode_cursor(e.received_at, &e.id)))
}

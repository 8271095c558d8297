//! The append-only ledger: every change to what counts is one row, and the campaign's running
//! totals move in the same transaction.
//!
//! The rules of what an entry may do to a pledge are the pure [`apply`]; [`append_in`] writes
//! it. A unique key on `source` makes a second delivery of the same fact a no-op.

use demeu_db::schema::{ledger_entries, pledges};
use demeu_db::DbConn;
use diesel::prelude::*;
use thiserror::Error;
use uuid::Uuid;

use crate::ids::{CampaignId, PledgeId};
use crate::ledger_source::LedgerSource;
use crate::money::{Currency, Money};
use crate::pledge::{PledgeAmounts, PledgeState};
use crate::pledge_store::{self, PledgeRecord, ProviderIds};
use crate::receipt_code;
use crate::totals::{self, TotalsChange};
use crate::Error;

demeu_db::stored_enum! {
    /// What a ledger row records. The amount's sign is its effect on what counts.
    pub enum EntryKind("ledger entry kind") {
        /// Money the provider confirmed (positive).
        Payment = "payment",
        /// Money staff recorded as received offline (positive).
        OfflinePayment = "offline_payment",
        /// Money given back (negative).
        Refund = "refund",
        /// Money held out by a dispute (negative).
        DisputeHeld = "dispute_held",
        /// Held money returned after a dispute was won (positive).
        DisputeReversed = "dispute_reversed",
        /// A correction of what was received (either sign).
        Correction = "correction",
    }
}

/// Why an entry cannot apply to a pledge.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LedgerError {
    /// The amount's sign or size does not fit the kind (e.g. a positive refund, a zero payment).
    #[error("a {kind} entry cannot be {amount}")]
    BadAmount {
        /// The kind.
        kind: EntryKind,
        /// The signed amount offered.
        amount: Money,
    },
    /// The entry is in another currency than the pledge.
    #[error("a {kind} entry of {amount} cannot apply to a pledge in {pledge}")]
    OtherCurrency {
        /// The kind.
        kind: EntryKind,
        /// The signed amount offered.
        amount: Money,
        /// The pledge's currency.
        pledge: Currency,
    },
    /// The entry would take more back than the pledge holds.
    #[error("the pledge holds {counted}; a {kind} of {amount} would take it below zero")]
    BelowZero {
        /// The kind.
        kind: EntryKind,
        /// The signed amount offered.
        amount: Money,
        /// What the pledge counts now.
        counted: Money,
    },
    /// The campaign's total would leave the range a stored amount can hold.
    #[error("an entry of {amount} would take the campaign's total out of range")]
    TotalOutOfRange {
        /// The signed amount offered.
        amount: Money,
    },
    /// A dispute reversal larger than what is held.
    #[error("only {held} is held in dispute; cannot return {amount}")]
    ReversalTooLarge {
        /// What is held.
        held: Money,
        /// What was to be returned.
        amount: Money,
    },
}

/// The pledge's amounts after `kind` of signed `amount` applies, or why it may not.
///
/// Every rule that keeps a pledge from going below zero lives here, and the one that keeps a
/// pledge's money in one currency.
pub fn apply(before: PledgeAmounts, kind: EntryKind, amount: Money) -> Result<PledgeAmounts, LedgerError> {
    if amount.currency != before.currency() {
        return Err(LedgerError::OtherCurrency { kind, amount, pledge: before.currency() });
    }
    let bad = || LedgerError::BadAmount { kind, amount };
    let mut after = before;
    match kind {
        EntryKind::Payment | EntryKind::OfflinePayment => {
            if !amount.is_positive() {
                return Err(bad());
            }
            after.received = before.received.checked_add(amount).map_err(|_| bad())?;
        }
        EntryKind::Refund => {
            if !amount.is_negative() {
                return Err(bad());
            }
            after.refunded = before.refunded.checked_sub(amount).map_err(|_| bad())?;
        }
        EntryKind::DisputeHeld => {
            if !amount.is_negative() {
                return Err(bad());
            }
            after.disputed = before.disputed.checked_sub(amount).map_err(|_| bad())?;
        }
        EntryKind::DisputeReversed => {
            if !amount.is_positive() {
                return Err(bad());
            }
            if amount > before.disputed {
                return Err(LedgerError::ReversalTooLarge { held: before.disputed, amount });
            }
            after.disputed = before.disputed.checked_sub(amount).map_err(|_| bad())?;
        }
        EntryKind::Correction => {
            if amount.is_zero() {
                return Err(bad());
            }
            after.received = before.received.checked_add(amount).map_err(|_| bad())?;
        }
    }
    // Refunded + disputed may pass i64 only past received, which this refuses anyway: checked
    // wide, so that `counted` (which assumes it) is only asked of amounts that passed.
    let taken = i128::from(after.refunded.minor) + i128::from(after.disputed.minor);
    if i128::from(after.received.minor) < taken || after.received.is_negative() {
        return Err(LedgerError::BelowZero { kind, amount, counted: before.counted() });
    }
    Ok(after)
}

/// A fact about money to record.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// The pledge it concerns; the campaign is the pledge's.
    pub pledge_id: PledgeId,
    /// What happened.
    pub kind: EntryKind,
    /// The signed effect on what counts.
    pub amount: Money,
    /// Where the fact came from; a second entry from the same source records nothing.
    pub source: LedgerSource,
}

/// What an append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// The entry was recorded.
    Recorded {
        /// The new row.
        entry_id: Uuid,
        /// The pledge's amounts before.
        before: PledgeAmounts,
        /// The pledge's amounts after.
        after: PledgeAmounts,
    },
    /// An entry with the same source exists: nothing changed.
    AlreadyRecorded,
}

impl Appended {
    /// True when this append counted a pledge's money for the first time.
    pub fn first_counted(&self) -> bool {
        matches!(self, Appended::Recorded { before, after, .. } if before.received.is_zero() && after.received.is_positive())
    }
}

#[derive(Insertable)]
#[diesel(table_name = ledger_entries)]
struct LedgerRow<'a> {
    id: String,
    campaign_id: CampaignId,
    pledge_id: PledgeId,
    kind: EntryKind,
    amount: i64,
    currency: Currency,
    source: &'a str,
    created_at: chrono::NaiveDateTime,
}

/// One ledger row as staff read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryView {
    /// What it records.
    pub kind: EntryKind,
    /// Signed by its effect on what counts.
    pub amount: Money,
    /// The fact it records (`payment:pi_…`, `refund-tx:…`, `offline:…`).
    pub source: String,
    /// When it was written.
    pub created_at: chrono::NaiveDateTime,
}

/// A pledge's ledger rows, oldest first: its books, as the staff console shows them.
pub fn entries_of(conn: &mut DbConn, pledge_id: PledgeId) -> Result<Vec<EntryView>, Error> {
    let rows: Vec<(EntryKind, i64, Currency, String, chrono::NaiveDateTime)> = ledger_entries::table
        .filter(ledger_entries::pledge_id.eq(pledge_id))
        .order((ledger_entries::created_at.asc(), ledger_entries::id.asc()))
        .select((
            ledger_entries::kind,
            ledger_entries::amount,
            ledger_entries::currency,
            ledger_entries::source,
            ledger_entries::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(kind, minor, currency, source, created_at)| EntryView {
            kind,
            amount: Money::new(minor, currency),
            source,
            created_at,
        })
        .collect())
}

/// What a campaign's ledger booked in a span of time: the net money (payments less refunds and
/// disputes) and how many gifts came in (payments and offline gifts; a second payment of one
/// pledge is real money, so it is a gift of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Booked {
    /// Net money booked, in the campaign's currency.
    pub net: Money,
    /// Gifts received (entries of kind payment or offline payment).
    pub gifts: i64,
}

/// The campaign's money booked in `[from, to)`: what the staff dashboard shows for today, the
/// last 7 days and this month. Summed and counted by the database over the index
/// `ledger_entries_campaign`; a campaign's total fits in BIGINT, so any part of it does.
pub fn booked_between(
    conn: &mut DbConn,
    campaign_id: CampaignId,
    currency: Currency,
    from: chrono::NaiveDateTime,
    to: chrono::NaiveDateTime,
) -> Result<Booked, Error> {
    use diesel::dsl::sql;
    let in_span = ledger_entries::campaign_id
        .eq(campaign_id)
        .and(ledger_entries::created_at.ge(from))
        .and(ledger_entries::created_at.lt(to));
    let net: i64 = ledger_entries::table
        .filter(in_span)
        .select(sql::<diesel::sql_types::BigInt>("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"))
        .first(conn)?;
    let gifts: i64 = ledger_entries::table
        .filter(in_span)
        .filter(ledger_entries::kind.eq_any([EntryKind::Payment, EntryKind::OfflinePayment]))
        .count()
        .get_result(conn)?;
    Ok(Booked { net: Money::new(net, currency), gifts })
}

/// Appends `entry` in its own write transaction.
pub fn append(conn: &mut DbConn, entry: &NewEntry) -> Result<Appended, Error> {
    conn.write_transaction(|conn| append_in(conn, entry))
}

/// Appends `entry` inside the caller's transaction, so that the caller can change the pledge's
/// state in the same unit of work. Nothing is written unless all of it can be: an entry that
/// is already recorded, that the pledge cannot take (`apply`) or that would take the campaign's
/// total out of range is refused before the first write, so the caller's transaction goes on
/// clean (no savepoint needed: each one costs PostgreSQL two round trips, on the path every
/// webhook takes).
pub fn append_in(conn: &mut DbConn, entry: &NewEntry) -> Result<Appended, Error> {
    let pledge = pledge_store::lock(conn, entry.pledge_id)?;
    let (appended, change) = append_locked(conn, &pledge, entry, ProviderIds::default())?;
    if let Some(change) = change {
        change.write(conn)?;
    }
    Ok(appended)
}

/// [`append_in`] for a pledge this transaction has locked and read (`pledge_store::lock`: two
/// deliveries for one pledge cannot both read the old amounts, nor both find a source
/// unrecorded, since a source belongs to one pledge), leaving the campaign's totals to the
/// caller, who must write the change returned in the same transaction.
///
/// `ids` (what the event tells of the provider's ids) go into the same UPDATE as the money, or
/// alone when the entry is already recorded: the pledge row gets one new version per delivery,
/// not one per fact. On an error nothing is written, `ids` included.
pub fn append_locked(
    conn: &mut DbConn,
    pledge: &PledgeRecord,
    entry: &NewEntry,
    ids: ProviderIds<'_>,
) -> Result<(Appended, Option<TotalsChange>), Error> {
    let now = demeu_db::now();
    let pledge_id = pledge.id;
    let source = entry.source.to_string();
    let recorded: i64 = ledger_entries::table.filter(ledger_entries::source.eq(&source)).count().get_result(conn)?;
    if recorded > 0 {
        ids.write(conn, pledge_id)?;
        return Ok((Appended::AlreadyRecorded, None));
    }
    if pledge.currency != entry.amount.currency {
        return Err(Error::CurrencyMismatch { expected: pledge.currency, got: entry.amount.currency });
    }
    let before = pledge.amounts();
    let after = apply(before, entry.kind, entry.amount)?;

    let counted_change = i64::from(after.counted().is_positive()) - i64::from(before.counted().is_positive());
    let delta = entry.amount.minor;
    let campaign_id = pledge.campaign_id;
    // The campaign's total must stay inside BIGINT (SQLite would silently turn an overflowing
    // sum into a REAL): checked on a plain read before anything is written, so that a refusal
    // leaves nothing written. (A negative entry cannot leave the range: what counts never goes
    // below zero.)
    if totals::of(conn, campaign_id, pledge.currency)?.net_raised.checked_add(entry.amount).is_err() {
        return Err(Error::Ledger(LedgerError::TotalOutOfRange { amount: entry.amount }));
    }

    let entry_id = Uuid::new_v4();
    let row = LedgerRow {
        id: entry_id.to_string(),
        campaign_id,
        pledge_id,
        kind: entry.kind,
        amount: delta,
        currency: pledge.currency,
        source: &source,
        created_at: now,
    };
    diesel::insert_into(ledger_entries::table).values(&row).execute(conn)?;

    let becomes_paid = matches!(entry.kind, EntryKind::Payment | EntryKind::OfflinePayment);
    let first_counted = before.received.is_zero() && after.received.is_positive();
    diesel::update(pledges::table.find(pledge_id))
        .set((
            (
                pledges::received.eq(after.received.minor),
                pledges::refunded.eq(after.refunded.minor),
                pledges::disputed.eq(after.disputed.minor),
                pledges::state.eq(if becomes_paid { PledgeState::Paid } else { pledge.state }),
                pledges::counted_at.eq(pledge.counted_at.or(first_counted.then_some(now))),
                // Its receipt code, given with its first counted money.
                pledges::receipt_code
                    .eq(pledge.receipt_code.clone().or_else(|| first_counted.then(receipt_code::generate))),
                pledges::updated_at.eq(now),
            ),
            ids,
        ))
        .execute(conn)?;

    let change = TotalsChange { campaign_id, pledge_id, delta, counted_change, at: now };
    Ok((Appended::Recorded { entry_id, before, after }, Some(change)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const fn kzt(minor: i64) -> Money {
        Money::new(minor, Currency::Kzt)
    }

    const PAID: PledgeAmounts =
        PledgeAmounts { amount: kzt(10_000), received: kzt(10_000), refunded: kzt(0), disputed: kzt(0) };

    #[test]
    fn refunds_and_disputes_never_go_below_zero() {
        let refunded = apply(PAID, EntryKind::Refund, kzt(-6_000)).expect("a partial refund applies");
        assert_eq!(refunded.counted(), kzt(4_000));
        assert!(matches!(apply(refunded, EntryKind::Refund, kzt(-5_000)), Err(LedgerError::BelowZero { .. })));
        assert!(matches!(apply(refunded, EntryKind::DisputeHeld, kzt(-4_001)), Err(LedgerError::BelowZero { .. })));
        assert_eq!(apply(refunded, EntryKind::DisputeHeld, kzt(-4_000)).map(|a| a.counted()), Ok(kzt(0)));
    }

    #[test]
    fn signs_must_fit_the_kind() {
        assert!(matches!(apply(PAID, EntryKind::Payment, kzt(0)), Err(LedgerError::BadAmount { .. })));
        assert!(matches!(apply(PAID, EntryKind::Refund, kzt(100)), Err(LedgerError::BadAmount { .. })));
        assert!(matches!(apply(PAID, EntryKind::DisputeReversed, kzt(100)), Err(LedgerError::ReversalTooLarge { .. })));
    }

    #[test]
    fn a_pledge_takes_money_in_its_own_currency_only() {
        let dollars = Money::new(10_000, Currency::Usd);
        assert!(matches!(apply(PAID, EntryKind::Payment, dollars), Err(LedgerError::OtherCurrency { .. })));
        assert!(matches!(
            apply(PAID, EntryKind::Refund, Money::new(-1, Currency::Eur)),
            Err(LedgerError::OtherCurrency { .. })
        ));
    }

    #[test]
    fn a_won_dispute_brings_the_money_back() {
        let held = apply(PAID, EntryKind::DisputeHeld, kzt(-10_000)).expect("held");
        assert_eq!(held.counted(), kzt(0));
        let back = apply(held, EntryKind::DisputeReversed, kzt(10_000)).expect("reversed");
        assert_eq!(back, PAID);
    }

    fn any_entry() -> impl Strategy<Value = (EntryKind, i64)> {
        prop_oneof![
            (1i64..100_000).prop_map(|a| (EntryKind::Payment, a)),
            (1i64..100_000).prop_map(|a| (EntryKind::OfflinePayment, a)),
            (1i64..100_000).prop_map(|a| (EntryKind::Refund, -a)),
            (1i64..100_000).prop_map(|a| (EntryKind::DisputeHeld, -a)),
            (1i64..100_000).prop_map(|a| (EntryKind::DisputeReversed, a)),
            (-100_000i64..100_000).prop_map(|a| (EntryKind::Correction, a)),
        ]
    }

    proptest! {
        /// Whatever sequence of entries is offered, the ones accepted keep the pledge at or above
        /// zero, and what counts is exactly the sum of the accepted amounts.
        #[test]
        fn accepted_entries_sum_to_what_counts(entries in prop::collection::vec(any_entry(), 0..40)) {
            let mut amounts = PledgeAmounts::promised(kzt(50_000));
            let mut ledger_sum = 0i64;
            for (kind, amount) in entries {
                if let Ok(after) = apply(amounts, kind, kzt(amount)) {
                    prop_assert_eq!(after.counted().minor - amounts.counted().minor, amount);
                    amounts = after;
                    ledger_sum += amount;
                }
                prop_assert!(amounts.counted() >= kzt(0));
                prop_assert!(amounts.disputed >= kzt(0));
                prop_assert!(amounts.refunded >= kzt(0));
            }
            prop_assert_eq!(amounts.counted(), kzt(ledger_sum));
        }
    }
}

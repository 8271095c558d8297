//! Refunds staff ask for: the one home of the refund rule.
//!
//! A refund is a row written before any money moves, in the transaction that checks it: what
//! may still be refunded is what counts minus what earlier refunds have asked for and the
//! provider has not confirmed yet (`requested` rows reserve their amount). Two clicks or two
//! staff members therefore cannot ask for the same money twice. An online pledge's refund then
//! goes to the provider under an idempotency key derived from the row, and counts when the
//! provider's refund event arrives ([`settle`]); an offline pledge's refund counts at once.

use crate::ids::{PledgeId, RefundId, StaffUserId};
use demeu_db::schema::refunds;
use demeu_db::DbConn;
use diesel::prelude::*;

use crate::ledger::{append_in, EntryKind, NewEntry};
use crate::ledger_source::LedgerSource;
use crate::money::{Currency, Money};
use crate::pledge::PledgeAmounts;
use crate::pledge_store::{self, PledgeRecord};
use crate::Error;

demeu_db::stored_enum! {
    /// Where a refund is.
    pub enum RefundStatus("refund status") {
        /// Asked of the provider, not confirmed yet: its amount is reserved.
        Requested = "requested",
        /// In the ledger.
        Counted = "counted",
        /// The provider refused or could not be reached: nothing reserved; a retry with the same
        /// key may ask again.
        Failed = "failed",
    }
}

/// A refund row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// Ours; the provider's idempotency key is derived from it.
    pub id: RefundId,
    /// The pledge refunded.
    pub pledge_id: PledgeId,
    /// How much, in the pledge's currency.
    pub amount: Money,
    /// Where it is.
    pub status: RefundStatus,
    /// The provider's refund, once it answered.
    pub provider_refund_id: Option<String>,
}

impl Refund {
    /// The key under which the provider is asked: the same for every retry of this refund.
    pub fn provider_key(&self) -> String {
        format!("refund-{}", self.id)
    }
}

/// What may still be refunded of a pledge whose amounts are `amounts` while `reserved` (in the
/// pledge's currency) is asked for and not confirmed.
pub fn refundable(amounts: PledgeAmounts, reserved: Money) -> Money {
    let left = amounts.counted().minor.saturating_sub(reserved.minor).max(0);
    Money::new(left, amounts.currency())
}

/// How much to refund: what was asked, or all that may still be refunded; never more, and only
/// in the pledge's currency.
pub fn refund_amount(refundable: Money, requested: Option<Money>) -> Result<Money, Error> {
    if !refundable.is_positive() {
        return Err(Error::Conflict(
            "nothing of this pledge may be refunded: nothing counts, or earlier refunds already ask for it".into(),
        ));
    }
    let currency = refundable.currency;
    match requested {
        None => Ok(refundable),
        Some(asked) if asked.currency != currency => {
            Err(Error::CurrencyMismatch { expected: currency, got: asked.currency })
        }
        Some(asked) if asked.is_positive() && asked <= refundable => Ok(asked),
        Some(_) => Err(crate::money::amount_out_of_range(Money::new(1, currency), refundable).into()),
    }
}

/// A refund reserved for an online pledge: what the provider is to be asked.
#[derive(Debug, Clone)]
pub struct Reserved {
    /// The row.
    pub refund: Refund,
    /// The provider's payment to refund.
    pub payment_id: String,
    /// The provider that took the payment.
    pub provider: Option<crate::pledge::ProviderKind>,
    /// What the provider has been asked to give back before this refund (confirmed or not).
    pub refunded_before: Money,
}

/// What [`request`] did.
#[derive(Debug, Clone)]
pub enum Requested {
    /// An offline pledge's refund, counted at once.
    Counted(Refund),
    /// An online pledge's refund, reserved: ask the provider, then [`mark_sent`] or
    /// [`mark_failed`].
    Reserved(Reserved),
}

/// The follow-up of a counted refund inside its transaction (e.g. the donor's notice), given the
/// pledge as it is after the refund and the amount.
pub type AfterCounted<'a> = &'a dyn Fn(&mut DbConn, &PledgeRecord, Money) -> Result<(), Error>;

/// Checks and writes a refund of `requested` (all that may be refunded when `None`) of pledge
/// `pledge_id`, with its audit entry, in one write transaction.
pub fn request(
    conn: &mut DbConn,
    pledge_id: PledgeId,
    requested: Option<Money>,
    actor: StaffUserId,
    after: AfterCounted<'_>,
) -> Result<Requested, Error> {
    conn.write_transaction(|conn| {
        let (pledge, reserved) = lock_with_reserved(conn, pledge_id)?;
        let amount = refund_amount(refundable(pledge.amounts(), reserved), requested)?;
        let id = RefundId::new();
        let offline = pledge.method.is_offline();
        let payment_id = match (&pledge.provider_payment_id, offline) {
            (_, true) => None,
            (Some(payment), false) => Some(payment.clone()),
            (None, false) => {
                return Err(Error::Conflict("the provider has not told us this pledge's payment yet".into()));
            }
        };
        let status = if offline { RefundStatus::Counted } else { RefundStatus::Requested };
        let now = demeu_db::now();
        diesel::insert_into(refunds::table)
            .values((
                refunds::id.eq(id),
                refunds::pledge_id.eq(pledge.id),
                refunds::amount.eq(amount.minor),
                refunds::currency.eq(amount.currency),
                refunds::status.eq(status),
                refunds::requested_by.eq(actor),
                refunds::created_at.eq(now),
                refunds::updated_at.eq(now),
            ))
            .execute(conn)?;
        let refund = Refund { id, pledge_id, amount, status, provider_refund_id: None };
        let subject = format!("pledge:{pledge_id}");
        match payment_id {
            None => {
                let entry = NewEntry {
                    pledge_id,
                    kind: EntryKind::Refund,
                    amount: amount.checked_neg()?,
                    source: LedgerSource::StaffRefund { refund_id: id },
                };
                append_in(conn, &entry)?;
                let details = serde_json::json!({"refund": id, "amount": amount.minor, "offline": true});
                demeu_db::audit::record(conn, Some(actor), "pledge.refund", &subject, &details)?;
                let refunded = pledge_store::find(conn, pledge_id)?;
                after(conn, &refunded, amount)?;
                Ok(Requested::Counted(refund))
            }
            Some(payment_id) => {
                let details = serde_json::json!({"refund": id, "amount": amount.minor});
                demeu_db::audit::record(conn, Some(actor), "pledge.refund_requested", &subject, &details)?;
                let refunded_before = pledge.refunded.checked_add(reserved)?;
                Ok(Requested::Reserved(Reserved { refund, payment_id, provider: pledge.provider, refunded_before }))
            }
        }
    })
}

/// Reserves a failed refund again before the provider is asked once more (a retry with the same
/// key): refused like a new one when the money is no longer there to refund.
pub fn retry(conn: &mut DbConn, refund_id: RefundId) -> Result<Requested, Error> {
    conn.write_transaction(|conn| {
        let refund = find(conn, refund_id)?;
        if refund.status == RefundStatus::Counted {
            return Ok(Requested::Counted(refund));
        }
        let (pledge, reserved) = lock_with_reserved(conn, refund.pledge_id)?;
        if refund.status == RefundStatus::Failed {
            refund_amount(refundable(pledge.amounts(), reserved), Some(refund.amount))?;
            set_status(conn, refund_id, RefundStatus::Requested)?;
        }
        let Some(payment_id) = pledge.provider_payment_id.clone() else {
            return Ok(Requested::Counted(refund));
        };
        let others =
            if refund.status == RefundStatus::Requested { reserved.checked_sub(refund.amount)? } else { reserved };
        let refund = Refund { status: RefundStatus::Requested, ..refund };
        Ok(Requested::Reserved(Reserved {
            refund,
            payment_id,
            provider: pledge.provider,
            refunded_before: pledge.refunded.checked_add(others)?,
        }))
    })
}

/// Records the provider's id for a refund it accepted; the refund counts when its event comes.
pub fn mark_sent(conn: &mut DbConn, refund_id: RefundId, provider_refund_id: &str) -> Result<(), Error> {
    diesel::update(refunds::table.find(refund_id))
        .set((refunds::provider_refund_id.eq(provider_refund_id), refunds::updated_at.eq(demeu_db::now())))
        .execute(conn)?;
    Ok(())
}

/// Releases the reservation of a refund the provider did not take.
pub fn mark_failed(conn: &mut DbConn, refund_id: RefundId) -> Result<(), Error> {
    diesel::update(refunds::table.find(refund_id).filter(refunds::status.eq(RefundStatus::Requested)))
        .set((refunds::status.eq(RefundStatus::Failed), refunds::updated_at.eq(demeu_db::now())))
        .execute(conn)?;
    Ok(())
}

/// A provider's refund of `amount` counted for pledge `pledge_id`: the requested refunds it
/// confirms are settled, oldest first, as far as the amount reaches. (A refund made in the
/// provider's own dashboard settles nothing: it counts all the same.)
pub fn settle(conn: &mut DbConn, pledge_id: PledgeId, amount: Money) -> Result<(), Error> {
    let waiting: Vec<(RefundId, i64)> = refunds::table
        .filter(refunds::pledge_id.eq(pledge_id))
        .filter(refunds::status.eq(RefundStatus::Requested))
        .order((refunds::created_at.asc(), refunds::id.asc()))
        .select((refunds::id, refunds::amount))
        .load(conn)?;
    let mut left = amount.minor;
    for (id, requested) in waiting {
        if requested > left {
            break;
        }
        left -= requested;
        diesel::update(refunds::table.find(id))
            .set((refunds::status.eq(RefundStatus::Counted), refunds::updated_at.eq(demeu_db::now())))
            .execute(conn)?;
    }
    Ok(())
}

type Row = (PledgeId, i64, Currency, RefundStatus, Option<String>);

/// The refund with id `id`.
pub fn find(conn: &mut DbConn, id: RefundId) -> Result<Refund, Error> {
    let (pledge_id, amount, currency, status, provider_refund_id): Row = refunds::table
        .find(id)
        .select((refunds::pledge_id, refunds::amount, refunds::currency, refunds::status, refunds::provider_refund_id))
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("refund"))?;
    Ok(Refund { id, pledge_id, amount: Money::new(amount, currency), status, provider_refund_id })
}

fn set_status(conn: &mut DbConn, id: RefundId, status: RefundStatus) -> Result<(), Error> {
    diesel::update(refunds::table.find(id))
        .set((refunds::status.eq(status), refunds::updated_at.eq(demeu_db::now())))
        .execute(conn)?;
    Ok(())
}

/// What may still be refunded of a pledge, as shown before asking (the request itself decides
/// again under the pledge's lock).
pub fn refundable_now(conn: &mut DbConn, pledge_id: PledgeId) -> Result<Money, Error> {
    let pledge = pledge_store::find(conn, pledge_id)?;
    let reserved = reserved(conn, &pledge)?;
    Ok(refundable(pledge.amounts(), reserved))
}

/// The pledge, locked against concurrent refunds, and what its requested refunds reserve.
fn lock_with_reserved(conn: &mut DbConn, pledge_id: PledgeId) -> Result<(PledgeRecord, Money), Error> {
    let pledge = pledge_store::lock(conn, pledge_id)?;
    let reserved = reserved(conn, &pledge)?;
    Ok((pledge, reserved))
}

/// What the requested refunds of `pledge` reserve, in its currency (a refund row in another
/// currency is a broken row, not money to add).
fn reserved(conn: &mut DbConn, pledge: &PledgeRecord) -> Result<Money, Error> {
    let rows: Vec<(i64, Currency)> = refunds::table
        .filter(refunds::pledge_id.eq(pledge.id))
        .filter(refunds::status.eq(RefundStatus::Requested))
        .select((refunds::amount, refunds::currency))
        .load(conn)?;
    let broken = |why: String| Error::Corrupt(format!("refunds of pledge {}: {why}", pledge.id));
    rows.into_iter().try_fold(Money::zero(pledge.currency), |sum, (minor, currency)| {
        sum.checked_add(Money::new(minor, currency)).map_err(|e| broken(e.to_string()))
    })
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
    fn requested_refunds_count_against_what_may_be_refunded() {
        assert_eq!(refundable(PAID, kzt(0)), kzt(10_000));
        assert_eq!(refundable(PAID, kzt(4_000)), kzt(6_000));
        assert_eq!(refundable(PAID, kzt(10_000)), kzt(0));
        assert!(matches!(refund_amount(kzt(0), None), Err(Error::Conflict(_))));
        assert_eq!(refund_amount(kzt(6_000), None).ok(), Some(kzt(6_000)));
        assert!(matches!(refund_amount(kzt(6_000), Some(kzt(6_001))), Err(Error::Invalid(_))));
        assert!(matches!(refund_amount(kzt(6_000), Some(kzt(0))), Err(Error::Invalid(_))));
        // Never in another currency, whatever its count.
        let dollars = Money::new(1, Currency::Usd);
        assert!(matches!(refund_amount(kzt(6_000), Some(dollars)), Err(Error::CurrencyMismatch { .. })));
        // Said in money, as the form that asked is written: never in minor units.
        match refund_amount(kzt(499_900), Some(kzt(500_000))) {
            Err(Error::Invalid(errors)) => assert_eq!(errors[0].message, "must be between 0.01 ₸ and 4 999 ₸"),
            other => panic!("{other:?}"),
        }
    }

    proptest! {
        /// However refunds are asked for, what is reserved never exceeds what counts.
        #[test]
        fn reservations_never_exceed_what_counts(asks in prop::collection::vec(prop::option::of(1i64..20_000), 0..20)) {
            let mut reserved = kzt(0);
            for ask in asks {
                if let Ok(amount) = refund_amount(refundable(PAID, reserved), ask.map(kzt)) {
                    reserved = reserved.checked_add(amount).expect("small");
                }
                prop_assert!(reserved <= PAID.counted());
            }
        }
    }
}

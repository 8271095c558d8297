//! Refunds staff ask for. An online pledge's refund goes through the provider and counts when
//! the provider's refund event arrives; an offline pledge's refund counts at once.

use demeu_db::DbConn;
use uuid::Uuid;

use crate::ledger::{append_in, Appended, EntryKind, NewEntry};
use crate::money::Money;
use crate::pledge_store::{self, PledgeRecord};
use crate::{Error, FieldError};

/// How much to refund: what was asked, or everything that still counts; never more.
pub fn refund_amount(pledge: &PledgeRecord, requested: Option<i64>) -> Result<i64, Error> {
    let counted = pledge.amounts().counted();
    if counted <= 0 {
        return Err(Error::Conflict("nothing of this pledge counts: there is nothing to refund".into()));
    }
    match requested {
        None => Ok(counted),
        Some(a) if a > 0 && a <= counted => Ok(a),
        Some(_) => Err(Error::Invalid(vec![FieldError::new("amount", format!("must be between 1 and {counted}"))])),
    }
}

/// Counts the refund of an offline pledge at once, with its audit entry and `after` (the
/// caller's follow-up, e.g. a notice to the donor, given the pledge as it is now).
pub fn refund_offline(
    conn: &mut DbConn,
    pledge_id: Uuid,
    requested: Option<i64>,
    actor: &str,
    request_id: Uuid,
    after: &dyn Fn(&mut DbConn, &PledgeRecord, i64) -> Result<(), Error>,
) -> Result<(i64, Appended), Error> {
    conn.write_transaction(|conn| {
        let pledge = pledge_store::find(conn, pledge_id)?;
        let amount = refund_amount(&pledge, requested)?;
        let entry = NewEntry {
            pledge_id,
            kind: EntryKind::Refund,
            amount: Money::new(-amount, pledge.currency.parse()?),
            source: format!("staff-refund:{request_id}"),
        };
        let appended = append_in(conn, &entry)?;
        demeu_db::audit::record(
            conn,
            Some(actor),
            "pledge.refund",
            &format!("pledge:{pledge_id}"),
            &serde_json::json!({"amount": amount, "offline": true}),
        )?;
        let refunded = pledge_store::find(conn, pledge_id)?;
        after(conn, &refunded, amount)?;
        Ok((amount, appended))
    })
}

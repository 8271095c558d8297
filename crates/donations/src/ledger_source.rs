//! Where a ledger row's fact came from. Its `Display` is the `ledger_entries.source` string,
//! whose unique key is what makes a second report of the same fact count nothing: every key is
//! built here and nowhere else, so two code paths reporting one fact cannot spell it twice.

use std::fmt;

use uuid::Uuid;

use crate::ids::{PledgeId, RefundId};

/// The one source of a ledger row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerSource {
    /// A provider's payment (Stripe's PaymentIntent): a session completing and the payment
    /// succeeding are two reports of it and share this key.
    Payment {
        /// The provider's payment id.
        payment_id: String,
    },
    /// A provider's refund report, keyed by the charge and the cumulative amount refunded it
    /// states: the same figure reported twice counts once.
    ProviderRefund {
        /// The provider's charge.
        charge_id: String,
        /// Cumulative refunded, as the provider says.
        cumulative: i64,
    },
    /// One refund transaction, keyed by its own id (TipTop Pay reports each refund apart).
    RefundTransaction {
        /// The provider's refund transaction.
        refund_id: String,
    },
    /// A dispute holding money out.
    DisputeHeld {
        /// The provider's dispute.
        dispute_id: String,
    },
    /// A won dispute giving its held money back.
    DisputeReturned {
        /// The provider's dispute.
        dispute_id: String,
    },
    /// A gift staff recorded by hand, one per pledge.
    Offline {
        /// The pledge it made.
        pledge_id: PledgeId,
    },
    /// A refund of an offline gift, one per refund row.
    StaffRefund {
        /// The refund row.
        refund_id: RefundId,
    },
    /// A correction staff made, one per correction.
    Correction {
        /// The correction's own id.
        id: Uuid,
    },
}

impl fmt::Display for LedgerSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerSource::Payment { payment_id } => write!(f, "payment:{payment_id}"),
            LedgerSource::ProviderRefund { charge_id, cumulative } => write!(f, "refund:{charge_id}:{cumulative}"),
            LedgerSource::RefundTransaction { refund_id } => write!(f, "refund-tx:{refund_id}"),
            LedgerSource::DisputeHeld { dispute_id } => write!(f, "dispute:{dispute_id}:held"),
            LedgerSource::DisputeReturned { dispute_id } => write!(f, "dispute:{dispute_id}:returned"),
            LedgerSource::Offline { pledge_id } => write!(f, "offline:{pledge_id}"),
            LedgerSource::StaffRefund { refund_id } => write!(f, "staff-refund:{refund_id}"),
            LedgerSource::Correction { id } => write!(f, "correction:{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_because_stored_rows_depend_on_them() {
        let id = Uuid::nil();
        let (pledge_id, refund_id) = (PledgeId::from(id), RefundId::from(id));
        assert_eq!(LedgerSource::Payment { payment_id: "pi_1".into() }.to_string(), "payment:pi_1");
        assert_eq!(
            LedgerSource::ProviderRefund { charge_id: "ch_1".into(), cumulative: 500 }.to_string(),
            "refund:ch_1:500"
        );
        assert_eq!(LedgerSource::RefundTransaction { refund_id: "568".into() }.to_string(), "refund-tx:568");
        assert_eq!(LedgerSource::DisputeHeld { dispute_id: "dp_1".into() }.to_string(), "dispute:dp_1:held");
        assert_eq!(LedgerSource::DisputeReturned { dispute_id: "dp_1".into() }.to_string(), "dispute:dp_1:returned");
        assert_eq!(LedgerSource::Offline { pledge_id }.to_string(), format!("offline:{id}"));
        assert_eq!(LedgerSource::StaffRefund { refund_id }.to_string(), format!("staff-refund:{id}"));
    }
}

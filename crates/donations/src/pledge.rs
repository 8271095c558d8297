//! A donor's pledge: what was promised, what became of it, and what of it counts.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Where a pledge is in its life. `Paid` is the only state whose money counts; what happened
/// after payment (refunds, disputes) is read from the amounts, not from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PledgeState {
    /// Created, waiting for payment.
    Pending,
    /// The provider confirmed the money, or staff recorded it.
    Paid,
    /// The payment failed.
    Failed,
    /// The checkout expired unpaid.
    Expired,
    /// The donor or staff called it off.
    Canceled,
}

impl PledgeState {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            PledgeState::Pending => "pending",
            PledgeState::Paid => "paid",
            PledgeState::Failed => "failed",
            PledgeState::Expired => "expired",
            PledgeState::Canceled => "canceled",
        }
    }
}

impl fmt::Display for PledgeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PledgeState {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(PledgeState::Pending),
            "paid" => Ok(PledgeState::Paid),
            "failed" => Ok(PledgeState::Failed),
            "expired" => Ok(PledgeState::Expired),
            "canceled" => Ok(PledgeState::Canceled),
            other => Err(Error::Corrupt(format!("unknown pledge state `{other}`"))),
        }
    }
}

/// The status shown to people: the state, refined by what happened to the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisplayStatus {
    /// Waiting for payment.
    Pending,
    /// Paid and counting in full.
    Paid,
    /// Paid, then refunded in part.
    PartiallyRefunded,
    /// Paid, then refunded in full.
    Refunded,
    /// Money held out or lost in a chargeback.
    Disputed,
    /// The payment failed.
    Failed,
    /// The checkout expired.
    Expired,
    /// Called off.
    Canceled,
}

impl DisplayStatus {
    /// The name shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DisplayStatus::Pending => "pending",
            DisplayStatus::Paid => "paid",
            DisplayStatus::PartiallyRefunded => "partially_refunded",
            DisplayStatus::Refunded => "refunded",
            DisplayStatus::Disputed => "disputed",
            DisplayStatus::Failed => "failed",
            DisplayStatus::Expired => "expired",
            DisplayStatus::Canceled => "canceled",
        }
    }
}

/// The money of one pledge, in minor units of the campaign's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PledgeAmounts {
    /// Promised.
    pub amount: i64,
    /// Confirmed received.
    pub received: i64,
    /// Given back, cumulative.
    pub refunded: i64,
    /// Held out by an open dispute or lost in one.
    pub disputed: i64,
}

impl PledgeAmounts {
    /// What counts toward the campaign.
    pub fn counted(&self) -> i64 {
        self.received - self.refunded - self.disputed
    }

    /// The status shown, derived from the state and the amounts.
    pub fn display_status(&self, state: PledgeState) -> DisplayStatus {
        match state {
            PledgeState::Pending => DisplayStatus::Pending,
            PledgeState::Failed => DisplayStatus::Failed,
            PledgeState::Expired => DisplayStatus::Expired,
            PledgeState::Canceled => DisplayStatus::Canceled,
            PledgeState::Paid if self.disputed > 0 => DisplayStatus::Disputed,
            PledgeState::Paid if self.received > 0 && self.refunded >= self.received => DisplayStatus::Refunded,
            PledgeState::Paid if self.refunded > 0 => DisplayStatus::PartiallyRefunded,
            PledgeState::Paid => DisplayStatus::Paid,
        }
    }
}

/// How the money came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Online, through the configured payment provider.
    Online,
    /// Cash handed to the foundation.
    Cash,
    /// A bank transfer.
    BankTransfer,
    /// A Kaspi transfer.
    Kaspi,
}

impl PaymentMethod {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Online => "online",
            PaymentMethod::Cash => "cash",
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::Kaspi => "kaspi",
        }
    }

    /// True for gifts staff record by hand.
    pub fn is_offline(self) -> bool {
        self != PaymentMethod::Online
    }
}

impl FromStr for PaymentMethod {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "online" => Ok(PaymentMethod::Online),
            "cash" => Ok(PaymentMethod::Cash),
            "bank_transfer" => Ok(PaymentMethod::BankTransfer),
            "kaspi" => Ok(PaymentMethod::Kaspi),
            other => Err(Error::Corrupt(format!("unknown payment method `{other}`"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amounts(received: i64, refunded: i64, disputed: i64) -> PledgeAmounts {
        PledgeAmounts { amount: 10_000, received, refunded, disputed }
    }

    #[test]
    fn status_follows_the_money() {
        use DisplayStatus::*;
        assert_eq!(amounts(0, 0, 0).display_status(PledgeState::Pending), Pending);
        assert_eq!(amounts(10_000, 0, 0).display_status(PledgeState::Paid), Paid);
        assert_eq!(amounts(10_000, 2_500, 0).display_status(PledgeState::Paid), PartiallyRefunded);
        assert_eq!(amounts(10_000, 10_000, 0).display_status(PledgeState::Paid), Refunded);
        assert_eq!(amounts(10_000, 0, 10_000).display_status(PledgeState::Paid), Disputed);
        assert_eq!(amounts(0, 0, 0).display_status(PledgeState::Expired), Expired);
    }

    #[test]
    fn counted_is_received_less_refunds_and_disputes() {
        assert_eq!(amounts(10_000, 2_500, 0).counted(), 7_500);
        assert_eq!(amounts(10_000, 2_500, 7_500).counted(), 0);
    }

    #[test]
    fn names_round_trip() {
        for s in ["pending", "paid", "failed", "expired", "canceled"] {
            assert_eq!(s.parse::<PledgeState>().map(|p| p.as_str()).ok(), Some(s));
        }
        for m in ["online", "cash", "bank_transfer", "kaspi"] {
            assert_eq!(m.parse::<PaymentMethod>().map(|p| p.as_str()).ok(), Some(m));
        }
    }
}

/// A pledge to store, its values already checked.
#[derive(Debug, Clone)]
pub struct NewPledge {
    /// The campaign's database id.
    pub campaign_id: uuid::Uuid,
    /// Promised, minor units of the campaign's currency.
    pub amount: crate::money::Money,
    /// As the donor wrote it.
    pub donor_name: Option<String>,
    /// For the receipt; never shown publicly.
    pub email: Option<String>,
    /// Hide the name on the donor wall.
    pub anonymous: bool,
    /// Hide the amount on the donor wall.
    pub hide_amount: bool,
    /// Shown on the donor wall.
    pub message: Option<String>,
    /// The donor asked for news by mail.
    pub subscribe: bool,
    /// How the money comes.
    pub method: PaymentMethod,
    /// Staff's reference for an offline gift (receipt number, transfer id).
    pub reference: Option<String>,
}

/// Stores `new` as a pending pledge with nothing received, and returns its id.
pub fn insert(conn: &mut demeu_db::DbConn, new: &NewPledge) -> Result<uuid::Uuid, Error> {
    use demeu_db::schema::pledges;
    use diesel::prelude::*;
    let id = uuid::Uuid::new_v4();
    let now = demeu_db::now();
    diesel::insert_into(pledges::table)
        .values((
            pledges::id.eq(id.to_string()),
            pledges::campaign_id.eq(new.campaign_id.to_string()),
            pledges::amount.eq(new.amount.minor),
            pledges::currency.eq(new.amount.currency.code()),
            pledges::donor_name.eq(&new.donor_name),
            pledges::email.eq(&new.email),
            pledges::anonymous.eq(new.anonymous),
            pledges::hide_amount.eq(new.hide_amount),
            pledges::message.eq(&new.message),
            pledges::subscribe.eq(new.subscribe),
            pledges::state.eq(PledgeState::Pending.as_str()),
            pledges::received.eq(0i64),
            pledges::refunded.eq(0i64),
            pledges::disputed.eq(0i64),
            pledges::method.eq(new.method.as_str()),
            pledges::reference.eq(&new.reference),
            pledges::created_at.eq(now),
            pledges::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

//! A donor's pledge: what was promised, what became of it, and what of it counts.

use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money};

use crate::Error;

use crate::subscription::Interval;

demeu_db::stored_enum! {
    /// Where a pledge is in its life. `Paid` is the only state whose money counts; what happened
    /// after payment (refunds, disputes) is read from the amounts, not from here.
    pub enum PledgeState("pledge state") {
        /// Created, waiting for payment.
        Pending = "pending",
        /// The provider confirmed the money, or staff recorded it.
        Paid = "paid",
        /// The payment failed.
        Failed = "failed",
        /// The checkout expired unpaid.
        Expired = "expired",
        /// The donor or staff called it off.
        Canceled = "canceled",
    }
}

demeu_db::stored_enum! {
    /// Why a payment failed, as far as its provider said: what the donor is told when they come
    /// back, so that they know whether to try again, use another card or call their bank. Each
    /// provider maps its own codes to these.
    pub enum DeclineReason("decline reason") {
        /// Not enough money on the card.
        InsufficientFunds = "insufficient_funds",
        /// A limit of the card's (per day, per payment, online payments) was reached.
        LimitExceeded = "limit_exceeded",
        /// The card has expired.
        CardExpired = "card_expired",
        /// The card's number, date or CVV was typed wrong.
        WrongDetails = "wrong_details",
        /// The bank's confirmation (3-D Secure) did not go through.
        Authentication = "authentication",
        /// The bank or the network did not answer: trying again later may work.
        BankUnavailable = "bank_unavailable",
        /// The bank refused without a reason it lets anyone say.
        Declined = "declined",
    }
}

demeu_db::stored_enum! {
    /// The status shown to people: the state, refined by what happened to the money.
    pub enum DisplayStatus("pledge status") {
        /// Waiting for payment.
        Pending = "pending",
        /// Paid and counting in full.
        Paid = "paid",
        /// Paid, then refunded in part.
        PartiallyRefunded = "partially_refunded",
        /// Paid, then refunded in full.
        Refunded = "refunded",
        /// Money held out or lost in a chargeback.
        Disputed = "disputed",
        /// The payment failed.
        Failed = "failed",
        /// The checkout expired.
        Expired = "expired",
        /// Called off.
        Canceled = "canceled",
    }
}

/// The money of one pledge, every amount in the pledge's currency (what its row stores: one
/// currency column for the four amounts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeAmounts {
    /// Promised.
    pub amount: Money,
    /// Confirmed received.
    pub received: Money,
    /// Given back, cumulative.
    pub refunded: Money,
    /// Held out by an open dispute or lost in one.
    pub disputed: Money,
}

impl PledgeAmounts {
    /// A pledge of `amount` with nothing received yet.
    pub const fn promised(amount: Money) -> Self {
        let nothing = Money::zero(amount.currency);
        PledgeAmounts { amount, received: nothing, refunded: nothing, disputed: nothing }
    }

    /// The pledge's currency.
    pub const fn currency(&self) -> Currency {
        self.amount.currency
    }

    /// What counts toward the campaign. Cannot overflow: the rules (`ledger::apply`) keep
    /// refunded + disputed within received, all at least zero.
    pub fn counted(&self) -> Money {
        Money::new(self.received.minor - self.refunded.minor - self.disputed.minor, self.currency())
    }

    /// The status shown, derived from the state and the amounts.
    pub fn display_status(&self, state: PledgeState) -> DisplayStatus {
        match state {
            PledgeState::Pending => DisplayStatus::Pending,
            PledgeState::Failed => DisplayStatus::Failed,
            PledgeState::Expired => DisplayStatus::Expired,
            PledgeState::Canceled => DisplayStatus::Canceled,
            PledgeState::Paid if self.disputed.is_positive() => DisplayStatus::Disputed,
            PledgeState::Paid if self.received.is_positive() && self.refunded >= self.received => {
                DisplayStatus::Refunded
            }
            PledgeState::Paid if self.refunded.is_positive() => DisplayStatus::PartiallyRefunded,
            PledgeState::Paid => DisplayStatus::Paid,
        }
    }
}

demeu_db::stored_enum! {
    /// How the money came.
    pub enum PaymentMethod("payment method") {
        /// Online, through the configured payment provider.
        Online = "online",
        /// Cash handed to the foundation.
        Cash = "cash",
        /// A bank transfer.
        BankTransfer = "bank_transfer",
        /// A Kaspi transfer.
        Kaspi = "kaspi",
    }
}

demeu_db::stored_enum! {
    /// The payment provider that made an online pledge's checkout. A pledge keeps its
    /// provider, so that a foundation that switches providers still hears about (and refunds)
    /// the pledges the old one made.
    pub enum ProviderKind("payment provider") {
        /// Pages served by this server; no money moves.
        Sandbox = "sandbox",
        /// Stripe Checkout.
        Stripe = "stripe",
        /// TipTop Pay (formerly CloudPayments Kazakhstan).
        TipTopPay = "tiptoppay",
    }
}

impl PaymentMethod {
    /// True for gifts staff record by hand.
    pub fn is_offline(self) -> bool {
        self != PaymentMethod::Online
    }
}

/// Longest donor name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest message accepted, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// What a donor sends to pledge, before any checking.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PledgeRequest {
    /// Minor units of the campaign's currency, from the campaign's `min_pledge` to its
    /// `max_pledge` (see the campaign; the shipped campaign takes 50 000 to 500 000 000 tiyn,
    /// 500 ₸ to 5 000 000 ₸).
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub amount: i64,
    /// Optional name for the donor wall, up to 100 characters (trimmed).
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub donor_name: Option<String>,
    /// Optional address for the receipt: an addr-spec (`name@example.org`), up to 254 characters.
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    pub email: Option<String>,
    /// Hide the name on the donor wall.
    #[serde(default)]
    pub anonymous: bool,
    /// Hide the amount on the donor wall.
    #[serde(default)]
    pub hide_amount: bool,
    /// Optional words for the donor wall, up to 500 characters (trimmed).
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub message: Option<String>,
    /// Ask for news by mail (needs an email).
    #[serde(default)]
    pub subscribe: bool,
    /// `once` (the default) or `month`: a monthly gift, charged by the provider each month until
    /// stopped (needs an email: a donor is told of every change to it).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "month"))]
    pub interval: Option<String>,
}

/// Checks a donor's request against the campaign; every failing field is reported at once.
pub fn validate_request(
    campaign: &crate::campaign::Campaign,
    req: &PledgeRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<NewPledge, Error> {
    use crate::campaign::CampaignStatus;
    use crate::FieldError;
    let spec = &campaign.spec;
    let mut errors = Vec::new();
    match campaign.status_at(now) {
        CampaignStatus::Active => {}
        CampaignStatus::Upcoming => errors
            .push(FieldError::new("campaign", "has not started yet").translated("error-campaign-upcoming", vec![])),
        CampaignStatus::Ended => {
            errors.push(FieldError::new("campaign", "has ended").translated("error-campaign-ended", vec![]))
        }
    }
    // The request counts minor units of the campaign's currency.
    let amount = Money::new(req.amount, spec.currency);
    if amount < spec.min_pledge || amount > spec.max_pledge {
        errors.push(crate::money::amount_out_of_range(spec.min_pledge, spec.max_pledge));
    }
    let donor_name = trimmed(&req.donor_name);
    if donor_name.as_ref().is_some_and(|n| n.chars().count() > MAX_NAME_CHARS) {
        errors.push(FieldError::at_most_chars("donor_name", MAX_NAME_CHARS));
    }
    let message = trimmed(&req.message);
    if message.as_ref().is_some_and(|m| m.chars().count() > MAX_MESSAGE_CHARS) {
        errors.push(FieldError::at_most_chars("message", MAX_MESSAGE_CHARS));
    }
    let email = match trimmed(&req.email) {
        None => None,
        Some(raw) => match demeu_db::email::Email::parse(&raw) {
            Ok(email) => Some(email.into_string()),
            Err(why) => {
                errors.push(FieldError::email("email", why));
                None
            }
        },
    };
    if req.subscribe && email.is_none() && !errors.iter().any(|e| e.field == "email") {
        errors.push(FieldError::new("email", "is needed to subscribe").translated("error-email-needed", vec![]));
    }
    let interval = match req.interval.as_deref().map(str::trim) {
        None | Some("") => Interval::Once,
        Some(word) => word.parse().unwrap_or_else(|_| {
            errors.push(FieldError::new("interval", "must be once or month").translated("error-interval", vec![]));
            Interval::Once
        }),
    };
    if interval == Interval::Month && !spec.allows_monthly {
        errors.push(
            FieldError::new("interval", "this campaign takes one-off gifts only")
                .translated("error-monthly-not-here", vec![]),
        );
    }
    if interval == Interval::Month && email.is_none() && !errors.iter().any(|e| e.field == "email") {
        errors.push(FieldError::new("email", "is needed for a monthly gift").translated("error-email-monthly", vec![]));
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    Ok(NewPledge {
        campaign_id: campaign.id,
        amount,
        donor_name,
        email,
        anonymous: req.anonymous,
        hide_amount: req.hide_amount,
        message,
        subscribe: req.subscribe,
        method: PaymentMethod::Online,
        reference: None,
        provider: None,
        locale: None,
        interval,
    })
}

fn trimmed(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

/// A pledge to store, its values already checked.
#[derive(Debug, Clone)]
pub struct NewPledge {
    /// The campaign's database id.
    pub campaign_id: crate::ids::CampaignId,
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
    /// The provider that makes an online pledge's checkout (none for an offline gift).
    pub provider: Option<ProviderKind>,
    /// The language the donor gives in, when known (their receipt's).
    pub locale: Option<crate::campaign::Locale>,
    /// Once, or the first of a monthly gift's.
    pub interval: Interval,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amounts(received: i64, refunded: i64, disputed: i64) -> PledgeAmounts {
        let kzt = |minor| Money::new(minor, Currency::Kzt);
        PledgeAmounts { amount: kzt(10_000), received: kzt(received), refunded: kzt(refunded), disputed: kzt(disputed) }
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
        assert_eq!(amounts(10_000, 2_500, 0).counted(), Money::new(7_500, Currency::Kzt));
        assert_eq!(amounts(10_000, 2_500, 7_500).counted(), Money::zero(Currency::Kzt));
    }

    fn mentors_at(starts: &str, ends: Option<&str>) -> crate::campaign::Campaign {
        let t = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().expect("time");
        let mut campaign = crate::campaign::tests::example();
        campaign.spec.starts_at = t(starts);
        campaign.spec.ends_at = ends.map(t);
        campaign
    }

    fn fields(result: Result<NewPledge, Error>) -> Vec<String> {
        match result {
            Err(Error::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn requests_are_checked_field_by_field() {
        let now = "2026-11-25T12:00:00Z".parse().expect("now");
        let campaign = mentors_at("2026-11-01T00:00:00Z", None);
        let ok = PledgeRequest {
            amount: 500_000,
            email: Some(" A@B.kz ".into()),
            donor_name: Some("  ".into()),
            ..Default::default()
        };
        let new = validate_request(&campaign, &ok, now).expect("valid");
        assert_eq!(new.email.as_deref(), Some("a@b.kz"));
        assert_eq!(new.donor_name, None);
        let bad = PledgeRequest {
            amount: 49_999,
            email: Some("nope".into()),
            donor_name: Some("x".repeat(101)),
            message: Some("y".repeat(501)),
            ..Default::default()
        };
        assert_eq!(fields(validate_request(&campaign, &bad, now)), ["amount", "donor_name", "message", "email"]);
        let too_much = PledgeRequest { amount: 500_000_001, ..Default::default() };
        assert_eq!(fields(validate_request(&campaign, &too_much, now)), ["amount"]);
        let subscribe = PledgeRequest { amount: 50_000, subscribe: true, ..Default::default() };
        assert_eq!(fields(validate_request(&campaign, &subscribe, now)), ["email"]);
        let ended = mentors_at("2026-01-01T00:00:00Z", Some("2026-02-01T00:00:00Z"));
        assert_eq!(fields(validate_request(&ended, &ok, now)), ["campaign"]);
        let upcoming = mentors_at("2027-01-01T00:00:00Z", None);
        assert_eq!(fields(validate_request(&upcoming, &ok, now)), ["campaign"]);
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

//! Whether a payment about to be made for a pledge may go ahead. Some providers (TipTop Pay's
//! `check` notification) ask before they charge the card; answering "no" here is what keeps a
//! donor from paying twice, paying a changed amount, or paying into a closed campaign.

use chrono::{DateTime, Duration, Utc};
use demeu_db::DbConn;
use uuid::Uuid;

use crate::campaign::{Campaign, CampaignStatus};
use crate::money::Stated;
use crate::pledge::PledgeState;
use crate::pledge_store::{self, PledgeRecord};
use crate::subscription::{self, Subscription, SubscriptionStatus};
use crate::Error;

/// What the provider is about to charge.
#[derive(Debug, Clone)]
pub struct PaymentAttempt<'a> {
    /// Our pledge id, as the payment carries it.
    pub pledge_ref: Option<&'a str>,
    /// The amount, as the provider states it.
    pub amount: Stated,
    /// A monthly gift's charge: the provider's subscription, and our id of it as the provider
    /// carries it back (TipTop Pay's `SubscriptionId` and `AccountId`).
    pub subscription: Option<(&'a str, Option<&'a str>)>,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Charge.
    Accept,
    /// No such pledge here.
    UnknownPledge,
    /// The amount or currency is not the pledge's.
    WrongAmount,
    /// The campaign takes no more money.
    CampaignClosed,
    /// Anything else (the pledge is paid already, or was called off).
    Refused(String),
}

/// The rule, on a pledge already found (`None`: not found) and its campaign's status.
pub fn verdict(pledge: Option<&PledgeRecord>, campaign: CampaignStatus, attempt: &PaymentAttempt<'_>) -> Verdict {
    let Some(pledge) = pledge else { return Verdict::UnknownPledge };
    if attempt.amount.in_currency(pledge.currency) != Some(pledge.amount) {
        return Verdict::WrongAmount;
    }
    if pledge.received.is_positive() || pledge.state == PledgeState::Paid {
        return Verdict::Refused("the pledge is paid already".into());
    }
    if pledge.state == PledgeState::Canceled {
        return Verdict::Refused("the pledge was canceled".into());
    }
    match campaign {
        CampaignStatus::Active => Verdict::Accept,
        CampaignStatus::Ended => Verdict::CampaignClosed,
        // Cannot happen (a pledge is made only while the campaign runs): refused all the same.
        CampaignStatus::Upcoming => Verdict::Refused("the campaign has not started".into()),
    }
}

/// The rule for a monthly gift's charge, its subscription found: the amount its own, and the
/// gift still running. A stopped gift's charge is refused here, before the card is charged: a
/// donor who stopped is never charged again (where the provider asks, as TipTop Pay does).
pub fn charge_verdict(found: &Subscription, amount: &Stated) -> Verdict {
    if amount.in_currency(found.amount.currency) != Some(found.amount) {
        return Verdict::WrongAmount;
    }
    match found.status {
        SubscriptionStatus::Active | SubscriptionStatus::PastDue | SubscriptionStatus::Pending => Verdict::Accept,
        SubscriptionStatus::Cancelled | SubscriptionStatus::Ended => {
            Verdict::Refused(format!("the monthly gift is {}", found.status))
        }
    }
}

/// How long after a campaign ends (by its date, or closed by staff) a checkout begun before
/// may still be paid: a donor on the provider's page at that moment is not turned away.
/// Providers' checkouts live a day at most (Stripe's 24 hours), so nothing older comes.
pub const LATE_CHECKOUT_HOURS: i64 = 24;

/// The campaign's status as a payment for `pledge` sees it at `now`: active for a pledge made
/// before the end, for [`LATE_CHECKOUT_HOURS`] after it.
pub fn status_for_payment(campaign: &Campaign, pledge: &PledgeRecord, now: DateTime<Utc>) -> CampaignStatus {
    let status = campaign.status_at(now);
    let end = campaign.closed_at.or(campaign.spec.ends_at);
    match (status, end) {
        (CampaignStatus::Ended, Some(end))
            if demeu_db::utc(pledge.created_at) < end && now < end + Duration::hours(LATE_CHECKOUT_HOURS) =>
        {
            CampaignStatus::Active
        }
        _ => status,
    }
}

/// Looks the pledge up and judges `attempt` at `now`. Changes nothing. A failed or expired
/// pledge may still be paid: a donor whose first card was declined tries another.
///
/// A monthly gift's charge (the attempt names a subscription whose first payment counted, or
/// that the provider has named already) is judged by [`charge_verdict`]; its first payment, made
/// before the subscription is, by the rule of its pledge.
pub fn check(conn: &mut DbConn, attempt: &PaymentAttempt<'_>, now: DateTime<Utc>) -> Result<Verdict, Error> {
    if let Some((provider_id, account_ref)) = attempt.subscription {
        match subscription::find_for_provider(conn, provider_id, account_ref)? {
            Some(found) => {
                let first_paid = pledge_store::find(conn, found.first_pledge_id)?.counted_at.is_some();
                if found.provider_subscription_id.is_some() || first_paid {
                    // A gift its closed campaign could not stop (its provider refused then) is
                    // not charged for it: the campaign has ended.
                    let campaign = crate::campaign::find_by_id(conn, found.campaign_id)?;
                    let verdict = charge_verdict(&found, &attempt.amount);
                    if verdict == Verdict::Accept && campaign.status_at(now) == CampaignStatus::Ended {
                        return Ok(Verdict::CampaignClosed);
                    }
                    return Ok(verdict);
                }
            }
            None if attempt.pledge_ref.is_none() => return Ok(Verdict::UnknownPledge),
            None => {}
        }
    }
    let Some(id) = attempt.pledge_ref.and_then(|r| Uuid::parse_str(r).ok()) else {
        return Ok(Verdict::UnknownPledge);
    };
    let pledge = match pledge_store::find(conn, id.into()) {
        Ok(pledge) => pledge,
        Err(Error::NotFound(_)) => return Ok(Verdict::UnknownPledge),
        Err(e) => return Err(e),
    };
    let campaign = crate::campaign::find_by_id(conn, pledge.campaign_id)?;
    Ok(verdict(Some(&pledge), status_for_payment(&campaign, &pledge, now), attempt))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{Currency, Money};
    use crate::pledge::PaymentMethod;

    fn pledge(state: PledgeState, received: i64) -> PledgeRecord {
        let at = chrono::NaiveDateTime::default();
        PledgeRecord {
            id: crate::ids::PledgeId::new(),
            campaign_id: crate::ids::CampaignId::new(),
            amount: Money::new(500_000, Currency::Kzt),
            currency: Currency::Kzt,
            donor_name: None,
            email: None,
            anonymous: false,
            hide_amount: false,
            message: None,
            subscribe: false,
            state,
            received: Money::new(received, Currency::Kzt),
            refunded: Money::zero(Currency::Kzt),
            disputed: Money::zero(Currency::Kzt),
            method: PaymentMethod::Online,
            reference: None,
            provider_session_id: None,
            provider_payment_id: None,
            checkout_url: None,
            provider: None,
            flag: None,
            created_at: at,
            updated_at: at,
            counted_at: None,
            locale: None,
            decline_reason: None,
            subscription_id: None,
            receipt_code: None,
        }
    }

    fn attempt(amount: i64, currency: &str) -> PaymentAttempt<'static> {
        PaymentAttempt { pledge_ref: None, amount: Stated::new(amount, currency), subscription: None }
    }

    #[test]
    fn only_the_pledges_own_amount_into_an_open_campaign_is_accepted() {
        use CampaignStatus::*;
        let pending = pledge(PledgeState::Pending, 0);
        let right = attempt(500_000, "KZT");
        assert_eq!(verdict(Some(&pending), Active, &right), Verdict::Accept);
        assert_eq!(verdict(Some(&pending), Active, &attempt(500_000, "kzt")), Verdict::Accept);
        assert_eq!(verdict(None, Active, &right), Verdict::UnknownPledge);
        assert_eq!(verdict(Some(&pending), Active, &attempt(500_001, "KZT")), Verdict::WrongAmount);
        assert_eq!(verdict(Some(&pending), Active, &attempt(500_000, "USD")), Verdict::WrongAmount);
        assert_eq!(verdict(Some(&pending), Active, &attempt(500_000, "XXX")), Verdict::WrongAmount);
        assert_eq!(verdict(Some(&pending), Ended, &right), Verdict::CampaignClosed);
        assert!(matches!(verdict(Some(&pledge(PledgeState::Paid, 500_000)), Active, &right), Verdict::Refused(_)));
        assert!(matches!(verdict(Some(&pledge(PledgeState::Canceled, 0)), Active, &right), Verdict::Refused(_)));
        // A declined card, then another: the failed pledge may still be paid.
        assert_eq!(verdict(Some(&pledge(PledgeState::Failed, 0)), Active, &right), Verdict::Accept);
        assert_eq!(verdict(Some(&pledge(PledgeState::Expired, 0)), Active, &right), Verdict::Accept);
    }

    #[test]
    fn a_monthly_charge_is_taken_while_the_gift_runs_and_of_its_amount() {
        let at = chrono::NaiveDateTime::default();
        let gift = |status| Subscription {
            id: crate::ids::SubscriptionId::new(),
            campaign_id: crate::ids::CampaignId::new(),
            first_pledge_id: crate::ids::PledgeId::new(),
            amount: Money::new(500_000, Currency::Kzt),
            email: "m@example.kz".into(),
            provider: crate::pledge::ProviderKind::TipTopPay,
            provider_subscription_id: Some("sc_1".into()),
            status,
            created_at: at,
            updated_at: at,
            cancelled_at: None,
        };
        let right = Stated::new(500_000, "KZT");
        for running in [SubscriptionStatus::Active, SubscriptionStatus::PastDue] {
            assert_eq!(charge_verdict(&gift(running), &right), Verdict::Accept, "{running}");
        }
        for stopped in [SubscriptionStatus::Cancelled, SubscriptionStatus::Ended] {
            assert!(matches!(charge_verdict(&gift(stopped), &right), Verdict::Refused(_)), "{stopped}");
        }
        let active = gift(SubscriptionStatus::Active);
        assert_eq!(charge_verdict(&active, &Stated::new(400_000, "KZT")), Verdict::WrongAmount);
        assert_eq!(charge_verdict(&active, &Stated::new(500_000, "USD")), Verdict::WrongAmount);
    }

    #[test]
    fn a_checkout_begun_before_the_close_may_be_paid_for_a_day() {
        use crate::campaign::CampaignState;
        let at = |s: &str| s.parse::<DateTime<Utc>>().expect("time");
        let mut campaign = crate::campaign::tests::example();
        campaign.state = CampaignState::Closed;
        campaign.closed_at = Some(at("2026-12-01T10:00:00Z"));
        let mut before = pledge(PledgeState::Pending, 0);
        before.created_at = at("2026-12-01T09:59:00Z").naive_utc();
        let mut after = before.clone();
        after.created_at = at("2026-12-01T10:00:01Z").naive_utc();
        let status = |c: &Campaign, p: &PledgeRecord, now: &str| status_for_payment(c, p, at(now));
        assert_eq!(status(&campaign, &before, "2026-12-01T12:00:00Z"), CampaignStatus::Active);
        assert_eq!(status(&campaign, &before, "2026-12-02T09:59:00Z"), CampaignStatus::Active);
        assert_eq!(status(&campaign, &before, "2026-12-02T10:00:00Z"), CampaignStatus::Ended);
        assert_eq!(status(&campaign, &after, "2026-12-01T12:00:00Z"), CampaignStatus::Ended);
        // The same by its date alone.
        campaign.state = CampaignState::Open;
        campaign.closed_at = None;
        campaign.spec.ends_at = Some(at("2026-12-01T10:00:00Z"));
        assert_eq!(status(&campaign, &before, "2026-12-01T12:00:00Z"), CampaignStatus::Active);
        assert_eq!(status(&campaign, &after, "2026-12-01T12:00:00Z"), CampaignStatus::Ended);
    }
}

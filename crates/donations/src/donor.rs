//! What a donor sees of their own giving, by the address they gave with: their gifts (the
//! pledges whose money counted) and the yearly statement of them, refunds netted. Monthly gifts
//! are `subscription::of_email`.

use chrono::NaiveDateTime;
use demeu_db::schema::{campaigns, pledges};
use demeu_db::DbConn;
use diesel::prelude::*;

use crate::money::{Currency, Money};
use crate::pledge_store::PledgeRecord;
use crate::Error;

/// The most gifts the donor's page lists (twelve years of a monthly gift and more).
pub const GIFTS_SHOWN: i64 = 500;

/// A gift of the donor's, with its campaign's slug.
#[derive(Debug, Clone)]
pub struct Gift {
    /// The pledge.
    pub pledge: PledgeRecord,
    /// Its campaign's slug.
    pub campaign: String,
}

/// The gifts given from `email` whose money counted, newest first.
pub fn gifts(conn: &mut DbConn, email: &str) -> Result<Vec<Gift>, Error> {
    let rows = pledges::table
        .inner_join(campaigns::table)
        .filter(pledges::email.eq(email))
        .filter(pledges::counted_at.is_not_null())
        .order((pledges::counted_at.desc(), pledges::id.desc()))
        .limit(GIFTS_SHOWN)
        .select((PledgeRecord::as_select(), campaigns::slug))
        .load::<(PledgeRecord, String)>(conn)?;
    Ok(rows.into_iter().map(|(pledge, campaign)| Gift { pledge, campaign }).collect())
}

/// Whether anything was ever given from `email` (a gift, counted or not): a sign-in link is
/// mailed only to such an address.
pub fn has_given(conn: &mut DbConn, email: &str) -> Result<bool, Error> {
    Ok(diesel::select(diesel::dsl::exists(pledges::table.filter(pledges::email.eq(email)))).get_result(conn)?)
}

/// One gift on a yearly statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// When its money counted (UTC).
    pub counted_at: NaiveDateTime,
    /// The campaign's id, for its title in the reader's language.
    pub campaign_id: crate::ids::CampaignId,
    /// What was received.
    pub received: Money,
    /// What was given back of it.
    pub refunded: Money,
    /// A monthly gift's charge.
    pub monthly: bool,
}

impl StatementLine {
    /// What the foundation kept: received less refunded (never below zero: a refund is never
    /// more than its payment).
    pub fn net(&self) -> Result<Money, Error> {
        Ok(self.received.checked_sub(self.refunded)?)
    }
}

/// A statement's sums in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementTotal {
    /// The currency.
    pub currency: Currency,
    /// Gifts in it.
    pub gifts: usize,
    /// Received.
    pub received: Money,
    /// Given back.
    pub refunded: Money,
    /// Kept: the amount the statement certifies.
    pub net: Money,
}

/// The statement's sums, one per currency in the order they first appear: every line counted
/// once, refunds netted.
pub fn totals(lines: &[StatementLine]) -> Result<Vec<StatementTotal>, Error> {
    let mut totals: Vec<StatementTotal> = Vec::new();
    for line in lines {
        let currency = line.received.currency;
        let at = match totals.iter().position(|t| t.currency == currency) {
            Some(at) => at,
            None => {
                let zero = Money::zero(currency);
                totals.push(StatementTotal { currency, gifts: 0, received: zero, refunded: zero, net: zero });
                totals.len() - 1
            }
        };
        let total = &mut totals[at];
        total.gifts += 1;
        total.received = total.received.checked_add(line.received)?;
        total.refunded = total.refunded.checked_add(line.refunded)?;
        total.net = total.net.checked_add(line.net()?)?;
    }
    Ok(totals)
}

/// The statement's lines: the gifts from `email` whose money counted in `[from, to)` (UTC; the
/// caller says where the year begins and ends for the reader), oldest first, each with what has
/// been refunded of it since.
pub fn statement_lines(
    conn: &mut DbConn,
    email: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<StatementLine>, Error> {
    let rows = pledges::table
        .filter(pledges::email.eq(email))
        .filter(pledges::counted_at.ge(from))
        .filter(pledges::counted_at.lt(to))
        .order((pledges::counted_at.asc(), pledges::id.asc()))
        .select(PledgeRecord::as_select())
        .load::<PledgeRecord>(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|p| {
            Some(StatementLine {
                counted_at: p.counted_at?,
                campaign_id: p.campaign_id,
                received: p.received,
                refunded: p.refunded,
                monthly: p.subscription_id.is_some(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(received: i64, refunded: i64, currency: Currency) -> StatementLine {
        StatementLine {
            counted_at: NaiveDateTime::default(),
            campaign_id: crate::ids::CampaignId::new(),
            received: Money::new(received, currency),
            refunded: Money::new(refunded, currency),
            monthly: false,
        }
    }

    #[test]
    fn refunds_are_netted_per_currency() {
        let lines =
            [line(500_000, 0, Currency::Kzt), line(300_000, 100_000, Currency::Kzt), line(2_000, 0, Currency::Usd)];
        let totals = totals(&lines).expect("sums");
        assert_eq!(totals.len(), 2);
        assert_eq!(totals[0].net, Money::new(700_000, Currency::Kzt));
        assert_eq!(totals[0].refunded, Money::new(100_000, Currency::Kzt));
        assert_eq!((totals[0].gifts, totals[1].gifts), (2, 1));
        assert_eq!(totals[1].net, Money::new(2_000, Currency::Usd));
        assert!(super::totals(&[]).expect("none").is_empty());
    }

    proptest! {
        /// Whatever the gifts, the statement's net is its received less its refunded, and its
        /// received the sum of every line's: nothing counted twice or left out.
        #[test]
        fn the_sums_are_the_lines(gifts in proptest::collection::vec((1i64..10_000_000, 0u8..=100), 0..60)) {
            let lines: Vec<StatementLine> = gifts
                .iter()
                .map(|(received, share)| line(*received, received * i64::from(*share) / 100, Currency::Kzt))
                .collect();
            let sums = totals(&lines).expect("sums");
            let received: i64 = gifts.iter().map(|(r, _)| r).sum();
            let refunded: i64 = lines.iter().map(|l| l.refunded.minor).sum();
            match sums.first() {
                None => prop_assert!(lines.is_empty()),
                Some(total) => {
                    prop_assert_eq!(total.received.minor, received);
                    prop_assert_eq!(total.net.minor, received - refunded);
                    prop_assert_eq!(total.gifts, lines.len());
                }
            }
        }
    }
}

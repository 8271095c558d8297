//! A campaign's running totals (net raised, pledges counted), kept so that reading a campaign's
//! progress costs the same whatever its pledges.
//!
//! They are spread over [`SHARDS`] rows per campaign. With one row, every payment of a campaign
//! took that row's lock and held it until its commit had reached the disk, so a viral campaign's
//! webhooks queued one behind another on it (measured: 0.07 of what the same PostgreSQL commits
//! durably). A pledge's money always goes to the same row, [`shard_of`] it, so that each row
//! alone stays what the database checks it is (never below zero: a refund lands where its
//! payment did), and the campaign's totals are the sum of its rows.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use demeu_db::schema::campaign_totals;
use demeu_db::DbConn;
use diesel::prelude::*;

use crate::ids::{CampaignId, PledgeId};
use crate::money::{Currency, Money};
use crate::Error;

/// Rows per campaign. Fixed by migration 000009, which creates them and checks
/// `shard < 16`: changing it needs a migration that moves every pledge's money to its new row.
pub const SHARDS: i16 = 16;

/// The row of `pledge`: the last hex digit of its id, so that SQL can compute it too
/// (migration 000009 does, as `right(id, 1)`).
pub fn shard_of(pledge: PledgeId) -> i16 {
    (pledge.as_uuid().as_u128() & 0xF) as i16
}

/// A campaign's totals: the sum of its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Net raised, in the campaign's currency.
    pub net_raised: Money,
    /// Pledges with money counted.
    pub counted_pledges: i64,
}

/// The sums of a campaign's rows, which keep counts of its currency's minor unit (the currency
/// is the campaign's: every ledger entry is in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sums {
    net_raised: i64,
    counted_pledges: i64,
}

impl Sums {
    /// Adds one row; a sum past BIGINT is a corrupt row (hand-edited), never a wrapped total.
    fn add(self, net_raised: i64, counted_pledges: i64) -> Option<Sums> {
        Some(Sums {
            net_raised: self.net_raised.checked_add(net_raised)?,
            counted_pledges: self.counted_pledges.checked_add(counted_pledges)?,
        })
    }

    /// The totals of a campaign held in `currency`.
    pub fn in_currency(self, currency: Currency) -> Totals {
        Totals { net_raised: Money::new(self.net_raised, currency), counted_pledges: self.counted_pledges }
    }
}

type Row = (CampaignId, i64, i64);

fn fold(campaign_id: CampaignId, rows: impl IntoIterator<Item = (i64, i64)>) -> Result<Sums, Error> {
    rows.into_iter()
        .try_fold(Sums::default(), |sum, (net, counted)| sum.add(net, counted))
        .ok_or_else(|| Error::Corrupt(format!("campaign {campaign_id}'s totals add up past BIGINT")))
}

/// Creates a new campaign's rows, all zero.
pub fn create(conn: &mut DbConn, campaign_id: CampaignId, now: NaiveDateTime) -> Result<(), Error> {
    // One INSERT per row: the multi-backend connection has no batch insert (style.md), and
    // this runs once per campaign.
    for shard in 0..SHARDS {
        diesel::insert_into(campaign_totals::table)
            .values((
                campaign_totals::campaign_id.eq(campaign_id),
                campaign_totals::shard.eq(shard),
                campaign_totals::net_raised.eq(0i64),
                campaign_totals::counted_pledges.eq(0i64),
                campaign_totals::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// One campaign's totals, the campaign being held in `currency`; a campaign without rows is
/// corrupt.
pub fn of(conn: &mut DbConn, campaign_id: CampaignId, currency: Currency) -> Result<Totals, Error> {
    let rows: Vec<(i64, i64)> = campaign_totals::table
        .filter(campaign_totals::campaign_id.eq(campaign_id))
        .select((campaign_totals::net_raised, campaign_totals::counted_pledges))
        .load(conn)?;
    if rows.is_empty() {
        return Err(Error::Corrupt(format!("campaign {campaign_id} has no totals rows")));
    }
    Ok(fold(campaign_id, rows)?.in_currency(currency))
}

/// Every campaign's sums, in one query.
pub fn all(conn: &mut DbConn) -> Result<HashMap<CampaignId, Sums>, Error> {
    let rows: Vec<Row> = campaign_totals::table
        .select((campaign_totals::campaign_id, campaign_totals::net_raised, campaign_totals::counted_pledges))
        .load(conn)?;
    let mut by_campaign: HashMap<CampaignId, Vec<(i64, i64)>> = HashMap::new();
    for (campaign_id, net, counted) in rows {
        by_campaign.entry(campaign_id).or_default().push((net, counted));
    }
    by_campaign.into_iter().map(|(id, rows)| Ok((id, fold(id, rows)?))).collect()
}

/// A change to a campaign's running totals that an append owes, on its pledge's row.
#[derive(Debug, Clone, Copy)]
#[must_use = "the campaign's totals must move in the same transaction"]
pub struct TotalsChange {
    pub(crate) campaign_id: CampaignId,
    pub(crate) pledge_id: PledgeId,
    pub(crate) delta: i64,
    pub(crate) counted_change: i64,
    pub(crate) at: NaiveDateTime,
}

impl TotalsChange {
    /// Writes the change. The row's lock orders every other transaction on it behind this one
    /// until commit, so a caller with more to do in its transaction does it first and writes
    /// this last. Added in SQL so that concurrent appends never read-modify-write; the guard
    /// catches a concurrent append that took the row near the end of BIGINT since the append
    /// checked the campaign's sum, and fails the caller's transaction rather than wrap.
    pub fn write(self, conn: &mut DbConn) -> Result<(), Error> {
        let room = campaign_totals::net_raised.le(i64::MAX - self.delta.max(0));
        let row = campaign_totals::table.find((self.campaign_id, shard_of(self.pledge_id)));
        let updated = diesel::update(row.filter(room))
            .set((
                campaign_totals::net_raised.eq(campaign_totals::net_raised + self.delta),
                campaign_totals::counted_pledges.eq(campaign_totals::counted_pledges + self.counted_change),
                campaign_totals::updated_at.eq(self.at),
            ))
            .execute(conn)?;
        if updated == 0 {
            return Err(Error::Corrupt(format!(
                "campaign {}'s total left its range during an append",
                self.campaign_id
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_pledge_row_is_the_last_hex_digit_of_its_id() {
        // Migration 000009 computes the same in SQL; this pins both to one rule.
        let id: PledgeId = "5f0c3a1e-8b7d-4c2a-9e1f-0123456789ab".parse().expect("uuid");
        assert_eq!(shard_of(id), 0xb);
        let id: PledgeId = "5f0c3a1e-8b7d-4c2a-9e1f-012345678990".parse().expect("uuid");
        assert_eq!(shard_of(id), 0);
    }

    proptest! {
        #[test]
        fn every_pledge_has_a_row(bits in any::<u128>()) {
            let id = PledgeId::from(uuid::Uuid::from_u128(bits));
            let shard = shard_of(id);
            prop_assert!((0..SHARDS).contains(&shard));
            let last = id.to_string().chars().last().and_then(|c| c.to_digit(16));
            prop_assert_eq!(last.map(|d| d as i16), Some(shard));
        }

        #[test]
        fn the_sum_is_exact_or_refused(rows in proptest::collection::vec((any::<i64>(), 0i64..1_000), 0..20)) {
            let wide: i128 = rows.iter().map(|(net, _)| i128::from(*net)).sum();
            let partial_overflow = rows
                .iter()
                .try_fold(0i64, |sum, (net, _)| sum.checked_add(*net))
                .is_none();
            match fold(CampaignId::new(), rows.clone()) {
                Ok(totals) => prop_assert_eq!(i128::from(totals.net_raised), wide),
                Err(_) => prop_assert!(partial_overflow),
            }
        }
    }
}

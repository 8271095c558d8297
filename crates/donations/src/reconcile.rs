//! Reconciliation: the running totals and the pledges' amounts recomputed from the ledger, with
//! every difference reported.

use std::collections::BTreeMap;

use demeu_db::schema::{campaign_totals, ledger_entries, pledges};
use demeu_db::DbConn;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde::Serialize;

use crate::campaign::find_by_slug;
use crate::Error;

/// One pledge whose amounts disagree with its ledger rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PledgeDifference {
    /// The pledge.
    pub pledge_id: String,
    /// What its amounts say counts (wide: a hand-edited row must not wrap).
    pub counted: i128,
    /// What its ledger rows add up to.
    pub ledger: i64,
}

/// The campaign's totals beside what the ledger says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The campaign.
    pub campaign: String,
    /// Net raised from the running totals.
    pub totals_raised: i64,
    /// Net raised from the ledger, summed wide so that a total past BIGINT shows as such
    /// instead of wrapping.
    pub ledger_raised: i128,
    /// Counted pledges from the running totals.
    pub totals_pledges: i64,
    /// Pledges whose ledger rows add up to more than zero.
    pub ledger_pledges: i64,
    /// Pledges whose amounts disagree with the ledger.
    pub pledge_differences: Vec<PledgeDifference>,
}

impl Report {
    /// True when everything agrees.
    pub fn is_clean(&self) -> bool {
        i128::from(self.totals_raised) == self.ledger_raised
            && self.totals_pledges == self.ledger_pledges
            && self.pledge_differences.is_empty()
    }
}

/// Recomputes one campaign's totals from its ledger and compares.
///
/// Sums are cast to BIGINT in SQL because `SUM(BIGINT)` is NUMERIC on PostgreSQL.
pub fn reconcile(conn: &mut DbConn, slug: &str) -> Result<Report, Error> {
    let campaign = find_by_slug(conn, slug)?;
    let id = campaign.id.to_string();
    let per_pledge: Vec<(String, i64)> = ledger_entries::table
        .filter(ledger_entries::campaign_id.eq(&id))
        .group_by(ledger_entries::pledge_id)
        .select((ledger_entries::pledge_id, sql::<BigInt>("CAST(SUM(amount) AS BIGINT)")))
        .load(conn)?;
    let ledger: BTreeMap<String, i64> = per_pledge.into_iter().collect();
    let amounts: Vec<(String, i64, i64, i64)> = pledges::table
        .filter(pledges::campaign_id.eq(&id))
        .select((pledges::id, pledges::received, pledges::refunded, pledges::disputed))
        .load(conn)?;
    let mut pledge_differences = Vec::new();
    for (pledge_id, received, refunded, disputed) in amounts {
        let counted = i128::from(received) - i128::from(refunded) - i128::from(disputed);
        let in_ledger = ledger.get(&pledge_id).copied().unwrap_or(0);
        if counted != i128::from(in_ledger) {
            pledge_differences.push(PledgeDifference { pledge_id, counted, ledger: in_ledger });
        }
    }
    let (totals_raised, totals_pledges): (i64, i64) = campaign_totals::table
        .find(&id)
        .select((campaign_totals::net_raised, campaign_totals::counted_pledges))
        .first(conn)?;
    Ok(Report {
        campaign: campaign.spec.slug,
        totals_raised,
        ledger_raised: ledger.values().map(|v| i128::from(*v)).sum(),
        totals_pledges,
        ledger_pledges: ledger.values().filter(|v| **v > 0).count() as i64,
        pledge_differences,
    })
}

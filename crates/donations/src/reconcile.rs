//! Reconciliation: the running totals and the pledges' amounts recomputed from the ledger, with
//! every difference reported.

use demeu_db::schema::ledger_entries;
use demeu_db::DbConn;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::Serialize;

use crate::campaign::find_by_slug;
use crate::ids::{CampaignId, PledgeId};
use crate::totals;
use crate::Error;

/// One pledge whose amounts disagree with its ledger rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PledgeDifference {
    /// The pledge.
    pub pledge_id: PledgeId,
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
    /// What in the campaign's spending breaks its rules (`expense::differences`).
    pub spending_differences: Vec<crate::expense::SpendingDifference>,
}

impl Report {
    /// True when everything agrees.
    pub fn is_clean(&self) -> bool {
        i128::from(self.totals_raised) == self.ledger_raised
            && self.totals_pledges == self.ledger_pledges
            && self.pledge_differences.is_empty()
            && self.spending_differences.is_empty()
    }

    /// How many things disagree: the net raised, the count of pledges, and each pledge whose
    /// amounts disagree with its ledger rows, and each thing wrong with its spending (what the
    /// dashboard counts as differences).
    pub fn differences(&self) -> usize {
        usize::from(i128::from(self.totals_raised) != self.ledger_raised)
            + usize::from(self.totals_pledges != self.ledger_pledges)
            + self.pledge_differences.len()
            + self.spending_differences.len()
    }
}

/// Recomputes one campaign's totals from its ledger and compares.
///
/// Every sum is made by the database: the command's memory holds the differences only, never a
/// row per pledge, and it takes seconds at 10⁶ pledges. A ledger row counts for the campaign it
/// names, and for its pledge only if that pledge is the campaign's.
pub fn reconcile(conn: &mut DbConn, slug: &str) -> Result<Report, Error> {
    let campaign = find_by_slug(conn, slug)?;
    let id = campaign.id;
    let totals = totals::of(conn, campaign.id, campaign.spec.currency)?;
    Ok(Report {
        campaign: campaign.spec.slug,
        totals_raised: totals.net_raised.minor,
        ledger_raised: ledger_raised(conn, id)?,
        totals_pledges: totals.counted_pledges,
        ledger_pledges: ledger_pledges(conn, id)?,
        pledge_differences: pledge_differences(conn, id)?,
        spending_differences: crate::expense::differences(&crate::expense::of_campaign(conn, id)?, &campaign.spec.plan),
    })
}

/// The sum of the campaign's ledger, exact whatever it adds up to. `SUM(BIGINT)` is NUMERIC on
/// PostgreSQL but fails past BIGINT on SQLite, so each amount is summed in two parts,
/// `amount = 2³² × (amount / 2³²) + amount % 2³²` (both backends truncate toward zero and give
/// the remainder the dividend's sign); neither part's sum can pass BIGINT below 2³¹ rows, and
/// the two are put together in i128.
fn ledger_raised(conn: &mut DbConn, campaign_id: CampaignId) -> Result<i128, Error> {
    let (high, low): (i64, i64) = ledger_entries::table
        .filter(ledger_entries::campaign_id.eq(campaign_id))
        .select((
            sql::<BigInt>("CAST(COALESCE(SUM(amount / 4294967296), 0) AS BIGINT)"),
            sql::<BigInt>("CAST(COALESCE(SUM(amount % 4294967296), 0) AS BIGINT)"),
        ))
        .first(conn)?;
    Ok(i128::from(high) * (1i128 << 32) + i128::from(low))
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many pledges the campaign's ledger rows add up to more than zero for: one pass over the
/// index `(campaign_id, pledge_id, amount)`, grouped in its order.
fn ledger_pledges(conn: &mut DbConn, campaign_id: CampaignId) -> Result<i64, Error> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT pledge_id FROM ledger_entries WHERE campaign_id = {p} \
         GROUP BY pledge_id HAVING SUM(amount) > 0) AS counted",
        p = conn.param(1)
    );
    let count: Count = diesel::sql_query(sql).bind::<Text, _>(campaign_id).get_result(conn)?;
    Ok(count.n)
}

#[derive(QueryableByName)]
struct Differing {
    #[diesel(sql_type = Text)]
    pledge_id: PledgeId,
    #[diesel(sql_type = BigInt)]
    counted: i64,
    #[diesel(sql_type = BigInt)]
    ledger: i64,
}

/// The campaign's pledges whose amounts disagree with their ledger rows. The pledges' counted
/// amounts and the ledger rows are read as one list and grouped by pledge: one sort (or hash) of
/// two sequential reads. Looking up each pledge's rows apart reads the ledger's index at random,
/// two to three times slower at 10⁶ pledges on both backends. Only the campaign's pledges are
/// reported (`mine`): a ledger row naming another campaign's pledge is no difference of these.
/// A pledge's counted amount cannot pass BIGINT: the checks keep refunded + disputed within
/// received.
fn pledge_differences(conn: &mut DbConn, campaign_id: CampaignId) -> Result<Vec<PledgeDifference>, Error> {
    let sql = format!(
        "SELECT pledge_id, CAST(SUM(counted) AS BIGINT) AS counted, CAST(SUM(ledger) AS BIGINT) AS ledger \
         FROM (SELECT id AS pledge_id, 1 AS mine, received - refunded - disputed AS counted, 0 AS ledger \
               FROM pledges WHERE campaign_id = {p} \
               UNION ALL \
               SELECT pledge_id, 0, 0, amount FROM ledger_entries WHERE campaign_id = {p}) AS both_sides \
         GROUP BY pledge_id HAVING SUM(mine) > 0 AND SUM(counted) <> SUM(ledger) \
         ORDER BY pledge_id",
        p = conn.param(1)
    );
    let differing: Vec<Differing> = diesel::sql_query(sql).bind::<Text, _>(campaign_id).load(conn)?;
    Ok(differing
        .into_iter()
        .map(|d| PledgeDifference { pledge_id: d.pledge_id, counted: i128::from(d.counted), ledger: d.ledger })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            campaign: "mentors".into(),
            totals_raised: 10_000,
            ledger_raised: 10_000,
            totals_pledges: 2,
            ledger_pledges: 2,
            pledge_differences: Vec::new(),
            spending_differences: Vec::new(),
        }
    }

    #[test]
    fn each_disagreement_is_one_difference() {
        assert_eq!(report().differences(), 0);
        assert!(report().is_clean());
        let mut off = report();
        off.totals_raised += 1;
        off.totals_pledges += 1;
        off.pledge_differences.push(PledgeDifference { pledge_id: PledgeId::new(), counted: 1, ledger: 0 });
        off.spending_differences.push(crate::expense::SpendingDifference {
            subject: "x".into(),
            what: "y".into(),
            code: "below-zero",
        });
        assert_eq!(off.differences(), 4);
        assert!(!off.is_clean());
        let past_bigint = Report { ledger_raised: i128::from(i64::MAX) + 1, ..report() };
        assert_eq!(past_bigint.differences(), 1);
    }
}

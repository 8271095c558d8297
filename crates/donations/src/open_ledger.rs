//! A campaign's open ledger: per day (Almaty's), the number of gifts, what they brought (gross),
//! what was refunded, the net (every ledger row of the day: disputes and corrections too) and
//! what was spent. Sums of the ledger's rows, so the days' nets add up to the campaign's
//! progress to the tiyn. No name, no address, no single gift's amount: a day's line is a sum.

use chrono::NaiveDate;
use demeu_db::DbConn;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::campaign::Campaign;
use crate::money::{Currency, Money};
use crate::Error;

/// One day's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerDay {
    /// The day, in Almaty.
    pub day: NaiveDate,
    /// Gifts whose money arrived that day (payments and offline gifts).
    pub gifts: i64,
    /// What they brought.
    pub gross: Money,
    /// What was given back that day (a positive amount).
    pub refunds: Money,
    /// Every movement of the day: gross less refunds, disputes and corrections.
    pub net: Money,
    /// Spent that day (expenses, recorded by the campaign's accountant).
    pub spent: Money,
}

/// The sums of `days`, as one line dated by the last (none: zeros on `today`).
pub fn totals(days: &[LedgerDay], currency: Currency, today: NaiveDate) -> Result<LedgerDay, Error> {
    let zero = Money::zero(currency);
    let mut total = LedgerDay { day: today, gifts: 0, gross: zero, refunds: zero, net: zero, spent: zero };
    for day in days {
        total.day = day.day;
        total.gifts += day.gifts;
        total.gross = total.gross.checked_add(day.gross)?;
        total.refunds = total.refunds.checked_add(day.refunds)?;
        total.net = total.net.checked_add(day.net)?;
        total.spent = total.spent.checked_add(day.spent)?;
    }
    Ok(total)
}

#[derive(QueryableByName)]
struct DayRow {
    #[diesel(sql_type = Text)]
    day: String,
    #[diesel(sql_type = BigInt)]
    gifts: i64,
    #[diesel(sql_type = BigInt)]
    gross: i64,
    #[diesel(sql_type = BigInt)]
    refunds: i64,
    #[diesel(sql_type = BigInt)]
    net: i64,
}

/// The sums per day, grouped by the database over the campaign's index. Almaty's day: UTC+5,
/// and UTC+6 before 1 March 2024 (`format::almaty_offset` says the same for one time).
const SUMS: &str = "CAST(COUNT(CASE WHEN kind IN ('payment', 'offline_payment') THEN 1 END) AS BIGINT) AS gifts, \
     CAST(COALESCE(SUM(CASE WHEN kind IN ('payment', 'offline_payment') THEN amount ELSE 0 END), 0) AS BIGINT) AS gross, \
     CAST(COALESCE(SUM(CASE WHEN kind = 'refund' THEN -amount ELSE 0 END), 0) AS BIGINT) AS refunds, \
     CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS net";

/// The campaign's days with any movement, oldest first, from `from` to `to` (both included).
pub fn days(
    conn: &mut DbConn,
    campaign: &Campaign,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<LedgerDay>, Error> {
    let rows: Vec<DayRow> = match conn {
        DbConn::Postgres(pg) => diesel::sql_query(format!(
            "SELECT CAST(CAST(created_at + CASE WHEN created_at < TIMESTAMP '2024-02-29 18:00:00' \
             THEN INTERVAL '6 hours' ELSE INTERVAL '5 hours' END AS DATE) AS TEXT) AS day, {SUMS} \
             FROM ledger_entries WHERE campaign_id = $1 GROUP BY 1 ORDER BY 1"
        ))
        .bind::<Text, _>(campaign.id.to_string())
        .load(pg)?,
        DbConn::Sqlite(sqlite) => diesel::sql_query(format!(
            "SELECT date(created_at, CASE WHEN created_at < '2024-02-29 18:00:00' THEN '+6 hours' \
             ELSE '+5 hours' END) AS day, {SUMS} \
             FROM ledger_entries WHERE campaign_id = ? GROUP BY 1 ORDER BY 1"
        ))
        .bind::<Text, _>(campaign.id.to_string())
        .load(sqlite)?,
    };
    let currency = campaign.spec.currency;
    let money = |minor| Money::new(minor, currency);
    let mut days = Vec::with_capacity(rows.len());
    for row in rows {
        let day = NaiveDate::parse_from_str(&row.day, "%Y-%m-%d")
            .map_err(|e| Error::Corrupt(format!("a ledger day `{}`: {e}", row.day)))?;
        days.push(LedgerDay {
            day,
            gifts: row.gifts,
            gross: money(row.gross),
            refunds: money(row.refunds),
            net: money(row.net),
            spent: Money::zero(currency),
        });
    }
    let spent = crate::expense::spent_per_day(conn, campaign)?;
    let mut days = with_spending(days, &spent, currency)?;
    days.retain(|d| !(from.is_some_and(|from| d.day < from) || to.is_some_and(|to| d.day > to)));
    Ok(days)
}

/// `days` (oldest first) with each day's spending (`spent`, oldest first) added: a
/// day that only spent gets its own line.
fn with_spending(
    days: Vec<LedgerDay>,
    spent: &[(NaiveDate, Money)],
    currency: Currency,
) -> Result<Vec<LedgerDay>, Error> {
    let zero = Money::zero(currency);
    let mut merged: std::collections::BTreeMap<NaiveDate, LedgerDay> = days.into_iter().map(|d| (d.day, d)).collect();
    for &(day, amount) in spent {
        let line = merged.entry(day).or_insert(LedgerDay {
            day,
            gifts: 0,
            gross: zero,
            refunds: zero,
            net: zero,
            spent: zero,
        });
        line.spent = line.spent.checked_add(amount)?;
    }
    Ok(merged.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The totals are the days' sums, whatever the days.
        #[test]
        fn the_totals_are_the_days(lines in proptest::collection::vec((0i64..50, 0i64..10_000_000, 0i64..1_000_000), 0..40)) {
            let start = NaiveDate::from_ymd_opt(2026, 6, 1).expect("a day");
            let kzt = |minor| Money::new(minor, Currency::Kzt);
            let days: Vec<LedgerDay> = lines
                .iter()
                .enumerate()
                .map(|(i, (gifts, gross, refunds))| LedgerDay {
                    day: start + chrono::Days::new(i as u64),
                    gifts: *gifts,
                    gross: kzt(*gross),
                    refunds: kzt((*refunds).min(*gross)),
                    net: kzt(gross - (*refunds).min(*gross)),
                    spent: kzt(0),
                })
                .collect();
            let total = totals(&days, Currency::Kzt, start).expect("sums");
            // Spending on some of those days and on days of its own keeps the order and the sums.
            let spent: Vec<(NaiveDate, Money)> =
                (0..lines.len() as u64 * 2).step_by(3).map(|i| (start + chrono::Days::new(i), kzt(i as i64 * 100))).collect();
            let merged = with_spending(days.clone(), &spent, Currency::Kzt).expect("merged");
            prop_assert!(merged.windows(2).all(|w| w[0].day < w[1].day));
            prop_assert_eq!(merged.iter().map(|d| d.spent.minor).sum::<i64>(), spent.iter().map(|s| s.1.minor).sum::<i64>());
            prop_assert_eq!(merged.iter().map(|d| d.net.minor).sum::<i64>(), total.net.minor);
            prop_assert_eq!(total.gifts, days.iter().map(|d| d.gifts).sum::<i64>());
            prop_assert_eq!(total.net.minor, days.iter().map(|d| d.net.minor).sum::<i64>());
            prop_assert_eq!(total.net.minor, total.gross.minor - total.refunds.minor);
            prop_assert_eq!(total.day, days.last().map_or(start, |d| d.day));
        }
    }
}

//! Spending against the plan: per line, what the raised money allocates to it (the waterfall of
//! `allocation.rs`), what its entries spent (reversals netted), what is left and whether it is
//! spent beyond its allocation; and the campaign's raised, spent and left. Computed on every read
//! from the ledger's total and the entries, never stored, so that a refund or a reversal moves it
//! exactly. Pure.

use crate::allocation::allocate;
use crate::money::Money;
use crate::plan::FundingPlan;
use crate::Error;

/// One line's money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpending {
    /// The line's key.
    pub key: String,
    /// What the money raised allocates to it.
    pub allocated: Money,
    /// What its entries add up to.
    pub spent: Money,
    /// Allocated less spent: below zero when spent beyond the allocation.
    pub left: Money,
    /// Spent beyond its allocation (each such expense carries its reason).
    pub over_budget: bool,
}

/// The campaign's money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spending {
    /// Net raised (the progress).
    pub raised: Money,
    /// Every entry's sum.
    pub spent: Money,
    /// Raised less spent.
    pub left: Money,
    /// Raised beyond every capped line (the plan's lines hold the rest).
    pub unallocated: Money,
    /// In the plan's order.
    pub lines: Vec<LineSpending>,
}

/// The spending of `plan` with `raised` net and `entries` (each a line's key and an amount: an
/// expense positive, a reversal negative). An entry on a line the plan lacks is a stored
/// inconsistency (a plan keeps the lines spent on).
pub fn spending<'a>(
    plan: &FundingPlan,
    raised: Money,
    entries: impl IntoIterator<Item = (&'a str, Money)>,
) -> Result<Spending, Error> {
    let allocation = allocate(plan, raised);
    let mut lines: Vec<LineSpending> = allocation
        .lines
        .iter()
        .map(|l| LineSpending {
            key: l.key.clone(),
            allocated: l.funded,
            spent: Money::zero(raised.currency),
            left: l.funded,
            over_budget: false,
        })
        .collect();
    let mut spent = Money::zero(raised.currency);
    for (key, amount) in entries {
        let line = lines
            .iter_mut()
            .find(|l| l.key == key)
            .ok_or_else(|| Error::Corrupt(format!("an expense on `{key}`, not a line of the plan")))?;
        line.spent = line.spent.checked_add(amount)?;
        spent = spent.checked_add(amount)?;
    }
    for line in &mut lines {
        line.left = line.allocated.checked_sub(line.spent)?;
        line.over_budget = line.spent > line.allocated;
    }
    Ok(Spending { raised, spent, left: raised.checked_sub(spent)?, unallocated: allocation.unallocated, lines })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::{kzt, mentors};
    use proptest::prelude::*;

    #[test]
    fn the_summer_school_paid_from_the_first_money() {
        let plan = mentors();
        let s = spending(&plan, kzt(30_000_000), [("summer-school", kzt(12_500_000)), ("summer-school", kzt(1_000))])
            .expect("sums");
        assert_eq!(s.spent, kzt(12_501_000));
        assert_eq!(s.left, kzt(17_499_000));
        assert_eq!(s.lines[0].allocated, kzt(22_500_000));
        assert_eq!(s.lines[0].left, kzt(9_999_000));
        assert_eq!(s.lines[1].allocated, kzt(7_500_000));
        assert!(!s.lines.iter().any(|l| l.over_budget));
        let over = spending(&plan, kzt(30_000_000), [("psychologists", kzt(7_500_001))]).expect("sums");
        assert!(over.lines[1].over_budget);
        assert_eq!(over.lines[1].left, kzt(-1));
        assert!(spending(&plan, kzt(1), [("yacht", kzt(1))]).is_err());
    }

    /// An entry as the property test makes them: a line, an amount, and whether a later entry
    /// reverses it.
    fn entries() -> impl Strategy<Value = Vec<(usize, i64, bool)>> {
        prop::collection::vec((0usize..4, 1i64..40_000_000, any::<bool>()), 0..30)
    }

    proptest! {
        /// Any expenses and reversals keep the lines' sums, the campaign's and the allocation
        /// together: the lines' spent add up to the campaign's, each line's is what its
        /// standing expenses add up to, left is raised less spent, line by line and in all.
        #[test]
        fn expenses_and_reversals_keep_every_sum_exact(raised in 0i64..100_000_000, made in entries()) {
            let plan = mentors();
            let keys: Vec<&str> = plan.lines().iter().map(|l| l.key.as_str()).collect();
            // Each expense, then its reversal where one was made.
            let mut ledger: Vec<(&str, Money)> = Vec::new();
            for (line, amount, reversed) in &made {
                ledger.push((keys[*line], kzt(*amount)));
                if *reversed {
                    ledger.push((keys[*line], kzt(-*amount)));
                }
            }
            let s = spending(&plan, kzt(raised), ledger.iter().copied()).expect("sums");
            let standing = |key: &str| -> i64 {
                made.iter().filter(|(l, _, r)| keys[*l] == key && !r).map(|(_, a, _)| a).sum()
            };
            prop_assert_eq!(s.lines.iter().map(|l| l.spent.minor).sum::<i64>(), s.spent.minor);
            prop_assert_eq!(s.left.minor, raised - s.spent.minor);
            prop_assert_eq!(s.lines.iter().map(|l| l.left.minor).sum::<i64>() + s.unallocated.minor, s.left.minor);
            for line in &s.lines {
                prop_assert_eq!(line.spent.minor, standing(&line.key));
                prop_assert!(line.spent.minor >= 0);
                prop_assert_eq!(line.over_budget, line.spent > line.allocated);
            }
        }
    }
}

//! How the net amount raised spreads over a plan's lines. Computed on every read, never stored,
//! so that a refund moves it back exactly.

use serde::Serialize;

use crate::money::Money;
use crate::plan::FundingPlan;

/// What one line has received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineFunding {
    /// The line's key.
    pub key: String,
    /// What it holds.
    pub funded: Money,
}

/// The plan's lines filled with the money raised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Allocation {
    /// One entry per line, in the plan's order.
    pub lines: Vec<LineFunding>,
    /// What is left when every line is full: shown, never lost.
    pub unallocated: Money,
}

/// Fills the lines in order, each up to its target; an uncapped last line takes the rest.
///
/// `net_raised` is in the plan's currency (a campaign's totals are: the ledger takes no other).
/// A negative `net_raised` cannot arise from the ledger (nothing goes below zero); it is treated
/// as nothing raised rather than shown as negative funding.
pub fn allocate(plan: &FundingPlan, net_raised: Money) -> Allocation {
    debug_assert_eq!(net_raised.currency, plan.currency(), "raised in the plan's currency");
    let currency = plan.currency();
    let mut left = net_raised.minor.max(0);
    let lines = plan
        .lines()
        .iter()
        .map(|line| {
            let funded = match line.target {
                Some(target) => left.min(target.minor),
                None => left,
            };
            left -= funded;
            LineFunding { key: line.key.clone(), funded: Money::new(funded, currency) }
        })
        .collect();
    Allocation { lines, unallocated: Money::new(left, currency) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::{kzt, line, mentors};
    use crate::plan::Tier;
    use proptest::prelude::*;

    fn funded(a: &Allocation) -> Vec<i64> {
        a.lines.iter().map(|l| l.funded.minor).collect()
    }

    #[test]
    fn mentors_fills_in_order() {
        let plan = mentors();
        assert_eq!(funded(&allocate(&plan, kzt(0))), vec![0, 0, 0, 0]);
        assert_eq!(funded(&allocate(&plan, kzt(1_250_000))), vec![1_250_000, 0, 0, 0]);
        assert_eq!(funded(&allocate(&plan, kzt(52_500_000))), vec![22_500_000, 30_000_000, 0, 0]);
        assert_eq!(funded(&allocate(&plan, kzt(80_000_000))), vec![22_500_000, 30_000_000, 22_500_000, 5_000_000]);
        assert_eq!(allocate(&plan, kzt(80_000_000)).unallocated, kzt(0));
    }

    #[test]
    fn beyond_a_fully_capped_plan_is_unallocated() {
        let plan =
            FundingPlan::new(kzt(100), vec![line("a", Tier::Goal, Some(100)), line("b", Tier::Overflow, Some(50))])
                .expect("valid plan");
        let a = allocate(&plan, kzt(175));
        assert_eq!(funded(&a), vec![100, 50]);
        assert_eq!(a.unallocated, kzt(25));
    }

    fn any_plan() -> impl Strategy<Value = FundingPlan> {
        (prop::collection::vec(1i64..10_000_000, 1..4), prop::collection::vec(1i64..10_000_000, 0..4), any::<bool>())
            .prop_map(|(goal_targets, overflow_targets, uncapped_last)| {
                let mut lines: Vec<BudgetLineSpec> = goal_targets.iter().map(|t| (Tier::Goal, Some(*t))).collect();
                lines.extend(overflow_targets.iter().map(|t| (Tier::Overflow, Some(*t))));
                if uncapped_last {
                    lines.push((Tier::Overflow, None));
                }
                let goal = goal_targets.iter().sum();
                let lines = lines
                    .into_iter()
                    .enumerate()
                    .map(|(i, (tier, target))| line(&format!("line-{i}"), tier, target))
                    .collect();
                FundingPlan::new(kzt(goal), lines).expect("generated plans are valid")
            })
    }

    type BudgetLineSpec = (Tier, Option<i64>);

    proptest! {
        #[test]
        fn allocation_keeps_its_invariants(plan in any_plan(), raised in 0i64..100_000_000) {
            let a = allocate(&plan, kzt(raised));
            let total: i64 = a.lines.iter().map(|l| l.funded.minor).sum();
            // Nothing lost, nothing invented.
            prop_assert_eq!(total + a.unallocated.minor, raised);
            prop_assert!(a.unallocated >= kzt(0));
            for (i, (funding, line)) in a.lines.iter().zip(plan.lines()).enumerate() {
                prop_assert!(funding.funded >= kzt(0));
                if let Some(target) = line.target {
                    prop_assert!(funding.funded <= target);
                }
                // A line gets money only when every line before it is full.
                if funding.funded.is_positive() {
                    for (before, line_before) in a.lines[..i].iter().zip(plan.lines()) {
                        prop_assert_eq!(Some(before.funded), line_before.target);
                    }
                }
            }
            // Money is left over only when every line is capped and full.
            if a.unallocated.is_positive() {
                for (funding, line) in a.lines.iter().zip(plan.lines()) {
                    prop_assert_eq!(Some(funding.funded), line.target);
                }
            }
        }

        #[test]
        fn allocation_grows_with_the_money(plan in any_plan(), a in 0i64..50_000_000, b in 0i64..50_000_000) {
            let (low, high) = (allocate(&plan, kzt(a.min(b))), allocate(&plan, kzt(a.max(b))));
            for (l, h) in low.lines.iter().zip(&high.lines) {
                prop_assert!(l.funded <= h.funded);
            }
        }
    }
}

//! A campaign's funding plan: the ordered budget lines that money fills, and the rules a plan
//! must keep before a campaign may start.

use serde::Serialize;
use thiserror::Error;

use crate::money::Money;
use demeu_db::locale::Texts;

demeu_db::stored_enum! {
    /// Whether a line is part of the goal or receives what comes beyond it.
    pub enum Tier("budget line tier") {
        /// Lines that together make the goal.
        Goal = "goal",
        /// Lines funded from what is raised beyond the goal.
        Overflow = "overflow",
    }
}

/// One thing the money pays for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetLine {
    /// Stable identifier, e.g. `summer-school`.
    pub key: String,
    /// What donors read, per language.
    pub titles: Texts,
    /// Goal or overflow.
    pub tier: Tier,
    /// What this line needs, in the goal's currency; `None` for a last line that takes all
    /// the rest.
    pub target: Option<Money>,
}

/// Why a plan was refused. Every variant names the line at fault, if there is one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    /// A plan needs at least one line.
    #[error("the plan has no budget lines")]
    Empty,
    /// The goal must be a positive amount. (Said in minor units, as configuration writes it.)
    #[error("the goal must be above zero (got {})", .0.minor)]
    BadGoal(Money),
    /// A line asks for a negative or zero amount.
    #[error("line `{key}`: the target must be above zero (got {})", .target.minor)]
    BadTarget {
        /// The line.
        key: String,
        /// What it asked for.
        target: Money,
    },
    /// A line's target is in another currency than the goal.
    #[error("line `{key}`: the target is in {}, the goal in {}", .target.currency, .goal.currency)]
    OtherCurrency {
        /// The line.
        key: String,
        /// What it asked for.
        target: Money,
        /// The goal.
        goal: Money,
    },
    /// Only the last line may take "all the rest".
    #[error("line `{0}` has no target but is not the last line")]
    UncappedNotLast(String),
    /// A goal line must have a target, since the goal is their sum.
    #[error("line `{0}` is in the goal tier and needs a target")]
    UncappedGoalLine(String),
    /// Goal lines come first: money fills the goal before anything beyond it.
    #[error("line `{0}` is in the goal tier but comes after an overflow line")]
    GoalAfterOverflow(String),
    /// Two lines share a key.
    #[error("line `{0}` appears twice")]
    DuplicateKey(String),
    /// A line's key must be a short slug.
    #[error("line `{0}`: the key must be 1 to 64 of a-z, 0-9 and -")]
    BadKey(String),
    /// A line needs a title to be shown, in one language at least.
    #[error("line `{0}`: the title is empty")]
    EmptyTitle(String),
    /// The goal lines must add up to the goal exactly.
    #[error("goal lines {lines} add up to {} but the goal is {}", .sum.minor, .goal.minor)]
    GoalMismatch {
        /// The goal lines' keys, joined with ` + `.
        lines: String,
        /// What they add up to.
        sum: Money,
        /// The stated goal.
        goal: Money,
    },
}

/// A validated, ordered funding plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FundingPlan {
    goal: Money,
    lines: Vec<BudgetLine>,
}

impl FundingPlan {
    /// Checks a plan: not empty, positive targets, goal lines first and adding up to the goal,
    /// only the last line uncapped, keys unique, every amount in the goal's currency.
    pub fn new(goal: Money, lines: Vec<BudgetLine>) -> Result<Self, PlanError> {
        if lines.is_empty() {
            return Err(PlanError::Empty);
        }
        if !goal.is_positive() {
            return Err(PlanError::BadGoal(goal));
        }
        let mut seen_overflow = false;
        for (i, line) in lines.iter().enumerate() {
            let key_ok = !line.key.is_empty()
                && line.key.len() <= 64
                && line.key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !key_ok {
                return Err(PlanError::BadKey(line.key.clone()));
            }
            if line.titles.is_empty() {
                return Err(PlanError::EmptyTitle(line.key.clone()));
            }
            if lines[..i].iter().any(|l| l.key == line.key) {
                return Err(PlanError::DuplicateKey(line.key.clone()));
            }
            match line.target {
                Some(target) if target.currency != goal.currency => {
                    return Err(PlanError::OtherCurrency { key: line.key.clone(), target, goal })
                }
                Some(target) if !target.is_positive() => {
                    return Err(PlanError::BadTarget { key: line.key.clone(), target })
                }
                None if line.tier == Tier::Goal => return Err(PlanError::UncappedGoalLine(line.key.clone())),
                None if i + 1 != lines.len() => return Err(PlanError::UncappedNotLast(line.key.clone())),
                _ => {}
            }
            match line.tier {
                Tier::Overflow => seen_overflow = true,
                Tier::Goal if seen_overflow => return Err(PlanError::GoalAfterOverflow(line.key.clone())),
                Tier::Goal => {}
            }
        }
        let goal_lines: Vec<&BudgetLine> = lines.iter().filter(|l| l.tier == Tier::Goal).collect();
        let sum = goal_lines
            .iter()
            .try_fold(0i64, |acc, l| acc.checked_add(l.target.map_or(0, |t| t.minor)))
            .unwrap_or(i64::MAX);
        let sum = Money::new(sum, goal.currency);
        if sum != goal {
            let names: Vec<&str> = goal_lines.iter().map(|l| l.key.as_str()).collect();
            let lines = if names.is_empty() { "(none)".to_string() } else { names.join(" + ") };
            return Err(PlanError::GoalMismatch { lines, sum, goal });
        }
        Ok(FundingPlan { goal, lines })
    }

    /// The goal: the sum of the goal lines.
    pub fn goal(&self) -> Money {
        self.goal
    }

    /// The currency of every amount of the plan.
    pub fn currency(&self) -> crate::money::Currency {
        self.goal.currency
    }

    /// The lines, in the order money fills them.
    pub fn lines(&self) -> &[BudgetLine] {
        &self.lines
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn line(key: &str, tier: Tier, target: Option<i64>) -> BudgetLine {
        BudgetLine {
            key: key.into(),
            titles: Texts::one(demeu_db::locale::Locale::En, format!("{key} title")),
            tier,
            target: target.map(kzt),
        }
    }

    pub(crate) const fn kzt(minor: i64) -> Money {
        Money::new(minor, crate::money::Currency::Kzt)
    }

    /// The Mentors plan as domain.md ships it.
    pub(crate) fn mentors() -> FundingPlan {
        FundingPlan::new(
            kzt(52_500_000),
            vec![
                line("summer-school", Tier::Goal, Some(22_500_000)),
                line("psychologists", Tier::Goal, Some(30_000_000)),
                line("autumn-school", Tier::Overflow, Some(22_500_000)),
                line("textbooks", Tier::Overflow, None),
            ],
        )
        .expect("the shipped plan is valid")
    }

    #[test]
    fn the_mentors_plan_is_valid() {
        assert_eq!(mentors().goal(), kzt(52_500_000));
        assert_eq!(mentors().lines().len(), 4);
    }

    #[test]
    fn goal_lines_must_add_up() {
        let err = FundingPlan::new(
            kzt(52_500_000),
            vec![
                line("summer-school", Tier::Goal, Some(22_500_000)),
                line("psychologists", Tier::Goal, Some(29_000_000)),
            ],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "goal lines summer-school + psychologists add up to 51500000 but the goal is 52500000"
        );
    }

    #[test]
    fn every_amount_of_a_plan_is_in_its_goals_currency() {
        let dollars =
            BudgetLine { target: Some(Money::new(100, crate::money::Currency::Usd)), ..line("a", Tier::Goal, None) };
        assert!(matches!(FundingPlan::new(kzt(100), vec![dollars]), Err(PlanError::OtherCurrency { .. })));
    }

    #[test]
    fn refusals_name_the_line() {
        assert_eq!(FundingPlan::new(kzt(1), vec![]), Err(PlanError::Empty));
        assert_eq!(
            FundingPlan::new(kzt(100), vec![line("a", Tier::Goal, Some(-5))]),
            Err(PlanError::BadTarget { key: "a".into(), target: kzt(-5) })
        );
        assert_eq!(
            FundingPlan::new(
                kzt(100),
                vec![
                    line("a", Tier::Goal, Some(100)),
                    line("b", Tier::Overflow, None),
                    line("c", Tier::Overflow, Some(5))
                ]
            ),
            Err(PlanError::UncappedNotLast("b".into()))
        );
        assert_eq!(
            FundingPlan::new(kzt(100), vec![line("a", Tier::Overflow, Some(5)), line("b", Tier::Goal, Some(100))]),
            Err(PlanError::GoalAfterOverflow("b".into()))
        );
        assert_eq!(
            FundingPlan::new(kzt(100), vec![line("a", Tier::Goal, Some(50)), line("a", Tier::Goal, Some(50))]),
            Err(PlanError::DuplicateKey("a".into()))
        );
        assert_eq!(
            FundingPlan::new(kzt(100), vec![line("Bad Key", Tier::Goal, Some(100))]),
            Err(PlanError::BadKey("Bad Key".into()))
        );
        assert_eq!(FundingPlan::new(kzt(0), vec![line("a", Tier::Goal, Some(1))]), Err(PlanError::BadGoal(kzt(0))));
    }
}

//! Money and dates as the site shows them: `525 000 ₸`, and dates in Almaty's time.

use chrono::{DateTime, Datelike, FixedOffset, Offset, TimeZone, Utc};
use donations::money::{Currency, Money};

use crate::i18n::{Lang, Tr};

/// Digits grouped by three with a space: `525 000`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// An amount as people read it: whole units grouped, the minor part only when there is one
/// (a comma in kk and ru, a point in en), the currency's sign after (`₸`) or its code.
pub fn money(lang: Lang, amount: Money) -> String {
    let minor = amount.minor.unsigned_abs();
    let sign = if amount.minor < 0 { "−" } else { "" };
    let whole = grouped(minor / 100);
    let cents = minor % 100;
    let number = if cents == 0 {
        whole
    } else {
        let separator = if lang == Lang::En { '.' } else { ',' };
        format!("{whole}{separator}{cents:02}")
    };
    format!("{sign}{number} {}", unit(amount.currency))
}

/// How the pages write a currency after an amount and in a field's label: `₸`, else its code.
pub fn unit(currency: Currency) -> &'static str {
    match currency {
        Currency::Kzt => "₸",
        other => other.code(),
    }
}

/// Almaty's offset from UTC at `at`: Kazakhstan moved Almaty from UTC+6 to UTC+5 on
/// 1 March 2024 at 00:00 local time, with no daylight saving since 2005. Two rules, kept here
/// rather than a time zone database that would weigh more than the site.
pub fn almaty_offset(at: DateTime<Utc>) -> FixedOffset {
    let change = Utc.with_ymd_and_hms(2024, 2, 29, 18, 0, 0).single();
    let hours = if change.is_some_and(|c| at < c) { 6 } else { 5 };
    FixedOffset::east_opt(hours * 3600).unwrap_or_else(|| Utc.fix())
}

/// When `day` begins in Almaty, as a UTC time (what the database stores).
pub fn almaty_midnight_utc(day: chrono::NaiveDate) -> chrono::NaiveDateTime {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    // The offset of that moment: take it at the UTC time six hours earlier, then correct.
    let guess = midnight.and_utc() - chrono::Duration::hours(5);
    let offset = almaty_offset(guess);
    midnight - chrono::Duration::seconds(i64::from(offset.local_minus_utc()))
}

/// When the Almaty day holding `now` began, as a UTC time: where "today" starts.
pub fn almaty_day_start(now: DateTime<Utc>) -> chrono::NaiveDateTime {
    almaty_midnight_utc(now.with_timezone(&almaty_offset(now)).date_naive())
}

/// When the Almaty month holding `now` began (its first day's midnight), as a UTC time: where
/// "this month" starts.
pub fn almaty_month_start(now: DateTime<Utc>) -> chrono::NaiveDateTime {
    let today = now.with_timezone(&almaty_offset(now)).date_naive();
    almaty_midnight_utc(today.with_day(1).unwrap_or(today))
}

/// A date in Almaty, written the language's way: `28 November 2026`, `28 ноября 2026`,
/// `2026 жылғы 28 қараша`.
pub fn date(tr: &Tr, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&almaty_offset(at));
    let month = tr.t(&format!("month-{}", local.month()));
    tr.t_with(
        "date",
        &[("day", i64::from(local.day()).into()), ("month", month.into()), ("year", i64::from(local.year()).into())],
    )
}

/// `raised` as a percentage of `goal` with one decimal at most, never rounded up to 100 before
/// the goal is met: a page that says 100% while tenge are still missing would not be honest.
/// Amounts of two currencies make no percentage ("0").
pub fn percent(lang: Lang, raised: Money, goal: Money) -> String {
    let tenths = if !goal.is_positive() || raised.currency != goal.currency {
        0
    } else {
        (i128::from(raised.minor.max(0)) * 1000 / i128::from(goal.minor)) as i64
    };
    let number = if tenths % 10 == 0 {
        (tenths / 10).to_string()
    } else {
        let comma = if lang == Lang::En { "." } else { "," };
        format!("{}{comma}{}", tenths / 10, tenths % 10)
    };
    // Russian and Kazakh write a (no-break) space before the sign; English none.
    if lang == Lang::En {
        format!("{number}%")
    } else {
        format!("{number}\u{a0}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn money_is_grouped_with_the_tenge_sign() {
        assert_eq!(money(Lang::Ru, Money::new(52_500_000, Currency::Kzt)), "525 000 ₸");
        assert_eq!(money(Lang::En, Money::new(50_000, Currency::Kzt)), "500 ₸");
        assert_eq!(money(Lang::Kk, Money::new(123_456_789, Currency::Kzt)), "1 234 567,89 ₸");
        assert_eq!(money(Lang::En, Money::new(123_456_789, Currency::Kzt)), "1 234 567.89 ₸");
        assert_eq!(money(Lang::En, Money::new(5, Currency::Usd)), "0.05 USD");
        assert_eq!(money(Lang::En, Money::new(i64::MIN, Currency::Kzt)), "−92 233 720 368 547 758.08 ₸");
    }

    #[test]
    fn dates_are_almaty_dates_in_each_language() {
        // 20:00 UTC on 28 November is already the 29th in Almaty (UTC+5).
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 20, 0, 0).single().expect("a time");
        assert_eq!(date(&Tr::new(Lang::En), at), "29 November 2026");
        assert_eq!(date(&Tr::new(Lang::Ru), at), "29 ноября 2026");
        assert_eq!(date(&Tr::new(Lang::Kk), at), "2026 жылғы 29 қараша");
        // Before March 2024 Almaty was UTC+6: 18:30 UTC was already the next day.
        let before = Utc.with_ymd_and_hms(2024, 1, 10, 18, 30, 0).single().expect("a time");
        assert_eq!(date(&Tr::new(Lang::En), before), "11 January 2024");
    }

    #[test]
    fn an_almaty_day_begins_at_its_own_midnight() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).expect("a day");
        assert_eq!(almaty_midnight_utc(day).to_string(), "2026-11-27 19:00:00");
        let before = chrono::NaiveDate::from_ymd_opt(2024, 1, 10).expect("a day");
        assert_eq!(almaty_midnight_utc(before).to_string(), "2024-01-09 18:00:00");
    }

    #[test]
    fn today_and_this_month_begin_at_almaty_midnight() {
        // 20:00 UTC on 30 November is 1 December in Almaty: a new day and a new month.
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 20, 0, 0).single().expect("a time");
        assert_eq!(almaty_day_start(at).to_string(), "2026-11-30 19:00:00");
        assert_eq!(almaty_month_start(at).to_string(), "2026-11-30 19:00:00");
        // 18:59 UTC is still 30 November there.
        let before = Utc.with_ymd_and_hms(2026, 11, 30, 18, 59, 0).single().expect("a time");
        assert_eq!(almaty_day_start(before).to_string(), "2026-11-29 19:00:00");
        assert_eq!(almaty_month_start(before).to_string(), "2026-10-31 19:00:00");
    }

    fn kzt(minor: i64) -> Money {
        Money::new(minor, Currency::Kzt)
    }

    #[test]
    fn percent_never_rounds_up_to_the_goal() {
        let en = |r, g| percent(Lang::En, kzt(r), kzt(g));
        assert_eq!(en(0, 52_500_000), "0%");
        assert_eq!(en(1_250_000, 52_500_000), "2.3%");
        assert_eq!(en(52_499_999, 52_500_000), "99.9%");
        assert_eq!(en(52_500_000, 52_500_000), "100%");
        assert_eq!(en(105_000_000, 52_500_000), "200%");
    }

    #[test]
    fn percent_is_written_each_languages_way() {
        assert_eq!(percent(Lang::Ru, kzt(9_922_500), kzt(52_500_000)), "18,9\u{a0}%");
        assert_eq!(percent(Lang::Kk, kzt(9_922_500), kzt(52_500_000)), "18,9\u{a0}%");
        assert_eq!(percent(Lang::En, kzt(9_922_500), kzt(52_500_000)), "18.9%");
        assert_eq!(percent(Lang::Ru, kzt(0), kzt(0)), "0\u{a0}%");
    }

    proptest! {
        #[test]
        fn grouping_keeps_the_digits(n in any::<u64>()) {
            let text = grouped(n);
            prop_assert_eq!(text.replace(' ', ""), n.to_string());
            prop_assert!(text.split(' ').skip(1).all(|g| g.len() == 3));
        }

        #[test]
        fn percent_is_at_most_the_truth(raised in 0i64..i64::MAX / 2, goal in 1i64..i64::MAX / 2) {
            let shown: f64 = percent(Lang::En, kzt(raised), kzt(goal)).trim_end_matches('%').parse().expect("a number");
            prop_assert!(shown <= raised as f64 * 100.0 / goal as f64 + 1e-6);
        }
    }
}

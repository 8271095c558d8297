//! Amounts of money: integer counts of a currency's minor unit, never floats.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

demeu_db::stored_enum! {
    /// The currencies a campaign may be held in, by ISO 4217 code. Each has a minor unit of 1/100.
    pub enum Currency("currency") {
        /// Kazakhstani tenge; the minor unit is the tiyn.
        Kzt = "KZT",
        /// US dollar.
        Usd = "USD",
        /// Euro.
        Eur = "EUR",
    }
}

impl Currency {
    /// The ISO 4217 code, as stored and shown.
    pub fn code(self) -> &'static str {
        self.as_str()
    }

    /// A provider's code in any case (Stripe writes `kzt`).
    pub fn from_code(code: &str) -> Result<Self, demeu_db::stored::UnknownValue> {
        code.to_ascii_uppercase().parse()
    }

    /// The symbol put after an amount in mail and messages.
    pub fn symbol(self) -> &'static str {
        match self {
            Currency::Kzt => "₸",
            Currency::Usd => "$",
            Currency::Eur => "€",
        }
    }
}

/// Why an amount could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    /// Two currencies met in one sum.
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    /// The result does not fit in 64 bits.
    #[error("amount out of range")]
    Overflow,
    /// Not an amount in major units (digits, then at most two decimals).
    #[error("`{0}` is not an amount with at most two decimals")]
    NotADecimal(String),
}

/// An amount in minor units of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Count of minor units (tiyn for KZT); negative only for a ledger correction or refund.
    pub minor: i64,
    /// The currency the count is in.
    pub currency: Currency,
}

/// An amount as a provider stated it, before it is matched to a pledge: its count of minor
/// units and its currency code as written (Stripe's `kzt`), or no code where the notification
/// names none (a TipTop Pay refund is in its payment's currency). It becomes [`Money`] only in a
/// pledge's currency ([`Stated::in_currency`]): a provider's word is not yet our money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stated {
    /// Count of minor units, as written.
    pub minor: i64,
    /// The currency code, as written.
    pub currency: Option<String>,
}

impl Stated {
    /// `minor` units of the currency whose code is `currency`.
    pub fn new(minor: i64, currency: impl Into<String>) -> Self {
        Stated { minor, currency: Some(currency.into()) }
    }

    /// `minor` units of whatever the payment it concerns was in.
    pub fn in_payments_currency(minor: i64) -> Self {
        Stated { minor, currency: None }
    }

    /// The amount in `currency`, if that is the currency stated (or none was stated).
    pub fn in_currency(&self, currency: Currency) -> Option<Money> {
        let same = self.currency.as_deref().is_none_or(|code| Currency::from_code(code).ok() == Some(currency));
        same.then_some(Money::new(self.minor, currency))
    }

    /// The currency code as stated, for a message.
    pub fn code(&self) -> &str {
        self.currency.as_deref().unwrap_or("(none)")
    }
}

/// The refusal of an amount outside `min..=max` (field `amount`): said in money as people write
/// it (`500 ₸`), never in minor units, which no person reads; with its message id for the
/// reader's language. The one wording of the give form's, the refund's and the offline gift's.
pub fn amount_out_of_range(min: Money, max: Money) -> crate::FieldError {
    let (min, max) = (min.to_string(), max.to_string());
    crate::FieldError::new("amount", format!("must be between {min} and {max}"))
        .translated("error-amount-between", vec![("min", min), ("max", max)])
}

impl Money {
    /// An amount of `minor` units.
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    /// Nothing, in `currency`.
    pub const fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    /// `self + other`, refusing mixed currencies and overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_add(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// `self - other`, refusing mixed currencies and overflow.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// The amount in major units with exactly two decimals (`500000` tiyn is `5000.00`), for
    /// providers whose API counts whole tenge. Built from the integer, never through a float.
    pub fn to_major_decimal(self) -> String {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    /// Reads an amount a provider wrote in major units: digits, then optionally a point and
    /// one or two digits (`5000`, `5000.5`, `5000.00`). No sign, exponent or grouping: what a
    /// provider writes for a payment, read exactly, never through a float.
    pub fn from_major_decimal(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let refused = || MoneyError::NotADecimal(text.chars().take(40).collect());
        let (units, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(units) || (text.contains('.') && !digits(fraction)) || fraction.len() > 2 {
            return Err(refused());
        }
        let units: i64 = units.parse().map_err(|_| MoneyError::Overflow)?;
        let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| refused())?;
        let minor = units.checked_mul(100).and_then(|m| m.checked_add(cents)).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, currency))
    }

    /// Reads an amount as a person types it in major units: groups apart by spaces (any, a
    /// no-break one too), the currency's sign anywhere, a comma or a point before the tiyn
    /// (`125 000`, `125 000,50 ₸`, `125000.5`); then exactly as [`Money::from_major_decimal`].
    /// `None` for nothing typed. The one reading of the console's and the expense form's amounts.
    pub fn from_typed(text: &str, currency: Currency) -> Result<Option<Money>, MoneyError> {
        let sign = currency.symbol();
        let typed: String = text.replace(sign, "").chars().filter(|c| !c.is_whitespace()).collect();
        if typed.is_empty() {
            return Ok(None);
        }
        Money::from_major_decimal(&typed.replace(',', "."), currency).map(Some)
    }

    /// `-self`, refusing overflow (`i64::MIN` has no opposite).
    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        Ok(Money::new(self.minor.checked_neg().ok_or(MoneyError::Overflow)?, self.currency))
    }

    /// More than nothing.
    pub const fn is_positive(self) -> bool {
        self.minor > 0
    }

    /// Less than nothing (a refund's or a dispute's entry).
    pub const fn is_negative(self) -> bool {
        self.minor < 0
    }

    /// Nothing.
    pub const fn is_zero(self) -> bool {
        self.minor == 0
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

/// Amounts of one currency compare by their count; amounts of two currencies do not compare at
/// all (`partial_cmp` is `None`, so `<`, `>`, `<=` and `>=` are all false), as there is no rate
/// between them here.
impl PartialOrd for Money {
    fn partial_cmp(&self, other: &Money) -> Option<std::cmp::Ordering> {
        (self.currency == other.currency).then(|| self.minor.cmp(&other.minor))
    }
}

/// Shows whole units with thin grouping, as people in Kazakhstan write it: `525 000.50 ₸`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let (units, cents) = (abs / 100, abs % 100);
        let digits = units.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(' ');
            }
            grouped.push(c);
        }
        if cents == 0 {
            write!(f, "{sign}{grouped} {}", self.currency.symbol())
        } else {
            write!(f, "{sign}{grouped}.{cents:02} {}", self.currency.symbol())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mixed_currencies_are_an_error_not_a_panic() {
        let a = Money::new(100, Currency::Kzt);
        let b = Money::new(100, Currency::Usd);
        assert_eq!(a.checked_add(b), Err(MoneyError::CurrencyMismatch(Currency::Kzt, Currency::Usd)));
    }

    #[test]
    fn amounts_of_two_currencies_do_not_compare() {
        let (tenge, dollars) = (Money::new(100, Currency::Kzt), Money::new(100, Currency::Usd));
        assert_eq!(tenge.partial_cmp(&dollars), None);
        assert_eq!([tenge < dollars, tenge > dollars, tenge <= dollars, tenge >= dollars], [false; 4]);
        assert!(Money::new(99, Currency::Kzt) < tenge);
        assert_eq!(tenge.checked_neg().map(|m| m.minor), Ok(-100));
        assert_eq!(Money::new(i64::MIN, Currency::Kzt).checked_neg(), Err(MoneyError::Overflow));
    }

    #[test]
    fn overflow_is_reported() {
        let a = Money::new(i64::MAX, Currency::Kzt);
        assert_eq!(a.checked_add(Money::new(1, Currency::Kzt)), Err(MoneyError::Overflow));
        assert_eq!(
            Money::new(i64::MIN, Currency::Kzt).checked_sub(Money::new(1, Currency::Kzt)),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn display_groups_thousands() {
        assert_eq!(Money::new(52_500_000, Currency::Kzt).to_string(), "525 000 ₸");
        assert_eq!(Money::new(50_050, Currency::Kzt).to_string(), "500.50 ₸");
        assert_eq!(Money::new(-100, Currency::Kzt).to_string(), "-1 ₸");
    }

    #[test]
    fn currency_codes_round_trip() {
        for c in [Currency::Kzt, Currency::Usd, Currency::Eur] {
            assert_eq!(c.code().parse::<Currency>(), Ok(c));
        }
        assert!("XXX".parse::<Currency>().is_err());
    }

    #[test]
    fn major_decimals_are_read_exactly_or_refused() {
        let read = |t: &str| Money::from_major_decimal(t, Currency::Kzt).map(|m| m.minor);
        assert_eq!(read("5000.00"), Ok(500_000));
        assert_eq!(read("5000"), Ok(500_000));
        assert_eq!(read("5000.5"), Ok(500_050));
        assert_eq!(read("0.01"), Ok(1));
        assert_eq!(read("92233720368547758.07"), Ok(i64::MAX));
        assert_eq!(read("92233720368547758.08"), Err(MoneyError::Overflow));
        for bad in ["", ".5", "5.", "5.001", "-5", "+5", "5e3", "5 000", "5,00", "0x10", "5.0.0", " 5"] {
            assert!(matches!(read(bad), Err(MoneyError::NotADecimal(_))), "{bad:?} refused");
        }
        assert_eq!(Money::new(500_000, Currency::Kzt).to_major_decimal(), "5000.00");
        assert_eq!(Money::new(7, Currency::Kzt).to_major_decimal(), "0.07");
    }

    proptest! {
        #[test]
        fn major_decimals_round_trip(minor in 0i64..=i64::MAX) {
            let money = Money::new(minor, Currency::Kzt);
            prop_assert_eq!(Money::from_major_decimal(&money.to_major_decimal(), Currency::Kzt), Ok(money));
        }

        #[test]
        fn add_then_sub_is_identity(a in -1_000_000_000_000i64..1_000_000_000_000, b in -1_000_000_000_000i64..1_000_000_000_000) {
            let (a, b) = (Money::new(a, Currency::Kzt), Money::new(b, Currency::Kzt));
            prop_assert_eq!(a.checked_add(b).and_then(|s| s.checked_sub(b)), Ok(a));
        }
    }
}

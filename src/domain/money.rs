//! `Money`: an exact amount with two decimal places, as NUMERIC(10,2) stores it.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// The largest magnitude NUMERIC(10,2) holds: 99,999,999.99.
// 9_999_999_999 cents = 2 * 2^32 + 1_410_065_407.
const MAX_ABS: Decimal = Decimal::from_parts(1_410_065_407, 2, 0, false, 2);

/// An exact amount of money with exactly two decimal places.
///
/// Construction rounds half away from zero (as PostgreSQL's NUMERIC does) and
/// refuses anything that would not fit a NUMERIC(10,2) column, so a value that
/// exists in Rust is always one the database stores unchanged.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Money(Decimal);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("enter an amount such as 1250 or 1250.50")]
    NotANumber,
    #[error("amounts must be below 100,000,000.00")]
    TooLarge,
}

impl Money {
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));

    /// Rounds to cents (half away from zero) and checks the NUMERIC(10,2) range.
    pub fn new(amount: Decimal) -> Result<Self, MoneyError> {
        let mut rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        rounded.rescale(2);
        if rounded.abs() > MAX_ABS {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money(rounded))
    }

    /// Whole cents, for building amounts in code and tests without float noise.
    pub fn from_cents(cents: i64) -> Result<Self, MoneyError> {
        Self::new(Decimal::new(cents, 2))
    }

    /// Parses what a person types into an amount field: `1250`, `1,250.50`,
    /// `$1250`, ` 99.9 `. Exponents, several dots and stray letters are refused.
    pub fn parse(input: &str) -> Result<Self, MoneyError> {
        let trimmed = input.trim();
        let unsigned = trimmed.strip_prefix('-').unwrap_or(trimmed);
        let negative = unsigned.len() != trimmed.len();
        let digits: String = unsigned
            .trim_start_matches('$')
            .trim()
            .chars()
            .filter(|c| *c != ',' && *c != '_')
            .collect();
        let well_formed = !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
            && digits.chars().filter(|c| *c == '.').count() <= 1
            && digits.chars().any(|c| c.is_ascii_digit());
        if !well_formed {
            return Err(MoneyError::NotANumber);
        }
        // Only what can change the amount reaches Decimal: the whole part without
        // its leading zeros (longer than any NUMERIC(10,2) value is refused before
        // Decimal overflows) and three decimals, all that rounding half away from
        // zero to cents looks at. Decimal's parser recurses once per digit, so a
        // field of thousands of zeros would otherwise overflow the stack.
        let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
        let whole = whole.trim_start_matches('0');
        if whole.len() > 8 {
            return Err(MoneyError::TooLarge);
        }
        let fraction = &fraction[..fraction.len().min(3)];
        let amount = Decimal::from_str(&format!(
            "{}.{fraction}",
            if whole.is_empty() { "0" } else { whole }
        ))
        .map_err(|_| MoneyError::NotANumber)?;
        Self::new(if negative { -amount } else { amount })
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// `self + other`, or `None` when the sum leaves the NUMERIC(10,2) range.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        Money::new(self.0 + other.0).ok()
    }

    /// `self - other`, or `None` when the difference leaves the range.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        Money::new(self.0 - other.0).ok()
    }

    /// Sums amounts that may exceed a single column's range (e.g. a pipeline total).
    pub fn total<'a>(amounts: impl IntoIterator<Item = &'a Money>) -> Decimal {
        amounts.into_iter().map(|m| m.0).sum()
    }

    /// `12,345.60`: thousands separated, always two decimals.
    pub fn grouped(self) -> String {
        group_thousands(self.0)
    }
}

/// Formats any decimal amount as `-1,234,567.80`.
pub fn group_thousands(amount: Decimal) -> String {
    let mut rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    let text = rounded.abs().to_string();
    let (whole, cents) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::with_capacity(text.len() + whole.len() / 3 + 1);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}{grouped}.{cents}")
}

/// How a workspace writes money: its currency (ISO 4217; no conversion between
/// currencies ever happens) and its number style. CSV keeps plain numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct MoneyFormat {
    pub currency: Currency,
    pub style: NumberStyle,
}

/// The currencies a workspace can keep its books in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Currency {
    #[default]
    EUR,
    USD,
    GBP,
    CHF,
    SEK,
    NOK,
    DKK,
    PLN,
    CZK,
    CAD,
    AUD,
    JPY,
}

impl Currency {
    pub const ALL: [Currency; 12] = [
        Currency::EUR,
        Currency::USD,
        Currency::GBP,
        Currency::CHF,
        Currency::SEK,
        Currency::NOK,
        Currency::DKK,
        Currency::PLN,
        Currency::CZK,
        Currency::CAD,
        Currency::AUD,
        Currency::JPY,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Currency::EUR => "EUR",
            Currency::USD => "USD",
            Currency::GBP => "GBP",
            Currency::CHF => "CHF",
            Currency::SEK => "SEK",
            Currency::NOK => "NOK",
            Currency::DKK => "DKK",
            Currency::PLN => "PLN",
            Currency::CZK => "CZK",
            Currency::CAD => "CAD",
            Currency::AUD => "AUD",
            Currency::JPY => "JPY",
        }
    }

    pub fn parse(code: &str) -> Option<Currency> {
        Currency::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The sign a person expects ("€"), or the code where signs are shared.
    pub fn symbol(self) -> &'static str {
        match self {
            Currency::EUR => "€",
            Currency::USD => "$",
            Currency::GBP => "£",
            Currency::JPY => "¥",
            Currency::CAD => "CA$",
            Currency::AUD => "A$",
            Currency::CHF => "CHF",
            Currency::SEK | Currency::NOK | Currency::DKK => "kr",
            Currency::PLN => "zł",
            Currency::CZK => "Kč",
        }
    }

    fn decimals(self) -> u32 {
        if self == Currency::JPY { 0 } else { 2 }
    }
}

/// `1,234.56` or `1.234,56`, with the sign before or after the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NumberStyle {
    /// `€12,050.00`: English and most of the world.
    #[default]
    Point,
    /// `12.050,00 €`: German, French (with a dot here), Spanish, Nordic …
    Comma,
}

impl NumberStyle {
    pub fn as_str(self) -> &'static str {
        match self {
            NumberStyle::Point => "point",
            NumberStyle::Comma => "comma",
        }
    }

    pub fn parse(text: &str) -> Option<NumberStyle> {
        match text {
            "point" => Some(NumberStyle::Point),
            "comma" => Some(NumberStyle::Comma),
            _ => None,
        }
    }
}

impl MoneyFormat {
    /// `€12,050.00` / `12.050,00 €` (a minus sign first for a negative amount).
    pub fn show(&self, amount: Decimal) -> String {
        let decimals = self.currency.decimals();
        let mut rounded =
            amount.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
        rounded.rescale(decimals);
        let plain = group_thousands(rounded.abs());
        let (whole, cents) = plain.split_once('.').unwrap_or((&plain, ""));
        let (group, point) = match self.style {
            NumberStyle::Point => (",", "."),
            NumberStyle::Comma => (".", ","),
        };
        let whole = whole.replace(',', group);
        let number = if decimals == 0 {
            whole
        } else {
            format!("{whole}{point}{cents}")
        };
        let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
            "-"
        } else {
            ""
        };
        let symbol = self.currency.symbol();
        match self.style {
            NumberStyle::Point if symbol.chars().all(|c| !c.is_ascii_alphabetic()) => {
                format!("{sign}{symbol}{number}")
            }
            NumberStyle::Point => format!("{sign}{symbol} {number}"),
            NumberStyle::Comma => format!("{sign}{number}\u{a0}{symbol}"),
        }
    }

    pub fn money(&self, amount: Money) -> String {
        self.show(amount.0)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

impl TryFrom<Decimal> for Money {
    type Error = MoneyError;
    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        Money::new(value)
    }
}

impl From<Money> for Decimal {
    fn from(value: Money) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_in_the_workspace_currency_and_style() {
        let amount = Decimal::new(1_205_000, 2);
        let euro = MoneyFormat::default();
        assert_eq!(euro.show(amount), "€12,050.00");
        let german = MoneyFormat {
            style: NumberStyle::Comma,
            ..euro
        };
        assert_eq!(german.show(amount), "12.050,00\u{a0}€");
        assert_eq!(german.show(-amount), "-12.050,00\u{a0}€");
        let swiss = MoneyFormat {
            currency: Currency::CHF,
            style: NumberStyle::Point,
        };
        assert_eq!(swiss.show(Decimal::new(99, 1)), "CHF 9.90");
        let yen = MoneyFormat {
            currency: Currency::JPY,
            style: NumberStyle::Point,
        };
        assert_eq!(yen.show(Decimal::new(1_234_567, 0)), "¥1,234,567");
    }

    fn money(s: &str) -> String {
        Money::parse(s)
            .map(|m| m.to_string())
            .unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(money("1250"), "1250.00");
        assert_eq!(money(" 1,250.5 "), "1250.50");
        assert_eq!(money("$99.99"), "99.99");
        assert_eq!(money("0.10"), "0.10");
        assert_eq!(money("-42.05"), "-42.05");
        assert_eq!(money("12345678.91"), "12345678.91");
        assert_eq!(money("99999999.99"), "99999999.99");
    }

    #[test]
    fn rounds_half_away_from_zero_like_postgres() {
        assert_eq!(money("10.005"), "10.01");
        assert_eq!(money("-10.005"), "-10.01");
        assert_eq!(money("10.004"), "10.00");
    }

    #[test]
    fn refuses_bad_input() {
        for bad in [
            "", "   ", "abc", "1e5", "1.2.3", "12a", "$", ".", "--5", "1 000",
        ] {
            assert_eq!(Money::parse(bad), Err(MoneyError::NotANumber), "{bad:?}");
        }
    }

    #[test]
    fn thousands_of_digits_neither_overflow_nor_change_the_rounding() {
        let zeros = "0".repeat(100_000);
        assert_eq!(money(&format!("{zeros}12.5")), "12.50");
        assert_eq!(money(&format!("7.{zeros}")), "7.00");
        assert_eq!(money(&format!("7.004{}9", "9".repeat(100_000))), "7.00");
        assert_eq!(money(&format!("7.005{zeros}")), "7.01");
        assert_eq!(
            money(&format!("1{zeros}")),
            "error: amounts must be below 100,000,000.00"
        );
        assert_eq!(money("0.5"), "0.50");
        assert_eq!(money(".5"), "0.50");
        assert_eq!(money("5."), "5.00");
    }

    #[test]
    fn refuses_amounts_the_column_cannot_hold() {
        assert_eq!(Money::parse("100000000"), Err(MoneyError::TooLarge));
        assert_eq!(Money::parse("99999999.995"), Err(MoneyError::TooLarge));
        assert_eq!(
            Money::parse("123456789012345678901234567890"),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn the_largest_amount_is_exactly_the_column_maximum() {
        assert_eq!(MAX_ABS.to_string(), "99999999.99");
    }

    #[test]
    fn groups_thousands_for_display() {
        assert_eq!(Money::parse("1234567.8").unwrap().grouped(), "1,234,567.80");
        assert_eq!(Money::parse("-1234.5").unwrap().grouped(), "-1,234.50");
        assert_eq!(Money::parse("999").unwrap().grouped(), "999.00");
        assert_eq!(Money::ZERO.grouped(), "0.00");
    }

    #[test]
    fn arithmetic_stays_in_range() {
        let big = Money::parse("99999999.99").unwrap();
        assert_eq!(big.checked_add(Money::from_cents(1).unwrap()), None);
        assert_eq!(
            Money::from_cents(1000)
                .unwrap()
                .checked_sub(Money::from_cents(1).unwrap()),
            Some(Money::parse("9.99").unwrap())
        );
    }

    #[test]
    fn serde_refuses_out_of_range_values() {
        assert!(serde_json::from_str::<Money>("\"100000000\"").is_err());
        assert_eq!(
            serde_json::from_str::<Money>("\"0.1\"")
                .unwrap()
                .to_string(),
            "0.10"
        );
    }
}

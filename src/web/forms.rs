//! The parsers every form shares: raw strings in, a valid value or the message shown
//! next to the field out.

use chrono::NaiveDate;

use crate::domain::text::{code_point, stray_control};
use crate::domain::{BadId, Money, TimeOfDay};

/// Keeps a field's parsed value, or puts its message where the form shows it.
pub fn check<T>(slot: &mut Option<String>, parsed: Result<T, String>) -> Option<T> {
    parsed.map_err(|message| *slot = Some(message)).ok()
}

/// One line of text, trimmed, at most `max` characters; empty is `None`.
pub fn text(raw: &str, field: &str, max: usize) -> Result<Option<String>, String> {
    free_text(raw, field, max, false)
}

/// Text that may span lines (notes, descriptions): as `text`, with tabs and line
/// breaks allowed.
pub fn multiline(raw: &str, field: &str, max: usize) -> Result<Option<String>, String> {
    free_text(raw, field, max, true)
}

fn free_text(raw: &str, field: &str, max: usize, lines: bool) -> Result<Option<String>, String> {
    let value = raw.trim();
    if let Some(c) = stray_control(value, lines) {
        return Err(format!(
            "{field} cannot contain control characters (it holds {})",
            code_point(c)
        ));
    }
    if value.chars().count() > max {
        return Err(format!("{field} can be at most {max} characters"));
    }
    Ok((!value.is_empty()).then(|| value.to_string()))
}

pub fn required(raw: &str, field: &str, max: usize) -> Result<String, String> {
    text(raw, field, max)?.ok_or_else(|| format!("{field} is required"))
}

/// A calendar date as YYYY-MM-DD, between the years 1900 and 2199: dates the
/// plan can hold, far from the calendar's limits (where date arithmetic overflows).
pub fn date(raw: &str) -> Result<Option<NaiveDate>, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| "enter a date as YYYY-MM-DD".to_string())?;
    if !(1900..=2199).contains(&chrono::Datelike::year(&day)) {
        return Err("enter a date between the years 1900 and 2199".into());
    }
    Ok(Some(day))
}

pub fn time(raw: &str) -> Result<Option<TimeOfDay>, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    TimeOfDay::parse(value).map(Some).map_err(|e| e.to_string())
}

/// A link that will be rendered as an `href`: http(s) only, so no `javascript:` URL
/// can hide in one.
pub fn web_url(raw: &str) -> Result<Option<String>, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let lower = value.to_ascii_lowercase();
    let valid = (lower.starts_with("https://") || lower.starts_with("http://"))
        && value.len() <= 500
        && value.len() > "https://".len()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
    if valid {
        Ok(Some(value.to_string()))
    } else {
        Err(format!("{value:?} is not a web address (https://…)"))
    }
}

/// An optional amount of money, zero or more.
pub fn amount(raw: &str) -> Result<Option<Money>, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    match Money::parse(raw) {
        Ok(m) if m.is_negative() => Err("enter an amount of zero or more".into()),
        Ok(m) => Ok(Some(m)),
        Err(e) => Err(e.to_string()),
    }
}

/// An optional whole number of hours, from 1 to `max`.
pub fn hours(raw: &str, max: i32) -> Result<Option<i32>, String> {
    match raw.trim() {
        "" => Ok(None),
        raw => raw
            .parse::<i32>()
            .ok()
            .filter(|h| (1..=max).contains(h))
            .map(Some)
            .ok_or_else(|| format!("enter whole hours from 1 to {max}")),
    }
}

pub fn id<T>(raw: &str, parse: fn(&str) -> Result<T, BadId>) -> Result<Option<T>, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    parse(value).map(Some).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_with_a_nul_byte_is_refused_naming_the_field() {
        assert_eq!(
            text("Nul\0Title", "Title", 200),
            Err("Title cannot contain control characters (it holds U+0000)".into())
        );
        assert_eq!(
            multiline("first\r\nsecond\ttabbed", "Notes", 100),
            Ok(Some("first\r\nsecond\ttabbed".into()))
        );
        assert!(multiline("a\0b", "Notes", 100).is_err());
        assert!(required("\u{1b}[31m", "Title", 100).is_err());
    }

    #[test]
    fn dates_stay_far_from_the_calendars_limits() {
        assert_eq!(
            date("2026-11-23").unwrap().unwrap().to_string(),
            "2026-11-23"
        );
        assert!(date("+262143-12-31").is_err());
        assert!(date("1899-12-31").is_err());
        assert!(date("2026-13-01").is_err());
        assert_eq!(date(" "), Ok(None));
    }
}

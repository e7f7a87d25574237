//! A user's planning preferences (`users.preferences`): work hours, the day window, week start.

use chrono::Weekday;
use serde::{Deserialize, Serialize};

use super::day_planner::BestHours;
use super::time::{DaySpan, TimeOfDay};

/// Stored as JSON; every field has a default so an empty `{}` (the seed's default)
/// or a document written by an older version still loads. Keys this version does not
/// know are kept in `other` and written back untouched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    /// Working hours: the day's capacity for booked blocks.
    pub work_start: TimeOfDay,
    pub work_end: TimeOfDay,
    /// The planning window the timeline shows (ten 90-minute slots by default).
    pub day_start: TimeOfDay,
    pub day_end: TimeOfDay,
    pub week_starts_on: WeekStart,
    /// When deep work goes first in "Plan my day".
    pub best_hours: BestHours,
    /// The workspace currency and how amounts are written.
    pub money: super::money::MoneyFormat,
    /// A new account's first-run path while it lasts; absent once finished or
    /// skipped (and for accounts from before it existed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onboarding: Option<Onboarding>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// The first-run steps a person confirmed (the third, a first block, is read
/// from the blocks themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Onboarding {
    /// Time zone and work hours confirmed (or saved in Settings).
    pub hours: bool,
    /// The catalog's activities picked.
    pub catalog: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum WeekStart {
    #[default]
    Monday,
    Sunday,
}

impl WeekStart {
    pub fn weekday(self) -> Weekday {
        match self {
            WeekStart::Monday => Weekday::Mon,
            WeekStart::Sunday => Weekday::Sun,
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "monday" => Some(WeekStart::Monday),
            "sunday" => Some(WeekStart::Sunday),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WeekStart::Monday => "monday",
            WeekStart::Sunday => "sunday",
        }
    }
}

const fn hm(hour: u16, minute: u16) -> TimeOfDay {
    match TimeOfDay::from_hm(hour, minute) {
        Some(t) => t,
        None => TimeOfDay::MIDNIGHT,
    }
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            work_start: hm(9, 0),
            work_end: hm(17, 0),
            day_start: hm(6, 30),
            day_end: hm(21, 30),
            week_starts_on: WeekStart::Monday,
            best_hours: BestHours::Morning,
            money: super::money::MoneyFormat::default(),
            onboarding: None,
            other: serde_json::Map::new(),
        }
    }
}

impl Preferences {
    /// A new account's: the defaults, with the first-run path ahead.
    pub fn for_new_account() -> Self {
        Preferences {
            onboarding: Some(Onboarding::default()),
            ..Preferences::default()
        }
    }

    /// Work hours as a span; a stored document with end ≤ start falls back to the default.
    pub fn work_hours(&self) -> DaySpan {
        DaySpan::new(self.work_start, self.work_end).unwrap_or_else(|_| DaySpan {
            start: hm(9, 0),
            end: hm(17, 0),
        })
    }

    pub fn day_window(&self) -> DaySpan {
        DaySpan::new(self.day_start, self.day_end).unwrap_or_else(|_| DaySpan {
            start: hm(6, 30),
            end: hm(21, 30),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_document_gets_the_defaults() {
        let prefs: Preferences = serde_json::from_str("{}").unwrap();
        assert_eq!(prefs, Preferences::default());
        assert_eq!(prefs.work_hours().minutes(), 8 * 60);
        assert_eq!(prefs.day_window().minutes(), 10 * 90);
    }

    #[test]
    fn unknown_keys_survive_a_round_trip() {
        let prefs: Preferences =
            serde_json::from_str(r#"{"work_start":"08:00","theme":"dark"}"#).unwrap();
        assert_eq!(prefs.work_start.to_string(), "08:00");
        let back = serde_json::to_value(&prefs).unwrap();
        assert_eq!(back["theme"], "dark");
        assert_eq!(back["work_end"], "17:00");
    }

    #[test]
    fn only_new_accounts_start_the_first_run_path() {
        let old: Preferences = serde_json::from_str(r#"{"work_start":"08:00"}"#).unwrap();
        assert_eq!(old.onboarding, None);
        let new = Preferences::for_new_account();
        let stored = serde_json::to_string(&new).unwrap();
        let back: Preferences = serde_json::from_str(&stored).unwrap();
        assert_eq!(back.onboarding, Some(Onboarding::default()));
        assert!(!serde_json::to_string(&old).unwrap().contains("onboarding"));
    }

    #[test]
    fn a_bad_stored_time_is_an_error_not_a_silent_default() {
        assert!(serde_json::from_str::<Preferences>(r#"{"work_start":"9am"}"#).is_err());
    }

    #[test]
    fn inverted_hours_fall_back_to_the_default_span() {
        let prefs = Preferences {
            work_start: hm(18, 0),
            work_end: hm(8, 0),
            ..Default::default()
        };
        assert_eq!(prefs.work_hours().start.to_string(), "09:00");
    }
}

//! Pure domain types and rules: no actix, no diesel. Everything here parses
//! untrusted text into a value that is valid by construction.

pub mod account;
pub mod audit;
pub mod catalog;
pub mod day_planner;
pub mod enums;
pub mod files;
pub mod health;
pub mod ical;
pub mod ids;
pub mod insight;
pub mod money;
pub mod notice;
pub mod paths;
pub mod plan;
pub mod preferences;
#[cfg(test)]
pub(crate) mod properties;
pub mod routine;
pub mod suggestions;
pub mod text;
pub mod time;

pub use account::{AccountError, EmailAddress};
pub use audit::AuditAction;
pub use enums::*;
pub use ids::*;
pub use money::{Money, MoneyError};
pub use notice::Notice;
pub use preferences::{Onboarding, Preferences, WeekStart};
pub use routine::{Repeat, Weekdays};
pub use time::{BlockMinutes, DaySpan, LocalDates, TimeError, TimeOfDay, Timezone};

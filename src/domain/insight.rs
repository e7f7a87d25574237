//! The figures a freelancer plans by, as pure rules over what the app stores:
//! what a client earns per hour of work, how much of a retainer is owed this
//! month, and when a project finishes at the pace of recent work.
//!
//! - **Earnings per hour** (`Earnings`): (the retainer's share of the period +
//!   project payments received in it) ÷ hours of DONE blocks in it, linked to
//!   the client directly or through one of its projects. A retainer's share is
//!   the monthly amount times the part of each month the period covers
//!   (`retainer_share`), so a week in a 30-day month holds 7/30 of it.
//! - **Retainer capacity** (`RetainerHours`): the hours a retainer covers this month
//!   less the hours delivered (done blocks) and scheduled (open blocks for the
//!   rest of the month); below zero is over-service.
//! - **Slippage** (`Forecast`): the work left (estimate − done) at the pace of
//!   the last four weeks gives the day it finishes; past the due date it slips
//!   by the difference. Without recent work there is no pace and no date.

use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;

/// The days of the month `day` is in.
fn days_in_month(day: NaiveDate) -> i64 {
    let first = day.with_day(1).unwrap_or(day);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first + Duration::days(31));
    (next - first).num_days()
}

/// The first day of `day`'s month.
pub fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The first day of the month after `day`'s.
pub fn next_month(day: NaiveDate) -> NaiveDate {
    month_start(day)
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(day + Duration::days(31))
}

/// A monthly retainer's share of the days `[from, to)`: each day is worth
/// `monthly ÷ days of its month`.
pub fn retainer_share(monthly: Decimal, from: NaiveDate, to: NaiveDate) -> Decimal {
    let mut share = Decimal::ZERO;
    let mut day = from;
    while day < to {
        let end = next_month(day).min(to);
        let days = (end - day).num_days();
        share += monthly * Decimal::from(days) / Decimal::from(days_in_month(day));
        day = end;
    }
    share.round_dp(2)
}

/// What a client brought in over a period, and the work it took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Earnings {
    /// The retainer's share of the period.
    pub retainer: Decimal,
    /// Project payments received in the period.
    pub payments: Decimal,
    /// Minutes of DONE blocks for the client in the period.
    pub minutes: i64,
}

impl Earnings {
    pub fn earned(&self) -> Decimal {
        self.retainer + self.payments
    }
    pub fn hours(&self) -> Decimal {
        Decimal::from(self.minutes) / Decimal::from(60)
    }
    /// Money per hour of work; none without work to divide by.
    pub fn per_hour(&self) -> Option<Decimal> {
        (self.minutes > 0)
            .then(|| (self.earned() * Decimal::from(60) / Decimal::from(self.minutes)).round_dp(2))
    }
}

/// A retainer's hours this month against the work done and planned for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetainerHours {
    /// The minutes the retainer covers this month.
    pub covered: i64,
    /// Minutes of DONE blocks this month.
    pub delivered: i64,
    /// Minutes of open blocks scheduled from today to the month's end.
    pub scheduled: i64,
}

impl RetainerHours {
    /// Minutes still owed (covered − delivered − scheduled); negative is over-service.
    pub fn owed(&self) -> i64 {
        self.covered - self.delivered - self.scheduled
    }
    pub fn over_served(&self) -> bool {
        self.owed() < 0
    }
}

/// One open project's work against its estimate and due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forecast {
    pub estimated: i64,
    /// Minutes of DONE blocks so far.
    pub done: i64,
    /// Minutes of open blocks scheduled from today to the due date.
    pub scheduled: i64,
    /// Minutes done in the last 28 days (the pace).
    pub recent: i64,
    pub today: NaiveDate,
    pub due: NaiveDate,
}

/// How many days the last-four-weeks pace looks back.
pub const PACE_DAYS: i64 = 28;

impl Forecast {
    /// The work not done yet.
    pub fn left(&self) -> i64 {
        (self.estimated - self.done).max(0)
    }
    /// The work neither done nor scheduled before the due date.
    pub fn missing(&self) -> i64 {
        (self.left() - self.scheduled).max(0)
    }
    /// The day the work left is done at the recent pace: today when nothing is
    /// left; none without recent work.
    pub fn finishes(&self) -> Option<NaiveDate> {
        if self.left() == 0 {
            return Some(self.today);
        }
        if self.recent <= 0 {
            return None;
        }
        // days = left ÷ (recent ÷ PACE_DAYS), rounded up.
        let days = (self.left() * PACE_DAYS + self.recent - 1) / self.recent;
        Some(self.today + Duration::days(days))
    }
    /// Days past the due date it finishes (0 when on time); none without a pace.
    pub fn slips_by(&self) -> Option<i64> {
        self.finishes()
            .map(|done| (done - self.due).num_days().max(0))
    }
    /// "slips by 12 days", "on track", "no recent work to measure a pace".
    pub fn verdict(&self) -> String {
        match self.slips_by() {
            Some(0) => "on track".into(),
            Some(1) => "slips by 1 day".into(),
            Some(n) if n > 365 => "slips by more than a year".into(),
            Some(n) => format!("slips by {n} days"),
            None => "no work in the last 4 weeks to measure a pace".into(),
        }
    }
}

/// Minutes as decimal hours for a chart's tight labels: "7.5 h", "6 h", "0.3 h".
pub fn hours_short(minutes: i64) -> String {
    let tenths = (minutes * 10 + 30) / 60;
    match tenths % 10 {
        0 => format!("{} h", tenths / 10),
        r => format!("{}.{} h", tenths / 10, r),
    }
}

/// Minutes as "6 h", "1 h 30 min", "45 min" (negative as "−2 h").
pub fn hours_words(minutes: i64) -> String {
    let sign = if minutes < 0 { "−" } else { "" };
    let m = minutes.abs();
    match (m / 60, m % 60) {
        (0, r) => format!("{sign}{r} min"),
        (h, 0) => format!("{sign}{h} h"),
        (h, r) => format!("{sign}{h} h {r} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_retainer_is_shared_by_the_days_of_each_month() {
        // A full month is the whole retainer.
        assert_eq!(
            retainer_share(dec("3000"), day(2026, 11, 1), day(2026, 12, 1)),
            dec("3000")
        );
        // A week in November (30 days): 7/30.
        assert_eq!(
            retainer_share(dec("3000"), day(2026, 11, 2), day(2026, 11, 9)),
            dec("700")
        );
        // A week across a month boundary: 2 days of November, 5 of December (31 days).
        assert_eq!(
            retainer_share(dec("3100"), day(2026, 11, 29), day(2026, 12, 6)),
            dec("206.67") + dec("500")
        );
    }

    #[test]
    fn earnings_per_hour_with_a_retainer_and_two_payments_over_mixed_blocks() {
        // November: a €1,500 retainer, payments of €800 and €400, and done
        // blocks of 90 + 90 + 45 + 15 minutes (some on the client, some on its
        // projects: the sum is what counts) = 4 hours.
        let e = Earnings {
            retainer: retainer_share(dec("1500"), day(2026, 11, 1), day(2026, 12, 1)),
            payments: dec("800") + dec("400"),
            minutes: 90 + 90 + 45 + 15,
        };
        assert_eq!(e.earned(), dec("2700"));
        assert_eq!(e.hours(), dec("4"));
        assert_eq!(e.per_hour(), Some(dec("675")));
        assert_eq!(Earnings::default().per_hour(), None, "no work, no rate");
    }

    #[test]
    fn owed_hours_are_covered_less_delivered_and_scheduled() {
        let c = RetainerHours {
            covered: 10 * 60,
            delivered: 4 * 60,
            scheduled: 90,
        };
        assert_eq!(c.owed(), 270);
        assert_eq!(hours_words(c.owed()), "4 h 30 min");
        let over = RetainerHours {
            covered: 600,
            delivered: 540,
            scheduled: 120,
        };
        assert!(over.over_served());
        assert_eq!(hours_words(over.owed()), "−1 h");
    }

    #[test]
    fn a_project_slips_by_the_days_its_pace_needs_past_the_due_date() {
        // 40 h estimated, 10 done, 14 h in the last 4 weeks (half an hour a day):
        // 30 h left take 60 days; due in 30 days → slips by 30 days.
        let f = Forecast {
            estimated: 40 * 60,
            done: 10 * 60,
            scheduled: 6 * 60,
            recent: 14 * 60,
            today: day(2026, 12, 1),
            due: day(2026, 12, 31),
        };
        assert_eq!(f.left(), 30 * 60);
        assert_eq!(f.missing(), 24 * 60);
        assert_eq!(f.finishes(), Some(day(2027, 1, 30)));
        assert_eq!(f.slips_by(), Some(30));
        assert_eq!(f.verdict(), "slips by 30 days");
        // At four times the pace it is on track.
        let fast = Forecast {
            recent: 56 * 60,
            ..f
        };
        assert_eq!(fast.finishes(), Some(day(2026, 12, 16)));
        assert_eq!(fast.verdict(), "on track");
        // No recent work: no date, said so.
        let idle = Forecast { recent: 0, ..f };
        assert_eq!(idle.slips_by(), None);
        // Nothing left: finished today.
        let done = Forecast { done: 40 * 60, ..f };
        assert_eq!(done.slips_by(), Some(0));
    }
}

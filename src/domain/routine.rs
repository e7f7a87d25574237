//! Routines: when a repeating block falls. A `Repeat` is what a person picks in the
//! block form ("every weekday", "Mon, Wed and Fri", "every week", until a day or
//! for ever); `falls_on` decides a day; `describe` says it back in words.

use chrono::{Datelike, NaiveDate, Weekday};

use super::Cadence;

/// The seven days in form order, with the short names a person reads.
pub const DAYS: [(Weekday, &str, &str); 7] = [
    (Weekday::Mon, "mon", "Mon"),
    (Weekday::Tue, "tue", "Tue"),
    (Weekday::Wed, "wed", "Wed"),
    (Weekday::Thu, "thu", "Thu"),
    (Weekday::Fri, "fri", "Fri"),
    (Weekday::Sat, "sat", "Sat"),
    (Weekday::Sun, "sun", "Sun"),
];

/// The days a routine falls on, one bit per weekday (bit 0 Monday … bit 6 Sunday),
/// as stored in `routines.weekdays`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Weekdays(u8);

impl Weekdays {
    pub const ALL: Weekdays = Weekdays(0b111_1111);
    pub const WORK: Weekdays = Weekdays(0b001_1111);

    pub fn of(days: impl IntoIterator<Item = Weekday>) -> Option<Weekdays> {
        let bits = days
            .into_iter()
            .fold(0u8, |bits, d| bits | 1 << d.num_days_from_monday());
        (bits != 0).then_some(Weekdays(bits))
    }

    /// From the stored bits; `None` for no day or bits beyond Sunday.
    pub fn from_bits(bits: i32) -> Option<Weekdays> {
        u8::try_from(bits)
            .ok()
            .filter(|b| (1..=0b111_1111).contains(b))
            .map(Weekdays)
    }

    pub fn bits(self) -> i32 {
        self.0.into()
    }

    pub fn has(self, day: Weekday) -> bool {
        self.0 & 1 << day.num_days_from_monday() != 0
    }
}

/// How a block repeats, validated: a cadence and its days, from a first day to an
/// optional last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    pub cadence: Cadence,
    pub days: Weekdays,
    pub starts_on: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl Repeat {
    /// `cadence` from `starts_on`: a weekly routine falls on the first day's weekday;
    /// chosen days need at least one.
    pub fn new(
        cadence: Cadence,
        chosen: Option<Weekdays>,
        starts_on: NaiveDate,
        until: Option<NaiveDate>,
    ) -> Result<Repeat, &'static str> {
        let days = match cadence {
            Cadence::Daily => Weekdays::ALL,
            Cadence::Weekdays => Weekdays::WORK,
            Cadence::Weekly => Weekdays::of([starts_on.weekday()]).unwrap_or(Weekdays::ALL),
            Cadence::Days => chosen.ok_or("choose at least one day")?,
        };
        if until.is_some_and(|u| u < starts_on) {
            return Err("the last day must not be before the block's day");
        }
        Ok(Repeat {
            cadence,
            days,
            starts_on,
            until,
        })
    }

    /// Whether the routine has a block on `day`.
    pub fn falls_on(&self, day: NaiveDate) -> bool {
        day >= self.starts_on && self.until.is_none_or(|u| day <= u) && self.days.has(day.weekday())
    }

    /// The days in `from..=to` it falls on.
    pub fn days_in(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        from.iter_days()
            .take_while(|d| *d <= to)
            .filter(|d| self.falls_on(*d))
            .collect()
    }

    /// "Every weekday", "Every Tuesday", "Mon, Wed and Fri", with "until Dec 24".
    pub fn describe(&self) -> String {
        let when = match self.cadence {
            Cadence::Daily => "Every day".to_string(),
            Cadence::Weekdays => "Every weekday".to_string(),
            Cadence::Weekly => format!("Every {}", long_name(self.starts_on.weekday())),
            Cadence::Days => {
                let names: Vec<&str> = DAYS
                    .iter()
                    .filter(|(d, _, _)| self.days.has(*d))
                    .map(|(_, _, name)| *name)
                    .collect();
                match names.as_slice() {
                    [one] => format!("Every {}", long_name(weekday_of(one))),
                    [rest @ .., last] => format!("Every {} and {last}", rest.join(", ")),
                    [] => "Never".to_string(),
                }
            }
        };
        match self.until {
            Some(until) => format!("{when} until {}", until.format("%b %-d, %Y")),
            None => when,
        }
    }
}

fn weekday_of(short: &str) -> Weekday {
    DAYS.iter()
        .find(|(_, _, name)| *name == short)
        .map_or(Weekday::Mon, |(d, _, _)| *d)
}

fn long_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weekdays_skip_the_weekend_and_the_days_before_the_start() {
        // Friday Dec 4, 2026.
        let r = Repeat::new(Cadence::Weekdays, None, d(2026, 12, 4), None).unwrap();
        assert_eq!(
            r.days_in(d(2026, 12, 1), d(2026, 12, 8)),
            [d(2026, 12, 4), d(2026, 12, 7), d(2026, 12, 8)]
        );
        assert_eq!(r.describe(), "Every weekday");
    }

    #[test]
    fn weekly_falls_on_the_first_days_weekday_until_the_last_day() {
        let r = Repeat::new(Cadence::Weekly, None, d(2026, 12, 1), Some(d(2026, 12, 15))).unwrap();
        assert_eq!(
            r.days_in(d(2026, 12, 1), d(2026, 12, 31)),
            [d(2026, 12, 1), d(2026, 12, 8), d(2026, 12, 15)]
        );
        assert_eq!(r.describe(), "Every Tuesday until Dec 15, 2026");
    }

    #[test]
    fn chosen_days_need_one_and_read_as_a_list() {
        assert_eq!(
            Repeat::new(Cadence::Days, None, d(2026, 12, 1), None),
            Err("choose at least one day")
        );
        let mwf = Weekdays::of([Weekday::Mon, Weekday::Wed, Weekday::Fri]);
        let r = Repeat::new(Cadence::Days, mwf, d(2026, 12, 1), None).unwrap();
        assert_eq!(r.describe(), "Every Mon, Wed and Fri");
        assert!(r.falls_on(d(2026, 12, 2)) && !r.falls_on(d(2026, 12, 3)));
        assert_eq!(Weekdays::from_bits(r.days.bits()), Some(r.days));
        assert_eq!(Weekdays::from_bits(0), None);
        assert_eq!(Weekdays::from_bits(128), None);
    }

    #[test]
    fn the_last_day_may_not_come_before_the_first() {
        assert!(Repeat::new(Cadence::Daily, None, d(2026, 12, 4), Some(d(2026, 12, 3))).is_err());
    }
}

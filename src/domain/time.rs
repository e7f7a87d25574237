//! Local time of day, block lengths and the user's IANA time zone: what "today" and "09:00" mean.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

/// A wall-clock time `HH:MM` (24 h) in the user's zone, as `tasks.scheduled_time` stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay {
    minutes: u16,
    /// The `HH:MM` text, kept so storage can borrow it instead of formatting.
    text: [u8; 5],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("enter a time as HH:MM, for example 09:30")]
    BadTime,
    #[error("block length must be a multiple of 5 minutes between 5 and 720")]
    BadBlockLength,
    #[error("unknown time zone; use an IANA name such as Europe/Berlin")]
    BadTimezone,
    #[error("the end must be after the start")]
    EmptyRange,
}

impl TimeOfDay {
    pub const MIDNIGHT: TimeOfDay = TimeOfDay {
        minutes: 0,
        text: *b"00:00",
    };

    pub const fn from_hm(hour: u16, minute: u16) -> Option<Self> {
        if hour < 24 && minute < 60 {
            Some(TimeOfDay {
                minutes: hour * 60 + minute,
                text: [
                    b'0' + (hour / 10) as u8,
                    b'0' + (hour % 10) as u8,
                    b':',
                    b'0' + (minute / 10) as u8,
                    b'0' + (minute % 10) as u8,
                ],
            })
        } else {
            None
        }
    }

    /// Minutes since midnight, 0..=1439.
    pub const fn from_minutes(minutes: u16) -> Option<Self> {
        if minutes < 24 * 60 {
            Self::from_hm(minutes / 60, minutes % 60)
        } else {
            None
        }
    }

    /// `HH:MM`, as stored.
    pub fn as_str(&self) -> &str {
        // Built only from ASCII digits and ':' in `from_hm`.
        std::str::from_utf8(&self.text).unwrap_or("00:00")
    }

    /// Exactly `HH:MM` with two digits each (`9:30`, `09:30:00`, `24:00` are refused),
    /// matching the database CHECK so nothing the UI accepts is refused later.
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        let bytes = text.trim().as_bytes();
        let digit = |b: u8| (b as char).to_digit(10).map(|d| d as u16);
        match bytes {
            [h1, h2, b':', m1, m2] => {
                let (h1, h2, m1, m2) = (digit(*h1), digit(*h2), digit(*m1), digit(*m2));
                match (h1, h2, m1, m2) {
                    (Some(h1), Some(h2), Some(m1), Some(m2)) => {
                        Self::from_hm(h1 * 10 + h2, m1 * 10 + m2).ok_or(TimeError::BadTime)
                    }
                    _ => Err(TimeError::BadTime),
                }
            }
            _ => Err(TimeError::BadTime),
        }
    }

    pub const fn minutes(self) -> u16 {
        self.minutes
    }

    pub const fn hour(self) -> u16 {
        self.minutes / 60
    }

    pub const fn minute(self) -> u16 {
        self.minutes % 60
    }

    /// The time `minutes` later, or `None` past midnight.
    pub fn plus(self, minutes: u16) -> Option<Self> {
        Self::from_minutes(self.minutes.checked_add(minutes)?)
    }

    /// Whether a block of `minutes` starting now ends by midnight (ending exactly
    /// at midnight is fine): a block never runs into the next day.
    pub fn ends_by_midnight(self, minutes: u16) -> bool {
        u32::from(self.minutes) + u32::from(minutes) <= 24 * 60
    }

    pub fn to_naive(self) -> NaiveTime {
        NaiveTime::from_hms_opt(self.hour().into(), self.minute().into(), 0)
            .unwrap_or(NaiveTime::MIN)
    }

    pub fn from_naive(time: NaiveTime) -> Self {
        Self::from_hm(time.hour() as u16, time.minute() as u16).unwrap_or(Self::MIDNIGHT)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for TimeOfDay {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for TimeOfDay {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        TimeOfDay::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// How long a block is: a multiple of 5 minutes from 5 to 720, 90 by default.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "i64", into = "i64")]
pub struct BlockMinutes(i32);

impl TryFrom<i64> for BlockMinutes {
    type Error = TimeError;
    fn try_from(minutes: i64) -> Result<Self, TimeError> {
        BlockMinutes::new(minutes)
    }
}

impl From<BlockMinutes> for i64 {
    fn from(minutes: BlockMinutes) -> i64 {
        i64::from(minutes.0)
    }
}

impl BlockMinutes {
    pub const DEFAULT: BlockMinutes = BlockMinutes(90);
    pub const MIN: u16 = 5;
    pub const MAX: u16 = 720;
    pub const STEP: u16 = 5;

    pub fn new(minutes: i64) -> Result<Self, TimeError> {
        let valid = (i64::from(Self::MIN)..=i64::from(Self::MAX)).contains(&minutes)
            && minutes % i64::from(Self::STEP) == 0;
        if valid {
            Ok(BlockMinutes(minutes as i32))
        } else {
            Err(TimeError::BadBlockLength)
        }
    }

    pub fn parse(text: &str) -> Result<Self, TimeError> {
        text.trim()
            .parse::<i64>()
            .map_err(|_| TimeError::BadBlockLength)
            .and_then(Self::new)
    }

    pub const fn get(self) -> u16 {
        self.0 as u16
    }

    /// The stored INTEGER, borrowed for binding.
    pub fn as_i32(&self) -> &i32 {
        &self.0
    }

    /// `1 h 30 min`, `45 min`, `2 h`.
    pub fn human(self) -> String {
        match (self.0 / 60, self.0 % 60) {
            (0, m) => format!("{m} min"),
            (h, 0) => format!("{h} h"),
            (h, m) => format!("{h} h {m} min"),
        }
    }
}

impl Default for BlockMinutes {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for BlockMinutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A half-open span of the day, `start..end`, such as work hours or the planning window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DaySpan {
    pub start: TimeOfDay,
    pub end: TimeOfDay,
}

impl DaySpan {
    pub fn new(start: TimeOfDay, end: TimeOfDay) -> Result<Self, TimeError> {
        if end > start {
            Ok(DaySpan { start, end })
        } else {
            Err(TimeError::EmptyRange)
        }
    }

    pub fn minutes(self) -> u16 {
        self.end.minutes() - self.start.minutes()
    }
}

/// The user's IANA time zone (`users.timezone`), which decides what "today" is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timezone(chrono_tz::Tz);

impl Timezone {
    /// The original app's default.
    pub const DEFAULT: Timezone = Timezone(chrono_tz::America::New_York);

    /// Accepts canonical IANA names (`Europe/Berlin`, `UTC`); refuses abbreviations
    /// like `CET` that only look like zones, and anything else.
    pub fn parse(name: &str) -> Result<Self, TimeError> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 {
            return Err(TimeError::BadTimezone);
        }
        name.parse::<chrono_tz::Tz>()
            .map(Timezone)
            .map_err(|_| TimeError::BadTimezone)
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The IANA name, as stored.
    pub fn as_str(&self) -> &'static str {
        self.0.name()
    }

    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    /// The local calendar date at `now` in this zone.
    pub fn today(self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.0).date_naive()
    }

    /// The local wall-clock time at `now` in this zone.
    pub fn time_now(self, now: DateTime<Utc>) -> TimeOfDay {
        TimeOfDay::from_naive(now.with_timezone(&self.0).time())
    }

    /// The instant of a local wall-clock time. In a DST gap (02:30 that never
    /// happens) the clock is read as if it had not jumped (an hour later in UTC
    /// terms: the instant the gap ends plus the offset into it); in an overlap the
    /// first occurrence is used.
    pub fn to_utc(self, local: NaiveDateTime) -> DateTime<Utc> {
        use chrono::TimeZone;
        match self.0.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
            chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
            chrono::LocalResult::None => {
                let later = local + chrono::Duration::hours(1);
                self.0
                    .from_local_datetime(&later)
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_else(|| Utc.from_utc_datetime(&local))
            }
        }
    }

    /// The instant (UTC, as stored) the local day `date` ends: what is due "by the
    /// end of today" is due before it. A midnight that a DST change skips is read as
    /// `to_utc` reads any time in a gap.
    pub fn end_of_day(self, date: NaiveDate) -> NaiveDateTime {
        let next = date.succ_opt().unwrap_or(date);
        self.to_utc(next.and_time(NaiveTime::MIN)).naive_utc()
    }

    /// Every zone name, for the settings picker.
    pub fn all_names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }
}

impl Default for Timezone {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Stored instants (UTC) as a person reads them in their own zone: "today",
/// "yesterday", "Dec 4" this year, "Dec 4, 2025" before; with a time, "today 09:05".
#[derive(Debug, Clone, Copy)]
pub struct LocalDates {
    pub zone: Timezone,
    pub now: DateTime<Utc>,
}

impl LocalDates {
    pub fn new(zone: Timezone, now: DateTime<Utc>) -> Self {
        LocalDates { zone, now }
    }

    /// The local wall-clock time of a stored UTC instant.
    pub fn local(&self, utc: &NaiveDateTime) -> NaiveDateTime {
        utc.and_utc().with_timezone(&self.zone.tz()).naive_local()
    }

    /// The day of a stored instant, as a person writes it.
    pub fn date(&self, utc: &NaiveDateTime) -> String {
        self.day(self.local(utc).date())
    }

    /// A calendar date relative to the local today.
    pub fn day(&self, date: NaiveDate) -> String {
        let today = self.zone.today(self.now);
        match (date - today).num_days() {
            0 => "today".into(),
            -1 => "yesterday".into(),
            1 => "tomorrow".into(),
            _ if date.year() == today.year() => date.format("%b %-d").to_string(),
            _ => date.format("%b %-d, %Y").to_string(),
        }
    }

    /// Day and time of a stored instant: "today 09:05", "Dec 4, 14:30".
    pub fn date_time(&self, utc: &NaiveDateTime) -> String {
        let local = self.local(utc);
        let day = self.day(local.date());
        let sep = if day.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
            " "
        } else {
            ", "
        };
        format!("{day}{sep}{}", local.format("%H:%M"))
    }

    /// For `<time datetime>`: the instant in UTC, machine-readable.
    pub fn iso(&self, utc: &NaiveDateTime) -> String {
        utc.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn time_of_day_takes_exactly_hh_mm() {
        assert_eq!(TimeOfDay::parse("09:30").unwrap().to_string(), "09:30");
        assert_eq!(TimeOfDay::parse("00:00"), Ok(TimeOfDay::MIDNIGHT));
        assert_eq!(TimeOfDay::parse("23:59").unwrap().minutes(), 1439);
        for bad in [
            "9:30", "24:00", "12:60", "12-30", "", "ab:cd", "09:30:00", "+9:30", "０9:30",
        ] {
            assert_eq!(TimeOfDay::parse(bad), Err(TimeError::BadTime), "{bad:?}");
        }
    }

    #[test]
    fn time_of_day_arithmetic_stops_at_midnight() {
        let t = TimeOfDay::parse("22:30").unwrap();
        assert_eq!(t.plus(60).unwrap().to_string(), "23:30");
        assert_eq!(t.plus(90), None, "a block may not run past midnight");
        assert_eq!(TimeOfDay::parse("23:00").unwrap().plus(60), None);
    }

    #[test]
    fn block_minutes_are_multiples_of_five_up_to_twelve_hours() {
        assert_eq!(BlockMinutes::parse("90"), Ok(BlockMinutes::DEFAULT));
        assert_eq!(BlockMinutes::new(5).unwrap().get(), 5);
        assert_eq!(BlockMinutes::new(720).unwrap().get(), 720);
        for bad in [0, 4, 7, 725, 1440, -90] {
            assert_eq!(
                BlockMinutes::new(bad),
                Err(TimeError::BadBlockLength),
                "{bad}"
            );
        }
        assert_eq!(
            BlockMinutes::parse("ninety"),
            Err(TimeError::BadBlockLength)
        );
        assert_eq!(BlockMinutes::new(90).unwrap().human(), "1 h 30 min");
        assert_eq!(BlockMinutes::new(120).unwrap().human(), "2 h");
        assert_eq!(BlockMinutes::new(45).unwrap().human(), "45 min");
    }

    #[test]
    fn day_spans_must_not_be_empty() {
        let nine = TimeOfDay::parse("09:00").unwrap();
        let five = TimeOfDay::parse("17:00").unwrap();
        assert_eq!(DaySpan::new(nine, five).unwrap().minutes(), 480);
        assert_eq!(DaySpan::new(five, nine), Err(TimeError::EmptyRange));
        assert_eq!(DaySpan::new(nine, nine), Err(TimeError::EmptyRange));
    }

    #[test]
    fn timezones_are_iana_names() {
        assert_eq!(
            Timezone::parse("Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(Timezone::parse(" UTC ").unwrap().name(), "UTC");
        for bad in [
            "",
            "Mars/Olympus",
            "Europe/Berlin; DROP TABLE users",
            &"A".repeat(100),
        ] {
            assert_eq!(Timezone::parse(bad), Err(TimeError::BadTimezone), "{bad:?}");
        }
        assert!(Timezone::all_names().any(|n| n == "America/New_York"));
    }

    #[test]
    fn today_depends_on_the_zone() {
        // 03:30 UTC on 2026-03-10 is still the 9th in New York and already the 10th in Tokyo.
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 3, 30, 0).unwrap();
        let ny = Timezone::parse("America/New_York").unwrap();
        let tokyo = Timezone::parse("Asia/Tokyo").unwrap();
        assert_eq!(ny.today(now), NaiveDate::from_ymd_opt(2026, 3, 9).unwrap());
        assert_eq!(
            tokyo.today(now),
            NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
        );
        assert_eq!(ny.time_now(now).to_string(), "23:30");
    }

    #[test]
    fn local_times_become_the_right_instants_across_dst() {
        let berlin = Timezone::parse("Europe/Berlin").unwrap();
        let at = |y, m, d, h, mi| {
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, mi, 0)
                .unwrap()
        };
        assert_eq!(
            berlin.to_utc(at(2026, 1, 15, 9, 0)),
            Utc.with_ymd_and_hms(2026, 1, 15, 8, 0, 0).unwrap()
        );
        assert_eq!(
            berlin.to_utc(at(2026, 7, 15, 9, 0)),
            Utc.with_ymd_and_hms(2026, 7, 15, 7, 0, 0).unwrap()
        );
        // 02:30 on 29 March 2026 does not exist in Berlin; it is read as 03:30 CEST.
        assert_eq!(
            berlin.to_utc(at(2026, 3, 29, 2, 30)),
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap()
        );
        // 02:30 on 25 October 2026 happens twice; the first (CEST) is used.
        assert_eq!(
            berlin.to_utc(at(2026, 10, 25, 2, 30)),
            Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap()
        );
    }

    #[test]
    fn a_block_may_end_at_midnight_but_not_run_past_it() {
        let t = |text| TimeOfDay::parse(text).unwrap();
        assert!(t("22:30").ends_by_midnight(90));
        assert!(!t("23:00").ends_by_midnight(90));
        assert!(t("00:00").ends_by_midnight(720));
        assert!(!t("23:59").ends_by_midnight(5));
    }

    #[test]
    fn the_local_day_ends_at_the_next_local_midnight_in_utc() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let utc = |y, m, d, h| day(y, m, d).and_hms_opt(h, 0, 0).unwrap();
        let new_york = Timezone::parse("America/New_York").unwrap();
        // Dec 4 in New York ends at 05:00 UTC on Dec 5 (EST, UTC-5).
        assert_eq!(new_york.end_of_day(day(2026, 12, 4)), utc(2026, 12, 5, 5));
        // In summer (EDT, UTC-4) an hour earlier.
        assert_eq!(new_york.end_of_day(day(2026, 7, 4)), utc(2026, 7, 5, 4));
        let tokyo = Timezone::parse("Asia/Tokyo").unwrap();
        assert_eq!(tokyo.end_of_day(day(2026, 12, 4)), utc(2026, 12, 4, 15));
        // Santiago skips midnight when summer time starts (Sep 6, 2026): the day
        // ends at the first instant of Sep 6 that exists, 01:00 local = 04:00 UTC.
        let santiago = Timezone::parse("America/Santiago").unwrap();
        assert_eq!(santiago.end_of_day(day(2026, 9, 5)), utc(2026, 9, 6, 4));
    }
}

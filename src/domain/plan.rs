//! The day plan's rules: where blocks sit on the timeline, which overlap, how much
//! of the day is booked, which 90-minute slots are still free, and goal pace.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};

use super::{DaySpan, GoalType, TimeOfDay};

/// Minutes per timeline row: the grid's resolution (block lengths are multiples of 5).
pub const ROW_MINUTES: u16 = 5;
/// The standard block, and the size of the free slots the timeline offers.
pub const SLOT_MINUTES: u16 = 90;

/// A block as the timeline needs it: when it starts and how long it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: u16,
    pub minutes: u16,
}

impl Span {
    pub fn new(start: TimeOfDay, minutes: u16) -> Self {
        Span {
            start: start.minutes(),
            minutes,
        }
    }

    /// Exclusive end, in minutes since midnight (may pass 24:00 for a late block).
    pub fn end(self) -> u16 {
        self.start + self.minutes
    }

    pub fn overlaps(self, other: Span) -> bool {
        self.start < other.end() && other.start < self.end()
    }
}

/// Where one block goes on the grid: its row, its height in rows, its lane (side by
/// side with the blocks it overlaps), and whether it clashes with another block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// 1-based grid row inside the day window.
    pub row: u16,
    pub rows: u16,
    /// 1-based lane; overlapping blocks take different lanes.
    pub lane: u8,
    pub overlaps: bool,
    /// The block starts before the window or ends after it (shown clipped).
    pub clipped: bool,
}

/// Lays out blocks (in any order) inside `window`. Blocks entirely outside the
/// window get `None`: the page lists them separately.
pub fn layout(window: DaySpan, spans: &[Span]) -> Vec<Option<Placement>> {
    let win_start = window.start.minutes();
    let win_end = window.end.minutes();
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].start, std::cmp::Reverse(spans[i].minutes)));
    // Greedy interval partitioning: each block takes the first lane free at its start.
    let mut lane_ends: Vec<u16> = Vec::new();
    let mut lanes = vec![0u8; spans.len()];
    for &i in &order {
        let span = spans[i];
        let lane = match lane_ends.iter().position(|&end| end <= span.start) {
            Some(free) => free,
            None => {
                lane_ends.push(0);
                lane_ends.len() - 1
            }
        };
        lane_ends[lane] = span.end();
        lanes[i] = (lane + 1).min(u8::MAX as usize) as u8;
    }
    spans
        .iter()
        .enumerate()
        .map(|(i, span)| {
            if span.end() <= win_start || span.start >= win_end {
                return None;
            }
            let start = span.start.max(win_start);
            let end = span.end().min(win_end);
            let overlaps = spans
                .iter()
                .enumerate()
                .any(|(j, other)| j != i && span.overlaps(*other));
            Some(Placement {
                row: (start - win_start) / ROW_MINUTES + 1,
                rows: (end - start).div_ceil(ROW_MINUTES).max(1),
                lane: lanes[i],
                overlaps,
                clipped: start != span.start || end != span.end(),
            })
        })
        .collect()
}

/// The grid's height in rows for a window.
pub fn window_rows(window: DaySpan) -> u16 {
    window.minutes().div_ceil(ROW_MINUTES)
}

/// The 90-minute slots of the window (from its start) that no block touches: where
/// "add a block here" is offered. A last, shorter remainder counts as a slot too.
pub fn free_slots(window: DaySpan, spans: &[Span]) -> Vec<(TimeOfDay, u16)> {
    let mut slots = Vec::new();
    let mut start = window.start.minutes();
    while start < window.end.minutes() {
        let minutes = SLOT_MINUTES.min(window.end.minutes() - start);
        let slot = Span { start, minutes };
        if !spans.iter().any(|s| s.overlaps(slot))
            && let Some(time) = TimeOfDay::from_minutes(start)
        {
            slots.push((time, minutes));
        }
        start += SLOT_MINUTES;
    }
    slots
}

/// Start times step in quarter hours when the app picks them.
pub const STEP_MINUTES: u16 = 15;

/// The earliest start inside `window`, not before minute `from`, on a quarter hour,
/// where a block of `minutes` fits whole and touches none of `taken`.
pub fn first_free(window: DaySpan, from: u16, minutes: u16, taken: &[Span]) -> Option<TimeOfDay> {
    let earliest = window.start.minutes().max(from);
    let mut start = earliest.div_ceil(STEP_MINUTES) * STEP_MINUTES;
    while start + minutes <= window.end.minutes() {
        let candidate = Span { start, minutes };
        match taken
            .iter()
            .filter(|s| s.overlaps(candidate))
            .map(|s| s.end())
            .max()
        {
            None => return TimeOfDay::from_minutes(start),
            // Jump past the clash, back onto the quarter-hour grid.
            Some(end) => start = end.max(start + 1).div_ceil(STEP_MINUTES) * STEP_MINUTES,
        }
    }
    None
}

/// Consecutive days in `closed` (newest first) ending at `through`, or at the day
/// before when `through` is not among them yet.
pub fn streak(closed: &[NaiveDate], through: NaiveDate) -> u32 {
    let mut expected = if closed.first() == Some(&through) {
        through
    } else {
        through - Duration::days(1)
    };
    let start = expected;
    let mut count = 0;
    for day in closed.iter().skip_while(|d| **d > start) {
        if *day != expected {
            break;
        }
        count += 1;
        expected -= Duration::days(1);
    }
    count
}

/// Booked minutes against capacity, and whether the day is overbooked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub booked: u32,
    pub capacity: u32,
}

impl Capacity {
    pub fn percent(self) -> u32 {
        (self.booked * 100).checked_div(self.capacity).unwrap_or(0)
    }

    pub fn over(self) -> bool {
        self.booked > self.capacity
    }

    /// `5 h 30 min`.
    pub fn human(minutes: u32) -> String {
        match (minutes / 60, minutes % 60) {
            (0, m) => format!("{m} min"),
            (h, 0) => format!("{h} h"),
            (h, m) => format!("{h} h {m} min"),
        }
    }
}

/// The first day of the week containing `day`.
pub fn week_start(day: NaiveDate, starts_on: Weekday) -> NaiveDate {
    let back = (7 + day.weekday().num_days_from_monday() - starts_on.num_days_from_monday()) % 7;
    day - Duration::days(back.into())
}

/// A goal's period: its own start and due dates, or the natural period of its type
/// around `today` where they are missing.
pub fn goal_period(
    goal_type: GoalType,
    start: Option<NaiveDate>,
    due: Option<NaiveDate>,
    today: NaiveDate,
    week_starts_on: Weekday,
) -> (NaiveDate, NaiveDate) {
    let anchor = start.unwrap_or(today);
    let natural_start = match goal_type {
        GoalType::Daily => anchor,
        GoalType::Weekly => week_start(anchor, week_starts_on),
        GoalType::Monthly => anchor.with_day(1).unwrap_or(anchor),
        GoalType::Yearly => NaiveDate::from_ymd_opt(anchor.year(), 1, 1).unwrap_or(anchor),
    };
    let natural_end = match goal_type {
        GoalType::Daily => natural_start,
        GoalType::Weekly => natural_start + Duration::days(6),
        GoalType::Monthly => {
            let next = if natural_start.month() == 12 {
                NaiveDate::from_ymd_opt(natural_start.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(natural_start.year(), natural_start.month() + 1, 1)
            };
            next.map_or(natural_start, |n| n - Duration::days(1))
        }
        GoalType::Yearly => {
            NaiveDate::from_ymd_opt(natural_start.year(), 12, 31).unwrap_or(natural_start)
        }
    };
    let from = start.unwrap_or(natural_start);
    let to = due.unwrap_or(natural_end).max(from);
    (from, to)
}

/// How a goal is doing against its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// What should be done by now if the work were spread evenly over the period.
    pub expected: i32,
    pub on_track: bool,
    /// 0..=100 of the target.
    pub percent: u32,
    /// 0..=100 of the period elapsed.
    pub elapsed_percent: u32,
}

/// Pace at `now` (local) for `current` of `target` over the period `from..=to` (whole
/// days, each ending at midnight local time).
pub fn pace(
    current: i32,
    target: Option<i32>,
    from: NaiveDate,
    to: NaiveDate,
    now: NaiveDateTime,
) -> Option<Pace> {
    pace_since(current, target, from.and_hms_opt(0, 0, 0)?, to, now)
}

/// Pace counted from the instant `start` (a goal set mid-period expects nothing of
/// the time before it existed) to the end of day `to`.
pub fn pace_since(
    current: i32,
    target: Option<i32>,
    start: NaiveDateTime,
    to: NaiveDate,
    now: NaiveDateTime,
) -> Option<Pace> {
    let target = target.filter(|t| *t > 0)?;
    let end = (to + Duration::days(1)).and_hms_opt(0, 0, 0)?;
    let total = (end - start).num_seconds().max(1) as f64;
    let elapsed = ((now - start).num_seconds() as f64).clamp(0.0, total);
    let fraction = elapsed / total;
    let expected = (f64::from(target) * fraction).floor() as i32;
    Some(Pace {
        expected,
        on_track: current >= expected || current >= target,
        percent: ((i64::from(current.max(0)) * 100) / i64::from(target)).min(100) as u32,
        elapsed_percent: (fraction * 100.0).round() as u32,
    })
}

/// A period's progress as the pace chart draws it: the count over time from
/// the period's start to `now` (local instants), and the expected line.
#[derive(Debug, Clone, PartialEq)]
pub struct PaceSeries {
    /// The period: from its first midnight to the midnight after its last day.
    pub from: NaiveDateTime,
    pub end: NaiveDateTime,
    /// Where the expected line starts at zero: the period's start, or the
    /// goal's creation when it was set mid-period.
    pub expected_from: NaiveDateTime,
    pub target: i32,
    /// The count at each change, starting at `from` and ending at `now`.
    pub actual: Vec<(NaiveDateTime, i32)>,
}

impl PaceSeries {
    /// From the goal's count now and its recorded steps in the period (oldest
    /// first): what was counted before recording began shows at the start.
    pub fn new(
        (from, to): (NaiveDate, NaiveDate),
        created: NaiveDateTime,
        target: i32,
        current: i32,
        steps: &[(NaiveDateTime, i32)],
        now: NaiveDateTime,
    ) -> Option<PaceSeries> {
        let from_at = from.and_hms_opt(0, 0, 0)?;
        let end = (to + Duration::days(1)).and_hms_opt(0, 0, 0)?;
        let now = now.clamp(from_at, end);
        let steps: Vec<&(NaiveDateTime, i32)> = steps
            .iter()
            .filter(|(at, _)| *at >= from_at && *at <= now)
            .collect();
        let counted: i32 = steps.iter().map(|(_, d)| d).sum();
        let mut value = (current - counted).max(0);
        let mut actual = vec![(from_at, value)];
        for (at, delta) in steps {
            value = (value + delta).max(0);
            match actual.last_mut() {
                Some(last) if last.0 == *at => last.1 = value,
                _ => actual.push((*at, value)),
            }
        }
        if actual.last().is_some_and(|last| last.0 < now) {
            actual.push((now, value));
        }
        Some(PaceSeries {
            from: from_at,
            end,
            expected_from: created.clamp(from_at, end),
            target,
            actual,
        })
    }

    /// What the expected line says at `at`.
    pub fn expected_at(&self, at: NaiveDateTime) -> i32 {
        let total = (self.end - self.expected_from).num_seconds().max(1);
        let gone = (at - self.expected_from).num_seconds().clamp(0, total);
        (i64::from(self.target) * gone / total) as i32
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_streak_counts_closed_days_back_from_today_or_yesterday() {
        let d = |dd| NaiveDate::from_ymd_opt(2026, 12, dd).unwrap();
        assert_eq!(streak(&[d(4), d(3), d(2), d(30 - 29)], d(4)), 4);
        assert_eq!(streak(&[d(3), d(2)], d(4)), 2, "today not closed yet");
        assert_eq!(streak(&[d(4), d(2), d(1)], d(4)), 1, "a gap ends it");
        assert_eq!(streak(&[d(2), d(1)], d(4)), 0, "yesterday open: none");
        assert_eq!(streak(&[], d(4)), 0);
    }

    #[test]
    fn a_goal_set_mid_period_is_on_track_when_it_is_set() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        let set = d(2026, 12, 3).and_hms_opt(15, 0, 0).unwrap();
        let fresh = pace_since(0, Some(8), set, d(2026, 12, 6), set).unwrap();
        assert!(fresh.on_track && fresh.expected == 0, "{fresh:?}");
        // Half of the time left (Thu 15:00 → Mon 00:00 is 81 h) later: 4 of 8 expected.
        let later = set + Duration::minutes(81 * 30);
        let half = pace_since(3, Some(8), set, d(2026, 12, 6), later).unwrap();
        assert_eq!((half.expected, half.on_track), (4, false));
    }

    #[test]
    fn first_free_finds_the_earliest_gap_that_fits_on_a_quarter_hour() {
        let window = DaySpan::new(t("08:00"), t("18:00")).unwrap();
        let taken = [
            Span::new(t("08:00"), 90),
            Span::new(t("10:00"), 60),
            Span::new(t("11:30"), 45),
        ];
        // 09:30–10:00 is too short for an hour; 11:00–11:30 too; 12:15 is free.
        assert_eq!(first_free(window, 0, 60, &taken), Some(t("12:15")));
        assert_eq!(first_free(window, 0, 30, &taken), Some(t("09:30")));
        // Not before "now" (10:07 rounds up to 10:15, after the 10:00 block: 11:00).
        assert_eq!(
            first_free(window, 10 * 60 + 7, 30, &taken),
            Some(t("11:00"))
        );
        // Nothing fits past the end of the window.
        assert_eq!(first_free(window, 17 * 60 + 30, 45, &taken), None);
        assert_eq!(first_free(window, 0, 600, &taken), None);
    }

    use super::*;

    fn t(text: &str) -> TimeOfDay {
        TimeOfDay::parse(text).unwrap()
    }

    fn window() -> DaySpan {
        DaySpan::new(t("06:30"), t("21:30")).unwrap()
    }

    #[test]
    fn blocks_take_rows_from_the_window_start() {
        let placed = layout(
            window(),
            &[Span::new(t("06:30"), 90), Span::new(t("09:00"), 45)],
        );
        let first = placed[0].unwrap();
        assert_eq!(
            (first.row, first.rows, first.lane, first.overlaps),
            (1, 18, 1, false)
        );
        let second = placed[1].unwrap();
        assert_eq!((second.row, second.rows), (31, 9));
        assert_eq!(window_rows(window()), 180);
    }

    #[test]
    fn overlapping_blocks_sit_side_by_side_and_are_flagged() {
        let placed = layout(
            window(),
            &[
                Span::new(t("09:00"), 90),
                Span::new(t("10:00"), 60),
                Span::new(t("10:30"), 30),
                Span::new(t("12:00"), 30),
            ],
        );
        let lanes: Vec<u8> = placed.iter().map(|p| p.unwrap().lane).collect();
        assert_eq!(lanes, vec![1, 2, 1, 1]);
        let flagged: Vec<bool> = placed.iter().map(|p| p.unwrap().overlaps).collect();
        assert_eq!(
            flagged,
            vec![true, true, true, false],
            "10:30 starts when 09:00 ends but inside 10:00–11:00"
        );
    }

    #[test]
    fn blocks_outside_the_window_are_not_placed_and_edges_are_clipped() {
        let placed = layout(
            window(),
            &[
                Span::new(t("05:00"), 60),
                Span::new(t("06:00"), 90),
                Span::new(t("21:00"), 90),
            ],
        );
        assert_eq!(placed[0], None);
        let early = placed[1].unwrap();
        assert_eq!((early.row, early.rows, early.clipped), (1, 12, true));
        let late = placed[2].unwrap();
        assert_eq!((late.row, late.rows, late.clipped), (175, 6, true));
    }

    #[test]
    fn free_slots_are_the_untouched_ninety_minute_slots() {
        let slots = free_slots(
            window(),
            &[Span::new(t("08:00"), 90), Span::new(t("10:00"), 30)],
        );
        let starts: Vec<String> = slots.iter().map(|(s, _)| s.to_string()).collect();
        assert_eq!(
            starts,
            vec![
                "06:30", "11:00", "12:30", "14:00", "15:30", "17:00", "18:30", "20:00"
            ]
        );
        assert_eq!(
            free_slots(window(), &[]).len(),
            10,
            "ten slots in the default day"
        );
    }

    #[test]
    fn capacity_reads_in_hours() {
        let c = Capacity {
            booked: 330,
            capacity: 480,
        };
        assert_eq!((c.percent(), c.over()), (68, false));
        assert_eq!(Capacity::human(330), "5 h 30 min");
        assert!(
            Capacity {
                booked: 500,
                capacity: 480
            }
            .over()
        );
    }

    #[test]
    fn weeks_start_on_the_chosen_day() {
        let thursday = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(
            week_start(thursday, Weekday::Mon),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
        );
        assert_eq!(
            week_start(thursday, Weekday::Sun),
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
        );
        let sunday = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(
            week_start(sunday, Weekday::Mon),
            NaiveDate::from_ymd_opt(2026, 11, 16).unwrap()
        );
    }

    #[test]
    fn goal_periods_default_to_the_natural_period() {
        let today = NaiveDate::from_ymd_opt(2026, 2, 11).unwrap();
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(
            goal_period(GoalType::Monthly, None, None, today, Weekday::Mon),
            (d(2026, 2, 1), d(2026, 2, 28))
        );
        assert_eq!(
            goal_period(GoalType::Weekly, None, None, today, Weekday::Mon),
            (d(2026, 2, 9), d(2026, 2, 15))
        );
        assert_eq!(
            goal_period(GoalType::Yearly, None, None, today, Weekday::Mon),
            (d(2026, 1, 1), d(2026, 12, 31))
        );
        assert_eq!(
            goal_period(GoalType::Daily, None, None, today, Weekday::Mon),
            (today, today)
        );
        assert_eq!(
            goal_period(
                GoalType::Monthly,
                Some(d(2026, 12, 5)),
                None,
                today,
                Weekday::Mon
            ),
            (d(2026, 12, 5), d(2026, 12, 31))
        );
        assert_eq!(
            goal_period(
                GoalType::Weekly,
                Some(d(2026, 3, 1)),
                Some(d(2026, 3, 20)),
                today,
                Weekday::Mon
            ),
            (d(2026, 3, 1), d(2026, 3, 20))
        );
    }

    #[test]
    fn pace_compares_progress_with_the_time_gone() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        // Halfway through a 10-day period, 5 of 10 expected.
        let now = d(2026, 3, 6).and_hms_opt(0, 0, 0).unwrap();
        let behind = pace(3, Some(10), d(2026, 3, 1), d(2026, 3, 10), now).unwrap();
        assert_eq!(
            (
                behind.expected,
                behind.on_track,
                behind.percent,
                behind.elapsed_percent
            ),
            (5, false, 30, 50)
        );
        assert!(
            pace(5, Some(10), d(2026, 3, 1), d(2026, 3, 10), now)
                .unwrap()
                .on_track
        );
        assert!(
            pace(
                0,
                Some(10),
                d(2026, 3, 1),
                d(2026, 3, 10),
                d(2026, 3, 1).and_hms_opt(0, 0, 0).unwrap()
            )
            .unwrap()
            .on_track
        );
        assert_eq!(
            pace(3, None, d(2026, 3, 1), d(2026, 3, 10), now),
            None,
            "no target, no pace"
        );
        assert_eq!(
            pace(12, Some(10), d(2026, 3, 1), d(2026, 3, 10), now)
                .unwrap()
                .percent,
            100
        );
    }
    #[test]
    fn a_weekly_goal_set_on_thursday_expects_from_thursday() {
        use super::PaceSeries;
        let d = |dd| NaiveDate::from_ymd_opt(2026, 12, dd).unwrap();
        let at = |dd, h| d(dd).and_hms_opt(h, 0, 0).unwrap();
        // Week Mon Nov 30 – Sun Dec 6; goal of 4 set Thursday 00:00; one
        // counted before recording began, then +1 Thu 10:00, +1 and −1 Fri.
        let steps = [(at(3, 10), 1), (at(4, 9), 1), (at(4, 11), -1)];
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let series = PaceSeries::new((monday, d(6)), at(3, 0), 4, 2, &steps, at(5, 12)).unwrap();
        assert_eq!(series.expected_from, at(3, 0));
        assert_eq!(
            series.actual,
            [
                (monday.and_hms_opt(0, 0, 0).unwrap(), 1),
                (at(3, 10), 2),
                (at(4, 9), 3),
                (at(4, 11), 2),
                (at(5, 12), 2)
            ]
        );
        // Four days from Thursday to the end: halfway by Saturday 00:00.
        assert_eq!(series.expected_at(at(5, 0)), 2);
        assert_eq!(series.expected_at(at(2, 0)), 0, "nothing before it existed");
        assert_eq!(series.expected_at(series.end), 4);
    }
}

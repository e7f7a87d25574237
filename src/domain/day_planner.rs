//! "Plan my day": where the day's free time goes. Deterministic rules, no outside
//! service: urgent work first; then, in the person's best hours, the work that
//! needs the most energy (deep work in a morning person's mornings, light work in
//! theirs afternoons), each into the first free time that fits it; a 15-minute
//! break after three hours of work in a row. What fits nowhere is said so.

use serde::{Deserialize, Serialize};

use super::plan::{Span, first_free};
use super::{DaySpan, EnergyLevel, Priority, TimeOfDay};

/// When a person does their best work (a preference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BestHours {
    #[default]
    Morning,
    Afternoon,
}

impl BestHours {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "morning" => Some(BestHours::Morning),
            "afternoon" => Some(BestHours::Afternoon),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BestHours::Morning => "morning",
            BestHours::Afternoon => "afternoon",
        }
    }
}

/// A piece of work the day could hold, in the order the caller found it (the
/// order breaks ties).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want {
    pub minutes: u16,
    pub energy: EnergyLevel,
    pub priority: Priority,
}

/// What the plan proposes, in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proposal {
    /// Want number `want` at `start`.
    Block { want: usize, start: TimeOfDay },
    /// A break after a long run of work.
    Break { start: TimeOfDay, minutes: u16 },
}

impl Proposal {
    pub fn start(&self) -> TimeOfDay {
        match *self {
            Proposal::Block { start, .. } | Proposal::Break { start, .. } => start,
        }
    }
}

/// Work in a row longer than this earns a break.
pub const RUN_MINUTES: u16 = 180;
pub const BREAK_MINUTES: u16 = 15;

/// The proposals for the free time of `window` from minute `from`, around the
/// blocks already `taken`; and the wants that fit nowhere.
pub fn plan_day(
    window: DaySpan,
    from: u16,
    taken: &[Span],
    wants: &[Want],
    best: BestHours,
) -> (Vec<Proposal>, Vec<usize>) {
    let energy_rank = |energy: EnergyLevel| match (best, energy) {
        (BestHours::Morning, EnergyLevel::DeepWork)
        | (BestHours::Afternoon, EnergyLevel::Light) => 0,
        (_, EnergyLevel::Moderate) => 1,
        _ => 2,
    };
    let mut order: Vec<usize> = (0..wants.len()).collect();
    order.sort_by_key(|&i| {
        let want = wants[i];
        (
            want.priority != Priority::Urgent,
            energy_rank(want.energy),
            std::cmp::Reverse(want.priority),
            i,
        )
    });
    let mut busy: Vec<Span> = taken.to_vec();
    let mut work: Vec<Span> = taken.to_vec();
    let mut proposals = Vec::new();
    let mut unplaced = Vec::new();
    for i in order {
        let minutes = wants[i].minutes;
        let Some(start) = first_free(window, from, minutes, &busy) else {
            unplaced.push(i);
            continue;
        };
        let span = Span::new(start, minutes);
        busy.push(span);
        work.push(span);
        proposals.push(Proposal::Block { want: i, start });
        if run_ending_at(&work, span) >= RUN_MINUTES {
            let rest = Span {
                start: span.end(),
                minutes: BREAK_MINUTES,
            };
            let free = !busy.iter().any(|s| s.overlaps(rest));
            if let (true, Some(at)) = (free, TimeOfDay::from_minutes(rest.start))
                && rest.end() <= window.end.minutes()
            {
                busy.push(rest);
                proposals.push(Proposal::Break {
                    start: at,
                    minutes: BREAK_MINUTES,
                });
            }
        }
    }
    proposals.sort_by_key(Proposal::start);
    unplaced.sort_unstable();
    (proposals, unplaced)
}

/// The most intentions a plan proposes from a weekly note.
pub const MAX_INTENTIONS: usize = 5;

/// A weekly note's intentions as block titles: one per line, list marks
/// ("- ", "* ", "• ", "1. ") taken off, blank lines skipped, each cut to the
/// 200 characters a title holds, at most `MAX_INTENTIONS`.
pub fn intentions(note: &str) -> Vec<String> {
    note.lines()
        .map(|line| {
            let line = line.trim();
            let line = line
                .strip_prefix(['-', '*', '•'])
                .unwrap_or_else(|| {
                    let digits = line.trim_start_matches(|c: char| c.is_ascii_digit());
                    match digits.strip_prefix(['.', ')']) {
                        Some(rest) if digits.len() < line.len() => rest,
                        _ => line,
                    }
                })
                .trim();
            line.chars().take(200).collect::<String>()
        })
        .filter(|line| !line.is_empty())
        .take(MAX_INTENTIONS)
        .collect()
}

/// The length of a block proposed for `owed` minutes of work: all of it up to
/// a 90-minute block, in 15-minute steps, at least 30 minutes.
pub fn block_for(owed: i64) -> u16 {
    let rounded = (owed.clamp(30, 90) + 14) / 15 * 15;
    u16::try_from(rounded.min(90)).unwrap_or(90)
}

/// Minutes of work back to back that end with `last`.
fn run_ending_at(work: &[Span], last: Span) -> u16 {
    let mut run = last.minutes;
    let mut cursor = last.start;
    while let Some(before) = work.iter().find(|s| s.end() == cursor && s.minutes > 0) {
        run += before.minutes;
        cursor = before.start;
        if run > 24 * 60 {
            break;
        }
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> TimeOfDay {
        TimeOfDay::parse(text).unwrap()
    }

    fn hours() -> DaySpan {
        DaySpan::new(t("09:00"), t("17:00")).unwrap()
    }

    fn want(minutes: u16, energy: EnergyLevel, priority: Priority) -> Want {
        Want {
            minutes,
            energy,
            priority,
        }
    }

    fn starts(proposals: &[Proposal]) -> Vec<String> {
        proposals
            .iter()
            .map(|p| match p {
                Proposal::Block { want, start } => format!("{start} #{want}"),
                Proposal::Break { start, minutes } => format!("{start} break {minutes}"),
            })
            .collect()
    }

    #[test]
    fn urgent_first_then_deep_work_in_a_morning_persons_morning() {
        let wants = [
            want(60, EnergyLevel::Light, Priority::Medium),
            want(90, EnergyLevel::DeepWork, Priority::Medium),
            want(30, EnergyLevel::Light, Priority::Urgent),
        ];
        let (plan, none) = plan_day(hours(), 0, &[], &wants, BestHours::Morning);
        // Three hours in a row end with a break.
        assert_eq!(
            starts(&plan),
            ["09:00 #2", "09:30 #1", "11:00 #0", "12:00 break 15"]
        );
        assert!(none.is_empty());
        let (plan, _) = plan_day(hours(), 0, &[], &wants, BestHours::Afternoon);
        assert_eq!(
            starts(&plan),
            ["09:00 #2", "09:30 #0", "10:30 #1", "12:00 break 15"]
        );
    }

    #[test]
    fn existing_blocks_and_the_clock_are_worked_around() {
        let taken = [Span::new(t("10:00"), 60)];
        let wants = [want(90, EnergyLevel::DeepWork, Priority::High)];
        // At 09:10 nothing fits before 10:00: after the block.
        let (plan, _) = plan_day(hours(), 9 * 60 + 10, &taken, &wants, BestHours::Morning);
        assert_eq!(starts(&plan), ["11:00 #0"]);
    }

    #[test]
    fn a_break_after_three_hours_in_a_row_and_what_fits_nowhere_is_named() {
        let wants = [
            want(90, EnergyLevel::DeepWork, Priority::High),
            want(90, EnergyLevel::DeepWork, Priority::Medium),
            want(120, EnergyLevel::Moderate, Priority::Medium),
            want(240, EnergyLevel::Light, Priority::Low),
        ];
        let (plan, none) = plan_day(hours(), 0, &[], &wants, BestHours::Morning);
        assert_eq!(
            starts(&plan),
            ["09:00 #0", "10:30 #1", "12:00 break 15", "12:15 #2"]
        );
        assert_eq!(none, [3], "four hours fit nowhere after that");
    }
    #[test]
    fn intentions_are_the_notes_lines_without_list_marks() {
        let note = "- Ship the Northwind beta\n\n* Call Harbor Books \n1. Write two posts\n2) Invoice\n• Rest\n42\nSixth";
        assert_eq!(
            intentions(note),
            [
                "Ship the Northwind beta",
                "Call Harbor Books",
                "Write two posts",
                "Invoice",
                "Rest"
            ]
        );
        assert_eq!(intentions("42"), ["42"], "a number alone is a line");
        assert!(intentions(" \n - \n").is_empty());
        assert_eq!(intentions(&"x".repeat(300))[0].chars().count(), 200);
    }

    #[test]
    fn a_proposed_block_covers_what_is_owed_up_to_ninety_minutes() {
        assert_eq!(block_for(10), 30);
        assert_eq!(block_for(40), 45);
        assert_eq!(block_for(60), 60);
        assert_eq!(block_for(6 * 60), 90);
    }
}

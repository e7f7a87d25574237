//! An RFC 5545 iCalendar document of scheduled blocks, for calendar apps to
//! subscribe to. Times are written in UTC (`…Z`), converted from the user's zone
//! with its DST rules, so every app shows the right instant without VTIMEZONE data.
//! Written here rather than with the `icalendar` crate: the feed needs six
//! properties, escaping and line folding (tested below, including folds that must
//! not split a UTF-8 character), which is less code than mapping onto that crate's
//! property model, and it keeps the domain free of I/O and extra dependencies.

use chrono::{DateTime, NaiveDate, Utc};

/// One block as a calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub uid: String,
    pub when: When,
    pub summary: String,
    pub description: Option<String>,
    pub category: String,
    pub done: bool,
    pub updated: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// A timed block: its start and end instants.
    Timed {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
    /// A block with a day but no start time: an all-day entry.
    Day(NaiveDate),
}

/// Escapes TEXT values (RFC 5545 §3.3.11).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets, never inside a UTF-8 character (§3.1).
fn push_line(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The whole calendar.
pub fn calendar(name: &str, zone: &str, events: &[Event], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |text: String| push_line(&mut out, &text);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//LAUF OS//Command Center//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    line(format!("X-WR-TIMEZONE:{}", escape(zone)));
    line("REFRESH-INTERVAL;VALUE=DURATION:PT1H".into());
    for event in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape(&event.uid)));
        line(format!("DTSTAMP:{}", stamp(now)));
        line(format!("LAST-MODIFIED:{}", stamp(event.updated)));
        match event.when {
            When::Timed { start, end } => {
                line(format!("DTSTART:{}", stamp(start)));
                line(format!("DTEND:{}", stamp(end)));
            }
            When::Day(day) => {
                line(format!("DTSTART;VALUE=DATE:{}", day.format("%Y%m%d")));
                line(format!(
                    "DTEND;VALUE=DATE:{}",
                    (day + chrono::Duration::days(1)).format("%Y%m%d")
                ));
            }
        }
        let summary = if event.done {
            format!("✓ {}", event.summary)
        } else {
            event.summary.clone()
        };
        line(format!("SUMMARY:{}", escape(&summary)));
        if let Some(description) = &event.description {
            line(format!("DESCRIPTION:{}", escape(description)));
        }
        line(format!("CATEGORIES:{}", escape(&event.category)));
        line("TRANSP:OPAQUE".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn long_lines_fold_at_75_octets_on_character_boundaries() {
        let mut out = String::new();
        push_line(&mut out, &format!("SUMMARY:{}", "é".repeat(60)));
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets", line.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("SUMMARY:{}\r\n", "é".repeat(60)));
    }

    #[test]
    fn a_calendar_has_the_required_properties() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let event = Event {
            uid: "abc@lauf".into(),
            when: When::Timed {
                start: now,
                end: now + chrono::Duration::minutes(90),
            },
            summary: "Deep work, part 1".into(),
            description: None,
            category: "CODE".into(),
            done: false,
            updated: now,
        };
        let ics = calendar("LAUF OS", "Europe/Berlin", &[event], now);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        for needle in [
            "DTSTART:20261122T120000Z",
            "DTEND:20261122T133000Z",
            "SUMMARY:Deep work\\, part 1",
            "DTSTAMP:",
        ] {
            assert!(ics.contains(needle), "{needle}");
        }
        assert!(
            !ics.replace("\r\n", "").contains('\n'),
            "every line ends in CRLF"
        );
    }
}

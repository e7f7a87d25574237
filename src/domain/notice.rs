//! A status message: what an action did, in words a person uses, with the Undo
//! that reverses it when there is one. Shown in the page's status region (htmx
//! swaps it in; a plain form carries it across its redirect in a cookie).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::paths::safe_next;
use super::{TimeOfDay, UndoId};

/// The longest message kept; a long block title is cut to fit.
const MAX_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub text: String,
    /// The action "Undo" reverses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<UndoId>,
    /// Where Undo comes back to (a local path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back: Option<String>,
}

impl Notice {
    pub fn new(text: impl Into<String>) -> Self {
        let text: String = text.into();
        let text = if text.chars().count() > MAX_CHARS {
            let mut cut: String = text.chars().take(MAX_CHARS - 1).collect();
            cut.push('…');
            cut
        } else {
            text
        };
        Notice {
            text,
            undo: None,
            back: None,
        }
    }

    /// Offers Undo of `id`, coming back to `back` afterwards.
    pub fn with_undo(mut self, id: UndoId, back: &str) -> Self {
        self.undo = Some(id);
        self.back = Some(safe_next(Some(back)));
        self
    }

    /// The cookie value that carries the notice across a redirect.
    pub fn to_cookie(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// A notice from a cookie; anything malformed, empty or oversized is no notice.
    pub fn from_cookie(value: &str) -> Option<Notice> {
        let notice: Notice = serde_urlencoded::from_str(value).ok()?;
        let fits = !notice.text.trim().is_empty() && notice.text.chars().count() <= MAX_CHARS;
        fits.then(|| Notice {
            back: notice.back.as_deref().map(|b| safe_next(Some(b))),
            ..notice
        })
    }

    /// Where Undo comes back to.
    pub fn back(&self) -> &str {
        self.back.as_deref().unwrap_or("/")
    }
}

/// Where a block now is, as a sentence ends: "today at 14:00", "tomorrow",
/// "Fri Dec 11 at 09:00", "the backlog".
pub fn place(date: Option<NaiveDate>, time: Option<TimeOfDay>, today: NaiveDate) -> String {
    let Some(date) = date else {
        return "the backlog".into();
    };
    let day = match (date - today).num_days() {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        -1 => "yesterday".to_string(),
        _ if date.year() == today.year() => date.format("%a %b %-d").to_string(),
        _ => date.format("%a %b %-d, %Y").to_string(),
    };
    match time {
        Some(time) => format!("{day} at {time}"),
        None => day,
    }
}

/// "1 block" / "3 blocks".
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_survives_its_cookie() {
        let notice = Notice::new("Done: Write the “Q4” proposal & send; 100%")
            .with_undo(UndoId::generate(), "/?date=2026-12-04");
        assert_eq!(Notice::from_cookie(&notice.to_cookie()), Some(notice));
    }

    #[test]
    fn a_forged_cookie_cannot_point_undo_elsewhere_or_flood_the_page() {
        let id = UndoId::generate();
        let forged = format!("text=Hi&undo={id}&back=https%3A%2F%2Fevil.example%2F");
        assert_eq!(Notice::from_cookie(&forged).unwrap().back(), "/");
        let long = format!("text={}", "a".repeat(MAX_CHARS + 1));
        assert_eq!(Notice::from_cookie(&long), None);
        assert_eq!(Notice::from_cookie("undo=not-an-id&text=x"), None);
        assert_eq!(Notice::from_cookie("text=+"), None);
    }

    #[test]
    fn places_read_as_a_person_says_them() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let nine = TimeOfDay::parse("09:00").ok();
        assert_eq!(place(Some(today), nine, today), "today at 09:00");
        assert_eq!(place(today.succ_opt(), None, today), "tomorrow");
        let later = NaiveDate::from_ymd_opt(2026, 12, 11);
        assert_eq!(place(later, nine, today), "Fri Dec 11 at 09:00");
        let next_year = NaiveDate::from_ymd_opt(2027, 1, 8);
        assert_eq!(place(next_year, None, today), "Fri Jan 8, 2027");
        assert_eq!(place(None, nine, today), "the backlog");
    }

    #[test]
    fn long_texts_are_cut() {
        let notice = Notice::new("x".repeat(500));
        assert_eq!(notice.text.chars().count(), MAX_CHARS);
        assert!(notice.text.ends_with('…'));
    }
}

//! A status message: what an action did, in words a person uses, with the Undo
//! that reverses it when there is one. Shown in the page's status region (htmx
//! swaps it in; a plain form carries it across its redirect in a cookie).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::paths::safe_next;
use super::{BlockMinutes, TaskId, TaskStatus, TimeOfDay, UndoId};

/// The longest message kept; a long block title is cut to fit.
const MAX_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub text: String,
    /// Where Undo posts: `/undo/{id}` for what needs a stored record (a delete,
    /// a carry-over), or the block's own `/status` or `/move` with the fields
    /// below for what the same action reverses (a completion, a move): those
    /// write nothing more on their way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<String>,
    /// Where Undo comes back to (a local path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<String>,
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
            status: None,
            when: None,
            date: None,
            time: None,
            minutes: None,
        }
    }

    /// Offers Undo of the stored record `id`, coming back to `back` afterwards.
    pub fn with_undo(mut self, id: UndoId, back: &str) -> Self {
        self.undo = Some(format!("/undo/{id}"));
        self.back = Some(safe_next(Some(back)));
        self
    }

    /// Offers Undo of a status change: the block's status as it was.
    pub fn with_undo_status(mut self, task: &TaskId, was: TaskStatus, back: &str) -> Self {
        self.undo = Some(format!("/tasks/{task}/status"));
        self.status = Some(was.as_str().to_string());
        self.back = Some(safe_next(Some(back)));
        self
    }

    /// Offers Undo of a move: the block's day, start and length as they were.
    pub fn with_undo_place(
        mut self,
        task: &TaskId,
        (date, time, minutes): (Option<NaiveDate>, Option<TimeOfDay>, BlockMinutes),
        back: &str,
    ) -> Self {
        self.undo = Some(format!("/tasks/{task}/move"));
        match date {
            Some(date) => {
                self.date = Some(date.to_string());
                self.time = Some(time.map(|t| t.to_string()).unwrap_or_default());
            }
            None => self.when = Some("backlog".into()),
        }
        self.minutes = Some(minutes.get().to_string());
        self.back = Some(safe_next(Some(back)));
        self
    }

    /// The Undo form's fields besides the CSRF token and `return_to`.
    pub fn undo_fields(&self) -> Vec<(&'static str, &str)> {
        [
            ("status", &self.status),
            ("when", &self.when),
            ("date", &self.date),
            ("time", &self.time),
            ("minutes", &self.minutes),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
        .collect()
    }

    /// The cookie value that carries the notice across a redirect.
    pub fn to_cookie(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// A notice from a cookie; anything malformed, empty or oversized is no
    /// notice, and an Undo that is not one of ours is dropped.
    pub fn from_cookie(value: &str) -> Option<Notice> {
        let mut notice: Notice = serde_urlencoded::from_str(value).ok()?;
        let fits = !notice.text.trim().is_empty() && notice.text.chars().count() <= MAX_CHARS;
        if !fits {
            return None;
        }
        let fields_fit = notice.undo_fields().iter().all(|(_, v)| v.len() <= 40);
        if !notice.undo.as_deref().is_some_and(is_undo_action) || !fields_fit {
            notice = Notice {
                undo: None,
                ..Notice::new(notice.text)
            };
        }
        notice.back = notice.back.as_deref().map(|b| safe_next(Some(b)));
        Some(notice)
    }

    /// Where Undo comes back to.
    pub fn back(&self) -> &str {
        self.back.as_deref().unwrap_or("/")
    }
}

/// `/undo/{id}`, `/tasks/{id}/status` or `/tasks/{id}/move`, with real ids.
fn is_undo_action(path: &str) -> bool {
    if let Some(id) = path.strip_prefix("/undo/") {
        return UndoId::parse(id).is_ok();
    }
    let Some(rest) = path.strip_prefix("/tasks/") else {
        return false;
    };
    match rest.split_once('/') {
        Some((id, "status" | "move")) => TaskId::parse(id).is_ok(),
        _ => false,
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
        let done =
            Notice::new("Done: x").with_undo_status(&TaskId::generate(), TaskStatus::Todo, "/");
        assert_eq!(Notice::from_cookie(&done.to_cookie()), Some(done));
    }

    #[test]
    fn undo_of_a_move_carries_the_place_it_had() {
        let task = TaskId::generate();
        let nine = TimeOfDay::parse("09:00").ok();
        let day = NaiveDate::from_ymd_opt(2026, 12, 4);
        let notice =
            Notice::new("Moved").with_undo_place(&task, (day, nine, BlockMinutes::DEFAULT), "/");
        let back = Notice::from_cookie(&notice.to_cookie()).unwrap();
        assert_eq!(back.undo, Some(format!("/tasks/{task}/move")));
        assert_eq!(
            back.undo_fields(),
            [("date", "2026-12-04"), ("time", "09:00"), ("minutes", "90")]
        );
        let backlog =
            Notice::new("Moved").with_undo_place(&task, (None, None, BlockMinutes::DEFAULT), "/");
        assert_eq!(
            backlog.undo_fields(),
            [("when", "backlog"), ("minutes", "90")]
        );
    }

    #[test]
    fn a_forged_cookie_cannot_point_undo_elsewhere_or_flood_the_page() {
        let id = UndoId::generate();
        let forged = format!("text=Hi&undo=%2Fundo%2F{id}&back=https%3A%2F%2Fevil.example%2F");
        assert_eq!(Notice::from_cookie(&forged).unwrap().back(), "/");
        for elsewhere in [
            "%2Flogout",
            "%2Fsettings",
            "%2Ftasks%2Fnot-an-id%2Fmove",
            "%2Fundo%2Fx",
        ] {
            let forged = format!("text=Hi&undo={elsewhere}&status=DONE");
            let notice = Notice::from_cookie(&forged).unwrap();
            assert_eq!((notice.undo, notice.status), (None, None), "{elsewhere}");
        }
        let long = format!("text={}", "a".repeat(MAX_CHARS + 1));
        assert_eq!(Notice::from_cookie(&long), None);
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

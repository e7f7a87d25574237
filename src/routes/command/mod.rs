//! The Command Center: the day builder, blocks, the activity catalog, goals, the week
//! view, the tasks list and the calendar feed.

pub mod activities;
pub mod day;
pub mod feed;
pub mod forms;
pub mod goals;
pub mod list;
pub mod tasks;
pub mod week;

use actix_web::{HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime, Weekday};

use crate::auth::CurrentUser;
use crate::db::models::goals::Goal;
use crate::db::models::tasks::TaskRow;
use crate::domain::plan::{self, Pace, Placement};
use crate::domain::*;
use crate::web::{is_htmx, safe_next};

/// A block as every view shows it.
#[derive(Debug, Clone)]
pub struct BlockView {
    pub id: TaskId,
    pub title: String,
    pub description: Option<String>,
    pub category: TaskCategory,
    pub priority: Priority,
    pub status: TaskStatus,
    pub energy: EnergyLevel,
    pub date: Option<NaiveDate>,
    pub time: Option<TimeOfDay>,
    pub minutes: BlockMinutes,
    pub project_id: Option<ProjectId>,
    pub project_name: Option<String>,
    pub client_name: Option<String>,
    pub goal_title: Option<String>,
    /// Grid classes when placed on a timeline (`r-31 h-18 lane-1`).
    pub grid: String,
    pub overlaps: bool,
    /// The block's context files (on the day plan).
    pub files: Vec<crate::db::models::assets::LinkedFile>,
}

impl BlockView {
    pub fn from_row(row: &TaskRow) -> Self {
        let t = &row.task;
        BlockView {
            id: t.id.clone(),
            title: t.title.clone(),
            description: t.description.clone(),
            category: t.category,
            priority: t.priority,
            status: t.status,
            energy: t.energy_level,
            date: t.scheduled_date,
            time: t.scheduled_time,
            minutes: t.time_block_minutes,
            project_id: t.project_id.clone(),
            project_name: row.project_name.clone(),
            client_name: row.client_name.clone(),
            goal_title: row.goal_title.clone(),
            grid: String::new(),
            overlaps: false,
            files: Vec::new(),
        }
    }

    pub fn placed(mut self, placement: Placement) -> Self {
        self.grid = format!(
            "r-{} h-{} lane-{}",
            placement.row,
            placement.rows,
            placement.lane.min(4)
        );
        self.overlaps = placement.overlaps;
        self
    }

    pub fn is_done(&self) -> bool {
        self.status == TaskStatus::Done
    }

    pub fn is(&self, status: &str) -> bool {
        self.status.as_str() == status
    }

    /// `09:00–10:30`, or the length alone for a block without a start time.
    pub fn time_label(&self) -> String {
        match self.time {
            Some(start) => {
                let end_minutes = start.minutes() + self.minutes.get();
                let end =
                    TimeOfDay::from_minutes(end_minutes % (24 * 60)).unwrap_or(TimeOfDay::MIDNIGHT);
                format!("{start}–{end}")
            }
            None => "Anytime".into(),
        }
    }

    pub fn short(&self) -> bool {
        self.minutes.get() < 45
    }
}

/// A goal card: progress and pace.
#[derive(Debug, Clone)]
pub struct GoalCard {
    pub goal: Goal,
    pub pace: Option<Pace>,
    pub period: (NaiveDate, NaiveDate),
}

impl GoalCard {
    pub fn new(
        goal: Goal,
        today: NaiveDate,
        now_local: NaiveDateTime,
        week_starts_on: Weekday,
    ) -> Self {
        let period = plan::goal_period(
            goal.goal_type,
            goal.start_date,
            goal.due_date,
            today,
            week_starts_on,
        );
        let pace = plan::pace(
            goal.current_value,
            goal.target_value,
            period.0,
            period.1,
            now_local,
        );
        GoalCard { goal, pace, period }
    }

    pub fn done(&self) -> bool {
        self.goal.completed_at.is_some()
    }

    pub fn percent(&self) -> u32 {
        self.pace.map_or(0, |p| p.percent)
    }

    /// Width class of the progress bar, in steps of 5 %.
    pub fn bar(&self) -> String {
        format!("w-{}", (self.percent() / 5) * 5)
    }

    /// `3 of 10`.
    pub fn progress(&self) -> String {
        match self.goal.target_value {
            Some(target) => format!("{} of {}", self.goal.current_value, target),
            None => format!("{} done", self.goal.current_value),
        }
    }

    /// `On track: 5 expected by now` or `Behind: 5 expected by now`.
    pub fn pace_label(&self) -> String {
        match (self.done(), self.pace) {
            (true, _) => "Completed".into(),
            (false, Some(p)) if p.on_track => format!("On track · {} expected by now", p.expected),
            (false, Some(p)) => format!("Behind · {} expected by now", p.expected),
            (false, None) => "No target".into(),
        }
    }

    pub fn on_track(&self) -> bool {
        self.done() || self.pace.is_none_or(|p| p.on_track)
    }
}

/// The user's local "today" and wall-clock time.
pub fn local_now(
    user: &CurrentUser,
    now: chrono::DateTime<chrono::Utc>,
) -> (NaiveDate, NaiveDateTime) {
    let local = now.with_timezone(&user.user.timezone.tz()).naive_local();
    (local.date(), local)
}

/// Goal cards, open goals first, by type in PRODUCT.md order.
pub fn goal_cards(
    goals: Vec<Goal>,
    user: &CurrentUser,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<GoalCard> {
    let (today, now_local) = local_now(user, now);
    let week = user.user.preferences.0.week_starts_on.weekday();
    let rank = |t: GoalType| GoalType::ALL.iter().position(|x| *x == t).unwrap_or(0);
    let mut cards: Vec<GoalCard> = goals
        .into_iter()
        .map(|g| GoalCard::new(g, today, now_local, week))
        .collect();
    cards.sort_by_key(|c| (c.done(), rank(c.goal.goal_type), c.period.1));
    cards
}

/// Where a form came from, to go back to: our own paths only.
pub fn return_path(raw: &str, fallback: &str) -> String {
    let path = safe_next(Some(raw.trim()).filter(|s| !s.is_empty()));
    if path == "/" && raw.trim().is_empty() {
        fallback.to_string()
    } else {
        path
    }
}

/// The day a return path shows (`/?date=…`), if any.
pub fn date_in(path: &str) -> Option<NaiveDate> {
    let query = path.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == "date" || key == "week")
            .then(|| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())
            .flatten()
    })
}

/// Which part of the page an htmx request asked to replace.
pub fn htmx_target(req: &HttpRequest) -> Option<String> {
    if !is_htmx(req) {
        return None;
    }
    req.headers()
        .get("HX-Target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// After a change: for htmx, a full reload of `path` via `HX-Redirect`; otherwise 303.
pub fn back_to(req: &HttpRequest, path: &str) -> HttpResponse {
    crate::web::see_other(req, path)
}

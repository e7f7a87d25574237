//! What the day page (`/`) reads, for one user at one data version: eight
//! statements, run only when the per-user cache (`crate::cache::DayCache`) does
//! not hold that version yet.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

use super::AnyConnection;
use super::models::activities::{self, Activity};
use super::models::assets::{self, LinkedFile};
use super::models::clients::{self, AttentionClient};
use super::models::closings::{self, Closing};
use super::models::goals::{self, Goal};
use super::models::insight;
use super::models::projects::{self, DueProject};
use super::models::routines;
use super::models::tasks::{self, Task, TaskRow};
use super::models::users::User;
use crate::domain::insight::{RetainerHours, month_start, next_month};
use crate::domain::plan;
use crate::domain::{TaskId, UserId};

/// What the day page's reads depend on besides the user's data: the week shown,
/// the day in it, and today (the carry-over and what needs attention).
#[derive(Debug, Clone, PartialEq)]
pub struct DayKey {
    pub week_start: NaiveDate,
    pub day: NaiveDate,
    pub today: NaiveDate,
    /// The end of the user's today in UTC: follow-ups due by then need attention.
    pub due_by: NaiveDateTime,
}

impl DayKey {
    pub fn new(user: &User, day: NaiveDate, today: NaiveDate) -> DayKey {
        let prefs = &user.preferences.0;
        DayKey {
            week_start: plan::week_start(day, prefs.week_starts_on.weekday()),
            day,
            today,
            due_by: user.timezone.end_of_day(today),
        }
    }
}

/// How many of the earlier days' unfinished blocks the carry-over card lists.
pub const CARRY_OVER_LISTED: i64 = 8;

/// Everything the day page reads from the database.
pub struct DayData {
    /// The blocks of the week around the day, in order.
    pub rows: Vec<TaskRow>,
    pub backlog: Vec<TaskRow>,
    /// The note the last closed day left (on today's page only).
    pub morning_note: Option<Closing>,
    /// Whether the day itself was closed with the daily shutdown.
    pub closed: bool,
    /// Unfinished blocks of earlier days (on today's page only), oldest first.
    pub carry_over: Vec<Task>,
    /// How many there are in all (the card lists the oldest few).
    pub carry_over_total: i64,
    /// The files linked to the day's blocks.
    pub files: HashMap<TaskId, Vec<LinkedFile>>,
    pub goals: Vec<Goal>,
    pub catalog: Vec<Activity>,
    pub attention_clients: Vec<AttentionClient>,
    pub projects_due: Vec<DueProject>,
    /// Clients with retainer hours: covered, delivered and scheduled this month.
    pub retainers: Vec<(insight::ClientTerms, RetainerHours)>,
    /// Routine blocks of the week not made yet, or a repeating goal's period to
    /// close: `prepare` writes them, then the page is read again (never cached).
    pub pending: bool,
}

impl DayData {
    pub fn load(
        conn: &mut AnyConnection,
        user: &UserId,
        key: &DayKey,
    ) -> diesel::QueryResult<Self> {
        let week_end = key.week_start + Duration::days(6);
        let rows = tasks::in_range(conn, user, key.week_start, week_end)?;
        let backlog = tasks::backlog(conn, user, 50)?;
        let (carry_over, carry_over_total) = if key.day == key.today {
            let listed = tasks::unfinished_before(conn, user, key.today, CARRY_OVER_LISTED)?;
            let total = if (listed.len() as i64) < CARRY_OVER_LISTED {
                listed.len() as i64
            } else {
                tasks::count_unfinished_before(conn, user, key.today)?
            };
            (listed, total)
        } else {
            (Vec::new(), 0)
        };
        // The files each block of the day needs, in one statement (none when it is empty).
        let ids: Vec<&TaskId> = rows
            .iter()
            .filter(|r| r.task.scheduled_date == Some(key.day))
            .map(|r| &r.task.id)
            .collect();
        let files = assets::linked_to_tasks(conn, user, &ids)?;
        let mut week = closings::week_up_to(conn, user, key.day)?;
        let closed = week.first().is_some_and(|c| c.day == key.day);
        let morning_note = if key.day == key.today {
            week.retain(|c| c.day < key.day);
            week.into_iter().next().filter(|c| c.note.is_some())
        } else {
            None
        };
        let goals = goals::list_for_user(conn, user)?;
        let pending = goals::needs_roll_over(&goals, key.today, key.week_start.weekday()) || {
            let known: Vec<&Task> = rows.iter().map(|r| &r.task).collect();
            !routines::wanted(conn, user, key.week_start, week_end, key.today, &known)?.is_empty()
        };
        Ok(DayData {
            pending,
            morning_note,
            closed,
            rows,
            backlog,
            carry_over,
            carry_over_total,
            files,
            goals,
            catalog: activities::list_active(conn, user)?,
            attention_clients: clients::needing_attention(conn, user, key.due_by)?,
            projects_due: projects::due_by(conn, user, key.today + Duration::days(7))?,
            retainers: insight::capacities(
                conn,
                user,
                key.today,
                (month_start(key.today), next_month(key.today)),
            )?,
        })
    }
}

/// What a page showing `from..=to` writes first: the routine blocks of those days
/// not made yet (from `today` on) and the finished periods of repeating goals.
/// Whether anything was written. Run with the user's write lock.
pub fn prepare(
    conn: &mut AnyConnection,
    user: &UserId,
    (from, to): (NaiveDate, NaiveDate),
    today: NaiveDate,
    week_start: chrono::Weekday,
    now: NaiveDateTime,
) -> diesel::QueryResult<bool> {
    let made = routines::materialize(conn, user, from, to, today, now)?;
    let rolled = goals::roll_over(conn, user, today, week_start, now)?;
    Ok(made > 0 || rolled)
}

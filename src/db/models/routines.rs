//! `routines`: repeating blocks. A routine holds the pattern and what its blocks
//! are (title, category, length, start, links); its blocks are made lazily by
//! `materialize`, one per day it falls on, the first time a page shows that day
//! from today on. Each block remembers its routine day (`tasks.routine_date`), so
//! a block moved elsewhere is not made again, and a deleted one leaves a skip.
//!
//! Editing a block of a routine applies to "this one" (the block alone) or "this
//! and following" (`edit_following`: the routine is split at that day and the
//! not-done blocks after it are made again from the new pattern).

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::tasks::{self, Task};
use crate::db::AnyConnection;
use crate::db::schema::{routine_skips, routines, tasks as tasks_table};
use crate::domain::{
    ActivityId, BlockMinutes, Cadence, EnergyLevel, GoalId, Priority, ProjectId, Repeat, RoutineId,
    TaskCategory, TaskId, TaskStatus, TimeOfDay, UserId, Weekdays,
};

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Identifiable, Serialize, Deserialize,
)]
#[diesel(table_name = routines)]
pub struct Routine {
    pub id: RoutineId,
    pub user_id: UserId,
    pub title: String,
    pub description: Option<String>,
    pub category: TaskCategory,
    pub priority: Priority,
    pub energy_level: EnergyLevel,
    pub project_id: Option<ProjectId>,
    pub activity_id: Option<ActivityId>,
    pub goal_id: Option<GoalId>,
    pub start_time: Option<TimeOfDay>,
    pub minutes: BlockMinutes,
    pub cadence: Cadence,
    pub weekdays: i32,
    pub starts_on: NaiveDate,
    pub until: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Routine {
    /// The pattern, as the domain reads it.
    pub fn repeat(&self) -> Repeat {
        Repeat {
            cadence: self.cadence,
            days: Weekdays::from_bits(self.weekdays).unwrap_or(Weekdays::ALL),
            starts_on: self.starts_on,
            until: self.until,
        }
    }

    /// "Every weekday at 09:00 until Dec 24, 2026 · 1 h".
    pub fn describe(&self) -> String {
        let at = self
            .start_time
            .map(|t| format!(" at {t}"))
            .unwrap_or_default();
        let mut repeat = self.repeat();
        let until = repeat
            .until
            .take()
            .map(|d| format!(" until {}", d.format("%b %-d, %Y")))
            .unwrap_or_default();
        format!(
            "{}{at}{until} · {}",
            repeat.describe(),
            self.minutes.human()
        )
    }

    /// Its block on `day`, for `user`, as made at `now`.
    fn block_on(
        &self,
        day: NaiveDate,
        client: Option<crate::domain::ClientId>,
        now: NaiveDateTime,
    ) -> Task {
        Task {
            id: TaskId::generate(),
            user_id: self.user_id.clone(),
            project_id: self.project_id.clone(),
            client_id: client,
            activity_id: self.activity_id.clone(),
            goal_id: self.goal_id.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            category: self.category,
            priority: self.priority,
            status: TaskStatus::Todo,
            scheduled_date: Some(day),
            scheduled_time: self.start_time,
            time_block_minutes: self.minutes,
            energy_level: self.energy_level,
            completed_at: None,
            created_at: now,
            updated_at: now,
            routine_id: Some(self.id.clone()),
            routine_date: Some(day),
        }
    }

    /// A routine with the block's fields and `repeat`, from `repeat.starts_on`.
    fn from_block(task: &Task, repeat: Repeat, now: NaiveDateTime) -> Routine {
        Routine {
            id: RoutineId::generate(),
            user_id: task.user_id.clone(),
            title: task.title.clone(),
            description: task.description.clone(),
            category: task.category,
            priority: task.priority,
            energy_level: task.energy_level,
            project_id: task.project_id.clone(),
            activity_id: task.activity_id.clone(),
            goal_id: task.goal_id.clone(),
            start_time: task.scheduled_time,
            minutes: task.time_block_minutes,
            cadence: repeat.cadence,
            weekdays: repeat.days.bits(),
            starts_on: repeat.starts_on,
            until: repeat.until,
            created_at: now,
            updated_at: now,
        }
    }
}

pub fn insert(conn: &mut AnyConnection, routine: &Routine) -> QueryResult<()> {
    diesel::insert_into(routines::table)
        .values(routine)
        .execute(conn)
        .map(drop)
}

pub fn find(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &RoutineId,
) -> QueryResult<Option<Routine>> {
    routines::table
        .filter(routines::user_id.eq(user))
        .filter(routines::id.eq(id))
        .select(Routine::as_select())
        .first(conn)
        .optional()
}

/// The user's routines that still fall on a day from `from` on, by start time.
pub fn running(
    conn: &mut AnyConnection,
    user: &UserId,
    from: NaiveDate,
) -> QueryResult<Vec<Routine>> {
    crate::per_backend!(conn, |c| routines::table
        .filter(routines::user_id.eq(user))
        .filter(routines::until.is_null().or(routines::until.ge(from)))
        .filter(
            routines::until
                .is_null()
                .or(routines::until.ge(routines::starts_on.nullable()))
        )
        .order((routines::start_time.asc(), routines::title.asc()))
        .select(Routine::as_select())
        .load(c))
}

/// Makes the routines' blocks for the days `from..=to` that do not have theirs
/// yet (never for a day before `today`: the past is what happened). How many it
/// made. Callers run it in a write transaction; a block made by a concurrent
/// request is kept (the unique routine-day index).
pub fn materialize(
    conn: &mut AnyConnection,
    user: &UserId,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let wanted = wanted(conn, user, from, to, today, &[])?;
    let mut made = 0;
    for (routine, day) in wanted {
        let client = match &routine.project_id {
            Some(project) => super::projects::find(conn, user, project)?.map(|p| p.client_id),
            None => None,
        };
        let block = routine.block_on(day, client, now);
        made += crate::per_backend!(conn, |c| diesel::insert_into(tasks_table::table)
            .values(&block)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(made)
}

/// The routine days in `from..=to` (from `today` on) that have no block and no
/// skip yet. One statement when every routine day has its block among `known`
/// (the blocks the page read already), three otherwise.
pub fn wanted(
    conn: &mut AnyConnection,
    user: &UserId,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    known: &[&Task],
) -> QueryResult<Vec<(Routine, NaiveDate)>> {
    let from = from.max(today);
    if from > to {
        return Ok(Vec::new());
    }
    let routines: Vec<Routine> = running(conn, user, from)?
        .into_iter()
        .filter(|r| r.starts_on <= to)
        .collect();
    let seen = |routine: &Routine, day: NaiveDate| {
        known
            .iter()
            .any(|t| t.routine_id.as_ref() == Some(&routine.id) && t.routine_date == Some(day))
    };
    let candidates: Vec<(Routine, NaiveDate)> = routines
        .iter()
        .flat_map(|r| {
            r.repeat()
                .days_in(from, to)
                .into_iter()
                .filter(|d| !seen(r, *d))
                .map(|d| (r.clone(), d))
                .collect::<Vec<_>>()
        })
        .collect();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&RoutineId> = routines.iter().map(|r| &r.id).collect();
    let made: Vec<(Option<RoutineId>, Option<NaiveDate>)> = tasks_table::table
        .filter(tasks_table::user_id.eq(user))
        .filter(tasks_table::routine_id.eq_any(&ids))
        .filter(tasks_table::routine_date.between(from, to))
        .select((tasks_table::routine_id, tasks_table::routine_date))
        .load(conn)?;
    let skipped: Vec<(RoutineId, NaiveDate)> = routine_skips::table
        .filter(routine_skips::routine_id.eq_any(&ids))
        .filter(routine_skips::on_date.between(from, to))
        .select((routine_skips::routine_id, routine_skips::on_date))
        .load(conn)?;
    Ok(candidates
        .into_iter()
        .filter(|(routine, day)| {
            let has = |(r, d): &(Option<RoutineId>, Option<NaiveDate>)| {
                r.as_ref() == Some(&routine.id) && *d == Some(*day)
            };
            let skip = |(r, d): &(RoutineId, NaiveDate)| *r == routine.id && d == day;
            !made.iter().any(has) && !skipped.iter().any(skip)
        })
        .collect())
}

/// Makes `task` (just created, on its day) the first block of a new routine.
pub fn start(
    conn: &mut AnyConnection,
    user: &UserId,
    task: &TaskId,
    repeat: Repeat,
    now: NaiveDateTime,
) -> QueryResult<Option<RoutineId>> {
    let Some(block) = tasks::find(conn, user, task)? else {
        return Ok(None);
    };
    let routine = Routine::from_block(&block, repeat, now);
    diesel::insert_into(routines::table)
        .values(&routine)
        .execute(conn)?;
    diesel::update(tasks_table::table.find(task))
        .set((
            tasks_table::routine_id.eq(&routine.id),
            tasks_table::routine_date.eq(repeat.starts_on),
        ))
        .execute(conn)?;
    Ok(Some(routine.id))
}

/// A routine as it was before it was ended, and the blocks ending it took away:
/// what Undo puts back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesChange {
    pub before: Routine,
    pub removed: Vec<tasks::Deleted>,
}

/// "This and following", after the block itself was saved: from its routine day
/// on, the routine has the block's fields and `repeat` (`None`: it stops
/// repeating, the block stays as a one-off). The routine ends the day before and a new one starts with the block;
/// the old routine's not-done blocks after that day go (they come back from the
/// new one as their days are shown). `false` when the block is not a routine's.
pub fn edit_following(
    conn: &mut AnyConnection,
    user: &UserId,
    task: &TaskId,
    repeat: Option<Repeat>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(block) = tasks::find(conn, user, task)? else {
        return Ok(false);
    };
    let (Some(routine_id), Some(day)) = (&block.routine_id, block.routine_date) else {
        return Ok(false);
    };
    let Some(before) = find(conn, user, routine_id)? else {
        return Ok(false);
    };
    end(conn, user, &before, day, Some(&block.id), now)?;
    let Some(mut repeat) = repeat else {
        // Repeating stops here: the block stays, a one-off now.
        diesel::update(tasks_table::table.find(&block.id))
            .set((
                tasks_table::routine_id.eq(None::<RoutineId>),
                tasks_table::routine_date.eq(None::<NaiveDate>),
            ))
            .execute(conn)?;
        return Ok(true);
    };
    repeat.starts_on = day;
    if repeat.cadence == Cadence::Weekly {
        repeat = Repeat::new(Cadence::Weekly, None, day, repeat.until).unwrap_or(repeat);
    }
    let routine = Routine::from_block(&block, repeat, now);
    diesel::insert_into(routines::table)
        .values(&routine)
        .execute(conn)?;
    diesel::update(tasks_table::table.find(&block.id))
        .set(tasks_table::routine_id.eq(&routine.id))
        .execute(conn)?;
    Ok(true)
}

/// "Delete this and following": the routine ends the day before the block's
/// routine day; its not-done blocks from that day on go (the block itself too).
pub fn delete_following(
    conn: &mut AnyConnection,
    user: &UserId,
    task: &TaskId,
    now: NaiveDateTime,
) -> QueryResult<Option<SeriesChange>> {
    let Some(block) = tasks::find(conn, user, task)? else {
        return Ok(None);
    };
    let (Some(routine_id), Some(day)) = (&block.routine_id, block.routine_date) else {
        return Ok(None);
    };
    let Some(before) = find(conn, user, routine_id)? else {
        return Ok(None);
    };
    let removed = end(conn, user, &before, day, None, now)?;
    Ok(Some(SeriesChange { before, removed }))
}

/// Stops a routine from `day` on (the routines page's "Stop repeating").
pub fn stop(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &RoutineId,
    day: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<Option<SeriesChange>> {
    let Some(before) = find(conn, user, id)? else {
        return Ok(None);
    };
    let removed = end(conn, user, &before, day, None, now)?;
    Ok(Some(SeriesChange { before, removed }))
}

/// Ends `routine` the day before `day` and deletes its not-done blocks from `day`
/// on (but `keep`); the deleted blocks, for Undo.
fn end(
    conn: &mut AnyConnection,
    user: &UserId,
    routine: &Routine,
    day: NaiveDate,
    keep: Option<&TaskId>,
    now: NaiveDateTime,
) -> QueryResult<Vec<tasks::Deleted>> {
    let last = day - Duration::days(1);
    diesel::update(routines::table.find(&routine.id))
        .set((
            routines::until.eq(Some(routine.until.map_or(last, |u| u.min(last)))),
            routines::updated_at.eq(now),
        ))
        .execute(conn)?;
    let doomed: Vec<TaskId> = tasks_table::table
        .filter(tasks_table::user_id.eq(user))
        .filter(tasks_table::routine_id.eq(&routine.id))
        .filter(tasks_table::routine_date.ge(day))
        .filter(tasks_table::status.ne(TaskStatus::Done))
        .select(tasks_table::id)
        .load(conn)?;
    let mut removed = Vec::new();
    for id in doomed.iter().filter(|id| Some(*id) != keep) {
        if let Some(deleted) = tasks::delete(conn, user, id, now)? {
            removed.push(deleted);
        }
    }
    Ok(removed)
}

/// Undo of ending a routine: the routine as it was, its removed blocks back.
pub fn undo(
    conn: &mut AnyConnection,
    user: &UserId,
    change: &SeriesChange,
    now: NaiveDateTime,
) -> QueryResult<()> {
    if change.before.user_id != *user {
        return Ok(());
    }
    diesel::update(
        routines::table
            .filter(routines::user_id.eq(user))
            .filter(routines::id.eq(&change.before.id)),
    )
    .set((
        routines::until.eq(change.before.until),
        routines::updated_at.eq(now),
    ))
    .execute(conn)?;
    for deleted in &change.removed {
        tasks::restore(conn, user, deleted, now)?;
    }
    Ok(())
}

/// Leaves a skip for a routine block deleted alone, so it is not made again.
pub fn skip(conn: &mut AnyConnection, task: &Task) -> QueryResult<()> {
    if let (Some(routine), Some(day)) = (&task.routine_id, task.routine_date) {
        crate::per_backend!(conn, |c| diesel::insert_into(routine_skips::table)
            .values((
                routine_skips::routine_id.eq(routine),
                routine_skips::on_date.eq(day),
            ))
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(())
}

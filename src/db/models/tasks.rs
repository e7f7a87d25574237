//! `tasks`: the blocks of the day plan.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::tasks;
use crate::domain::{
    ActivityId, BlockMinutes, ClientId, EnergyLevel, GoalId, Priority, ProjectId, TaskCategory,
    TaskId, TaskStatus, TimeOfDay, UserId,
};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = tasks)]
pub struct Task {
    pub id: TaskId,
    pub user_id: UserId,
    pub project_id: Option<ProjectId>,
    pub client_id: Option<ClientId>,
    pub activity_id: Option<ActivityId>,
    pub goal_id: Option<GoalId>,
    pub title: String,
    pub description: Option<String>,
    pub category: TaskCategory,
    pub priority: Priority,
    pub status: TaskStatus,
    pub scheduled_date: Option<NaiveDate>,
    pub scheduled_time: Option<TimeOfDay>,
    pub time_block_minutes: BlockMinutes,
    pub energy_level: EnergyLevel,
    pub completed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, task: &Task) -> QueryResult<()> {
    diesel::insert_into(tasks::table)
        .values(task)
        .execute(conn)
        .map(drop)
}

/// Inserts many rows at once: one multi-row INSERT per backend (demo data, imports).
pub fn insert_batch(conn: &mut AnyConnection, rows: &[Task]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    crate::per_backend!(conn, |c| diesel::insert_into(tasks::table)
        .values(rows)
        .execute(c)
        .map(drop))
}

pub fn find(conn: &mut AnyConnection, user: &UserId, id: &TaskId) -> QueryResult<Option<Task>> {
    tasks::table
        .filter(tasks::user_id.eq(user))
        .filter(tasks::id.eq(id))
        .select(Task::as_select())
        .first(conn)
        .optional()
}

/// A day's blocks in plan order: by start time, unscheduled ones last.
pub fn for_day(conn: &mut AnyConnection, user: &UserId, day: NaiveDate) -> QueryResult<Vec<Task>> {
    tasks::table
        .filter(tasks::user_id.eq(user))
        .filter(tasks::scheduled_date.eq(day))
        .order((
            tasks::scheduled_time.is_null().asc(),
            tasks::scheduled_time.asc(),
            tasks::created_at.asc(),
        ))
        .select(Task::as_select())
        .load(conn)
}

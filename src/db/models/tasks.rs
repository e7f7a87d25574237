//! `tasks`: the blocks of the day plan, and what completing them does to goals and
//! the activity catalog.
//!
//! Every change that touches more than one row runs in one transaction whose first
//! statement writes the task row. That takes the row lock on PostgreSQL and the write
//! lock on SQLite before anything is read, so a double click or a retried POST waits
//! for the first and then finds nothing left to do: a goal never counts a block twice.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::sum;
use diesel::prelude::*;

use super::goals;
use crate::db::AnyConnection;
use crate::db::schema::{
    activities, assets, clients, goals as goals_table, projects, task_assets, tasks,
};
use crate::domain::{
    ActivityId, AssetId, BlockMinutes, ClientId, DaySpan, EnergyLevel, GoalId, Priority, ProjectId,
    RoutineId, TaskCategory, TaskId, TaskStatus, TimeOfDay, UserId, plan,
};

#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Insertable,
    Identifiable,
    serde::Serialize,
    serde::Deserialize,
)]
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
    /// The routine that made it, and the day it was made for (it keeps that day
    /// when moved, so the routine does not make it again).
    #[serde(default)]
    pub routine_id: Option<RoutineId>,
    #[serde(default)]
    pub routine_date: Option<NaiveDate>,
}

/// A block with the names the timeline shows beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    pub task: Task,
    pub project_name: Option<String>,
    pub client_name: Option<String>,
    pub goal_title: Option<String>,
}

/// The editable fields of a block, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFields {
    pub title: String,
    pub description: Option<String>,
    pub category: TaskCategory,
    pub priority: Priority,
    pub energy_level: EnergyLevel,
    pub scheduled_date: Option<NaiveDate>,
    pub scheduled_time: Option<TimeOfDay>,
    pub time_block_minutes: BlockMinutes,
    pub project_id: Option<ProjectId>,
    /// The client the work is for: a project's own client, or one named
    /// without a project (retainer work, a call).
    pub client_id: Option<ClientId>,
    pub goal_id: Option<GoalId>,
    pub activity_id: Option<ActivityId>,
}

impl TaskFields {
    /// `task` with these fields written over it (its id, owner and status stay).
    pub fn applied_to(&self, task: Task, client_id: Option<ClientId>, now: NaiveDateTime) -> Task {
        Task {
            project_id: self.project_id.clone(),
            client_id,
            activity_id: self.activity_id.clone(),
            goal_id: self.goal_id.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            category: self.category,
            priority: self.priority,
            energy_level: self.energy_level,
            scheduled_date: self.scheduled_date,
            // A start time needs a day.
            scheduled_time: self
                .scheduled_time
                .filter(|_| self.scheduled_date.is_some()),
            time_block_minutes: self.time_block_minutes,
            updated_at: now,
            ..task
        }
    }
}

/// Why a block's links were refused: the id is unknown or someone else's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadLink {
    Project,
    /// Not the user's client, or not the chosen project's.
    Client,
    Goal,
    Activity,
}

use crate::db::types::coalesce;

/// `status <> 'DONE'` written as a literal, not a bound parameter: only then can
/// SQLite and PostgreSQL's generic plans prove it matches the partial index
/// `tasks_open_idx` (unfinished blocks only) instead of reading every past block of
/// the user. Unlike `dsl::sql`, it has a static query id, so the statement stays
/// in diesel's prepared-statement cache.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
struct Unfinished;

impl diesel::expression::Expression for Unfinished {
    type SqlType = diesel::sql_types::Bool;
}

impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for Unfinished {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.push_sql("tasks.status <> 'DONE'");
        Ok(())
    }
}

impl<QS> diesel::expression::AppearsOnTable<QS> for Unfinished {}
impl<QS> diesel::expression::SelectableExpression<QS> for Unfinished {}
impl diesel::expression::ValidGrouping<()> for Unfinished {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

fn unfinished() -> Unfinished {
    Unfinished
}

type Joined = (Task, Option<String>, Option<String>, Option<String>);

fn into_row((task, project_name, client_name, goal_title): Joined) -> TaskRow {
    TaskRow {
        task,
        project_name,
        client_name,
        goal_title,
    }
}

macro_rules! with_names {
    ($query:expr) => {
        $query
            .left_join(projects::table.on(tasks::project_id.eq(projects::id.nullable())))
            .left_join(clients::table.on(tasks::client_id.eq(clients::id.nullable())))
            .left_join(goals_table::table.on(tasks::goal_id.eq(goals_table::id.nullable())))
    };
}

macro_rules! names {
    () => {
        (
            Task::as_select(),
            projects::name.nullable(),
            clients::name.nullable(),
            goals_table::title.nullable(),
        )
    };
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

pub fn find_row(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &TaskId,
) -> QueryResult<Option<TaskRow>> {
    with_names!(tasks::table)
        .filter(tasks::user_id.eq(user))
        .filter(tasks::id.eq(id))
        .select(names!())
        .first::<Joined>(conn)
        .optional()
        .map(|r| r.map(into_row))
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

/// Every block scheduled from `from` to `to` (inclusive), with names, in plan order.
pub fn in_range(
    conn: &mut AnyConnection,
    user: &UserId,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<TaskRow>> {
    crate::per_backend!(conn, |c| {
        with_names!(tasks::table)
            .filter(tasks::user_id.eq(user))
            .filter(tasks::scheduled_date.ge(from))
            .filter(tasks::scheduled_date.le(to))
            .order((
                tasks::scheduled_date.asc(),
                tasks::scheduled_time.is_null().asc(),
                tasks::scheduled_time.asc(),
                tasks::created_at.asc(),
            ))
            .select(names!())
            .load::<Joined>(c)
    })
    .map(|rows| rows.into_iter().map(into_row).collect())
}

/// Unfinished blocks without a day, most urgent first.
pub fn backlog(conn: &mut AnyConnection, user: &UserId, limit: i64) -> QueryResult<Vec<TaskRow>> {
    crate::per_backend!(conn, |c| {
        with_names!(tasks::table)
            .filter(tasks::user_id.eq(user))
            .filter(tasks::scheduled_date.is_null())
            .filter(unfinished())
            .order((tasks::created_at.desc(), tasks::id.asc()))
            .limit(limit)
            .select(names!())
            .load::<Joined>(c)
    })
    .map(|rows| rows.into_iter().map(into_row).collect())
}

/// How many unfinished blocks sit on days before `today`.
pub fn count_unfinished_before(
    conn: &mut AnyConnection,
    user: &UserId,
    today: NaiveDate,
) -> QueryResult<i64> {
    tasks::table
        .filter(tasks::user_id.eq(user))
        .filter(tasks::scheduled_date.lt(today))
        .filter(unfinished())
        // A routine's missed block stays on its day: today has its own.
        .filter(tasks::routine_id.is_null())
        .count()
        .get_result(conn)
}

/// Which of the earlier days' unfinished blocks a carry-over brings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarrySelection {
    /// These, and no others.
    Only(Vec<TaskId>),
    /// Every one but these (the listed blocks left unticked).
    AllBut(Vec<TaskId>),
}

/// Which of `titles` a block scheduled in `[from, to)` already has.
pub fn titles_between(
    conn: &mut AnyConnection,
    user: &UserId,
    (from, to): (NaiveDate, NaiveDate),
    titles: &[String],
) -> QueryResult<Vec<String>> {
    if titles.is_empty() {
        return Ok(Vec::new());
    }
    tasks::table
        .filter(tasks::user_id.eq(user))
        .filter(tasks::scheduled_date.ge(from))
        .filter(tasks::scheduled_date.lt(to))
        .filter(tasks::title.eq_any(titles))
        .select(tasks::title)
        .distinct()
        .load(conn)
}

/// The unfinished blocks on days before `today` (up to `limit`), oldest first.
pub fn unfinished_before(
    conn: &mut AnyConnection,
    user: &UserId,
    today: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<Task>> {
    tasks::table
        .filter(tasks::user_id.eq(user))
        .filter(tasks::scheduled_date.lt(today))
        .filter(unfinished())
        // A routine's missed block stays on its day: today has its own.
        .filter(tasks::routine_id.is_null())
        .order((
            tasks::scheduled_date.asc(),
            tasks::scheduled_time.is_null().asc(),
            tasks::scheduled_time.asc(),
            tasks::created_at.asc(),
        ))
        .limit(limit)
        .select(Task::as_select())
        .load(conn)
}

/// Booked and done minutes of one day: (booked, done).
pub fn day_minutes(
    conn: &mut AnyConnection,
    user: &UserId,
    day: NaiveDate,
) -> QueryResult<(u32, u32)> {
    let rows: Vec<(TaskStatus, Option<i64>)> = tasks::table
        .filter(tasks::user_id.eq(user))
        .filter(tasks::scheduled_date.eq(day))
        .group_by(tasks::status)
        .select((tasks::status, sum(tasks::time_block_minutes)))
        .load(conn)?;
    let minutes = |keep: &dyn Fn(TaskStatus) -> bool| -> u32 {
        rows.iter()
            .filter(|(s, _)| keep(*s))
            .map(|(_, m)| m.unwrap_or(0).max(0) as u32)
            .sum()
    };
    Ok((minutes(&|_| true), minutes(&|s| s == TaskStatus::Done)))
}

/// Checks that every linked row exists and belongs to `user`; returns the client of
/// the linked project (a block on a project belongs to its client too).
pub fn check_links(
    conn: &mut AnyConnection,
    user: &UserId,
    fields: &TaskFields,
) -> QueryResult<Result<Option<ClientId>, BadLink>> {
    let mut client = None;
    if let Some(project) = &fields.project_id {
        match super::projects::find(conn, user, project)? {
            Some(p) => client = Some(p.client_id),
            None => return Ok(Err(BadLink::Project)),
        }
    }
    match (&fields.client_id, &client) {
        (Some(named), Some(own)) if named != own => return Ok(Err(BadLink::Client)),
        (Some(named), None) => {
            if super::clients::find(conn, user, named)?.is_none() {
                return Ok(Err(BadLink::Client));
            }
            client = Some(named.clone());
        }
        _ => {}
    }
    if let Some(goal) = &fields.goal_id
        && goals::find(conn, user, goal)?.is_none()
    {
        return Ok(Err(BadLink::Goal));
    }
    if let Some(activity) = &fields.activity_id {
        let owned: i64 = activities::table
            .filter(activities::user_id.eq(user))
            .filter(activities::id.eq(activity))
            .count()
            .get_result(conn)?;
        if owned == 0 {
            return Ok(Err(BadLink::Activity));
        }
    }
    Ok(Ok(client))
}

/// Creates a block after checking its links, in one transaction.
pub fn create(
    conn: &mut AnyConnection,
    user: &UserId,
    fields: &TaskFields,
    now: NaiveDateTime,
) -> QueryResult<Result<TaskId, BadLink>> {
    conn.transaction(|conn| {
        let client_id = match check_links(conn, user, fields)? {
            Ok(client) => client,
            Err(bad) => return Ok(Err(bad)),
        };
        let id = TaskId::generate();
        let blank = Task {
            id: id.clone(),
            user_id: user.clone(),
            project_id: None,
            client_id: None,
            activity_id: None,
            goal_id: None,
            title: String::new(),
            description: None,
            category: fields.category,
            priority: fields.priority,
            status: TaskStatus::Todo,
            scheduled_date: None,
            scheduled_time: None,
            time_block_minutes: fields.time_block_minutes,
            energy_level: fields.energy_level,
            completed_at: None,
            created_at: now,
            updated_at: now,
            routine_id: None,
            routine_date: None,
        };
        insert(conn, &fields.applied_to(blank, client_id, now))?;
        Ok(Ok(id))
    })
}

/// Takes the task's row lock (see the module note); `None` if it is not the user's.
fn lock(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &TaskId,
    now: NaiveDateTime,
) -> QueryResult<Option<Task>> {
    let touched = diesel::update(
        tasks::table
            .filter(tasks::user_id.eq(user))
            .filter(tasks::id.eq(id)),
    )
    .set(tasks::updated_at.eq(now))
    .execute(conn)?;
    if touched == 0 {
        Ok(None)
    } else {
        find(conn, user, id)
    }
}

/// What a block entering or leaving DONE does elsewhere.
fn apply_done_effects(
    conn: &mut AnyConnection,
    user: &UserId,
    task: &Task,
    entering: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let delta = if entering { 1 } else { -1 };
    if let Some(goal) = &task.goal_id {
        goals::count_block(conn, user, goal, delta, task.completed_at, now)?;
    }
    // Goals that count the block's category or activity, once each (a goal
    // linked to the block counted above already).
    let sources = goals::counting_sources(
        conn,
        user,
        task.category,
        task.activity_id.as_ref(),
        task.goal_id.as_ref(),
    )?;
    for goal in sources {
        goals::count_block(conn, user, &goal, delta, task.completed_at, now)?;
    }
    if let Some(activity) = &task.activity_id {
        // Recounted from the done blocks themselves, so the figure cannot drift.
        super::activities::recount_use(conn, user, activity)?;
    }
    Ok(())
}

/// Moves a block to `status`, with its goal and activity, idempotently: asking for
/// the status it already has changes nothing. The status it had (read under the
/// row's lock) and the block now; `None` if the block is not the user's.
pub fn set_status(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &TaskId,
    status: TaskStatus,
    now: NaiveDateTime,
) -> QueryResult<Option<(TaskStatus, Task)>> {
    conn.transaction(|conn| {
        let Some(task) = lock(conn, user, id, now)? else {
            return Ok(None);
        };
        if task.status == status {
            return Ok(Some((status, task)));
        }
        let completed_at = (status == TaskStatus::Done).then_some(now);
        diesel::update(tasks::table.find(id))
            .set((
                tasks::status.eq(status),
                tasks::completed_at.eq(completed_at),
            ))
            .execute(conn)?;
        let updated = Task {
            status,
            completed_at,
            ..task.clone()
        };
        match (task.status == TaskStatus::Done, status == TaskStatus::Done) {
            (false, true) => apply_done_effects(conn, user, &updated, true, now)?,
            (true, false) => apply_done_effects(conn, user, &task, false, now)?,
            _ => {}
        }
        Ok(Some((task.status, updated)))
    })
}

/// A deleted block as Undo can bring it back: its row and the files linked to it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Deleted {
    pub task: Task,
    pub assets: Vec<AssetId>,
}

/// Deletes a block; a DONE one takes its goal count and activity use with it.
pub fn delete(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &TaskId,
    now: NaiveDateTime,
) -> QueryResult<Option<Deleted>> {
    conn.transaction(|conn| {
        let Some(task) = lock(conn, user, id, now)? else {
            return Ok(None);
        };
        let assets = task_assets::table
            .filter(task_assets::task_id.eq(id))
            .select(task_assets::asset_id)
            .load::<AssetId>(conn)?;
        diesel::delete(tasks::table.find(id)).execute(conn)?;
        if task.status == TaskStatus::Done {
            apply_done_effects(conn, user, &task, false, now)?;
        }
        Ok(Some(Deleted { task, assets }))
    })
}

/// Puts a deleted block back with the same id, its links to what still exists and
/// its files; a DONE one counts for its goal and activity again. `false` when it
/// is not the user's or is back already.
pub fn restore(
    conn: &mut AnyConnection,
    user: &UserId,
    deleted: &Deleted,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let mut task = deleted.task.clone();
    if &task.user_id != user || find(conn, user, &task.id)?.is_some() {
        return Ok(false);
    }
    conn.transaction(|conn| {
        // What was deleted since goes unlinked rather than failing the undo.
        if let Some(p) = &task.project_id {
            let kept = projects::table
                .inner_join(clients::table)
                .filter(clients::user_id.eq(user))
                .filter(projects::id.eq(p))
                .count()
                .get_result::<i64>(conn)?;
            if kept == 0 {
                task.project_id = None;
            }
        }
        if let Some(c) = &task.client_id {
            let kept = clients::table
                .filter(clients::user_id.eq(user))
                .filter(clients::id.eq(c))
                .count()
                .get_result::<i64>(conn)?;
            if kept == 0 {
                task.client_id = None;
            }
        }
        if let Some(g) = &task.goal_id {
            let kept = goals_table::table
                .filter(goals_table::user_id.eq(user))
                .filter(goals_table::id.eq(g))
                .count()
                .get_result::<i64>(conn)?;
            if kept == 0 {
                task.goal_id = None;
            }
        }
        if let Some(a) = &task.activity_id {
            let kept = activities::table
                .filter(activities::user_id.eq(user))
                .filter(activities::id.eq(a))
                .count()
                .get_result::<i64>(conn)?;
            if kept == 0 {
                task.activity_id = None;
            }
        }
        task.updated_at = now;
        insert(conn, &task)?;
        let files: Vec<AssetId> = assets::table
            .filter(assets::user_id.eq(user))
            .filter(assets::id.eq_any(&deleted.assets))
            .select(assets::id)
            .load(conn)?;
        for asset in files {
            diesel::insert_into(task_assets::table)
                .values((
                    task_assets::task_id.eq(&task.id),
                    task_assets::asset_id.eq(asset),
                    task_assets::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        if task.status == TaskStatus::Done {
            apply_done_effects(conn, user, &task, true, now)?;
        }
        Ok(true)
    })
}

/// What saving an edited block came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Edited {
    Saved,
    /// Not one of the user's blocks.
    NotFound,
    /// A project, goal or activity that is not the user's.
    Refused(BadLink),
}

/// Saves edited fields. Changing the goal or activity of a DONE block moves its
/// count from the old goal/activity to the new one.
pub fn update(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &TaskId,
    fields: &TaskFields,
    now: NaiveDateTime,
) -> QueryResult<Edited> {
    conn.transaction(|conn| {
        let Some(old) = lock(conn, user, id, now)? else {
            return Ok(Edited::NotFound);
        };
        // The form names the client (its own project's, one without a
        // project, or none): what it says is kept.
        let client_id = match check_links(conn, user, fields)? {
            Ok(client) => client,
            Err(bad) => return Ok(Edited::Refused(bad)),
        };
        let new = fields.applied_to(old.clone(), client_id, now);
        diesel::update(tasks::table.find(id))
            .set((
                tasks::project_id.eq(&new.project_id),
                tasks::client_id.eq(&new.client_id),
                tasks::activity_id.eq(&new.activity_id),
                tasks::goal_id.eq(&new.goal_id),
                tasks::title.eq(&new.title),
                tasks::description.eq(&new.description),
                tasks::category.eq(new.category),
                tasks::priority.eq(new.priority),
                tasks::energy_level.eq(new.energy_level),
                tasks::scheduled_date.eq(new.scheduled_date),
                tasks::scheduled_time.eq(new.scheduled_time),
                tasks::time_block_minutes.eq(new.time_block_minutes),
            ))
            .execute(conn)?;
        let relinked = old.goal_id != new.goal_id
            || old.activity_id != new.activity_id
            || old.category != new.category;
        if old.status == TaskStatus::Done && relinked {
            apply_done_effects(conn, user, &old, false, now)?;
            apply_done_effects(conn, user, &new, true, now)?;
        }
        Ok(Edited::Saved)
    })
}

/// Puts a block on a day (and optionally a start time); `None` date sends it to the backlog.
pub fn schedule(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &TaskId,
    day: Option<NaiveDate>,
    time: Option<TimeOfDay>,
    now: NaiveDateTime,
) -> QueryResult<Option<Task>> {
    let time = time.filter(|_| day.is_some());
    let changed = diesel::update(
        tasks::table
            .filter(tasks::user_id.eq(user))
            .filter(tasks::id.eq(id)),
    )
    .set((
        tasks::scheduled_date.eq(day),
        tasks::scheduled_time.eq(time),
        tasks::updated_at.eq(now),
    ))
    .execute(conn)?;
    if changed == 0 {
        Ok(None)
    } else {
        find(conn, user, id)
    }
}

/// The time the blocks with a start time take on `day`.
pub fn timed_spans(
    conn: &mut AnyConnection,
    user: &UserId,
    day: NaiveDate,
) -> QueryResult<Vec<plan::Span>> {
    Ok(tasks::table
        .filter(tasks::user_id.eq(user))
        .filter(tasks::scheduled_date.eq(day))
        .filter(tasks::scheduled_time.is_not_null())
        .select((tasks::scheduled_time, tasks::time_block_minutes))
        .load::<(Option<TimeOfDay>, BlockMinutes)>(conn)?
        .into_iter()
        .filter_map(|(time, minutes)| time.map(|t| plan::Span::new(t, minutes.get())))
        .collect())
}

/// What a carry-over did, and where each block it moved was before.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CarriedOver {
    pub placed: usize,
    pub to_backlog: usize,
    pub before: Vec<Placement>,
}

/// Where a block is: its day (none: the backlog) and start time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Placement {
    pub id: TaskId,
    pub date: Option<NaiveDate>,
    pub time: Option<TimeOfDay>,
    /// Its length, when a change of length is to be undone too.
    #[serde(default)]
    pub minutes: Option<BlockMinutes>,
}

impl Placement {
    pub fn of(task: &Task) -> Self {
        Placement {
            id: task.id.clone(),
            date: task.scheduled_date,
            time: task.scheduled_time,
            minutes: Some(task.time_block_minutes),
        }
    }
}

/// Whether the user has planned any block yet (the first-run path's last step).
pub fn any(conn: &mut AnyConnection, user: &UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        tasks::table.filter(tasks::user_id.eq(user)),
    ))
    .get_result(conn)
}

/// Gives a block a new length (dragging its lower edge, or Alt+Shift+↑/↓).
pub fn resize(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &TaskId,
    minutes: BlockMinutes,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        tasks::table
            .filter(tasks::user_id.eq(user))
            .filter(tasks::id.eq(id)),
    )
    .set((
        tasks::time_block_minutes.eq(minutes),
        tasks::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Brings the chosen unfinished blocks of days before `today` to `today`, in their
/// old order and keeping their lengths, each into the first free time of `window`
/// from minute `from` on (`plan::first_free`); a block that fits nowhere goes to
/// the backlog rather than onto another. Blocks not chosen stay where they are.
pub fn carry_over(
    conn: &mut AnyConnection,
    user: &UserId,
    today: NaiveDate,
    chosen: &CarrySelection,
    (window, from): (DaySpan, u16),
    now: NaiveDateTime,
) -> QueryResult<CarriedOver> {
    let mut query = tasks::table
        .filter(tasks::user_id.eq(user))
        .filter(tasks::scheduled_date.lt(today))
        .filter(unfinished())
        // A routine's missed block stays on its day: today has its own.
        .filter(tasks::routine_id.is_null())
        .into_boxed::<crate::db::MultiBackend>();
    query = match chosen {
        CarrySelection::Only(ids) => query.filter(tasks::id.eq_any(ids)),
        CarrySelection::AllBut(ids) => query.filter(tasks::id.ne_all(ids)),
    };
    let candidates: Vec<Task> = query
        .order((
            tasks::scheduled_date.asc(),
            tasks::scheduled_time.is_null().asc(),
            tasks::scheduled_time.asc(),
            tasks::created_at.asc(),
        ))
        .select(Task::as_select())
        .load(conn)?;
    let mut taken = timed_spans(conn, user, today)?;
    let mut done = CarriedOver::default();
    for task in candidates {
        done.before.push(Placement::of(&task));
        let minutes = task.time_block_minutes.get();
        let start = plan::first_free(window, from, minutes, &taken);
        let day = match start {
            Some(start) => {
                taken.push(plan::Span::new(start, minutes));
                done.placed += 1;
                Some(today)
            }
            None => {
                done.to_backlog += 1;
                None
            }
        };
        diesel::update(tasks::table.filter(tasks::id.eq(&task.id)))
            .set((
                tasks::scheduled_date.eq(day),
                tasks::scheduled_time.eq(start),
                tasks::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(done)
}

/// Filters for the tasks list.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub status: Option<TaskStatus>,
    pub category: Option<TaskCategory>,
    pub priority: Option<Priority>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub project: Option<ProjectId>,
    pub goal: Option<GoalId>,
    pub search: Option<String>,
    pub sort: TaskSort,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TaskSort {
    #[default]
    DateDesc,
    DateAsc,
    PriorityDesc,
}

/// Counts on the tasks list stop here: "1,000+" tells a person as much as the exact
/// figure, and counting no further keeps the page's cost flat however long the
/// history grows.
pub const COUNT_CAP: i64 = 1000;

/// How many backlog blocks the list's first page shows.
pub const BACKLOG_SHOWN: i64 = 20;

/// A count that stopped at `COUNT_CAP`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capped {
    pub n: i64,
    /// There are more than `n`.
    pub more: bool,
}

impl std::fmt::Display for Capped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.n.to_string();
        // Thousands grouped the way the pages write numbers elsewhere ("1,000").
        let grouped = match n.len() {
            4..=6 => format!("{},{}", &n[..n.len() - 3], &n[n.len() - 3..]),
            _ => n,
        };
        write!(f, "{grouped}{}", if self.more { "+" } else { "" })
    }
}

/// A row's place in the list's order: the list pages by it ("keyset"), so a
/// later page costs what the first does instead of skipping every row before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The priority's urgency (only the "most urgent first" order reads it).
    pub urgency: i32,
    pub date: NaiveDate,
    /// The start time, empty for a block without one (it sorts before every time).
    pub time: String,
    pub id: TaskId,
}

/// How urgent a priority is, as the list sorts it (`URGENCY_SQL` in SQL).
fn urgency(priority: Priority) -> i32 {
    match priority {
        Priority::Urgent => 4,
        Priority::High => 3,
        Priority::Medium => 2,
        Priority::Low => 1,
    }
}

const URGENCY_SQL: &str =
    "CASE tasks.priority WHEN 'URGENT' THEN 4 WHEN 'HIGH' THEN 3 WHEN 'MEDIUM' THEN 2 ELSE 1 END";
/// Both backends sort a missing time the same way only when it is a value.
const TIME_SQL: &str = "COALESCE(tasks.scheduled_time, '')";

impl Cursor {
    /// The cursor of a scheduled row (a backlog row has no place in the order).
    pub fn of(row: &TaskRow) -> Option<Cursor> {
        let task = &row.task;
        Some(Cursor {
            urgency: urgency(task.priority),
            date: task.scheduled_date?,
            time: task
                .scheduled_time
                .as_ref()
                .map_or_else(String::new, |t| t.as_str().to_owned()),
            id: task.id.clone(),
        })
    }

    /// `3_2026-12-04_09:30_<id>`: short, and safe in a query string.
    pub fn encode(&self) -> String {
        format!("{}_{}_{}_{}", self.urgency, self.date, self.time, self.id)
    }

    /// A cursor from a link; `None` for anything this app did not write.
    pub fn parse(text: &str) -> Option<Cursor> {
        let mut parts = text.splitn(4, '_');
        let urgency = parts.next()?.parse().ok().filter(|u| (1..=4).contains(u))?;
        let date = parts.next()?.parse().ok()?;
        let time = parts.next()?;
        if !time.is_empty() {
            TimeOfDay::parse(time).ok()?;
        }
        let id = TaskId::parse(parts.next()?).ok()?;
        Some(Cursor {
            urgency,
            date,
            time: time.to_owned(),
            id,
        })
    }
}

/// Which page of the list to read.
#[derive(Debug, Clone)]
pub enum Window {
    /// Skipping rows: the first page (0), or an old `?page=N` link.
    Offset(i64),
    /// The rows after this one in the list's order ("Next").
    After(Cursor),
    /// The rows before this one ("Previous").
    Before(Cursor),
}

/// One page of the list: the scheduled blocks of the page, and (on the first page,
/// when no date range excludes it) the backlog as a section of its own.
#[derive(Debug, Default)]
pub struct Listed {
    pub rows: Vec<TaskRow>,
    /// More rows follow the page in the direction it was read.
    pub beyond: bool,
    /// This is the list's first page (a "Previous" that found nothing before it
    /// reads the first page instead).
    pub first: bool,
    /// The scheduled blocks that match, counted up to `COUNT_CAP`, where that is
    /// cheap or the first page holds them all (see `TaskFilter::counts_cheaply`).
    pub total: Option<Capped>,
    pub backlog: Vec<TaskRow>,
    pub backlog_total: Capped,
}

impl TaskFilter {
    /// Only the day range and the project narrow the list: a count then reads an
    /// index. Any other filter reads each row, and for a rare match counting would
    /// walk the whole history; those lists say only whether there is more.
    pub fn counts_cheaply(&self) -> bool {
        self.status.is_none()
            && self.category.is_none()
            && self.priority.is_none()
            && self.goal.is_none()
            && self.search.is_none()
    }
}

/// A row without the names: the list's pages already hold every project's and
/// goal's name for their filters, so the rows skip the joins (on PostgreSQL,
/// planning the joined statement took longer than running it).
fn unnamed(task: Task) -> TaskRow {
    TaskRow {
        task,
        project_name: None,
        client_name: None,
        goal_title: None,
    }
}

/// One page of `limit` rows of the filtered list (rows without their names,
/// see `unnamed`). Scheduled blocks and the backlog
/// are read apart: each order then follows an index on (user, [status or category,]
/// day) instead of sorting the history by `scheduled_date IS NULL` first, pages
/// follow a cursor, and counts stop at `COUNT_CAP`.
pub fn search(
    conn: &mut AnyConnection,
    user: &UserId,
    filter: &TaskFilter,
    window: &Window,
    limit: i64,
) -> QueryResult<Listed> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Date, Integer, Text};
    // The filters only read `tasks`, so the counts skip the joins the page needs.
    macro_rules! filtered {
        ($source:expr) => {{
            let mut query = $source
                .filter(tasks::user_id.eq(user))
                .into_boxed::<crate::db::MultiBackend>();
            if let Some(status) = filter.status {
                query = query.filter(tasks::status.eq(status));
            }
            if let Some(category) = filter.category {
                query = query.filter(tasks::category.eq(category));
            }
            if let Some(priority) = filter.priority {
                query = query.filter(tasks::priority.eq(priority));
            }
            if let Some(from) = filter.from {
                query = query.filter(tasks::scheduled_date.ge(from));
            }
            if let Some(to) = filter.to {
                query = query.filter(tasks::scheduled_date.le(to));
            }
            if let Some(project) = &filter.project {
                query = query.filter(tasks::project_id.eq(project));
            }
            if let Some(goal) = &filter.goal {
                query = query.filter(tasks::goal_id.eq(goal));
            }
            if let Some(text) = &filter.search {
                // LIKE is case-sensitive on PostgreSQL and not on SQLite: compare
                // lower case on both. Written as SQL text on purpose: diesel then
                // does not keep the statement prepared, so PostgreSQL plans it for
                // this pattern. A generic plan guesses every pattern matches a
                // handful of blocks, and reads and sorts all of the user's.
                query = query.filter(
                    sql::<Bool>("lower(tasks.title) LIKE ")
                        .bind::<Text, _>(crate::db::contains_pattern(text))
                        .sql(" ESCAPE '\\'"),
                );
            }
            query
        }};
    }
    let capped = |found: usize| Capped {
        n: (found as i64).min(COUNT_CAP),
        more: found as i64 > COUNT_CAP,
    };
    // The day is in every index the counts read; selecting it (not a literal,
    // which diesel never keeps prepared) keeps the count in the index.
    let day = || tasks::scheduled_date;
    // Read backwards for "Previous": the order flips, and the rows are turned back.
    let (cursor, backwards) = match window {
        Window::Offset(_) => (None, false),
        Window::After(c) => (Some(c), false),
        Window::Before(c) => (Some(c), true),
    };
    let descending = (filter.sort != TaskSort::DateAsc) != backwards;
    let mut query = filtered!(tasks::table).filter(tasks::scheduled_date.is_not_null());
    // The day orders (the common case) are built from diesel's own parts, so
    // both backends keep the statement prepared; the urgency order is SQL text.
    let time = || coalesce(tasks::scheduled_time, "");
    if let Some(c) = cursor {
        let (date, at, id) = (c.date, c.time.clone(), c.id.clone());
        if filter.sort == TaskSort::PriorityDesc {
            // (The urgency is a number this code wrote: no need to bind it.)
            let past = if descending { "<" } else { ">" };
            query = query.filter(
                sql::<Bool>(&format!(
                    "({URGENCY_SQL}, tasks.scheduled_date, {TIME_SQL}, tasks.id) {past} ({}, ",
                    c.urgency
                ))
                .bind::<Date, _>(date)
                .sql(", ")
                .bind::<Text, _>(at)
                .sql(", ")
                .bind::<Text, _>(id.as_str().to_owned())
                .sql(")"),
            );
        } else if descending {
            // (day, time, id) < the cursor's; the bound on the day alone lets the
            // index start at the cursor.
            query = query.filter(tasks::scheduled_date.le(date)).filter(
                tasks::scheduled_date.lt(date).or(time()
                    .lt(at.clone())
                    .or(time().eq(at).and(tasks::id.lt(id)))
                    .and(tasks::scheduled_date.eq(date))),
            );
        } else {
            query = query.filter(tasks::scheduled_date.ge(date)).filter(
                tasks::scheduled_date.gt(date).or(time()
                    .gt(at.clone())
                    .or(time().eq(at).and(tasks::id.gt(id)))
                    .and(tasks::scheduled_date.eq(date))),
            );
        }
    }
    // The time is part of each order: the same row order on both backends.
    query = match (filter.sort, descending) {
        (TaskSort::PriorityDesc, _) => {
            let direction = if descending { "DESC" } else { "ASC" };
            query.order(sql::<Integer>(&format!(
                "{URGENCY_SQL} {direction}, tasks.scheduled_date {direction}, {TIME_SQL} {direction}, tasks.id {direction}"
            )))
        }
        (_, true) => query.order((
            tasks::scheduled_date.desc(),
            time().desc(),
            tasks::id.desc(),
        )),
        (_, false) => query.order((tasks::scheduled_date.asc(), time().asc(), tasks::id.asc())),
    };
    let skip = match window {
        Window::Offset(n) => *n,
        _ => 0,
    };
    let mut rows: Vec<TaskRow> = query
        .select(Task::as_select())
        .offset(skip)
        .limit(limit + 1)
        .load::<Task>(conn)?
        .into_iter()
        .map(unnamed)
        .collect();
    let beyond = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    if backwards {
        if !beyond {
            // Nothing before these: this is the first page, backlog and all.
            return search(conn, user, filter, &Window::Offset(0), limit);
        }
        rows.reverse();
    }
    let first = matches!(window, Window::Offset(0));
    let total = if filter.counts_cheaply() {
        let scheduled: Vec<Option<NaiveDate>> = filtered!(tasks::table)
            .filter(tasks::scheduled_date.is_not_null())
            .select(day())
            .limit(COUNT_CAP + 1)
            .load(conn)?;
        Some(capped(scheduled.len()))
    } else {
        (first && !beyond).then(|| capped(rows.len()))
    };
    let mut listed = Listed {
        rows,
        beyond,
        first,
        total,
        ..Listed::default()
    };
    // A date range leaves the backlog out; later pages page the scheduled blocks.
    if first && filter.from.is_none() && filter.to.is_none() {
        let waiting: Vec<Option<NaiveDate>> = filtered!(tasks::table)
            .filter(tasks::scheduled_date.is_null())
            .select(day())
            .limit(COUNT_CAP + 1)
            .load(conn)?;
        listed.backlog_total = capped(waiting.len());
        if !waiting.is_empty() {
            let backlog = filtered!(tasks::table)
                .filter(tasks::scheduled_date.is_null())
                .order((tasks::created_at.desc(), tasks::id.desc()))
                .select(Task::as_select())
                .limit(BACKLOG_SHOWN)
                .load::<Task>(conn)?;
            listed.backlog = backlog.into_iter().map(unnamed).collect();
        }
    }
    Ok(listed)
}

/// The owner's most recently touched blocks, for "link to a block" pickers.
pub fn recent_titles(
    conn: &mut AnyConnection,
    user: &UserId,
    limit: i64,
) -> QueryResult<Vec<(TaskId, String, Option<NaiveDate>)>> {
    tasks::table
        .filter(tasks::user_id.eq(user))
        .select((tasks::id, tasks::title, tasks::scheduled_date))
        .order((tasks::updated_at.desc(), tasks::id.asc()))
        .limit(limit)
        .load(conn)
}

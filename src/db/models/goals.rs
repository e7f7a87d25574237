//! `goals`: targets that move when linked blocks are done.

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Weekday};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::Json;
use crate::db::schema::{goal_periods, goal_progress, goals, tasks, users};
use crate::domain::{
    ActivityId, CrmEvent, GoalId, GoalType, Preferences, TaskCategory, TaskId, Timezone, UserId,
    plan,
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
#[diesel(table_name = goals)]
pub struct Goal {
    pub id: GoalId,
    pub user_id: UserId,
    pub title: String,
    pub description: Option<String>,
    pub goal_type: GoalType,
    pub target_value: Option<i32>,
    pub current_value: i32,
    pub start_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub completed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Every completed block of this category counts (besides linked ones).
    #[serde(default)]
    pub counts_category: Option<TaskCategory>,
    /// Every completed block made from this catalog activity counts.
    #[serde(default)]
    pub counts_activity_id: Option<ActivityId>,
    /// Starts again each period of its type; the finished ones are kept in
    /// `goal_periods`.
    #[serde(default)]
    pub recurs: bool,
    /// For a recurring goal: the first day of the period `current_value` counts.
    #[serde(default)]
    pub period_start: Option<NaiveDate>,
    /// Every such CRM event counts (once; one less when it is undone).
    #[serde(default)]
    pub counts_event: Option<CrmEvent>,
}

/// A finished period of a recurring goal: what it asked and what was done.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = goal_periods)]
pub struct GoalPeriod {
    pub goal_id: GoalId,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub target_value: Option<i32>,
    pub achieved: i32,
}

impl GoalPeriod {
    pub fn reached(&self) -> bool {
        self.target_value.is_some_and(|t| self.achieved >= t)
    }
}

/// How many empty periods a goal left alone for long gets in its history: the
/// periods before them are not worth a row each.
const MAX_EMPTY_PERIODS: usize = 60;

/// The editable fields of a goal, validated.
#[derive(Debug, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = goals, treat_none_as_null = true)]
pub struct GoalFields {
    pub title: String,
    pub description: Option<String>,
    pub goal_type: GoalType,
    pub target_value: Option<i32>,
    pub start_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub counts_category: Option<TaskCategory>,
    pub counts_activity_id: Option<ActivityId>,
    pub recurs: bool,
    /// The first day of the current period, for a recurring goal (see `period_of`).
    pub period_start: Option<NaiveDate>,
    pub counts_event: Option<CrmEvent>,
}

pub fn insert(conn: &mut AnyConnection, goal: &Goal) -> QueryResult<()> {
    diesel::insert_into(goals::table)
        .values(goal)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut AnyConnection, user: &UserId, id: &GoalId) -> QueryResult<Option<Goal>> {
    goals::table
        .filter(goals::user_id.eq(user))
        .filter(goals::id.eq(id))
        .select(Goal::as_select())
        .first(conn)
        .optional()
}

/// The user's goals, open ones first, then by due date.
pub fn list_for_user(conn: &mut AnyConnection, user: &UserId) -> QueryResult<Vec<Goal>> {
    crate::per_backend!(conn, |c| {
        goals::table
            .filter(goals::user_id.eq(user))
            .order((
                goals::completed_at.is_not_null().asc(),
                goals::due_date.is_null().asc(),
                goals::due_date.asc(),
                goals::title.asc(),
            ))
            .select(Goal::as_select())
            .load(c)
    })
}

pub fn create(
    conn: &mut AnyConnection,
    user: &UserId,
    fields: &GoalFields,
    now: NaiveDateTime,
) -> QueryResult<GoalId> {
    let id = GoalId::generate();
    insert(
        conn,
        &Goal {
            id: id.clone(),
            user_id: user.clone(),
            title: fields.title.clone(),
            description: fields.description.clone(),
            goal_type: fields.goal_type,
            target_value: fields.target_value,
            current_value: 0,
            start_date: fields.start_date,
            due_date: fields.due_date,
            completed_at: None,
            created_at: now,
            updated_at: now,
            counts_category: fields.counts_category,
            counts_activity_id: fields.counts_activity_id.clone(),
            recurs: fields.recurs,
            period_start: fields.period_start,
            counts_event: fields.counts_event,
        },
    )?;
    Ok(id)
}

/// Saves edited fields; a new target re-decides whether the goal is reached.
pub fn update(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &GoalId,
    fields: &GoalFields,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let changed = diesel::update(
            goals::table
                .filter(goals::user_id.eq(user))
                .filter(goals::id.eq(id)),
        )
        .set((fields, goals::updated_at.eq(now)))
        .execute(conn)?;
        if changed == 1 {
            settle_completion(conn, id, now)?;
        }
        Ok(changed == 1)
    })
}

/// Marks a goal complete (or open again) by hand.
pub fn set_completed(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &GoalId,
    completed: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let at = completed.then_some(now);
    let changed = diesel::update(
        goals::table
            .filter(goals::user_id.eq(user))
            .filter(goals::id.eq(id)),
    )
    .set((goals::completed_at.eq(at), goals::updated_at.eq(now)))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Deletes a goal; its blocks stay, unlinked. The goal and the blocks it had, for
/// Undo; `None` if it is not the user's.
pub fn delete(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &GoalId,
) -> QueryResult<Option<(Goal, Vec<TaskId>)>> {
    let Some(goal) = find(conn, user, id)? else {
        return Ok(None);
    };
    let linked = tasks::table
        .filter(tasks::user_id.eq(user))
        .filter(tasks::goal_id.eq(id))
        .select(tasks::id)
        .load::<TaskId>(conn)?;
    diesel::delete(
        goals::table
            .filter(goals::user_id.eq(user))
            .filter(goals::id.eq(id)),
    )
    .execute(conn)?;
    Ok(Some((goal, linked)))
}

/// Puts a deleted goal back as it was, linked again to those of `linked` that
/// are still the user's and have no other goal since. `false` if it is back already.
pub fn restore(
    conn: &mut AnyConnection,
    user: &UserId,
    goal: &Goal,
    linked: &[TaskId],
) -> QueryResult<bool> {
    if &goal.user_id != user || find(conn, user, &goal.id)?.is_some() {
        return Ok(false);
    }
    insert(conn, goal)?;
    diesel::update(
        tasks::table
            .filter(tasks::user_id.eq(user))
            .filter(tasks::id.eq_any(linked))
            .filter(tasks::goal_id.is_null()),
    )
    .set(tasks::goal_id.eq(&goal.id))
    .execute(conn)?;
    Ok(true)
}

/// The user's goals that count a block of `category` or made from `activity`
/// by their source (besides a goal linked to the block itself, `except`).
pub fn counting_sources(
    conn: &mut AnyConnection,
    user: &UserId,
    category: TaskCategory,
    activity: Option<&ActivityId>,
    except: Option<&GoalId>,
) -> QueryResult<Vec<GoalId>> {
    let by_category = goals::counts_category.eq(category);
    let mut query = goals::table
        .filter(goals::user_id.eq(user))
        .into_boxed::<crate::db::MultiBackend>();
    query = match activity {
        Some(activity) => query.filter(by_category.or(goals::counts_activity_id.eq(activity))),
        None => query.filter(by_category),
    };
    if let Some(except) = except {
        query = query.filter(goals::id.ne(except));
    }
    query.select(goals::id).load(conn)
}

/// A linked block entered (+1) or left (−1) DONE: moves the count, never below
/// zero, and completes or reopens the goal as it reaches or drops below its target.
/// For a recurring goal the count goes to the period the block was completed in
/// (`completed_at`): the current one, or a finished one kept in its history.
pub fn count_block(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &GoalId,
    delta: i32,
    completed_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    // The common case, one statement: a goal that does not repeat.
    if bump(conn, user, id, false, delta, now)? == 1 {
        return settle_completion(conn, id, now);
    }
    // A repeating goal, with its owner's zone and week: one statement.
    let Some((goal_type, start, zone, prefs)) = goals::table
        .inner_join(users::table)
        .filter(goals::user_id.eq(user))
        .filter(goals::id.eq(id))
        .filter(goals::recurs.eq(true))
        .select((
            goals::goal_type,
            goals::period_start,
            users::timezone,
            users::preferences,
        ))
        .first::<(GoalType, Option<NaiveDate>, Timezone, Json<Preferences>)>(conn)
        .optional()?
    else {
        // A count already at zero (or not the user's goal).
        return settle_completion(conn, id, now);
    };
    let week_start = prefs.0.week_starts_on.weekday();
    let today = zone.today(chrono::Utc.from_utc_datetime(&now));
    let current = period_of(goal_type, today, week_start).0;
    let period_start = if start == Some(current) {
        current
    } else {
        roll_one(conn, id, goal_type, today, week_start, now)?
    };
    let done_on = completed_at.map(|at| zone.today(chrono::Utc.from_utc_datetime(&at)));
    if let Some(day) = done_on.filter(|d| *d < period_start) {
        return count_in_history(conn, id, day, delta);
    }
    bump(conn, user, id, true, delta, now)?;
    settle_completion(conn, id, now)
}

/// A CRM event happened (`delta` 1) or was undone (-1): every open goal of
/// the user that counts such events goes one up or down, as a block would.
pub fn count_event(
    conn: &mut AnyConnection,
    user: &UserId,
    event: CrmEvent,
    delta: i32,
    now: NaiveDateTime,
) -> QueryResult<()> {
    // A completed goal takes no more; an undone event may reopen it.
    let mut query = goals::table
        .filter(goals::user_id.eq(user))
        .filter(goals::counts_event.eq(event))
        .select(goals::id)
        .into_boxed();
    if delta > 0 {
        query = query.filter(goals::completed_at.is_null());
    }
    let counting: Vec<GoalId> = query.load(conn)?;
    for id in counting {
        count_block(conn, user, &id, delta, Some(now), now)?;
    }
    Ok(())
}

/// One up or one down (never below zero) on the user's goal, if it repeats
/// (`recurs`) or not as asked; how many rows changed.
fn bump(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &GoalId,
    recurs: bool,
    delta: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let owned = goals::table
        .filter(goals::user_id.eq(user))
        .filter(goals::id.eq(id))
        .filter(goals::recurs.eq(recurs));
    let changed = if delta > 0 {
        diesel::update(owned)
            .set((
                goals::current_value.eq(goals::current_value + 1),
                goals::updated_at.eq(now),
            ))
            .execute(conn)?
    } else {
        diesel::update(owned.filter(goals::current_value.gt(0)))
            .set((
                goals::current_value.eq(goals::current_value - 1),
                goals::updated_at.eq(now),
            ))
            .execute(conn)?
    };
    if changed == 1 {
        record_step(conn, id, delta.signum(), now)?;
    }
    Ok(changed)
}

/// One step of the count at `now`, for the pace chart (net per instant).
fn record_step(
    conn: &mut AnyConnection,
    id: &GoalId,
    delta: i32,
    now: NaiveDateTime,
) -> QueryResult<()> {
    use diesel::upsert::excluded;
    let row = (
        goal_progress::goal_id.eq(id),
        goal_progress::at.eq(now),
        goal_progress::delta.eq(delta),
    );
    crate::per_backend!(conn, |c| diesel::insert_into(goal_progress::table)
        .values(row)
        .on_conflict((goal_progress::goal_id, goal_progress::at))
        .do_update()
        .set(goal_progress::delta.eq(goal_progress::delta + excluded(goal_progress::delta)))
        .execute(c)
        .map(drop))
}

/// Steps recorded in bulk (`lauf demo`): each (goal, instant) once.
pub fn insert_steps(
    conn: &mut AnyConnection,
    steps: &[(GoalId, NaiveDateTime, i32)],
) -> QueryResult<()> {
    let rows: Vec<_> = steps
        .iter()
        .map(|(id, at, delta)| {
            (
                goal_progress::goal_id.eq(id),
                goal_progress::at.eq(at),
                goal_progress::delta.eq(delta),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    crate::per_backend!(conn, |c| diesel::insert_into(goal_progress::table)
        .values(&rows)
        .execute(c)
        .map(drop))
}

/// The steps of the goals' counts since `since` (UTC), oldest first.
pub fn progress_since(
    conn: &mut AnyConnection,
    ids: &[&GoalId],
    since: NaiveDateTime,
) -> QueryResult<Vec<(GoalId, NaiveDateTime, i32)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    goal_progress::table
        .filter(goal_progress::goal_id.eq_any(ids))
        .filter(goal_progress::at.ge(since))
        .order(goal_progress::at.asc())
        .select((
            goal_progress::goal_id,
            goal_progress::at,
            goal_progress::delta,
        ))
        .load(conn)
}

/// A block completed in a finished period counts (or stops counting) there.
fn count_in_history(
    conn: &mut AnyConnection,
    id: &GoalId,
    day: NaiveDate,
    delta: i32,
) -> QueryResult<()> {
    let period = goal_periods::table
        .filter(goal_periods::goal_id.eq(id))
        .filter(goal_periods::period_start.le(day))
        .filter(goal_periods::period_end.ge(day));
    if delta > 0 {
        diesel::update(period)
            .set(goal_periods::achieved.eq(goal_periods::achieved + 1))
            .execute(conn)?;
    } else {
        diesel::update(period.filter(goal_periods::achieved.gt(0)))
            .set(goal_periods::achieved.eq(goal_periods::achieved - 1))
            .execute(conn)?;
    }
    Ok(())
}

/// The period of `goal_type` that holds `day`: what a recurring goal counts.
pub fn period_of(
    goal_type: GoalType,
    day: NaiveDate,
    week_start: Weekday,
) -> (NaiveDate, NaiveDate) {
    plan::goal_period(goal_type, None, None, day, week_start)
}

/// Closes the finished periods of the user's recurring goals (each kept in
/// `goal_periods` with what it achieved; the goal counts the current period from
/// zero). Whether anything changed. Runs before a page shows goals, in a
/// transaction that holds the user's write lock.
pub fn roll_over(
    conn: &mut AnyConnection,
    user: &UserId,
    today: NaiveDate,
    week_start: Weekday,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let due: Vec<(GoalId, GoalType, Option<NaiveDate>)> = goals::table
        .filter(goals::user_id.eq(user))
        .filter(goals::recurs.eq(true))
        .select((goals::id, goals::goal_type, goals::period_start))
        .load(conn)?;
    let mut changed = false;
    for (id, goal_type, start) in due {
        if start != Some(period_of(goal_type, today, week_start).0) {
            roll_one(conn, &id, goal_type, today, week_start, now)?;
            changed = true;
        }
    }
    Ok(changed)
}

/// Whether a recurring goal of the user's has a period to close today.
pub fn needs_roll_over(goals: &[Goal], today: NaiveDate, week_start: Weekday) -> bool {
    goals
        .iter()
        .any(|g| g.recurs && g.period_start != Some(period_of(g.goal_type, today, week_start).0))
}

/// Brings one recurring goal to the period holding `today`; its first day.
fn roll_one(
    conn: &mut AnyConnection,
    id: &GoalId,
    goal_type: GoalType,
    today: NaiveDate,
    week_start: Weekday,
    now: NaiveDateTime,
) -> QueryResult<NaiveDate> {
    let current = period_of(goal_type, today, week_start).0;
    let Some((start, achieved, target)) = goals::table
        .find(id)
        .select((
            goals::period_start,
            goals::current_value,
            goals::target_value,
        ))
        .first::<(Option<NaiveDate>, i32, Option<i32>)>(conn)
        .optional()?
    else {
        return Ok(current);
    };
    if start == Some(current) {
        return Ok(current);
    }
    // Only the request that moves the goal on writes its history.
    let changes = (
        goals::period_start.eq(current),
        goals::current_value.eq(0),
        goals::completed_at.eq(None::<NaiveDateTime>),
        goals::updated_at.eq(now),
    );
    let moved = match start {
        Some(s) => diesel::update(goals::table.find(id).filter(goals::period_start.eq(s)))
            .set(changes)
            .execute(conn)?,
        None => diesel::update(goals::table.find(id).filter(goals::period_start.is_null()))
            .set(changes)
            .execute(conn)?,
    };
    let Some(start) = start.filter(|s| moved == 1 && *s < current) else {
        return Ok(current);
    };
    let mut finished = Vec::new();
    let mut from = start;
    while from < current {
        let (s, e) = period_of(goal_type, from, week_start);
        finished.push(GoalPeriod {
            goal_id: id.clone(),
            period_start: s,
            period_end: e,
            target_value: target,
            achieved: if finished.is_empty() { achieved } else { 0 },
        });
        from = e + Duration::days(1);
    }
    // The period that was counted, and the latest empty ones after it.
    if finished.len() > MAX_EMPTY_PERIODS + 1 {
        finished.drain(1..finished.len() - MAX_EMPTY_PERIODS);
    }
    insert_periods(conn, &finished)?;
    Ok(current)
}

/// The finished periods of the user's goals, newest first, `per_goal` each at most.
pub fn history(
    conn: &mut AnyConnection,
    user: &UserId,
    per_goal: usize,
) -> QueryResult<std::collections::HashMap<GoalId, Vec<GoalPeriod>>> {
    let rows: Vec<GoalPeriod> = goal_periods::table
        .inner_join(goals::table)
        .filter(goals::user_id.eq(user))
        .order((
            goal_periods::goal_id.asc(),
            goal_periods::period_start.desc(),
        ))
        .select(GoalPeriod::as_select())
        .load(conn)?;
    let mut by_goal: std::collections::HashMap<GoalId, Vec<GoalPeriod>> = Default::default();
    for row in rows {
        let kept = by_goal.entry(row.goal_id.clone()).or_default();
        if kept.len() < per_goal {
            kept.push(row);
        }
    }
    Ok(by_goal)
}

/// The whole history of one goal (for Undo of a delete), oldest first.
pub fn periods_of(conn: &mut AnyConnection, id: &GoalId) -> QueryResult<Vec<GoalPeriod>> {
    goal_periods::table
        .filter(goal_periods::goal_id.eq(id))
        .order(goal_periods::period_start.asc())
        .select(GoalPeriod::as_select())
        .load(conn)
}

/// Puts a restored goal's history back.
pub fn restore_periods(conn: &mut AnyConnection, periods: &[GoalPeriod]) -> QueryResult<()> {
    insert_periods(conn, periods)
}

/// Periods into the history; one already there (a concurrent close) is kept.
fn insert_periods(conn: &mut AnyConnection, periods: &[GoalPeriod]) -> QueryResult<()> {
    for period in periods {
        crate::per_backend!(conn, |c| diesel::insert_into(goal_periods::table)
            .values(period)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(())
}

/// Reaching the target sets `completed_at`; dropping below clears it. A goal
/// without a target is completed only by hand.
fn settle_completion(conn: &mut AnyConnection, id: &GoalId, now: NaiveDateTime) -> QueryResult<()> {
    let Some((current, target, completed_at)) = goals::table
        .find(id)
        .select((
            goals::current_value,
            goals::target_value,
            goals::completed_at,
        ))
        .first::<(i32, Option<i32>, Option<NaiveDateTime>)>(conn)
        .optional()?
    else {
        return Ok(());
    };
    let Some(target) = target else { return Ok(()) };
    let reached = current >= target;
    let completed = match (reached, completed_at) {
        (true, None) => Some(Some(now)),
        (false, Some(_)) => Some(None),
        _ => None,
    };
    if let Some(completed) = completed {
        diesel::update(goals::table.find(id))
            .set(goals::completed_at.eq(completed))
            .execute(conn)?;
    }
    Ok(())
}

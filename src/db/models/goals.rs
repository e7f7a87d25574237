//! `goals`: targets that move when linked blocks are done.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{goals, tasks};
use crate::domain::{ActivityId, GoalId, GoalType, TaskCategory, TaskId, UserId};

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
}

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

/// Deletes a goal; its blocks stay and lose the link (ON DELETE SET NULL).
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
pub fn count_block(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &GoalId,
    delta: i32,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let owned = goals::table
        .filter(goals::user_id.eq(user))
        .filter(goals::id.eq(id));
    if delta > 0 {
        diesel::update(owned)
            .set((
                goals::current_value.eq(goals::current_value + 1),
                goals::updated_at.eq(now),
            ))
            .execute(conn)?;
    } else {
        diesel::update(owned.filter(goals::current_value.gt(0)))
            .set((
                goals::current_value.eq(goals::current_value - 1),
                goals::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    settle_completion(conn, id, now)
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

//! `activities`: the user's reusable catalog of blocks.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::activities;
use crate::domain::{ActivityId, BlockMinutes, EnergyLevel, TaskCategory, UserId};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = activities)]
pub struct Activity {
    pub id: ActivityId,
    pub user_id: UserId,
    pub title: String,
    pub description: Option<String>,
    pub category: TaskCategory,
    pub default_duration: BlockMinutes,
    pub energy_level: EnergyLevel,
    pub icon: Option<String>,
    pub is_active: bool,
    pub sort_order: i32,
    pub times_used: i32,
    pub last_used: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_all(conn: &mut AnyConnection, rows: &[Activity]) -> QueryResult<()> {
    for row in rows {
        diesel::insert_into(activities::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// How many activities the user has (any state).
pub fn count_of(conn: &mut AnyConnection, user: &UserId) -> QueryResult<i64> {
    activities::table
        .filter(activities::user_id.eq(user))
        .count()
        .get_result(conn)
}

/// The picker's order: `sort_order`, then most used.
pub fn list_active(conn: &mut AnyConnection, user: &UserId) -> QueryResult<Vec<Activity>> {
    crate::per_backend!(conn, |c| {
        activities::table
            .filter(activities::user_id.eq(user))
            .filter(activities::is_active.eq(true))
            .order((
                activities::sort_order.asc(),
                activities::times_used.desc(),
                activities::title.asc(),
            ))
            .select(Activity::as_select())
            .load(c)
    })
}

/// Sets the usage figures (the demo builder; completion adjusts them one at a time).
pub fn record_use(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ActivityId,
    times_used: i32,
    last_used: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    diesel::update(
        activities::table
            .filter(activities::user_id.eq(user))
            .filter(activities::id.eq(id)),
    )
    .set((
        activities::times_used.eq(times_used),
        activities::last_used.eq(last_used),
    ))
    .execute(conn)
}

/// Sets `times_used` and `last_used` from the done blocks made from the activity.
pub fn recount_use(conn: &mut AnyConnection, user: &UserId, id: &ActivityId) -> QueryResult<()> {
    use crate::db::schema::tasks;
    use crate::domain::TaskStatus;
    let (times, last): (i64, Option<NaiveDateTime>) = tasks::table
        .filter(tasks::user_id.eq(user))
        .filter(tasks::activity_id.eq(id))
        .filter(tasks::status.eq(TaskStatus::Done))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::max(tasks::completed_at),
        ))
        .first(conn)?;
    record_use(conn, user, id, times as i32, last).map(drop)
}

/// The whole catalog, archived ones last, in picker order.
pub fn list_all(conn: &mut AnyConnection, user: &UserId) -> QueryResult<Vec<Activity>> {
    activities::table
        .filter(activities::user_id.eq(user))
        .order((
            activities::is_active.desc(),
            activities::sort_order.asc(),
            activities::times_used.desc(),
            activities::title.asc(),
        ))
        .select(Activity::as_select())
        .load(conn)
}

pub fn find(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ActivityId,
) -> QueryResult<Option<Activity>> {
    activities::table
        .filter(activities::user_id.eq(user))
        .filter(activities::id.eq(id))
        .select(Activity::as_select())
        .first(conn)
        .optional()
}

/// The editable fields of an activity, validated.
#[derive(Debug, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = activities, treat_none_as_null = true)]
pub struct ActivityFields {
    pub title: String,
    pub description: Option<String>,
    pub category: TaskCategory,
    pub default_duration: BlockMinutes,
    pub energy_level: EnergyLevel,
}

/// Adds an activity at the end of the catalog.
pub fn create(
    conn: &mut AnyConnection,
    user: &UserId,
    fields: &ActivityFields,
    now: NaiveDateTime,
) -> QueryResult<ActivityId> {
    conn.transaction(|conn| {
        let last: Option<i32> = activities::table
            .filter(activities::user_id.eq(user))
            .select(diesel::dsl::max(activities::sort_order))
            .first(conn)?;
        let id = ActivityId::generate();
        diesel::insert_into(activities::table)
            .values(&Activity {
                id: id.clone(),
                user_id: user.clone(),
                title: fields.title.clone(),
                description: fields.description.clone(),
                category: fields.category,
                default_duration: fields.default_duration,
                energy_level: fields.energy_level,
                icon: None,
                is_active: true,
                sort_order: last.unwrap_or(0) + 10,
                times_used: 0,
                last_used: None,
                created_at: now,
                updated_at: now,
            })
            .execute(conn)?;
        Ok(id)
    })
}

pub fn update(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ActivityId,
    fields: &ActivityFields,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        activities::table
            .filter(activities::user_id.eq(user))
            .filter(activities::id.eq(id)),
    )
    .set((fields, activities::updated_at.eq(now)))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Archives (hides from the picker) or restores an activity; its blocks keep the link.
pub fn set_active(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ActivityId,
    active: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        activities::table
            .filter(activities::user_id.eq(user))
            .filter(activities::id.eq(id)),
    )
    .set((
        activities::is_active.eq(active),
        activities::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Moves an activity one place up (`-1`) or down (`+1`) among the active ones by
/// renumbering the catalog in steps of ten, in one transaction.
pub fn shift(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ActivityId,
    direction: i32,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let mut order: Vec<ActivityId> =
            list_active(conn, user)?.into_iter().map(|a| a.id).collect();
        let Some(at) = order.iter().position(|a| a == id) else {
            return Ok(false);
        };
        let to = at as i64 + i64::from(direction.signum());
        if to < 0 || to >= order.len() as i64 {
            return Ok(true);
        }
        order.swap(at, to as usize);
        for (i, activity) in order.iter().enumerate() {
            diesel::update(
                activities::table
                    .filter(activities::user_id.eq(user))
                    .filter(activities::id.eq(activity)),
            )
            .set((
                activities::sort_order.eq((i as i32 + 1) * 10),
                activities::updated_at.eq(now),
            ))
            .execute(conn)?;
        }
        Ok(true)
    })
}

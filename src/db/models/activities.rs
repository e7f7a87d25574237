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

/// The picker's order: `sort_order`, then most used.
pub fn list_active(conn: &mut AnyConnection, user: &UserId) -> QueryResult<Vec<Activity>> {
    activities::table
        .filter(activities::user_id.eq(user))
        .filter(activities::is_active.eq(true))
        .order((
            activities::sort_order.asc(),
            activities::times_used.desc(),
            activities::title.asc(),
        ))
        .select(Activity::as_select())
        .load(conn)
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

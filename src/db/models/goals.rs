//! `goals`: targets that move when linked blocks are done.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::goals;
use crate::domain::{GoalId, GoalType, UserId};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Identifiable)]
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

/// The user's goals, open ones first, then by type and due date.
pub fn list_for_user(conn: &mut AnyConnection, user: &UserId) -> QueryResult<Vec<Goal>> {
    goals::table
        .filter(goals::user_id.eq(user))
        .order((
            goals::completed_at.is_not_null().asc(),
            goals::goal_type.asc(),
            goals::due_date.asc(),
        ))
        .select(Goal::as_select())
        .load(conn)
}

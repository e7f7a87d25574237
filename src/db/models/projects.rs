//! `projects`: client work moving through the pipeline. Owned through the client.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{clients, projects};
use crate::domain::{ClientId, Money, Priority, ProjectId, ProjectStatus, ProjectType, UserId};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = projects)]
pub struct Project {
    pub id: ProjectId,
    pub client_id: ClientId,
    pub name: String,
    pub description: Option<String>,
    pub project_type: ProjectType,
    pub status: ProjectStatus,
    pub priority: Priority,
    pub start_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub budget: Option<Money>,
    pub paid_amount: Money,
    pub repository_url: Option<String>,
    pub staging_url: Option<String>,
    pub production_url: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, project: &Project) -> QueryResult<()> {
    diesel::insert_into(projects::table)
        .values(project)
        .execute(conn)
        .map(drop)
}

/// A project, only if its client belongs to `user`.
pub fn find(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ProjectId,
) -> QueryResult<Option<Project>> {
    projects::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .filter(projects::id.eq(id))
        .select(Project::as_select())
        .first(conn)
        .optional()
}

/// The user's projects with their client's name, by pipeline stage then due date.
pub fn list_for_user(
    conn: &mut AnyConnection,
    user: &UserId,
) -> QueryResult<Vec<(Project, String)>> {
    projects::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .order((
            projects::due_date.is_null().asc(),
            projects::due_date.asc(),
            projects::name.asc(),
        ))
        .select((Project::as_select(), clients::name))
        .load(conn)
}

/// A client's projects.
pub fn for_client(
    conn: &mut AnyConnection,
    user: &UserId,
    client: &ClientId,
) -> QueryResult<Vec<Project>> {
    projects::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .filter(projects::client_id.eq(client))
        .order(projects::created_at.asc())
        .select(Project::as_select())
        .load(conn)
}

/// Unlaunched projects due on or before `until` (late ones included), soonest first.
pub fn due_by(
    conn: &mut AnyConnection,
    user: &UserId,
    until: NaiveDate,
) -> QueryResult<Vec<(Project, String)>> {
    projects::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .filter(projects::status.ne(ProjectStatus::Launched))
        .filter(projects::due_date.le(until))
        .order((projects::due_date.asc(), projects::name.asc()))
        .limit(20)
        .select((Project::as_select(), clients::name))
        .load(conn)
}

/// The user's projects by name, for pickers.
pub fn names_for_user(
    conn: &mut AnyConnection,
    user: &UserId,
) -> QueryResult<Vec<(ProjectId, String, String)>> {
    projects::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .filter(projects::status.ne(ProjectStatus::Launched))
        .order((clients::name.asc(), projects::name.asc()))
        .select((projects::id, projects::name, clients::name))
        .load(conn)
}

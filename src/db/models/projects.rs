//! `projects`: client work moving through the pipeline. Owned through the client.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::audit::{self, AuditEvent};
use crate::db::AnyConnection;
use crate::db::schema::{clients, projects};
use crate::domain::{
    AuditAction, ClientId, CrmEvent, Money, Priority, ProjectId, ProjectStatus, ProjectType, UserId,
};

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
    /// The hours of work the project needs.
    pub estimated_hours: Option<i32>,
}

impl Project {
    /// What the budget still holds after what was paid (negative when overpaid);
    /// `None` without a budget.
    pub fn open(&self) -> Option<rust_decimal::Decimal> {
        self.budget.map(|b| b.amount() - self.paid_amount.amount())
    }
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

/// What the Command Center's "Between blocks" panel shows of a project due soon.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct DueProject {
    pub id: ProjectId,
    pub name: String,
    pub due_date: Option<NaiveDate>,
    pub client_name: String,
}

/// Unlaunched projects of the user due by `until` (late ones included), soonest
/// first, at most 20; only the columns the panel shows.
pub fn due_by(
    conn: &mut AnyConnection,
    user: &UserId,
    until: NaiveDate,
) -> QueryResult<Vec<DueProject>> {
    crate::per_backend!(conn, |c| {
        projects::table
            .inner_join(clients::table)
            .filter(clients::user_id.eq(user))
            .filter(projects::status.ne(ProjectStatus::Launched))
            .filter(projects::due_date.le(until))
            .order((projects::due_date.asc(), projects::name.asc()))
            .limit(20)
            .select((
                projects::id,
                projects::name,
                projects::due_date,
                clients::name,
            ))
            .load(c)
    })
}

/// The user's projects by name, for pickers.
pub fn names_for_user(
    conn: &mut AnyConnection,
    user: &UserId,
) -> QueryResult<Vec<(ProjectId, String, String)>> {
    Ok(running(every_name(conn, user)?))
}

/// The projects of `every_name` that are still running (not launched), as the
/// project pickers offer them.
pub fn running(
    every: Vec<(ProjectId, String, String, ProjectStatus)>,
) -> Vec<(ProjectId, String, String)> {
    every
        .into_iter()
        .filter(|p| p.3 != ProjectStatus::Launched)
        .map(|(id, name, client, _)| (id, name, client))
        .collect()
}

/// Every project's name with its client's and its stage, launched ones too (the
/// tasks list names the projects of old blocks from it).
pub fn every_name(
    conn: &mut AnyConnection,
    user: &UserId,
) -> QueryResult<Vec<(ProjectId, String, String, ProjectStatus)>> {
    projects::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .order((clients::name.asc(), projects::name.asc()))
        .select((
            projects::id,
            projects::name,
            clients::name,
            projects::status,
        ))
        .load(conn)
}

/// The editable fields of a project, validated: the update form (`AsChangeset`,
/// an empty field clears its column) and the heart of the insert form.
#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset)]
#[diesel(table_name = projects, treat_none_as_null = true)]
pub struct ProjectFields {
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
    pub estimated_hours: Option<i32>,
    pub repository_url: Option<String>,
    pub staging_url: Option<String>,
    pub production_url: Option<String>,
}

/// What a new project row has besides its fields: its id and timestamps
/// (inserted together with the fields as one row).
#[derive(Insertable)]
#[diesel(table_name = projects)]
struct NewProject<'a> {
    id: &'a ProjectId,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Creates a project for one of the user's clients; `None` if the client is not theirs.
pub fn create(
    conn: &mut AnyConnection,
    user: &UserId,
    fields: &ProjectFields,
    now: NaiveDateTime,
) -> QueryResult<Option<ProjectId>> {
    if super::clients::find(conn, user, &fields.client_id)?.is_none() {
        return Ok(None);
    }
    let id = ProjectId::generate();
    diesel::insert_into(projects::table)
        .values((
            NewProject {
                id: &id,
                created_at: now,
                updated_at: now,
            },
            fields,
        ))
        .execute(conn)?;
    let paid = fields.paid_amount.amount();
    super::payments::record(conn, user, &fields.client_id, Some(&id), paid, now)?;
    count_launch(conn, user, ProjectStatus::Planning, fields.status, now)?;
    Ok(Some(id))
}

/// Saves edited fields; `None` if the project (or the new client) is not the user's.
pub fn update(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ProjectId,
    fields: &ProjectFields,
    now: NaiveDateTime,
) -> QueryResult<Option<()>> {
    let Some(before) = find(conn, user, id)? else {
        return Ok(None);
    };
    if super::clients::find(conn, user, &fields.client_id)?.is_none() {
        return Ok(None);
    }
    diesel::update(projects::table.find(id))
        .set((fields, projects::updated_at.eq(now)))
        .execute(conn)?;
    // A paid amount that rose is a payment (a fall, a correction of one).
    let change = fields.paid_amount.amount() - before.paid_amount.amount();
    super::payments::record(conn, user, &fields.client_id, Some(id), change, now)?;
    count_launch(conn, user, before.status, fields.status, now)?;
    Ok(Some(()))
}

/// A move onto LAUNCHED is a launch a goal can count; a move off it takes one back.
fn count_launch(
    conn: &mut AnyConnection,
    user: &UserId,
    from: ProjectStatus,
    to: ProjectStatus,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let launched = |s: ProjectStatus| s == ProjectStatus::Launched;
    match (launched(from), launched(to)) {
        (false, true) => super::goals::count_event(conn, user, CrmEvent::Launch, 1, now),
        (true, false) => super::goals::count_event(conn, user, CrmEvent::Launch, -1, now),
        _ => Ok(()),
    }
}

/// Where a move takes a project on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Forward,
    Back,
    /// Straight to a stage (a card dropped on its column).
    To(ProjectStatus),
}

/// Moves a project (`step`) and, when it moved, records it in its client's
/// timeline. The project before and its stage now; `None` if it is not the user's.
pub fn step_audited(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ProjectId,
    to: Step,
    now: NaiveDateTime,
) -> QueryResult<Option<(Project, ProjectStatus)>> {
    let Some((before, after)) = step(conn, user, id, to, now)? else {
        return Ok(None);
    };
    if before.status != after {
        audit::record(
            conn,
            AuditEvent::new(AuditAction::ProjectMoved, now)
                .user(user)
                .entity("client", before.client_id.as_str())
                .details(
                    serde_json::json!({ "project": before.name, "stage": [before.status, after] }),
                ),
        )?;
    }
    Ok(Some((before, after)))
}

/// Moves a project one stage forward or back, or to a stage. Returns the project
/// before and the new stage, or `None` if it is not the user's; at either end
/// nothing changes.
pub fn step(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ProjectId,
    to: Step,
    now: NaiveDateTime,
) -> QueryResult<Option<(Project, ProjectStatus)>> {
    let Some(project) = find(conn, user, id)? else {
        return Ok(None);
    };
    let next = match to {
        Step::Forward => project.status.next(),
        Step::Back => project.status.previous(),
        Step::To(stage) => Some(stage).filter(|s| *s != project.status),
    };
    let Some(next) = next else {
        return Ok(Some((project.clone(), project.status)));
    };
    // Only from the stage we read: a second, repeated click moves nothing further.
    let moved = diesel::update(
        projects::table
            .find(id)
            .filter(projects::status.eq(project.status)),
    )
    .set((projects::status.eq(next), projects::updated_at.eq(now)))
    .execute(conn)?;
    if moved == 1 {
        count_launch(conn, user, project.status, next, now)?;
    }
    Ok(Some((project, next)))
}

/// Filters of the pipeline board.
#[derive(Debug, Clone, Default)]
pub struct BoardFilter {
    pub client: Option<ClientId>,
    pub project_type: Option<ProjectType>,
    pub priority: Option<Priority>,
}

/// Every project of the user with its client's name, for the board.
pub fn board(
    conn: &mut AnyConnection,
    user: &UserId,
    filter: &BoardFilter,
) -> QueryResult<Vec<(Project, String)>> {
    let mut query = projects::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .into_boxed::<crate::db::MultiBackend>();
    if let Some(client) = &filter.client {
        query = query.filter(projects::client_id.eq(client));
    }
    if let Some(kind) = filter.project_type {
        query = query.filter(projects::project_type.eq(kind));
    }
    if let Some(priority) = filter.priority {
        query = query.filter(projects::priority.eq(priority));
    }
    query
        .order((
            projects::due_date.is_null().asc(),
            projects::due_date.asc(),
            projects::name.asc(),
        ))
        .select((Project::as_select(), clients::name))
        .load(conn)
}

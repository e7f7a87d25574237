//! The command palette's search: a user's blocks, clients, projects and catalog
//! activities whose name contains the text, a few of each, newest or nearest first.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::{activities, clients, projects, tasks};
use crate::db::types::lower;
use crate::db::{AnyConnection, contains_pattern};
use crate::domain::{ActivityId, ClientId, ProjectId, TaskId, TimeOfDay, UserId};

/// How many of each kind the palette shows.
pub const PER_KIND: i64 = 5;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub blocks: Vec<(TaskId, String, Option<NaiveDate>, Option<TimeOfDay>)>,
    pub clients: Vec<(ClientId, String, Option<String>)>,
    pub projects: Vec<(ProjectId, String, String)>,
    pub activities: Vec<(ActivityId, String)>,
}

pub fn find(conn: &mut AnyConnection, user: &UserId, text: &str) -> QueryResult<Found> {
    let pattern = contains_pattern(text);
    let blocks = tasks::table
        .filter(tasks::user_id.eq(user))
        .filter(lower(tasks::title).like(&pattern).escape('\\'))
        .order((tasks::scheduled_date.desc(), tasks::created_at.desc()))
        .select((
            tasks::id,
            tasks::title,
            tasks::scheduled_date,
            tasks::scheduled_time,
        ))
        .limit(PER_KIND)
        .load(conn)?;
    let clients = clients::table
        .filter(clients::user_id.eq(user))
        .filter(
            lower(clients::name).like(&pattern).escape('\\').or(lower(
                clients::company.assume_not_null(),
            )
            .like(&pattern)
            .escape('\\')),
        )
        .order(clients::name.asc())
        .select((clients::id, clients::name, clients::company))
        .limit(PER_KIND)
        .load(conn)?;
    let projects = projects::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .filter(lower(projects::name).like(&pattern).escape('\\'))
        .order(projects::name.asc())
        .select((projects::id, projects::name, clients::name))
        .limit(PER_KIND)
        .load(conn)?;
    let activities = activities::table
        .filter(activities::user_id.eq(user))
        .filter(activities::is_active.eq(true))
        .filter(lower(activities::title).like(&pattern).escape('\\'))
        .order(activities::title.asc())
        .select((activities::id, activities::title))
        .limit(PER_KIND)
        .load(conn)?;
    Ok(Found {
        blocks,
        clients,
        projects,
        activities,
    })
}

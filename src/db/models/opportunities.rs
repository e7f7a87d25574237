//! `opportunities`: upsell ideas per client, by hand or suggested by the app.
//! Owned through the client: every query joins `clients` on the user.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{clients, opportunities};
use crate::domain::{
    ClientId, Money, OpportunityId, Priority, ProjectId, ProjectStatus, ProjectType, UserId,
};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = opportunities)]
pub struct Opportunity {
    pub id: OpportunityId,
    pub client_id: ClientId,
    pub title: String,
    pub description: Option<String>,
    pub value: Option<Money>,
    pub is_ai_generated: bool,
    pub is_dismissed: bool,
    pub is_converted: bool,
    pub converted_project_id: Option<ProjectId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, opportunity: &Opportunity) -> QueryResult<()> {
    diesel::insert_into(opportunities::table)
        .values(opportunity)
        .execute(conn)
        .map(drop)
}

/// One of the user's opportunities (through its client).
pub fn find(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &OpportunityId,
) -> QueryResult<Option<Opportunity>> {
    opportunities::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .filter(opportunities::id.eq(id))
        .select(Opportunity::as_select())
        .first(conn)
        .optional()
}

/// A client's opportunities: open ones first, newest first.
pub fn for_client(
    conn: &mut AnyConnection,
    user: &UserId,
    client: &ClientId,
) -> QueryResult<Vec<Opportunity>> {
    opportunities::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .filter(opportunities::client_id.eq(client))
        .order((
            opportunities::is_converted.asc(),
            opportunities::is_dismissed.asc(),
            opportunities::created_at.desc(),
        ))
        .select(Opportunity::as_select())
        .load(conn)
}

pub fn create(
    conn: &mut AnyConnection,
    client: &ClientId,
    title: &str,
    description: Option<&str>,
    value: Option<Money>,
    suggested: bool,
    now: NaiveDateTime,
) -> QueryResult<OpportunityId> {
    let id = OpportunityId::generate();
    insert(
        conn,
        &Opportunity {
            id: id.clone(),
            client_id: client.clone(),
            title: title.chars().take(200).collect(),
            description: description.map(str::to_string),
            value,
            is_ai_generated: suggested,
            is_dismissed: false,
            is_converted: false,
            converted_project_id: None,
            created_at: now,
            updated_at: now,
        },
    )?;
    Ok(id)
}

/// Dismisses an open opportunity; `false` if it was already closed.
pub fn dismiss(
    conn: &mut AnyConnection,
    id: &OpportunityId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        opportunities::table
            .find(id)
            .filter(opportunities::is_dismissed.eq(false))
            .filter(opportunities::is_converted.eq(false)),
    )
    .set((
        opportunities::is_dismissed.eq(true),
        opportunities::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Converts an open opportunity into a PLANNING project with its value as budget,
/// in one transaction whose first statement claims the opportunity: converting
/// twice (a double click) creates one project. Returns the project.
pub fn convert(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &OpportunityId,
    now: NaiveDateTime,
) -> QueryResult<Option<ProjectId>> {
    conn.transaction(|conn| {
        // Claim first (a write takes the lock on both backends), owned rows only.
        let owned = clients::table
            .filter(clients::user_id.eq(user))
            .select(clients::id);
        let claimed = diesel::update(
            opportunities::table
                .find(id)
                .filter(opportunities::client_id.eq_any(owned))
                .filter(opportunities::is_converted.eq(false))
                .filter(opportunities::is_dismissed.eq(false)),
        )
        .set((
            opportunities::is_converted.eq(true),
            opportunities::updated_at.eq(now),
        ))
        .execute(conn)?;
        let Some(found) = find(conn, user, id)? else {
            return Ok(None);
        };
        if claimed == 0 {
            // Already converted (or dismissed): nothing new.
            return Ok(found.converted_project_id);
        }
        let project = ProjectId::generate();
        super::projects::insert(
            conn,
            &super::projects::Project {
                id: project.clone(),
                client_id: found.client_id.clone(),
                name: found.title.clone(),
                description: found.description.clone(),
                project_type: ProjectType::Other,
                status: ProjectStatus::Planning,
                priority: Priority::Medium,
                start_date: None,
                due_date: None,
                budget: found.value,
                paid_amount: Money::ZERO,
                repository_url: None,
                staging_url: None,
                production_url: None,
                created_at: now,
                updated_at: now,
            },
        )?;
        diesel::update(opportunities::table.find(id))
            .set(opportunities::converted_project_id.eq(&project))
            .execute(conn)?;
        Ok(Some(project))
    })
}

/// Titles of all of a client's opportunities, in any state (for de-duplication).
pub fn titles(conn: &mut AnyConnection, client: &ClientId) -> QueryResult<Vec<String>> {
    opportunities::table
        .filter(opportunities::client_id.eq(client))
        .select(opportunities::title)
        .load(conn)
}

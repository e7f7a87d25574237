//! `opportunities`: upsell ideas per client, by hand or suggested by the app.
//! Owned through the client: every query joins `clients` on the user.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, AuditEvent};
use crate::db::AnyConnection;
use crate::db::schema::{clients, opportunities};
use crate::domain::suggestions::Suggested;
use crate::domain::{
    AuditAction, ClientId, Money, OpportunityId, Priority, ProjectId, ProjectStatus, ProjectType,
    UserId,
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
    /// Why it was dismissed, as the person said.
    pub dismissed_reason: Option<String>,
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

/// What an opportunity starts with, by hand or from a suggestion rule.
pub struct NewOpportunity<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub value: Option<Money>,
    pub suggested: bool,
}

/// The ids of the user's clients, as a subquery: opportunities are owned through them.
#[diesel::dsl::auto_type]
fn client_ids_of<'a>(user: &'a UserId) -> _ {
    clients::table
        .filter(clients::user_id.eq(user))
        .select(clients::id)
}

/// Whether `client` is one of the user's.
fn owns(conn: &mut AnyConnection, user: &UserId, client: &ClientId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        clients::table
            .filter(clients::user_id.eq(user))
            .filter(clients::id.eq(client)),
    ))
    .get_result(conn)
}

/// Adds an opportunity to one of the user's clients; `None` if the client is not theirs.
pub fn create(
    conn: &mut AnyConnection,
    user: &UserId,
    client: &ClientId,
    new: &NewOpportunity<'_>,
    now: NaiveDateTime,
) -> QueryResult<Option<OpportunityId>> {
    if !owns(conn, user, client)? {
        return Ok(None);
    }
    let id = OpportunityId::generate();
    insert(
        conn,
        &Opportunity {
            id: id.clone(),
            client_id: client.clone(),
            title: new.title.chars().take(200).collect(),
            description: new.description.map(str::to_string),
            value: new.value,
            is_ai_generated: new.suggested,
            is_dismissed: false,
            is_converted: false,
            converted_project_id: None,
            created_at: now,
            updated_at: now,
            dismissed_reason: None,
        },
    )?;
    Ok(Some(id))
}

/// Adds an opportunity by hand and records it in the client's timeline.
pub fn create_audited(
    conn: &mut AnyConnection,
    user: &UserId,
    client: &ClientId,
    new: &NewOpportunity<'_>,
    now: NaiveDateTime,
) -> QueryResult<Option<OpportunityId>> {
    let Some(id) = create(conn, user, client, new, now)? else {
        return Ok(None);
    };
    audit::record(
        conn,
        AuditEvent::new(AuditAction::OpportunityCreated, now)
            .user(user)
            .entity("client", client.as_str())
            .details(serde_json::json!({ "title": new.title })),
    )?;
    Ok(Some(id))
}

/// Stores what the suggestion rules found for a client and records how many.
pub fn store_suggestions(
    conn: &mut AnyConnection,
    user: &UserId,
    client: &ClientId,
    found: &[Suggested],
    now: NaiveDateTime,
) -> QueryResult<()> {
    if !owns(conn, user, client)? {
        return Ok(());
    }
    for s in found {
        let new = NewOpportunity {
            title: &s.title,
            description: Some(&s.evidence),
            value: s.value,
            suggested: true,
        };
        create(conn, user, client, &new, now)?;
    }
    audit::record(
        conn,
        AuditEvent::new(AuditAction::OpportunitySuggested, now)
            .user(user)
            .entity("client", client.as_str())
            .details(serde_json::json!({ "count": found.len() })),
    )
}

/// Dismisses one of the user's open opportunities; `false` if it is not theirs or
/// was already closed.
pub fn dismiss(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &OpportunityId,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let owned = client_ids_of(user);
    let changed = diesel::update(
        opportunities::table
            .find(id)
            .filter(opportunities::client_id.eq_any(owned))
            .filter(opportunities::is_dismissed.eq(false))
            .filter(opportunities::is_converted.eq(false)),
    )
    .set((
        opportunities::is_dismissed.eq(true),
        opportunities::dismissed_reason.eq(reason),
        opportunities::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Brings a dismissed opportunity back (its reason goes); the client and its
/// title, or `None` if it is not the user's dismissed one.
pub fn restore_audited(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &OpportunityId,
    now: NaiveDateTime,
) -> QueryResult<Option<(ClientId, String)>> {
    let Some(found) = find(conn, user, id)?.filter(|o| o.is_dismissed) else {
        return Ok(None);
    };
    diesel::update(opportunities::table.find(id))
        .set((
            opportunities::is_dismissed.eq(false),
            opportunities::dismissed_reason.eq(None::<String>),
            opportunities::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        AuditEvent::new(AuditAction::OpportunityRestored, now)
            .user(user)
            .entity("client", found.client_id.as_str())
            .details(serde_json::json!({ "title": found.title })),
    )?;
    Ok(Some((found.client_id, found.title)))
}

/// Dismisses (once) and records the reason in the client's timeline; the client,
/// or `None` if the opportunity is not the user's.
pub fn dismiss_audited(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &OpportunityId,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Option<ClientId>> {
    let Some(found) = find(conn, user, id)? else {
        return Ok(None);
    };
    if dismiss(conn, user, id, reason, now)? {
        audit::record(
            conn,
            AuditEvent::new(AuditAction::OpportunityDismissed, now)
                .user(user)
                .entity("client", found.client_id.as_str())
                .details(serde_json::json!({ "title": found.title, "reason": reason })),
        )?;
    }
    Ok(Some(found.client_id))
}

/// What converting asked for came to.
pub enum Converted {
    /// The project it made (now, or on an earlier request).
    Project(ProjectId),
    /// It was dismissed, so it cannot be converted.
    Dismissed,
}

/// Converts (once) and records it in the client's timeline; `None` if the
/// opportunity is not the user's.
pub fn convert_audited(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &OpportunityId,
    now: NaiveDateTime,
) -> QueryResult<Option<Converted>> {
    let Some(found) = find(conn, user, id)? else {
        return Ok(None);
    };
    let Some(project) = convert(conn, user, id, now)? else {
        return Ok(Some(Converted::Dismissed));
    };
    if !found.is_converted {
        audit::record(
            conn,
            AuditEvent::new(AuditAction::OpportunityConverted, now)
                .user(user)
                .entity("client", found.client_id.as_str())
                .details(serde_json::json!({ "title": found.title })),
        )?;
    }
    Ok(Some(Converted::Project(project)))
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
        let owned = client_ids_of(user);
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
                estimated_hours: None,
            },
        )?;
        diesel::update(opportunities::table.find(id))
            .set(opportunities::converted_project_id.eq(&project))
            .execute(conn)?;
        Ok(Some(project))
    })
}

/// Titles of all of one of the user's clients' opportunities, in any state (for
/// de-duplication).
pub fn titles(
    conn: &mut AnyConnection,
    user: &UserId,
    client: &ClientId,
) -> QueryResult<Vec<String>> {
    opportunities::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .filter(opportunities::client_id.eq(client))
        .select(opportunities::title)
        .load(conn)
}

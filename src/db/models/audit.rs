//! `audit_logs`: security-relevant events (logins, denials, reveals) and, later,
//! the history a client's timeline shows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::audit_logs;
use crate::db::{AnyConnection, Json};
use crate::domain::{AuditAction, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_logs)]
pub struct AuditEntry {
    pub id: String,
    pub user_id: Option<UserId>,
    pub action: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub details: Json,
    pub ip_address: Option<String>,
    pub created_at: NaiveDateTime,
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    pub user_id: Option<&'a UserId>,
    pub action: AuditAction,
    pub entity: Option<(&'a str, &'a str)>,
    pub details: serde_json::Value,
    pub ip: Option<&'a str>,
    /// When it happened, from the app's clock.
    pub at: NaiveDateTime,
}

impl<'a> AuditEvent<'a> {
    pub fn new(action: AuditAction, at: NaiveDateTime) -> Self {
        AuditEvent {
            user_id: None,
            action,
            entity: None,
            details: serde_json::json!({}),
            ip: None,
            at,
        }
    }

    pub fn user(mut self, user: &'a UserId) -> Self {
        self.user_id = Some(user);
        self
    }

    pub fn entity(mut self, entity_type: &'a str, id: &'a str) -> Self {
        self.entity = Some((entity_type, id));
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    pub fn ip(mut self, ip: Option<&'a str>) -> Self {
        self.ip = ip;
        self
    }
}

pub fn record(conn: &mut AnyConnection, event: AuditEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_logs::table)
        .values((
            audit_logs::id.eq(uuid::Uuid::new_v4().to_string()),
            audit_logs::user_id.eq(event.user_id),
            audit_logs::action.eq(event.action.as_str()),
            audit_logs::entity_type.eq(event.entity.map(|(t, _)| t)),
            audit_logs::entity_id.eq(event.entity.map(|(_, id)| id)),
            audit_logs::details.eq(Json(event.details)),
            audit_logs::ip_address.eq(event.ip),
            audit_logs::created_at.eq(event.at),
        ))
        .execute(conn)
        .map(drop)
}

/// A user's most recent events, newest first.
pub fn recent_for_user(
    conn: &mut AnyConnection,
    user: &UserId,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    audit_logs::table
        .filter(audit_logs::user_id.eq(user))
        .order((audit_logs::created_at.desc(), audit_logs::id.desc()))
        .limit(limit)
        .select(AuditEntry::as_select())
        .load(conn)
}

/// One entity's history (a client's timeline), newest first.
pub fn for_entity(
    conn: &mut AnyConnection,
    user: &UserId,
    entity_type: &str,
    entity_id: &str,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    audit_logs::table
        .filter(audit_logs::user_id.eq(user))
        .filter(audit_logs::entity_type.eq(entity_type))
        .filter(audit_logs::entity_id.eq(entity_id))
        .order((audit_logs::created_at.desc(), audit_logs::id.desc()))
        .limit(limit)
        .select(AuditEntry::as_select())
        .load(conn)
}

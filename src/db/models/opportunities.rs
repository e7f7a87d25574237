//! `opportunities`: upsell ideas per client, by hand or suggested by the app.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::opportunities;
use crate::domain::{ClientId, Money, OpportunityId, ProjectId};

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

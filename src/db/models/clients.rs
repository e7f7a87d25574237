//! `clients`: the CRM's accounts, with health and payment status.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::clients;
use crate::db::{AnyConnection, Json};
use crate::domain::{ClientId, ClientStatus, HealthScore, Money, PaymentStatus, UserId};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Identifiable)]
#[diesel(table_name = clients)]
pub struct Client {
    pub id: ClientId,
    pub user_id: UserId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub industry: Option<String>,
    pub website_url: Option<String>,
    pub github_url: Option<String>,
    pub vercel_url: Option<String>,
    pub figma_url: Option<String>,
    /// AEAD envelope; never rendered.
    pub credentials: Option<String>,
    pub status: ClientStatus,
    pub health_score: HealthScore,
    pub contract_value: Option<Money>,
    pub monthly_retainer: Option<Money>,
    pub payment_status: PaymentStatus,
    pub last_contacted: Option<NaiveDateTime>,
    pub next_followup: Option<NaiveDateTime>,
    pub followup_cadence_days: i32,
    pub referred_by: Option<String>,
    pub notes: Option<String>,
    pub metadata: Json,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, client: &Client) -> QueryResult<()> {
    diesel::insert_into(clients::table)
        .values(client)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut AnyConnection, user: &UserId, id: &ClientId) -> QueryResult<Option<Client>> {
    clients::table
        .filter(clients::user_id.eq(user))
        .filter(clients::id.eq(id))
        .select(Client::as_select())
        .first(conn)
        .optional()
}

pub fn count_for_user(conn: &mut AnyConnection, user: &UserId) -> QueryResult<i64> {
    clients::table
        .filter(clients::user_id.eq(user))
        .count()
        .get_result(conn)
}

/// The user's clients by name.
pub fn list_for_user(conn: &mut AnyConnection, user: &UserId) -> QueryResult<Vec<Client>> {
    clients::table
        .filter(clients::user_id.eq(user))
        .order((clients::name.asc(), clients::id.asc()))
        .select(Client::as_select())
        .load(conn)
}

/// Active or paused clients that need something: a follow-up due before `due_by`,
/// health YELLOW or RED, or an overdue payment. Soonest follow-up first.
pub fn needing_attention(
    conn: &mut AnyConnection,
    user: &UserId,
    due_by: NaiveDateTime,
) -> QueryResult<Vec<Client>> {
    clients::table
        .filter(clients::user_id.eq(user))
        .filter(clients::status.eq_any([ClientStatus::Active, ClientStatus::Paused]))
        .filter(
            clients::next_followup
                .le(due_by)
                .or(clients::health_score.eq_any([HealthScore::Yellow, HealthScore::Red]))
                .or(clients::payment_status.eq(PaymentStatus::Overdue)),
        )
        .order((
            clients::next_followup.is_null().asc(),
            clients::next_followup.asc(),
            clients::name.asc(),
        ))
        .limit(50)
        .select(Client::as_select())
        .load(conn)
}

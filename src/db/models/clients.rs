//! `clients`: the CRM's accounts, with health and payment status.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;

use super::audit::{self, AuditEvent};
use crate::db::schema::clients;
use crate::db::types::lower;
use crate::db::{AnyConnection, Json};
use crate::domain::{
    AuditAction, ClientId, ClientStatus, CrmEvent, HealthScore, Money, PaymentStatus, UserId,
};

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
    /// The hours the retainer covers each month.
    pub retainer_hours_per_month: Option<i32>,
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

/// What the Command Center's "Between blocks" panel shows of a client.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = clients)]
pub struct AttentionClient {
    pub id: ClientId,
    pub name: String,
    pub company: Option<String>,
    pub health_score: HealthScore,
    pub payment_status: PaymentStatus,
    pub next_followup: Option<NaiveDateTime>,
}

/// Active or paused clients with a follow-up due by `due_by`, a health score other
/// than green, or an overdue payment: at most 50, the most overdue follow-up first.
/// Only the panel's columns are read: the whole row (money, notes, metadata) cost
/// four times as much to decode, on every load of the day page.
pub fn needing_attention(
    conn: &mut AnyConnection,
    user: &UserId,
    due_by: NaiveDateTime,
) -> QueryResult<Vec<AttentionClient>> {
    crate::per_backend!(conn, |c| {
        clients::table
            .filter(clients::user_id.eq(user))
            // `=`/`<>` rather than `IN (…)`: diesel caches only statements without an
            // IN list, and re-preparing this one cost a fifth of the day page.
            .filter(
                clients::status
                    .eq(ClientStatus::Active)
                    .or(clients::status.eq(ClientStatus::Paused)),
            )
            .filter(
                clients::next_followup
                    .le(due_by)
                    .or(clients::health_score.ne(HealthScore::Green))
                    .or(clients::payment_status.eq(PaymentStatus::Overdue)),
            )
            .order((
                clients::next_followup.is_null().asc(),
                clients::next_followup.asc(),
                clients::name.asc(),
            ))
            .limit(50)
            .select(AttentionClient::as_select())
            .load(c)
    })
}

/// The editable fields of a client, validated: the update form (`AsChangeset`,
/// an empty field clears its column) and the heart of the insert form.
#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset)]
#[diesel(table_name = clients, treat_none_as_null = true)]
pub struct ClientFields {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub industry: Option<String>,
    pub website_url: Option<String>,
    pub github_url: Option<String>,
    pub vercel_url: Option<String>,
    pub figma_url: Option<String>,
    pub status: ClientStatus,
    pub health_score: HealthScore,
    pub payment_status: PaymentStatus,
    pub contract_value: Option<Money>,
    pub monthly_retainer: Option<Money>,
    pub retainer_hours_per_month: Option<i32>,
    pub followup_cadence_days: i32,
    pub next_followup: Option<NaiveDateTime>,
    pub referred_by: Option<String>,
    pub notes: Option<String>,
}

/// What a new client row has besides its fields: owner, id and the columns only
/// the app sets (inserted together with the fields as one row).
#[derive(Insertable)]
#[diesel(table_name = clients)]
struct NewClient<'a> {
    id: &'a ClientId,
    user_id: &'a UserId,
    metadata: Json,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

pub fn create(
    conn: &mut AnyConnection,
    user: &UserId,
    fields: &ClientFields,
    now: NaiveDateTime,
) -> QueryResult<ClientId> {
    let id = ClientId::generate();
    diesel::insert_into(clients::table)
        .values((
            NewClient {
                id: &id,
                user_id: user,
                metadata: Json(serde_json::json!({})),
                created_at: now,
                updated_at: now,
            },
            fields,
        ))
        .execute(conn)?;
    if fields
        .monthly_retainer
        .is_some_and(|r| r.amount() > Decimal::ZERO)
    {
        super::goals::count_event(conn, user, CrmEvent::Retainer, 1, now)?;
    }
    Ok(id)
}

/// The CRM events a change of a client's terms is: a retainer set or raised
/// (lowered: one taken back), payments back to current (or no longer).
fn count_term_events(
    conn: &mut AnyConnection,
    user: &UserId,
    before: &Client,
    after: &ClientFields,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let amount = |m: Option<Money>| m.map_or(Decimal::ZERO, Money::amount);
    let (was, is) = (
        amount(before.monthly_retainer),
        amount(after.monthly_retainer),
    );
    if was != is {
        let delta = if is > was { 1 } else { -1 };
        super::goals::count_event(conn, user, CrmEvent::Retainer, delta, now)?;
    }
    let current = |s: PaymentStatus| s == PaymentStatus::Current;
    if current(before.payment_status) != current(after.payment_status) {
        let delta = if current(after.payment_status) { 1 } else { -1 };
        super::goals::count_event(conn, user, CrmEvent::Payment, delta, now)?;
    }
    Ok(())
}

/// Creates a client and records it in its timeline.
pub fn create_audited(
    conn: &mut AnyConnection,
    user: &UserId,
    fields: &ClientFields,
    now: NaiveDateTime,
) -> QueryResult<ClientId> {
    let id = create(conn, user, fields, now)?;
    audit::record(
        conn,
        AuditEvent::new(AuditAction::ClientCreated, now)
            .user(user)
            .entity("client", id.as_str()),
    )?;
    Ok(id)
}

/// Saves edited fields; `false` if the client is not the user's.
pub fn update(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ClientId,
    fields: &ClientFields,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(before) = find(conn, user, id)? else {
        return Ok(false);
    };
    update_from(conn, user, &before, fields, now)?;
    Ok(true)
}

/// Saves `fields` over the client as read (`before`, the user's) and counts
/// the events the change is.
fn update_from(
    conn: &mut AnyConnection,
    user: &UserId,
    before: &Client,
    fields: &ClientFields,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        clients::table
            .filter(clients::user_id.eq(user))
            .filter(clients::id.eq(&before.id)),
    )
    .set((fields, clients::updated_at.eq(now)))
    .execute(conn)?;
    count_term_events(conn, user, before, fields, now)
}

/// Saves edited fields and records, in the client's timeline, which of status,
/// health and payments changed (from → to); `false` if the client is not the user's.
pub fn update_audited(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ClientId,
    fields: &ClientFields,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(before) = find(conn, user, id)? else {
        return Ok(false);
    };
    update_from(conn, user, &before, fields, now)?;
    let mut changes = serde_json::Map::new();
    let mut note = |key: &str, from: &str, to: &str| {
        if from != to {
            changes.insert(key.into(), serde_json::json!([from, to]));
        }
    };
    note("status", before.status.as_str(), fields.status.as_str());
    note(
        "health",
        before.health_score.as_str(),
        fields.health_score.as_str(),
    );
    note(
        "payment",
        before.payment_status.as_str(),
        fields.payment_status.as_str(),
    );
    audit::record(
        conn,
        AuditEvent::new(AuditAction::ClientUpdated, now)
            .user(user)
            .entity("client", id.as_str())
            .details(changes.into()),
    )?;
    Ok(true)
}

/// Deletes a client with its projects and opportunities (ON DELETE CASCADE); its
/// blocks stay and lose the link.
pub fn delete(conn: &mut AnyConnection, user: &UserId, id: &ClientId) -> QueryResult<bool> {
    Ok(diesel::delete(
        clients::table
            .filter(clients::user_id.eq(user))
            .filter(clients::id.eq(id)),
    )
    .execute(conn)?
        == 1)
}

/// Records a contact: `last_contacted` now, the next follow-up one cadence later.
pub fn log_contact(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ClientId,
    now: NaiveDateTime,
) -> QueryResult<Option<Client>> {
    let Some(client) = find(conn, user, id)? else {
        return Ok(None);
    };
    let next = now + chrono::Duration::days(client.followup_cadence_days.into());
    diesel::update(
        clients::table
            .filter(clients::user_id.eq(user))
            .filter(clients::id.eq(id)),
    )
    .set((
        clients::last_contacted.eq(Some(now)),
        clients::next_followup.eq(Some(next)),
        clients::updated_at.eq(now),
    ))
    .execute(conn)?;
    super::goals::count_event(conn, user, CrmEvent::Contact, 1, now)?;
    Ok(Some(Client {
        last_contacted: Some(now),
        next_followup: Some(next),
        updated_at: now,
        ..client
    }))
}

/// Logs a contact (`log_contact`) with its optional note in the client's timeline.
pub fn log_contact_audited(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ClientId,
    note: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Option<Client>> {
    let Some(client) = log_contact(conn, user, id, now)? else {
        return Ok(None);
    };
    audit::record(
        conn,
        AuditEvent::new(AuditAction::ContactLogged, now)
            .user(user)
            .entity("client", id.as_str())
            .details(serde_json::json!({ "note": note })),
    )?;
    Ok(Some(client))
}

/// Filters and order of the clients list.
#[derive(Debug, Clone, Default)]
pub struct ClientFilter {
    pub status: Option<ClientStatus>,
    pub health: Option<HealthScore>,
    pub payment: Option<PaymentStatus>,
    pub search: Option<String>,
    pub sort: ClientSort,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClientSort {
    #[default]
    Name,
    NextFollowup,
    Health,
    Retainer,
}

pub fn search(
    conn: &mut AnyConnection,
    user: &UserId,
    filter: &ClientFilter,
) -> QueryResult<Vec<Client>> {
    let mut query = clients::table
        .filter(clients::user_id.eq(user))
        .into_boxed::<crate::db::MultiBackend>();
    if let Some(status) = filter.status {
        query = query.filter(clients::status.eq(status));
    }
    if let Some(health) = filter.health {
        query = query.filter(clients::health_score.eq(health));
    }
    if let Some(payment) = filter.payment {
        query = query.filter(clients::payment_status.eq(payment));
    }
    if let Some(text) = &filter.search {
        let pattern = crate::db::contains_pattern(text);
        query = query.filter(
            lower(clients::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(clients::company.assume_not_null())
                    .like(pattern.clone())
                    .escape('\\'))
                .or(lower(clients::email.assume_not_null())
                    .like(pattern)
                    .escape('\\')),
        );
    }
    let severity = "CASE clients.health_score WHEN 'RED' THEN 0 WHEN 'YELLOW' THEN 1 ELSE 2 END";
    query = match filter.sort {
        ClientSort::Name => query.order((lower(clients::name).asc(), clients::id.asc())),
        ClientSort::NextFollowup => query.order((
            clients::next_followup.is_null().asc(),
            clients::next_followup.asc(),
            clients::name.asc(),
        )),
        ClientSort::Health => query.order((
            diesel::dsl::sql::<diesel::sql_types::Integer>(severity).asc(),
            clients::name.asc(),
        )),
        ClientSort::Retainer => query.order((
            clients::monthly_retainer.is_null().asc(),
            clients::monthly_retainer.desc(),
            clients::name.asc(),
        )),
    };
    query.limit(1000).select(Client::as_select()).load(conn)
}

/// The list's headline figures, summed in SQL.
#[derive(Debug, Clone, Default)]
pub struct ClientFigures {
    /// Retainers of ACTIVE clients.
    pub monthly_recurring: rust_decimal::Decimal,
    /// Values of opportunities neither converted nor dismissed.
    pub open_pipeline: rust_decimal::Decimal,
    pub green: i64,
    pub yellow: i64,
    pub red: i64,
}

/// The active clients' monthly retainers, summed.
pub fn monthly_recurring(
    conn: &mut AnyConnection,
    user: &UserId,
) -> QueryResult<rust_decimal::Decimal> {
    let mrr: Option<crate::db::types::Total> = clients::table
        .filter(clients::user_id.eq(user))
        .filter(clients::status.eq(ClientStatus::Active))
        .select(diesel::dsl::sum(clients::monthly_retainer))
        .first(conn)?;
    Ok(mrr.map(|t| t.0).unwrap_or_default())
}

/// The open opportunities' values (neither converted nor dismissed), summed.
pub fn open_pipeline(
    conn: &mut AnyConnection,
    user: &UserId,
) -> QueryResult<rust_decimal::Decimal> {
    use crate::db::schema::opportunities;
    let pipeline: Option<crate::db::types::Total> = opportunities::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .filter(opportunities::is_converted.eq(false))
        .filter(opportunities::is_dismissed.eq(false))
        .select(diesel::dsl::sum(opportunities::value))
        .first(conn)?;
    Ok(pipeline.map(|t| t.0).unwrap_or_default())
}

pub fn figures(conn: &mut AnyConnection, user: &UserId) -> QueryResult<ClientFigures> {
    let mrr = monthly_recurring(conn, user)?;
    let pipeline = open_pipeline(conn, user)?;
    let counts: Vec<(HealthScore, i64)> = clients::table
        .filter(clients::user_id.eq(user))
        .group_by(clients::health_score)
        .select((clients::health_score, diesel::dsl::count_star()))
        .load(conn)?;
    let count = |h: HealthScore| counts.iter().find(|(s, _)| *s == h).map_or(0, |(_, n)| *n);
    Ok(ClientFigures {
        monthly_recurring: mrr,
        open_pipeline: pipeline,
        green: count(HealthScore::Green),
        yellow: count(HealthScore::Yellow),
        red: count(HealthScore::Red),
    })
}

/// What deleting a client takes with it, for the confirmation page.
pub fn dependents(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ClientId,
) -> QueryResult<(i64, i64, i64)> {
    use crate::db::schema::{opportunities, projects, tasks};
    let projects: i64 = projects::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .filter(projects::client_id.eq(id))
        .count()
        .get_result(conn)?;
    let opportunities: i64 = opportunities::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .filter(opportunities::client_id.eq(id))
        .count()
        .get_result(conn)?;
    let blocks: i64 = tasks::table
        .filter(tasks::user_id.eq(user))
        .filter(tasks::client_id.eq(id))
        .count()
        .get_result(conn)?;
    Ok((projects, opportunities, blocks))
}

pub fn set_health(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ClientId,
    score: HealthScore,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        clients::table
            .filter(clients::user_id.eq(user))
            .filter(clients::id.eq(id)),
    )
    .set((clients::health_score.eq(score), clients::updated_at.eq(now)))
    .execute(conn)
}

/// Stores (or, with `None`, removes) the encrypted credentials and records which
/// in the timeline; `false` if the client is not the user's.
pub fn set_credentials_audited(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ClientId,
    envelope: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    if !set_credentials(conn, user, id, envelope, now)? {
        return Ok(false);
    }
    let action = match envelope {
        Some(_) => AuditAction::CredentialsSaved,
        None => AuditAction::CredentialsRemoved,
    };
    audit::record(
        conn,
        AuditEvent::new(action, now)
            .user(user)
            .entity("client", id.as_str()),
    )?;
    Ok(true)
}

/// Stores (or clears) the encrypted credentials envelope of one of the user's clients.
pub fn set_credentials(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ClientId,
    envelope: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        clients::table
            .filter(clients::user_id.eq(user))
            .filter(clients::id.eq(id)),
    )
    .set((
        clients::credentials.eq(envelope),
        clients::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Every stored credentials envelope, for key rotation: (client, owner, envelope).
pub fn all_credentials(conn: &mut AnyConnection) -> QueryResult<Vec<(ClientId, UserId, String)>> {
    clients::table
        .filter(clients::credentials.is_not_null())
        .select((
            clients::id,
            clients::user_id,
            clients::credentials.assume_not_null(),
        ))
        .load(conn)
}

/// Replaces one envelope during rotation, only if it is still the one read.
pub fn replace_credentials(
    conn: &mut AnyConnection,
    id: &ClientId,
    old: &str,
    new: &str,
) -> QueryResult<usize> {
    diesel::update(clients::table.find(id).filter(clients::credentials.eq(old)))
        .set(clients::credentials.eq(new))
        .execute(conn)
}

/// The user's clients by name, for a block's client field.
pub fn names_for_user(
    conn: &mut AnyConnection,
    user: &UserId,
) -> QueryResult<Vec<(ClientId, String)>> {
    clients::table
        .filter(clients::user_id.eq(user))
        .order(clients::name.asc())
        .select((clients::id, clients::name))
        .load(conn)
}

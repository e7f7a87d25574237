//! `users`: the account, its display name, time zone and planning preferences.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::{AnyConnection, Json};
use crate::domain::{Preferences, Timezone, UserId};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub preferences: Json<Preferences>,
    pub timezone: Timezone,
    pub auth_provider: String,
    pub auth_issuer: String,
    pub auth_subject: String,
    pub is_admin: bool,
    pub disabled_at: Option<NaiveDateTime>,
    pub last_login_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Bumped (by triggers) with every change to the user's blocks, goals,
    /// activities, clients, projects, files and links: what cached pages key on.
    pub data_version: i64,
}

impl User {
    /// The name to greet the user by: their name, else their address.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.email)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: &'a UserId,
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub avatar_url: Option<&'a str>,
    pub preferences: Json<Preferences>,
    pub timezone: Timezone,
    pub auth_provider: &'a str,
    pub auth_issuer: &'a str,
    pub auth_subject: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What the settings page may change.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct SettingsChange {
    pub name: Option<String>,
    pub timezone: Timezone,
    pub preferences: Json<Preferences>,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, user: &NewUser<'_>) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut AnyConnection, id: &UserId) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Locks the user's row for the rest of the transaction, on PostgreSQL (SQLite's
/// writers take turns already): `Database::write_as` takes it first so that all
/// writes of one user lock in the same order. `FOR NO KEY UPDATE` is the lock the
/// `data_version` bump takes; it leaves foreign-key checks on the row unblocked.
pub fn lock_for_write(conn: &mut AnyConnection, id: &UserId) -> QueryResult<()> {
    if let AnyConnection::Postgresql(pg) = conn {
        users::table
            .find(id)
            .select(users::id)
            .for_no_key_update()
            .execute(pg)?;
    }
    Ok(())
}

/// The user's data version (see `crate::cache`).
pub fn data_version(conn: &mut AnyConnection, id: &UserId) -> QueryResult<i64> {
    users::table
        .find(id)
        .select(users::data_version)
        .first(conn)
}

pub fn update_settings(
    conn: &mut AnyConnection,
    id: &UserId,
    change: &SettingsChange,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(change)
        .execute(conn)
}

/// Replaces the planning preferences alone (the first-run path's steps).
pub fn set_preferences(
    conn: &mut AnyConnection,
    id: &UserId,
    preferences: &Preferences,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::preferences.eq(Json(preferences.clone())),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Saves the settings and records the change (with the new time zone).
pub fn update_settings_audited(
    conn: &mut AnyConnection,
    id: &UserId,
    change: &SettingsChange,
) -> QueryResult<()> {
    update_settings(conn, id, change)?;
    super::audit::record(
        conn,
        super::audit::AuditEvent::new(
            crate::domain::AuditAction::SettingsUpdated,
            change.updated_at,
        )
        .user(id)
        .details(serde_json::json!({"timezone": change.timezone.name()})),
    )
}

pub fn record_login(
    conn: &mut AnyConnection,
    id: &UserId,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::last_login_at.eq(at))
        .execute(conn)
}

/// A Supabase login: the email from the verified token, a name or avatar only where
/// the account has none yet (the settings page owns the name after that).
pub fn update_identity(
    conn: &mut AnyConnection,
    id: &UserId,
    email: &str,
    fill_name: Option<&str>,
    fill_avatar: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let target = users::table.find(id);
    let mut n = diesel::update(target)
        .set((
            users::email.eq(email),
            users::last_login_at.eq(at),
            users::updated_at.eq(at),
        ))
        .execute(conn)?;
    if let Some(name) = fill_name {
        n += diesel::update(target)
            .set(users::name.eq(name))
            .execute(conn)?;
    }
    if let Some(avatar) = fill_avatar {
        n += diesel::update(target)
            .set(users::avatar_url.eq(avatar))
            .execute(conn)?;
    }
    Ok(n)
}

pub fn set_timezone(conn: &mut AnyConnection, id: &UserId, zone: Timezone) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::timezone.eq(zone))
        .execute(conn)
}

pub fn set_issuer(conn: &mut AnyConnection, id: &UserId, issuer: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::auth_issuer.eq(issuer))
        .execute(conn)
}

/// Deletes the account: its stored files go on the deletion queue, then the user's
/// row and, by the schema's cascades, every row of theirs (sessions included).
/// The deletion is recorded without naming the account.
pub fn delete_account(
    conn: &mut AnyConnection,
    id: &UserId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    for key in super::assets::keys_for_user(conn, id)? {
        super::assets::queue_deletion(conn, &key, now)?;
    }
    diesel::delete(users::table.find(id)).execute(conn)?;
    super::audit::record(
        conn,
        super::audit::AuditEvent::new(crate::domain::AuditAction::AccountDeleted, now),
    )
}

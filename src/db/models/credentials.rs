//! `local_credentials`: local mode's login handle and argon2id password hash.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::local_credentials;
use crate::domain::UserId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = local_credentials)]
pub struct LocalCredential {
    pub user_id: UserId,
    pub email_lower: String,
    pub password_hash: String,
    pub password_changed_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, credential: &LocalCredential) -> QueryResult<()> {
    diesel::insert_into(local_credentials::table)
        .values(credential)
        .execute(conn)
        .map(drop)
}

pub fn find_by_email(
    conn: &mut AnyConnection,
    email_lower: &str,
) -> QueryResult<Option<LocalCredential>> {
    local_credentials::table
        .filter(local_credentials::email_lower.eq(email_lower))
        .select(LocalCredential::as_select())
        .first(conn)
        .optional()
}

pub fn email_taken(conn: &mut AnyConnection, email_lower: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        local_credentials::table.filter(local_credentials::email_lower.eq(email_lower)),
    ))
    .get_result(conn)
}

pub fn update_hash(
    conn: &mut AnyConnection,
    user: &UserId,
    hash: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(local_credentials::table.find(user))
        .set((
            local_credentials::password_hash.eq(hash),
            local_credentials::password_changed_at.eq(at),
        ))
        .execute(conn)
}

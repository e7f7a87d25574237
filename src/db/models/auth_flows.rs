//! `auth_flows`: started OAuth sign-ins (PKCE), bound to the browser that started
//! them by the hash of a cookie only it holds, and spent exactly once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::auth_flows;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = auth_flows)]
pub struct AuthFlow {
    pub id_hash: String,
    pub verifier: String,
    pub next_path: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub consumed_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut AnyConnection, flow: &AuthFlow) -> QueryResult<()> {
    diesel::insert_into(auth_flows::table)
        .values(flow)
        .execute(conn)
        .map(drop)
}

/// Marks the flow spent and returns it, if it exists, is unexpired and was not
/// spent before; a second callback with the same cookie finds nothing.
pub fn consume(
    conn: &mut AnyConnection,
    id_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<AuthFlow>> {
    let spent = diesel::update(
        auth_flows::table
            .find(id_hash)
            .filter(auth_flows::consumed_at.is_null())
            .filter(auth_flows::expires_at.gt(now)),
    )
    .set(auth_flows::consumed_at.eq(Some(now)))
    .execute(conn)?;
    if spent != 1 {
        return Ok(None);
    }
    auth_flows::table
        .find(id_hash)
        .select(AuthFlow::as_select())
        .first(conn)
        .optional()
}

pub fn delete_expired(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(auth_flows::table.filter(auth_flows::expires_at.le(now))).execute(conn)
}

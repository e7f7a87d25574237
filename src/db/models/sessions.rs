//! `sessions`: server-side login sessions keyed by the SHA-256 of the cookie token.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::users::User;
use crate::db::AnyConnection;
use crate::db::schema::{sessions, users};
use crate::domain::UserId;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRecord {
    pub id_hash: String,
    pub user_id: Option<UserId>,
    pub kind: String,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub auth_time: Option<NaiveDateTime>,
    pub last_seen_at: NaiveDateTime,
    pub idle_expires_at: NaiveDateTime,
    pub absolute_expires_at: NaiveDateTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[diesel(embed)]
    pub tokens: SessionTokens,
}

/// A Supabase session's tokens (encrypted envelopes, see `auth::supabase`), and
/// the lease and version that let one request in one process refresh them.
#[derive(Debug, Clone, Default, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionTokens {
    pub sb_session_id: Option<String>,
    pub sb_access_token: Option<String>,
    pub sb_refresh_token: Option<String>,
    pub sb_access_expires_at: Option<NaiveDateTime>,
    pub refresh_lease_until: Option<NaiveDateTime>,
    pub version: i32,
}

/// The session's current tokens (re-read after waiting for a refresh).
pub fn tokens(conn: &mut AnyConnection, id_hash: &str) -> QueryResult<Option<SessionTokens>> {
    sessions::table
        .find(id_hash)
        .select(SessionTokens::as_select())
        .first(conn)
        .optional()
}

/// Takes the refresh lease if nobody holds it and the version is still `version`:
/// across processes, one refresh at a time per session.
pub fn take_refresh_lease(
    conn: &mut AnyConnection,
    id_hash: &str,
    version: i32,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        sessions::table
            .find(id_hash)
            .filter(sessions::version.eq(version))
            .filter(
                sessions::refresh_lease_until
                    .is_null()
                    .or(sessions::refresh_lease_until.lt(now)),
            ),
    )
    .set((
        sessions::refresh_lease_until.eq(Some(until)),
        sessions::version.eq(sessions::version + 1),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn release_refresh_lease(conn: &mut AnyConnection, id_hash: &str) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id_hash))
        .set(sessions::refresh_lease_until.eq(None::<NaiveDateTime>))
        .execute(conn)
}

/// Stores refreshed tokens and frees the lease.
pub fn store_tokens(
    conn: &mut AnyConnection,
    id_hash: &str,
    session_id: Option<&str>,
    access: &str,
    refresh: &str,
    access_expires_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id_hash))
        .set((
            sessions::sb_session_id.eq(session_id),
            sessions::sb_access_token.eq(access),
            sessions::sb_refresh_token.eq(refresh),
            sessions::sb_access_expires_at.eq(access_expires_at),
            sessions::refresh_lease_until.eq(None::<NaiveDateTime>),
            sessions::version.eq(sessions::version + 1),
        ))
        .execute(conn)
}

pub fn insert(conn: &mut AnyConnection, session: &SessionRecord) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)
        .map(drop)
}

/// The session and, for a signed-in session, its user: one round trip per request.
pub fn find_with_user(
    conn: &mut AnyConnection,
    id_hash: &str,
) -> QueryResult<Option<(SessionRecord, Option<User>)>> {
    crate::per_backend!(conn, |c| {
        sessions::table
            .left_join(users::table)
            .filter(sessions::id_hash.eq(id_hash))
            .select((SessionRecord::as_select(), Option::<User>::as_select()))
            .first(c)
    })
    .optional()
}

/// Slides the idle expiry; callers do this at most once a minute per session.
pub fn touch(
    conn: &mut AnyConnection,
    id_hash: &str,
    seen: NaiveDateTime,
    idle_expires: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id_hash))
        .set((
            sessions::last_seen_at.eq(seen),
            sessions::idle_expires_at.eq(idle_expires),
        ))
        .execute(conn)
}

pub fn delete(conn: &mut AnyConnection, id_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id_hash)).execute(conn)
}

/// Removes sessions past either timeout; run periodically.
pub fn delete_expired(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::idle_expires_at
                .le(now)
                .or(sessions::absolute_expires_at.le(now)),
        ),
    )
    .execute(conn)
}

/// Ends every other session of a user (after a password change).
pub fn delete_others(conn: &mut AnyConnection, user: &UserId, keep: &str) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user))
            .filter(sessions::id_hash.ne(keep)),
    )
    .execute(conn)
}

/// A user's live sessions, most recently used first.
pub fn list_live_for_user(
    conn: &mut AnyConnection,
    user: &UserId,
    now: NaiveDateTime,
) -> QueryResult<Vec<SessionRecord>> {
    sessions::table
        .filter(sessions::user_id.eq(user))
        .filter(sessions::idle_expires_at.gt(now))
        .filter(sessions::absolute_expires_at.gt(now))
        .order(sessions::last_seen_at.desc())
        .select(SessionRecord::as_select())
        .load(conn)
}

/// Deletes one session only if it belongs to `user`; 0 means not found or not theirs.
pub fn delete_owned(conn: &mut AnyConnection, user: &UserId, id_hash: &str) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::id_hash.eq(id_hash))
            .filter(sessions::user_id.eq(user)),
    )
    .execute(conn)
}

//! `calendar_feeds`: each user's private, revocable iCalendar feed token (hashed).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::AnyConnection;
use crate::db::schema::calendar_feeds;
use crate::domain::UserId;

pub fn exists(conn: &mut AnyConnection, user: &UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        calendar_feeds::table.filter(calendar_feeds::user_id.eq(user)),
    ))
    .get_result(conn)
}

/// Stores a new token hash for the user, replacing (and so revoking) the old one.
pub fn replace(
    conn: &mut AnyConnection,
    user: &UserId,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let row = (
        calendar_feeds::user_id.eq(user),
        calendar_feeds::token_hash.eq(token_hash),
        calendar_feeds::created_at.eq(now),
    );
    crate::per_backend!(conn, |c| diesel::insert_into(calendar_feeds::table)
        .values(row)
        .on_conflict(calendar_feeds::user_id)
        .do_update()
        .set((
            calendar_feeds::token_hash.eq(excluded(calendar_feeds::token_hash)),
            calendar_feeds::created_at.eq(excluded(calendar_feeds::created_at)),
        ))
        .execute(c)
        .map(drop))
}

pub fn revoke(conn: &mut AnyConnection, user: &UserId) -> QueryResult<usize> {
    diesel::delete(calendar_feeds::table.filter(calendar_feeds::user_id.eq(user))).execute(conn)
}

/// The owner of a feed token's hash.
pub fn owner(conn: &mut AnyConnection, token_hash: &str) -> QueryResult<Option<UserId>> {
    calendar_feeds::table
        .filter(calendar_feeds::token_hash.eq(token_hash))
        .select(calendar_feeds::user_id)
        .first(conn)
        .optional()
}

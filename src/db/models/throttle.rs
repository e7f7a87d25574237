//! `login_throttle`: failed-login counters shared by every app process.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::AnyConnection;
use crate::db::schema::login_throttle;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = login_throttle)]
pub struct ThrottleRow {
    pub key: String,
    pub failures: i32,
    pub window_started_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
}

pub fn find(conn: &mut AnyConnection, key: &str) -> QueryResult<Option<ThrottleRow>> {
    login_throttle::table
        .find(key)
        .select(ThrottleRow::as_select())
        .first(conn)
        .optional()
}

/// Writes the row whether or not one exists (ON CONFLICT, per backend).
pub fn put(conn: &mut AnyConnection, row: &ThrottleRow) -> QueryResult<()> {
    crate::per_backend!(conn, |c| diesel::insert_into(login_throttle::table)
        .values(row)
        .on_conflict(login_throttle::key)
        .do_update()
        .set((
            login_throttle::failures.eq(excluded(login_throttle::failures)),
            login_throttle::window_started_at.eq(excluded(login_throttle::window_started_at)),
            login_throttle::locked_until.eq(excluded(login_throttle::locked_until)),
        ))
        .execute(c)
        .map(drop))
}

pub fn clear(conn: &mut AnyConnection, key: &str) -> QueryResult<usize> {
    diesel::delete(login_throttle::table.find(key)).execute(conn)
}

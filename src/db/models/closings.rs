//! `day_closings`: the days a user closed with the daily shutdown, and the note
//! each left for the next morning.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::AnyConnection;
use crate::db::schema::day_closings;
use crate::domain::UserId;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = day_closings)]
pub struct Closing {
    pub day: NaiveDate,
    pub note: Option<String>,
    pub planned_blocks: i32,
    pub done_blocks: i32,
    pub planned_minutes: i32,
    pub done_minutes: i32,
    pub closed_at: NaiveDateTime,
}

/// What the day held when it was closed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayFigures {
    pub planned_blocks: i32,
    pub done_blocks: i32,
    pub planned_minutes: i32,
    pub done_minutes: i32,
}

/// Closes `day` (again, if it was: the note is replaced).
pub fn close(
    conn: &mut AnyConnection,
    user: &UserId,
    day: NaiveDate,
    note: Option<&str>,
    figures: DayFigures,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let row = (
        day_closings::user_id.eq(user),
        day_closings::day.eq(day),
        day_closings::note.eq(note),
        day_closings::planned_blocks.eq(figures.planned_blocks),
        day_closings::done_blocks.eq(figures.done_blocks),
        day_closings::planned_minutes.eq(figures.planned_minutes),
        day_closings::done_minutes.eq(figures.done_minutes),
        day_closings::closed_at.eq(now),
    );
    crate::per_backend!(conn, |c| diesel::insert_into(day_closings::table)
        .values(row)
        .on_conflict((day_closings::user_id, day_closings::day))
        .do_update()
        .set((
            day_closings::note.eq(excluded(day_closings::note)),
            day_closings::planned_blocks.eq(excluded(day_closings::planned_blocks)),
            day_closings::done_blocks.eq(excluded(day_closings::done_blocks)),
            day_closings::planned_minutes.eq(excluded(day_closings::planned_minutes)),
            day_closings::done_minutes.eq(excluded(day_closings::done_minutes)),
            day_closings::closed_at.eq(excluded(day_closings::closed_at)),
        ))
        .execute(c)
        .map(drop))
}

pub fn find(
    conn: &mut AnyConnection,
    user: &UserId,
    day: NaiveDate,
) -> QueryResult<Option<Closing>> {
    day_closings::table
        .filter(day_closings::user_id.eq(user))
        .filter(day_closings::day.eq(day))
        .select(Closing::as_select())
        .first(conn)
        .optional()
}

/// The closings of `day` and the week before it, newest first: in one read, whether
/// the day is closed and the note the morning page shows ("from Friday: …").
pub fn week_up_to(
    conn: &mut AnyConnection,
    user: &UserId,
    day: NaiveDate,
) -> QueryResult<Vec<Closing>> {
    day_closings::table
        .filter(day_closings::user_id.eq(user))
        .filter(day_closings::day.le(day))
        .filter(day_closings::day.ge(day - Duration::days(7)))
        .order(day_closings::day.desc())
        .select(Closing::as_select())
        .load(conn)
}

/// Days closed in a row, counting back from `through` (or from the day before it
/// when `through` itself is not closed yet: a streak is not broken before the day
/// is over).
pub fn streak(conn: &mut AnyConnection, user: &UserId, through: NaiveDate) -> QueryResult<u32> {
    let days: Vec<NaiveDate> = day_closings::table
        .filter(day_closings::user_id.eq(user))
        .filter(day_closings::day.le(through))
        .filter(day_closings::day.gt(through - Duration::days(366)))
        .order(day_closings::day.desc())
        .select(day_closings::day)
        .load(conn)?;
    Ok(crate::domain::plan::streak(&days, through))
}

//! `undo_actions`: what "Undo" puts back for a minute after a delete, a move, a
//! status change or a carry-over. The app writes the document itself; a row is
//! used once and is worthless after `expires_at`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::activities;
use super::goals::{self, Goal, GoalPeriod};
use super::tasks::{self, Deleted, Placement};
use crate::db::AnyConnection;
use crate::db::schema::undo_actions;
use crate::domain::{ActivityId, TaskId, UndoId, UserId};

/// How long Undo is offered.
pub const WINDOW: Duration = Duration::seconds(60);

/// The reverse of one action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Undo {
    /// Blocks back on the day and at the time they had (a move, tomorrow, the
    /// backlog, a carry-over).
    Places { blocks: Vec<Placement> },
    /// A deleted block back, with its files.
    Block { deleted: Deleted },
    /// A deleted goal back, with the blocks that counted for it.
    Goal {
        goal: Goal,
        tasks: Vec<TaskId>,
        /// A repeating goal's finished periods.
        #[serde(default)]
        history: Vec<GoalPeriod>,
    },
    /// An activity back in or out of the catalog.
    Activity { id: ActivityId, active: bool },
    /// A routine ended ("delete this and following", "stop repeating") back, with
    /// the blocks that went.
    Series {
        change: super::routines::SeriesChange,
    },
    /// A deleted file back, with its tags and links (its objects still queued).
    Asset { removed: super::assets::Removed },
    /// "Plan my day" taken back: the blocks it placed back where they were, the
    /// follow-up blocks it made deleted.
    Plan {
        blocks: Vec<Placement>,
        created: Vec<TaskId>,
    },
}

/// What a recorded undo says it reverses ("Done: Write proposal").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Recorded {
    what: String,
    undo: Undo,
}

/// Keeps `undo` for a minute (expired rows go in the background sweep,
/// `delete_expired`, not on the way of every action).
pub fn record(
    conn: &mut AnyConnection,
    user: &UserId,
    what: &str,
    undo: Undo,
    now: NaiveDateTime,
) -> QueryResult<UndoId> {
    let id = UndoId::generate();
    let payload = serde_json::to_string(&Recorded {
        what: what.to_string(),
        undo,
    })
    .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(undo_actions::table)
        .values((
            undo_actions::id.eq(&id),
            undo_actions::user_id.eq(user),
            undo_actions::payload.eq(payload),
            undo_actions::expires_at.eq(now + WINDOW),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Deletes every expired undo; returns how many went.
pub fn delete_expired(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(undo_actions::table.filter(undo_actions::expires_at.lt(now))).execute(conn)
}

/// What undoing came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undone {
    /// Reversed; the words of what it reversed.
    Done(String),
    /// Too late, used already, or not the user's.
    Gone,
}

/// Takes the user's undo `id` (once) and reverses its action, in the caller's
/// transaction: all of it or none.
pub fn apply(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &UndoId,
    now: NaiveDateTime,
) -> QueryResult<Undone> {
    let row = undo_actions::table
        .filter(undo_actions::user_id.eq(user))
        .filter(undo_actions::id.eq(id))
        .filter(undo_actions::expires_at.ge(now))
        .select(undo_actions::payload)
        .first::<String>(conn)
        .optional()?;
    let taken = diesel::delete(
        undo_actions::table
            .filter(undo_actions::user_id.eq(user))
            .filter(undo_actions::id.eq(id)),
    )
    .execute(conn)?;
    let Some(recorded) = row
        .filter(|_| taken == 1)
        .and_then(|payload| serde_json::from_str::<Recorded>(&payload).ok())
    else {
        return Ok(Undone::Gone);
    };
    match recorded.undo {
        Undo::Places { blocks } => {
            for place in blocks {
                tasks::schedule(conn, user, &place.id, place.date, place.time, now)?;
                if let Some(minutes) = place.minutes {
                    tasks::resize(conn, user, &place.id, minutes, now)?;
                }
            }
        }
        Undo::Block { deleted } => {
            tasks::restore(conn, user, &deleted, now)?;
        }
        Undo::Goal {
            goal,
            tasks,
            history,
        } => {
            if goals::restore(conn, user, &goal, &tasks)? {
                goals::restore_periods(conn, &history)?;
            }
        }
        Undo::Series { change } => {
            super::routines::undo(conn, user, &change, now)?;
        }
        Undo::Asset { removed } => {
            if !super::assets::restore(conn, user, &removed)? {
                return Ok(Undone::Gone);
            }
        }
        Undo::Activity { id, active } => {
            activities::set_active(conn, user, &id, active, now)?;
        }
        Undo::Plan { blocks, created } => {
            for place in blocks {
                tasks::schedule(conn, user, &place.id, place.date, place.time, now)?;
                if let Some(minutes) = place.minutes {
                    tasks::resize(conn, user, &place.id, minutes, now)?;
                }
            }
            for id in created {
                tasks::delete(conn, user, &id, now)?;
            }
        }
    }
    Ok(Undone::Done(recorded.what))
}

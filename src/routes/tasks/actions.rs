//! What a block's buttons do: start, block, complete, reopen (`/status`), move to
//! another time or day, tomorrow or the backlog (`/move`), delete, and carry every
//! unfinished block of earlier days over to today.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, NaiveDate, Timelike};
use serde::Deserialize;

use super::respond;
use crate::auth::CurrentUser;
use crate::db::models::undo::{self, Undo};
use crate::db::models::{routines, tasks};
use crate::domain::notice::{count, place};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::confirm::{self, Confirm};
use crate::web::forms::{date, time};
use crate::web::{PageContext, return_path};

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    return_to: String,
    /// `following`: a routine's block and the routine from its day on.
    #[serde(default)]
    scope: String,
}

#[derive(Deserialize)]
pub struct ReturnQuery {
    #[serde(default)]
    return_to: String,
}

/// `GET /tasks/{id}/delete`: asks first (the delete control without JavaScript).
pub async fn confirm_delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<TaskId>,
    query: web::Query<ReturnQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, task_id) = (user.id().clone(), path.into_inner());
    let task = state
        .db(move |conn| Ok(tasks::find(conn, &id, &task_id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let today = user.today(state.clock.now());
    confirm::page(
        PageContext::for_user(&user, "today"),
        Confirm {
            heading: format!("Delete “{}”?", task.title),
            detail: format!(
                "The block on {} goes, with its links to files; a done block no longer counts for its goal. Undo is offered for a minute afterwards.",
                place(task.scheduled_date, task.scheduled_time, today)
            ),
            action: format!("/tasks/{}/delete", task.id),
            button: if task.routine_id.is_some() {
                "Delete this one"
            } else {
                "Delete block"
            },
            // A routine's block: this one alone, or the routine from it on.
            also: task
                .routine_id
                .is_some()
                .then_some("Delete this and the following"),
            return_to: return_path(&query.return_to, "/"),
        },
    )
}

pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<TaskId>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let (id, task_id, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    let back = return_path(&form.return_to, "/");
    let following = form.scope == "following";
    let notice = state
        .db_write_as(&user, move |conn| {
            if following && let Some(change) = routines::delete_following(conn, &id, &task_id, now)?
            {
                let what = format!(
                    "“{}” no longer repeats from this block on; {} removed.",
                    change.before.title,
                    count(change.removed.len(), "planned block", "planned blocks")
                );
                let undo = undo::record(conn, &id, &what, Undo::Series { change }, now)?;
                return Ok((what, undo));
            }
            let deleted = tasks::delete(conn, &id, &task_id, now)?.ok_or(AppError::NotFound)?;
            // A routine's block deleted alone is not made again.
            routines::skip(conn, &deleted.task)?;
            let what = format!("Deleted “{}”.", deleted.task.title);
            let undo = undo::record(conn, &id, &what, Undo::Block { deleted }, now)?;
            Ok((what, undo))
        })
        .await
        .map(|(what, undo)| Notice::new(what).with_undo(undo, &back))?;
    respond(&state, &req, &user, &back, Some(notice)).await
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    return_to: String,
}

/// Start, block, complete or reopen. Repeating a request changes nothing twice.
pub async fn set_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<TaskId>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let status =
        TaskStatus::parse(&form.status).map_err(|e| AppError::Unprocessable(e.to_string()))?;
    let (id, task_id, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    let back = return_path(&form.return_to, "/");
    let notice = state
        .db_write_as(&user, move |conn| {
            let (before, after) =
                tasks::set_status(conn, &id, &task_id, status, now)?.ok_or(AppError::NotFound)?;
            Ok((before != after.status).then(|| (status_words(&after), after.id, before)))
        })
        .await?
        // Undo is the same action back to the status it had: nothing stored.
        .map(|(what, task, was)| Notice::new(what).with_undo_status(&task, was, &back));
    respond(&state, &req, &user, &back, notice).await
}

/// "Done: Write proposal." and the like.
fn status_words(task: &tasks::Task) -> String {
    let what = match task.status {
        TaskStatus::Done => "Done",
        TaskStatus::InProgress => "Started",
        TaskStatus::Blocked => "Blocked",
        _ => "Reopened",
    };
    format!("{what}: “{}”.", task.title)
}

#[derive(Deserialize)]
pub struct MoveForm {
    /// `tomorrow`, `today`, `backlog`, or empty to use `date`/`time`.
    #[serde(default)]
    when: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    /// `keep` keeps the block's start time when only the day changes.
    #[serde(default)]
    keep_time: String,
    /// A new length in minutes (dragging the block's lower edge); empty keeps it.
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    return_to: String,
}

/// Where a move puts a block.
struct Destination {
    day: DayChoice,
    /// `None` with `keep_time`: the block's own start time.
    time: Option<TimeOfDay>,
    keep_time: bool,
    /// A new length, if it changes.
    minutes: Option<BlockMinutes>,
}

#[derive(Clone, Copy)]
enum DayChoice {
    On(NaiveDate),
    /// The day after the block's own day ("Tomorrow" on a block of Sunday is
    /// Monday, whatever today is), never a day already past.
    NextDay {
        today: NaiveDate,
    },
    Backlog,
}

impl DayChoice {
    fn resolve(self, current: Option<NaiveDate>) -> Option<NaiveDate> {
        match self {
            DayChoice::On(day) => Some(day),
            DayChoice::NextDay { today } => {
                Some((current.unwrap_or(today) + Duration::days(1)).max(today))
            }
            DayChoice::Backlog => None,
        }
    }
}

impl MoveForm {
    fn destination(&self, today: NaiveDate) -> Result<Destination, String> {
        let day = match self.when.as_str() {
            "tomorrow" => DayChoice::NextDay { today },
            "today" => DayChoice::On(today),
            "backlog" => DayChoice::Backlog,
            "" => DayChoice::On(date(&self.date)?.ok_or("choose a day to move the block to")?),
            other => return Err(format!("{other:?} is not a place to move a block to")),
        };
        let keep_time = self.keep_time == "keep"
            || matches!(self.when.as_str(), "tomorrow" | "today") && self.time.is_empty();
        let minutes = match self.minutes.trim() {
            "" => None,
            given => Some(BlockMinutes::parse(given).map_err(|e| e.to_string())?),
        };
        Ok(Destination {
            day,
            time: time(&self.time)?,
            keep_time,
            minutes,
        })
    }
}

/// Moves a block to another day or time, tomorrow, or the backlog.
pub async fn move_task(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<TaskId>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, AppError> {
    let to = form
        .destination(user.today(state.clock.now()))
        .map_err(AppError::Unprocessable)?;
    let today = user.today(state.clock.now());
    let (id, task_id, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    let back = return_path(&form.return_to, "/");
    let notice = state
        .db_write_as(&user, move |conn| {
            let task = tasks::find(conn, &id, &task_id)?.ok_or(AppError::NotFound)?;
            let time = match (to.time, to.keep_time) {
                (None, true) => task.scheduled_time,
                (time, _) => time,
            };
            let length = to.minutes.unwrap_or(task.time_block_minutes);
            if time.is_some_and(|start| !start.ends_by_midnight(length.get())) {
                return Err(AppError::Unprocessable(
                    "At that time the block would run past midnight.".into(),
                ));
            }
            let day = to.day.resolve(task.scheduled_date);
            let mut moved =
                tasks::schedule(conn, &id, &task_id, day, time, now)?.ok_or(AppError::NotFound)?;
            if length != moved.time_block_minutes {
                tasks::resize(conn, &id, &task_id, length, now)?;
                moved.time_block_minutes = length;
            }
            let unmoved = (moved.scheduled_date, moved.scheduled_time)
                == (task.scheduled_date, task.scheduled_time);
            let what = if unmoved && length != task.time_block_minutes {
                format!("“{}” now takes {}.", moved.title, length.human())
            } else {
                format!(
                    "Moved “{}” to {}.",
                    moved.title,
                    place(moved.scheduled_date, moved.scheduled_time, today)
                )
            };
            let was = (
                task.scheduled_date,
                task.scheduled_time,
                task.time_block_minutes,
            );
            Ok((what, task.id, was))
        })
        .await
        // Undo is a move back to where it was: nothing stored.
        .map(|(what, task, was)| Notice::new(what).with_undo_place(&task, was, &back))?;
    respond(&state, &req, &user, &back, Some(notice)).await
}

/// Brings the chosen unfinished blocks of earlier days to today, each into the
/// first free time from now on that fits it; what fits nowhere goes to the backlog
/// (`tasks::carry_over`). The form lists the blocks as checkboxes (`task_id`).
pub async fn carry_over(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (return_to, selection) = carry_form(&form)?;
    let now = state.clock.now();
    let local = user.local_now(now);
    let today = local.date();
    let from = u16::try_from(local.time().num_seconds_from_midnight() / 60).unwrap_or(0);
    let window = user.user.preferences.0.day_window();
    let (id, stamp) = (user.id().clone(), state.clock.stamp());
    let notice = state
        .db_write_as(&user, move |conn| {
            let done = tasks::carry_over(conn, &id, today, &selection, (window, from), stamp)?;
            let what = carried_words(&done);
            let before = Undo::Places {
                blocks: done.before,
            };
            Ok((undo::record(conn, &id, &what, before, stamp)?, what))
        })
        .await
        .map(|(undo, what)| Notice::new(what).with_undo(undo, &return_to))?;
    respond(&state, &req, &user, &return_to, Some(notice)).await
}

/// "Brought 3 blocks to today; 1 went to the backlog (no free time fits it)."
fn carried_words(done: &tasks::CarriedOver) -> String {
    match (done.placed, done.to_backlog) {
        (0, 0) => "Nothing to bring: those blocks are done or moved already.".into(),
        (placed, 0) => format!("Brought {} to today.", count(placed, "block", "blocks")),
        (0, rest) => format!(
            "No free time today fits {}: moved to the backlog.",
            count(rest, "block", "blocks")
        ),
        (placed, rest) => format!(
            "Brought {} to today; {} went to the backlog (no free time fits).",
            count(placed, "block", "blocks"),
            rest
        ),
    }
}

/// The carry-over form: where to go back to, and which blocks come. Ticked
/// `task_id`s; with `rest=1`, everything but the `listed_id`s left unticked.
fn carry_form(form: &[(String, String)]) -> Result<(String, tasks::CarrySelection), AppError> {
    let field = |name: &'static str| {
        form.iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let ids = |name: &'static str| -> Result<Vec<TaskId>, AppError> {
        field(name)
            .map(|value| value.parse().map_err(|_| AppError::NotFound))
            .collect()
    };
    let chosen = ids("task_id")?;
    let selection = if field("rest").next() == Some("1") {
        let listed = ids("listed_id")?;
        tasks::CarrySelection::AllBut(
            listed
                .into_iter()
                .filter(|id| !chosen.contains(id))
                .collect(),
        )
    } else {
        tasks::CarrySelection::Only(chosen)
    };
    if selection == tasks::CarrySelection::Only(Vec::new()) {
        return Err(AppError::Unprocessable(
            "Choose at least one block to carry over.".into(),
        ));
    }
    let return_to = return_path(field("return_to").next().unwrap_or_default(), "/");
    Ok((return_to, selection))
}

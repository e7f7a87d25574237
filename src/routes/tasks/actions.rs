//! What a block's buttons do: start, block, complete, reopen (`/status`), move to
//! another time or day, tomorrow or the backlog (`/move`), delete, and carry every
//! unfinished block of earlier days over to today.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, NaiveDate, Timelike};
use serde::Deserialize;

use super::respond;
use crate::auth::CurrentUser;
use crate::db::models::tasks;
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::{date, time};
use crate::web::return_path;

#[derive(Deserialize)]
pub struct ReturnForm {
    #[serde(default)]
    return_to: String,
}

pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<TaskId>,
    form: web::Form<ReturnForm>,
) -> Result<HttpResponse, AppError> {
    let (id, task_id, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    state
        .db_write_as(&user, move |conn| {
            Ok(tasks::delete(conn, &id, &task_id, now)?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    respond(&state, &req, &user, &return_path(&form.return_to, "/")).await
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
    state
        .db_write_as(&user, move |conn| {
            Ok(tasks::set_status(conn, &id, &task_id, status, now)?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    respond(&state, &req, &user, &return_path(&form.return_to, "/")).await
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
    #[serde(default)]
    return_to: String,
}

/// Where a move puts a block.
struct Destination {
    day: DayChoice,
    /// `None` with `keep_time`: the block's own start time.
    time: Option<TimeOfDay>,
    keep_time: bool,
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
        Ok(Destination {
            day,
            time: time(&self.time)?,
            keep_time,
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
    let (id, task_id, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    state
        .db_write_as(&user, move |conn| {
            let task = tasks::find(conn, &id, &task_id)?.ok_or(AppError::NotFound)?;
            let time = match (to.time, to.keep_time) {
                (None, true) => task.scheduled_time,
                (time, _) => time,
            };
            if time.is_some_and(|start| !start.ends_by_midnight(task.time_block_minutes.get())) {
                return Err(AppError::Unprocessable(
                    "At that time the block would run past midnight.".into(),
                ));
            }
            let day = to.day.resolve(task.scheduled_date);
            tasks::schedule(conn, &id, &task_id, day, time, now)?.ok_or(AppError::NotFound)
        })
        .await?;
    respond(&state, &req, &user, &return_path(&form.return_to, "/")).await
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
    state
        .db_write_as(&user, move |conn| {
            Ok(tasks::carry_over(
                conn,
                &id,
                today,
                &selection,
                (window, from),
                stamp,
            )?)
        })
        .await?;
    respond(&state, &req, &user, &return_to).await
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

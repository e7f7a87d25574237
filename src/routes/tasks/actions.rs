//! What a block's buttons do: start, block, complete, reopen (`/status`), move to
//! another time or day, tomorrow or the backlog (`/move`), delete, and carry every
//! unfinished block of earlier days over to today.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
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
    /// `None`: the backlog.
    day: Option<chrono::NaiveDate>,
    /// `None` with `keep_time`: the block's own start time.
    time: Option<TimeOfDay>,
    keep_time: bool,
}

impl MoveForm {
    fn destination(&self, today: chrono::NaiveDate) -> Result<Destination, String> {
        let day = match self.when.as_str() {
            "tomorrow" => Some(today + Duration::days(1)),
            "today" => Some(today),
            "backlog" => None,
            "" => Some(date(&self.date)?.ok_or("choose a day to move the block to")?),
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
            tasks::schedule(conn, &id, &task_id, to.day, time, now)?.ok_or(AppError::NotFound)
        })
        .await?;
    respond(&state, &req, &user, &return_path(&form.return_to, "/")).await
}

/// Moves every unfinished block from earlier days to today.
pub async fn carry_over(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<ReturnForm>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let (id, today, stamp) = (user.id().clone(), user.today(now), state.clock.stamp());
    state
        .db_write_as(&user, move |conn| {
            Ok(tasks::carry_over(conn, &id, today, stamp)?)
        })
        .await?;
    respond(&state, &req, &user, &return_path(&form.return_to, "/")).await
}

//! `/command/shutdown`: the daily shutdown. The end of a day at a glance (done
//! against planned), a decision for every unfinished block (tomorrow's free time,
//! the backlog, or drop it), a note for tomorrow morning, and the streak of
//! closed days. The day page shows the note the next morning.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde::Deserialize;

use super::view::BlockView;
use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::db::models::closings::{self, Closing, DayFigures};
use crate::db::models::tasks::{self, TaskRow};
use crate::domain::plan::{self, Capacity};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::multiline;
use crate::web::{PageContext, html, see_other};

/// The longest note for tomorrow.
pub const NOTE_MAX: usize = 2000;

#[derive(Template)]
#[template(path = "command/shutdown.html")]
pub struct ShutdownPage {
    pub ctx: PageContext,
    pub day: NaiveDate,
    pub is_today: bool,
    pub done: Vec<BlockView>,
    pub unfinished: Vec<BlockView>,
    /// Done against planned: as recorded when the day was closed (its blocks may
    /// have moved on since), else as the day stands.
    pub figures: DayFigures,
    pub closing: Option<Closing>,
    pub note: String,
    pub note_error: Option<String>,
    pub streak: u32,
    /// What the last close did, shown once after it.
    pub outcome: Option<Outcome>,
}

impl ShutdownPage {
    pub fn human(&self, minutes: &i32) -> String {
        Capacity::human(u32::try_from(*minutes).unwrap_or(0))
    }
    pub fn next_day(&self) -> NaiveDate {
        self.day + Duration::days(1)
    }
    pub fn heading_day(&self) -> String {
        if self.is_today {
            "today".into()
        } else {
            self.day.format("%A, %B %-d").to_string()
        }
    }
}

/// What closing a day did with its unfinished blocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    pub tomorrow: u32,
    pub backlog: u32,
    pub dropped: u32,
}

impl Outcome {
    pub fn sentence(&self) -> String {
        let part = |n: u32, what: &str| match n {
            0 => None,
            1 => Some(format!("1 block {what}")),
            n => Some(format!("{n} blocks {what}")),
        };
        let parts: Vec<String> = [
            part(self.tomorrow, "moved to tomorrow"),
            part(self.backlog, "to the backlog"),
            part(self.dropped, "dropped"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if parts.is_empty() {
            "Day closed.".into()
        } else {
            format!("Day closed: {}.", parts.join(", "))
        }
    }
}

#[derive(Deserialize)]
pub struct ShutdownQuery {
    date: Option<String>,
    closed: Option<String>,
    tomorrow: Option<u32>,
    backlog: Option<u32>,
    dropped: Option<u32>,
}

/// The day asked for: a past day or today, never a day still to come.
fn day_of(raw: Option<&str>, today: NaiveDate) -> NaiveDate {
    raw.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .filter(|d| *d <= today)
        .unwrap_or(today)
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<ShutdownQuery>,
) -> Result<HttpResponse, AppError> {
    let today = user.today(state.clock.now());
    let day = day_of(query.date.as_deref(), today);
    let outcome = query.closed.is_some().then_some(Outcome {
        tomorrow: query.tomorrow.unwrap_or(0),
        backlog: query.backlog.unwrap_or(0),
        dropped: query.dropped.unwrap_or(0),
    });
    let page = page(&state, &user, day, today, None, None, outcome).await?;
    html(StatusCode::OK, &page)
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    day: NaiveDate,
    today: NaiveDate,
    note: Option<String>,
    note_error: Option<String>,
    outcome: Option<Outcome>,
) -> Result<ShutdownPage, AppError> {
    let id = user.id().clone();
    let (rows, closing, streak) = state
        .db(move |conn| {
            Ok((
                tasks::in_range(conn, &id, day, day)?,
                closings::find(conn, &id, day)?,
                closings::streak(conn, &id, today)?,
            ))
        })
        .await?;
    let (done, unfinished): (Vec<&TaskRow>, Vec<&TaskRow>) =
        rows.iter().partition(|r| r.task.status == TaskStatus::Done);
    Ok(ShutdownPage {
        ctx: PageContext::for_user(user, "today"),
        day,
        is_today: day == today,
        figures: closing.as_ref().map_or_else(
            || figures_of(&rows),
            |c| DayFigures {
                planned_blocks: c.planned_blocks,
                done_blocks: c.done_blocks,
                planned_minutes: c.planned_minutes,
                done_minutes: c.done_minutes,
            },
        ),
        done: done.into_iter().map(BlockView::from_row).collect(),
        unfinished: unfinished.into_iter().map(BlockView::from_row).collect(),
        note: note.unwrap_or_else(|| {
            closing
                .as_ref()
                .and_then(|c| c.note.clone())
                .unwrap_or_default()
        }),
        note_error,
        closing,
        streak,
        outcome,
    })
}

/// Done against planned, in blocks and minutes, of a day's blocks.
fn figures_of(rows: &[TaskRow]) -> DayFigures {
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let minutes = |done_only: bool| -> i32 {
        rows.iter()
            .filter(|r| !done_only || r.task.status == TaskStatus::Done)
            .map(|r| i32::from(r.task.time_block_minutes.get()))
            .sum()
    };
    DayFigures {
        planned_blocks: count(rows.len()),
        done_blocks: count(
            rows.iter()
                .filter(|r| r.task.status == TaskStatus::Done)
                .count(),
        ),
        planned_minutes: minutes(false),
        done_minutes: minutes(true),
    }
}

/// What to do with one unfinished block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Tomorrow,
    Backlog,
    Drop,
}

/// Closes the day: every unfinished block of it goes where the form says
/// (`fate_<id>`: `tomorrow`, the default, into the next day's first free time
/// that fits it, else the backlog; `backlog`; `drop`), and the note is kept.
/// All of it in one transaction.
pub async fn close(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let today = user.today(state.clock.now());
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let day = day_of(Some(field("date")), today);
    let note = match multiline(field("note"), "The note", NOTE_MAX) {
        Ok(note) => note,
        Err(message) => {
            let raw = Some(field("note").to_string());
            let page = page(&state, &user, day, today, raw, Some(message), None).await?;
            return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let fates = fates_of(&form)?;
    let window = user.user.preferences.0.day_window();
    let (owner, now) = (user.id().clone(), state.clock.stamp());
    let outcome = state
        .db_write_as(&user, move |conn| {
            close_day(conn, &owner, day, window, &fates, note.as_deref(), now)
        })
        .await?;
    let to = format!(
        "/command/shutdown?date={day}&closed=1&tomorrow={}&backlog={}&dropped={}",
        outcome.tomorrow, outcome.backlog, outcome.dropped
    );
    Ok(see_other(&req, &to))
}

/// The shutdown's one transaction: each unfinished block of `day` where its fate
/// says (tomorrow's first free time in `window`, else the backlog), the day's
/// figures and the note kept.
fn close_day(
    conn: &mut AnyConnection,
    owner: &UserId,
    day: NaiveDate,
    window: DaySpan,
    fates: &[(TaskId, Fate)],
    note: Option<&str>,
    now: NaiveDateTime,
) -> Result<Outcome, AppError> {
    let next = day + Duration::days(1);
    let mut taken = tasks::timed_spans(conn, owner, next)?;
    let mut outcome = Outcome::default();
    let rows = tasks::in_range(conn, owner, day, day)?;
    // Closing again keeps what the day held the first time (its blocks
    // have moved on since).
    let now_figures = figures_of(&rows);
    let figures = match closings::find(conn, owner, day)? {
        Some(c) => DayFigures {
            planned_blocks: c.planned_blocks.max(now_figures.planned_blocks),
            done_blocks: c.done_blocks.max(now_figures.done_blocks),
            planned_minutes: c.planned_minutes.max(now_figures.planned_minutes),
            done_minutes: c.done_minutes.max(now_figures.done_minutes),
        },
        None => now_figures,
    };
    let open = rows
        .into_iter()
        .filter(|r| r.task.status != TaskStatus::Done);
    for row in open {
        let task = row.task;
        let fate = fates
            .iter()
            .find(|(id, _)| *id == task.id)
            .map_or(Fate::Tomorrow, |(_, fate)| *fate);
        match fate {
            Fate::Tomorrow => {
                let minutes = task.time_block_minutes.get();
                match plan::first_free(window, 0, minutes, &taken) {
                    Some(start) => {
                        taken.push(plan::Span::new(start, minutes));
                        tasks::schedule(conn, owner, &task.id, Some(next), Some(start), now)?;
                        outcome.tomorrow += 1;
                    }
                    None => {
                        tasks::schedule(conn, owner, &task.id, None, None, now)?;
                        outcome.backlog += 1;
                    }
                }
            }
            Fate::Backlog => {
                tasks::schedule(conn, owner, &task.id, None, None, now)?;
                outcome.backlog += 1;
            }
            Fate::Drop => {
                tasks::delete(conn, owner, &task.id, now)?;
                outcome.dropped += 1;
            }
        }
    }
    closings::close(conn, owner, day, note, figures, now)?;
    Ok(outcome)
}

/// The `fate_<id>` fields of the form.
fn fates_of(form: &[(String, String)]) -> Result<Vec<(TaskId, Fate)>, AppError> {
    let mut fates = Vec::new();
    for (key, value) in form {
        let Some(raw_id) = key.strip_prefix("fate_") else {
            continue;
        };
        let id = TaskId::parse(raw_id).map_err(|_| AppError::NotFound)?;
        let fate = match value.as_str() {
            "tomorrow" => Fate::Tomorrow,
            "backlog" => Fate::Backlog,
            "drop" => Fate::Drop,
            other => {
                return Err(AppError::Unprocessable(format!(
                    "{other:?} is not something to do with a block."
                )));
            }
        };
        fates.push((id, fate));
    }
    Ok(fates)
}

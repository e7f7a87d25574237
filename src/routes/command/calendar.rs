//! `/command/calendar`: the week, seven day columns of blocks with their booked
//! minutes; move a block to another day, add one on a day.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use super::day::RetainerLine;
use super::view::BlockView;
use crate::auth::CurrentUser;
use crate::db::models::insight;
use crate::db::models::{routines, tasks};
use crate::domain::insight::{month_start, next_month};
use crate::domain::plan::{self, Capacity};
use crate::domain::{Notice, UserId};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html, notice};

pub struct DayColumn {
    pub date: NaiveDate,
    pub today: bool,
    pub blocks: Vec<BlockView>,
    pub minutes: u32,
}

impl DayColumn {
    pub fn booked(&self) -> String {
        Capacity::human(self.minutes)
    }
}

pub struct Week {
    pub start: NaiveDate,
    pub days: Vec<DayColumn>,
    pub csrf: String,
    pub return_to: String,
}

impl Week {
    pub fn end(&self) -> NaiveDate {
        self.start + Duration::days(6)
    }
    pub fn previous(&self) -> NaiveDate {
        self.start - Duration::days(7)
    }
    pub fn next(&self) -> NaiveDate {
        self.start + Duration::days(7)
    }
    pub fn dates(&self) -> Vec<NaiveDate> {
        self.days.iter().map(|d| d.date).collect()
    }
    pub fn total(&self) -> String {
        Capacity::human(self.days.iter().map(|d| d.minutes).sum())
    }
}

/// The page; its block `grid` (`#week-grid`) is what a move from it swaps.
#[derive(Template)]
#[template(path = "command/calendar.html", blocks = ["grid"])]
pub struct WeekPage {
    pub ctx: PageContext,
    pub week: Week,
    /// Retainer clients whose month is out of balance (hours owed or over).
    pub retainers: Vec<RetainerLine>,
}

#[derive(Deserialize)]
pub struct WeekQuery {
    week: Option<String>,
}

async fn load(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    any_day: Option<NaiveDate>,
) -> Result<Week, AppError> {
    let today = user.today(state.clock.now());
    let start = plan::week_start(
        any_day.unwrap_or(today),
        user.user.preferences.0.week_starts_on.weekday(),
    );
    let end = start + Duration::days(6);
    let read = |id: UserId| {
        move |conn: &mut crate::db::AnyConnection| -> Result<_, AppError> {
            let rows = tasks::in_range(conn, &id, start, end)?;
            let known: Vec<&tasks::Task> = rows.iter().map(|r| &r.task).collect();
            let pending = !routines::wanted(conn, &id, start, end, today, &known)?.is_empty();
            Ok((rows, pending))
        }
    };
    let (mut rows, pending) = state.db(read(user.id().clone())).await?;
    if pending {
        // The week's routine blocks not made yet: made once, then read again.
        let (id, now) = (user.id().clone(), state.clock.stamp());
        let first_day = user.user.preferences.0.week_starts_on.weekday();
        state
            .db_write_as(user, move |conn| {
                Ok(crate::db::day::prepare(
                    conn,
                    &id,
                    (start, end),
                    today,
                    first_day,
                    now,
                )?)
            })
            .await?;
        rows = state.db(read(user.id().clone())).await?.0;
    }
    let days = (0..7)
        .map(|i| {
            let date = start + Duration::days(i);
            let blocks: Vec<BlockView> = rows
                .iter()
                .filter(|r| r.task.scheduled_date == Some(date))
                .map(BlockView::from_row)
                .collect();
            DayColumn {
                date,
                today: date == today,
                minutes: blocks.iter().map(|b| u32::from(b.minutes.get())).sum(),
                blocks,
            }
        })
        .collect();
    Ok(Week {
        start,
        days,
        csrf: user.csrf_token.clone(),
        return_to: format!("/command/calendar?week={start}"),
    })
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<WeekQuery>,
) -> Result<HttpResponse, AppError> {
    let day = super::day::chosen_day(query.week.as_deref(), user.today(state.clock.now()))?;
    let week = load(&state, &user, Some(day)).await?;
    let today = user.today(state.clock.now());
    let id = user.id().clone();
    let retainers = state
        .db(move |conn| {
            Ok(insight::capacities(
                conn,
                &id,
                today,
                (month_start(today), next_month(today)),
            )?)
        })
        .await?
        .iter()
        .filter_map(|(c, hours)| RetainerLine::of(&c.id, &c.name, hours))
        .collect();
    html(
        StatusCode::OK,
        &WeekPage {
            ctx: PageContext::for_user(&user, "calendar"),
            week,
            retainers,
        },
    )
}

pub async fn fragment(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    day: Option<NaiveDate>,
    notice: Option<&Notice>,
) -> Result<HttpResponse, AppError> {
    let week = load(state, user, day).await?;
    // The grid alone is swapped: the retainer lines above it stay as they are.
    let page = WeekPage {
        ctx: PageContext::for_user(user, "calendar"),
        week,
        retainers: Vec::new(),
    };
    notice::fragment(StatusCode::OK, &page.as_grid(), notice, &user.csrf_token)
}

//! `/calendar.ics?token=…`: the private calendar feed of scheduled blocks for
//! Google or Apple Calendar (`/settings/calendar` makes and revokes its URL). The
//! token is in the query, never the path, so request logs never hold it.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Duration;
use serde::Deserialize;

use crate::auth::session::{hash_token, looks_like_token};
use crate::db::models::tasks::TaskRow;
use crate::db::models::{feeds, tasks, users};
use crate::domain::ical::{self, Event, When};
use crate::domain::{TaskStatus, Timezone};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct FeedQuery {
    token: Option<String>,
}

/// Past and future blocks a calendar app should hold.
const DAYS_BACK: i64 = 60;
const DAYS_AHEAD: i64 = 365;

pub async fn ics(
    state: web::Data<AppState>,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, AppError> {
    let token = query.token.clone().unwrap_or_default();
    if !looks_like_token(&token) {
        return Err(AppError::NotFound);
    }
    let now = state.clock.now();
    let (zone, rows) = state
        .db(move |conn| {
            let owner = feeds::owner(conn, &hash_token(&token))?.ok_or(AppError::NotFound)?;
            let user = users::find(conn, &owner)?.ok_or(AppError::NotFound)?;
            let today = user.timezone.today(now);
            let from = today - Duration::days(DAYS_BACK);
            let rows = tasks::in_range(conn, &owner, from, today + Duration::days(DAYS_AHEAD))?;
            Ok((user.timezone, rows))
        })
        .await?;
    let events: Vec<Event> = rows.iter().filter_map(|row| event_of(row, zone)).collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/calendar; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=300"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "inline; filename=\"lauf-os.ics\"",
        ))
        .body(ical::calendar("LAUF OS", zone.name(), &events, now)))
}

/// A scheduled block as a calendar event: timed at its local start in `zone`, or
/// all day when it has no start time; its notes followed by project, client and goal.
fn event_of(row: &TaskRow, zone: Timezone) -> Option<Event> {
    let t = &row.task;
    let day = t.scheduled_date?;
    let when = match t.scheduled_time {
        Some(time) => {
            let start = zone.to_utc(day.and_time(time.to_naive()));
            When::Timed {
                start,
                end: start + Duration::minutes(t.time_block_minutes.get().into()),
            }
        }
        None => When::Day(day),
    };
    let context: Vec<&str> = [
        row.project_name.as_deref(),
        row.client_name.as_deref(),
        row.goal_title.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let description = match (t.description.as_deref(), context.is_empty()) {
        (Some(d), false) => Some(format!("{d}\n{}", context.join(" · "))),
        (Some(d), true) => Some(d.to_string()),
        (None, false) => Some(context.join(" · ")),
        (None, true) => None,
    };
    Some(Event {
        uid: format!("{}@lauf-os", t.id),
        when,
        summary: t.title.clone(),
        description,
        category: t.category.label().to_string(),
        done: t.status == TaskStatus::Done,
        updated: t.updated_at.and_utc(),
    })
}

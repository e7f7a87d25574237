//! The private calendar feed: `/calendar.ics?token=…` lists scheduled blocks for
//! Google or Apple Calendar; `/settings/calendar` creates, regenerates or turns off
//! the URL. The token is in the query, never the path, so request logs never hold it.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Duration;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::auth::session::{hash_token, looks_like_token, random_token};
use crate::db::models::audit::{self, AuditEvent};
use crate::db::models::{feeds, tasks, users};
use crate::domain::ical::{self, Event, When};
use crate::domain::{TaskStatus, Timezone};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html};

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
    let (user, rows) = state
        .db(move |conn| {
            let owner = feeds::owner(conn, &hash_token(&token))?.ok_or(AppError::NotFound)?;
            let user = users::find(conn, &owner)?.ok_or(AppError::NotFound)?;
            let today = user.timezone.today(now);
            let rows = tasks::in_range(
                conn,
                &owner,
                today - Duration::days(DAYS_BACK),
                today + Duration::days(DAYS_AHEAD),
            )?;
            Ok((user, rows))
        })
        .await?;
    let zone: Timezone = user.timezone;
    let events: Vec<Event> = rows
        .iter()
        .filter_map(|row| {
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
        })
        .collect();
    let body = ical::calendar("LAUF OS", zone.name(), &events, now);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/calendar; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=300"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "inline; filename=\"lauf-os.ics\"",
        ))
        .body(body))
}

#[derive(Template)]
#[template(path = "command/feed.html")]
pub struct FeedPage {
    pub ctx: PageContext,
    pub active: bool,
    /// Shown once, right after it is made: only its hash is stored.
    pub url: Option<String>,
}

pub async fn show(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let active = state.db(move |conn| Ok(feeds::exists(conn, &id)?)).await?;
    html(
        StatusCode::OK,
        &FeedPage {
            ctx: PageContext::for_user(&user, "settings"),
            active,
            url: None,
        },
    )
}

fn origin(state: &AppState, req: &HttpRequest) -> String {
    match &state.settings.public_url {
        Some(url) => url.clone(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}

/// Makes a new feed URL; the previous one stops working at once.
pub async fn regenerate(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let token = random_token();
    let hash = hash_token(&token);
    let id = user.id().clone();
    let now = crate::db::now();
    state
        .db_write(move |conn| {
            feeds::replace(conn, &id, &hash, now)?;
            audit::record(conn, AuditEvent::new("calendar_feed.regenerated").user(&id))?;
            Ok(())
        })
        .await?;
    let url = format!("{}/calendar.ics?token={token}", origin(&state, &req));
    html(
        StatusCode::OK,
        &FeedPage {
            ctx: PageContext::for_user(&user, "settings"),
            active: true,
            url: Some(url),
        },
    )
}

pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    state
        .db_write(move |conn| {
            feeds::revoke(conn, &id)?;
            audit::record(conn, AuditEvent::new("calendar_feed.revoked").user(&id))?;
            Ok(())
        })
        .await?;
    Ok(crate::web::see_other(&req, "/settings/calendar"))
}

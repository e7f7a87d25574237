//! `/settings`: name, time zone and the planning day (work hours, day window, week
//! start), because "today" and the capacity depend on them; and the sessions list.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::Json;
use crate::db::models::audit::{self, AuditEvent};
use crate::db::models::sessions::{self as session_rows, SessionRecord};
use crate::db::models::users::{self, SettingsChange};
use crate::domain::account::parse_display_name;
use crate::domain::{DaySpan, Preferences, TimeOfDay, Timezone, WeekStart};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html, see_other};

#[derive(Debug, Default, Clone, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    work_start: String,
    #[serde(default)]
    work_end: String,
    #[serde(default)]
    day_start: String,
    #[serde(default)]
    day_end: String,
    #[serde(default)]
    week_starts_on: String,
}

#[derive(Debug, Default)]
pub struct SettingsErrors {
    name: Option<String>,
    timezone: Option<String>,
    work_hours: Option<String>,
    day_window: Option<String>,
    week_starts_on: Option<String>,
}

#[derive(Template)]
#[template(path = "settings/show.html")]
pub struct SettingsPage {
    ctx: PageContext,
    email: String,
    form: SettingsForm,
    errors: SettingsErrors,
    zones: Vec<&'static str>,
    saved: bool,
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

fn form_from(user: &CurrentUser) -> SettingsForm {
    let prefs = &user.user.preferences.0;
    SettingsForm {
        name: user.user.name.clone().unwrap_or_default(),
        timezone: user.user.timezone.name().to_string(),
        work_start: prefs.work_start.to_string(),
        work_end: prefs.work_end.to_string(),
        day_start: prefs.day_start.to_string(),
        day_end: prefs.day_end.to_string(),
        week_starts_on: prefs.week_starts_on.as_str().to_string(),
    }
}

pub async fn show(
    user: CurrentUser,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    let page = SettingsPage {
        ctx: PageContext::for_user(&user, "settings"),
        email: user.user.email.clone(),
        form: form_from(&user),
        errors: SettingsErrors::default(),
        zones: Timezone::all_names().collect(),
        saved: query.saved.is_some(),
    };
    html(StatusCode::OK, &page)
}

fn span(start: &str, end: &str) -> Result<DaySpan, String> {
    let start = TimeOfDay::parse(start).map_err(|e| e.to_string())?;
    let end = TimeOfDay::parse(end).map_err(|e| e.to_string())?;
    DaySpan::new(start, end).map_err(|e| e.to_string())
}

/// Parses the whole form, reporting every bad field at once.
pub(crate) fn validate(
    form: &SettingsForm,
    current: &Preferences,
) -> Result<(Option<String>, Timezone, Preferences), SettingsErrors> {
    let mut errors = SettingsErrors::default();
    let name = parse_display_name(&form.name)
        .map_err(|e| errors.name = Some(e.to_string()))
        .ok();
    let timezone = Timezone::parse(&form.timezone)
        .map_err(|e| errors.timezone = Some(e.to_string()))
        .ok();
    let work = span(&form.work_start, &form.work_end)
        .map_err(|e| errors.work_hours = Some(e))
        .ok();
    let window = span(&form.day_start, &form.day_end)
        .map_err(|e| errors.day_window = Some(e))
        .ok();
    let week = WeekStart::parse(&form.week_starts_on);
    if week.is_none() {
        errors.week_starts_on = Some("choose Monday or Sunday".into());
    }
    match (name, timezone, work, window, week) {
        (Some(name), Some(timezone), Some(work), Some(window), Some(week)) => {
            let prefs = Preferences {
                work_start: work.start,
                work_end: work.end,
                day_start: window.start,
                day_end: window.end,
                week_starts_on: week,
                other: current.other.clone(),
            };
            Ok((name, timezone, prefs))
        }
        _ => Err(errors),
    }
}

pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (name, timezone, preferences) = match validate(&form, &user.user.preferences.0) {
        Ok(valid) => valid,
        Err(errors) => {
            let page = SettingsPage {
                ctx: PageContext::for_user(&user, "settings"),
                email: user.user.email.clone(),
                form,
                errors,
                zones: Timezone::all_names().collect(),
                saved: false,
            };
            return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let id = user.id().clone();
    let change = SettingsChange {
        name,
        timezone,
        preferences: Json(preferences),
        updated_at: crate::db::now(),
    };
    state
        .db_write(move |conn| {
            users::update_settings(conn, &id, &change)?;
            audit::record(
                conn,
                AuditEvent::new("settings.updated")
                    .user(&id)
                    .details(serde_json::json!({"timezone": change.timezone.name()})),
            )?;
            Ok(())
        })
        .await?;
    Ok(see_other(&req, "/settings?saved=1"))
}

pub struct SessionRow {
    pub id: String,
    pub current: bool,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub ip: String,
    pub user_agent: String,
}

#[derive(Template)]
#[template(path = "settings/sessions.html")]
pub struct SessionsPage {
    ctx: PageContext,
    sessions: Vec<SessionRow>,
}

pub async fn sessions(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let now = crate::db::now();
    let rows: Vec<SessionRecord> = state
        .db(move |conn| Ok(session_rows::list_live_for_user(conn, &id, now)?))
        .await?;
    let sessions = rows
        .into_iter()
        .map(|s| SessionRow {
            current: s.id_hash == user.session_hash,
            id: s.id_hash,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            ip: s.ip.unwrap_or_default(),
            user_agent: s.user_agent.unwrap_or_default(),
        })
        .collect();
    html(
        StatusCode::OK,
        &SessionsPage {
            ctx: PageContext::for_user(&user, "settings"),
            sessions,
        },
    )
}

/// Ends one of the user's sessions; someone else's session id is 404, as if absent.
pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let target = path.into_inner();
    let id = user.id().clone();
    let ended_current = target == user.session_hash;
    let removed = state
        .db_write(move |conn| {
            let n = session_rows::delete_owned(conn, &id, &target)?;
            if n == 1 {
                audit::record(conn, AuditEvent::new("auth.session_revoked").user(&id))?;
            }
            Ok(n)
        })
        .await?;
    if removed == 0 {
        tracing::warn!(user = %user.id(), "authz.denied: revoke of a session that is not the user's");
        return Err(AppError::NotFound);
    }
    Ok(see_other(
        &req,
        if ended_current {
            "/login"
        } else {
            "/settings/sessions"
        },
    ))
}

pub async fn revoke_others(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let keep = user.session_hash.clone();
    state
        .db_write(move |conn| {
            session_rows::delete_others(conn, &id, &keep)?;
            audit::record(conn, AuditEvent::new("auth.sessions_revoked").user(&id))?;
            Ok(())
        })
        .await?;
    Ok(see_other(&req, "/settings/sessions"))
}

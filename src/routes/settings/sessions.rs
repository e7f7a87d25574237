//! `/settings/sessions`: where the user is signed in, and ending those sessions
//! (one, or every other).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;

use crate::auth::CurrentUser;
use crate::db::models::audit::{self, AuditEvent};
use crate::db::models::sessions::{self as session_rows, SessionRecord};
use crate::domain::AuditAction;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html, see_other};

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
    dates: crate::domain::LocalDates,
}

pub async fn list(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let now = state.clock.stamp();
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
            dates: user.dates(state.clock.now()),
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
    // A session id is a SHA-256 in hex; anything else names no session.
    if target.len() != 64 || !target.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let (id, now) = (user.id().clone(), state.clock.stamp());
    let ended_current = target == user.session_hash;
    let removed = state
        .db_write_as(&user, move |conn| {
            let n = session_rows::delete_owned(conn, &id, &target)?;
            if n == 1 {
                audit::record(
                    conn,
                    AuditEvent::new(AuditAction::SessionRevoked, now).user(&id),
                )?;
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
    let (id, now) = (user.id().clone(), state.clock.stamp());
    let keep = user.session_hash.clone();
    state
        .db_write_as(&user, move |conn| {
            session_rows::delete_others(conn, &id, &keep)?;
            audit::record(
                conn,
                AuditEvent::new(AuditAction::SessionsRevoked, now).user(&id),
            )?;
            Ok(())
        })
        .await?;
    Ok(see_other(&req, "/settings/sessions"))
}

//! `/settings/calendar`: creates, regenerates or turns off the private URL of the
//! calendar feed (`/calendar.ics`). Only the token's hash is stored, so the URL is
//! shown once, right after it is made.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::auth::CurrentUser;
use crate::auth::session::{hash_token, random_token};
use crate::db::models::audit::{self, AuditEvent};
use crate::db::models::feeds;
use crate::domain::AuditAction;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::extract::public_origin;
use crate::web::{PageContext, html};

#[derive(Template)]
#[template(path = "settings/calendar.html")]
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

/// Makes a new feed URL; the previous one stops working at once.
pub async fn regenerate(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let token = random_token();
    let hash = hash_token(&token);
    let id = user.id().clone();
    let now = state.clock.stamp();
    state
        .db_write_as(&user, move |conn| {
            feeds::replace(conn, &id, &hash, now)?;
            audit::record(
                conn,
                AuditEvent::new(AuditAction::CalendarFeedRegenerated, now).user(&id),
            )?;
            Ok(())
        })
        .await?;
    let url = format!(
        "{}/calendar.ics?token={token}",
        public_origin(&req, &state.settings)
    );
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
    let (id, now) = (user.id().clone(), state.clock.stamp());
    state
        .db_write_as(&user, move |conn| {
            feeds::revoke(conn, &id)?;
            audit::record(
                conn,
                AuditEvent::new(AuditAction::CalendarFeedRevoked, now).user(&id),
            )?;
            Ok(())
        })
        .await?;
    Ok(crate::web::see_other(&req, "/settings/calendar"))
}

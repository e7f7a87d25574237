//! `/command/routines`: the user's repeating blocks, what each repeats and its
//! next day, and "Stop repeating" (from today on, with Undo). A routine is made
//! and changed from its blocks (the block form's Repeat, "this and following").

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDate};

use crate::auth::CurrentUser;
use crate::db::models::routines::{self, Routine};
use crate::db::models::undo::{self, Undo};
use crate::domain::notice::count;
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::notice::see_other_with;
use crate::web::{PageContext, html};

/// A routine as the page lists it.
pub struct RoutineRow {
    pub routine: Routine,
    /// Its next day from today, if it has one.
    pub next: Option<NaiveDate>,
}

#[derive(Template)]
#[template(path = "command/routines.html")]
pub struct RoutinesPage {
    pub ctx: PageContext,
    pub rows: Vec<RoutineRow>,
    pub today: NaiveDate,
}

impl RoutinesPage {
    /// "today", "tomorrow", "Mon Dec 7".
    pub fn day(&self, day: &NaiveDate) -> String {
        notice::place(Some(*day), None, self.today)
    }
}

/// How far ahead "next" looks (a routine falls at least once a week).
const LOOK_AHEAD: i64 = 7;

pub async fn list(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let today = user.today(state.clock.now());
    let id = user.id().clone();
    let running = state
        .db(move |conn| Ok(routines::running(conn, &id, today)?))
        .await?;
    let rows = running
        .into_iter()
        .map(|routine| {
            let next = routine
                .repeat()
                .days_in(today, today + Duration::days(LOOK_AHEAD))
                .into_iter()
                .next();
            RoutineRow { routine, next }
        })
        .collect();
    html(
        StatusCode::OK,
        &RoutinesPage {
            ctx: PageContext::for_user(&user, "today"),
            rows,
            today,
        },
    )
}

/// `POST /command/routines/{id}/stop`: no more blocks from today on; today's and
/// later not-done blocks go. Undo puts it back.
pub async fn stop(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<RoutineId>,
) -> Result<HttpResponse, AppError> {
    let (id, routine, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    let today = user.today(state.clock.now());
    let back = "/command/routines";
    let (what, undo) = state
        .db_write_as(&user, move |conn| {
            let change =
                routines::stop(conn, &id, &routine, today, now)?.ok_or(AppError::NotFound)?;
            let what = format!(
                "“{}” no longer repeats; {} removed.",
                change.before.title,
                count(change.removed.len(), "planned block", "planned blocks")
            );
            let undo = undo::record(conn, &id, &what, Undo::Series { change }, now)?;
            Ok((what, undo))
        })
        .await?;
    let notice = Notice::new(what).with_undo(undo, back);
    Ok(see_other_with(
        &req,
        back,
        Some(&notice),
        state.sessions.secure,
    ))
}

//! `POST /undo/{id}`: reverses the action a status message offered to undo (for a
//! minute after it), then goes back to the page it came from, saying so.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::undo::{self, Undone};
use crate::domain::{Notice, UndoId};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::notice::see_other_with;
use crate::web::return_path;

#[derive(Deserialize)]
pub struct UndoForm {
    #[serde(default)]
    return_to: String,
}

pub async fn undo(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<UndoId>,
    form: web::Form<UndoForm>,
) -> Result<HttpResponse, AppError> {
    let (id, undo_id, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    let undone = state
        .db_write_as(&user, move |conn| {
            Ok(undo::apply(conn, &id, &undo_id, now)?)
        })
        .await?;
    let notice = match undone {
        Undone::Done(what) => Notice::new(format!("Undone: {what}")),
        Undone::Gone => Notice::new(
            "Too late to undo: Undo lasts a minute and works once. Nothing was changed.",
        ),
    };
    let back = return_path(&form.return_to, "/");
    Ok(see_other_with(
        &req,
        &back,
        Some(&notice),
        state.sessions.secure,
    ))
}

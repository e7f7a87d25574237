//! `/assets/link` and `/assets/unlink`: a file attached to (or taken off) a block,
//! from either side's page.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::assets;
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{return_path, see_other};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    pub asset_id: String,
    pub task_id: String,
    pub return_to: String,
}

/// Links an asset to a block (from either side's page).
pub async fn link(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, AppError> {
    change_link(req, state, user, form.into_inner(), true).await
}

pub async fn unlink(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, AppError> {
    change_link(req, state, user, form.into_inner(), false).await
}

/// Both the block and the file must be the user's (404 otherwise).
async fn change_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    form: LinkForm,
    linked: bool,
) -> Result<HttpResponse, AppError> {
    let (owner, now) = (user.id().clone(), state.clock.stamp());
    let (Ok(task), Ok(asset)) = (TaskId::parse(&form.task_id), AssetId::parse(&form.asset_id))
    else {
        return Err(AppError::NotFound);
    };
    let (t, a) = (task.clone(), asset.clone());
    state
        .db_write_as(&user, move |conn| {
            let done = if linked {
                assets::link_to_task(conn, &owner, &t, &a, now)?
            } else {
                assets::unlink_from_task(conn, &owner, &t, &a)?
            };
            done.then_some(()).ok_or(AppError::NotFound)
        })
        .await?;
    let back = return_path(&form.return_to, &format!("/assets/{asset}"));
    Ok(see_other(&req, &back))
}

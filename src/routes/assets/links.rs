//! `/assets/link` and `/assets/unlink`: a file attached to (or taken off) a
//! block from either side's page, or put with a client or project from the
//! picker on its page.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::assets;
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::return_path;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    pub asset_id: String,
    pub task_id: String,
    pub client_id: String,
    pub project_id: String,
    pub return_to: String,
}

/// Links an asset to a block (from either side's page), or puts it with a
/// client or a project (one of the three fields is filled).
pub async fn link(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if form.client_id.is_empty() && form.project_id.is_empty() {
        return change_link(req, state, user, form, true).await;
    }
    let asset = AssetId::parse(&form.asset_id).map_err(|_| AppError::NotFound)?;
    let (owner, now, a) = (user.id().clone(), state.clock.stamp(), asset.clone());
    let (client, project) = (
        ClientId::parse(&form.client_id).ok(),
        ProjectId::parse(&form.project_id).ok(),
    );
    let (file, with, target) = state
        .db_write_as(&user, move |conn| {
            let moved = match (&project, &client) {
                (Some(p), _) => assets::move_to_project(conn, &owner, &a, p, now)?
                    .map(|(file, with)| (file, with, format!("/projects/{p}"))),
                (None, Some(c)) => assets::move_to_client(conn, &owner, &a, c, now)?
                    .map(|(file, with)| (file, with, format!("/clients/{c}"))),
                (None, None) => None,
            };
            moved.ok_or(AppError::NotFound)
        })
        .await?;
    let back = return_path(&form.return_to, &format!("{target}#files"));
    let notice = Notice::new(format!("“{file}” is now with {with}."));
    Ok(crate::web::notice::see_other_with(
        &req,
        &back,
        Some(&notice),
        state.sessions.secure,
    ))
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
    let (file, block) = state
        .db_write_as(&user, move |conn| {
            let done = if linked {
                assets::link_to_task(conn, &owner, &t, &a, now)?
            } else {
                assets::unlink_from_task(conn, &owner, &t, &a)?
            };
            done.then_some(()).ok_or(AppError::NotFound)?;
            let file = assets::find(conn, &owner, &a)?.map(|f| f.name);
            let block = crate::db::models::tasks::find(conn, &owner, &t)?.map(|t| t.title);
            Ok((file.unwrap_or_default(), block.unwrap_or_default()))
        })
        .await?;
    let back = return_path(&form.return_to, &format!("/assets/{asset}"));
    let notice = Notice::new(if linked {
        format!("Attached “{file}” to “{block}”.")
    } else {
        format!("Took “{file}” off “{block}”.")
    });
    Ok(crate::web::notice::see_other_with(
        &req,
        &back,
        Some(&notice),
        state.sessions.secure,
    ))
}

//! `/assets/{id}`: one asset's page — preview, metadata, tags, client, project and
//! block links, files with the same content — with editing and deleting.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::file::inline_safe;
use super::gallery::CardView;
use super::{AssetErrors, AssetForm, Pickers, check_form};
use crate::auth::CurrentUser;
use crate::db::models::assets::{self, AssetCard};
use crate::db::models::tasks;
use crate::db::models::undo::{self, Undo};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html, return_path, see_other};

#[derive(Template)]
#[template(path = "assets/show.html")]
pub struct AssetPage {
    pub ctx: PageContext,
    pub view: CardView,
    pub detected_inline: bool,
    pub form: AssetForm,
    pub errors: AssetErrors,
    pub pickers: Pickers,
    pub blocks: Vec<(TaskId, String, Option<chrono::NaiveDate>)>,
    pub recent_blocks: Vec<(TaskId, String, Option<chrono::NaiveDate>)>,
    /// Other files of the owner with identical content.
    pub duplicates: Vec<(AssetId, String)>,
}

impl AssetPage {
    pub fn asset(&self) -> &assets::Asset {
        &self.view.card.asset
    }
    pub fn is_image(&self) -> bool {
        self.view.card.asset.asset_type == AssetType::Image
    }
    pub fn is_video(&self) -> bool {
        self.view.card.asset.asset_type == AssetType::Video && self.detected_inline
    }
    pub fn dimensions(&self) -> Option<String> {
        let a = &self.view.card.asset;
        Some(format!("{} × {} px", a.width?, a.height?))
    }
}

fn form_of(card: &AssetCard) -> AssetForm {
    AssetForm {
        name: card.asset.name.clone(),
        category: card.asset.category.clone().unwrap_or_default(),
        tags: card.tags.join(", "),
        client_id: card
            .asset
            .client_id
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        project_id: card
            .asset
            .project_id
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        task_id: String::new(),
        return_to: String::new(),
    }
}

async fn asset_page(
    state: &AppState,
    user: &CurrentUser,
    id: AssetId,
    edited: Option<(AssetForm, AssetErrors)>,
) -> Result<HttpResponse, AppError> {
    let owner = user.id().clone();
    let (card, pickers, blocks, recent_blocks, duplicates) = state
        .db(move |conn| {
            let card = assets::card(conn, &owner, &id)?.ok_or(AppError::NotFound)?;
            let blocks = assets::tasks_of(conn, &owner, &id)?;
            let recent = tasks::recent_titles(conn, &owner, 30)?;
            let duplicates = assets::same_content(conn, &owner, &card.asset)?;
            Ok((
                card,
                Pickers::load(conn, &owner)?,
                blocks,
                recent,
                duplicates,
            ))
        })
        .await?;
    let (status, form, errors) = match edited {
        Some((form, errors)) => (StatusCode::UNPROCESSABLE_ENTITY, form, errors),
        None => (StatusCode::OK, form_of(&card), AssetErrors::default()),
    };
    let linked: Vec<&TaskId> = blocks.iter().map(|(t, _, _)| t).collect();
    let recent_blocks = recent_blocks
        .into_iter()
        .filter(|(t, _, _)| !linked.contains(&t))
        .collect();
    html(
        status,
        &AssetPage {
            ctx: PageContext::for_user(user, "assets"),
            detected_inline: inline_safe(&card.asset.mime_type),
            view: CardView {
                card,
                dates: user.dates(state.clock.now()),
            },
            form,
            errors,
            pickers,
            blocks,
            recent_blocks,
            duplicates,
        },
    )
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<AssetId>,
) -> Result<HttpResponse, AppError> {
    asset_page(&state, &user, id.into_inner(), None).await
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<AssetId>,
    form: web::Form<AssetForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let (owner, now) = (user.id().clone(), state.clock.stamp());
    let (asset_id, submitted) = (id.clone(), form.clone());
    let outcome = state
        .db_write_as(&user, move |conn| {
            assets::find(conn, &owner, &asset_id)?.ok_or(AppError::NotFound)?;
            let checked = match check_form(conn, &owner, &submitted)? {
                Ok(checked) => checked,
                Err(errors) => return Ok(Err(errors)),
            };
            let Some(name) = checked.name.clone() else {
                return Ok(Err(AssetErrors {
                    name: Some("Name is required".into()),
                    ..AssetErrors::default()
                }));
            };
            assets::update(conn, &owner, &asset_id, &checked.fields(name), now)?;
            Ok(Ok(()))
        })
        .await?;
    match outcome {
        Ok(()) => Ok(see_other(&req, &format!("/assets/{id}"))),
        Err(errors) => asset_page(&state, &user, id, Some((form, errors))).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReturnForm {
    pub return_to: String,
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<AssetId>,
    form: web::Form<ReturnForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (owner, now) = (user.id().clone(), state.clock.stamp());
    // The row goes and its objects are queued in one transaction; the queue
    // removes them after `assets::HOLD`, so Undo finds the file still there.
    // No row ever points at a missing file.
    let (what, undo) = state
        .db_write_as(&user, move |conn| {
            let removed = assets::delete(conn, &owner, &id, now)?.ok_or(AppError::NotFound)?;
            let what = format!(
                "Deleted “{}”: the file, its thumbnail and its links to blocks.",
                removed.asset.name
            );
            let undo = undo::record(conn, &owner, &what, Undo::Asset { removed }, now)?;
            Ok((what, undo))
        })
        .await?;
    let back = return_path(&form.return_to, "/assets");
    let notice = Notice::new(what).with_undo(undo, &back);
    Ok(crate::web::notice::see_other_with(
        &req,
        &back,
        Some(&notice),
        state.sessions.secure,
    ))
}

/// `GET /assets/{id}/delete`: asks first.
pub async fn confirm_delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<AssetId>,
) -> Result<HttpResponse, AppError> {
    let (owner, id) = (user.id().clone(), id.into_inner());
    let asset = state
        .db(move |conn| Ok(assets::find(conn, &owner, &id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    crate::web::confirm::page(
        PageContext::for_user(&user, "assets"),
        crate::web::confirm::Confirm {
            heading: format!("Delete “{}”?", asset.name),
            detail:
                "The file, its thumbnail and its links to blocks go. You can undo it for a minute."
                    .into(),
            action: format!("/assets/{}/delete", asset.id),
            button: "Delete file",
            also: None,
            return_to: "/assets".into(),
        },
    )
}

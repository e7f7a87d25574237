//! `/tasks/{id}/files/pick`: finding a file to attach to a block by name, type
//! and tag, with thumbnails — a page without JavaScript, the results box of the
//! block editor with htmx (`HX-Target: pick-results`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::gallery::CardView;
use crate::auth::CurrentUser;
use crate::db::models::assets::{self, AssetFilter};
use crate::db::models::tasks;
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html, htmx_target, return_path};

/// How many matches the picker shows (a name, a type or a tag narrows it).
const SHOWN: i64 = 24;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PickQuery {
    pub q: String,
    #[serde(rename = "type")]
    pub asset_type: String,
    pub tag: String,
    pub return_to: String,
}

#[derive(Template)]
#[template(path = "assets/pick.html", blocks = ["results"])]
pub struct PickPage {
    pub ctx: PageContext,
    pub task_id: TaskId,
    pub task_title: String,
    pub query: PickQuery,
    pub cards: Vec<CardView>,
    /// Matches in all (the page shows the first `SHOWN`).
    pub total: i64,
    /// Files already on the block (not offered again).
    pub attached: usize,
    pub tags: Vec<String>,
}

impl PickPage {
    pub fn more(&self) -> i64 {
        (self.total - self.cards.len() as i64 - self.attached as i64).max(0)
    }
}

pub async fn pick(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<TaskId>,
    query: web::Query<PickQuery>,
) -> Result<HttpResponse, AppError> {
    let (owner, task_id) = (user.id().clone(), path.into_inner());
    let mut query = query.into_inner();
    query.return_to = return_path(&query.return_to, &format!("/tasks/{task_id}/edit"));
    let filter = AssetFilter {
        asset_type: AssetType::parse(&query.asset_type).ok(),
        tag: Some(query.tag.trim().to_lowercase()).filter(|t| !t.is_empty()),
        search: Some(query.q.trim().to_string()).filter(|q| !q.is_empty()),
        ..Default::default()
    };
    let lookup = task_id.clone();
    let (task, found, on_block, tags) = state
        .db(move |conn| {
            let task = tasks::find(conn, &owner, &lookup)?.ok_or(AppError::NotFound)?;
            let on_block = assets::linked_to_tasks(conn, &owner, &[&lookup])?
                .remove(&lookup)
                .unwrap_or_default();
            let found = assets::gallery(conn, &owner, &filter, 0, SHOWN + on_block.len() as i64)?;
            let tags = assets::tag_counts(conn, &owner)?
                .into_iter()
                .map(|(t, _)| t)
                .collect::<Vec<_>>();
            Ok((task, found, on_block, tags))
        })
        .await?;
    let dates = user.dates(state.clock.now());
    let (cards, total) = found;
    let cards: Vec<CardView> = cards
        .into_iter()
        .filter(|c| !on_block.iter().any(|f| f.id == c.asset.id))
        .take(SHOWN as usize)
        .map(|card| CardView { card, dates })
        .collect();
    let page = PickPage {
        ctx: PageContext::for_user(&user, "today"),
        task_id,
        task_title: task.title,
        query,
        cards,
        total,
        attached: on_block.len(),
        tags,
    };
    if htmx_target(&req).as_deref() == Some("pick-results") {
        html(StatusCode::OK, &page.as_results())
    } else {
        html(StatusCode::OK, &page)
    }
}

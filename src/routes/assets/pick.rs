//! Finding a file by name, type and tag, with thumbnails, to attach it to a
//! block (`/tasks/{id}/files/pick`), a client (`/clients/{id}/files/pick`) or
//! a project (`/projects/{id}/files/pick`): a page without JavaScript, and
//! the results box alone for htmx (`HX-Target: pick-results`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::gallery::CardView;
use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::db::models::assets::{self, AssetCard, AssetFilter};
use crate::db::models::{clients, projects, tasks};
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

/// What a picked file is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Task(TaskId),
    Client(ClientId),
    Project(ProjectId),
}

impl Target {
    /// `tasks/…`, the path the picker and its page live under.
    pub fn path(&self) -> String {
        match self {
            Target::Task(id) => format!("/tasks/{id}"),
            Target::Client(id) => format!("/clients/{id}"),
            Target::Project(id) => format!("/projects/{id}"),
        }
    }
    /// The link form's field that names the target.
    pub fn field(&self) -> &'static str {
        match self {
            Target::Task(_) => "task_id",
            Target::Client(_) => "client_id",
            Target::Project(_) => "project_id",
        }
    }
    pub fn id(&self) -> &str {
        match self {
            Target::Task(id) => id.as_str(),
            Target::Client(id) => id.as_str(),
            Target::Project(id) => id.as_str(),
        }
    }
    /// "block", "client", "project".
    pub fn noun(&self) -> &'static str {
        match self {
            Target::Task(_) => "block",
            Target::Client(_) => "client",
            Target::Project(_) => "project",
        }
    }
    fn nav(&self) -> &'static str {
        match self {
            Target::Task(_) => "today",
            Target::Client(_) => "clients",
            Target::Project(_) => "projects",
        }
    }
    fn back(&self) -> String {
        match self {
            Target::Task(id) => format!("/tasks/{id}/edit"),
            other => format!("{}#files", other.path()),
        }
    }
    /// Whether `card` is on the target already (not offered again).
    fn holds(&self, card: &AssetCard) -> bool {
        match self {
            Target::Task(_) => false,
            Target::Client(id) => card.asset.client_id.as_ref() == Some(id),
            Target::Project(id) => card.asset.project_id.as_ref() == Some(id),
        }
    }
    /// The target's name and the files on it already; `NotFound` if it is not the user's.
    fn load(&self, conn: &mut AnyConnection, user: &UserId) -> Result<(String, i64), AppError> {
        let on =
            |client: Option<&ClientId>, project: Option<&ProjectId>, conn: &mut AnyConnection| {
                assets::recent_for(conn, user, client, project, 0).map(|(_, total)| total)
            };
        Ok(match self {
            Target::Task(id) => {
                let task = tasks::find(conn, user, id)?.ok_or(AppError::NotFound)?;
                let on_block = assets::linked_to_tasks(conn, user, &[id])?
                    .remove(id)
                    .unwrap_or_default();
                (task.title, on_block.len() as i64)
            }
            Target::Client(id) => {
                let client = clients::find(conn, user, id)?.ok_or(AppError::NotFound)?;
                (client.name, on(Some(id), None, conn)?)
            }
            Target::Project(id) => {
                let project = projects::find(conn, user, id)?.ok_or(AppError::NotFound)?;
                (project.name, on(None, Some(id), conn)?)
            }
        })
    }
}

#[derive(Template)]
#[template(path = "assets/pick.html", blocks = ["results"])]
pub struct PickPage {
    pub ctx: PageContext,
    pub target: Target,
    pub title: String,
    pub query: PickQuery,
    pub cards: Vec<CardView>,
    /// Matches in all (the page shows the first `SHOWN`).
    pub total: i64,
    /// Files already on the target (not offered again).
    pub attached: i64,
    pub tags: Vec<String>,
}

impl PickPage {
    pub fn more(&self) -> i64 {
        (self.total - self.cards.len() as i64 - self.attached).max(0)
    }
    /// Where the card's file is now, when attaching moves it ("with Bluepeak").
    pub fn now_with(&self, card: &CardView) -> Option<String> {
        let c = &card.card;
        match self.target {
            Target::Task(_) => None,
            Target::Client(_) => c.client_name.clone(),
            Target::Project(_) => c.project_name.clone().or_else(|| c.client_name.clone()),
        }
    }
}

pub async fn for_task(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<TaskId>,
    query: web::Query<PickQuery>,
) -> Result<HttpResponse, AppError> {
    pick(
        state,
        req,
        user,
        Target::Task(path.into_inner()),
        query.into_inner(),
    )
    .await
}

pub async fn for_client(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
    query: web::Query<PickQuery>,
) -> Result<HttpResponse, AppError> {
    pick(
        state,
        req,
        user,
        Target::Client(path.into_inner()),
        query.into_inner(),
    )
    .await
}

pub async fn for_project(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ProjectId>,
    query: web::Query<PickQuery>,
) -> Result<HttpResponse, AppError> {
    pick(
        state,
        req,
        user,
        Target::Project(path.into_inner()),
        query.into_inner(),
    )
    .await
}

async fn pick(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    target: Target,
    mut query: PickQuery,
) -> Result<HttpResponse, AppError> {
    query.return_to = return_path(&query.return_to, &target.back());
    let filter = AssetFilter {
        asset_type: AssetType::parse(&query.asset_type).ok(),
        tag: Some(query.tag.trim().to_lowercase()).filter(|t| !t.is_empty()),
        search: Some(query.q.trim().to_string()).filter(|q| !q.is_empty()),
        ..Default::default()
    };
    let (owner, lookup) = (user.id().clone(), target.clone());
    let (title, attached, found, on_block, tags) = state
        .db(move |conn| {
            let (title, attached) = lookup.load(conn, &owner)?;
            let on_block = match &lookup {
                Target::Task(id) => assets::linked_to_tasks(conn, &owner, &[id])?
                    .remove(id)
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            let found = assets::gallery(conn, &owner, &filter, 0, SHOWN + attached)?;
            let tags = assets::tag_counts(conn, &owner)?
                .into_iter()
                .map(|(t, _)| t)
                .collect::<Vec<_>>();
            Ok((title, attached, found, on_block, tags))
        })
        .await?;
    let dates = user.dates(state.clock.now());
    let (cards, total) = found;
    let cards: Vec<CardView> = cards
        .into_iter()
        .filter(|c| !target.holds(c) && !on_block.iter().any(|f| f.id == c.asset.id))
        .take(SHOWN as usize)
        .map(|card| CardView { card, dates })
        .collect();
    let page = PickPage {
        ctx: PageContext::for_user(&user, target.nav()),
        target,
        title,
        query,
        cards,
        total,
        attached,
        tags,
    };
    if htmx_target(&req).as_deref() == Some("pick-results") {
        html(StatusCode::OK, &page.as_results())
    } else {
        html(StatusCode::OK, &page)
    }
}

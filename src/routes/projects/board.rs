//! `/projects`: the pipeline board, five stages as columns, filtered by client, type
//! and priority; `/projects/{id}/move` moves a card a stage forward or back.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::clients::{self, Client, ClientFilter};
use crate::db::models::projects::{self, BoardFilter, Project};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html, htmx_target, return_path, see_other};

/// A project card: the project, its client, and what the board shows about money.
pub struct Card {
    pub project: Project,
    pub client_name: String,
    pub late: bool,
}

impl Card {
    pub fn outstanding(&self) -> String {
        super::outstanding(&self.project)
    }
}

pub struct Column {
    pub status: ProjectStatus,
    pub cards: Vec<Card>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct BoardQuery {
    pub client: String,
    #[serde(rename = "type")]
    pub project_type: String,
    pub priority: String,
}

impl BoardQuery {
    fn filter(&self) -> BoardFilter {
        BoardFilter {
            client: ClientId::parse(&self.client).ok(),
            project_type: ProjectType::parse(&self.project_type).ok(),
            priority: Priority::parse(&self.priority).ok(),
        }
    }

    /// The board's URL with these filters.
    fn url(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("client", self.client.as_str()),
            ("type", &self.project_type),
            ("priority", &self.priority),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        format!(
            "/projects?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    }
}

/// The page; its block `pipeline` is what a move from the board swaps.
#[derive(Template)]
#[template(path = "projects/board.html", blocks = ["pipeline"])]
pub struct BoardPage {
    pub ctx: PageContext,
    pub columns: Vec<Column>,
    pub query: BoardQuery,
    pub clients: Vec<Client>,
    pub return_to: String,
}

/// The projects in their stage's column, late ones (past due, not launched) marked.
fn columns(rows: Vec<(Project, String)>, today: chrono::NaiveDate) -> Vec<Column> {
    let mut columns: Vec<Column> = ProjectStatus::ALL
        .iter()
        .map(|s| Column {
            status: *s,
            cards: Vec::new(),
        })
        .collect();
    for (project, client_name) in rows {
        let late = project.status != ProjectStatus::Launched
            && project.due_date.is_some_and(|d| d < today);
        if let Some(column) = columns.iter_mut().find(|c| c.status == project.status) {
            column.cards.push(Card {
                project,
                client_name,
                late,
            });
        }
    }
    columns
}

async fn board_page(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    query: BoardQuery,
) -> Result<HttpResponse, AppError> {
    let (id, filter) = (user.id().clone(), query.filter());
    let (rows, clients) = state
        .db(move |conn| {
            Ok((
                projects::board(conn, &id, &filter)?,
                clients::search(conn, &id, &ClientFilter::default())?,
            ))
        })
        .await?;
    let page = BoardPage {
        ctx: PageContext::for_user(user, "projects"),
        columns: columns(rows, user.today(state.clock.now())),
        return_to: query.url(),
        query,
        clients,
    };
    if htmx_target(req).as_deref() == Some("pipeline") {
        html(StatusCode::OK, &page.as_pipeline())
    } else {
        html(StatusCode::OK, &page)
    }
}

pub async fn board(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<BoardQuery>,
) -> Result<HttpResponse, AppError> {
    board_page(&state, &req, &user, query.into_inner()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepForm {
    direction: String,
    return_to: String,
}

/// Moves a project one stage forward or back; the move lands in its client's timeline.
pub async fn step(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ProjectId>,
    form: web::Form<StepForm>,
) -> Result<HttpResponse, AppError> {
    let forward = match form.direction.as_str() {
        "forward" => true,
        "back" => false,
        _ => {
            return Err(AppError::Unprocessable(
                "Move a project forward or back.".into(),
            ));
        }
    };
    let (id, target, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    state
        .db_write_as(&user, move |conn| {
            Ok(projects::step_audited(conn, &id, &target, forward, now)?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let back = return_path(&form.return_to, "/projects");
    if htmx_target(&req).as_deref() == Some("pipeline") {
        let query = back.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let query = serde_urlencoded::from_str::<BoardQuery>(query).unwrap_or_default();
        return board_page(&state, &req, &user, query).await;
    }
    Ok(see_other(&req, &back))
}

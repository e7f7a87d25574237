//! `/projects`: the pipeline board, five stages as columns, filtered by client, type
//! and priority; `/projects/{id}/move` moves a card a stage forward or back.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::clients::{self, Client, ClientFilter};
use crate::db::models::insight::ProjectForecast;
use crate::db::models::projects::{self, BoardFilter, Project, Step};
use crate::domain::money::MoneyFormat;
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html, htmx_target, return_path};

/// A project card: the project, its client, and what the board shows about money.
pub struct Card {
    pub project: Project,
    pub client_name: String,
    pub late: bool,
    /// "slips by 12 days" at the last four weeks' pace, when it will.
    pub slips: Option<String>,
}

impl Card {
    pub fn outstanding(&self, format: &MoneyFormat) -> String {
        super::outstanding(&self.project, format)
    }
}

pub struct Column {
    pub status: ProjectStatus,
    pub cards: Vec<Card>,
}

impl Column {
    /// The column's budget, all its cards together.
    pub fn budget(&self, format: &MoneyFormat) -> String {
        format.show(Money::total(
            self.cards.iter().filter_map(|c| c.project.budget.as_ref()),
        ))
    }

    /// What the column's projects still owe (budget less paid, never below zero).
    pub fn open(&self, format: &MoneyFormat) -> String {
        let open: rust_decimal::Decimal = self
            .cards
            .iter()
            .filter_map(|c| c.project.open())
            .map(|open| open.max(0.into()))
            .sum();
        format.show(open)
    }

    pub fn late(&self) -> usize {
        self.cards.iter().filter(|c| c.late).count()
    }
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

/// The projects in their stage's column, late ones (past due, not launched)
/// and ones that will slip marked.
fn columns(
    rows: Vec<(Project, String)>,
    today: chrono::NaiveDate,
    forecasts: &[ProjectForecast],
) -> Vec<Column> {
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
            let slips = forecasts
                .iter()
                .find(|f| f.id == project.id)
                .filter(|f| f.forecast.slips_by().is_some_and(|days| days > 0))
                .map(|f| f.forecast.verdict());
            column.cards.push(Card {
                project,
                client_name,
                late,
                slips,
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
    notice: Option<Notice>,
) -> Result<HttpResponse, AppError> {
    // After a move (a notice), the session's data version is behind.
    let version = notice.is_none().then_some(user.user.data_version);
    let (id, filter) = (user.id().clone(), query.filter());
    let today = user.today(state.clock.now());
    let (rows, clients) = state
        .db(move |conn| {
            Ok((
                projects::board(conn, &id, &filter)?,
                clients::search(conn, &id, &ClientFilter::default())?,
            ))
        })
        .await?;
    let forecasts = state.forecasts(user, version).await?;
    let page = BoardPage {
        ctx: PageContext::for_user(user, "projects"),
        columns: columns(rows, today, &forecasts),
        return_to: query.url(),
        query,
        clients,
    };
    if htmx_target(req).as_deref() == Some("pipeline") {
        crate::web::notice::fragment(
            StatusCode::OK,
            &page.as_pipeline(),
            notice.as_ref(),
            &user.csrf_token,
        )
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
    board_page(&state, &req, &user, query.into_inner(), None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepForm {
    direction: String,
    /// A stage to go straight to (a card dropped on its column); wins over `direction`.
    to: String,
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
    let to = match (form.to.as_str(), form.direction.as_str()) {
        ("", "forward") => Step::Forward,
        ("", "back") => Step::Back,
        (stage, _) if !stage.is_empty() => match ProjectStatus::parse(stage) {
            Ok(stage) => Step::To(stage),
            Err(_) => {
                return Err(AppError::Unprocessable(
                    "Choose one of the five stages.".into(),
                ));
            }
        },
        _ => {
            return Err(AppError::Unprocessable(
                "Move a project forward or back.".into(),
            ));
        }
    };
    let (id, target, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    let (before, after) = state
        .db_write_as(&user, move |conn| {
            Ok(projects::step_audited(conn, &id, &target, to, now)?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let notice = Notice::new(if before.status == after {
        format!("“{}” stays in {}.", before.name, after.label())
    } else {
        format!(
            "Moved “{}” from {} to {}.",
            before.name,
            before.status.label(),
            after.label()
        )
    });
    let back = return_path(&form.return_to, "/projects");
    if htmx_target(&req).as_deref() == Some("pipeline") {
        let query = back.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let query = serde_urlencoded::from_str::<BoardQuery>(query).unwrap_or_default();
        return board_page(&state, &req, &user, query, Some(notice)).await;
    }
    Ok(crate::web::notice::see_other_with(
        &req,
        &back,
        Some(&notice),
        state.sessions.secure,
    ))
}

//! `/projects/{id}`: the project page — money, dates, where it lives, its blocks
//! ("add a block for this project") and its files.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::db::models::clients::{self, Client};
use crate::db::models::insight;
use crate::db::models::projects::{self, Project};
use crate::db::models::tasks::{self, TaskFilter, TaskRow};
use crate::domain::insight::{Forecast, hours_words};
use crate::domain::*;
use crate::error::AppError;
use crate::routes::assets::section::{FilesData, FilesSection};
use crate::routes::command::view::BlockView;
use crate::state::AppState;
use crate::web::{PageContext, html};

#[derive(Template)]
#[template(path = "projects/show.html")]
pub struct ProjectPage {
    pub ctx: PageContext,
    pub project: Project,
    pub client: Client,
    pub blocks: Vec<BlockView>,
    pub blocks_total: tasks::Capped,
    pub late: bool,
    pub files: FilesSection,
    /// Work against the estimate and due date, if both are set and it is open.
    pub forecast: Option<Forecast>,
}

impl ProjectPage {
    pub fn outstanding(&self) -> String {
        super::outstanding(&self.project, &self.ctx.money_format)
    }
    pub fn urls(&self) -> Vec<(&'static str, &str)> {
        let p = &self.project;
        [
            ("Repository", &p.repository_url),
            ("Staging", &p.staging_url),
            ("Production", &p.production_url),
        ]
        .into_iter()
        .filter_map(|(label, url)| url.as_deref().map(|u| (label, u)))
        .collect()
    }
    pub fn hours(&self, minutes: impl crate::web::Value<i64>) -> String {
        hours_words(minutes.value())
    }
    pub fn return_to(&self) -> String {
        format!("/projects/{}", self.project.id)
    }
}

/// Everything the project page reads, in one database call.
struct ProjectData {
    project: Project,
    client: Client,
    blocks: Vec<TaskRow>,
    blocks_total: tasks::Capped,
    files: FilesData,
    forecast: Option<Forecast>,
}

impl ProjectData {
    fn load(
        conn: &mut AnyConnection,
        user: &UserId,
        id: &ProjectId,
        today: chrono::NaiveDate,
    ) -> Result<Self, AppError> {
        let project = projects::find(conn, user, id)?.ok_or(AppError::NotFound)?;
        let client = clients::find(conn, user, &project.client_id)?.ok_or(AppError::NotFound)?;
        let filter = TaskFilter {
            project: Some(id.clone()),
            ..Default::default()
        };
        let listed = tasks::search(conn, user, &filter, &tasks::Window::Offset(0), 50)?;
        // A project's filter counts through its index (`counts_cheaply`).
        let scheduled = listed.total.unwrap_or_default();
        let blocks_total = tasks::Capped {
            n: scheduled.n + listed.backlog_total.n,
            more: scheduled.more || listed.backlog_total.more,
        };
        let mut blocks = listed.rows;
        blocks.extend(listed.backlog);
        blocks.truncate(50);
        Ok(ProjectData {
            forecast: insight::forecasts(conn, user, today, Some(id))?
                .pop()
                .map(|f| f.forecast),
            files: FilesData::load(conn, user, None, Some(id))?,
            project,
            client,
            blocks,
            blocks_total,
        })
    }
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ProjectId>,
) -> Result<HttpResponse, AppError> {
    let (id, target) = (user.id().clone(), path.into_inner());
    let today = user.today(state.clock.now());
    let data = state
        .db(move |conn| ProjectData::load(conn, &id, &target, today))
        .await?;
    let project = data.project;
    let late =
        project.status != ProjectStatus::Launched && project.due_date.is_some_and(|d| d < today);
    let return_to = format!("/projects/{}", project.id);
    let page = ProjectPage {
        ctx: PageContext::for_user(&user, "projects"),
        files: FilesSection::new(&user, &state, data.files, return_to),
        project,
        client: data.client,
        blocks: data.blocks.iter().map(BlockView::from_row).collect(),
        blocks_total: data.blocks_total,
        late,
        forecast: data.forecast,
    };
    html(StatusCode::OK, &page)
}

//! Projects and assets as the foundation ships them: projects as read-only pages
//! from the database. The pipeline board and the assets issue turn each into its
//! full page; until then a page says plainly what is not built yet.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::{PageContext, html};
use crate::auth::CurrentUser;
use crate::db::models::clients::{self, Client};
use crate::db::models::projects::{self, Project};
use crate::domain::ProjectId;
use crate::error::AppError;
use crate::startup::AppState;

#[derive(Template)]
#[template(path = "workspace/coming.html")]
pub struct ComingPage {
    ctx: PageContext,
    title: &'static str,
    what: &'static str,
}

fn coming(
    user: &CurrentUser,
    nav: &'static str,
    title: &'static str,
    what: &'static str,
) -> Result<HttpResponse, AppError> {
    html(
        StatusCode::OK,
        &ComingPage {
            ctx: PageContext::for_user(user, nav),
            title,
            what,
        },
    )
}

pub async fn assets(user: CurrentUser) -> Result<HttpResponse, AppError> {
    coming(
        &user,
        "assets",
        "Assets",
        "Uploading and browsing files is not built yet.",
    )
}

#[derive(Template)]
#[template(path = "workspace/projects.html")]
pub struct ProjectsPage {
    ctx: PageContext,
    projects: Vec<(Project, String)>,
}

pub async fn projects(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let projects = state
        .db(move |conn| Ok(projects::list_for_user(conn, &id)?))
        .await?;
    html(
        StatusCode::OK,
        &ProjectsPage {
            ctx: PageContext::for_user(&user, "projects"),
            projects,
        },
    )
}

#[derive(Template)]
#[template(path = "workspace/project.html")]
pub struct ProjectPage {
    ctx: PageContext,
    project: Project,
    client: Client,
}

pub async fn project(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ProjectId>,
) -> Result<HttpResponse, AppError> {
    let project_id = path.into_inner();
    let id = user.id().clone();
    let (project, client) = state
        .db(move |conn| {
            let project = projects::find(conn, &id, &project_id)?.ok_or(AppError::NotFound)?;
            let client = clients::find(conn, &id, &project.client_id)?.ok_or(AppError::NotFound)?;
            Ok((project, client))
        })
        .await?;
    html(
        StatusCode::OK,
        &ProjectPage {
            ctx: PageContext::for_user(&user, "projects"),
            project,
            client,
        },
    )
}

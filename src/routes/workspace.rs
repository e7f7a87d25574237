//! The workspace pages as the foundation ships them: today's plan, the catalog,
//! goals, clients and projects as read-only lists from the database. The Command
//! Center, CRM and assets issues turn each into its full page; until then a page
//! says plainly what is not built yet.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;

use super::{PageContext, html};
use crate::auth::CurrentUser;
use crate::db::models::activities::{self, Activity};
use crate::db::models::clients::{self, Client};
use crate::db::models::goals::{self, Goal};
use crate::db::models::projects::{self, Project};
use crate::db::models::tasks::{self, Task};
use crate::domain::{ClientId, GoalType, ProjectId};
use crate::error::AppError;
use crate::startup::AppState;

#[derive(Template)]
#[template(path = "workspace/today.html")]
pub struct TodayPage {
    ctx: PageContext,
    day: NaiveDate,
    tasks: Vec<Task>,
    booked_minutes: u32,
    capacity_minutes: u32,
}

impl TodayPage {
    fn hours(minutes: u32) -> String {
        format!("{}:{:02}", minutes / 60, minutes % 60)
    }
    pub fn booked(&self) -> String {
        Self::hours(self.booked_minutes)
    }
    pub fn capacity(&self) -> String {
        Self::hours(self.capacity_minutes)
    }
}

pub async fn today(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let day = user.user.timezone.today(chrono::Utc::now());
    let id = user.id().clone();
    let tasks = state
        .db(move |conn| Ok(tasks::for_day(conn, &id, day)?))
        .await?;
    let booked_minutes = tasks
        .iter()
        .map(|t| u32::from(t.time_block_minutes.get()))
        .sum();
    let capacity_minutes = user.user.preferences.0.work_hours().minutes().into();
    let page = TodayPage {
        ctx: PageContext::for_user(&user, "today"),
        day,
        tasks,
        booked_minutes,
        capacity_minutes,
    };
    html(StatusCode::OK, &page)
}

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

pub async fn calendar(user: CurrentUser) -> Result<HttpResponse, AppError> {
    coming(
        &user,
        "calendar",
        "Week",
        "The week view (seven days of blocks, moving blocks between days) is not built yet.",
    )
}

pub async fn tasks(user: CurrentUser) -> Result<HttpResponse, AppError> {
    coming(
        &user,
        "tasks",
        "Tasks",
        "The searchable, filterable list of every block is not built yet.",
    )
}

pub async fn new_client(user: CurrentUser) -> Result<HttpResponse, AppError> {
    coming(
        &user,
        "clients",
        "New client",
        "Creating and editing clients is not built yet.",
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
#[template(path = "workspace/goals.html")]
pub struct GoalsPage {
    ctx: PageContext,
    goals: Vec<Goal>,
}

pub async fn goals(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let mut goals = state
        .db(move |conn| Ok(goals::list_for_user(conn, &id)?))
        .await?;
    let rank = |t: GoalType| GoalType::ALL.iter().position(|x| *x == t).unwrap_or(0);
    goals.sort_by_key(|g| (g.completed_at.is_some(), rank(g.goal_type), g.due_date));
    html(
        StatusCode::OK,
        &GoalsPage {
            ctx: PageContext::for_user(&user, "goals"),
            goals,
        },
    )
}

#[derive(Template)]
#[template(path = "workspace/activities.html")]
pub struct ActivitiesPage {
    ctx: PageContext,
    activities: Vec<Activity>,
}

pub async fn activities(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let activities = state
        .db(move |conn| Ok(activities::list_active(conn, &id)?))
        .await?;
    html(
        StatusCode::OK,
        &ActivitiesPage {
            ctx: PageContext::for_user(&user, "activities"),
            activities,
        },
    )
}

#[derive(Template)]
#[template(path = "workspace/clients.html")]
pub struct ClientsPage {
    ctx: PageContext,
    clients: Vec<Client>,
}

pub async fn clients(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let clients = state
        .db(move |conn| Ok(clients::list_for_user(conn, &id)?))
        .await?;
    html(
        StatusCode::OK,
        &ClientsPage {
            ctx: PageContext::for_user(&user, "clients"),
            clients,
        },
    )
}

#[derive(Template)]
#[template(path = "workspace/client.html")]
pub struct ClientPage {
    ctx: PageContext,
    client: Client,
    projects: Vec<Project>,
}

pub async fn client(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let client_id = ClientId::parse(&path).map_err(|_| AppError::NotFound)?;
    let id = user.id().clone();
    let (client, projects) = state
        .db(move |conn| {
            let client = clients::find(conn, &id, &client_id)?.ok_or(AppError::NotFound)?;
            let projects = projects::for_client(conn, &id, &client_id)?;
            Ok((client, projects))
        })
        .await?;
    html(
        StatusCode::OK,
        &ClientPage {
            ctx: PageContext::for_user(&user, "clients"),
            client,
            projects,
        },
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
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let project_id = ProjectId::parse(&path).map_err(|_| AppError::NotFound)?;
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

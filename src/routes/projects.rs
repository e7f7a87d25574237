//! `/projects`: the pipeline board (five stages as columns, moved a stage at a time,
//! filtered by client, type and priority); create and edit; the project page with
//! its money, URLs and blocks, and "add a block for this project".

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::command::{BlockView, htmx_target, local_now};
use crate::auth::CurrentUser;
use crate::db::models::audit::{self, AuditEvent};
use crate::db::models::clients::{self, Client, ClientFilter};
use crate::db::models::projects::{self, BoardFilter, Project, ProjectFields};
use crate::db::models::tasks::{self, TaskFilter};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::{amount, date, text, web_url};
use crate::web::{PageContext, html, see_other};

/// A project card: the project, its client, and what the board shows about money.
pub struct Card {
    pub project: Project,
    pub client_name: String,
    pub late: bool,
}

impl Card {
    pub fn outstanding(&self) -> String {
        outstanding(&self.project)
    }
}

/// Budget minus what was paid, as the card and the page show it.
pub fn outstanding(p: &Project) -> String {
    match p.budget {
        Some(budget) => {
            crate::domain::money::group_thousands(budget.amount() - p.paid_amount.amount())
        }
        None => "—".into(),
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

#[derive(Template)]
#[template(path = "projects/board.html")]
pub struct BoardPage {
    pub ctx: PageContext,
    pub columns: Vec<Column>,
    pub query: BoardQuery,
    pub clients: Vec<Client>,
    pub fragment: bool,
    pub return_to: String,
}

impl BoardPage {
    pub fn types(&self) -> &'static [ProjectType] {
        ProjectType::ALL
    }
    pub fn priorities(&self) -> &'static [Priority] {
        Priority::ALL
    }
}

async fn board_page(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    user: &CurrentUser,
    query: BoardQuery,
) -> Result<HttpResponse, AppError> {
    let filter = BoardFilter {
        client: ClientId::parse(&query.client).ok(),
        project_type: ProjectType::parse(&query.project_type).ok(),
        priority: Priority::parse(&query.priority).ok(),
    };
    let (today, _) = local_now(user, state.clock.now());
    let id = user.id().clone();
    let (rows, clients) = state
        .db(move |conn| {
            Ok((
                projects::board(conn, &id, &filter)?,
                clients::search(conn, &id, &ClientFilter::default())?,
            ))
        })
        .await?;
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
    let fragment = htmx_target(req).as_deref() == Some("pipeline");
    let return_to = format!(
        "/projects?{}",
        serde_urlencoded::to_string(query_pairs(&query)).unwrap_or_default()
    );
    html(
        StatusCode::OK,
        &BoardPage {
            ctx: PageContext::for_user(user, "projects").as_fragment(fragment),
            columns,
            query,
            clients,
            fragment,
            return_to,
        },
    )
}

fn query_pairs(q: &BoardQuery) -> Vec<(&'static str, &str)> {
    [
        ("client", q.client.as_str()),
        ("type", &q.project_type),
        ("priority", &q.priority),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect()
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
    let (id, target) = (user.id().clone(), path.into_inner());
    let now = crate::db::now();
    state
        .db_write(move |conn| {
                let Some((before, after)) = projects::step(conn, &id, &target, forward, now)? else { return Ok(None) };
                if before.status != after {
                    audit::record(
                        conn,
                        AuditEvent::new("project.moved").user(&id).entity("client", before.client_id.as_str()).details(
                            serde_json::json!({ "project": before.name, "stage": [before.status, after] }),
                        ),
                    )?;
                }
                Ok(Some(()))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let back = super::command::return_path(&form.return_to, "/projects");
    if htmx_target(&req).as_deref() == Some("pipeline") {
        let query = back.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let query = serde_urlencoded::from_str::<BoardQuery>(query).unwrap_or_default();
        return board_page(&state, &req, &user, query).await;
    }
    Ok(see_other(&req, &back))
}

/// A project form as submitted.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ProjectForm {
    pub client_id: String,
    pub name: String,
    pub description: String,
    pub project_type: String,
    pub status: String,
    pub priority: String,
    pub start_date: String,
    pub due_date: String,
    pub budget: String,
    pub paid_amount: String,
    pub repository_url: String,
    pub staging_url: String,
    pub production_url: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ProjectErrors {
    pub client_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub choice: Option<String>,
    pub dates: Option<String>,
    pub money: Option<String>,
    pub urls: Option<String>,
}

impl ProjectForm {
    fn from_project(p: &Project) -> Self {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let day = |d: &Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        ProjectForm {
            client_id: p.client_id.to_string(),
            name: p.name.clone(),
            description: opt(&p.description),
            project_type: p.project_type.as_str().into(),
            status: p.status.as_str().into(),
            priority: p.priority.as_str().into(),
            start_date: day(&p.start_date),
            due_date: day(&p.due_date),
            budget: p.budget.map(|m| m.to_string()).unwrap_or_default(),
            paid_amount: p.paid_amount.to_string(),
            repository_url: opt(&p.repository_url),
            staging_url: opt(&p.staging_url),
            production_url: opt(&p.production_url),
        }
    }

    pub(crate) fn parse(&self) -> Result<ProjectFields, Box<ProjectErrors>> {
        let mut e = ProjectErrors::default();
        let client_id = ClientId::parse(&self.client_id)
            .map_err(|_| e.client_id = Some("choose a client".into()))
            .ok();
        let name = text(&self.name, "Name", 200)
            .and_then(|n| n.ok_or_else(|| "Name is required".to_string()))
            .map_err(|m| e.name = Some(m))
            .ok();
        let description = text(&self.description, "Description", 5000)
            .map_err(|m| e.description = Some(m))
            .ok();
        let kind = ProjectType::parse(&self.project_type)
            .map_err(|_| e.choice = Some("choose a type".into()))
            .ok();
        let status = ProjectStatus::parse(&self.status)
            .map_err(|_| e.choice = Some("choose a stage".into()))
            .ok();
        let priority = Priority::parse(&self.priority)
            .map_err(|_| e.choice = Some("choose a priority".into()))
            .ok();
        let start = date(&self.start_date).map_err(|m| e.dates = Some(m)).ok();
        let due = date(&self.due_date).map_err(|m| e.dates = Some(m)).ok();
        if let (Some(Some(s)), Some(Some(d))) = (start, due)
            && d < s
        {
            e.dates = Some("the due date must not be before the start".into());
        }
        let budget = amount(&self.budget).map_err(|m| e.money = Some(m)).ok();
        let paid = amount(&self.paid_amount)
            .map_err(|m| e.money = Some(m))
            .ok();
        let urls = [
            &self.repository_url,
            &self.staging_url,
            &self.production_url,
        ]
        .map(|u| web_url(u));
        if let Some(Err(m)) = urls.iter().find(|u| u.is_err()) {
            e.urls = Some(m.clone());
        }
        if e != ProjectErrors::default() {
            return Err(Box::new(e));
        }
        let [repository_url, staging_url, production_url] = urls.map(|u| u.unwrap_or(None));
        match (
            client_id,
            name,
            description,
            kind,
            status,
            priority,
            start,
            due,
            budget,
            paid,
        ) {
            (
                Some(client_id),
                Some(name),
                Some(description),
                Some(project_type),
                Some(status),
                Some(priority),
                Some(start_date),
                Some(due_date),
                Some(budget),
                Some(paid),
            ) => Ok(ProjectFields {
                client_id,
                name,
                description,
                project_type,
                status,
                priority,
                start_date,
                due_date,
                budget,
                paid_amount: paid.unwrap_or(Money::ZERO),
                repository_url,
                staging_url,
                production_url,
            }),
            _ => Err(Box::new(e)),
        }
    }
}

#[derive(Template)]
#[template(path = "projects/form.html")]
pub struct ProjectFormPage {
    pub ctx: PageContext,
    pub heading: &'static str,
    pub action: String,
    pub form: ProjectForm,
    pub errors: ProjectErrors,
    pub clients: Vec<Client>,
    pub cancel: String,
}

impl ProjectFormPage {
    pub fn types(&self) -> &'static [ProjectType] {
        ProjectType::ALL
    }
    pub fn stages(&self) -> &'static [ProjectStatus] {
        ProjectStatus::ALL
    }
    pub fn priorities(&self) -> &'static [Priority] {
        Priority::ALL
    }
}

async fn form_page(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    status: StatusCode,
    heading: &'static str,
    action: String,
    form: ProjectForm,
    errors: ProjectErrors,
) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let clients = state
        .db(move |conn| Ok(clients::search(conn, &id, &ClientFilter::default())?))
        .await?;
    let cancel = if action == "/projects" {
        "/projects".to_string()
    } else {
        action.clone()
    };
    html(
        status,
        &ProjectFormPage {
            ctx: PageContext::for_user(user, "projects"),
            heading,
            action,
            form,
            errors,
            clients,
            cancel,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    client: String,
}

pub async fn new(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let form = ProjectForm {
        client_id: query.client.clone(),
        project_type: ProjectType::Website.as_str().into(),
        status: ProjectStatus::Planning.as_str().into(),
        priority: Priority::Medium.as_str().into(),
        paid_amount: "0.00".into(),
        ..Default::default()
    };
    form_page(
        &state,
        &user,
        StatusCode::OK,
        "New project",
        "/projects".into(),
        form,
        ProjectErrors::default(),
    )
    .await
}

pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<ProjectForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let fields = match form.parse() {
        Ok(fields) => fields,
        Err(errors) => {
            return form_page(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                "New project",
                "/projects".into(),
                form,
                *errors,
            )
            .await;
        }
    };
    let id = user.id().clone();
    let now = crate::db::now();
    let created = state
        .db_write(move |conn| Ok(projects::create(conn, &id, &fields, now)?))
        .await?;
    match created {
        Some(project) => Ok(see_other(&req, &format!("/projects/{project}"))),
        None => {
            let errors = ProjectErrors {
                client_id: Some("choose one of your clients".into()),
                ..Default::default()
            };
            form_page(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                "New project",
                "/projects".into(),
                form,
                errors,
            )
            .await
        }
    }
}

pub async fn edit(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ProjectId>,
) -> Result<HttpResponse, AppError> {
    let (id, target) = (user.id().clone(), path.into_inner());
    let project = state
        .db(move |conn| Ok(projects::find(conn, &id, &target)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let action = format!("/projects/{}", project.id);
    form_page(
        &state,
        &user,
        StatusCode::OK,
        "Edit project",
        action,
        ProjectForm::from_project(&project),
        ProjectErrors::default(),
    )
    .await
}

pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ProjectId>,
    form: web::Form<ProjectForm>,
) -> Result<HttpResponse, AppError> {
    let target = path.into_inner();
    let action = format!("/projects/{target}");
    let form = form.into_inner();
    let fields = match form.parse() {
        Ok(fields) => fields,
        Err(errors) => {
            let (id, lookup) = (user.id().clone(), target.clone());
            state
                .db_write(move |conn| Ok(projects::find(conn, &id, &lookup)?))
                .await?
                .ok_or(AppError::NotFound)?;
            return form_page(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Edit project",
                action,
                form,
                *errors,
            )
            .await;
        }
    };
    let (id, project) = (user.id().clone(), target.clone());
    let now = crate::db::now();
    state
        .db_write(move |conn| Ok(projects::update(conn, &id, &project, &fields, now)?))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(see_other(&req, &action))
}

#[derive(Template)]
#[template(path = "projects/show.html")]
pub struct ProjectPage {
    pub ctx: PageContext,
    pub project: Project,
    pub client: Client,
    pub blocks: Vec<BlockView>,
    pub blocks_total: i64,
    pub late: bool,
    pub files: super::assets::FilesSection,
}

impl ProjectPage {
    pub fn outstanding(&self) -> String {
        outstanding(&self.project)
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
    pub fn return_to(&self) -> String {
        format!("/projects/{}", self.project.id)
    }
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ProjectId>,
) -> Result<HttpResponse, AppError> {
    let (id, target) = (user.id().clone(), path.into_inner());
    let (project, client, (rows, blocks_total), files) = state
        .db(move |conn| {
            let project = projects::find(conn, &id, &target)?.ok_or(AppError::NotFound)?;
            let client = clients::find(conn, &id, &project.client_id)?.ok_or(AppError::NotFound)?;
            let filter = TaskFilter {
                project: Some(target.clone()),
                ..Default::default()
            };
            let blocks = tasks::search(conn, &id, &filter, 0, 50)?;
            let files = super::assets::FilesData::load(conn, &id, None, Some(&target))?;
            Ok((project, client, blocks, files))
        })
        .await?;
    let return_to = format!("/projects/{}", project.id);
    let (today, _) = local_now(&user, state.clock.now());
    let late =
        project.status != ProjectStatus::Launched && project.due_date.is_some_and(|d| d < today);
    let page = ProjectPage {
        ctx: PageContext::for_user(&user, "projects"),
        project,
        client,
        blocks: rows.iter().map(BlockView::from_row).collect(),
        blocks_total,
        late,
        files: super::assets::FilesSection::new(&user, &state, files, return_to),
    };
    html(StatusCode::OK, &page)
}

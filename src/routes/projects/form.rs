//! A project's form: `/projects/new` (from the board or a client page) and
//! `/projects/{id}/edit`, and saving either.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::clients::{self, Client, ClientFilter};
use crate::db::models::projects::{self, Project, ProjectFields};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::{amount, check, date, hours, multiline, required, web_url};
use crate::web::{PageContext, html, see_other};

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
    pub estimated_hours: String,
    pub repository_url: String,
    pub staging_url: String,
    pub production_url: String,
}

/// One message per field, shown next to it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ProjectErrors {
    pub client_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub project_type: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub start_date: Option<String>,
    pub due_date: Option<String>,
    pub budget: Option<String>,
    pub paid_amount: Option<String>,
    pub estimated_hours: Option<String>,
    pub repository_url: Option<String>,
    pub staging_url: Option<String>,
    pub production_url: Option<String>,
}

impl ProjectErrors {
    /// Each message with the field it belongs to, in form order.
    pub fn by_field(&self) -> Vec<(&'static str, String)> {
        [
            ("client", &self.client_id),
            ("name", &self.name),
            ("description", &self.description),
            ("type", &self.project_type),
            ("status", &self.status),
            ("priority", &self.priority),
            ("start_date", &self.start_date),
            ("due_date", &self.due_date),
            ("budget", &self.budget),
            ("paid_amount", &self.paid_amount),
            ("estimated_hours", &self.estimated_hours),
            ("repository_url", &self.repository_url),
            ("staging_url", &self.staging_url),
            ("production_url", &self.production_url),
        ]
        .into_iter()
        .filter_map(|(field, message)| message.clone().map(|m| (field, m)))
        .collect()
    }
}

fn choice<T>(parsed: Result<T, UnknownValue>, what: &str) -> Result<T, String> {
    parsed.map_err(|_| format!("choose a {what}"))
}

impl ProjectForm {
    pub fn blank(client: &str) -> Self {
        ProjectForm {
            client_id: client.to_string(),
            project_type: ProjectType::Website.as_str().into(),
            status: ProjectStatus::Planning.as_str().into(),
            priority: Priority::Medium.as_str().into(),
            paid_amount: "0.00".into(),
            ..Default::default()
        }
    }

    pub fn of(p: &Project) -> Self {
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
            estimated_hours: p.estimated_hours.map(|h| h.to_string()).unwrap_or_default(),
            repository_url: opt(&p.repository_url),
            staging_url: opt(&p.staging_url),
            production_url: opt(&p.production_url),
        }
    }

    pub fn parse(&self) -> Result<ProjectFields, Box<ProjectErrors>> {
        let mut e = ProjectErrors::default();
        let client_id = check(
            &mut e.client_id,
            ClientId::parse(&self.client_id).map_err(|_| "choose a client".into()),
        );
        let start = check(&mut e.start_date, date(&self.start_date)).flatten();
        let due = check(&mut e.due_date, date(&self.due_date)).flatten();
        if let (Some(s), Some(d)) = (start, due)
            && d < s
        {
            e.due_date = Some("the due date must not be before the start".into());
        }
        let fields = client_id.map(|client_id| ProjectFields {
            client_id,
            name: check(&mut e.name, required(&self.name, "Name", 200)).unwrap_or_default(),
            description: check(
                &mut e.description,
                multiline(&self.description, "Description", 5000),
            )
            .flatten(),
            project_type: check(
                &mut e.project_type,
                choice(ProjectType::parse(&self.project_type), "type"),
            )
            .unwrap_or(ProjectType::Other),
            status: check(
                &mut e.status,
                choice(ProjectStatus::parse(&self.status), "stage"),
            )
            .unwrap_or(ProjectStatus::Planning),
            priority: check(
                &mut e.priority,
                choice(Priority::parse(&self.priority), "priority"),
            )
            .unwrap_or(Priority::Medium),
            start_date: start,
            due_date: due,
            budget: check(&mut e.budget, amount(&self.budget)).flatten(),
            paid_amount: check(&mut e.paid_amount, amount(&self.paid_amount))
                .flatten()
                .unwrap_or(Money::ZERO),
            estimated_hours: check(
                &mut e.estimated_hours,
                hours(&self.estimated_hours, 100_000),
            )
            .flatten(),
            repository_url: check(&mut e.repository_url, web_url(&self.repository_url)).flatten(),
            staging_url: check(&mut e.staging_url, web_url(&self.staging_url)).flatten(),
            production_url: check(&mut e.production_url, web_url(&self.production_url)).flatten(),
        });
        // Every field was checked; the placeholders above are never saved.
        match fields {
            Some(fields) if e == ProjectErrors::default() => Ok(fields),
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
    pub fn client_choices(&self) -> Vec<(String, String)> {
        self.clients
            .iter()
            .map(|c| (c.id.to_string(), c.name.clone()))
            .collect()
    }
}

/// The form for a new project (`None`) or one being edited, with the user's clients.
async fn form_page(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    project: Option<&ProjectId>,
    form: ProjectForm,
    errors: ProjectErrors,
) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let clients = state
        .db(move |conn| Ok(clients::search(conn, &id, &ClientFilter::default())?))
        .await?;
    let (heading, action, cancel) = match project {
        None => (
            "New project",
            "/projects".to_string(),
            "/projects".to_string(),
        ),
        Some(p) => (
            "Edit project",
            format!("/projects/{p}"),
            format!("/projects/{p}"),
        ),
    };
    let page = ProjectFormPage {
        ctx: PageContext::for_user(user, "projects"),
        heading,
        action,
        form,
        errors,
        clients,
        cancel,
    };
    html(status, &page)
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
    let form = ProjectForm::blank(&query.client);
    form_page(
        &state,
        &user,
        StatusCode::OK,
        None,
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
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    let fields = match form.parse() {
        Ok(fields) => fields,
        Err(errors) => return form_page(&state, &user, refused, None, form, *errors).await,
    };
    let (id, now) = (user.id().clone(), state.clock.stamp());
    let created = state
        .db_write_as(&user, move |conn| {
            Ok(projects::create(conn, &id, &fields, now)?)
        })
        .await?;
    match created {
        Some(project) => Ok(see_other(&req, &format!("/projects/{project}"))),
        None => {
            let errors = ProjectErrors {
                client_id: Some("choose one of your clients".into()),
                ..Default::default()
            };
            form_page(&state, &user, refused, None, form, errors).await
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
    let form = ProjectForm::of(&project);
    let errors = ProjectErrors::default();
    form_page(
        &state,
        &user,
        StatusCode::OK,
        Some(&project.id),
        form,
        errors,
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
    let form = form.into_inner();
    let fields = match form.parse() {
        Ok(fields) => fields,
        Err(errors) => {
            // Someone else's id is a 404 even with a bad form.
            let (id, lookup) = (user.id().clone(), target.clone());
            state
                .db(move |conn| Ok(projects::find(conn, &id, &lookup)?))
                .await?
                .ok_or(AppError::NotFound)?;
            let refused = StatusCode::UNPROCESSABLE_ENTITY;
            return form_page(&state, &user, refused, Some(&target), form, *errors).await;
        }
    };
    let (id, project, now) = (user.id().clone(), target.clone(), state.clock.stamp());
    state
        .db_write_as(&user, move |conn| {
            Ok(projects::update(conn, &id, &project, &fields, now)?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(see_other(&req, &format!("/projects/{target}")))
}

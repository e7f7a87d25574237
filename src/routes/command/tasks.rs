//! Blocks: create (by hand or from the catalog), edit, delete, start, block,
//! complete, reopen, move (to another time, another day, tomorrow or the backlog),
//! and carry unfinished blocks over to today.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use super::day::respond;
use super::forms::{TaskErrors, TaskForm};
use super::{local_now, return_path};
use crate::auth::CurrentUser;
use crate::db::models::activities;
use crate::db::models::goals::{self, Goal};
use crate::db::models::projects;
use crate::db::models::tasks::{self, BadLink, TaskFields};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html};

/// The block form, as a page (no JavaScript) or as the `#editor` fragment (htmx).
#[derive(Template)]
#[template(path = "command/task_form.html")]
pub struct TaskFormPage {
    pub ctx: PageContext,
    pub fragment: bool,
    pub heading: &'static str,
    pub action: String,
    pub form: TaskForm,
    pub errors: TaskErrors,
    pub projects: Vec<(ProjectId, String, String)>,
    pub goals: Vec<Goal>,
    pub task_id: Option<TaskId>,
    /// The block's context files, and the owner's other recent files to attach.
    pub files: Vec<crate::db::models::assets::LinkedFile>,
    pub attachable: Vec<(AssetId, String)>,
}

impl TaskFormPage {
    /// Where the files section's forms come back to: this editor.
    pub fn here(&self) -> String {
        match &self.task_id {
            Some(id) => format!(
                "/tasks/{id}/edit?return_to={}",
                crate::error::percent_encode(&self.form.return_to)
            ),
            None => self.form.return_to.clone(),
        }
    }

    pub fn categories(&self) -> &'static [TaskCategory] {
        TaskCategory::ALL
    }
    pub fn priorities(&self) -> &'static [Priority] {
        Priority::ALL
    }
    pub fn energies(&self) -> &'static [EnergyLevel] {
        EnergyLevel::ALL
    }
    pub fn lengths(&self) -> Vec<u16> {
        vec![15, 30, 45, 60, 90, 120, 180, 240]
    }
}

/// What the block form shows: which block, what was typed, what is wrong.
pub struct Editing {
    pub heading: &'static str,
    pub action: String,
    pub form: TaskForm,
    pub errors: TaskErrors,
    pub task_id: Option<TaskId>,
}

async fn render_form(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    user: &CurrentUser,
    status: StatusCode,
    editing: Editing,
) -> Result<HttpResponse, AppError> {
    let Editing {
        heading,
        action,
        form,
        errors,
        task_id,
    } = editing;
    let id = user.id().clone();
    let editing_id = task_id.clone();
    let (projects, goals, files, attachable) = state
        .db(move |conn| {
            use crate::db::models::assets;
            let (files, attachable) = match &editing_id {
                Some(task) => {
                    let mut linked = assets::linked_to_tasks(conn, &id, &[task])?;
                    let files = linked.remove(task).unwrap_or_default();
                    let attachable = assets::recent_names(conn, &id, 60)?
                        .into_iter()
                        .filter(|(a, _)| !files.iter().any(|f| &f.id == a))
                        .collect();
                    (files, attachable)
                }
                None => (Vec::new(), Vec::new()),
            };
            Ok((
                projects::names_for_user(conn, &id)?,
                goals::list_for_user(conn, &id)?,
                files,
                attachable,
            ))
        })
        .await?;
    let goals = goals
        .into_iter()
        .filter(|g| g.completed_at.is_none() || Some(g.id.as_str()) == Some(form.goal_id.as_str()))
        .collect();
    let fragment = crate::web::is_htmx(req);
    let page = TaskFormPage {
        ctx: PageContext::for_user(user, "today").as_fragment(fragment),
        fragment,
        heading,
        action,
        form,
        errors,
        projects,
        goals,
        task_id,
        files,
        attachable,
    };
    html(status, &page)
}

#[derive(Deserialize)]
pub struct NewQuery {
    project: Option<String>,
    date: Option<String>,
    time: Option<String>,
    activity: Option<String>,
    return_to: Option<String>,
}

/// `/tasks/new?date=…&time=…&activity=…`: the form, pre-filled from the slot and the
/// catalog entry picked.
pub async fn new(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let (today, _) = local_now(&user, state.clock.now());
    let date = query
        .date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or(today);
    let time = query.time.as_deref().and_then(|t| TimeOfDay::parse(t).ok());
    let mut form = TaskForm {
        priority: Priority::Medium.as_str().into(),
        energy_level: EnergyLevel::Moderate.as_str().into(),
        time_block_minutes: BlockMinutes::DEFAULT.to_string(),
        scheduled_date: date.to_string(),
        scheduled_time: time.map(|t| t.to_string()).unwrap_or_default(),
        return_to: return_path(
            query.return_to.as_deref().unwrap_or_default(),
            &format!("/?date={date}"),
        ),
        ..Default::default()
    };
    // From a project page: the block belongs to that project.
    if let Some(project) = query
        .project
        .as_deref()
        .and_then(|p| ProjectId::parse(p).ok())
    {
        form.project_id = project.to_string();
        form.category = TaskCategory::Code.as_str().into();
    }
    if let Some(activity_id) = query
        .activity
        .as_deref()
        .and_then(|a| ActivityId::parse(a).ok())
    {
        let id = user.id().clone();
        let activity = state
            .db(move |conn| Ok(activities::find(conn, &id, &activity_id)?))
            .await?
            .ok_or(AppError::NotFound)?;
        form.title = activity.title;
        form.description = activity.description.unwrap_or_default();
        form.category = activity.category.as_str().into();
        form.time_block_minutes = activity.default_duration.to_string();
        form.energy_level = activity.energy_level.as_str().into();
        form.activity_id = activity.id.to_string();
    }
    render_form(
        &state,
        &req,
        &user,
        StatusCode::OK,
        Editing {
            heading: "New block",
            action: "/tasks".into(),
            form,
            errors: TaskErrors::default(),
            task_id: None,
        },
    )
    .await
}

fn link_error(bad: BadLink) -> TaskErrors {
    match bad {
        BadLink::Project => TaskErrors {
            project_id: Some("choose one of your projects".into()),
            ..Default::default()
        },
        BadLink::Goal => TaskErrors {
            goal_id: Some("choose one of your goals".into()),
            ..Default::default()
        },
        BadLink::Activity => TaskErrors {
            title: Some("that catalog entry no longer exists".into()),
            ..Default::default()
        },
    }
}

pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<TaskForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let back = return_path(&form.return_to, "/");
    let fields: TaskFields = match form.parse() {
        Ok(fields) => fields,
        Err(errors) => {
            return render_form(
                &state,
                &req,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Editing {
                    heading: "New block",
                    action: "/tasks".into(),
                    form,
                    errors,
                    task_id: None,
                },
            )
            .await;
        }
    };
    let id = user.id().clone();
    let now = crate::db::now();
    let created = state
        .db_write(move |conn| Ok(tasks::create(conn, &id, &fields, now)?))
        .await?;
    if let Err(bad) = created {
        return render_form(
            &state,
            &req,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            Editing {
                heading: "New block",
                action: "/tasks".into(),
                form,
                errors: link_error(bad),
                task_id: None,
            },
        )
        .await;
    }
    respond(&state, &req, &user, &back).await
}

#[derive(Deserialize)]
pub struct ReturnQuery {
    return_to: Option<String>,
}

pub async fn edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<TaskId>,
    query: web::Query<ReturnQuery>,
) -> Result<HttpResponse, AppError> {
    let task_id = path.into_inner();
    let (id, lookup) = (user.id().clone(), task_id.clone());
    let task = state
        .db(move |conn| Ok(tasks::find(conn, &id, &lookup)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let date = task
        .scheduled_date
        .map(|d| d.to_string())
        .unwrap_or_default();
    let form = TaskForm {
        title: task.title,
        description: task.description.unwrap_or_default(),
        category: task.category.as_str().into(),
        priority: task.priority.as_str().into(),
        energy_level: task.energy_level.as_str().into(),
        scheduled_date: date.clone(),
        scheduled_time: task
            .scheduled_time
            .map(|t| t.to_string())
            .unwrap_or_default(),
        time_block_minutes: task.time_block_minutes.to_string(),
        project_id: task.project_id.map(|p| p.to_string()).unwrap_or_default(),
        goal_id: task.goal_id.map(|g| g.to_string()).unwrap_or_default(),
        activity_id: task.activity_id.map(|a| a.to_string()).unwrap_or_default(),
        return_to: return_path(
            query.return_to.as_deref().unwrap_or_default(),
            &format!("/?date={date}"),
        ),
    };
    let action = format!("/tasks/{task_id}");
    render_form(
        &state,
        &req,
        &user,
        StatusCode::OK,
        Editing {
            heading: "Edit block",
            action,
            form,
            errors: TaskErrors::default(),
            task_id: Some(task_id),
        },
    )
    .await
}

pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<TaskId>,
    form: web::Form<TaskForm>,
) -> Result<HttpResponse, AppError> {
    let task_id = path.into_inner();
    let form = form.into_inner();
    let back = return_path(&form.return_to, "/");
    let action = format!("/tasks/{task_id}");
    let fields = match form.parse() {
        Ok(fields) => fields,
        Err(errors) => {
            return render_form(
                &state,
                &req,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Editing {
                    heading: "Edit block",
                    action,
                    form,
                    errors,
                    task_id: Some(task_id),
                },
            )
            .await;
        }
    };
    let (id, target) = (user.id().clone(), task_id.clone());
    let now = crate::db::now();
    let updated = state
        .db_write(move |conn| Ok(tasks::update(conn, &id, &target, &fields, now)?))
        .await?;
    match updated {
        None => Err(AppError::NotFound),
        Some(Err(bad)) => {
            render_form(
                &state,
                &req,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Editing {
                    heading: "Edit block",
                    action,
                    form,
                    errors: link_error(bad),
                    task_id: Some(task_id),
                },
            )
            .await
        }
        Some(Ok(_)) => respond(&state, &req, &user, &back).await,
    }
}

#[derive(Deserialize)]
pub struct ReturnForm {
    #[serde(default)]
    return_to: String,
}

pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<TaskId>,
    form: web::Form<ReturnForm>,
) -> Result<HttpResponse, AppError> {
    let task_id = path.into_inner();
    let id = user.id().clone();
    let now = crate::db::now();
    state
        .db_write(move |conn| Ok(tasks::delete(conn, &id, &task_id, now)?))
        .await?
        .ok_or(AppError::NotFound)?;
    respond(&state, &req, &user, &return_path(&form.return_to, "/")).await
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    return_to: String,
}

/// Start, block, complete or reopen. Repeating a request changes nothing twice.
pub async fn set_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<TaskId>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let task_id = path.into_inner();
    let status =
        TaskStatus::parse(&form.status).map_err(|e| AppError::Unprocessable(e.to_string()))?;
    let id = user.id().clone();
    let now = crate::db::now();
    state
        .db_write(move |conn| Ok(tasks::set_status(conn, &id, &task_id, status, now)?))
        .await?
        .ok_or(AppError::NotFound)?;
    respond(&state, &req, &user, &return_path(&form.return_to, "/")).await
}

#[derive(Deserialize)]
pub struct MoveForm {
    /// `tomorrow`, `today`, `backlog`, or empty to use `date`/`time`.
    #[serde(default)]
    when: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    /// `keep` keeps the block's start time when only the day changes.
    #[serde(default)]
    keep_time: String,
    #[serde(default)]
    return_to: String,
}

/// Moves a block to another day or time, tomorrow, or the backlog.
pub async fn move_task(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<TaskId>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, AppError> {
    let task_id = path.into_inner();
    let (today, _) = local_now(&user, state.clock.now());
    let day = match form.when.as_str() {
        "tomorrow" => Some(today + Duration::days(1)),
        "today" => Some(today),
        "backlog" => None,
        "" => Some(
            crate::web::forms::date(&form.date)
                .map_err(AppError::Unprocessable)?
                .ok_or_else(|| {
                    AppError::Unprocessable("choose a day to move the block to".into())
                })?,
        ),
        other => {
            return Err(AppError::Unprocessable(format!(
                "{other:?} is not a place to move a block to"
            )));
        }
    };
    let time = crate::web::forms::time(&form.time).map_err(AppError::Unprocessable)?;
    let keep_time = form.keep_time == "keep"
        || (form.when == "tomorrow" || form.when == "today") && form.time.is_empty();
    let id = user.id().clone();
    let now = crate::db::now();
    state
        .db_write(move |conn| {
            let task = tasks::find(conn, &id, &task_id)?.ok_or(AppError::NotFound)?;
            let time = if time.is_none() && keep_time {
                task.scheduled_time
            } else {
                time
            };
            if let Some(start) = time
                && start.plus(task.time_block_minutes.get()).is_none()
                && start.minutes() + task.time_block_minutes.get() != 24 * 60
            {
                return Err(AppError::Unprocessable(
                    "At that time the block would run past midnight.".into(),
                ));
            }
            tasks::schedule(conn, &id, &task_id, day, time, now)?.ok_or(AppError::NotFound)
        })
        .await?;
    respond(&state, &req, &user, &return_path(&form.return_to, "/")).await
}

/// Moves every unfinished block from earlier days to today.
pub async fn carry_over(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<ReturnForm>,
) -> Result<HttpResponse, AppError> {
    let (today, _) = local_now(&user, state.clock.now());
    let id = user.id().clone();
    let now = crate::db::now();
    state
        .db_write(move |conn| Ok(tasks::carry_over(conn, &id, today, now)?))
        .await?;
    respond(&state, &req, &user, &return_path(&form.return_to, "/")).await
}

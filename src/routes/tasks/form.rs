//! The block form: `/tasks/new` (by hand, from a free slot, from the catalog or a
//! project), `/tasks/{id}/edit`, and saving either. Served as a page without
//! JavaScript, or as the day page's `#editor` box (its block `form`) with htmx.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, Timelike};
use serde::Deserialize;

use super::respond;
use crate::auth::CurrentUser;
use crate::db::models::activities::{self, Activity};
use crate::db::models::assets::{self, LinkedFile};
use crate::db::models::goals::{self, Goal};
use crate::db::models::routines::{self, Routine};
use crate::db::models::tasks::{self, BadLink, Edited, Task, TaskFields};
use crate::db::models::{clients, projects};
use crate::domain::notice::place;
use crate::domain::routine;
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::{check, date, id, multiline, required, time};
use crate::web::{PageContext, html, is_htmx, return_path};

/// Field messages of a block form; empty means valid.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TaskErrors {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub priority: Option<String>,
    pub energy_level: Option<String>,
    pub scheduled_date: Option<String>,
    pub scheduled_time: Option<String>,
    pub time_block_minutes: Option<String>,
    pub project_id: Option<String>,
    pub client_id: Option<String>,
    pub goal_id: Option<String>,
    pub repeat: Option<String>,
    pub scope: Option<String>,
}

impl TaskErrors {
    pub fn any(&self) -> bool {
        *self != TaskErrors::default()
    }
}

/// A block form as submitted (every field a string, so it can be shown again).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct TaskForm {
    pub title: String,
    pub description: String,
    pub category: String,
    pub priority: String,
    pub energy_level: String,
    pub scheduled_date: String,
    pub scheduled_time: String,
    pub time_block_minutes: String,
    pub project_id: String,
    pub client_id: String,
    pub goal_id: String,
    pub activity_id: String,
    pub return_to: String,
    /// How the block repeats: empty (it does not), or a `Cadence`.
    pub repeat: String,
    /// The chosen days of a `DAYS` repeat, each ticked box present.
    pub repeat_mon: String,
    pub repeat_tue: String,
    pub repeat_wed: String,
    pub repeat_thu: String,
    pub repeat_fri: String,
    pub repeat_sat: String,
    pub repeat_sun: String,
    /// The last day it repeats on; empty: for ever.
    pub repeat_until: String,
    /// For a routine's block: `this` (the block alone) or `following`.
    pub scope: String,
}

impl TaskForm {
    pub fn parse(&self) -> Result<TaskFields, TaskErrors> {
        let mut e = TaskErrors::default();
        let title = check(&mut e.title, required(&self.title, "Title", 200));
        let description = check(
            &mut e.description,
            multiline(&self.description, "Notes", 5000),
        );
        let category = check(
            &mut e.category,
            TaskCategory::parse(&self.category).map_err(|_| "choose a category".into()),
        );
        let priority = check(
            &mut e.priority,
            Priority::parse(&self.priority).map_err(|_| "choose a priority".into()),
        );
        let energy_level = check(
            &mut e.energy_level,
            EnergyLevel::parse(&self.energy_level).map_err(|_| "choose an energy level".into()),
        );
        let scheduled_date = check(&mut e.scheduled_date, date(&self.scheduled_date));
        let scheduled_time = check(&mut e.scheduled_time, time(&self.scheduled_time));
        let minutes = check(
            &mut e.time_block_minutes,
            BlockMinutes::parse(&self.time_block_minutes).map_err(|err| err.to_string()),
        );
        if let (Some(Some(start)), Some(length)) = (scheduled_time, minutes)
            && !start.ends_by_midnight(length.get())
        {
            e.time_block_minutes = Some("the block would run past midnight".into());
        }
        if matches!(scheduled_time, Some(Some(_))) && matches!(scheduled_date, Some(None)) {
            e.scheduled_date = Some("a start time needs a day".into());
        }
        let project_id = check(&mut e.project_id, id(&self.project_id, ProjectId::parse));
        let client_id = check(&mut e.client_id, id(&self.client_id, ClientId::parse));
        let goal_id = check(&mut e.goal_id, id(&self.goal_id, GoalId::parse));
        // The activity link is set only by the picker; a bad one is ignored, not shown.
        let activity_id = id(&self.activity_id, ActivityId::parse).unwrap_or(None);
        if e.any() {
            return Err(e);
        }
        let (
            Some(title),
            Some(description),
            Some(category),
            Some(priority),
            Some(energy_level),
            Some(scheduled_date),
            Some(scheduled_time),
            Some(time_block_minutes),
            Some(project_id),
            Some(client_id),
            Some(goal_id),
        ) = (
            title,
            description,
            category,
            priority,
            energy_level,
            scheduled_date,
            scheduled_time,
            minutes,
            project_id,
            client_id,
            goal_id,
        )
        else {
            return Err(e);
        };
        Ok(TaskFields {
            title,
            description,
            category,
            priority,
            energy_level,
            scheduled_date,
            scheduled_time,
            time_block_minutes,
            project_id,
            client_id,
            goal_id,
            activity_id,
        })
    }

    /// The boxes of the chosen days, in form order.
    fn day_boxes(&self) -> [&str; 7] {
        [
            &self.repeat_mon,
            &self.repeat_tue,
            &self.repeat_wed,
            &self.repeat_thu,
            &self.repeat_fri,
            &self.repeat_sat,
            &self.repeat_sun,
        ]
    }

    /// Whether the chosen-days box of `short` ("mon") is ticked.
    pub fn repeats_on(&self, short: &str) -> bool {
        routine::DAYS
            .iter()
            .zip(self.day_boxes())
            .any(|((_, s, _), ticked)| *s == short && !ticked.is_empty())
    }

    /// The repeat asked for, from the block's day; `None` when it does not repeat.
    pub fn parse_repeat(&self, day: Option<NaiveDate>) -> Result<Option<Repeat>, String> {
        let raw = self.repeat.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let cadence = Cadence::parse(raw).map_err(|_| "choose how it repeats".to_string())?;
        let day = day.ok_or("a repeating block needs a day to start on")?;
        let chosen = Weekdays::of(
            routine::DAYS
                .iter()
                .zip(self.day_boxes())
                .filter(|(_, ticked)| !ticked.is_empty())
                .map(|((d, _, _), _)| *d),
        );
        let until = date(&self.repeat_until)?;
        Repeat::new(cadence, chosen, day, until)
            .map(Some)
            .map_err(str::to_string)
    }

    /// The repeat fields filled from `routine`.
    fn with_repeat(mut self, routine: &Routine) -> Self {
        let repeat = routine.repeat();
        self.repeat = routine.cadence.as_str().into();
        let ticked = |d| {
            if repeat.days.has(d) {
                "on".to_string()
            } else {
                String::new()
            }
        };
        self.repeat_mon = ticked(chrono::Weekday::Mon);
        self.repeat_tue = ticked(chrono::Weekday::Tue);
        self.repeat_wed = ticked(chrono::Weekday::Wed);
        self.repeat_thu = ticked(chrono::Weekday::Thu);
        self.repeat_fri = ticked(chrono::Weekday::Fri);
        self.repeat_sat = ticked(chrono::Weekday::Sat);
        self.repeat_sun = ticked(chrono::Weekday::Sun);
        self.repeat_until = routine.until.map(|d| d.to_string()).unwrap_or_default();
        self.scope = "this".into();
        self
    }

    /// The form for editing `task`, coming back to `return_to` (or its day).
    fn of(task: Task, return_to: Option<&str>) -> Self {
        let date = task
            .scheduled_date
            .map(|d| d.to_string())
            .unwrap_or_default();
        TaskForm {
            title: task.title,
            description: task.description.unwrap_or_default(),
            category: task.category.as_str().into(),
            priority: task.priority.as_str().into(),
            energy_level: task.energy_level.as_str().into(),
            scheduled_time: task
                .scheduled_time
                .map(|t| t.to_string())
                .unwrap_or_default(),
            time_block_minutes: task.time_block_minutes.to_string(),
            project_id: task.project_id.map(|p| p.to_string()).unwrap_or_default(),
            client_id: task.client_id.map(|c| c.to_string()).unwrap_or_default(),
            goal_id: task.goal_id.map(|g| g.to_string()).unwrap_or_default(),
            activity_id: task.activity_id.map(|a| a.to_string()).unwrap_or_default(),
            return_to: return_path(return_to.unwrap_or_default(), &format!("/?date={date}")),
            scheduled_date: date,
            ..Default::default()
        }
    }
}

/// The block form, as a page (no JavaScript) or as the `#editor` box (htmx,
/// its block `form`).
#[derive(Template)]
#[template(path = "tasks/form.html", blocks = ["form"])]
pub struct TaskFormPage {
    pub ctx: PageContext,
    /// Shown in the day page's editor box: the form posts with htmx.
    pub in_editor: bool,
    pub heading: &'static str,
    pub action: String,
    pub form: TaskForm,
    pub errors: TaskErrors,
    pub projects: Vec<(ProjectId, String, String)>,
    pub clients: Vec<(ClientId, String)>,
    pub goals: Vec<Goal>,
    pub task_id: Option<TaskId>,
    /// The block's context files, and the owner's other recent files to attach.
    pub files: Vec<LinkedFile>,
    pub attachable: Vec<(AssetId, String)>,
    /// Catalog entries to start the new block from (at the slot picked, if any).
    pub catalog: Vec<Activity>,
    /// The routine the block is one of.
    pub routine: Option<Routine>,
}

impl TaskFormPage {
    /// The new-block form again, filled from `activity`, at this form's day and
    /// start (or, without a start, at the next free time that fits it).
    pub fn from_catalog(&self, activity: &Activity) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("date", &self.form.scheduled_date);
        if !self.form.scheduled_time.is_empty() {
            query.append_pair("time", &self.form.scheduled_time);
        }
        query.append_pair("activity", activity.id.as_str());
        query.append_pair("return_to", &self.form.return_to);
        format!("/tasks/new?{}", query.finish())
    }

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

    /// What the closed Repeat section says: "does not repeat", "every weekday".
    pub fn repeat_summary(&self) -> String {
        match &self.routine {
            Some(r) => r.repeat().describe(),
            None => match Cadence::parse(&self.form.repeat) {
                Ok(c) => c.label().to_string(),
                Err(_) => "does not repeat".into(),
            },
        }
    }

    /// "Does not repeat" and every cadence.
    pub fn repeat_choices(&self) -> Vec<(String, String)> {
        Cadence::choices()
    }

    pub fn days(&self) -> &'static [(chrono::Weekday, &'static str, &'static str); 7] {
        &routine::DAYS
    }

    pub fn lengths(&self) -> [u16; 8] {
        [15, 30, 45, 60, 90, 120, 180, 240]
    }

    pub fn project_choices(&self) -> Vec<(String, String)> {
        self.projects
            .iter()
            .map(|(id, name, client)| (id.to_string(), format!("{name} ({client})")))
            .collect()
    }

    pub fn client_choices(&self) -> Vec<(String, String)> {
        self.clients
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect()
    }

    pub fn goal_choices(&self) -> Vec<(String, String)> {
        self.goals
            .iter()
            .map(|g| {
                (
                    g.id.to_string(),
                    format!("{} ({})", g.title, g.goal_type.label()),
                )
            })
            .collect()
    }
}

/// What the block form shows: which block, what was typed, what is wrong.
struct Editing {
    form: TaskForm,
    errors: TaskErrors,
    task_id: Option<TaskId>,
}

impl Editing {
    fn new_block(form: TaskForm, errors: TaskErrors) -> Self {
        Editing {
            form,
            errors,
            task_id: None,
        }
    }

    fn block(form: TaskForm, errors: TaskErrors, task_id: TaskId) -> Self {
        Editing {
            form,
            errors,
            task_id: Some(task_id),
        }
    }
}

/// The form again with what was typed and what is wrong (422).
async fn refuse(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    editing: Editing,
) -> Result<HttpResponse, AppError> {
    render_form(state, req, user, StatusCode::UNPROCESSABLE_ENTITY, editing).await
}

/// What the form offers besides its fields: projects, open goals, and for an
/// existing block its files and the files that could be attached.
struct Choices {
    projects: Vec<(ProjectId, String, String)>,
    clients: Vec<(ClientId, String)>,
    goals: Vec<Goal>,
    files: Vec<LinkedFile>,
    attachable: Vec<(AssetId, String)>,
    /// The catalog, offered on a new block not yet taken from it.
    catalog: Vec<Activity>,
    /// The routine of the block edited, if it is one's.
    routine: Option<Routine>,
}

impl Choices {
    fn load(
        conn: &mut crate::db::AnyConnection,
        user: &UserId,
        task: Option<&TaskId>,
        offer_catalog: bool,
    ) -> diesel::QueryResult<Self> {
        let routine = match task {
            Some(task) => match tasks::find(conn, user, task)?.and_then(|t| t.routine_id) {
                Some(routine) => routines::find(conn, user, &routine)?,
                None => None,
            },
            None => None,
        };
        let (files, attachable) = match task {
            Some(task) => {
                let files = assets::linked_to_tasks(conn, user, &[task])?
                    .remove(task)
                    .unwrap_or_default();
                let attachable = assets::recent_names(conn, user, 60)?
                    .into_iter()
                    .filter(|(a, _)| !files.iter().any(|f| &f.id == a))
                    .collect();
                (files, attachable)
            }
            None => (Vec::new(), Vec::new()),
        };
        Ok(Choices {
            projects: projects::names_for_user(conn, user)?,
            clients: clients::names_for_user(conn, user)?,
            goals: goals::list_for_user(conn, user)?,
            files,
            attachable,
            catalog: if offer_catalog {
                activities::list_active(conn, user)?
            } else {
                Vec::new()
            },
            routine,
        })
    }
}

async fn render_form(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    status: StatusCode,
    editing: Editing,
) -> Result<HttpResponse, AppError> {
    let Editing {
        mut form,
        errors,
        task_id,
    } = editing;
    let (id, task) = (user.id().clone(), task_id.clone());
    let offer_catalog =
        task_id.is_none() && form.activity_id.is_empty() && errors == TaskErrors::default();
    let choices = state
        .db(move |conn| Ok(Choices::load(conn, &id, task.as_ref(), offer_catalog)?))
        .await?;
    // A routine's block opens with the routine's repeat, for "this and following".
    if let Some(routine) = choices.routine.as_ref().filter(|_| form.scope.is_empty()) {
        form = form.with_repeat(routine);
    }
    // Completed goals are offered only when the block already counts toward one.
    let goals = choices
        .goals
        .into_iter()
        .filter(|g| g.completed_at.is_none() || g.id.as_str() == form.goal_id)
        .collect();
    let (heading, action) = match &task_id {
        Some(id) => ("Edit block", format!("/tasks/{id}")),
        None => ("New block", "/tasks".to_string()),
    };
    let page = TaskFormPage {
        ctx: PageContext::for_user(user, "today"),
        in_editor: is_htmx(req),
        heading,
        action,
        form,
        errors,
        projects: choices.projects,
        clients: choices.clients,
        goals,
        task_id,
        files: choices.files,
        attachable: choices.attachable,
        catalog: choices.catalog,
        routine: choices.routine,
    };
    if page.in_editor {
        html(status, &page.as_form())
    } else {
        html(status, &page)
    }
}

#[derive(Deserialize)]
pub struct NewQuery {
    project: Option<String>,
    date: Option<String>,
    time: Option<String>,
    activity: Option<String>,
    return_to: Option<String>,
}

impl NewQuery {
    /// The form for a new block on `date` (today when the link names none),
    /// pre-filled from the slot, the project and the catalog entry picked.
    fn form(&self, today: NaiveDate, activity: Option<Activity>) -> TaskForm {
        let date = self
            .date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .unwrap_or(today);
        let time = self.time.as_deref().and_then(|t| TimeOfDay::parse(t).ok());
        let mut form = TaskForm {
            priority: Priority::Medium.as_str().into(),
            energy_level: EnergyLevel::Moderate.as_str().into(),
            time_block_minutes: BlockMinutes::DEFAULT.to_string(),
            scheduled_date: date.to_string(),
            scheduled_time: time.map(|t| t.to_string()).unwrap_or_default(),
            return_to: return_path(
                self.return_to.as_deref().unwrap_or_default(),
                &format!("/?date={date}"),
            ),
            ..Default::default()
        };
        // From a project page: the block belongs to that project.
        if let Some(project) = self
            .project
            .as_deref()
            .and_then(|p| ProjectId::parse(p).ok())
        {
            form.project_id = project.to_string();
            form.category = TaskCategory::Code.as_str().into();
        }
        if let Some(activity) = activity {
            form.title = activity.title;
            form.description = activity.description.unwrap_or_default();
            form.category = activity.category.as_str().into();
            form.time_block_minutes = activity.default_duration.to_string();
            form.energy_level = activity.energy_level.as_str().into();
            form.activity_id = activity.id.to_string();
        }
        form
    }
}

/// `/tasks/new?date=…&time=…&activity=…&project=…`: the form, pre-filled.
pub async fn new(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let picked = query
        .activity
        .as_deref()
        .and_then(|a| ActivityId::parse(a).ok());
    let activity = match picked {
        Some(activity_id) => {
            let id = user.id().clone();
            let found = state
                .db(move |conn| Ok(activities::find(conn, &id, &activity_id)?))
                .await?;
            Some(found.ok_or(AppError::NotFound)?)
        }
        None => None,
    };
    let from_catalog = activity.is_some();
    let mut form = query.form(user.today(state.clock.now()), activity);
    if from_catalog && form.scheduled_time.is_empty() {
        form.scheduled_time = next_free_start(&state, &user, &form).await?;
    }
    let editing = Editing::new_block(form, TaskErrors::default());
    render_form(&state, &req, &user, StatusCode::OK, editing).await
}

/// For a block picked from the catalog without a slot: the form's day's next free
/// time that fits its length (from now on, today), or nothing when none does.
async fn next_free_start(
    state: &AppState,
    user: &CurrentUser,
    form: &TaskForm,
) -> Result<String, AppError> {
    let now = user.local_now(state.clock.now());
    let (Ok(day), Ok(minutes)) = (
        NaiveDate::parse_from_str(&form.scheduled_date, "%Y-%m-%d"),
        form.time_block_minutes.parse::<u16>(),
    ) else {
        return Ok(String::new());
    };
    let from = if day == now.date() {
        u16::try_from(now.time().num_seconds_from_midnight() / 60).unwrap_or(0)
    } else {
        0
    };
    let window = user.user.preferences.0.day_window();
    let id = user.id().clone();
    let taken = state
        .db(move |conn| Ok(tasks::timed_spans(conn, &id, day)?))
        .await?;
    Ok(plan::first_free(window, from, minutes, &taken)
        .map(|start| start.to_string())
        .unwrap_or_default())
}

/// The message a link that is not the user's gets, on its field.
fn link_error(bad: BadLink) -> TaskErrors {
    let mut errors = TaskErrors::default();
    match bad {
        BadLink::Project => errors.project_id = Some("choose one of your projects".into()),
        BadLink::Client => {
            errors.client_id =
                Some("choose one of your clients: the project's own, if one is chosen".into())
        }
        BadLink::Goal => errors.goal_id = Some("choose one of your goals".into()),
        BadLink::Activity => errors.title = Some("that catalog entry no longer exists".into()),
    }
    errors
}

pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<TaskForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let parsed = form.parse().and_then(|fields| {
        let repeat = form
            .parse_repeat(fields.scheduled_date)
            .map_err(|e| TaskErrors {
                repeat: Some(e),
                ..Default::default()
            })?;
        Ok((fields, repeat))
    });
    let (fields, repeat) = match parsed {
        Ok(parsed) => parsed,
        Err(errors) => {
            return refuse(&state, &req, &user, Editing::new_block(form, errors)).await;
        }
    };
    let (id, now) = (user.id().clone(), state.clock.stamp());
    let notice = repeat_words(
        saved_words("Planned", &fields, user.today(state.clock.now())),
        repeat.as_ref(),
    );
    let created = state
        .db_write_as(&user, move |conn| {
            let created = tasks::create(conn, &id, &fields, now)?;
            if let (Ok(task), Some(repeat)) = (&created, repeat) {
                routines::start(conn, &id, task, repeat, now)?;
            }
            Ok(created)
        })
        .await?;
    if let Err(bad) = created {
        return refuse(
            &state,
            &req,
            &user,
            Editing::new_block(form, link_error(bad)),
        )
        .await;
    }
    respond(
        &state,
        &req,
        &user,
        &return_path(&form.return_to, "/"),
        Some(notice),
    )
    .await
}

/// "…; it repeats every weekday."
fn repeat_words(notice: Notice, repeat: Option<&Repeat>) -> Notice {
    match repeat {
        Some(r) => Notice::new(format!(
            "{} It repeats: {}.",
            notice.text,
            r.describe().to_lowercase()
        )),
        None => notice,
    }
}

/// "Planned “Write proposal” for today at 14:00."
fn saved_words(verb: &str, fields: &TaskFields, today: NaiveDate) -> Notice {
    Notice::new(format!(
        "{verb} “{}” for {}.",
        fields.title,
        place(fields.scheduled_date, fields.scheduled_time, today)
    ))
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
    let editing = Editing {
        form: TaskForm::of(task, query.return_to.as_deref()),
        errors: TaskErrors::default(),
        task_id: Some(task_id),
    };
    render_form(&state, &req, &user, StatusCode::OK, editing).await
}

/// What a saved block does to its routine, decided before anything is written.
enum Series {
    /// Not a routine's block, and not made one.
    None,
    /// A block that starts repeating from its day.
    Start(Repeat),
    /// A routine's block saved alone.
    ThisOne,
    /// A routine's block and the following ones: the new repeat, or `None` to
    /// stop repeating from this block on.
    Following(Option<Repeat>),
}

/// What the form asks of the block's routine (`routine`: the block's, if any).
fn series_of(
    form: &TaskForm,
    fields: &TaskFields,
    routine: Option<&Routine>,
) -> Result<Series, TaskErrors> {
    let repeat = form
        .parse_repeat(fields.scheduled_date)
        .map_err(|e| TaskErrors {
            repeat: Some(e),
            ..Default::default()
        })?;
    let Some(routine) = routine else {
        return Ok(repeat.map_or(Series::None, Series::Start));
    };
    if form.scope == "following" {
        return Ok(Series::Following(repeat));
    }
    let was = routine.repeat();
    let same = repeat.is_some_and(|r| {
        r.cadence == was.cadence
            && r.until == was.until
            && (r.days == was.days || r.cadence == Cadence::Weekly)
    });
    if same {
        Ok(Series::ThisOne)
    } else {
        Err(TaskErrors {
            scope: Some(
                "a new repeat applies to this and the following blocks: choose that, or keep the repeat as it was"
                    .into(),
            ),
            ..Default::default()
        })
    }
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
    let fields = match form.parse() {
        Ok(fields) => fields,
        Err(errors) => {
            return refuse(&state, &req, &user, Editing::block(form, errors, task_id)).await;
        }
    };
    let (id, lookup) = (user.id().clone(), task_id.clone());
    let routine = state
        .db(move |conn| {
            Ok(
                match tasks::find(conn, &id, &lookup)?.and_then(|t| t.routine_id) {
                    Some(r) => routines::find(conn, &id, &r)?,
                    None => None,
                },
            )
        })
        .await?;
    let series = match series_of(&form, &fields, routine.as_ref()) {
        Ok(series) => series,
        Err(errors) => {
            return refuse(&state, &req, &user, Editing::block(form, errors, task_id)).await;
        }
    };
    let (id, target, now) = (user.id().clone(), task_id.clone(), state.clock.stamp());
    let saved = saved_words("Saved", &fields, user.today(state.clock.now()));
    let notice = match &series {
        Series::Start(r) => repeat_words(saved, Some(r)),
        Series::Following(Some(r)) => Notice::new(format!(
            "{} This and the following blocks: {}.",
            saved.text,
            r.describe().to_lowercase()
        )),
        Series::Following(None) => Notice::new(format!(
            "{} It no longer repeats from this block on.",
            saved.text
        )),
        Series::None | Series::ThisOne => saved,
    };
    let updated = state
        .db_write_as(&user, move |conn| {
            let edited = tasks::update(conn, &id, &target, &fields, now)?;
            if edited == Edited::Saved {
                match series {
                    Series::Start(repeat) => {
                        routines::start(conn, &id, &target, repeat, now)?;
                    }
                    Series::Following(repeat) => {
                        routines::edit_following(conn, &id, &target, repeat, now)?;
                    }
                    Series::None | Series::ThisOne => {}
                }
            }
            Ok(edited)
        })
        .await?;
    match updated {
        Edited::NotFound => Err(AppError::NotFound),
        Edited::Refused(bad) => {
            let editing = Editing::block(form, link_error(bad), task_id);
            refuse(&state, &req, &user, editing).await
        }
        Edited::Saved => {
            let back = return_path(&form.return_to, "/");
            respond(&state, &req, &user, &back, Some(notice)).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task_form() -> TaskForm {
        TaskForm {
            title: "Deep work".into(),
            category: "CODE".into(),
            priority: "HIGH".into(),
            energy_level: "DEEP_WORK".into(),
            scheduled_date: "2026-11-23".into(),
            scheduled_time: "09:00".into(),
            time_block_minutes: "90".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_block_form_parses() {
        let fields = task_form().parse().unwrap();
        assert_eq!(fields.scheduled_time.unwrap().to_string(), "09:00");
        assert_eq!(fields.time_block_minutes.get(), 90);
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let form = TaskForm {
            title: " ".into(),
            category: "MEETING".into(),
            scheduled_time: "25:00".into(),
            time_block_minutes: "7".into(),
            goal_id: "not-an-id".into(),
            ..task_form()
        };
        let e = form.parse().unwrap_err();
        assert_eq!(e.title.as_deref(), Some("Title is required"));
        assert!(
            e.category.is_some()
                && e.scheduled_time.is_some()
                && e.time_block_minutes.is_some()
                && e.goal_id.is_some()
        );
    }

    #[test]
    fn blocks_may_not_run_past_midnight_but_may_end_at_it() {
        let late = TaskForm {
            scheduled_time: "23:00".into(),
            time_block_minutes: "90".into(),
            ..task_form()
        };
        assert_eq!(
            late.parse().unwrap_err().time_block_minutes.as_deref(),
            Some("the block would run past midnight")
        );
        let last = TaskForm {
            scheduled_time: "22:30".into(),
            time_block_minutes: "90".into(),
            ..task_form()
        };
        assert!(last.parse().is_ok());
    }
}

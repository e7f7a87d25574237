//! `/activities`: the user's catalog — create, edit, reorder, archive and restore.
//! The page holds the list (`#catalog`, what htmx swaps) and the form beside it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::activities::{self, Activity, ActivityFields};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::{check, multiline, required};
use crate::web::{PageContext, html, htmx_target, see_other};

/// An activity form as submitted (every field a string, so it can be shown again).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ActivityForm {
    pub title: String,
    pub description: String,
    pub category: String,
    pub default_duration: String,
    pub energy_level: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ActivityErrors {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub default_duration: Option<String>,
    pub energy_level: Option<String>,
}

impl ActivityForm {
    fn blank() -> Self {
        ActivityForm {
            category: TaskCategory::Code.as_str().into(),
            default_duration: BlockMinutes::DEFAULT.to_string(),
            energy_level: EnergyLevel::Moderate.as_str().into(),
            ..Default::default()
        }
    }

    fn of(activity: Activity) -> Self {
        ActivityForm {
            title: activity.title,
            description: activity.description.unwrap_or_default(),
            category: activity.category.as_str().into(),
            default_duration: activity.default_duration.to_string(),
            energy_level: activity.energy_level.as_str().into(),
        }
    }

    pub fn parse(&self) -> Result<ActivityFields, ActivityErrors> {
        let mut e = ActivityErrors::default();
        let title = check(&mut e.title, required(&self.title, "Title", 200));
        let description = check(
            &mut e.description,
            multiline(&self.description, "Description", 2000),
        );
        let category = check(
            &mut e.category,
            TaskCategory::parse(&self.category).map_err(|_| "choose a category".into()),
        );
        let duration = check(
            &mut e.default_duration,
            BlockMinutes::parse(&self.default_duration).map_err(|err| err.to_string()),
        );
        let energy = check(
            &mut e.energy_level,
            EnergyLevel::parse(&self.energy_level).map_err(|_| "choose an energy level".into()),
        );
        let (
            Some(title),
            Some(description),
            Some(category),
            Some(default_duration),
            Some(energy_level),
        ) = (title, description, category, duration, energy)
        else {
            return Err(e);
        };
        Ok(ActivityFields {
            title,
            description,
            category,
            default_duration,
            energy_level,
        })
    }
}

/// The page; its block `catalog` is what a change made from the list swaps.
#[derive(Template)]
#[template(path = "activities.html", blocks = ["catalog"])]
pub struct ActivitiesPage {
    pub ctx: PageContext,
    pub activities: Vec<Activity>,
    pub form: ActivityForm,
    pub errors: ActivityErrors,
    pub editing: Option<ActivityId>,
    /// Stored instants in the user's zone.
    pub dates: crate::domain::LocalDates,
}

impl ActivitiesPage {
    pub fn active(&self) -> Vec<&Activity> {
        self.activities.iter().filter(|a| a.is_active).collect()
    }
    pub fn archived(&self) -> Vec<&Activity> {
        self.activities.iter().filter(|a| !a.is_active).collect()
    }
    pub fn last_used(&self, a: &Activity) -> String {
        a.last_used
            .map(|t| self.dates.date(&t))
            .unwrap_or_else(|| "never".into())
    }
}

/// The form's state on the page: what was typed, what is wrong, what is edited.
struct Editor {
    form: ActivityForm,
    errors: ActivityErrors,
    editing: Option<ActivityId>,
}

impl Editor {
    fn blank() -> Self {
        Editor {
            form: ActivityForm::blank(),
            errors: ActivityErrors::default(),
            editing: None,
        }
    }
}

async fn page(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    status: StatusCode,
    editor: Editor,
) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let activities = state
        .db(move |conn| Ok(activities::list_all(conn, &id)?))
        .await?;
    let page = ActivitiesPage {
        ctx: PageContext::for_user(user, "activities"),
        activities,
        form: editor.form,
        errors: editor.errors,
        editing: editor.editing,
        dates: user.dates(state.clock.now()),
    };
    if htmx_target(req).as_deref() == Some("catalog") {
        html(status, &page.as_catalog())
    } else {
        html(status, &page)
    }
}

/// After a change: the list again for htmx, else back to the page.
async fn done(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
) -> Result<HttpResponse, AppError> {
    if htmx_target(req).as_deref() == Some("catalog") {
        page(state, req, user, StatusCode::OK, Editor::blank()).await
    } else {
        Ok(see_other(req, "/activities"))
    }
}

pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    page(&state, &req, &user, StatusCode::OK, Editor::blank()).await
}

pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<ActivityForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let fields = match form.parse() {
        Ok(fields) => fields,
        Err(errors) => {
            let editor = Editor {
                form,
                errors,
                editing: None,
            };
            return page(
                &state,
                &req,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                editor,
            )
            .await;
        }
    };
    let (id, now) = (user.id().clone(), state.clock.stamp());
    state
        .db_write_as(&user, move |conn| {
            Ok(activities::create(conn, &id, &fields, now)?)
        })
        .await?;
    done(&state, &req, &user).await
}

pub async fn edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ActivityId>,
) -> Result<HttpResponse, AppError> {
    let activity_id = path.into_inner();
    let (id, lookup) = (user.id().clone(), activity_id.clone());
    let activity = state
        .db(move |conn| Ok(activities::find(conn, &id, &lookup)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let editor = Editor {
        form: ActivityForm::of(activity),
        errors: ActivityErrors::default(),
        editing: Some(activity_id),
    };
    page(&state, &req, &user, StatusCode::OK, editor).await
}

pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ActivityId>,
    form: web::Form<ActivityForm>,
) -> Result<HttpResponse, AppError> {
    let activity_id = path.into_inner();
    let form = form.into_inner();
    let fields = match form.parse() {
        Ok(fields) => fields,
        Err(errors) => {
            let editor = Editor {
                form,
                errors,
                editing: Some(activity_id),
            };
            return page(
                &state,
                &req,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                editor,
            )
            .await;
        }
    };
    let (id, now) = (user.id().clone(), state.clock.stamp());
    state
        .db_write_as(&user, move |conn| {
            Ok(activities::update(conn, &id, &activity_id, &fields, now)?)
        })
        .await?
        .then_some(())
        .ok_or(AppError::NotFound)?;
    done(&state, &req, &user).await
}

/// `archive`, `restore`, `up` or `down`.
pub async fn arrange(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<(ActivityId, String)>,
) -> Result<HttpResponse, AppError> {
    let (activity_id, action) = path.into_inner();
    let (id, now) = (user.id().clone(), state.clock.stamp());
    let found = state
        .db_write_as(&user, move |conn| {
            Ok(match action.as_str() {
                "archive" => activities::set_active(conn, &id, &activity_id, false, now)?,
                "restore" => activities::set_active(conn, &id, &activity_id, true, now)?,
                "up" => activities::shift(conn, &id, &activity_id, -1, now)?,
                "down" => activities::shift(conn, &id, &activity_id, 1, now)?,
                _ => false,
            })
        })
        .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    done(&state, &req, &user).await
}

//! `/activities`: the user's catalog — create, edit, reorder, archive and restore.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::forms::{ActivityErrors, ActivityForm};
use super::{back_to, htmx_target};
use crate::auth::CurrentUser;
use crate::db::models::activities::{self, Activity};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html};

#[derive(Template)]
#[template(path = "command/activities.html")]
pub struct ActivitiesPage {
    pub ctx: PageContext,
    pub activities: Vec<Activity>,
    pub form: ActivityForm,
    pub errors: ActivityErrors,
    pub editing: Option<ActivityId>,
    pub fragment: bool,
}

impl ActivitiesPage {
    pub fn categories(&self) -> &'static [TaskCategory] {
        TaskCategory::ALL
    }
    pub fn energies(&self) -> &'static [EnergyLevel] {
        EnergyLevel::ALL
    }
    pub fn active(&self) -> Vec<&Activity> {
        self.activities.iter().filter(|a| a.is_active).collect()
    }
    pub fn archived(&self) -> Vec<&Activity> {
        self.activities.iter().filter(|a| !a.is_active).collect()
    }
    pub fn last_used(&self, a: &Activity) -> String {
        a.last_used
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "never".into())
    }
}

fn blank_form() -> ActivityForm {
    ActivityForm {
        category: TaskCategory::Code.as_str().into(),
        default_duration: BlockMinutes::DEFAULT.to_string(),
        energy_level: EnergyLevel::Moderate.as_str().into(),
        ..Default::default()
    }
}

async fn page(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    user: &CurrentUser,
    status: StatusCode,
    form: ActivityForm,
    errors: ActivityErrors,
    editing: Option<ActivityId>,
) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let list = state
        .db(move |conn| Ok(activities::list_all(conn, &id)?))
        .await?;
    let fragment = htmx_target(req).as_deref() == Some("catalog");
    html(
        status,
        &ActivitiesPage {
            ctx: PageContext::for_user(user, "activities").as_fragment(fragment),
            activities: list,
            form,
            errors,
            editing,
            fragment,
        },
    )
}

pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    page(
        &state,
        &req,
        &user,
        StatusCode::OK,
        blank_form(),
        ActivityErrors::default(),
        None,
    )
    .await
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
            return page(
                &state,
                &req,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
                None,
            )
            .await;
        }
    };
    let id = user.id().clone();
    let now = crate::db::now();
    state
        .db_write(move |conn| Ok(activities::create(conn, &id, &fields, now)?))
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
    let form = ActivityForm {
        title: activity.title,
        description: activity.description.unwrap_or_default(),
        category: activity.category.as_str().into(),
        default_duration: activity.default_duration.to_string(),
        energy_level: activity.energy_level.as_str().into(),
    };
    page(
        &state,
        &req,
        &user,
        StatusCode::OK,
        form,
        ActivityErrors::default(),
        Some(activity_id),
    )
    .await
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
            return page(
                &state,
                &req,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
                Some(activity_id),
            )
            .await;
        }
    };
    let id = user.id().clone();
    let now = crate::db::now();
    let found = state
        .db_write(move |conn| Ok(activities::update(conn, &id, &activity_id, &fields, now)?))
        .await?;
    if !found {
        return Err(AppError::NotFound);
    }
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
    let id = user.id().clone();
    let now = crate::db::now();
    let found = state
        .db_write(move |conn| {
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

async fn done(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    user: &CurrentUser,
) -> Result<HttpResponse, AppError> {
    if htmx_target(req).as_deref() == Some("catalog") {
        page(
            state,
            req,
            user,
            StatusCode::OK,
            blank_form(),
            ActivityErrors::default(),
            None,
        )
        .await
    } else {
        Ok(back_to(req, "/activities"))
    }
}

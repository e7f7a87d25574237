//! `/activities`: the user's catalog — create, edit, reorder, archive and restore.
//! The page holds the list (`#catalog`, what htmx swaps) and the form beside it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::activities::{self, Activity, ActivityFields};
use crate::db::models::undo::{self, Undo};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::{check, multiline, required};
use crate::web::notice::{self, see_other_with};
use crate::web::{PageContext, html, htmx_target};

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
    notice: Option<Notice>,
) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let activities = state
        .db(move |conn| Ok(activities::list_all(conn, &id)?))
        .await?;
    let mut ctx = PageContext::for_user(user, "activities");
    if notice.is_some() {
        ctx.notice = notice;
    }
    let page = ActivitiesPage {
        ctx,
        activities,
        form: editor.form,
        errors: editor.errors,
        editing: editor.editing,
        dates: user.dates(state.clock.now()),
    };
    if htmx_target(req).as_deref() == Some("catalog") {
        let notice = page.ctx.notice.as_ref();
        notice::fragment(status, &page.as_catalog(), notice, &user.csrf_token)
    } else {
        html(status, &page)
    }
}

/// After a change: the list again for htmx, else back to the page.
async fn done(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    notice: Notice,
) -> Result<HttpResponse, AppError> {
    if htmx_target(req).as_deref() == Some("catalog") {
        page(
            state,
            req,
            user,
            StatusCode::OK,
            Editor::blank(),
            Some(notice),
        )
        .await
    } else {
        let secure = state.sessions.secure;
        Ok(see_other_with(req, "/activities", Some(&notice), secure))
    }
}

pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    page(&state, &req, &user, StatusCode::OK, Editor::blank(), None).await
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
                None,
            )
            .await;
        }
    };
    let notice = Notice::new(format!("Added “{}” to the catalog.", fields.title));
    let (id, now) = (user.id().clone(), state.clock.stamp());
    state
        .db_write_as(&user, move |conn| {
            Ok(activities::create(conn, &id, &fields, now)?)
        })
        .await?;
    done(&state, &req, &user, notice).await
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
    page(&state, &req, &user, StatusCode::OK, editor, None).await
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
                None,
            )
            .await;
        }
    };
    let notice = Notice::new(format!("Saved “{}”.", fields.title));
    let (id, now) = (user.id().clone(), state.clock.stamp());
    state
        .db_write_as(&user, move |conn| {
            Ok(activities::update(conn, &id, &activity_id, &fields, now)?)
        })
        .await?
        .then_some(())
        .ok_or(AppError::NotFound)?;
    done(&state, &req, &user, notice).await
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
    let notice = state
        .db_write_as(&user, move |conn| {
            let activity = activities::find(conn, &id, &activity_id)?.ok_or(AppError::NotFound)?;
            let title = &activity.title;
            let (found, what, undo) = match action.as_str() {
                "archive" => (
                    activities::set_active(conn, &id, &activity_id, false, now)?,
                    format!("Archived “{title}”: it left the catalog, its blocks stay."),
                    Some(true),
                ),
                "restore" => (
                    activities::set_active(conn, &id, &activity_id, true, now)?,
                    format!("“{title}” is back in the catalog."),
                    Some(false),
                ),
                "up" => (
                    activities::shift(conn, &id, &activity_id, -1, now)?,
                    format!("Moved “{title}” up."),
                    None,
                ),
                "down" => (
                    activities::shift(conn, &id, &activity_id, 1, now)?,
                    format!("Moved “{title}” down."),
                    None,
                ),
                _ => (false, String::new(), None),
            };
            if !found {
                return Err(AppError::NotFound);
            }
            let undo = match undo {
                Some(active) => {
                    let back = Undo::Activity {
                        id: activity_id.clone(),
                        active,
                    };
                    Some(undo::record(conn, &id, &what, back, now)?)
                }
                None => None,
            };
            Ok((what, undo))
        })
        .await
        .map(|(what, undo)| match undo {
            Some(undo) => Notice::new(what).with_undo(undo, "/activities"),
            None => Notice::new(what),
        })?;
    done(&state, &req, &user, notice).await
}

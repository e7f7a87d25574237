//! `/command/goals`: goals by type with progress and pace; create, edit, complete,
//! reopen, delete.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::forms::{GoalErrors, GoalForm};
use super::{GoalCard, back_to, goal_cards, htmx_target};
use crate::auth::CurrentUser;
use crate::db::models::goals;
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html};

#[derive(Template)]
#[template(path = "command/goals.html")]
pub struct GoalsPage {
    pub ctx: PageContext,
    pub tab: Option<GoalType>,
    pub cards: Vec<GoalCard>,
    pub form: GoalForm,
    pub errors: GoalErrors,
    pub editing: Option<GoalId>,
    pub fragment: bool,
}

impl GoalsPage {
    pub fn types(&self) -> &'static [GoalType] {
        GoalType::ALL
    }
    pub fn is_tab(&self, t: &GoalType) -> bool {
        self.tab == Some(*t)
    }
    pub fn shown(&self) -> Vec<&GoalCard> {
        self.cards
            .iter()
            .filter(|c| self.tab.is_none_or(|t| c.goal.goal_type == t))
            .collect()
    }
    pub fn count(&self, t: &GoalType) -> usize {
        self.cards
            .iter()
            .filter(|c| c.goal.goal_type == *t && !c.done())
            .count()
    }
    pub fn tab_query(&self) -> String {
        self.tab.map(|t| format!("?type={t}")).unwrap_or_default()
    }
}

#[derive(Deserialize)]
pub struct GoalsQuery {
    #[serde(rename = "type")]
    goal_type: Option<String>,
}

fn tab_of(raw: Option<&str>) -> Option<GoalType> {
    raw.and_then(|t| GoalType::parse(t).ok())
}

/// The tab shown and the state of the goal form.
struct View {
    tab: Option<GoalType>,
    form: GoalForm,
    errors: GoalErrors,
    editing: Option<GoalId>,
}

async fn page(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    user: &CurrentUser,
    status: StatusCode,
    view: View,
) -> Result<HttpResponse, AppError> {
    let View {
        tab,
        form,
        errors,
        editing,
    } = view;
    let id = user.id().clone();
    let list = state
        .db(move |conn| Ok(goals::list_for_user(conn, &id)?))
        .await?;
    let cards = goal_cards(list, user, state.clock.now());
    let fragment = htmx_target(req).as_deref() == Some("goal-list");
    html(
        status,
        &GoalsPage {
            ctx: PageContext::for_user(user, "goals").as_fragment(fragment),
            tab,
            cards,
            form,
            errors,
            editing,
            fragment,
        },
    )
}

fn blank(tab: Option<GoalType>) -> GoalForm {
    GoalForm {
        goal_type: tab.unwrap_or(GoalType::Weekly).as_str().into(),
        ..Default::default()
    }
}

pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<GoalsQuery>,
) -> Result<HttpResponse, AppError> {
    let tab = tab_of(query.goal_type.as_deref());
    page(
        &state,
        &req,
        &user,
        StatusCode::OK,
        View {
            tab,
            form: blank(tab),
            errors: GoalErrors::default(),
            editing: None,
        },
    )
    .await
}

pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<GoalForm>,
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
                View {
                    tab: None,
                    form,
                    errors,
                    editing: None,
                },
            )
            .await;
        }
    };
    let tab = Some(fields.goal_type);
    let id = user.id().clone();
    let now = crate::db::now();
    state
        .db_write(move |conn| Ok(goals::create(conn, &id, &fields, now)?))
        .await?;
    done(&state, &req, &user, tab).await
}

pub async fn edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<GoalId>,
) -> Result<HttpResponse, AppError> {
    let goal_id = path.into_inner();
    let (id, lookup) = (user.id().clone(), goal_id.clone());
    let goal = state
        .db(move |conn| Ok(goals::find(conn, &id, &lookup)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let form = GoalForm {
        title: goal.title,
        description: goal.description.unwrap_or_default(),
        goal_type: goal.goal_type.as_str().into(),
        target_value: goal.target_value.map(|t| t.to_string()).unwrap_or_default(),
        start_date: goal.start_date.map(|d| d.to_string()).unwrap_or_default(),
        due_date: goal.due_date.map(|d| d.to_string()).unwrap_or_default(),
    };
    page(
        &state,
        &req,
        &user,
        StatusCode::OK,
        View {
            tab: Some(goal.goal_type),
            form,
            errors: GoalErrors::default(),
            editing: Some(goal_id),
        },
    )
    .await
}

pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<GoalId>,
    form: web::Form<GoalForm>,
) -> Result<HttpResponse, AppError> {
    let goal_id = path.into_inner();
    let form = form.into_inner();
    let fields = match form.parse() {
        Ok(fields) => fields,
        Err(errors) => {
            return page(
                &state,
                &req,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                View {
                    tab: None,
                    form,
                    errors,
                    editing: Some(goal_id),
                },
            )
            .await;
        }
    };
    let tab = Some(fields.goal_type);
    let id = user.id().clone();
    let now = crate::db::now();
    if !state
        .db_write(move |conn| Ok(goals::update(conn, &id, &goal_id, &fields, now)?))
        .await?
    {
        return Err(AppError::NotFound);
    }
    done(&state, &req, &user, tab).await
}

/// `complete`, `reopen` or `delete`.
pub async fn act(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<(GoalId, String)>,
) -> Result<HttpResponse, AppError> {
    let (goal_id, action) = path.into_inner();
    let id = user.id().clone();
    let now = crate::db::now();
    let found = state
        .db_write(move |conn| {
            Ok(match action.as_str() {
                "complete" => goals::set_completed(conn, &id, &goal_id, true, now)?,
                "reopen" => goals::set_completed(conn, &id, &goal_id, false, now)?,
                "delete" => goals::delete(conn, &id, &goal_id)?,
                _ => false,
            })
        })
        .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    done(&state, &req, &user, None).await
}

async fn done(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    user: &CurrentUser,
    tab: Option<GoalType>,
) -> Result<HttpResponse, AppError> {
    if htmx_target(req).as_deref() == Some("goal-list") {
        page(
            state,
            req,
            user,
            StatusCode::OK,
            View {
                tab,
                form: blank(tab),
                errors: GoalErrors::default(),
                editing: None,
            },
        )
        .await
    } else {
        Ok(back_to(
            req,
            &format!(
                "/command/goals{}",
                tab.map(|t| format!("?type={t}")).unwrap_or_default()
            ),
        ))
    }
}

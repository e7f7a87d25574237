//! `/command/goals`: goals by type with progress and pace; create, edit, complete,
//! reopen, delete. The page holds the list (`#goal-list`, what htmx swaps) and the
//! form beside it. The old `POST /goals…` URLs answer 308 to these.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::view::{GoalCard, draw_paces, goal_cards};
use crate::auth::CurrentUser;
use crate::db::models::activities;
use std::collections::HashMap;

use crate::db::models::goals::{self, Goal, GoalFields, GoalPeriod};
use crate::db::models::undo::{self, Undo};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::confirm::{self, Confirm};
use crate::web::forms::{check, date, multiline, required};
use crate::web::notice::{self, see_other_with};
use crate::web::{PageContext, html, htmx_target};

/// A goal form as submitted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GoalErrors {
    pub title: Option<String>,
    pub description: Option<String>,
    pub goal_type: Option<String>,
    pub target_value: Option<String>,
    pub start_date: Option<String>,
    pub due_date: Option<String>,
    pub counts: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct GoalForm {
    pub title: String,
    pub description: String,
    pub goal_type: String,
    pub target_value: String,
    pub start_date: String,
    pub due_date: String,
    /// Besides linked blocks: empty, `category:CODE` or `activity:<id>`.
    pub counts: String,
    /// A ticked "Repeats": the goal starts again each period of its type.
    pub recurs: String,
}

/// What a goal counts besides its linked blocks: every block of a category or
/// of an activity, or every CRM event of a kind.
type Counts = (Option<TaskCategory>, Option<ActivityId>, Option<CrmEvent>);

fn counts(raw: &str) -> Result<Counts, String> {
    match raw.trim().split_once(':') {
        None if raw.trim().is_empty() => Ok((None, None, None)),
        Some(("category", c)) => TaskCategory::parse(c)
            .map(|c| (Some(c), None, None))
            .map_err(|_| "choose a category from the list".into()),
        Some(("activity", a)) => ActivityId::parse(a)
            .map(|a| (None, Some(a), None))
            .map_err(|_| "choose an activity from the list".into()),
        Some(("event", e)) => CrmEvent::parse(e)
            .map(|e| (None, None, Some(e)))
            .map_err(|_| "choose an event from the list".into()),
        _ => Err("choose what else the goal counts from the list".into()),
    }
}

impl GoalForm {
    fn blank(tab: Option<GoalType>) -> Self {
        GoalForm {
            goal_type: tab.unwrap_or(GoalType::Weekly).as_str().into(),
            ..Default::default()
        }
    }

    fn of(goal: Goal) -> Self {
        GoalForm {
            title: goal.title,
            description: goal.description.unwrap_or_default(),
            goal_type: goal.goal_type.as_str().into(),
            target_value: goal.target_value.map(|t| t.to_string()).unwrap_or_default(),
            start_date: goal.start_date.map(|d| d.to_string()).unwrap_or_default(),
            due_date: goal.due_date.map(|d| d.to_string()).unwrap_or_default(),
            counts: match (
                goal.counts_category,
                goal.counts_activity_id,
                goal.counts_event,
            ) {
                (Some(c), _, _) => format!("category:{c}"),
                (None, Some(a), _) => format!("activity:{a}"),
                (None, None, Some(e)) => format!("event:{e}"),
                (None, None, None) => String::new(),
            },
            recurs: if goal.recurs {
                "on".into()
            } else {
                String::new()
            },
        }
    }

    pub fn repeats(&self) -> bool {
        !self.recurs.is_empty()
    }

    pub fn parse(&self) -> Result<GoalFields, GoalErrors> {
        let mut e = GoalErrors::default();
        let title = check(&mut e.title, required(&self.title, "Title", 200));
        let description = check(
            &mut e.description,
            multiline(&self.description, "Description", 2000),
        );
        let goal_type = check(
            &mut e.goal_type,
            GoalType::parse(&self.goal_type).map_err(|_| "choose a type".into()),
        );
        let target = check(&mut e.target_value, target(&self.target_value));
        let start = check(&mut e.start_date, date(&self.start_date));
        let due = check(&mut e.due_date, date(&self.due_date));
        let counted = check(&mut e.counts, counts(&self.counts));
        if let (Some(Some(s)), Some(Some(d))) = (start, due)
            && d < s
        {
            e.due_date = Some("the due date must not be before the start".into());
        }
        let recurs = self.repeats();
        if recurs && (matches!(start, Some(Some(_))) || matches!(due, Some(Some(_)))) {
            e.start_date = Some(
                "a repeating goal runs in each period of its type: leave the dates empty".into(),
            );
        }
        let (
            Some(title),
            Some(description),
            Some(goal_type),
            Some(target_value),
            Some(start_date),
            Some(due_date),
            Some((counts_category, counts_activity_id, counts_event)),
        ) = (title, description, goal_type, target, start, due, counted)
        else {
            return Err(e);
        };
        if e != GoalErrors::default() {
            return Err(e);
        }
        Ok(GoalFields {
            title,
            description,
            goal_type,
            target_value,
            start_date,
            due_date,
            counts_category,
            counts_activity_id,
            counts_event,
            recurs,
            // Set by the handler, which knows the user's today (see `in_period`).
            period_start: None,
        })
    }
}

/// A repeating goal counts from the first day of the period holding today.
fn in_period(
    mut fields: GoalFields,
    user: &CurrentUser,
    now: chrono::DateTime<chrono::Utc>,
) -> GoalFields {
    let week = user.user.preferences.0.week_starts_on.weekday();
    fields.period_start = fields
        .recurs
        .then(|| goals::period_of(fields.goal_type, user.today(now), week).0);
    fields
}

/// A goal may count only the owner's own activity: another's is a 404.
fn owns_counted_activity(
    conn: &mut crate::db::AnyConnection,
    user: &UserId,
    fields: &GoalFields,
) -> Result<(), AppError> {
    match &fields.counts_activity_id {
        Some(activity) => activities::find(conn, user, activity)?
            .map(drop)
            .ok_or(AppError::NotFound),
        None => Ok(()),
    }
}

/// A target: empty for none, else a whole number from 1 to 100,000.
fn target(raw: &str) -> Result<Option<i32>, String> {
    match raw.trim() {
        "" => Ok(None),
        raw => raw
            .parse::<i32>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .map(Some)
            .ok_or_else(|| "enter a whole number from 1 to 100000, or leave it empty".into()),
    }
}

/// The page; its block `list` is what a change made from the list swaps.
#[derive(Template)]
#[template(path = "command/goals.html", blocks = ["list"])]
pub struct GoalsPage {
    pub ctx: PageContext,
    pub tab: Option<GoalType>,
    pub cards: Vec<GoalCard>,
    pub form: GoalForm,
    pub errors: GoalErrors,
    pub editing: Option<GoalId>,
    /// The catalog's activities a goal can count.
    pub activities: Vec<(ActivityId, String)>,
    /// The latest finished periods of each repeating goal, newest first.
    pub history: HashMap<GoalId, Vec<GoalPeriod>>,
}

/// How many of `past` reached their target.
pub fn reached(past: &[GoalPeriod]) -> usize {
    past.iter().filter(|p| p.reached()).count()
}

/// "Nov 23 – Nov 29" (one day alone for a daily goal).
pub fn span(p: &GoalPeriod) -> String {
    if p.period_start == p.period_end {
        p.period_start.format("%a %b %-d").to_string()
    } else {
        format!(
            "{} – {}",
            p.period_start.format("%b %-d"),
            p.period_end.format("%b %-d")
        )
    }
}

/// How many finished periods a repeating goal's card lists.
const HISTORY_SHOWN: usize = 6;

impl GoalsPage {
    /// "Also counts": every category and catalog activity.
    pub fn counts_choices(&self) -> Vec<(String, String)> {
        let categories = TaskCategory::ALL.iter().map(|c| {
            (
                format!("category:{c}"),
                format!("Every {} block", c.label()),
            )
        });
        let activities = self
            .activities
            .iter()
            .map(|(id, title)| (format!("activity:{id}"), format!("Every “{title}” block")));
        let events = CrmEvent::ALL.iter().map(|e| {
            (
                format!("event:{e}"),
                format!("Every {}", e.label().to_lowercase()),
            )
        });
        categories.chain(activities).chain(events).collect()
    }

    /// "every Code block", what a goal counts besides its linked blocks.
    pub fn counts_label(&self, goal: &Goal) -> Option<String> {
        if let Some(e) = goal.counts_event {
            return Some(format!("every {}", e.label().to_lowercase()));
        }
        if let Some(c) = goal.counts_category {
            return Some(format!("every done {} block", c.label()));
        }
        let activity = goal.counts_activity_id.as_ref()?;
        let title = self
            .activities
            .iter()
            .find(|(id, _)| id == activity)
            .map_or("an archived activity", |(_, t)| t.as_str());
        Some(format!("every done “{title}” block"))
    }
}

impl GoalsPage {
    /// A repeating goal's finished periods, newest first.
    pub fn past(&self, goal: &Goal) -> &[GoalPeriod] {
        self.history.get(&goal.id).map_or(&[], Vec::as_slice)
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
}

#[derive(Deserialize)]
pub struct GoalsQuery {
    #[serde(rename = "type")]
    goal_type: Option<String>,
}

/// The tab shown and the state of the goal form.
struct Editor {
    tab: Option<GoalType>,
    form: GoalForm,
    errors: GoalErrors,
    editing: Option<GoalId>,
}

impl Editor {
    fn blank(tab: Option<GoalType>) -> Self {
        Editor {
            tab,
            form: GoalForm::blank(tab),
            errors: GoalErrors::default(),
            editing: None,
        }
    }

    fn refused(form: GoalForm, errors: GoalErrors, editing: Option<GoalId>) -> Self {
        Editor {
            tab: None,
            form,
            errors,
            editing,
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
    let (today, now) = (user.today(state.clock.now()), state.clock.stamp());
    let week = user.user.preferences.0.week_starts_on.weekday();
    let read = |id: UserId| {
        move |conn: &mut crate::db::AnyConnection| -> Result<_, AppError> {
            Ok((
                goals::list_for_user(conn, &id)?,
                activities::list_active(conn, &id)?,
                goals::history(conn, &id, HISTORY_SHOWN)?,
            ))
        }
    };
    let mut loaded = state.db(read(id.clone())).await?;
    if goals::needs_roll_over(&loaded.0, today, week) {
        // A repeating goal whose period ended starts the new one at zero.
        let writer = id.clone();
        state
            .db_write_as(user, move |conn| {
                Ok(goals::roll_over(conn, &writer, today, week, now)?)
            })
            .await?;
        loaded = state.db(read(id)).await?;
    }
    let (list, catalog, history) = loaded;
    let mut ctx = PageContext::for_user(user, "goals");
    if notice.is_some() {
        ctx.notice = notice;
    }
    let mut cards = goal_cards(list, user, state.clock.now());
    draw_paces(state, user, &mut cards).await?;
    let page = GoalsPage {
        ctx,
        tab: editor.tab,
        cards,
        history,
        form: editor.form,
        errors: editor.errors,
        editing: editor.editing,
        activities: catalog.into_iter().map(|a| (a.id, a.title)).collect(),
    };
    if htmx_target(req).as_deref() == Some("goal-list") {
        let notice = page.ctx.notice.as_ref();
        notice::fragment(status, &page.as_list(), notice, &user.csrf_token)
    } else {
        html(status, &page)
    }
}

/// After a change: the list again for htmx, else back to the page (on the tab).
async fn done(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    tab: Option<GoalType>,
    notice: Notice,
) -> Result<HttpResponse, AppError> {
    if htmx_target(req).as_deref() == Some("goal-list") {
        let blank = Editor::blank(tab);
        return page(state, req, user, StatusCode::OK, blank, Some(notice)).await;
    }
    let query = tab.map(|t| format!("?type={t}")).unwrap_or_default();
    let back = format!("/command/goals{query}");
    let secure = state.sessions.secure;
    Ok(see_other_with(req, &back, Some(&notice), secure))
}

pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<GoalsQuery>,
) -> Result<HttpResponse, AppError> {
    let tab = query
        .goal_type
        .as_deref()
        .and_then(|t| GoalType::parse(t).ok());
    page(
        &state,
        &req,
        &user,
        StatusCode::OK,
        Editor::blank(tab),
        None,
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
            let editor = Editor::refused(form, errors, None);
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
    let fields = in_period(fields, &user, state.clock.now());
    let tab = Some(fields.goal_type);
    let notice = Notice::new(format!("Set the goal “{}”.", fields.title));
    let (id, now) = (user.id().clone(), state.clock.stamp());
    state
        .db_write_as(&user, move |conn| {
            owns_counted_activity(conn, &id, &fields)?;
            Ok(goals::create(conn, &id, &fields, now)?)
        })
        .await?;
    done(&state, &req, &user, tab, notice).await
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
    let editor = Editor {
        tab: Some(goal.goal_type),
        form: GoalForm::of(goal),
        errors: GoalErrors::default(),
        editing: Some(goal_id),
    };
    page(&state, &req, &user, StatusCode::OK, editor, None).await
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
            let editor = Editor::refused(form, errors, Some(goal_id));
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
    let fields = in_period(fields, &user, state.clock.now());
    let tab = Some(fields.goal_type);
    let notice = Notice::new(format!("Saved the goal “{}”.", fields.title));
    let (id, now) = (user.id().clone(), state.clock.stamp());
    state
        .db_write_as(&user, move |conn| {
            owns_counted_activity(conn, &id, &fields)?;
            Ok(goals::update(conn, &id, &goal_id, &fields, now)?)
        })
        .await?
        .then_some(())
        .ok_or(AppError::NotFound)?;
    done(&state, &req, &user, tab, notice).await
}

/// `GET /command/goals/{id}/delete`: asks first (the delete control without
/// JavaScript).
pub async fn confirm_delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<GoalId>,
) -> Result<HttpResponse, AppError> {
    let (id, goal_id) = (user.id().clone(), path.into_inner());
    let goal = state
        .db(move |conn| Ok(goals::find(conn, &id, &goal_id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    confirm::page(
        PageContext::for_user(&user, "goals"),
        Confirm {
            heading: format!("Delete the goal “{}”?", goal.title),
            detail: "Its blocks stay on your plan, no longer counting for it. Undo is offered for a minute afterwards.".into(),
            action: format!("/command/goals/{}/delete", goal.id),
            button: "Delete goal",
            also: None,
            return_to: "/command/goals".into(),
        },
    )
}

/// `complete`, `reopen` or `delete`.
pub async fn act(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<(GoalId, String)>,
) -> Result<HttpResponse, AppError> {
    let (goal_id, action) = path.into_inner();
    let (id, now) = (user.id().clone(), state.clock.stamp());
    let notice = state
        .db_write_as(&user, move |conn| {
            let changed = match action.as_str() {
                "complete" => goals::set_completed(conn, &id, &goal_id, true, now)?
                    .then(|| ("Marked the goal done.".to_string(), None)),
                "reopen" => goals::set_completed(conn, &id, &goal_id, false, now)?
                    .then(|| ("Reopened the goal.".to_string(), None)),
                "delete" => match (
                    goals::periods_of(conn, &goal_id)?,
                    goals::delete(conn, &id, &goal_id)?,
                ) {
                    (history, Some((goal, tasks))) => {
                        let what = format!("Deleted the goal “{}”; its blocks stay.", goal.title);
                        let undo = Undo::Goal {
                            goal,
                            tasks,
                            history,
                        };
                        let undo = undo::record(conn, &id, &what, undo, now)?;
                        Some((what, Some(undo)))
                    }
                    (_, None) => None,
                },
                _ => None,
            };
            changed.ok_or(AppError::NotFound)
        })
        .await
        .map(|(what, undo)| match undo {
            Some(undo) => Notice::new(what).with_undo(undo, "/command/goals"),
            None => Notice::new(what),
        })?;
    done(&state, &req, &user, None, notice).await
}

/// `POST /goals…`, the URLs before goals moved under `/command/goals`: a form
/// left open in a tab from before still lands (308 keeps the method and body).
pub async fn moved(req: HttpRequest) -> HttpResponse {
    let rest = req.path().strip_prefix("/goals").unwrap_or_default();
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", format!("/command/goals{rest}")))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goal_dates_must_be_in_order() {
        let form = GoalForm {
            title: "Ship".into(),
            goal_type: "WEEKLY".into(),
            target_value: "5".into(),
            start_date: "2026-11-23".into(),
            due_date: "2026-11-20".into(),
            ..Default::default()
        };
        assert!(form.parse().unwrap_err().due_date.is_some());
        assert!(
            GoalForm {
                target_value: "0".into(),
                due_date: String::new(),
                ..form.clone()
            }
            .parse()
            .unwrap_err()
            .target_value
            .is_some()
        );
        assert_eq!(
            GoalForm {
                due_date: String::new(),
                ..form
            }
            .parse()
            .unwrap()
            .target_value,
            Some(5)
        );
    }
}

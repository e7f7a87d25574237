//! `/command/tasks`: every block, filtered, searched, sorted and paginated.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::view::BlockView;
use crate::auth::CurrentUser;
use crate::db::models::goals::{self, Goal};
use crate::db::models::projects;
use crate::db::models::tasks::{self, Capped, Cursor, TaskFilter, TaskSort, Window};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html, htmx_target};

pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub status: String,
    pub category: String,
    pub priority: String,
    pub from: String,
    pub to: String,
    pub project: String,
    pub goal: String,
    pub q: String,
    pub sort: String,
    pub page: String,
    /// The cursor of the row the page follows ("Next").
    pub after: String,
    /// The cursor of the row the page precedes ("Previous").
    pub before: String,
}

/// The page; its block `results` (`#task-results`) answers a filter change.
#[derive(Template)]
#[template(path = "command/tasks.html", blocks = ["results"])]
pub struct TasksPage {
    pub ctx: PageContext,
    pub query: ListQuery,
    pub blocks: Vec<BlockView>,
    /// The scheduled blocks that match, counted up to `tasks::COUNT_CAP`; `None`
    /// for a filter that would have to read the history to count.
    pub total: Option<Capped>,
    /// The first page's backlog section (up to `tasks::BACKLOG_SHOWN`).
    pub backlog: Vec<BlockView>,
    pub backlog_total: Capped,
    pub page: i64,
    /// `None` when the count stopped at its cap.
    pub pages: Option<i64>,
    pub has_next: bool,
    pub has_prev: bool,
    /// The cursors of the page's first and last rows.
    pub ends: (Option<Cursor>, Option<Cursor>),
    pub projects: Vec<(ProjectId, String, String)>,
    pub goals: Vec<Goal>,
    pub problems: Vec<String>,
}

impl TasksPage {
    pub fn statuses(&self) -> &'static [TaskStatus] {
        TaskStatus::ALL
    }
    pub fn categories(&self) -> &'static [TaskCategory] {
        TaskCategory::ALL
    }
    pub fn priorities(&self) -> &'static [Priority] {
        Priority::ALL
    }
    /// The page after this one: the rows after its last, keeping every filter.
    pub fn next_url(&self) -> String {
        let after = self.ends.1.as_ref().map(Cursor::encode).unwrap_or_default();
        self.url_at(self.page + 1, after, String::new())
    }
    /// The page before this one: the rows before its first.
    pub fn prev_url(&self) -> String {
        let before = self.ends.0.as_ref().map(Cursor::encode).unwrap_or_default();
        self.url_at(self.page - 1, String::new(), before)
    }
    fn url_at(&self, page: i64, after: String, before: String) -> String {
        let mut q = ListQuery {
            page: page.to_string(),
            after,
            before,
            ..self.query.clone()
        };
        if page <= 1 {
            // The first page needs no cursor (and shows the backlog).
            (q.page, q.after, q.before) = Default::default();
        }
        link(&q)
    }
    /// This page's URL, to come back to after an edit.
    pub fn return_to(&self) -> String {
        link(&self.query)
    }
    pub fn first_shown(&self) -> String {
        grouped((self.page - 1) * PAGE_SIZE + 1)
    }
    pub fn last_shown(&self) -> String {
        grouped((self.page - 1) * PAGE_SIZE + self.blocks.len() as i64)
    }
    pub fn more_in_backlog(&self) -> bool {
        self.backlog_total.more || self.backlog_total.n > self.backlog.len() as i64
    }
}

/// 1051 → "1,051", as the counts are written.
fn grouped(n: i64) -> String {
    Capped { n, more: false }.to_string()
}

fn link(q: &ListQuery) -> String {
    format!(
        "/command/tasks?{}",
        serde_urlencoded::to_string(query_pairs(q)).unwrap_or_default()
    )
}

fn query_pairs(q: &ListQuery) -> Vec<(&'static str, &str)> {
    [
        ("status", q.status.as_str()),
        ("category", &q.category),
        ("priority", &q.priority),
        ("from", &q.from),
        ("to", &q.to),
        ("project", &q.project),
        ("goal", &q.goal),
        ("q", &q.q),
        ("sort", &q.sort),
        ("page", &q.page),
        ("after", &q.after),
        ("before", &q.before),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect()
}

/// Parses the filters; a bad one is reported and ignored rather than failing the page.
fn filter_of(q: &ListQuery) -> (TaskFilter, Vec<String>) {
    fn keep<T>(problems: &mut Vec<String>, parsed: Result<Option<T>, String>) -> Option<T> {
        parsed.map_err(|e| problems.push(e)).ok().flatten()
    }
    let mut problems = Vec::new();
    let p = &mut problems;
    let filter = TaskFilter {
        status: keep(p, opt(&q.status, TaskStatus::parse)),
        category: keep(p, opt(&q.category, TaskCategory::parse)),
        priority: keep(p, opt(&q.priority, Priority::parse)),
        from: keep(
            p,
            crate::web::forms::date(&q.from).map_err(|e| format!("From: {e}")),
        ),
        to: keep(
            p,
            crate::web::forms::date(&q.to).map_err(|e| format!("To: {e}")),
        ),
        project: keep(p, crate::web::forms::id(&q.project, ProjectId::parse)),
        goal: keep(p, crate::web::forms::id(&q.goal, GoalId::parse)),
        search: crate::web::forms::text(&q.q, "Search", 200).ok().flatten(),
        sort: match q.sort.as_str() {
            "date" => TaskSort::DateAsc,
            "priority" => TaskSort::PriorityDesc,
            _ => TaskSort::DateDesc,
        },
    };
    (filter, problems)
}

fn opt<T, E: std::fmt::Display>(
    raw: &str,
    parse: fn(&str) -> Result<T, E>,
) -> Result<Option<T>, String> {
    if raw.is_empty() {
        Ok(None)
    } else {
        parse(raw).map(Some).map_err(|e| e.to_string())
    }
}

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let (filter, problems) = filter_of(&query);
    let page = query
        .page
        .parse::<i64>()
        .ok()
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    // A cursor this app did not write is reported, and the first page shown.
    let cursor = |raw: &str, problems: &mut Vec<String>| {
        (!raw.is_empty()).then(|| Cursor::parse(raw)).and_then(|c| {
            c.or_else(|| {
                problems.push("the page link is not one this list wrote".into());
                None
            })
        })
    };
    let mut problems = problems;
    let window = match (
        cursor(&query.after, &mut problems),
        cursor(&query.before, &mut problems),
    ) {
        (Some(after), _) => Window::After(after),
        (None, Some(before)) => Window::Before(before),
        // An old `?page=N` link (without a cursor) still finds its page.
        (None, None) if query.after.is_empty() && query.before.is_empty() => {
            Window::Offset((page - 1) * PAGE_SIZE)
        }
        (None, None) => Window::Offset(0),
    };
    let id = user.id().clone();
    let (listed, every_project, goals) = state
        .db(move |conn| {
            Ok((
                tasks::search(conn, &id, &filter, &window, PAGE_SIZE)?,
                projects::every_name(conn, &id)?,
                goals::list_for_user(conn, &id)?,
            ))
        })
        .await?;
    let reading_back = !query.before.is_empty() && !listed.first;
    let page = if listed.first { 1 } else { page.max(2) };
    let total = listed.total;
    let pages = total
        .filter(|t| !t.more)
        .map(|t| ((t.n + PAGE_SIZE - 1) / PAGE_SIZE).max(1));
    let ends = (
        listed.rows.first().and_then(Cursor::of),
        listed.rows.last().and_then(Cursor::of),
    );
    // The rows come without names: the filters' lists have them.
    let project_names: std::collections::HashMap<&ProjectId, &String> = every_project
        .iter()
        .map(|(id, name, _, _)| (id, name))
        .collect();
    let goal_titles: std::collections::HashMap<&GoalId, &String> =
        goals.iter().map(|g| (&g.id, &g.title)).collect();
    let view = |row: &tasks::TaskRow| {
        let mut block = BlockView::from_row(row);
        let task = &row.task;
        block.project_name = task
            .project_id
            .as_ref()
            .and_then(|p| project_names.get(p))
            .map(|n| n.to_string());
        block.goal_title = task
            .goal_id
            .as_ref()
            .and_then(|g| goal_titles.get(g))
            .map(|t| t.to_string());
        block
    };
    let (blocks, backlog): (Vec<BlockView>, Vec<BlockView>) = (
        listed.rows.iter().map(view).collect(),
        listed.backlog.iter().map(view).collect(),
    );
    // The filter offers the projects still running, as the block form does.
    let projects = projects::running(every_project);
    let page = TasksPage {
        ctx: PageContext::for_user(&user, "tasks"),
        query,
        blocks,
        total,
        backlog,
        backlog_total: listed.backlog_total,
        page,
        pages,
        // Read backwards, "beyond" is the rows before the page.
        has_next: if reading_back { true } else { listed.beyond },
        has_prev: if reading_back {
            listed.beyond
        } else {
            !listed.first
        },
        ends,
        projects,
        goals,
        problems,
    };
    if htmx_target(&req).as_deref() == Some("task-results") {
        html(StatusCode::OK, &page.as_results())
    } else {
        html(StatusCode::OK, &page)
    }
}

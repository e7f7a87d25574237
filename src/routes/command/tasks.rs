//! `/command/tasks`: every block, filtered, searched, sorted and paginated.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::view::BlockView;
use crate::auth::CurrentUser;
use crate::db::models::goals::{self, Goal};
use crate::db::models::projects;
use crate::db::models::tasks::{self, Capped, TaskFilter, TaskSort};
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
}

/// The page; its block `results` (`#task-results`) answers a filter change.
#[derive(Template)]
#[template(path = "command/tasks.html", blocks = ["results"])]
pub struct TasksPage {
    pub ctx: PageContext,
    pub query: ListQuery,
    pub blocks: Vec<BlockView>,
    /// The scheduled blocks that match, counted up to `tasks::COUNT_CAP`.
    pub total: Capped,
    /// The first page's backlog section (up to `tasks::BACKLOG_SHOWN`).
    pub backlog: Vec<BlockView>,
    pub backlog_total: Capped,
    pub page: i64,
    /// `None` when the count stopped at its cap.
    pub pages: Option<i64>,
    pub has_next: bool,
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
    /// The list's URL for another page, keeping every filter.
    pub fn page_url(&self, page: i64) -> String {
        let mut q = self.query.clone();
        q.page = page.to_string();
        format!(
            "/command/tasks?{}",
            serde_urlencoded::to_string(query_pairs(&q)).unwrap_or_default()
        )
    }
    pub fn return_to(&self) -> String {
        self.page_url(self.page)
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
    let id = user.id().clone();
    let (listed, projects, goals) = state
        .db(move |conn| {
            Ok((
                tasks::search(conn, &id, &filter, (page - 1) * PAGE_SIZE, PAGE_SIZE + 1)?,
                projects::names_for_user(conn, &id)?,
                goals::list_for_user(conn, &id)?,
            ))
        })
        .await?;
    let total = listed.total;
    let has_next = listed.rows.len() as i64 > PAGE_SIZE;
    let pages = (!total.more).then(|| ((total.n + PAGE_SIZE - 1) / PAGE_SIZE).max(1));
    let page = TasksPage {
        ctx: PageContext::for_user(&user, "tasks"),
        query,
        blocks: listed
            .rows
            .iter()
            .take(PAGE_SIZE as usize)
            .map(BlockView::from_row)
            .collect(),
        total,
        backlog: listed.backlog.iter().map(BlockView::from_row).collect(),
        backlog_total: listed.backlog_total,
        page,
        pages,
        has_next,
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

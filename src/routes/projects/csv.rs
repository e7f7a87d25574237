//! Projects as CSV: `/projects.csv`, every project with its client and money.

use actix_web::{HttpResponse, web};

use crate::auth::CurrentUser;
use chrono::NaiveDate;

use crate::db::models::projects::{self, BoardFilter, Project};
use crate::domain::Money;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csv::{download, write_rows};

const PROJECT_COLUMNS: &[&str] = &[
    "name",
    "client",
    "type",
    "status",
    "priority",
    "start_date",
    "due_date",
    "budget",
    "paid_amount",
    "repository_url",
    "staging_url",
    "production_url",
];

/// One project as a CSV row, in `PROJECT_COLUMNS` order; amounts as plain numbers.
fn row_of(p: Project, client: String) -> Vec<String> {
    let money = |m: Option<Money>| m.map(|m| m.to_string()).unwrap_or_default();
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    vec![
        p.name,
        client,
        p.project_type.to_string(),
        p.status.to_string(),
        p.priority.to_string(),
        day(p.start_date),
        day(p.due_date),
        money(p.budget),
        p.paid_amount.to_string(),
        p.repository_url.unwrap_or_default(),
        p.staging_url.unwrap_or_default(),
        p.production_url.unwrap_or_default(),
    ]
}

pub async fn export(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let list = state
        .db(move |conn| Ok(projects::board(conn, &id, &BoardFilter::default())?))
        .await?;
    let rows = list
        .into_iter()
        .map(|(p, client)| row_of(p, client))
        .collect();
    Ok(download("projects.csv", write_rows(PROJECT_COLUMNS, rows)?))
}

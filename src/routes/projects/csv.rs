//! Projects as CSV: `/projects.csv`, every project with its client and money,
//! and what `/projects/import` reads (`Projects`, an `Import`: a row names its
//! client by name and is matched to a project by name within that client).

use actix_web::{HttpResponse, web};
use chrono::{NaiveDate, NaiveDateTime};

use super::form::ProjectForm;
use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::db::models::clients::{self, Client, ClientFilter};
use crate::db::models::projects::{self, BoardFilter, Project, ProjectFields};
use crate::domain::{AuditAction, Money, Priority, ProjectId, ProjectStatus, ProjectType, UserId};
use crate::error::AppError;
use crate::routes::import::{Action, Cells, Import, Row};
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
    "estimated_hours",
    "repository_url",
    "staging_url",
    "production_url",
    "description",
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
        p.estimated_hours.map(|h| h.to_string()).unwrap_or_default(),
        p.repository_url.unwrap_or_default(),
        p.staging_url.unwrap_or_default(),
        p.production_url.unwrap_or_default(),
        p.description.unwrap_or_default(),
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

/// A file row of a project: its client by name, the rest as the form has it.
#[derive(Debug, Clone, Default)]
pub struct ProjectRow {
    pub client: String,
    pub form: ProjectForm,
}

/// Projects as an import reads them: the user's projects (with their
/// client's name) and clients.
pub struct Projects {
    projects: Vec<(Project, String)>,
    clients: Vec<Client>,
}

impl Projects {
    /// The one client named `name` (any case), or why not.
    fn client(&self, name: &str) -> Result<&Client, String> {
        let name = name.trim();
        let mut named = self
            .clients
            .iter()
            .filter(|c| c.name.eq_ignore_ascii_case(name));
        match (named.next(), named.next()) {
            _ if name.is_empty() => Err("name the project's client".into()),
            (Some(c), None) => Ok(c),
            (None, _) => Err(format!(
                "no client is named {name:?}: add or import the client first"
            )),
            (Some(_), Some(_)) => Err(format!(
                "two clients are named {name:?}: rename one to tell them apart"
            )),
        }
    }
}

/// A coded cell that is none of the codes, said with what it may be.
fn unknown<T: Copy>(value: &str, what: &str, all: &[T], label: fn(T) -> &'static str) -> String {
    let labels: Vec<&str> = all.iter().map(|v| label(*v)).collect();
    format!("{value:?} is not a {what}; one of: {}", labels.join(", "))
}

impl Import for Projects {
    type Form = ProjectRow;
    type Fields = ProjectFields;
    type Key = ProjectId;

    const KIND: &'static str = "projects";
    const COLUMNS: &'static [&'static str] = PROJECT_COLUMNS;
    const MATCHED_BY: &'static str = "A row names its client by name (the client must exist) and is matched to that client's project of the same name.";
    const HEADINGS: &'static [&'static str] = &["Name", "Client", "Stage", "Due", "Budget", "Paid"];
    const AUDIT: AuditAction = AuditAction::ProjectsImported;

    fn load(conn: &mut AnyConnection, user: &UserId) -> Result<Self, AppError> {
        Ok(Projects {
            projects: projects::board(conn, user, &BoardFilter::default())?,
            clients: clients::search(conn, user, &ClientFilter::default())?,
        })
    }

    fn column_of(header: &str) -> Option<&'static str> {
        let key = header.trim().to_lowercase().replace([' ', '-'], "_");
        let key = match key.as_str() {
            "project" => "name",
            "client_name" => "client",
            "project_type" => "type",
            "stage" => "status",
            "start" => "start_date",
            "due" => "due_date",
            "paid" => "paid_amount",
            "estimate" | "hours" => "estimated_hours",
            "repository" | "repo" => "repository_url",
            "staging" => "staging_url",
            "production" => "production_url",
            other => other,
        };
        PROJECT_COLUMNS.iter().copied().find(|c| *c == key)
    }

    fn words(column: &str) -> &'static str {
        match column {
            "name" => "name",
            "client" => "client",
            "type" => "type",
            "status" => "stage",
            "priority" => "priority",
            "start_date" => "start",
            "due_date" => "due date",
            "budget" => "budget",
            "paid_amount" => "paid",
            "estimated_hours" => "estimated hours",
            "repository_url" => "repository",
            "staging_url" => "staging",
            "production_url" => "production",
            _ => "description",
        }
    }

    fn slot<'a>(row: &'a mut ProjectRow, column: &str) -> &'a mut String {
        let form = &mut row.form;
        match column {
            "name" => &mut form.name,
            "client" => &mut row.client,
            "type" => &mut form.project_type,
            "status" => &mut form.status,
            "priority" => &mut form.priority,
            "start_date" => &mut form.start_date,
            "due_date" => &mut form.due_date,
            "budget" => &mut form.budget,
            "paid_amount" => &mut form.paid_amount,
            "estimated_hours" => &mut form.estimated_hours,
            "repository_url" => &mut form.repository_url,
            "staging_url" => &mut form.staging_url,
            "production_url" => &mut form.production_url,
            _ => &mut form.description,
        }
    }

    fn cell(column: &str, value: String) -> Option<String> {
        // Coded columns take the stored text or the label, in any case; an
        // empty one (or an empty paid amount) keeps the default.
        let coded = |found: Option<&'static str>| Some(found.map_or(value.clone(), str::to_string));
        match column {
            "type" | "status" | "priority" | "paid_amount" if value.is_empty() => None,
            "type" => coded(ProjectType::read(&value).map(ProjectType::as_str)),
            "status" => coded(ProjectStatus::read(&value).map(ProjectStatus::as_str)),
            "priority" => coded(Priority::read(&value).map(Priority::as_str)),
            _ => Some(value),
        }
    }

    fn find(&self, row: &Cells) -> Option<(ProjectId, ProjectRow)> {
        let client = self.client(row.get("client")).ok()?;
        let name = row.get("name");
        self.projects
            .iter()
            .find(|(p, _)| p.client_id == client.id && p.name == name)
            .map(|(p, client)| {
                (
                    p.id.clone(),
                    ProjectRow {
                        client: client.clone(),
                        form: ProjectForm::of(p),
                    },
                )
            })
    }

    fn blank(&self) -> ProjectRow {
        ProjectRow {
            client: String::new(),
            form: ProjectForm::blank(""),
        }
    }

    fn parse(&self, row: &ProjectRow) -> Result<ProjectFields, Vec<(String, String)>> {
        let mut form = row.form.clone();
        let client = self.client(&row.client);
        if let Ok(c) = client {
            form.client_id = c.id.to_string();
        }
        let mut problems: Vec<(String, String)> = match form.parse() {
            Ok(fields) if client.is_ok() => return Ok(fields),
            Ok(_) => Vec::new(),
            Err(e) => e
                .by_field()
                .into_iter()
                .filter(|(field, _)| *field != "client")
                .map(|(field, message)| {
                    let message = match field {
                        "type" => unknown(
                            &form.project_type,
                            "type",
                            ProjectType::ALL,
                            ProjectType::label,
                        ),
                        "status" => unknown(
                            &form.status,
                            "stage",
                            ProjectStatus::ALL,
                            ProjectStatus::label,
                        ),
                        "priority" => {
                            unknown(&form.priority, "priority", Priority::ALL, Priority::label)
                        }
                        _ => message,
                    };
                    (field.to_string(), message)
                })
                .collect(),
        };
        if let Err(message) = client {
            problems.insert(0, ("client".into(), message));
        }
        Err(problems)
    }

    fn cells(&self, row: &ProjectRow) -> Vec<String> {
        let f = &row.form;
        vec![
            f.name.clone(),
            row.client.clone(),
            ProjectStatus::parse(&f.status)
                .map_or("", ProjectStatus::label)
                .into(),
            f.due_date.clone(),
            f.budget.clone(),
            f.paid_amount.clone(),
        ]
    }

    fn save(
        conn: &mut AnyConnection,
        user: &UserId,
        row: &Row<Self>,
        now: NaiveDateTime,
    ) -> Result<(), AppError> {
        let saved = match &row.action {
            Action::New => projects::create(conn, user, &row.fields, now)?.map(|_| ()),
            Action::Update(project, _) => projects::update(conn, user, project, &row.fields, now)?,
            Action::Same(_) => Some(()),
        };
        // The client or project went away between the preview and the commit.
        saved.ok_or(AppError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::import::parse;

    #[test]
    fn a_row_needs_a_client_that_exists_once() {
        let known = Projects {
            projects: Vec::new(),
            clients: Vec::new(),
        };
        let errors = parse(&known, "name,client\nSite,Nobody\n").err().unwrap();
        assert_eq!(errors[0].field, "client");
        assert!(errors[0].message.contains("no client is named \"Nobody\""));
        let errors = parse(&known, "name\nSite\n").err().unwrap();
        assert_eq!(
            (errors[0].field.as_str(), errors[0].message.as_str()),
            ("client", "name the project's client")
        );
    }

    #[test]
    fn stages_and_types_are_read_by_label_in_any_case() {
        assert_eq!(
            Projects::cell("type", "web app".into()).as_deref(),
            Some("WEBAPP")
        );
        assert_eq!(
            Projects::cell("status", "Development".into()).as_deref(),
            Some("DEVELOPMENT")
        );
        assert_eq!(Projects::cell("status", String::new()), None);
        assert_eq!(
            Projects::cell("status", "Nope".into()).as_deref(),
            Some("Nope")
        );
    }
}

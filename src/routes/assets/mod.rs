//! `/assets…`: the gallery (`gallery`), one asset's page with editing and deleting
//! (`show`), serving the files themselves to their owner only (`file`), links
//! between files and blocks (`links`), uploading (`upload`), and the files section
//! that client and project pages embed (`section`). Here: the upload and edit
//! form's fields and checks, which several of them share.

pub mod file;
pub mod gallery;
pub mod links;
pub mod pick;
pub mod section;
pub mod show;
pub mod upload;

use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::db::models::assets::{self, AssetFields};
use crate::db::models::{clients, projects, tasks};
use crate::domain::files;
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;

/// The metadata fields of the upload and edit forms, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct AssetForm {
    pub name: String,
    pub category: String,
    pub tags: String,
    pub client_id: String,
    pub project_id: String,
    pub task_id: String,
    pub return_to: String,
}

/// One message per field, shown beside it; `files` lists refused files.
#[derive(Debug, Default, Clone)]
pub struct AssetErrors {
    pub name: Option<String>,
    pub category: Option<String>,
    pub tags: Option<String>,
    pub client_id: Option<String>,
    pub project_id: Option<String>,
    pub task_id: Option<String>,
    pub files: Vec<String>,
}

impl AssetErrors {
    pub fn any(&self) -> bool {
        self.name.is_some()
            || self.category.is_some()
            || self.tags.is_some()
            || self.client_id.is_some()
            || self.project_id.is_some()
            || self.task_id.is_some()
            || !self.files.is_empty()
    }
}

/// The form's fields, checked; client, project and block must be the owner's.
pub struct CheckedForm {
    /// `None` when the name is left empty (an upload then uses each file's name).
    pub name: Option<String>,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub client_id: Option<ClientId>,
    pub project_id: Option<ProjectId>,
    pub task_id: Option<TaskId>,
}

impl CheckedForm {
    pub fn fields(&self, name: String) -> AssetFields {
        AssetFields {
            name,
            category: self.category.clone(),
            client_id: self.client_id.clone(),
            project_id: self.project_id.clone(),
            tags: self.tags.clone(),
        }
    }
}

/// Checks `form` against the owner's data; every problem at once.
pub fn check_form(
    conn: &mut AnyConnection,
    user: &UserId,
    form: &AssetForm,
) -> Result<Result<CheckedForm, AssetErrors>, AppError> {
    let mut errors = AssetErrors::default();
    let name = crate::web::forms::text(&form.name, "Name", 255).unwrap_or_else(|e| {
        errors.name = Some(e);
        None
    });
    let category = crate::web::forms::text(&form.category, "Category", 64)
        .map(|c| c.map(|c| c.to_lowercase()))
        .unwrap_or_else(|e| {
            errors.category = Some(e);
            None
        });
    let tags = files::parse_tags(&form.tags).unwrap_or_else(|e| {
        errors.tags = Some(e);
        Vec::new()
    });
    let mut client_id = None;
    if !form.client_id.trim().is_empty() {
        match ClientId::parse(&form.client_id) {
            Ok(id) if clients::find(conn, user, &id)?.is_some() => client_id = Some(id),
            _ => errors.client_id = Some("Choose one of your clients.".into()),
        }
    }
    let mut project_id = None;
    if !form.project_id.trim().is_empty() {
        match ProjectId::parse(&form.project_id) {
            Ok(id) => match projects::find(conn, user, &id)? {
                Some(project) => {
                    // A file of a project belongs to that project's client.
                    if client_id.is_none() {
                        client_id = Some(project.client_id.clone());
                    } else if client_id.as_ref() != Some(&project.client_id) {
                        errors.project_id = Some("That project belongs to another client.".into());
                    }
                    project_id = Some(id);
                }
                None => errors.project_id = Some("Choose one of your projects.".into()),
            },
            Err(_) => errors.project_id = Some("Choose one of your projects.".into()),
        }
    }
    let mut task_id = None;
    if !form.task_id.trim().is_empty() {
        match TaskId::parse(&form.task_id) {
            Ok(id) if tasks::find(conn, user, &id)?.is_some() => task_id = Some(id),
            _ => errors.task_id = Some("That block is not one of yours.".into()),
        }
    }
    if errors.any() {
        return Ok(Err(errors));
    }
    Ok(Ok(CheckedForm {
        name,
        category,
        tags,
        client_id,
        project_id,
        task_id,
    }))
}

/// Clients and projects for the forms' pickers, and the categories used so far.
#[derive(Debug, Default, Clone)]
pub struct Pickers {
    pub clients: Vec<(ClientId, String)>,
    pub projects: Vec<(ProjectId, String, String)>,
    pub categories: Vec<String>,
}

impl Pickers {
    pub fn load(conn: &mut AnyConnection, user: &UserId) -> Result<Self, AppError> {
        Ok(Pickers {
            clients: assets::client_options(conn, user)?,
            projects: assets::project_options(conn, user)?,
            categories: assets::categories(conn, user)?,
        })
    }

    pub fn client_choices(&self) -> Vec<(String, String)> {
        self.clients
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect()
    }

    pub fn project_choices(&self) -> Vec<(String, String)> {
        self.projects
            .iter()
            .map(|(id, name, client)| (id.to_string(), format!("{name} ({client})")))
            .collect()
    }

    /// Suggested categories: the usual ones, then the user's own.
    pub fn category_suggestions(&self) -> Vec<String> {
        let mut all: Vec<String> = [
            "screenshot",
            "mockup",
            "logo",
            "brand",
            "contract",
            "invoice",
            "brief",
            "photo",
            "copy",
            "export",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for c in &self.categories {
            if !all.contains(c) {
                all.push(c.clone());
            }
        }
        all
    }
}

/// The upload form wherever it appears: the gallery, a client, a project, a block.
#[derive(Debug, Clone)]
pub struct UploadBox {
    pub csrf: String,
    pub form: AssetForm,
    pub errors: AssetErrors,
    pub pickers: Pickers,
    /// Client, project or block fixed by the page (hidden fields instead of pickers).
    pub fixed: bool,
    pub max_mb: u64,
}

impl UploadBox {
    pub fn new(user: &CurrentUser, state: &AppState, form: AssetForm, pickers: Pickers) -> Self {
        UploadBox {
            csrf: user.csrf_token.clone(),
            fixed: !form.client_id.is_empty()
                || !form.project_id.is_empty()
                || !form.task_id.is_empty(),
            form,
            errors: AssetErrors::default(),
            pickers,
            max_mb: state.settings.upload_max_bytes / 1_000_000,
        }
    }

    pub fn accept(&self) -> String {
        files::accept_attribute()
    }

    pub fn accepted(&self) -> &'static str {
        files::ACCEPTED
    }
}

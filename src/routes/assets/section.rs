//! The files section of a client's or project's page: the latest files as cards,
//! a link to all of them, and the upload box fixed to that client or project.

use askama::Template;

use super::gallery::CardView;
use super::{AssetForm, Pickers, UploadBox};
use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::db::models::assets::{self, AssetCard};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;

/// The files section of a client's or project's page.
#[derive(Template)]
#[template(path = "assets/_section.html")]
pub struct FilesSection {
    pub cards: Vec<CardView>,
    pub total: i64,
    pub all_url: String,
    /// The picker that puts a file already uploaded with this client or project.
    pub pick_url: String,
    pub upload: UploadBox,
}

/// What a files section reads, inside the page's own database call.
pub struct FilesData {
    cards: Vec<AssetCard>,
    total: i64,
    categories: Vec<String>,
    client: Option<ClientId>,
    project: Option<ProjectId>,
}

impl FilesData {
    pub fn load(
        conn: &mut AnyConnection,
        user: &UserId,
        client: Option<&ClientId>,
        project: Option<&ProjectId>,
    ) -> Result<Self, AppError> {
        let (cards, total) = assets::recent_for(conn, user, client, project, 12)?;
        Ok(FilesData {
            cards,
            total,
            categories: assets::categories(conn, user)?,
            client: client.cloned(),
            project: project.cloned(),
        })
    }
}

impl FilesSection {
    pub fn new(user: &CurrentUser, state: &AppState, data: FilesData, return_to: String) -> Self {
        let (all_url, pick_url) = match (&data.project, &data.client) {
            (Some(p), _) => (
                format!("/assets?project={p}"),
                format!("/projects/{p}/files/pick"),
            ),
            (None, Some(c)) => (
                format!("/assets?client={c}"),
                format!("/clients/{c}/files/pick"),
            ),
            _ => ("/assets".into(), "/assets".into()),
        };
        let form = AssetForm {
            client_id: data.client.map(|c| c.to_string()).unwrap_or_default(),
            project_id: data.project.map(|p| p.to_string()).unwrap_or_default(),
            return_to,
            ..AssetForm::default()
        };
        // Client and project are fixed by the page: no pickers to fill.
        let pickers = Pickers {
            categories: data.categories,
            ..Pickers::default()
        };
        FilesSection {
            cards: data
                .cards
                .into_iter()
                .map(|card| CardView {
                    card,
                    dates: user.dates(state.clock.now()),
                })
                .collect(),
            total: data.total,
            all_url,
            pick_url,
            upload: UploadBox::new(user, state, form, pickers),
        }
    }
}

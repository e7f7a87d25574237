//! `/clients…`: the client list (`list`), the form (`form`), the client page and
//! its timeline (`show`, `timeline`), follow-ups (`followup`), the health decision
//! (`health`), the credentials vault (`credentials`) and CSV in and out (`csv`).

pub mod credentials;
pub mod csv;
pub mod followup;
pub mod form;
pub mod health;
pub mod list;
pub mod show;
pub mod timeline;

use crate::auth::CurrentUser;
use crate::db::models::clients::{self, Client};
use crate::domain::ClientId;
use crate::error::AppError;
use crate::state::AppState;

/// One of the user's clients; anyone else's id is a 404.
pub async fn owned(state: &AppState, user: &CurrentUser, id: ClientId) -> Result<Client, AppError> {
    let owner = user.id().clone();
    state
        .db(move |conn| Ok(clients::find(conn, &owner, &id)?))
        .await?
        .ok_or(AppError::NotFound)
}

//! The credentials vault: save (or remove) a client's credentials, encrypted
//! (`/clients/{id}/credentials`), and reveal them on an explicit POST
//! (`/clients/{id}/credentials/reveal`), recorded in the timeline, never cached.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::crypto::client_credentials_aad;
use crate::db::models::audit::{self, AuditEvent};
use crate::db::models::clients::{self, Client};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, client_ip, html};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CredentialsForm {
    credentials: String,
}

/// Saves (or, when empty, removes) a client's credentials, encrypted.
pub async fn save_credentials(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
    form: web::Form<CredentialsForm>,
) -> Result<HttpResponse, AppError> {
    let secret = form.credentials.trim_end();
    if secret.chars().count() > 10_000 {
        return Err(AppError::Unprocessable(
            "Credentials can be at most 10,000 characters.".into(),
        ));
    }
    let (id, target, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    // Sealed for this client and owner: the envelope cannot be moved to another row.
    let aad = client_credentials_aad(target.as_str(), id.as_str());
    let envelope = match secret {
        "" => None,
        secret => Some(
            state
                .keys
                .encrypt(secret, &aad)
                .map_err(AppError::internal)?,
        ),
    };
    let back = format!("/clients/{target}#credentials");
    let notice = Notice::new(if envelope.is_some() {
        "Credentials saved, encrypted."
    } else {
        "Credentials removed."
    });
    state
        .db_write_as(&user, move |conn| {
            Ok(clients::set_credentials_audited(
                conn,
                &id,
                &target,
                envelope.as_deref(),
                now,
            )?)
        })
        .await?
        .then_some(())
        .ok_or(AppError::NotFound)?;
    Ok(crate::web::notice::see_other_with(
        &req,
        &back,
        Some(&notice),
        state.sessions.secure,
    ))
}

#[derive(Template)]
#[template(path = "clients/credentials.html")]
pub struct CredentialsPage {
    pub ctx: PageContext,
    pub client: Client,
    pub secret: String,
}

/// Shows the decrypted credentials: only on an explicit POST, never cached, audited.
pub async fn reveal_credentials(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
) -> Result<HttpResponse, AppError> {
    let (id, target, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let client = state
        .db_write_as(&user, move |conn| {
            let client = clients::find(conn, &id, &target)?.ok_or(AppError::NotFound)?;
            let event = AuditEvent::new(AuditAction::CredentialsRevealed, now)
                .user(&id)
                .entity("client", target.as_str())
                .ip(Some(&ip));
            audit::record(conn, event)?;
            Ok(client)
        })
        .await?;
    let envelope = client.credentials.clone().ok_or(AppError::NotFound)?;
    let aad = client_credentials_aad(client.id.as_str(), client.user_id.as_str());
    let secret = state.keys.decrypt(&envelope, &aad).map_err(|e| {
        tracing::error!(client = %client.id, error = %e, "credentials do not decrypt");
        AppError::Unprocessable(format!("These credentials cannot be shown: {e}."))
    })?;
    let page = CredentialsPage {
        ctx: PageContext::for_user(&user, "clients"),
        client,
        secret,
    };
    let mut response = html(StatusCode::OK, &page)?;
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

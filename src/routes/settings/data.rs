//! `/settings/data`: your data. Download everything the account owns as one ZIP,
//! import such a ZIP into an empty account, or delete the account.

use std::io::{Seek, SeekFrom, Write};

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use diesel::prelude::*;
use futures_util::StreamExt;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::audit::{self, AuditEvent};
use crate::db::models::users;
use crate::db::rows;
use crate::db::schema::{local_credentials, sessions};
use crate::domain::{AuditAction, Notice};
use crate::error::AppError;
use crate::portable::workspace::{self, Plan};
use crate::portable::{archive, archive_object};
use crate::state::AppState;
use crate::storage::{ObjectKey, ObjectStore};
use crate::web::{PageContext, html};

/// A workspace export larger than this is refused (413).
pub const MAX_IMPORT_BYTES: u64 = 2_000_000_000;

/// How recent a Supabase sign-in must be to delete the account.
const FRESH_SIGN_IN: chrono::Duration = chrono::Duration::minutes(10);

#[derive(Template)]
#[template(path = "settings/data.html")]
pub struct DataPage {
    ctx: PageContext,
    email: String,
    /// Local accounts confirm with their password; Supabase ones with a fresh sign-in.
    local: bool,
    /// A Supabase sign-in older than `FRESH_SIGN_IN`.
    sign_in_stale: bool,
    /// What the account holds, when it is not empty (import needs an empty one).
    holds: Option<String>,
    import_errors: Vec<String>,
    delete_error: Option<String>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    import_errors: Vec<String>,
    delete_error: Option<String>,
) -> Result<DataPage, AppError> {
    let id = user.id().clone();
    let holds = state
        .db(move |conn| workspace::not_empty(conn, &id).map_err(AppError::Internal))
        .await?;
    let local = user.user.auth_provider == "local";
    Ok(DataPage {
        ctx: PageContext::for_user(user, "settings"),
        email: user.user.email.clone(),
        local,
        sign_in_stale: !local && !signed_in_lately(state, user).await?,
        holds,
        import_errors,
        delete_error,
    })
}

/// Whether this session's sign-in is younger than `FRESH_SIGN_IN`.
async fn signed_in_lately(state: &AppState, user: &CurrentUser) -> Result<bool, AppError> {
    let hash = user.session_hash.clone();
    let auth_time = state
        .db(move |conn| {
            Ok(sessions::table
                .find(&hash)
                .select(sessions::auth_time)
                .first::<Option<chrono::NaiveDateTime>>(conn)
                .optional()?
                .flatten())
        })
        .await?;
    let now = state.clock.stamp();
    Ok(auth_time.is_some_and(|at| now - at <= FRESH_SIGN_IN))
}

pub async fn show(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    html(
        StatusCode::OK,
        &page(&state, &user, Vec::new(), None).await?,
    )
}

/// `GET /settings/data/export`: the ZIP, built in a temporary file (tables read in
/// one snapshot, then each file streamed in) and streamed out from there, so
/// neither the archive nor a whole file is held in memory.
pub async fn export(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let io = |e: std::io::Error| AppError::Internal(e.into());
    let file = tempfile::tempfile_in(state.settings.upload_dir()).map_err(io)?;
    let id = user.id().clone();
    let (writer, tables, keys, migration, source) = state
        .db(move |conn| {
            let mut writer = archive::Writer::new(file);
            let (tables, keys) =
                workspace::write_tables(conn, &id, &mut writer).map_err(AppError::Internal)?;
            let migration =
                rows::migration_version(conn).map_err(|e| AppError::Internal(e.into()))?;
            Ok((writer, tables, keys, migration, conn.kind().name()))
        })
        .await?;
    let mut writer = writer;
    let mut files = Vec::new();
    let mut missing = Vec::new();
    for key in keys {
        let entry = format!("files/{key}");
        match archive_object(&state.storage, &key, &entry, &mut writer)
            .await
            .map_err(AppError::Internal)?
        {
            Some(part) => files.push(part),
            None => missing.push(key.to_string()),
        }
    }
    let now = state.clock.stamp();
    let manifest = workspace::manifest(migration, source, now, tables, files, missing);
    let mut file = writer.finish(&manifest).map_err(io)?;
    let len = file.seek(SeekFrom::End(0)).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let id = user.id().clone();
    state
        .db_write(move |conn| {
            audit::record(
                conn,
                AuditEvent::new(AuditAction::WorkspaceExported, now).user(&id),
            )?;
            Ok(())
        })
        .await?;
    let name = format!("lauf-workspace-{}.zip", user.today(state.clock.now()));
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header(header::ContentLength(len as usize))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(crate::storage::file_chunks(
            tokio::fs::File::from_std(file),
            len,
        )))
}

/// The multipart body's `file` field spooled to a temporary file in `dir` (413 past
/// `MAX_IMPORT_BYTES`); `None` when no file came.
async fn receive_file(
    payload: &mut Multipart,
    dir: &std::path::Path,
) -> Result<Option<tempfile::NamedTempFile>, AppError> {
    let io = |e: std::io::Error| AppError::Internal(e.into());
    let unreadable = || AppError::BadRequest("The upload could not be read.".into());
    let mut spool = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    let mut size = 0u64;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| unreadable())?;
        let is_file = field.name() == Some("file");
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| unreadable())?;
            if !is_file {
                continue;
            }
            size += chunk.len() as u64;
            if size > MAX_IMPORT_BYTES {
                return Err(AppError::PayloadTooLarge);
            }
            spool.write_all(&chunk).map_err(io)?;
        }
    }
    spool.flush().map_err(io)?;
    Ok((size > 0).then_some(spool))
}

/// `POST /settings/data/import`: an export into this (empty) account, all or
/// nothing; every problem is listed on the page (422). Longer than a handler
/// should be: it is the one place the three steps meet (check everything, store
/// the files, save the rows or take the files away again).
pub async fn import(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    mut payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let spool = receive_file(&mut payload, &state.settings.upload_dir()).await?;
    let refuse = async |errors: Vec<String>| -> Result<HttpResponse, AppError> {
        html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&state, &user, errors, None).await?,
        )
    };
    let Some(spool) = spool else {
        return refuse(vec!["Choose the ZIP file an export made.".into()]).await;
    };
    let (id, path) = (user.id().clone(), spool.path().to_path_buf());
    // Read and check everything before anything is stored.
    let checked = state
        .db(move |conn| workspace::check(conn, &path, &id).map_err(AppError::Internal))
        .await?;
    let (plan, shapes) = match checked {
        Ok(checked) => checked,
        Err(errors) => return refuse(errors).await,
    };
    // Files first; they are taken away again if the rows are refused.
    let stored = store_files(&state, spool.path(), &plan).await?;
    let (id, now, saved_rows) = (user.id().clone(), state.clock.stamp(), plan.rows());
    let saved = state
        .db_write_as(&user, move |conn| {
            let errors = workspace::save(conn, &plan, &shapes, &id).map_err(AppError::Internal)?;
            if !errors.is_empty() {
                // Roll the whole import back, keeping the reasons.
                return Err(AppError::Unprocessable(errors.join("\n")));
            }
            audit::record(
                conn,
                AuditEvent::new(AuditAction::WorkspaceImported, now)
                    .user(&id)
                    .details(serde_json::json!({ "rows": saved_rows })),
            )?;
            Ok(())
        })
        .await;
    match saved {
        Ok(()) => {
            let notice = Notice::new(format!(
                "Imported {saved_rows} rows and {} files into your account.",
                stored.len()
            ));
            Ok(crate::web::notice::see_other_with(
                &req,
                "/",
                Some(&notice),
                state.sessions.secure,
            ))
        }
        Err(AppError::Unprocessable(errors)) => {
            remove(&state, &stored).await;
            refuse(errors.lines().map(str::to_string).collect()).await
        }
        Err(e) => {
            remove(&state, &stored).await;
            Err(e)
        }
    }
}

/// Stores the plan's files under their new keys; on a failure, removes what it
/// stored and fails.
async fn store_files(
    state: &AppState,
    archive_path: &std::path::Path,
    plan: &Plan,
) -> Result<Vec<ObjectKey>, AppError> {
    let io = |e: std::io::Error| AppError::Internal(e.into());
    let mut reader =
        archive::Reader::open(archive_path).map_err(|e| AppError::Internal(e.into()))?;
    let mut stored = Vec::new();
    for (entry, key) in &plan.files {
        let mut part = tempfile::NamedTempFile::new_in(state.settings.upload_dir()).map_err(io)?;
        let copied = reader
            .copy_entry(entry, &mut part)
            .map_err(|e| AppError::Internal(e.into()))
            .and_then(|_| part.flush().map_err(io));
        let put = match copied {
            Ok(()) => state
                .storage
                .put_file(key, part.path(), "application/octet-stream")
                .await
                .map_err(AppError::from),
            Err(e) => Err(e),
        };
        if let Err(e) = put {
            remove(state, &stored).await;
            return Err(e);
        }
        stored.push(key.clone());
    }
    Ok(stored)
}

async fn remove(state: &AppState, keys: &[ObjectKey]) {
    for key in keys {
        let _ = state.storage.delete(key).await;
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    password: String,
    email: String,
}

/// `POST /settings/data/delete`: behind the password (local) or a fresh sign-in
/// (Supabase) and the typed email, removes every row of the account in one
/// transaction, queues its files for deletion and ends every session.
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let refuse = async |why: &str| -> Result<HttpResponse, AppError> {
        html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&state, &user, Vec::new(), Some(why.to_string())).await?,
        )
    };
    if !form
        .email
        .trim()
        .eq_ignore_ascii_case(user.user.email.trim())
    {
        return refuse("Type your email address exactly as shown to confirm. Nothing was deleted.")
            .await;
    }
    let id = user.id().clone();
    if user.user.auth_provider == "local" {
        let owner = id.clone();
        let hash = state
            .db(move |conn| {
                Ok(local_credentials::table
                    .find(&owner)
                    .select(local_credentials::password_hash)
                    .first::<String>(conn)
                    .optional()?)
            })
            .await?;
        let password = form.password.clone();
        let right = web::block(move || {
            hash.is_some_and(|hash| crate::auth::password::verify(&password, &hash))
        })
        .await?;
        if !right {
            return refuse("That password is not right. Nothing was deleted.").await;
        }
    } else {
        if !signed_in_lately(&state, &user).await? {
            return refuse(
                "Sign in again first: deleting needs a sign-in from the last 10 minutes. Nothing was deleted.",
            )
            .await;
        }
    }
    let now = state.clock.stamp();
    let owner = id.clone();
    state
        .db_write(move |conn| {
            users::delete_account(conn, &owner, now)?;
            Ok(())
        })
        .await?;
    tracing::info!("account deleted");
    let mut response = crate::web::see_other(&req, "/login?deleted=1");
    response.headers_mut().insert(
        header::HeaderName::from_static("clear-site-data"),
        header::HeaderValue::from_static("\"storage\""),
    );
    response
        .add_cookie(&state.sessions.removal_cookie())
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(response)
}

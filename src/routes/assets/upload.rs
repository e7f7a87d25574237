//! Uploading: one or many files per request, each streamed to a temporary file
//! under the data dir while it arrives (hashed and measured on the way, never held
//! in memory), refused past the size limit (413), typed from its content, images
//! checked for their pixel count before any decoding, thumbnails made on a blocking
//! thread, then stored and recorded all together or not at all.

use std::path::Path;

use actix_multipart::{Field, Multipart};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::{AssetErrors, AssetForm, Pickers, UploadBox, check_form};
use crate::auth::CurrentUser;
use crate::db::models::assets::{self, Asset};
use crate::domain::files::{self, Detected, SNIFF_BYTES};
use crate::domain::*;
use crate::error::AppError;
use crate::media;
use crate::state::AppState;
use crate::storage::{ObjectKey, ObjectStore, StorageError};
use crate::web::{PageContext, html, see_other};

/// Files per request.
pub const MAX_FILES: usize = 20;
/// A text field of the upload form.
const MAX_FIELD: usize = 8 * 1024;

/// A file as it arrived: on disk, measured, hashed, its first bytes kept for sniffing.
struct Spooled {
    temp: tempfile::NamedTempFile,
    name: String,
    size: u64,
    sha256: String,
    head: Vec<u8>,
}

/// A file that passed every check, ready to store.
struct Prepared {
    spooled: Spooled,
    id: AssetId,
    detected: Detected,
    dimensions: Option<(u32, u32)>,
    thumbnail: Option<Vec<u8>>,
}

#[derive(Template)]
#[template(path = "assets/upload.html")]
pub struct UploadPage {
    pub ctx: PageContext,
    pub upload: UploadBox,
}

fn io_error(err: std::io::Error) -> AppError {
    StorageError::from_io(err).into()
}

fn unreadable() -> AppError {
    AppError::BadRequest("The upload could not be read; try again.".into())
}

async fn read_text(field: &mut Field) -> Result<String, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|_| unreadable())?;
        if bytes.len() + chunk.len() > MAX_FIELD {
            return Err(AppError::PayloadTooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| AppError::BadRequest("A form field is not valid text.".into()))
}

async fn spool(field: &mut Field, dir: &Path, max: u64, name: String) -> Result<Spooled, AppError> {
    let temp = tempfile::Builder::new()
        .prefix("upload-")
        .tempfile_in(dir)
        .map_err(io_error)?;
    let mut out = tokio::fs::File::from_std(temp.reopen().map_err(io_error)?);
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|_| unreadable())?;
        size += chunk.len() as u64;
        if size > max {
            return Err(AppError::FileTooLarge(format!(
                "“{name}” is larger than {} MB, the most one file may be. Nothing was saved.",
                max / 1_000_000
            )));
        }
        if head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
        out.write_all(&chunk).await.map_err(io_error)?;
    }
    out.flush().await.map_err(io_error)?;
    // On disk before the row that points at it can commit.
    out.sync_all().await.map_err(io_error)?;
    Ok(Spooled {
        temp,
        name,
        size,
        sha256: format!("{:x}", hasher.finalize()),
        head,
    })
}

/// Checks one spooled file: its type from its content, and for images the pixel
/// count (from the header) and a thumbnail (decoded on a blocking thread).
async fn prepare(spooled: Spooled) -> Result<Prepared, String> {
    let detected = files::classify(&spooled.name, &spooled.head).map_err(|e| e.0)?;
    let (mut dimensions, mut thumbnail) = (None, None);
    if detected.raster {
        let path = spooled.temp.path().to_path_buf();
        let made = web::block(move || media::thumbnail(&path))
            .await
            .map_err(|e| format!("“{}” could not be checked: {e}", spooled.name))?;
        match made {
            Ok((dims, thumb)) => {
                dimensions = Some(dims);
                thumbnail = Some(thumb);
            }
            Err(e) => return Err(format!("“{}”: {e}.", spooled.name)),
        }
    }
    Ok(Prepared {
        spooled,
        id: AssetId::generate(),
        detected,
        dimensions,
        thumbnail,
    })
}

/// Removes objects stored by an upload that is being abandoned. A failure is only
/// logged: `lauf storage check` finds such files (no row points at them).
async fn abandon(state: &AppState, stored: &[ObjectKey]) {
    for key in stored {
        if let Err(e) = state.storage.delete(key).await {
            tracing::warn!(key = %key, error = %e, "could not remove an abandoned upload");
        }
    }
}

async fn refuse(
    req: &HttpRequest,
    state: &AppState,
    user: &CurrentUser,
    form: AssetForm,
    errors: AssetErrors,
) -> Result<HttpResponse, AppError> {
    let owner = user.id().clone();
    let pickers = state.db(move |conn| Pickers::load(conn, &owner)).await?;
    let mut upload = UploadBox::new(user, state, form, pickers);
    upload.errors = errors;
    let fragment = crate::web::is_htmx(req);
    html(
        StatusCode::UNPROCESSABLE_ENTITY,
        &UploadPage {
            ctx: PageContext::for_user(user, "assets").as_fragment(fragment),
            upload,
        },
    )
}

/// `GET /assets/upload`: the upload form on a page of its own.
pub async fn form(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<AssetForm>,
) -> Result<HttpResponse, AppError> {
    let owner = user.id().clone();
    let pickers = state.db(move |conn| Pickers::load(conn, &owner)).await?;
    let form = AssetForm {
        return_to: crate::web::safe_next(Some(query.return_to.as_str()).filter(|r| !r.is_empty())),
        ..query.into_inner()
    };
    html(
        StatusCode::OK,
        &UploadPage {
            ctx: PageContext::for_user(&user, "assets"),
            upload: UploadBox::new(&user, &state, form, pickers),
        },
    )
}

/// `POST /assets/upload` (multipart): every file is saved, or none.
pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    mut payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let max = state.settings.upload_max_bytes;
    let declared: Option<u64> = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    if declared.is_some_and(|len| len > max * MAX_FILES as u64 + 1_000_000) {
        return Err(AppError::FileTooLarge(format!(
            "An upload may carry at most {MAX_FILES} files of {} MB each. Nothing was saved.",
            max / 1_000_000
        )));
    }
    let dir = state.settings.upload_dir();
    let mut form = AssetForm::default();
    let mut spooled = Vec::new();
    let mut too_many = false;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| unreadable())?;
        let field_name = field.name().unwrap_or_default().to_string();
        if field_name == "files" {
            let file_name = field
                .content_disposition()
                .and_then(|cd| cd.get_filename())
                .map(files::clean_file_name)
                .unwrap_or_default();
            if file_name.is_empty() || spooled.len() >= MAX_FILES {
                // An empty file input, or one file too many: read past it.
                too_many |= !file_name.is_empty();
                while let Some(chunk) = field.next().await {
                    chunk.map_err(|_| unreadable())?;
                }
                continue;
            }
            spooled.push(spool(&mut field, &dir, max, file_name).await?);
        } else {
            let value = read_text(&mut field).await?;
            match field_name.as_str() {
                "name" => form.name = value,
                "category" => form.category = value,
                "tags" => form.tags = value,
                "client_id" => form.client_id = value,
                "project_id" => form.project_id = value,
                "task_id" => form.task_id = value,
                "return_to" => form.return_to = value,
                _ => {}
            }
        }
    }

    let owner = user.id().clone();
    let submitted = form.clone();
    let checked = state
        .db(move |conn| check_form(conn, &owner, &submitted))
        .await?;
    let (checked, mut errors) = match checked {
        Ok(checked) => (Some(checked), AssetErrors::default()),
        Err(errors) => (None, errors),
    };
    if spooled.is_empty() {
        errors
            .files
            .push("Choose at least one file to upload.".into());
    }
    if too_many {
        errors.files.push(format!(
            "At most {MAX_FILES} files per upload; choose fewer."
        ));
    }
    let mut prepared = Vec::with_capacity(spooled.len());
    for file in spooled {
        match prepare(file).await {
            Ok(p) => prepared.push(p),
            Err(message) => errors.files.push(message),
        }
    }
    let checked = match checked {
        Some(checked) if !errors.any() => checked,
        _ => return refuse(&req, &state, &user, form, errors).await,
    };

    // Store every object; on any failure remove what was stored and save nothing.
    let mut stored: Vec<ObjectKey> = Vec::new();
    let mut rows = Vec::with_capacity(prepared.len());
    let now = crate::db::now();
    let single = prepared.len() == 1;
    for p in &mut prepared {
        let original = ObjectKey::original(&p.id);
        let thumb_key = match p.thumbnail.take() {
            Some(bytes) => {
                let key = ObjectKey::thumbnail(&p.id);
                if let Err(e) = state.storage.put_bytes(&key, bytes, "image/jpeg").await {
                    abandon(&state, &stored).await;
                    return Err(e.into());
                }
                stored.push(key.clone());
                Some(key)
            }
            None => None,
        };
        if let Err(e) = state
            .storage
            .put_file(&original, p.spooled.temp.path(), p.detected.mime)
            .await
        {
            abandon(&state, &stored).await;
            return Err(e.into());
        }
        stored.push(original.clone());
        let name = match (&checked.name, single) {
            (Some(name), true) => name.clone(),
            _ => p.spooled.name.clone(),
        };
        let fields = checked.fields(name);
        rows.push((
            Asset {
                id: p.id.clone(),
                user_id: user.id().clone(),
                project_id: fields.project_id,
                client_id: fields.client_id,
                asset_type: p.detected.asset_type,
                category: fields.category,
                name: fields.name,
                storage_path: original.to_string(),
                url: format!("/assets/{}/file", p.id),
                thumbnail_url: thumb_key
                    .as_ref()
                    .map(|_| format!("/assets/{}/thumb", p.id)),
                file_size: i64::try_from(p.spooled.size).unwrap_or(i64::MAX),
                mime_type: p.detected.mime.to_string(),
                created_at: now,
                updated_at: now,
                sha256: Some(p.spooled.sha256.clone()),
                width: p.dimensions.and_then(|(w, _)| i32::try_from(w).ok()),
                height: p.dimensions.and_then(|(_, h)| i32::try_from(h).ok()),
                thumbnail_path: thumb_key.map(|k| k.to_string()),
                original_name: Some(p.spooled.name.clone()),
            },
            fields.tags,
        ));
    }
    let first = rows.first().map(|(a, _)| a.id.clone());
    let task = checked.task_id.clone();
    let saved = state
        .db_write(move |conn| Ok(assets::insert_all(conn, &rows, task.as_ref())?))
        .await;
    if let Err(e) = saved {
        abandon(&state, &stored).await;
        return Err(e);
    }
    let back = match (form.return_to.is_empty(), single, first) {
        (false, _, _) => crate::web::safe_next(Some(&form.return_to)),
        (true, true, Some(id)) => format!("/assets/{id}"),
        _ => "/assets".to_string(),
    };
    Ok(see_other(&req, &back))
}

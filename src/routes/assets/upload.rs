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

use super::{AssetErrors, AssetForm, CheckedForm, Pickers, UploadBox, check_form};
use crate::auth::CurrentUser;
use crate::db::models::assets::{self, Asset, AssetFields};
use crate::domain::files::{self, Detected, SNIFF_BYTES};
use crate::domain::*;
use crate::error::AppError;
use crate::media;
use crate::state::AppState;
use crate::storage::{ObjectKey, ObjectStore, StorageError};
use crate::web::safe_next;
use crate::web::{PageContext, html};

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

/// The upload form on a page of its own; its block `form` answers htmx.
#[derive(Template)]
#[template(path = "assets/upload.html", blocks = ["form"])]
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
    let page = UploadPage {
        ctx: PageContext::for_user(user, "assets"),
        upload,
    };
    if crate::web::is_htmx(req) {
        html(StatusCode::UNPROCESSABLE_ENTITY, &page.as_form())
    } else {
        html(StatusCode::UNPROCESSABLE_ENTITY, &page)
    }
}

/// `GET /assets/upload`: the upload form on a page of its own.
pub async fn form(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<AssetForm>,
) -> Result<HttpResponse, AppError> {
    let owner = user.id().clone();
    let pickers = state.db(move |conn| Pickers::load(conn, &owner)).await?;
    // Opened on its own, the upload page comes back to the files, not to Today.
    let form = AssetForm {
        return_to: match query.return_to.as_str() {
            "" => "/assets".to_string(),
            back => safe_next(Some(back)),
        },
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

/// What a multipart upload carried: the form's text fields and every file,
/// spooled to disk.
struct Received {
    form: AssetForm,
    files: Vec<Spooled>,
    /// More than `MAX_FILES` files came (the rest were read past and dropped).
    too_many: bool,
}

/// Reads the multipart body: text fields into the form, each file spooled to
/// `dir` (refused past `max` bytes).
async fn receive(payload: &mut Multipart, dir: &Path, max: u64) -> Result<Received, AppError> {
    let mut received = Received {
        form: AssetForm::default(),
        files: Vec::new(),
        too_many: false,
    };
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| unreadable())?;
        let field_name = field.name().unwrap_or_default().to_string();
        if field_name != "files" {
            let value = read_text(&mut field).await?;
            let form = &mut received.form;
            let slot = match field_name.as_str() {
                "name" => &mut form.name,
                "category" => &mut form.category,
                "tags" => &mut form.tags,
                "client_id" => &mut form.client_id,
                "project_id" => &mut form.project_id,
                "task_id" => &mut form.task_id,
                "return_to" => &mut form.return_to,
                _ => continue,
            };
            *slot = value;
            continue;
        }
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(files::clean_file_name)
            .unwrap_or_default();
        if file_name.is_empty() || received.files.len() >= MAX_FILES {
            // An empty file input, or one file too many: read past it.
            received.too_many |= !file_name.is_empty();
            while let Some(chunk) = field.next().await {
                chunk.map_err(|_| unreadable())?;
            }
            continue;
        }
        received
            .files
            .push(spool(&mut field, dir, max, file_name).await?);
    }
    Ok(received)
}

/// Checks the form against the owner's data and each file's content; every
/// problem at once.
async fn check_upload(
    state: &AppState,
    user: &CurrentUser,
    received: Received,
) -> Result<Result<(CheckedForm, Vec<Prepared>), (AssetForm, AssetErrors)>, AppError> {
    let (owner, submitted) = (user.id().clone(), received.form.clone());
    let checked = state
        .db(move |conn| check_form(conn, &owner, &submitted))
        .await?;
    let (checked, mut errors) = match checked {
        Ok(checked) => (Some(checked), AssetErrors::default()),
        Err(errors) => (None, errors),
    };
    if received.files.is_empty() {
        errors
            .files
            .push("Choose at least one file to upload.".into());
    }
    if received.too_many {
        errors.files.push(format!(
            "At most {MAX_FILES} files per upload; choose fewer."
        ));
    }
    let mut prepared = Vec::with_capacity(received.files.len());
    for file in received.files {
        match prepare(file).await {
            Ok(p) => prepared.push(p),
            Err(message) => errors.files.push(message),
        }
    }
    Ok(match checked {
        Some(checked) if !errors.any() => Ok((checked, prepared)),
        _ => Err((received.form, errors)),
    })
}

/// Stores every object of the upload, then writes every row in one transaction.
/// On any failure what was stored is removed and nothing is saved. Returns the
/// first asset's id.
async fn store_upload(
    state: &AppState,
    user: &CurrentUser,
    checked: CheckedForm,
    mut prepared: Vec<Prepared>,
) -> Result<Option<AssetId>, AppError> {
    let mut stored: Vec<ObjectKey> = Vec::new();
    let mut rows = Vec::with_capacity(prepared.len());
    let now = state.clock.stamp();
    let single = prepared.len() == 1;
    for p in &mut prepared {
        match store_objects(state, p).await {
            Ok(keys) => {
                let thumb = keys.thumbnail.clone();
                stored.extend(keys.thumbnail);
                stored.push(keys.original.clone());
                let name = match (&checked.name, single) {
                    (Some(name), true) => name.clone(),
                    _ => p.spooled.name.clone(),
                };
                rows.push(row_of(
                    p,
                    user.id(),
                    &checked.fields(name),
                    &keys.original,
                    thumb,
                    now,
                ));
            }
            Err(e) => {
                abandon(state, &stored).await;
                return Err(e);
            }
        }
    }
    let first = rows.first().map(|(a, _)| a.id.clone());
    let task = checked.task_id.clone();
    let saved = state
        .db_write_as(user, move |conn| {
            Ok(assets::insert_all(conn, &rows, task.as_ref())?)
        })
        .await;
    if let Err(e) = saved {
        abandon(state, &stored).await;
        return Err(e);
    }
    Ok(first)
}

/// Where one file's objects went.
struct StoredKeys {
    original: ObjectKey,
    thumbnail: Option<ObjectKey>,
}

/// Stores a file and its thumbnail (if any); on failure removes what it stored.
async fn store_objects(state: &AppState, p: &mut Prepared) -> Result<StoredKeys, AppError> {
    let thumbnail = match p.thumbnail.take() {
        Some(bytes) => {
            let key = ObjectKey::thumbnail(&p.id);
            state.storage.put_bytes(&key, bytes, "image/jpeg").await?;
            Some(key)
        }
        None => None,
    };
    let original = ObjectKey::original(&p.id);
    let put = state
        .storage
        .put_file(&original, p.spooled.temp.path(), p.detected.mime)
        .await;
    if let Err(e) = put {
        abandon(state, thumbnail.as_slice()).await;
        return Err(e.into());
    }
    Ok(StoredKeys {
        original,
        thumbnail,
    })
}

/// The asset row (and its tags) of a stored file.
fn row_of(
    p: &Prepared,
    owner: &UserId,
    fields: &AssetFields,
    original: &ObjectKey,
    thumb: Option<ObjectKey>,
    now: chrono::NaiveDateTime,
) -> (Asset, Vec<String>) {
    let asset = Asset {
        id: p.id.clone(),
        user_id: owner.clone(),
        project_id: fields.project_id.clone(),
        client_id: fields.client_id.clone(),
        asset_type: p.detected.asset_type,
        category: fields.category.clone(),
        name: fields.name.clone(),
        storage_path: original.to_string(),
        url: format!("/assets/{}/file", p.id),
        thumbnail_url: thumb.as_ref().map(|_| format!("/assets/{}/thumb", p.id)),
        file_size: i64::try_from(p.spooled.size).unwrap_or(i64::MAX),
        mime_type: p.detected.mime.to_string(),
        created_at: now,
        updated_at: now,
        sha256: Some(p.spooled.sha256.clone()),
        width: p.dimensions.and_then(|(w, _)| i32::try_from(w).ok()),
        height: p.dimensions.and_then(|(_, h)| i32::try_from(h).ok()),
        thumbnail_path: thumb.map(|k| k.to_string()),
        original_name: Some(p.spooled.name.clone()),
    };
    (asset, fields.tags.clone())
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
    let received = receive(&mut payload, &state.settings.upload_dir(), max).await?;
    let return_to = received.form.return_to.clone();
    let (checked, prepared) = match check_upload(&state, &user, received).await? {
        Ok(ready) => ready,
        Err((form, errors)) => return refuse(&req, &state, &user, form, errors).await,
    };
    let single = prepared.len() == 1;
    let names: Vec<String> = prepared.iter().map(|p| p.spooled.name.clone()).collect();
    let first = store_upload(&state, &user, checked, prepared).await?;
    let back = match (return_to.is_empty(), single, first) {
        (false, _, _) => safe_next(Some(&return_to)),
        (true, true, Some(id)) => format!("/assets/{id}"),
        _ => "/assets".to_string(),
    };
    let notice = Notice::new(match names.as_slice() {
        [one] => format!("Uploaded “{one}”."),
        many => format!("Uploaded {} files.", many.len()),
    });
    Ok(crate::web::notice::see_other_with(
        &req,
        &back,
        Some(&notice),
        state.sessions.secure,
    ))
}

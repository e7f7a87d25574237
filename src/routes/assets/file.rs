//! `/assets/{id}/file` and `/assets/{id}/thumb`: the stored files, to their owner
//! only, streamed with the headers that keep them inert (a sandboxing CSP,
//! `nosniff`, a content disposition), honouring a single byte range.

use actix_web::body::SizedStream;
use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::assets;
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::storage::{ObjectKey, ObjectStore};

/// Whether the stored MIME type may be shown in the page (never SVG or HTML).
/// PDFs download: a browser's PDF viewer does not run under `sandbox`, and a
/// PDF can carry scripts and forms, so it never opens in our origin.
pub fn inline_safe(mime: &str) -> bool {
    matches!(
        mime,
        "image/png"
            | "image/jpeg"
            | "image/gif"
            | "image/webp"
            | "image/avif"
            | "video/mp4"
            | "video/quicktime"
            | "video/webm"
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FileQuery {
    pub download: String,
}

fn disposition(kind: DispositionType, name: &str) -> ContentDisposition {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    ContentDisposition {
        disposition: kind,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: name.as_bytes().to_vec(),
            }),
        ],
    }
}

/// The file name to download under: the asset's name, with the original
/// extension added back when the name lost it.
fn download_name(asset: &assets::Asset) -> String {
    let ext = asset
        .original_name
        .as_deref()
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext {
        Some(ext)
            if !asset
                .name
                .to_ascii_lowercase()
                .ends_with(&format!(".{ext}")) =>
        {
            format!("{}.{ext}", asset.name)
        }
        _ => asset.name.clone(),
    }
}

/// Streams a stored object with the headers that keep it inert, honouring a
/// single `Range: bytes=a-b` (video seeking, resumed downloads) with 206.
async fn stream(
    req: &HttpRequest,
    state: &AppState,
    key: &str,
    mime: &str,
    disposition: ContentDisposition,
) -> Result<HttpResponse, AppError> {
    use crate::storage::{ByteRange, StorageError};
    let key = ObjectKey::parse(key).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("asset row holds a malformed storage key"))
    })?;
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(ByteRange::parse);
    let object = match state.storage.get(&key, range).await {
        Ok(object) => object,
        Err(StorageError::NotFound) => {
            tracing::error!(key = %key, "asset file missing; run `lauf storage check`");
            return Err(AppError::NotFound);
        }
        Err(StorageError::BadRange { total }) => {
            return Ok(HttpResponse::RangeNotSatisfiable()
                .insert_header((header::CONTENT_RANGE, format!("bytes */{total}")))
                .finish());
        }
        Err(e) => return Err(e.into()),
    };
    let mut response = match object.range {
        Some((start, end)) => {
            let mut partial = HttpResponse::PartialContent();
            partial.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {start}-{end}/{}", object.total),
            ));
            partial
        }
        None => HttpResponse::Ok(),
    };
    Ok(response
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CONTENT_TYPE, mime.to_string()))
        .insert_header(disposition)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
        ))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .body(SizedStream::new(object.len, object.body)))
}

/// One of the user's assets; anyone else's id is a 404.
async fn owned(
    state: &AppState,
    user: &CurrentUser,
    id: AssetId,
) -> Result<assets::Asset, AppError> {
    let owner = user.id().clone();
    state
        .db(move |conn| assets::find(conn, &owner, &id)?.ok_or(AppError::NotFound))
        .await
}

/// The file itself, to its owner only. Shown in the page only for formats a
/// browser renders without running anything (never SVG or HTML); everything else
/// downloads.
pub async fn file(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<AssetId>,
    query: web::Query<FileQuery>,
) -> Result<HttpResponse, AppError> {
    let asset = owned(&state, &user, id.into_inner()).await?;
    let kind = if query.download.is_empty() && inline_safe(&asset.mime_type) {
        DispositionType::Inline
    } else {
        DispositionType::Attachment
    };
    stream(
        &req,
        &state,
        &asset.storage_path,
        &asset.mime_type,
        disposition(kind, &download_name(&asset)),
    )
    .await
}

pub async fn thumbnail(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<AssetId>,
) -> Result<HttpResponse, AppError> {
    let asset = owned(&state, &user, id.into_inner()).await?;
    let key = asset.thumbnail_path.ok_or(AppError::NotFound)?;
    stream(
        &req,
        &state,
        &key,
        "image/jpeg",
        disposition(
            DispositionType::Inline,
            &format!("{} (thumbnail).jpg", asset.name),
        ),
    )
    .await
}

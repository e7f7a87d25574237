//! `/assets`: the gallery (grid or list, filters, search, sort, pages), one asset's
//! page (preview, metadata, tags, links), editing, deleting, and serving the files
//! themselves, only to their owner. Uploading is in `upload`.

pub mod upload;

use actix_web::body::SizedStream;
use actix_web::http::StatusCode;
use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::db::models::assets::{self, AssetCard, AssetFields, AssetFilter, AssetSort};
use crate::db::models::{clients, projects, tasks};
use crate::domain::files::{self, human_size};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::storage::{ObjectKey, ObjectStore};
use crate::web::{PageContext, html, see_other};

pub const PAGE_SIZE: i64 = 48;

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

    pub fn action(&self) -> String {
        format!("/assets/upload?csrf_token={}", self.csrf)
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct GalleryQuery {
    #[serde(rename = "type")]
    pub asset_type: String,
    pub category: String,
    pub tag: String,
    pub client: String,
    pub project: String,
    pub q: String,
    pub sort: String,
    pub view: String,
    pub page: String,
}

fn gallery_pairs(q: &GalleryQuery) -> Vec<(&'static str, String)> {
    [
        ("type", &q.asset_type),
        ("category", &q.category),
        ("tag", &q.tag),
        ("client", &q.client),
        ("project", &q.project),
        ("q", &q.q),
        ("sort", &q.sort),
        ("view", &q.view),
        ("page", &q.page),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| (k, v.trim().to_string()))
    .collect()
}

/// Reads the gallery's query: each bad value is reported and ignored.
pub(crate) fn parse_gallery(q: &GalleryQuery) -> (AssetFilter, Vec<String>) {
    let mut problems = Vec::new();
    let mut filter = AssetFilter::default();
    fn some(s: &str) -> Option<&str> {
        Some(s.trim()).filter(|s| !s.is_empty())
    }
    if let Some(t) = some(&q.asset_type) {
        match AssetType::parse(t) {
            Ok(t) => filter.asset_type = Some(t),
            Err(_) => problems.push(format!("Unknown type {t:?} ignored.")),
        }
    }
    filter.category = some(&q.category).map(str::to_lowercase);
    filter.tag = some(&q.tag).map(str::to_lowercase);
    if let Some(c) = some(&q.client) {
        match ClientId::parse(c) {
            Ok(c) => filter.client = Some(c),
            Err(_) => problems.push("That client filter is not valid and was ignored.".into()),
        }
    }
    if let Some(p) = some(&q.project) {
        match ProjectId::parse(p) {
            Ok(p) => filter.project = Some(p),
            Err(_) => problems.push("That project filter is not valid and was ignored.".into()),
        }
    }
    if let Some(text) = some(&q.q) {
        filter.search = Some(text.chars().take(100).collect());
    }
    if let Some(s) = some(&q.sort) {
        match AssetSort::parse(s) {
            Some(s) => filter.sort = s,
            None => problems.push(format!("Unknown sort {s:?} ignored.")),
        }
    }
    (filter, problems)
}

/// An asset as a card or row shows it.
pub struct CardView {
    pub card: AssetCard,
}

impl CardView {
    pub fn id(&self) -> &AssetId {
        &self.card.asset.id
    }
    pub fn name(&self) -> &str {
        &self.card.asset.name
    }
    pub fn size(&self) -> String {
        human_size(self.card.asset.file_size)
    }
    pub fn has_thumbnail(&self) -> bool {
        self.card.asset.thumbnail_path.is_some()
    }
    pub fn type_label(&self) -> &'static str {
        self.card.asset.asset_type.label()
    }
    pub fn type_css(&self) -> String {
        format!(
            "type-{}",
            self.card.asset.asset_type.as_str().to_ascii_lowercase()
        )
    }
    /// The extension in capitals, for a card without a thumbnail.
    pub fn badge(&self) -> String {
        self.card
            .asset
            .original_name
            .as_deref()
            .unwrap_or(&self.card.asset.name)
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_uppercase())
            .filter(|e| e.len() <= 5)
            .unwrap_or_else(|| self.type_label().to_ascii_uppercase())
    }
    pub fn uploaded(&self) -> String {
        self.card.asset.created_at.format("%-d %b %Y").to_string()
    }
}

#[derive(Template)]
#[template(path = "assets/gallery.html")]
pub struct GalleryPage {
    pub ctx: PageContext,
    pub query: GalleryQuery,
    pub cards: Vec<CardView>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub list_view: bool,
    pub problems: Vec<String>,
    pub tags: Vec<(String, i64)>,
    pub upload: UploadBox,
}

impl GalleryPage {
    pub fn types(&self) -> &'static [AssetType] {
        AssetType::ALL
    }
    pub fn sorts(&self) -> &'static [(AssetSort, &'static str, &'static str)] {
        &AssetSort::ALL
    }
    pub fn url_with(&self, key: &str, value: &str) -> String {
        let mut q = self.query.clone();
        match key {
            "page" => q.page = value.into(),
            "view" => q.view = value.into(),
            "tag" => {
                q.tag = value.into();
                q.page.clear();
            }
            _ => {}
        }
        format!(
            "/assets?{}",
            serde_urlencoded::to_string(gallery_pairs(&q)).unwrap_or_default()
        )
    }
    pub fn first_shown(&self) -> i64 {
        if self.total == 0 {
            0
        } else {
            (self.page - 1) * PAGE_SIZE + 1
        }
    }
    pub fn last_shown(&self) -> i64 {
        (self.page * PAGE_SIZE).min(self.total)
    }
    pub fn filtered(&self) -> bool {
        gallery_pairs(&self.query)
            .iter()
            .any(|(k, _)| !matches!(*k, "sort" | "view" | "page"))
    }
}

pub async fn gallery(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<GalleryQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let (filter, problems) = parse_gallery(&query);
    let requested: i64 = query.page.trim().parse().unwrap_or(1).clamp(1, 100_000);
    let id = user.id().clone();
    let (cards, total, tags, pickers) = state
        .db(move |conn| {
            let (cards, total) =
                assets::gallery(conn, &id, &filter, (requested - 1) * PAGE_SIZE, PAGE_SIZE)?;
            Ok((
                cards,
                total,
                assets::tag_counts(conn, &id)?,
                Pickers::load(conn, &id)?,
            ))
        })
        .await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = GalleryPage {
        ctx: PageContext::for_user(&user, "assets")
            .as_fragment(crate::web::is_htmx(&req) && req.headers().contains_key("HX-Target")),
        list_view: query.view == "list",
        upload: UploadBox::new(&user, &state, AssetForm::default(), pickers),
        query,
        cards: cards.into_iter().map(|card| CardView { card }).collect(),
        total,
        page: requested.min(pages),
        pages,
        problems,
        tags,
    };
    html(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "assets/show.html")]
pub struct AssetPage {
    pub ctx: PageContext,
    pub view: CardView,
    pub detected_inline: bool,
    pub form: AssetForm,
    pub errors: AssetErrors,
    pub pickers: Pickers,
    pub blocks: Vec<(TaskId, String, Option<chrono::NaiveDate>)>,
    pub recent_blocks: Vec<(TaskId, String, Option<chrono::NaiveDate>)>,
    /// Other files of the owner with identical content.
    pub duplicates: Vec<(AssetId, String)>,
}

impl AssetPage {
    pub fn asset(&self) -> &assets::Asset {
        &self.view.card.asset
    }
    pub fn is_image(&self) -> bool {
        self.view.card.asset.asset_type == AssetType::Image
    }
    pub fn is_video(&self) -> bool {
        self.view.card.asset.asset_type == AssetType::Video && self.detected_inline
    }
    pub fn dimensions(&self) -> Option<String> {
        let a = &self.view.card.asset;
        Some(format!("{} × {} px", a.width?, a.height?))
    }
}

fn form_of(card: &AssetCard) -> AssetForm {
    AssetForm {
        name: card.asset.name.clone(),
        category: card.asset.category.clone().unwrap_or_default(),
        tags: card.tags.join(", "),
        client_id: card
            .asset
            .client_id
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        project_id: card
            .asset
            .project_id
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        task_id: String::new(),
        return_to: String::new(),
    }
}

/// Whether the stored MIME type may be shown in the page (never SVG or HTML).
fn inline_safe(mime: &str) -> bool {
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
            | "application/pdf"
    )
}

async fn asset_page(
    state: &AppState,
    user: &CurrentUser,
    id: AssetId,
    edited: Option<(AssetForm, AssetErrors)>,
) -> Result<HttpResponse, AppError> {
    let owner = user.id().clone();
    let (card, pickers, blocks, recent_blocks, duplicates) = state
        .db(move |conn| {
            let card = assets::card(conn, &owner, &id)?.ok_or(AppError::NotFound)?;
            let blocks = assets::tasks_of(conn, &owner, &id)?;
            let recent = tasks::recent_titles(conn, &owner, 30)?;
            let duplicates = assets::same_content(conn, &owner, &card.asset)?;
            Ok((
                card,
                Pickers::load(conn, &owner)?,
                blocks,
                recent,
                duplicates,
            ))
        })
        .await?;
    let (status, form, errors) = match edited {
        Some((form, errors)) => (StatusCode::UNPROCESSABLE_ENTITY, form, errors),
        None => (StatusCode::OK, form_of(&card), AssetErrors::default()),
    };
    let linked: Vec<&TaskId> = blocks.iter().map(|(t, _, _)| t).collect();
    let recent_blocks = recent_blocks
        .into_iter()
        .filter(|(t, _, _)| !linked.contains(&t))
        .collect();
    html(
        status,
        &AssetPage {
            ctx: PageContext::for_user(user, "assets"),
            detected_inline: inline_safe(&card.asset.mime_type),
            view: CardView { card },
            form,
            errors,
            pickers,
            blocks,
            recent_blocks,
            duplicates,
        },
    )
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<AssetId>,
) -> Result<HttpResponse, AppError> {
    asset_page(&state, &user, id.into_inner(), None).await
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<AssetId>,
    form: web::Form<AssetForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let owner = user.id().clone();
    let (asset_id, submitted) = (id.clone(), form.clone());
    let outcome = state
        .db_write(move |conn| {
            assets::find(conn, &owner, &asset_id)?.ok_or(AppError::NotFound)?;
            let checked = match check_form(conn, &owner, &submitted)? {
                Ok(checked) => checked,
                Err(errors) => return Ok(Err(errors)),
            };
            let Some(name) = checked.name.clone() else {
                return Ok(Err(AssetErrors {
                    name: Some("Name is required".into()),
                    ..AssetErrors::default()
                }));
            };
            assets::update(conn, &owner, &asset_id, &checked.fields(name))?;
            Ok(Ok(()))
        })
        .await?;
    match outcome {
        Ok(()) => Ok(see_other(&req, &format!("/assets/{id}"))),
        Err(errors) => asset_page(&state, &user, id, Some((form, errors))).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReturnForm {
    pub return_to: String,
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<AssetId>,
    form: web::Form<ReturnForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let owner = user.id().clone();
    let keys = state
        .db_write(move |conn| assets::delete(conn, &owner, &id)?.ok_or(AppError::NotFound))
        .await?;
    // The row is gone and its objects are queued in the same transaction; remove
    // them now. A failure stays queued and is retried (and `lauf storage check`
    // reports it): no row ever points at a missing file.
    crate::storage::maintenance::remove_queued(&state.database, &state.storage, &keys).await;
    let back = crate::web::safe_next(Some(form.return_to.as_str()).filter(|r| !r.is_empty()));
    let back = if back == "/" {
        "/assets".to_string()
    } else {
        back
    };
    Ok(see_other(&req, &back))
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
    let sandbox = if mime == "application/pdf" {
        ""
    } else {
        "; sandbox"
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
            format!("default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'{sandbox}"),
        ))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .body(SizedStream::new(object.len, object.body)))
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
    let owner = user.id().clone();
    let id = id.into_inner();
    let asset = state
        .db(move |conn| assets::find(conn, &owner, &id)?.ok_or(AppError::NotFound))
        .await?;
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
    let owner = user.id().clone();
    let id = id.into_inner();
    let asset = state
        .db(move |conn| assets::find(conn, &owner, &id)?.ok_or(AppError::NotFound))
        .await?;
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

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    pub asset_id: String,
    pub task_id: String,
    pub return_to: String,
}

fn back_to(form_return: &str, fallback: String) -> String {
    if form_return.is_empty() {
        fallback
    } else {
        crate::web::safe_next(Some(form_return))
    }
}

/// Links an asset to a block (from either side's page).
pub async fn link(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, AppError> {
    change_link(req, state, user, form.into_inner(), true).await
}

pub async fn unlink(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, AppError> {
    change_link(req, state, user, form.into_inner(), false).await
}

/// Both the block and the file must be the user's (404 otherwise).
async fn change_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    form: LinkForm,
    linked: bool,
) -> Result<HttpResponse, AppError> {
    let owner = user.id().clone();
    let (Ok(task), Ok(asset)) = (TaskId::parse(&form.task_id), AssetId::parse(&form.asset_id))
    else {
        return Err(AppError::NotFound);
    };
    let (t, a) = (task.clone(), asset.clone());
    state
        .db_write(move |conn| {
            tasks::find(conn, &owner, &t)?.ok_or(AppError::NotFound)?;
            assets::find(conn, &owner, &a)?.ok_or(AppError::NotFound)?;
            if linked {
                assets::link_to_task(conn, &t, &a)?;
            } else {
                assets::unlink_from_task(conn, &t, &a)?;
            }
            Ok(())
        })
        .await?;
    Ok(see_other(
        &req,
        &back_to(&form.return_to, format!("/assets/{asset}")),
    ))
}

/// The files section of a client's or project's page.
#[derive(Template)]
#[template(path = "assets/_section.html")]
pub struct FilesSection {
    pub cards: Vec<CardView>,
    pub total: i64,
    pub all_url: String,
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
        let all_url = match (&data.project, &data.client) {
            (Some(p), _) => format!("/assets?project={p}"),
            (None, Some(c)) => format!("/assets?client={c}"),
            _ => "/assets".into(),
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
                .map(|card| CardView { card })
                .collect(),
            total: data.total,
            all_url,
            upload: UploadBox::new(user, state, form, pickers),
        }
    }
}

//! `/assets`: the gallery in grid or list, with filters (type, category, tag,
//! client, project), name search, sort and pages, and the upload box.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{AssetForm, Pickers, UploadBox};
use crate::auth::CurrentUser;
use crate::db::models::assets::{self, AssetCard, AssetFilter, AssetSort};
use crate::domain::files::human_size;
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html, htmx_target};

pub const PAGE_SIZE: i64 = 48;

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
    // A value with control characters is nobody's filter (and PostgreSQL refuses
    // U+0000 in text): reported and ignored like any other bad value.
    let mut q = q.clone();
    for value in [
        &mut q.asset_type,
        &mut q.category,
        &mut q.tag,
        &mut q.client,
        &mut q.project,
        &mut q.q,
        &mut q.sort,
    ] {
        if crate::domain::text::stray_control(value, false).is_some() {
            value.clear();
            problems.push("A filter held control characters and was ignored.".into());
        }
    }
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
    /// Stored instants in the user's zone.
    pub dates: crate::domain::LocalDates,
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
        self.dates.date(&self.card.asset.created_at)
    }
}

/// The page; its block `results` answers a filter change.
#[derive(Template)]
#[template(path = "assets/gallery.html", blocks = ["results"])]
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
        ctx: PageContext::for_user(&user, "assets"),
        list_view: query.view == "list",
        upload: UploadBox::new(&user, &state, AssetForm::default(), pickers),
        query,
        cards: cards
            .into_iter()
            .map(|card| CardView {
                card,
                dates: user.dates(state.clock.now()),
            })
            .collect(),
        total,
        page: requested.min(pages),
        pages,
        problems,
        tags,
    };
    if htmx_target(&req).as_deref() == Some("asset-results") {
        html(StatusCode::OK, &page.as_results())
    } else {
        html(StatusCode::OK, &page)
    }
}

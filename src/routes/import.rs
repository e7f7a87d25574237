//! CSV imports with a preview, for any kind of row (`Import`): the file is
//! read against what the user already has, each row is matched to a stored one
//! and shown as new, an update (with the changed fields) or the same (skipped);
//! every problem is named by row and field; the commit saves every row or none.
//!
//! The kinds (`clients::csv::Clients`, `projects::csv::Projects`) say their
//! columns, how a row finds its stored twin and how a row is saved; the
//! parsing, the preview page and the three handlers are here, once.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use futures_util::StreamExt;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::db::models::audit::{self, AuditEvent};
use crate::domain::{AuditAction, Notice, UserId};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csv::undefuse;
use crate::web::{PageContext, html};

/// Files larger than this are refused (a freelancer's lists are far smaller).
pub const MAX_IMPORT_BYTES: usize = 200 * 1024;
pub const MAX_IMPORT_ROWS: usize = 2_000;

/// One kind of row a CSV file can bring in. `Self` is what the import is read
/// against: the user's stored rows (and whatever else a row refers to).
pub trait Import: Sized + Send + 'static {
    /// The form a row fills, column by column.
    type Form: Clone + Default + Send + std::fmt::Debug;
    /// A valid row, as saved.
    type Fields: PartialEq + Send + std::fmt::Debug;
    /// The stored row a file row matches.
    type Key: Clone + Send + std::fmt::Debug;

    /// "clients": the page's words and its path (`/clients/import`).
    const KIND: &'static str;
    /// The columns a file may have, the first one required.
    const COLUMNS: &'static [&'static str];
    /// How a row finds its stored twin, in words for the preview.
    const MATCHED_BY: &'static str;
    /// The preview table's headings after "Row" and "Import does".
    const HEADINGS: &'static [&'static str];
    /// The audit action of a committed import.
    const AUDIT: AuditAction;

    /// Everything a file is read against, from the database.
    fn load(conn: &mut AnyConnection, user: &UserId) -> Result<Self, AppError>;
    /// The column a header names (aliases like "retainer" welcome).
    fn column_of(header: &str) -> Option<&'static str>;
    /// A column as a person calls it ("monthly retainer").
    fn words(column: &str) -> &'static str;
    /// The form field a column fills.
    fn slot<'a>(form: &'a mut Self::Form, column: &str) -> &'a mut String;
    /// A cell as the form takes it; `None` leaves the field as it was (an
    /// empty cell of a column that has a default).
    fn cell(column: &str, value: String) -> Option<String>;
    /// The stored row a file row is, with its form.
    fn find(&self, row: &Cells) -> Option<(Self::Key, Self::Form)>;
    /// A new row's form before its cells.
    fn blank(&self) -> Self::Form;
    /// The form checked, or each problem with its column.
    fn parse(&self, form: &Self::Form) -> Result<Self::Fields, Vec<(String, String)>>;
    /// The preview's cells, under `HEADINGS`.
    fn cells(&self, form: &Self::Form) -> Vec<String>;
    /// Saves one row (new or an update of `Key`).
    fn save(
        conn: &mut AnyConnection,
        user: &UserId,
        row: &Row<Self>,
        now: NaiveDateTime,
    ) -> Result<(), AppError>;
}

/// A file row's cells by column (undefused, as `Import::cell` took them).
pub struct Cells(Vec<(&'static str, String)>);

impl Cells {
    /// The cell of `column`, or "" when the file lacks it.
    pub fn get(&self, column: &str) -> &str {
        self.0
            .iter()
            .find(|(c, _)| *c == column)
            .map_or("", |(_, v)| v.trim())
    }
}

/// One problem of an import: where, and what.
#[derive(Debug)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub message: String,
}

/// What importing a row does: a new row, changes to the one it matches, or
/// nothing (it says what is already stored).
#[derive(Debug, Clone, PartialEq)]
pub enum Action<K> {
    New,
    Update(K, Vec<&'static str>),
    Same(K),
}

/// A parsed, valid row.
pub struct Row<I: Import> {
    /// Its line in the file (the header is line 1).
    pub row: usize,
    pub form: I::Form,
    pub fields: I::Fields,
    pub action: Action<I::Key>,
}

impl<I: Import> std::fmt::Debug for Row<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Row")
            .field("row", &self.row)
            .field("form", &self.form)
            .field("fields", &self.fields)
            .field("action", &self.action)
            .finish()
    }
}

/// Parses and validates the whole file against `known`: every valid row with
/// what importing it does, or every problem.
pub fn parse<I: Import>(known: &I, text: &str) -> Result<Vec<Row<I>>, Vec<RowError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let fail = |row: usize, field: &str, message: String| {
        vec![RowError {
            row,
            field: field.into(),
            message,
        }]
    };
    let headers = reader
        .headers()
        .map_err(|e| fail(1, "header", format!("the file is not CSV: {e}")))?
        .clone();
    let mut columns = Vec::new();
    for header in headers.iter() {
        match I::column_of(header) {
            Some(c) => columns.push(c),
            None => {
                return Err(fail(
                    1,
                    header,
                    format!(
                        "unknown column {header:?}; known: {}",
                        I::COLUMNS.join(", ")
                    ),
                ));
            }
        }
    }
    let required = I::COLUMNS[0];
    if !columns.contains(&required) {
        return Err(fail(
            1,
            required,
            format!("the file needs a {required} column"),
        ));
    }
    let mut good = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        if i >= MAX_IMPORT_ROWS {
            errors.push(RowError {
                row,
                field: "file".into(),
                message: format!("at most {MAX_IMPORT_ROWS} rows per import"),
            });
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    row,
                    field: "row".into(),
                    message: format!("cannot be read: {e}"),
                });
                continue;
            }
        };
        // The row's values, with an export's defusing undone.
        let cells = Cells(
            columns
                .iter()
                .zip(record.iter())
                .filter_map(|(column, value)| Some((*column, I::cell(column, undefuse(value))?)))
                .collect(),
        );
        // A match starts from the row as stored: a column the file lacks stays.
        let found = known.find(&cells);
        let values = &cells.0;
        let base = match &found {
            Some((_, form)) => form.clone(),
            None => known.blank(),
        };
        let mut form = base.clone();
        for (column, value) in values {
            *I::slot(&mut form, column) = value.clone();
        }
        let fields = match known.parse(&form) {
            Ok(fields) => fields,
            Err(problems) => {
                errors.extend(problems.into_iter().map(|(field, message)| RowError {
                    row,
                    field,
                    message,
                }));
                continue;
            }
        };
        let action = match (found, known.parse(&base)) {
            (None, _) => Action::New,
            (Some((key, _)), Ok(stored)) => {
                // A column changes when taking the file's value alone changes the
                // stored row (so "1200" and "1200.00" are the same).
                let changed: Vec<&'static str> = values
                    .iter()
                    .filter(|(column, value)| {
                        let mut one = base.clone();
                        *I::slot(&mut one, column) = value.clone();
                        known.parse(&one).is_ok_and(|f| f != stored)
                    })
                    .map(|(column, _)| I::words(column))
                    .collect();
                if changed.is_empty() {
                    Action::Same(key)
                } else {
                    Action::Update(key, changed)
                }
            }
            (Some((key, _)), Err(_)) => Action::Update(key, vec!["every field"]),
        };
        good.push(Row {
            row,
            form,
            fields,
            action,
        });
    }
    if good.is_empty() && errors.is_empty() {
        errors.push(RowError {
            row: 2,
            field: "file".into(),
            message: "the file has no rows".into(),
        });
    }
    if errors.is_empty() {
        Ok(good)
    } else {
        Err(errors)
    }
}

/// How many rows are new, updates and the same.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub new: usize,
    pub update: usize,
    pub same: usize,
}

impl Tally {
    fn of<K>(actions: impl Iterator<Item = Action<K>>) -> Tally {
        actions.fold(Tally::default(), |mut t, a| {
            match a {
                Action::New => t.new += 1,
                Action::Update(..) => t.update += 1,
                Action::Same(_) => t.same += 1,
            }
            t
        })
    }
}

/// A preview row as the page shows it.
pub struct PreviewRow {
    pub row: usize,
    pub does: String,
    pub class: &'static str,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "import.html")]
pub struct ImportPage {
    pub ctx: PageContext,
    pub kind: &'static str,
    pub columns: &'static [&'static str],
    pub matched_by: &'static str,
    pub headings: &'static [&'static str],
    pub errors: Vec<RowError>,
    pub preview: Vec<PreviewRow>,
    pub tally: Tally,
    pub csv: String,
    pub max_kb: usize,
}

fn page<I: Import>(
    user: &CurrentUser,
    known: Option<&I>,
    errors: Vec<RowError>,
    rows: Vec<Row<I>>,
    csv: String,
) -> ImportPage {
    let tally = Tally::of(rows.iter().map(|r| r.action.clone()));
    let preview = match known {
        Some(known) => rows
            .into_iter()
            .map(|r| PreviewRow {
                row: r.row,
                cells: known.cells(&r.form),
                does: match &r.action {
                    Action::New => "new".into(),
                    Action::Update(_, changed) => format!("update: {}", changed.join(", ")),
                    Action::Same(_) => "same (skipped)".into(),
                },
                class: match r.action {
                    Action::New => "is-new",
                    Action::Update(..) => "is-update",
                    Action::Same(_) => "is-same",
                },
            })
            .collect(),
        None => Vec::new(),
    };
    ImportPage {
        ctx: PageContext::for_user(user, I::KIND),
        kind: I::KIND,
        columns: I::COLUMNS,
        matched_by: I::MATCHED_BY,
        headings: I::HEADINGS,
        errors,
        preview,
        tally,
        csv,
        max_kb: MAX_IMPORT_BYTES / 1024,
    }
}

async fn known<I: Import>(state: &AppState, user: &CurrentUser) -> Result<I, AppError> {
    let id = user.id().clone();
    state.db(move |conn| I::load(conn, &id)).await
}

/// `GET /{kind}/import`: the upload form.
pub async fn form<I: Import>(user: CurrentUser) -> Result<HttpResponse, AppError> {
    html(
        StatusCode::OK,
        &page::<I>(&user, None, Vec::new(), Vec::new(), String::new()),
    )
}

/// `POST /{kind}/import`: reads the uploaded file (bounded) and shows the
/// preview or every row's problems.
pub async fn upload<I: Import>(
    state: web::Data<AppState>,
    user: CurrentUser,
    mut payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let mut data = Vec::new();
    while let Some(field) = payload.next().await {
        let mut field =
            field.map_err(|_| AppError::BadRequest("The upload could not be read.".into()))?;
        if field.name() != Some("file") {
            continue;
        }
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|_| AppError::BadRequest("The upload could not be read.".into()))?;
            if data.len() + chunk.len() > MAX_IMPORT_BYTES {
                return Err(AppError::PayloadTooLarge);
            }
            data.extend_from_slice(&chunk);
        }
    }
    let text = String::from_utf8(data)
        .map_err(|_| AppError::Unprocessable("The file is not UTF-8 text.".into()))?;
    let text = text.trim_start_matches('\u{feff}').to_string();
    let known = known::<I>(&state, &user).await?;
    match parse(&known, &text) {
        Ok(rows) => html(
            StatusCode::OK,
            &page(&user, Some(&known), Vec::new(), rows, text),
        ),
        Err(errors) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page::<I>(&user, None, errors, Vec::new(), String::new()),
        ),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CommitForm {
    csv: String,
}

/// `POST /{kind}/import/commit`: saves every row in one transaction, or none.
pub async fn commit<I: Import>(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<CommitForm>,
) -> Result<HttpResponse, AppError> {
    let text = form.into_inner().csv;
    let known = known::<I>(&state, &user).await?;
    let rows = match parse(&known, &text) {
        Ok(rows) => rows,
        Err(errors) => {
            return html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page::<I>(&user, None, errors, Vec::new(), String::new()),
            );
        }
    };
    let tally = Tally::of(rows.iter().map(|r| r.action.clone()));
    let id = user.id().clone();
    let now = state.clock.stamp();
    state
        .db_write_as(&user, move |conn| {
            for row in rows.iter().filter(|r| !matches!(r.action, Action::Same(_))) {
                I::save(conn, &id, row, now)?;
            }
            audit::record(
                conn,
                AuditEvent::new(I::AUDIT, now)
                    .user(&id)
                    .details(serde_json::json!({ "count": tally.new, "updated": tally.update })),
            )?;
            Ok(())
        })
        .await?;
    let notice = Notice::new(format!(
        "Imported {}: {} new, {} updated, {} unchanged.",
        I::KIND,
        tally.new,
        tally.update,
        tally.same
    ));
    Ok(crate::web::notice::see_other_with(
        &req,
        &format!("/{}", I::KIND),
        Some(&notice),
        state.sessions.secure,
    ))
}

/// `/{kind}/import` (the form, and the upload's preview) and
/// `/{kind}/import/commit`.
pub fn routes<I: Import>() -> actix_web::Scope {
    use web::{get, post, resource};
    web::scope(&format!("/{}/import", I::KIND))
        .service(
            resource("")
                .route(get().to(form::<I>))
                .route(post().to(upload::<I>)),
        )
        .service(
            resource("/commit")
                .app_data(crate::web::extract::form_config_limit(256 * 1024))
                .route(post().to(commit::<I>)),
        )
}

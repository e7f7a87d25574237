//! Clients as CSV: `/clients.csv` (never the credentials) and `/clients/import`,
//! with a preview, per-row errors (row number and field) and an all-or-nothing
//! commit.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::StreamExt;
use serde::Deserialize;

use super::form::ClientForm;
use crate::auth::CurrentUser;
use crate::db::models::audit::{self, AuditEvent};
use crate::db::models::clients::{self, Client, ClientFields, ClientFilter};
use crate::domain::{AuditAction, ClientId, ClientStatus, HealthScore, Notice};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csv::{download, undefuse, write_rows};
use crate::web::{PageContext, html};

/// Imports larger than this are refused (a freelancer's client list is far smaller).
pub const MAX_IMPORT_BYTES: usize = 200 * 1024;
pub const MAX_IMPORT_ROWS: usize = 2_000;

const CLIENT_COLUMNS: &[&str] = &[
    "name",
    "email",
    "phone",
    "company",
    "industry",
    "website_url",
    "github_url",
    "vercel_url",
    "figma_url",
    "status",
    "health_score",
    "payment_status",
    "contract_value",
    "monthly_retainer",
    "followup_cadence_days",
    "next_followup",
    "referred_by",
    "notes",
];

/// Every client as CSV (never the credentials).
pub async fn export_clients(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let list = state
        .db(move |conn| Ok(clients::search(conn, &id, &ClientFilter::default())?))
        .await?;
    let rows = list
        .iter()
        .map(|c| {
            let f = ClientForm::of(c);
            vec![
                f.name,
                f.email,
                f.phone,
                f.company,
                f.industry,
                f.website_url,
                f.github_url,
                f.vercel_url,
                f.figma_url,
                f.status,
                f.health_score,
                f.payment_status,
                f.contract_value,
                f.monthly_retainer,
                f.followup_cadence_days,
                f.next_followup,
                f.referred_by,
                f.notes,
            ]
        })
        .collect();
    Ok(download("clients.csv", write_rows(CLIENT_COLUMNS, rows)?))
}

/// One problem of an import: where, and what.
#[derive(Debug)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub message: String,
}

/// What importing a row does: a new client, changes to the one it matches
/// (by email, else by exact name and company), or nothing (it says what the
/// client already has).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    New,
    Update(ClientId, Vec<&'static str>),
    Same(ClientId),
}

/// A parsed, valid row for the preview.
#[derive(Debug)]
pub struct PreviewRow {
    pub row: usize,
    pub form: ClientForm,
    pub action: Action,
}

impl PreviewRow {
    pub fn status_label(&self) -> &'static str {
        ClientStatus::parse(&self.form.status).map_or("", ClientStatus::label)
    }
    pub fn health_label(&self) -> &'static str {
        HealthScore::parse(&self.form.health_score).map_or("", HealthScore::label)
    }
    /// "new", "update: email, phone" or "same".
    pub fn action_words(&self) -> String {
        match &self.action {
            Action::New => "new".into(),
            Action::Update(_, changed) => format!("update: {}", changed.join(", ")),
            Action::Same(_) => "same (skipped)".into(),
        }
    }
    pub fn action_class(&self) -> &'static str {
        match self.action {
            Action::New => "is-new",
            Action::Update(..) => "is-update",
            Action::Same(_) => "is-same",
        }
    }
}

/// The words a person reads for a column ("monthly retainer").
fn column_words(column: &str) -> &'static str {
    match column {
        "name" => "name",
        "email" => "email",
        "phone" => "phone",
        "company" => "company",
        "industry" => "industry",
        "website_url" => "website",
        "github_url" => "GitHub",
        "vercel_url" => "Vercel",
        "figma_url" => "Figma",
        "status" => "status",
        "health_score" => "health",
        "payment_status" => "payments",
        "contract_value" => "contract value",
        "monthly_retainer" => "monthly retainer",
        "followup_cadence_days" => "follow-up cadence",
        "next_followup" => "next follow-up",
        "referred_by" => "referred by",
        _ => "notes",
    }
}

/// The form field a column fills.
fn slot<'a>(form: &'a mut ClientForm, column: &str) -> &'a mut String {
    match column {
        "name" => &mut form.name,
        "email" => &mut form.email,
        "phone" => &mut form.phone,
        "company" => &mut form.company,
        "industry" => &mut form.industry,
        "website_url" => &mut form.website_url,
        "github_url" => &mut form.github_url,
        "vercel_url" => &mut form.vercel_url,
        "figma_url" => &mut form.figma_url,
        "status" => &mut form.status,
        "health_score" => &mut form.health_score,
        "payment_status" => &mut form.payment_status,
        "contract_value" => &mut form.contract_value,
        "monthly_retainer" => &mut form.monthly_retainer,
        "followup_cadence_days" => &mut form.followup_cadence_days,
        "next_followup" => &mut form.next_followup,
        "referred_by" => &mut form.referred_by,
        _ => &mut form.notes,
    }
}

/// The existing client a row is: same email (any case), else same name and company.
fn matching<'a>(
    existing: &'a [Client],
    name: &str,
    email: &str,
    company: &str,
) -> Option<&'a Client> {
    let email = email.trim();
    if !email.is_empty()
        && let Some(c) = existing.iter().find(|c| {
            c.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
    {
        return Some(c);
    }
    existing.iter().find(|c| {
        c.name == name.trim() && c.company.as_deref().unwrap_or_default() == company.trim()
    })
}

fn column_of(header: &str) -> Option<&'static str> {
    let key = header.trim().to_lowercase().replace([' ', '-'], "_");
    let key = match key.as_str() {
        "website" => "website_url",
        "github" => "github_url",
        "vercel" => "vercel_url",
        "figma" => "figma_url",
        "health" => "health_score",
        "payment" | "payments" => "payment_status",
        "retainer" => "monthly_retainer",
        "contract" => "contract_value",
        "cadence" => "followup_cadence_days",
        other => other,
    };
    CLIENT_COLUMNS.iter().copied().find(|c| *c == key)
}

/// Parses and validates the whole file against the user's `existing` clients:
/// every valid row with what importing it does, or every problem.
pub fn parse_import(
    text: &str,
    existing: &[Client],
) -> Result<Vec<(PreviewRow, ClientFields)>, Vec<RowError>> {
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
        match column_of(header) {
            Some(c) => columns.push(c),
            None => {
                return Err(fail(
                    1,
                    header,
                    format!(
                        "unknown column {header:?}; known: {}",
                        CLIENT_COLUMNS.join(", ")
                    ),
                ));
            }
        }
    }
    if !columns.contains(&"name") {
        return Err(fail(1, "name", "the file needs a name column".into()));
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
        let mut values: Vec<(&'static str, String)> = Vec::new();
        for (column, value) in columns.iter().zip(record.iter()) {
            let value = undefuse(value);
            if value.is_empty()
                && matches!(
                    *column,
                    "status" | "health_score" | "payment_status" | "followup_cadence_days"
                )
            {
                continue;
            }
            // Enum columns are matched in any case ("red" is RED).
            let value = if matches!(*column, "status" | "health_score" | "payment_status") {
                value.to_uppercase()
            } else {
                value
            };
            values.push((column, value));
        }
        let value_of = |column: &str| {
            values
                .iter()
                .find(|(c, _)| *c == column)
                .map_or("", |(_, v)| v.as_str())
        };
        let found = matching(
            existing,
            value_of("name"),
            value_of("email"),
            value_of("company"),
        );
        // A match starts from the client as stored: a column the file lacks stays.
        let base = match found {
            Some(c) => ClientForm::of(c),
            None => ClientForm {
                status: "ACTIVE".into(),
                health_score: "GREEN".into(),
                payment_status: "CURRENT".into(),
                followup_cadence_days: "14".into(),
                ..Default::default()
            },
        };
        let mut form = base.clone();
        for (column, value) in &values {
            *slot(&mut form, column) = value.clone();
        }
        let fields = match form.parse() {
            Ok(fields) => fields,
            Err(e) => {
                errors.extend(e.by_field().into_iter().map(|(field, message)| RowError {
                    row,
                    field: field.into(),
                    message,
                }));
                continue;
            }
        };
        let action = match (found, base.parse()) {
            (None, _) => Action::New,
            (Some(c), Ok(stored)) => {
                // A column changes when taking the file's value alone changes the
                // stored client (so "1200" and "1200.00" are the same).
                let changed: Vec<&'static str> = values
                    .iter()
                    .filter(|(column, value)| {
                        let mut one = base.clone();
                        *slot(&mut one, column) = value.clone();
                        one.parse().is_ok_and(|f| f != stored)
                    })
                    .map(|(column, _)| column_words(column))
                    .collect();
                if changed.is_empty() {
                    Action::Same(c.id.clone())
                } else {
                    Action::Update(c.id.clone(), changed)
                }
            }
            (Some(c), Err(_)) => Action::Update(c.id.clone(), vec!["every field"]),
        };
        good.push((PreviewRow { row, form, action }, fields));
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

#[derive(Template)]
#[template(path = "clients/import.html")]
pub struct ImportPage {
    pub ctx: PageContext,
    pub errors: Vec<RowError>,
    pub preview: Vec<PreviewRow>,
    pub csv: String,
    pub max_kb: usize,
}

impl ImportPage {
    fn count(&self, wanted: fn(&Action) -> bool) -> usize {
        self.preview.iter().filter(|p| wanted(&p.action)).count()
    }
    pub fn count_new(&self) -> usize {
        self.count(|a| matches!(a, Action::New))
    }
    pub fn count_update(&self) -> usize {
        self.count(|a| matches!(a, Action::Update(..)))
    }
    pub fn count_same(&self) -> usize {
        self.count(|a| matches!(a, Action::Same(_)))
    }
}

fn page(
    user: &CurrentUser,
    errors: Vec<RowError>,
    preview: Vec<PreviewRow>,
    csv: String,
) -> ImportPage {
    ImportPage {
        ctx: PageContext::for_user(user, "clients"),
        errors,
        preview,
        csv,
        max_kb: MAX_IMPORT_BYTES / 1024,
    }
}

pub async fn import_form(user: CurrentUser) -> Result<HttpResponse, AppError> {
    html(
        StatusCode::OK,
        &page(&user, Vec::new(), Vec::new(), String::new()),
    )
}

/// Reads the uploaded file (bounded) and shows the preview or every row's problems.
pub async fn import_upload(
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
    let existing = existing_clients(&state, &user).await?;
    match parse_import(&text, &existing) {
        Ok(rows) => html(
            StatusCode::OK,
            &page(
                &user,
                Vec::new(),
                rows.into_iter().map(|(p, _)| p).collect(),
                text,
            ),
        ),
        Err(errors) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&user, errors, Vec::new(), String::new()),
        ),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CommitForm {
    csv: String,
}

async fn existing_clients(state: &AppState, user: &CurrentUser) -> Result<Vec<Client>, AppError> {
    let id = user.id().clone();
    state
        .db(move |conn| Ok(clients::search(conn, &id, &ClientFilter::default())?))
        .await
}

/// Saves every row in one transaction, or none: new clients made, matched ones
/// updated, unchanged ones left alone.
pub async fn import_commit(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<CommitForm>,
) -> Result<HttpResponse, AppError> {
    let text = form.into_inner().csv;
    let existing = existing_clients(&state, &user).await?;
    let rows = match parse_import(&text, &existing) {
        Ok(rows) => rows,
        Err(errors) => {
            return html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&user, errors, Vec::new(), String::new()),
            );
        }
    };
    let id = user.id().clone();
    let now = state.clock.stamp();
    let count =
        |wanted: fn(&Action) -> bool| rows.iter().filter(|(p, _)| wanted(&p.action)).count();
    let (new, updated, same) = (
        count(|a| matches!(a, Action::New)),
        count(|a| matches!(a, Action::Update(..))),
        count(|a| matches!(a, Action::Same(_))),
    );
    state
        .db_write_as(&user, move |conn| {
            for (preview, fields) in &rows {
                match &preview.action {
                    Action::New => {
                        clients::create(conn, &id, fields, now)?;
                    }
                    Action::Update(client, _) => {
                        clients::update(conn, &id, client, fields, now)?;
                    }
                    Action::Same(_) => {}
                }
            }
            audit::record(
                conn,
                AuditEvent::new(AuditAction::ClientsImported, now)
                    .user(&id)
                    .details(serde_json::json!({ "count": new, "updated": updated })),
            )?;
            Ok(())
        })
        .await?;
    let notice = Notice::new(format!(
        "Imported: {} new, {} updated, {} unchanged.",
        new, updated, same
    ));
    Ok(crate::web::notice::see_other_with(
        &req,
        "/clients",
        Some(&notice),
        state.sessions.secure,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_parses_with_defaults_and_aliases() {
        let rows = parse_import(
            "Name,Email,Health,Retainer\nAcme,hi@acme.example,red,100\nBeta,,,\n",
            &[],
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].1.health_score, crate::domain::HealthScore::Red);
        assert_eq!(rows[1].1.status, crate::domain::ClientStatus::Active);
        assert_eq!(rows[0].0.row, 2);
    }

    #[test]
    fn every_bad_row_is_named_with_its_field() {
        let errors = parse_import(
            "name,email,monthly_retainer\nGood,,\n,nope,abc\nFine,x@y.io,12\n",
            &[],
        )
        .unwrap_err();
        let found: Vec<(usize, String)> = errors.iter().map(|e| (e.row, e.field.clone())).collect();
        assert_eq!(
            found,
            vec![
                (3, "name".into()),
                (3, "email".into()),
                (3, "monthly_retainer".into())
            ]
        );
        assert_eq!(
            parse_import("name,shoe_size\nA,42\n", &[]).unwrap_err()[0].field,
            "shoe_size"
        );
        assert_eq!(
            parse_import("name\n", &[]).unwrap_err()[0].message,
            "the file has no rows"
        );
    }
}

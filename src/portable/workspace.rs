//! One account's data as a file of its own: the export Settings offers (every kind
//! of row the user owns, one JSON-lines file each, plus their files) and its import
//! into an empty account, here or on another instance.
//!
//! An import gives every row a new id (the export may come back into the instance
//! it left, beside the account it came from) and points every reference at the new
//! ids; files are stored under their asset's new id. It is all or nothing: every
//! row is checked first and every problem named by file and line.

use std::collections::HashMap;
use std::io::{Read, Seek, Write};

use diesel::Connection;
use serde_json::Value;

use super::archive::{self, FilePart, Manifest, TablePart};
use super::{BATCH, keys_of};
use crate::db::rows::{self, Kind, Row, Shape};
use crate::db::{self, AnyConnection};
use crate::domain::UserId;
use crate::storage::ObjectKey;

pub const FORMAT: &str = "lauf-workspace";

/// Which of a table's rows are the user's.
#[derive(Debug, Clone, Copy)]
enum Scope {
    /// The user's own row (`users`).
    Own,
    /// Rows with the user's `user_id`.
    User,
    /// Rows whose `column` names a row of `parent` with the user's `user_id`.
    Via {
        column: &'static str,
        parent: &'static str,
    },
}

/// A kind of row in an export, and the file it travels in.
#[derive(Debug, Clone, Copy)]
pub struct Part {
    pub table: &'static str,
    pub entry: &'static str,
    scope: Scope,
}

const fn part(table: &'static str, entry: &'static str, scope: Scope) -> Part {
    Part {
        table,
        entry,
        scope,
    }
}

/// Everything an account owns that another instance can use, parents first.
/// Left out: sign-in secrets and sessions, the calendar feed's token, Undo entries.
pub const PARTS: &[Part] = &[
    part("users", "profile.jsonl", Scope::Own),
    part("activities", "activities.jsonl", Scope::User),
    part("clients", "clients.jsonl", Scope::User),
    part(
        "projects",
        "projects.jsonl",
        Scope::Via {
            column: "client_id",
            parent: "clients",
        },
    ),
    part(
        "opportunities",
        "opportunities.jsonl",
        Scope::Via {
            column: "client_id",
            parent: "clients",
        },
    ),
    part("goals", "goals.jsonl", Scope::User),
    part(
        "goal_periods",
        "goal_periods.jsonl",
        Scope::Via {
            column: "goal_id",
            parent: "goals",
        },
    ),
    part(
        "goal_progress",
        "goal_progress.jsonl",
        Scope::Via {
            column: "goal_id",
            parent: "goals",
        },
    ),
    part("routines", "routines.jsonl", Scope::User),
    part(
        "routine_skips",
        "routine_skips.jsonl",
        Scope::Via {
            column: "routine_id",
            parent: "routines",
        },
    ),
    part("tasks", "blocks.jsonl", Scope::User),
    part("assets", "assets.jsonl", Scope::User),
    part("asset_tags", "asset_tags.jsonl", Scope::User),
    part(
        "task_assets",
        "block_assets.jsonl",
        Scope::Via {
            column: "task_id",
            parent: "tasks",
        },
    ),
    part("payments", "payments.jsonl", Scope::User),
    part("day_closings", "day_closings.jsonl", Scope::User),
    part("weekly_notes", "weekly_notes.jsonl", Scope::User),
    part("business_days", "business_days.jsonl", Scope::User),
    part("audit_logs", "timeline.jsonl", Scope::User),
];

/// The SQL condition selecting `user`'s rows of `part` (the id is a checked UUID).
fn filter(part: &Part, user: &UserId) -> String {
    let id = user.as_str();
    debug_assert!(id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
    match part.scope {
        Scope::Own => format!("id = '{id}'"),
        Scope::User => format!("user_id = '{id}'"),
        Scope::Via { column, parent } => {
            format!("{column} IN (SELECT id FROM {parent} WHERE user_id = '{id}')")
        }
    }
}

/// Rows of `user` in `part`'s table as an export carries them.
fn exported(part: &Part, mut row: Row) -> Row {
    if part.table == "clients" {
        // Credentials stay behind: sealed to this instance's keys, and never
        // written out as plain text.
        row.insert("credentials".into(), Value::Null);
    }
    row
}

/// Writes every table part of `user`'s workspace (read in one snapshot) into
/// `writer`; returns the parts and the stored files the rows name.
pub fn write_tables<W: Write + Seek>(
    conn: &mut AnyConnection,
    user: &UserId,
    writer: &mut archive::Writer<W>,
) -> anyhow::Result<(Vec<TablePart>, Vec<ObjectKey>)> {
    db::snapshot(conn, |conn| {
        let mut parts = Vec::new();
        let mut keys = Vec::new();
        for part in PARTS {
            let shape = rows::shape(conn, part.table)?;
            let mut entry = writer.entry(part.entry, true)?;
            let mut tally = rows::Tally::default();
            let mut failed = None;
            rows::for_each_batch(conn, &shape, &filter(part, user), BATCH, |batch| {
                for row in batch {
                    let row = exported(part, row.clone());
                    tally.add(&shape, &row);
                    if let Err(e) = entry.row(&row) {
                        failed = Some(e);
                    }
                    if part.table == "assets" {
                        keys.extend(keys_of(&row));
                    }
                }
                Ok(())
            })?;
            if let Some(e) = failed {
                return Err(e.into());
            }
            let (sha256, _) = entry.finish();
            parts.push(TablePart {
                table: part.table.into(),
                entry: part.entry.into(),
                sha256,
                tally,
            });
        }
        Ok((parts, keys))
    })
}

/// The manifest of an export.
pub fn manifest(
    migration: String,
    source: &str,
    now: chrono::NaiveDateTime,
    tables: Vec<TablePart>,
    files: Vec<FilePart>,
    missing_files: Vec<String>,
) -> Manifest {
    Manifest {
        format: FORMAT.into(),
        format_version: 1,
        app_version: env!("CARGO_PKG_VERSION").into(),
        migration,
        source: source.into(),
        created_at: now
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        tables,
        files,
        missing_files,
        keys: None,
    }
}

/// What a new account starts with: the activity catalog it is given at sign-up,
/// and the timeline of signing up and in. An import replaces the catalog.
const SEEDED: &[&str] = &["activities", "audit_logs"];

/// What the account already holds, when it is not empty: "3 clients".
pub fn not_empty(conn: &mut AnyConnection, user: &UserId) -> anyhow::Result<Option<String>> {
    for part in PARTS.iter().filter(|p| !matches!(p.scope, Scope::Own)) {
        if SEEDED.contains(&part.table) {
            continue;
        }
        let n = rows::count(conn, part.table, &filter(part, user))?;
        if n > 0 {
            let what = part.entry.trim_end_matches(".jsonl").replace('_', " ");
            let what = match (n, what.strip_suffix("ies"), what.strip_suffix('s')) {
                (1, Some(stem), _) => format!("{stem}y"),
                (1, None, Some(stem)) => stem.to_string(),
                _ => what,
            };
            return Ok(Some(format!("{n} {what}")));
        }
    }
    Ok(None)
}

/// An import, checked and ready to save.
#[derive(Debug)]
pub struct Plan {
    /// Each part's rows with new ids, in load order.
    pub tables: Vec<(Part, Vec<(String, Row)>)>,
    /// The profile's name, time zone and preferences, for the account.
    pub profile: Option<Row>,
    /// Archive entry → the key the file is stored under.
    pub files: Vec<(String, ObjectKey)>,
}

impl Plan {
    pub fn rows(&self) -> usize {
        self.tables.iter().map(|(_, rows)| rows.len()).sum()
    }
}

/// At most this many problems are listed.
pub const MAX_ERRORS: usize = 50;

/// Reads and checks an export for `user` (whose shapes `shapes` gives): every
/// problem is returned, named by file and line.
pub fn plan<R: Read + Seek>(
    reader: &mut archive::Reader<R>,
    shapes: &HashMap<&'static str, Shape>,
    user: &UserId,
) -> Result<Plan, Vec<String>> {
    let mut errors = Vec::new();
    let mut read: Vec<(Part, Vec<(String, Row)>)> = Vec::new();
    for table in &reader.manifest.tables {
        if !PARTS.iter().any(|p| p.table == table.table) {
            errors.push(format!(
                "{}: not a kind of row a workspace holds",
                table.entry
            ));
        }
    }
    for part in PARTS {
        let Some(listed) = reader
            .manifest
            .tables
            .iter()
            .find(|t| t.table == part.table)
        else {
            continue;
        };
        let entry = listed.entry.clone();
        let shape = &shapes[part.table];
        let mut rows = Vec::new();
        let lines = match reader.rows(&entry) {
            Ok(lines) => lines,
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        for (i, row) in lines.enumerate() {
            let at = format!("{entry} line {}", i + 1);
            match row
                .map_err(|e| e.to_string())
                .and_then(|row| rows::canonical_row(shape, row).map_err(|e| e.to_string()))
            {
                Ok(row) => rows.push((at, row)),
                Err(e) => errors.push(format!("{at}: {e}")),
            }
            if errors.len() >= MAX_ERRORS {
                return Err(errors);
            }
        }
        read.push((*part, rows));
    }
    // New ids for every row that has one; the profile's id is the account's.
    let mut ids: HashMap<String, String> = HashMap::new();
    for (part, rows) in &read {
        for (_, row) in rows {
            if let Some(Value::String(old)) = row.get("id") {
                let new = if part.table == "users" {
                    user.as_str().to_string()
                } else {
                    uuid::Uuid::new_v4().to_string()
                };
                ids.insert(old.clone(), new);
            }
        }
    }
    let mut profile = None;
    let mut files = Vec::new();
    let mut tables = Vec::new();
    for (part, rows) in read {
        if part.table == "users" {
            profile = rows.into_iter().next().map(|(_, row)| row);
            continue;
        }
        let shape = &shapes[part.table];
        let mut out = Vec::with_capacity(rows.len());
        for (at, mut row) in rows {
            match point_at_new_ids(&mut row, shape, &ids, user) {
                Ok(()) => {}
                Err(e) => {
                    errors.push(format!("{at}: {e}"));
                    if errors.len() >= MAX_ERRORS {
                        return Err(errors);
                    }
                    continue;
                }
            }
            if part.table == "assets" {
                match moved_files(&mut row, &reader.manifest) {
                    Ok(moved) => files.extend(moved),
                    Err(e) => errors.push(format!("{at}: {e}")),
                }
            }
            out.push((at, row));
        }
        tables.push((part, out));
    }
    if errors.is_empty() {
        Ok(Plan {
            tables,
            profile,
            files,
        })
    } else {
        Err(errors)
    }
}

/// Rewrites a row's id and references to the new ids.
fn point_at_new_ids(
    row: &mut Row,
    shape: &Shape,
    ids: &HashMap<String, String>,
    user: &UserId,
) -> Result<(), String> {
    for column in &shape.columns {
        let name = column.name.as_str();
        if column.kind != Kind::Text || !(name == "id" || name.ends_with("_id")) {
            continue;
        }
        let Some(Value::String(old)) = row.get(name).cloned() else {
            continue;
        };
        let new = if name == "user_id" {
            user.as_str().to_string()
        } else if let Some(new) = ids.get(&old) {
            new.clone()
        } else if name == "entity_id" {
            // The timeline may name something deleted since; it stays a name.
            continue;
        } else {
            return Err(format!(
                "{name} {old} names a row that is not in the export"
            ));
        };
        row.insert(name.to_string(), Value::String(new));
    }
    Ok(())
}

/// Points an asset row at its new storage keys; returns entry → new key.
fn moved_files(row: &mut Row, manifest: &Manifest) -> Result<Vec<(String, ObjectKey)>, String> {
    let id = row
        .get("id")
        .and_then(Value::as_str)
        .ok_or("the file has no id")?
        .to_string();
    let asset = crate::domain::AssetId::parse(&id).map_err(|_| "the file's id is not valid")?;
    let mut moved = Vec::new();
    for (column, new) in [
        ("storage_path", ObjectKey::original(&asset)),
        ("thumbnail_path", ObjectKey::thumbnail(&asset)),
    ] {
        let Some(old) = row.get(column).and_then(Value::as_str).map(str::to_string) else {
            continue;
        };
        let old_id = old
            .trim_start_matches("assets/")
            .trim_start_matches("thumbs/")
            .trim_end_matches(".jpg")
            .to_string();
        match manifest.files.iter().find(|f| f.key == old) {
            Some(part) => moved.push((part.entry.clone(), new.clone())),
            None if column == "thumbnail_path" => {
                row.insert(column.into(), Value::Null);
                continue;
            }
            None => return Err(format!("its file {old} is not in the export")),
        }
        row.insert(column.into(), Value::String(new.to_string()));
        for url in ["url", "thumbnail_url"] {
            if let Some(Value::String(text)) = row.get(url).cloned() {
                row.insert(url.into(), Value::String(text.replace(&old_id, &id)));
            }
        }
    }
    Ok(moved)
}

/// Saves a checked plan for `user` (inside the caller's transaction): every row,
/// batch by batch; a batch the database refuses is tried row by row so that each
/// refused row is named. Returns the problems (nothing is kept if there are any:
/// the caller rolls back).
pub fn save(
    conn: &mut AnyConnection,
    plan: &Plan,
    shapes: &HashMap<&'static str, Shape>,
    user: &UserId,
) -> anyhow::Result<Vec<String>> {
    let mut errors = Vec::new();
    // The catalog a new account is given makes way for the imported one (nothing
    // refers to it yet: the account is otherwise empty).
    if plan
        .tables
        .iter()
        .any(|(p, rows)| p.table == "activities" && !rows.is_empty())
    {
        use crate::db::schema::activities;
        use diesel::prelude::*;
        diesel::delete(activities::table.filter(activities::user_id.eq(user))).execute(conn)?;
    }
    for (part, rows) in &plan.tables {
        let shape = &shapes[part.table];
        for chunk in rows.chunks(BATCH as usize) {
            let batch: Vec<Row> = chunk.iter().map(|(_, row)| row.clone()).collect();
            let saved = conn.transaction(|conn| rows::insert_batch(conn, shape, &batch));
            if saved.is_ok() {
                continue;
            }
            for (at, row) in chunk {
                let one = std::slice::from_ref(row);
                if conn
                    .transaction(|conn| rows::insert_batch(conn, shape, one))
                    .is_err()
                {
                    errors.push(format!(
                        "{at}: the database refused this row (a value it does not allow, \
                         or a row that is there twice)"
                    ));
                    if errors.len() >= MAX_ERRORS {
                        return Ok(errors);
                    }
                }
            }
        }
    }
    if let Some(profile) = &plan.profile {
        use crate::db::schema::users;
        use diesel::prelude::*;
        let name = profile.get("name").and_then(Value::as_str);
        let timezone = profile.get("timezone").and_then(Value::as_str);
        let preferences = profile.get("preferences").filter(|p| p.is_object());
        if let Some(zone) = timezone
            && crate::domain::Timezone::parse(zone).is_ok()
        {
            diesel::update(users::table.find(user))
                .set(users::timezone.eq(zone))
                .execute(conn)?;
        }
        if let Some(name) = name {
            diesel::update(users::table.find(user))
                .set(users::name.eq(name))
                .execute(conn)?;
        }
        if let Some(preferences) = preferences {
            let parsed: Result<crate::domain::Preferences, _> =
                serde_json::from_value(preferences.clone());
            match parsed {
                Ok(preferences) => {
                    diesel::update(users::table.find(user))
                        .set(users::preferences.eq(crate::db::Json(preferences)))
                        .execute(conn)?;
                }
                Err(e) => errors.push(format!("profile.jsonl line 1: preferences: {e}")),
            }
        }
    }
    Ok(errors)
}

/// The shapes of every part's table, read from the catalog.
pub fn shapes(conn: &mut AnyConnection) -> anyhow::Result<HashMap<&'static str, Shape>> {
    PARTS
        .iter()
        .map(|p| Ok((p.table, rows::shape(conn, p.table)?)))
        .collect()
}

/// An uploaded export checked for `user`'s account: the plan and the shapes it was
/// read against, or every reason it cannot be imported (as the page says them).
pub type Checked = Result<(Plan, HashMap<&'static str, Shape>), Vec<String>>;

/// Reads and checks the export at `path` for `user`, before anything is stored: the
/// account is empty, the file is an export of this or an older version, every part
/// matches the manifest, and every row is valid.
pub fn check(
    conn: &mut AnyConnection,
    path: &std::path::Path,
    user: &UserId,
) -> anyhow::Result<Checked> {
    if let Some(holds) = not_empty(conn, user)? {
        return Ok(Err(vec![format!(
            "Import goes into an empty account, and this one holds {holds}. \
             Sign up for a new account (or delete this one's data) first."
        )]));
    }
    let mut reader = match archive::Reader::open(path) {
        Ok(reader) => reader,
        Err(e) => return Ok(Err(vec![format!("This file cannot be imported: {e}.")])),
    };
    if reader.manifest.format != FORMAT {
        return Ok(Err(vec![
            "This is not a workspace export (a backup is restored with `lauf restore`).".into(),
        ]));
    }
    if reader.manifest.migration > db::latest_migration(conn.kind()) {
        return Ok(Err(vec![
            "This export comes from a newer LAUF OS; update this one first.".into(),
        ]));
    }
    if let Err(e) = reader.verify() {
        return Ok(Err(vec![format!("This file cannot be imported: {e}.")]));
    }
    let shapes = shapes(conn)?;
    Ok(plan(&mut reader, &shapes, user).map(|plan| (plan, shapes)))
}

//! Keeping rows and objects in step: removing queued objects a while after
//! their rows are gone (`assets::HOLD`, so Undo can bring a file back), and `lauf storage check`, which finds rows without files and files without
//! rows and can repair both.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use indicatif::ProgressBar;

use super::{ObjectKey, ObjectStore, Storage};
use crate::db::Database;
use crate::db::models::assets;
use crate::domain::AssetId;
use crate::error::AppError;

/// Objects younger than this without a row may be an upload in flight: left alone.
const GRACE_SECS: u64 = 3600;

/// Removes `keys` (already queued in `storage_deletions`) from storage and the
/// queue. A failure is recorded on the queue row and logged, for a later retry.
pub async fn remove_queued(database: &Database, storage: &Storage, keys: &[String]) -> usize {
    let mut removed = 0;
    for key in keys {
        let outcome = match ObjectKey::parse(key) {
            Some(object) => storage.delete(&object).await.map_err(|e| e.to_string()),
            // Not a key we make: nothing of ours to delete.
            None => Ok(()),
        };
        let key = key.clone();
        let recorded = match outcome {
            Ok(()) => {
                removed += 1;
                database
                    .write(move |conn| Ok(assets::deletion_done(conn, &key)?))
                    .await
            }
            Err(error) => {
                tracing::warn!(key = %key, %error, "could not remove a deleted asset's file; it stays queued");
                database
                    .write(move |conn| Ok(assets::deletion_failed(conn, &key, &error)?))
                    .await
            }
        };
        if let Err(e) = recorded {
            tracing::warn!(error = %e, "could not update the storage deletion queue");
        }
    }
    removed
}

/// Removes what the deletion queue holds longer than `assets::HOLD` (a file
/// deleted a moment ago waits, in case its delete is undone); returns how many
/// objects went.
pub async fn drain_queue(
    database: &Database,
    storage: &Storage,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let due = now - assets::HOLD;
    let keys = database
        .read(move |conn| Ok(assets::queued_deletions(conn, 1_000, Some(due))?))
        .await?;
    Ok(remove_queued(database, storage, &keys).await)
}

/// What `lauf storage check` found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub rows: usize,
    pub objects: usize,
    /// Assets whose original file is missing.
    pub rows_without_files: Vec<(AssetId, String)>,
    /// Assets whose thumbnail is missing (the original is there).
    pub missing_thumbnails: Vec<(AssetId, String)>,
    /// Objects no row points at, with their size and age in seconds.
    pub files_without_rows: Vec<(String, u64, Option<u64>)>,
    pub queued_deletions: usize,
    pub repaired: usize,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.rows_without_files.is_empty()
            && self.missing_thumbnails.is_empty()
            && self.files_without_rows.is_empty()
            && self.queued_deletions == 0
    }
}

/// Compares rows with objects. With `repair`: rows whose file is gone are deleted
/// (there is nothing left to show), missing thumbnails are forgotten, objects
/// without a row older than an hour are removed, and the deletion queue is retried.
/// `progress` says which step runs and, while repairing, counts the repairs.
pub async fn check(
    database: &Database,
    storage: &Storage,
    repair: bool,
    now: NaiveDateTime,
    progress: &ProgressBar,
) -> anyhow::Result<Report> {
    let mut report = Report::default();
    if repair {
        progress.set_message("retrying queued deletions");
        report.repaired += drain_queue(database, storage, now).await?;
    }
    progress.set_message("listing stored files");
    let listed = storage.list().await?;
    progress.set_message("reading asset rows");
    let rows = database.read(|conn| Ok(assets::all_keys(conn)?)).await?;
    let queued: HashSet<String> = database
        .read(|conn| Ok(assets::queued_deletions(conn, 100_000, None)?))
        .await?
        .into_iter()
        .collect();
    report.queued_deletions = queued.len();
    report.rows = rows.len();
    report.objects = listed.len();
    let present: HashMap<&str, &super::Listed> =
        listed.iter().map(|l| (l.key.as_str(), l)).collect();
    let mut referenced: HashSet<&str> = HashSet::new();
    for (id, original, thumb) in &rows {
        referenced.insert(original);
        if !present.contains_key(original.as_str()) {
            report
                .rows_without_files
                .push((id.clone(), original.clone()));
        }
        if let Some(thumb) = thumb {
            referenced.insert(thumb);
            if !present.contains_key(thumb.as_str()) && present.contains_key(original.as_str()) {
                report.missing_thumbnails.push((id.clone(), thumb.clone()));
            }
        }
    }
    for object in &listed {
        if !referenced.contains(object.key.as_str()) && !queued.contains(&object.key) {
            report
                .files_without_rows
                .push((object.key.clone(), object.size, object.age_secs));
        }
    }
    if repair {
        progress.set_message("repairing");
        progress.set_length(
            (report.rows_without_files.len()
                + report.missing_thumbnails.len()
                + report.files_without_rows.len()) as u64,
        );
        let thumbs: HashMap<&AssetId, &String> = rows
            .iter()
            .filter_map(|(id, _, thumb)| thumb.as_ref().map(|t| (id, t)))
            .collect();
        for (id, _) in &report.rows_without_files {
            // The row goes, and with it its thumbnail, which nothing else shows.
            if let Some(thumb) = thumbs.get(id).and_then(|t| ObjectKey::parse(t)) {
                storage.delete(&thumb).await?;
            }
            let id = id.clone();
            report.repaired += database
                .write(move |conn| Ok(assets::delete_row(conn, &id)?))
                .await?;
            progress.inc(1);
        }
        for (id, _) in &report.missing_thumbnails {
            let id = id.clone();
            report.repaired += database
                .write(move |conn| Ok(assets::clear_thumbnail(conn, &id)?))
                .await?;
            progress.inc(1);
        }
        for (key, _, age) in &report.files_without_rows {
            let old_enough = age.is_none_or(|age| age >= GRACE_SECS);
            if let (Some(object), true) = (ObjectKey::parse(key), old_enough) {
                storage.delete(&object).await?;
                report.repaired += 1;
            }
            progress.inc(1);
        }
    }
    Ok(report)
}

//! Your data, out and back in: `lauf backup`, `lauf restore`, `lauf copy-to`, and
//! one account's workspace export and import (`workspace`).
//!
//! All of them move rows through `db::rows` (canonical JSON per row, one statement
//! per batch) and archives through `archive`. The rules they share:
//!
//! - a target must be empty, checked before anything is written;
//! - rows are loaded in one transaction and counted (and summed) again before it
//!   commits, so a failure leaves the target as it was;
//! - an archive takes its final name only once it is complete, and is checked
//!   against its manifest before anything is loaded from it.

pub mod archive;
pub mod workspace;

use std::collections::BTreeMap;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use futures_util::StreamExt;
use indicatif::ProgressBar;

use crate::crypto::{KeyRing, client_credentials_aad};
use crate::db::models::clients;
use crate::db::rows::{self, Row, Shape, TABLES, Tally};
use crate::db::{self, AnyConnection};
use crate::storage::{ObjectKey, ObjectStore, Storage};
use archive::{FilePart, Manifest, TablePart};

/// Rows per statement when reading and loading.
pub const BATCH: i64 = 500;

pub const BACKUP_FORMAT: &str = "lauf-backup";

/// The storage keys an `assets` row names (original and thumbnail).
pub(crate) fn keys_of(row: &Row) -> impl Iterator<Item = ObjectKey> + '_ {
    ["storage_path", "thumbnail_path"]
        .into_iter()
        .filter_map(|column| row.get(column)?.as_str())
        .filter_map(ObjectKey::parse)
}

/// Streams one stored object into an archive entry.
pub(crate) async fn archive_object<W: Write + Seek>(
    storage: &Storage,
    key: &ObjectKey,
    entry_name: &str,
    writer: &mut archive::Writer<W>,
) -> anyhow::Result<Option<FilePart>> {
    let object = match storage.get(key, None).await {
        Ok(object) => object,
        Err(crate::storage::StorageError::NotFound) => return Ok(None),
        Err(e) => return Err(anyhow!("reading {key}: {e}")),
    };
    let mut entry = writer.entry(entry_name, false)?;
    let mut body = object.body;
    while let Some(chunk) = body.next().await {
        entry.write_all(&chunk.with_context(|| format!("reading {key}"))?)?;
    }
    let (sha256, size) = entry.finish();
    Ok(Some(FilePart {
        key: key.to_string(),
        entry: entry_name.to_string(),
        size,
        sha256,
    }))
}

/// What `backup` wrote.
#[derive(Debug)]
pub struct BackupReport {
    pub manifest: Manifest,
    pub bytes: u64,
}

/// Writes a backup of the whole instance to `out`: every table read in one
/// snapshot while the server keeps serving, then every stored file the rows name,
/// then (when given) the key file, then the manifest. The archive is written beside
/// `out` under a temporary name and renamed to `out` only when complete.
pub async fn backup(
    conn: &mut AnyConnection,
    storage: &Storage,
    out: &Path,
    key_file: Option<&Path>,
    progress: &ProgressBar,
) -> anyhow::Result<BackupReport> {
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if out.exists() {
        bail!("{} exists already; choose a new name", out.display());
    }
    let partial = tempfile::Builder::new()
        .prefix(".lauf-backup-")
        .suffix(".partial")
        .tempfile_in(&dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    let mut writer = archive::Writer::new(partial.reopen()?);
    let migration = rows::migration_version(conn)?;
    let mut keys = Vec::new();
    let tables = db::snapshot(conn, |conn| -> anyhow::Result<Vec<TablePart>> {
        let mut parts = Vec::new();
        for table in TABLES {
            let shape = rows::shape(conn, table)?;
            progress.set_message(table.to_string());
            let name = format!("tables/{table}.jsonl");
            let mut entry = writer.entry(&name, true)?;
            let tally = rows::for_each_batch(conn, &shape, "", BATCH, |batch| {
                for row in batch {
                    entry.row(row).map_err(|e| rows::RowError::Value {
                        table: table.to_string(),
                        column: "(write)".into(),
                        why: e.to_string(),
                    })?;
                    if *table == "assets" {
                        keys.extend(keys_of(row));
                    }
                }
                progress.inc(batch.len() as u64);
                Ok(())
            })?;
            let (sha256, _) = entry.finish();
            parts.push(TablePart {
                table: table.to_string(),
                entry: name,
                sha256,
                tally,
            });
        }
        Ok(parts)
    })?;
    let mut files = Vec::new();
    let mut missing_files = Vec::new();
    progress.set_message("files");
    for key in keys {
        let name = format!("files/{key}");
        match archive_object(storage, &key, &name, &mut writer).await? {
            Some(part) => files.push(part),
            None => missing_files.push(key.to_string()),
        }
    }
    let keys = match key_file {
        Some(path) => {
            let mut entry = writer.entry("keys/keys", true)?;
            std::io::copy(
                &mut std::fs::File::open(path)
                    .with_context(|| format!("reading the key file {}", path.display()))?,
                &mut entry,
            )?;
            let (sha256, size) = entry.finish();
            Some(FilePart {
                key: "keys".into(),
                entry: "keys/keys".into(),
                size,
                sha256,
            })
        }
        None => None,
    };
    let manifest = Manifest {
        format: BACKUP_FORMAT.into(),
        format_version: 1,
        app_version: env!("CARGO_PKG_VERSION").into(),
        migration,
        source: conn.kind().name().into(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        tables,
        files,
        missing_files,
        keys,
    };
    let file = writer.finish(&manifest)?;
    file.sync_all()?;
    let bytes = file.metadata()?.len();
    drop(file);
    // `persist_noclobber`: never replaces a file that appeared meanwhile.
    partial
        .persist_noclobber(out)
        .with_context(|| format!("naming the backup {}", out.display()))?;
    Ok(BackupReport { manifest, bytes })
}

/// Why a target is not empty, or `None` when it is: a table with rows, or a file
/// in its store.
pub async fn not_empty(
    conn: &mut AnyConnection,
    storage: Option<&Storage>,
) -> anyhow::Result<Option<String>> {
    let migrated = rows::table_names(conn)?
        .iter()
        .any(|t| t.as_str() == "users");
    if migrated && let Some((table, n)) = rows::all_empty(conn)? {
        return Ok(Some(format!("its table {table} holds {n} row(s)")));
    }
    if let Some(storage) = storage {
        let listed = storage
            .list()
            .await
            .map_err(|e| anyhow!("listing files: {e}"))?;
        if let Some(first) = listed.first() {
            return Ok(Some(format!(
                "its file store ({}) holds {} file(s), e.g. {}",
                storage.describe(),
                listed.len(),
                first.key
            )));
        }
    }
    Ok(None)
}

/// What `restore` did.
#[derive(Debug, Default)]
pub struct RestoreReport {
    pub tables: Vec<(String, Tally)>,
    pub files: usize,
    pub key_file_written: bool,
    pub credentials: Credentials,
}

/// Whether stored client credentials can be read with the configured keys.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub readable: usize,
    /// Key ids of the envelopes that cannot be read (one entry per envelope).
    pub unreadable: Vec<String>,
}

impl Credentials {
    /// `ring` is `None` when no key is configured at all (every secret is unreadable).
    pub fn check(conn: &mut AnyConnection, ring: Option<&KeyRing>) -> anyhow::Result<Self> {
        let mut out = Credentials::default();
        for (client, owner, envelope) in clients::all_credentials(conn)? {
            let aad = client_credentials_aad(client.as_str(), owner.as_str());
            match ring.map(|ring| ring.decrypt(&envelope, &aad)) {
                Some(Ok(_)) => out.readable += 1,
                _ => out
                    .unreadable
                    .push(KeyRing::kid_of(&envelope).unwrap_or_else(|_| "?".into())),
            }
        }
        Ok(out)
    }

    /// One line a person reads after a restore or copy.
    pub fn describe(&self) -> String {
        if self.unreadable.is_empty() {
            return format!(
                "{} stored client credential(s), all readable with the configured keys",
                self.readable
            );
        }
        let mut kids = self.unreadable.clone();
        kids.sort();
        kids.dedup();
        format!(
            "{} stored client credential(s) CANNOT be read: they were sealed with key(s) {} \
             that are not configured here; restore the key file into the data dir (or set \
             LAUF_DATA_KEYS) to read them ({} readable)",
            self.unreadable.len(),
            kids.join(", "),
            self.readable
        )
    }
}

/// Loads every table part of `reader` into the (empty, migrated to the archive's
/// version) database in one transaction, then counts and sums each table again and
/// compares with the manifest before committing.
fn load_tables<R: std::io::Read + Seek>(
    conn: &mut AnyConnection,
    reader: &mut archive::Reader<R>,
    progress: &ProgressBar,
) -> anyhow::Result<Vec<(String, Tally)>> {
    let parts = reader.manifest.tables.clone();
    for part in &parts {
        if !TABLES.contains(&part.table.as_str()) {
            bail!(
                "the archive has a table this version does not know: {}",
                part.table
            );
        }
    }
    db::write_transaction(conn, |conn| -> anyhow::Result<_> {
        let mut loaded = Vec::new();
        for table in TABLES {
            let Some(part) = parts.iter().find(|p| p.table == *table) else {
                continue;
            };
            progress.set_message(table.to_string());
            let shape = rows::shape(conn, table)?;
            let mut batch = Vec::with_capacity(BATCH as usize);
            for row in reader.rows(&part.entry)? {
                let row = row.map_err(|e| anyhow!("{}: {e}", part.entry))?;
                batch.push(rows::canonical_row(&shape, row)?);
                if batch.len() == BATCH as usize {
                    rows::insert_batch(conn, &shape, &batch)?;
                    progress.inc(batch.len() as u64);
                    batch.clear();
                }
            }
            rows::insert_batch(conn, &shape, &batch)?;
            progress.inc(batch.len() as u64);
            let tally = tally_table(conn, &shape, "")?;
            if tally != part.tally {
                bail!(
                    "{table}: loaded {} rows with sums {:?}, the archive says {} rows with sums {:?}",
                    tally.rows,
                    tally.sums,
                    part.tally.rows,
                    part.tally.sums
                );
            }
            loaded.push((table.to_string(), tally));
        }
        Ok(loaded)
    })
}

/// Counts and sums a table (under `filter`) by reading it back.
pub fn tally_table(conn: &mut AnyConnection, shape: &Shape, filter: &str) -> anyhow::Result<Tally> {
    Ok(rows::for_each_batch(conn, shape, filter, 2000, |_| Ok(()))?)
}

/// Restores a backup into an empty database and an empty file store.
pub async fn restore(
    conn: &mut AnyConnection,
    storage: &Storage,
    file: &Path,
    key_file: &Path,
    keys_from_env: bool,
    progress: &ProgressBar,
) -> anyhow::Result<RestoreReport> {
    let mut reader =
        archive::Reader::open(file).with_context(|| format!("reading {}", file.display()))?;
    if reader.manifest.format != BACKUP_FORMAT {
        bail!(
            "{} is a {} archive, not a backup (a workspace export is imported in Settings)",
            file.display(),
            reader.manifest.format
        );
    }
    let ours = db::latest_migration(conn.kind());
    if reader.manifest.migration > ours {
        bail!(
            "the backup was made by a newer LAUF OS (migration {}, this one knows up to {ours}); \
             restore it with that version or later",
            reader.manifest.migration
        );
    }
    if let Some(why) = not_empty(conn, Some(storage)).await? {
        bail!("refusing to restore into a target that is not empty: {why}; nothing was changed");
    }
    progress.set_message("verifying");
    reader.verify()?;
    let total: u64 = reader.manifest.tables.iter().map(|t| t.tally.rows).sum();
    progress.set_length(total);

    // Files first: if the rows then fail to load, they are taken away again.
    let mut stored = Vec::new();
    let files = reader.manifest.files.clone();
    let outcome: anyhow::Result<Vec<(String, Tally)>> = async {
        for part in &files {
            let key = ObjectKey::parse(&part.key).ok_or_else(|| {
                anyhow!("the archive names a file outside the store: {}", part.key)
            })?;
            let mut spool = tempfile::NamedTempFile::new()?;
            reader.copy_entry(&part.entry, &mut spool)?;
            spool.flush()?;
            storage
                .put_file(&key, spool.path(), "application/octet-stream")
                .await
                .map_err(|e| anyhow!("storing {key}: {e}"))?;
            stored.push(key);
        }
        db::migrate_to(conn, &reader.manifest.migration)?;
        let loaded = load_tables(conn, &mut reader, progress)?;
        db::run_migrations(conn)?;
        db::settle_after_load(conn)?;
        Ok(loaded)
    }
    .await;
    let tables = match outcome {
        Ok(tables) => tables,
        Err(e) => {
            for key in &stored {
                let _ = storage.delete(key).await;
            }
            return Err(e);
        }
    };
    let mut key_file_written = false;
    if let Some(part) = reader.manifest.keys.clone()
        && !keys_from_env
        && !key_file.exists()
    {
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(key_file)?;
        reader.copy_entry(&part.entry, &mut out)?;
        out.sync_all()?;
        key_file_written = true;
    }
    Ok(RestoreReport {
        tables,
        files: stored.len(),
        key_file_written,
        credentials: Credentials::default(),
    })
}

/// One table's figures on both sides of a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compared {
    pub table: String,
    pub source: Tally,
    pub target: Tally,
}

/// Copies every table of `source` into the empty database `target` (migrated here
/// to the same version): read in one snapshot, loaded in one transaction, each
/// table counted and summed on both sides before it commits.
pub fn copy_to(
    source: &mut AnyConnection,
    target: &mut AnyConnection,
    progress: &ProgressBar,
) -> anyhow::Result<Vec<Compared>> {
    db::run_migrations(source)?;
    let migrated = rows::table_names(target)?.iter().any(|t| t == "users");
    if migrated && let Some((table, n)) = rows::all_empty(target)? {
        bail!(
            "refusing to copy into a database that is not empty: its table {table} holds {n} row(s); nothing was changed"
        );
    }
    db::run_migrations(target)?;
    let (source_version, target_version) = (
        rows::migration_version(source)?,
        rows::migration_version(target)?,
    );
    if source_version != target_version {
        bail!("the databases are at different migrations ({source_version} and {target_version})");
    }
    let compared = db::snapshot(source, |source| -> anyhow::Result<Vec<Compared>> {
        let mut total = 0;
        for table in TABLES {
            total += rows::count(source, table, "")?;
        }
        progress.set_length(total as u64);
        db::write_transaction(target, |target| -> anyhow::Result<Vec<Compared>> {
            let mut compared = Vec::new();
            for table in TABLES {
                progress.set_message(table.to_string());
                let from = rows::shape(source, table)?;
                let to = rows::shape(target, table)?;
                if from.names() != to.names() {
                    bail!("{table} has different columns in the two databases");
                }
                let source_tally = rows::for_each_batch(source, &from, "", BATCH, |batch| {
                    rows::insert_batch(target, &to, batch)?;
                    progress.inc(batch.len() as u64);
                    Ok(())
                })?;
                let target_tally = tally_table(target, &to, "")?;
                if target_tally != source_tally {
                    bail!(
                        "{table}: the copy holds {} rows with sums {:?}, the source {} with {:?}; nothing was kept",
                        target_tally.rows,
                        target_tally.sums,
                        source_tally.rows,
                        source_tally.sums
                    );
                }
                compared.push(Compared {
                    table: table.to_string(),
                    source: source_tally,
                    target: target_tally,
                });
            }
            Ok(compared)
        })
    })?;
    db::settle_after_load(target)?;
    Ok(compared)
}

/// Copies every object of `from` that `to` does not hold yet (by key and size).
pub async fn copy_files(
    from: &Storage,
    to: &Storage,
    progress: &ProgressBar,
) -> anyhow::Result<(usize, usize)> {
    let source = from
        .list()
        .await
        .map_err(|e| anyhow!("listing {}: {e}", from.describe()))?;
    let present: BTreeMap<String, u64> = to
        .list()
        .await
        .map_err(|e| anyhow!("listing {}: {e}", to.describe()))?
        .into_iter()
        .map(|l| (l.key, l.size))
        .collect();
    progress.set_length(source.len() as u64);
    let (mut copied, mut kept) = (0, 0);
    for listed in source {
        progress.inc(1);
        let Some(key) = ObjectKey::parse(&listed.key) else {
            continue;
        };
        if present.get(&listed.key) == Some(&listed.size) {
            kept += 1;
            continue;
        }
        let object = from
            .get(&key, None)
            .await
            .map_err(|e| anyhow!("reading {key}: {e}"))?;
        let mut spool = tempfile::NamedTempFile::new()?;
        let mut body = object.body;
        while let Some(chunk) = body.next().await {
            spool.write_all(&chunk?)?;
        }
        spool.flush()?;
        to.put_file(&key, spool.path(), "application/octet-stream")
            .await
            .map_err(|e| anyhow!("storing {key}: {e}"))?;
        copied += 1;
    }
    Ok((copied, kept))
}

//! The archive both backups and workspace exports are: a ZIP holding one JSON-lines
//! file per table, the stored files, and `manifest.json` listing every part with
//! its SHA-256 (and, for tables, the row count and sums). The archive is written to
//! a temporary file and only takes its final name once complete.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::db::rows::{Row, Tally};

/// The index of an archive, its last entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// `lauf-backup` (a whole instance) or `lauf-workspace` (one account's data).
    pub format: String,
    pub format_version: u32,
    pub app_version: String,
    /// The latest migration the data was read under, e.g. `20261204000016`.
    pub migration: String,
    /// The backend the data was read from (`sqlite` or `postgres`).
    pub source: String,
    pub created_at: String,
    pub tables: Vec<TablePart>,
    pub files: Vec<FilePart>,
    /// Stored files the rows name that the store did not have when the archive was made.
    #[serde(default)]
    pub missing_files: Vec<String>,
    /// The key file, when the archive was made with `--include-keys`.
    #[serde(default)]
    pub keys: Option<FilePart>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TablePart {
    pub table: String,
    /// The entry's name inside the archive.
    pub entry: String,
    pub sha256: String,
    #[serde(flatten)]
    pub tally: Tally,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilePart {
    /// The storage key (`assets/<uuid>`), or the key file's name.
    pub key: String,
    pub entry: String,
    pub size: u64,
    pub sha256: String,
}

pub const MANIFEST: &str = "manifest.json";

/// No row of ours comes near this (the longest text column holds 64 KB); a longer
/// line is refused before it is held in memory.
pub const MAX_ROW_BYTES: u64 = 4 * 1024 * 1024;

fn hex(digest: impl AsRef<[u8]>) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes entries, hashing each as it goes.
pub struct Writer<W: Write + Seek> {
    zip: ZipWriter<W>,
}

/// An entry being written: bytes go to the archive and into the hash.
pub struct Entry<'a, W: Write + Seek> {
    zip: &'a mut ZipWriter<W>,
    hash: Sha256,
    size: u64,
}

impl<W: Write + Seek> Write for Entry<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.zip.write(buf)?;
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.zip.flush()
    }
}

impl<W: Write + Seek> Entry<'_, W> {
    /// One row as a line of JSON.
    pub fn row(&mut self, row: &Row) -> io::Result<()> {
        serde_json::to_writer(&mut *self, row)?;
        self.write_all(b"\n")
    }

    /// The entry's SHA-256 and size.
    pub fn finish(self) -> (String, u64) {
        (hex(self.hash.finalize()), self.size)
    }
}

impl<W: Write + Seek> Writer<W> {
    pub fn new(inner: W) -> Self {
        Writer {
            zip: ZipWriter::new(inner),
        }
    }

    /// Starts an entry; `compress` is off for files that are compressed already.
    pub fn entry(&mut self, name: &str, compress: bool) -> io::Result<Entry<'_, W>> {
        let method = if compress {
            CompressionMethod::Deflated
        } else {
            CompressionMethod::Stored
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(true)
            .unix_permissions(0o600);
        self.zip
            .start_file(name, options)
            .map_err(io::Error::other)?;
        Ok(Entry {
            zip: &mut self.zip,
            hash: Sha256::new(),
            size: 0,
        })
    }

    /// Writes the manifest as the last entry and closes the archive.
    pub fn finish(mut self, manifest: &Manifest) -> io::Result<W> {
        let mut entry = self.entry(MANIFEST, true)?;
        serde_json::to_writer_pretty(&mut entry, manifest)?;
        self.zip.finish().map_err(io::Error::other)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("this is not a LAUF OS archive ({0})")]
    NotAnArchive(String),
    #[error("the archive does not match its manifest: {0}")]
    Tampered(String),
}

impl From<zip::result::ZipError> for ArchiveError {
    fn from(e: zip::result::ZipError) -> Self {
        ArchiveError::NotAnArchive(e.to_string())
    }
}

/// An archive opened for reading.
pub struct Reader<R: Read + Seek> {
    zip: ZipArchive<R>,
    pub manifest: Manifest,
}

impl Reader<File> {
    pub fn open(path: &Path) -> Result<Self, ArchiveError> {
        Reader::new(File::open(path)?)
    }
}

impl<R: Read + Seek> Reader<R> {
    pub fn new(inner: R) -> Result<Self, ArchiveError> {
        let mut zip = ZipArchive::new(inner)?;
        let manifest = {
            let entry = zip
                .by_name(MANIFEST)
                .map_err(|_| ArchiveError::NotAnArchive("it has no manifest.json".into()))?;
            if entry.size() > 64 * 1024 * 1024 {
                return Err(ArchiveError::NotAnArchive(
                    "its manifest is too large".into(),
                ));
            }
            serde_json::from_reader::<_, Manifest>(entry)
                .map_err(|e| ArchiveError::NotAnArchive(format!("manifest.json: {e}")))?
        };
        Ok(Reader { zip, manifest })
    }

    /// Checks every part against the manifest before anything is loaded: each
    /// table's SHA-256 and row count, each file's SHA-256 and size, and that no
    /// part is listed twice or missing. Reads the whole archive once.
    pub fn verify(&mut self) -> Result<(), ArchiveError> {
        let tampered = ArchiveError::Tampered;
        let mut seen = BTreeMap::new();
        let tables = self.manifest.tables.clone();
        for part in &tables {
            if seen.insert(part.entry.clone(), ()).is_some() {
                return Err(tampered(format!("{} is listed twice", part.entry)));
            }
            let entry = self
                .zip
                .by_name(&part.entry)
                .map_err(|_| tampered(format!("{} is missing", part.entry)))?;
            let mut hash = Sha256::new();
            let mut lines = 0u64;
            let mut reader = BufReader::new(entry);
            let mut line = Vec::new();
            loop {
                line.clear();
                if (&mut reader)
                    .take(MAX_ROW_BYTES + 1)
                    .read_until(b'\n', &mut line)?
                    == 0
                {
                    break;
                }
                if line.len() as u64 > MAX_ROW_BYTES {
                    return Err(tampered(format!(
                        "{} has a row longer than 4 MB",
                        part.entry
                    )));
                }
                hash.update(&line);
                lines += 1;
            }
            if hex(hash.finalize()) != part.sha256 {
                return Err(tampered(format!("{} has been changed", part.entry)));
            }
            if lines != part.tally.rows {
                return Err(tampered(format!(
                    "{} holds {lines} rows, the manifest says {}",
                    part.entry, part.tally.rows
                )));
            }
        }
        let files = self
            .manifest
            .files
            .iter()
            .chain(self.manifest.keys.as_ref());
        for part in files.cloned().collect::<Vec<_>>() {
            if seen.insert(part.entry.clone(), ()).is_some() {
                return Err(tampered(format!("{} is listed twice", part.entry)));
            }
            let mut entry = self
                .zip
                .by_name(&part.entry)
                .map_err(|_| tampered(format!("{} is missing", part.entry)))?;
            let mut hash = Sha256::new();
            let size = io::copy(&mut entry, &mut HashSink(&mut hash))?;
            if size != part.size || hex(hash.finalize()) != part.sha256 {
                return Err(tampered(format!("{} has been changed", part.entry)));
            }
        }
        Ok(())
    }

    /// The rows of a table entry, one per line, as written.
    pub fn rows(
        &mut self,
        entry: &str,
    ) -> Result<impl Iterator<Item = Result<Row, String>> + '_, ArchiveError> {
        let file = self
            .zip
            .by_name(entry)
            .map_err(|_| ArchiveError::Tampered(format!("{entry} is missing")))?;
        Ok(BufReader::new(file).lines().enumerate().map(|(i, line)| {
            let line = line.map_err(|e| format!("line {}: {e}", i + 1))?;
            serde_json::from_str::<Row>(&line).map_err(|e| format!("line {}: {e}", i + 1))
        }))
    }

    /// Copies a file entry into `out`.
    pub fn copy_entry(&mut self, entry: &str, out: &mut impl Write) -> Result<u64, ArchiveError> {
        let mut file = self
            .zip
            .by_name(entry)
            .map_err(|_| ArchiveError::Tampered(format!("{entry} is missing")))?;
        Ok(io::copy(&mut file, out)?)
    }
}

struct HashSink<'a>(&'a mut Sha256);

impl Write for HashSink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format: "lauf-backup".into(),
            format_version: 1,
            app_version: "0".into(),
            migration: "1".into(),
            source: "sqlite".into(),
            created_at: "now".into(),
            tables: vec![],
            files: vec![],
            missing_files: vec![],
            keys: None,
        }
    }

    fn archive(rows: &[&str]) -> Vec<u8> {
        let mut writer = Writer::new(io::Cursor::new(Vec::new()));
        let mut entry = writer.entry("tables/t.jsonl", true).unwrap();
        for text in rows {
            let row: Row = serde_json::from_str(text).unwrap();
            entry.row(&row).unwrap();
        }
        let (sha256, _) = entry.finish();
        let mut manifest = manifest();
        manifest.tables.push(TablePart {
            table: "t".into(),
            entry: "tables/t.jsonl".into(),
            sha256,
            tally: Tally {
                rows: rows.len() as u64,
                sums: Default::default(),
            },
        });
        writer.finish(&manifest).unwrap().into_inner()
    }

    #[test]
    fn an_archive_verifies_and_a_changed_byte_does_not() {
        let bytes = archive(&[r#"{"id":"a"}"#, r#"{"id":"b"}"#]);
        let mut reader = Reader::new(io::Cursor::new(bytes.clone())).unwrap();
        reader.verify().unwrap();
        let rows: Vec<_> = reader.rows("tables/t.jsonl").unwrap().collect();
        assert_eq!(rows.len(), 2);

        // The same archive with one row fewer than its manifest says.
        let mut short = Reader::new(io::Cursor::new(archive(&[r#"{"id":"a"}"#]))).unwrap();
        short.manifest.tables[0].tally.rows = 2;
        short.manifest.tables[0].sha256 = reader.manifest.tables[0].sha256.clone();
        let err = short.verify().unwrap_err().to_string();
        assert_eq!(
            err,
            "the archive does not match its manifest: tables/t.jsonl has been changed"
        );
    }

    #[test]
    fn a_row_longer_than_any_of_ours_is_refused_before_it_is_held() {
        let long = format!(r#"{{"id":"{}"}}"#, "x".repeat(MAX_ROW_BYTES as usize));
        let mut reader = Reader::new(io::Cursor::new(archive(&[&long]))).unwrap();
        let err = reader.verify().unwrap_err().to_string();
        assert_eq!(
            err,
            "the archive does not match its manifest: tables/t.jsonl has a row longer than 4 MB"
        );
    }
}

//! Where uploaded files live. One `ObjectStore` trait with two implementations: a
//! directory under the data dir (the default) and an S3-compatible bucket (Supabase
//! Storage, MinIO, AWS) for deployments with several app processes. `Storage` picks
//! one from the settings.
//!
//! Object keys are made here from ids the app generated (`assets/<uuid>`), never from
//! anything a user typed or a file name, so no request can steer a write.

mod local;
pub mod maintenance;
mod s3;

use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;

pub use local::LocalStore;
pub use s3::{S3Settings, S3Store};

use crate::domain::AssetId;
use crate::error::AppError;

/// A file's bytes as they arrive, never the whole file in memory.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, io::Error>>>>;

/// Reads the next `len` bytes of `file` as a stream of chunks of at most 64 KiB.
pub(crate) fn file_chunks(file: tokio::fs::File, len: u64) -> ByteStream {
    use tokio::io::AsyncReadExt;
    const CHUNK: usize = 64 * 1024;
    Box::pin(futures_util::stream::unfold(
        (Some(file), len),
        |(file, left)| async move {
            let mut file = file?;
            if left == 0 {
                return None;
            }
            let want = usize::try_from(left).unwrap_or(usize::MAX).min(CHUNK);
            let mut buf = bytes::BytesMut::with_capacity(want);
            match (&mut file).take(want as u64).read_buf(&mut buf).await {
                Ok(0) => None,
                Ok(n) => Some((Ok(buf.freeze()), (Some(file), left - n as u64))),
                Err(e) => Some((Err(e), (None, 0))),
            }
        },
    ))
}

/// A stored object opened for reading, whole or a byte range of it.
pub struct Object {
    /// The length of `body`.
    pub len: u64,
    /// The whole object's length.
    pub total: u64,
    /// The inclusive byte range `body` holds, when a range was asked for.
    pub range: Option<(u64, u64)>,
    pub body: ByteStream,
}

/// Bytes `start..=end` of an object (`end` unset: to the end), as an HTTP
/// `Range: bytes=start-end` asks. Suffix ranges (`bytes=-N`) and lists of ranges
/// are not supported: the whole object is sent instead, which HTTP allows.
/// Parsed here rather than with `http-range-header`: that crate validates ranges
/// against a known length, while the range has to reach the store (an S3 `GET`
/// with `Range`) before the length is known; the one form browsers send for
/// seeking is these dozen lines, tested below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: Option<u64>,
}

impl ByteRange {
    pub fn parse(header: &str) -> Option<Self> {
        let spec = header.trim().strip_prefix("bytes=")?;
        if spec.contains(',') {
            return None;
        }
        let (start, end) = spec.split_once('-')?;
        let start = start.trim().parse().ok()?;
        let end = match end.trim() {
            "" => None,
            end => Some(end.parse().ok()?),
        };
        match end {
            Some(end) if end < start => None,
            _ => Some(ByteRange { start, end }),
        }
    }

    /// The inclusive range within an object of `total` bytes, or `None` when it
    /// starts past the end (416).
    pub fn within(self, total: u64) -> Option<(u64, u64)> {
        if self.start >= total {
            return None;
        }
        let end = self.end.map_or(total - 1, |e| e.min(total - 1));
        Some((self.start, end))
    }
}

/// One object as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    pub size: u64,
    /// Seconds since the object was last written, when the store says.
    pub age_secs: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no such object")]
    NotFound,
    /// The range starts past the end of an object of this length.
    #[error("range not satisfiable")]
    BadRange { total: u64 },
    /// The disk (or quota) is full: nothing was kept.
    #[error("storage is full")]
    Full,
    #[error("storage failed: {0}")]
    Failed(String),
}

impl StorageError {
    pub fn from_io(err: io::Error) -> Self {
        match err.kind() {
            io::ErrorKind::NotFound => StorageError::NotFound,
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => StorageError::Full,
            _ if err.raw_os_error() == Some(28) => StorageError::Full,
            _ => StorageError::Failed(err.to_string()),
        }
    }
}

impl From<StorageError> for AppError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::NotFound => AppError::NotFound,
            StorageError::BadRange { .. } => {
                AppError::BadRequest("That byte range is outside the file.".into())
            }
            StorageError::Full => AppError::InsufficientStorage,
            StorageError::Failed(why) => AppError::StorageUnavailable(why),
        }
    }
}

/// A key the app made: `assets/<uuid>` for an original, `thumbs/<uuid>.jpg` for its
/// thumbnail. Only these two shapes exist.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

impl ObjectKey {
    pub fn original(id: &AssetId) -> Self {
        ObjectKey(format!("assets/{}", id.as_str()))
    }

    pub fn thumbnail(id: &AssetId) -> Self {
        ObjectKey(format!("thumbs/{}.jpg", id.as_str()))
    }

    /// A key read back from the database or a listing; anything else is refused, so
    /// a tampered row cannot point outside the store.
    pub fn parse(key: &str) -> Option<Self> {
        let (prefix, rest) = key.split_once('/')?;
        let uuid = match prefix {
            "assets" => rest,
            "thumbs" => rest.strip_suffix(".jpg")?,
            _ => return None,
        };
        let parsed = uuid::Uuid::parse_str(uuid).ok()?;
        (parsed.hyphenated().to_string() == uuid).then(|| ObjectKey(key.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a file store does. Implementations stream: no method holds a whole file.
pub trait ObjectStore {
    /// Stores the file at `path` under `key`. The file may be moved away (a local
    /// store renames it); the caller removes it if it is still there.
    fn put_file(
        &self,
        key: &ObjectKey,
        path: &Path,
        content_type: &str,
    ) -> impl Future<Output = Result<(), StorageError>>;

    /// Stores small bytes (a thumbnail) under `key`.
    fn put_bytes(
        &self,
        key: &ObjectKey,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> impl Future<Output = Result<(), StorageError>>;

    /// The object, or the part of it `range` names.
    fn get(
        &self,
        key: &ObjectKey,
        range: Option<ByteRange>,
    ) -> impl Future<Output = Result<Object, StorageError>>;

    /// Removes `key`; an object that is already gone is not an error.
    fn delete(&self, key: &ObjectKey) -> impl Future<Output = Result<(), StorageError>>;

    /// Every object in the store (for `lauf storage check`).
    fn list(&self) -> impl Future<Output = Result<Vec<Listed>, StorageError>>;
}

/// The configured store.
pub enum Storage {
    Local(LocalStore),
    S3(Box<S3Store>),
}

impl Storage {
    /// What the logs and `lauf storage check` say about where files go.
    pub fn describe(&self) -> String {
        match self {
            Storage::Local(store) => format!("local directory {}", store.root().display()),
            Storage::S3(store) => format!("S3 bucket {}", store.describe()),
        }
    }
}

impl ObjectStore for Storage {
    async fn put_file(
        &self,
        key: &ObjectKey,
        path: &Path,
        content_type: &str,
    ) -> Result<(), StorageError> {
        match self {
            Storage::Local(s) => s.put_file(key, path, content_type).await,
            Storage::S3(s) => s.put_file(key, path, content_type).await,
        }
    }

    async fn put_bytes(
        &self,
        key: &ObjectKey,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StorageError> {
        match self {
            Storage::Local(s) => s.put_bytes(key, bytes, content_type).await,
            Storage::S3(s) => s.put_bytes(key, bytes, content_type).await,
        }
    }

    async fn get(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Object, StorageError> {
        match self {
            Storage::Local(s) => s.get(key, range).await,
            Storage::S3(s) => s.get(key, range).await,
        }
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        match self {
            Storage::Local(s) => s.delete(key).await,
            Storage::S3(s) => s.delete(key).await,
        }
    }

    async fn list(&self) -> Result<Vec<Listed>, StorageError> {
        match self {
            Storage::Local(s) => s.list().await,
            Storage::S3(s) => s.list().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_only_in_the_two_shapes_the_app_makes() {
        let id = AssetId::generate();
        let original = ObjectKey::original(&id);
        let thumb = ObjectKey::thumbnail(&id);
        assert_eq!(ObjectKey::parse(original.as_str()), Some(original));
        assert_eq!(ObjectKey::parse(thumb.as_str()), Some(thumb));
        for bad in [
            "",
            "assets/",
            "assets/../keys",
            "../assets/0b7e6a3c-6c4f-4a55-9a53-6c1f3ad0e0a1",
            "thumbs/0b7e6a3c-6c4f-4a55-9a53-6c1f3ad0e0a1",
            "assets/0B7E6A3C-6C4F-4A55-9A53-6C1F3AD0E0A1",
            "other/0b7e6a3c-6c4f-4a55-9a53-6c1f3ad0e0a1",
            "assets/0b7e6a3c-6c4f-4a55-9a53-6c1f3ad0e0a1/x",
        ] {
            assert_eq!(ObjectKey::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ranges_are_read_the_way_browsers_send_them() {
        let r = |s| ByteRange::parse(s);
        assert_eq!(
            r("bytes=0-"),
            Some(ByteRange {
                start: 0,
                end: None
            })
        );
        assert_eq!(
            r("bytes=100-199"),
            Some(ByteRange {
                start: 100,
                end: Some(199)
            })
        );
        for unsupported in [
            "bytes=-500",
            "bytes=0-1,5-9",
            "items=0-1",
            "bytes=9-3",
            "bytes=a-b",
        ] {
            assert_eq!(r(unsupported), None, "{unsupported}");
        }
        assert_eq!(r("bytes=100-").unwrap().within(150), Some((100, 149)));
        assert_eq!(r("bytes=100-10000").unwrap().within(150), Some((100, 149)));
        assert_eq!(r("bytes=150-").unwrap().within(150), None);
    }

    #[test]
    fn a_full_disk_is_told_apart_from_other_failures() {
        assert!(matches!(
            StorageError::from_io(io::Error::from_raw_os_error(28)),
            StorageError::Full
        ));
        assert!(matches!(
            StorageError::from_io(io::Error::from(io::ErrorKind::NotFound)),
            StorageError::NotFound
        ));
        assert!(matches!(
            StorageError::from_io(io::Error::from(io::ErrorKind::PermissionDenied)),
            StorageError::Failed(_)
        ));
    }
}

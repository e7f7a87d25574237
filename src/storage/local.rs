//! Files in a directory under the data dir: `<root>/assets/<uuid>`,
//! `<root>/thumbs/<uuid>.jpg`. Writes land under a temporary name and are renamed
//! into place, so a reader never sees half a file.

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use std::io::SeekFrom;

use tokio::io::AsyncSeekExt;

use super::{ByteRange, Listed, Object, ObjectKey, ObjectStore, StorageError};

pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// Creates the directory (owner-only) when it does not exist yet.
    pub fn open(root: PathBuf) -> io::Result<Self> {
        std::fs::create_dir_all(&root)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(LocalStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &ObjectKey) -> PathBuf {
        // A key is `prefix/name` with both parts checked by `ObjectKey`.
        self.root.join(key.as_str())
    }

    async fn ensure_parent(&self, path: &Path) -> Result<(), StorageError> {
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(StorageError::from_io)?;
        }
        Ok(())
    }
}

impl ObjectStore for LocalStore {
    async fn put_file(
        &self,
        key: &ObjectKey,
        path: &Path,
        _content_type: &str,
    ) -> Result<(), StorageError> {
        let target = self.path(key);
        self.ensure_parent(&target).await?;
        match tokio::fs::rename(path, &target).await {
            Ok(()) => Ok(()),
            // Another file system (a data dir on its own mount): copy under a
            // temporary name, then rename, so the target is whole or absent.
            Err(e) if e.raw_os_error() == Some(18) => {
                let partial = target.with_extension("partial");
                if let Err(e) = tokio::fs::copy(path, &partial).await {
                    let _ = tokio::fs::remove_file(&partial).await;
                    return Err(StorageError::from_io(e));
                }
                tokio::fs::rename(&partial, &target)
                    .await
                    .map_err(StorageError::from_io)
            }
            Err(e) => Err(StorageError::from_io(e)),
        }
    }

    async fn put_bytes(
        &self,
        key: &ObjectKey,
        bytes: Vec<u8>,
        _content_type: &str,
    ) -> Result<(), StorageError> {
        let target = self.path(key);
        self.ensure_parent(&target).await?;
        let partial = target.with_extension("partial");
        if let Err(e) = tokio::fs::write(&partial, bytes).await {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(StorageError::from_io(e));
        }
        tokio::fs::rename(&partial, &target)
            .await
            .map_err(StorageError::from_io)
    }

    async fn get(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Object, StorageError> {
        let mut file = tokio::fs::File::open(self.path(key))
            .await
            .map_err(StorageError::from_io)?;
        let total = file.metadata().await.map_err(StorageError::from_io)?.len();
        let range = match range {
            Some(asked) => Some(
                asked
                    .within(total)
                    .ok_or(StorageError::BadRange { total })?,
            ),
            None => None,
        };
        let (start, len) = range.map_or((0, total), |(s, e)| (s, e - s + 1));
        if start > 0 {
            file.seek(SeekFrom::Start(start))
                .await
                .map_err(StorageError::from_io)?;
        }
        Ok(Object {
            len,
            total,
            range,
            body: super::file_chunks(file, len),
        })
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::from_io(e)),
        }
    }

    async fn list(&self) -> Result<Vec<Listed>, StorageError> {
        let mut found = Vec::new();
        let now = SystemTime::now();
        for prefix in ["assets", "thumbs"] {
            let dir = self.root.join(prefix);
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(StorageError::from_io(e)),
            };
            for entry in entries {
                let entry = entry.map_err(StorageError::from_io)?;
                let meta = entry.metadata().map_err(StorageError::from_io)?;
                if !meta.is_file() {
                    continue;
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                found.push(Listed {
                    key: format!("{prefix}/{name}"),
                    size: meta.len(),
                    age_secs: meta
                        .modified()
                        .ok()
                        .and_then(|m| now.duration_since(m).ok())
                        .map(|d| d.as_secs()),
                });
            }
        }
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }
}

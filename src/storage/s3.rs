//! An S3-compatible bucket (Supabase Storage's S3 endpoint, MinIO, AWS S3). Requests
//! are signed with SigV4 by `rusty-s3` as short-lived presigned URLs and sent with
//! `awc`; bodies stream in both directions.

use std::path::Path;
use std::time::Duration;

use actix_web::body::SizedStream;
use futures_util::TryStreamExt;
use rusty_s3::actions::S3Action;
use rusty_s3::{Bucket, Credentials, UrlStyle};

use super::{ByteRange, Listed, Object, ObjectKey, ObjectStore, StorageError};

/// How long a signed request stays valid: long enough for a 100 MB body on a slow
/// link, short enough to be useless if it leaked into a log.
const SIGNED_FOR: Duration = Duration::from_secs(15 * 60);

/// `LAUF_S3_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Path-style URLs (`endpoint/bucket/key`), which Supabase and MinIO need.
    pub path_style: bool,
    /// A fixed prefix inside the bucket (e.g. `lauf/`), so a bucket can be shared.
    pub prefix: String,
}

pub struct S3Store {
    bucket: Bucket,
    credentials: Credentials,
    prefix: String,
}

thread_local! {
    // awc's client is per thread (it is `!Send`); one per worker keeps its pool.
    static CLIENT: awc::Client = build_client();
}

fn build_client() -> awc::Client {
    crate::outbound::client(Duration::from_secs(10), Duration::from_secs(60), "S3")
}

fn client() -> awc::Client {
    CLIENT.with(Clone::clone)
}

fn failed(what: &str, err: impl std::fmt::Display) -> StorageError {
    StorageError::Failed(format!("{what}: {err}"))
}

impl S3Store {
    pub fn new(settings: &S3Settings) -> Result<Self, String> {
        let endpoint = settings
            .endpoint
            .parse()
            .map_err(|e| format!("LAUF_S3_ENDPOINT is not a URL: {e}"))?;
        let style = if settings.path_style {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let bucket = Bucket::new(
            endpoint,
            style,
            settings.bucket.clone(),
            settings.region.clone(),
        )
        .map_err(|e| format!("LAUF_S3_ENDPOINT / LAUF_S3_BUCKET: {e:?}"))?;
        Ok(S3Store {
            bucket,
            credentials: Credentials::new(
                settings.access_key_id.clone(),
                settings.secret_access_key.clone(),
            ),
            prefix: settings.prefix.clone(),
        })
    }

    pub fn describe(&self) -> String {
        format!(
            "{} at {} (prefix {:?})",
            self.bucket.name(),
            self.bucket.base_url(),
            self.prefix
        )
    }

    /// An object's length, from a HEAD request.
    async fn length(&self, object: &str) -> Result<u64, StorageError> {
        let url = self
            .bucket
            .head_object(Some(&self.credentials), object)
            .sign(SIGNED_FOR);
        let res = client()
            .head(url.as_str())
            .send()
            .await
            .map_err(|e| failed("size on S3", e))?;
        if !res.status().is_success() {
            return Err(StorageError::NotFound);
        }
        res.headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| failed("size on S3", "no Content-Length"))
    }

    fn object(&self, key: &ObjectKey) -> String {
        format!("{}{}", self.prefix, key.as_str())
    }

    async fn check(
        &self,
        what: &str,
        mut res: awc::ClientResponse<
            impl futures_util::Stream<Item = Result<bytes::Bytes, awc::error::PayloadError>> + Unpin,
        >,
    ) -> Result<(), StorageError> {
        if res.status().is_success() {
            return Ok(());
        }
        let status = res.status();
        let body = res.body().limit(4096).await.unwrap_or_default();
        let text = String::from_utf8_lossy(&body);
        if status.as_u16() == 404 {
            return Err(StorageError::NotFound);
        }
        if text.contains("QuotaExceeded") || text.contains("EntityTooLarge") {
            return Err(StorageError::Full);
        }
        Err(failed(what, format!("{status}: {}", text.trim())))
    }
}

impl ObjectStore for S3Store {
    async fn put_file(
        &self,
        key: &ObjectKey,
        path: &Path,
        content_type: &str,
    ) -> Result<(), StorageError> {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(StorageError::from_io)?;
        let len = file.metadata().await.map_err(StorageError::from_io)?.len();
        let object = self.object(key);
        let url = self
            .bucket
            .put_object(Some(&self.credentials), &object)
            .sign(SIGNED_FOR);
        let res = client()
            .put(url.as_str())
            .insert_header(("Content-Type", content_type.to_string()))
            .timeout(Duration::from_secs(3600))
            .send_body(SizedStream::new(len, super::file_chunks(file, len)))
            .await
            .map_err(|e| failed("upload to S3", e))?;
        self.check("upload to S3", res).await
    }

    async fn put_bytes(
        &self,
        key: &ObjectKey,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StorageError> {
        let object = self.object(key);
        let url = self
            .bucket
            .put_object(Some(&self.credentials), &object)
            .sign(SIGNED_FOR);
        let res = client()
            .put(url.as_str())
            .insert_header(("Content-Type", content_type.to_string()))
            .send_body(bytes)
            .await
            .map_err(|e| failed("upload to S3", e))?;
        self.check("upload to S3", res).await
    }

    async fn get(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Object, StorageError> {
        let object = self.object(key);
        let url = self
            .bucket
            .get_object(Some(&self.credentials), &object)
            .sign(SIGNED_FOR);
        let mut request = client().get(url.as_str());
        if let Some(r) = range {
            let end = r.end.map(|e| e.to_string()).unwrap_or_default();
            request = request.insert_header(("Range", format!("bytes={}-{end}", r.start)));
        }
        let res = request
            .send()
            .await
            .map_err(|e| failed("download from S3", e))?;
        let header = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        // `bytes 0-99/1234` or, for 416, `bytes */1234`.
        let content_range = header("content-range");
        let total_of = |cr: &str| cr.rsplit_once('/').and_then(|(_, t)| t.parse::<u64>().ok());
        if res.status().as_u16() == 416 {
            let total = match content_range.as_deref().and_then(total_of) {
                Some(total) => total,
                // Some servers leave the length out of a 416: ask for it.
                None => self.length(&object).await?,
            };
            return Err(StorageError::BadRange { total });
        }
        if !res.status().is_success() {
            self.check("download from S3", res).await?;
            return Err(StorageError::NotFound);
        }
        let len: u64 = header("content-length")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| failed("download from S3", "no Content-Length"))?;
        let (total, range) = match (res.status().as_u16(), content_range.as_deref()) {
            (206, Some(cr)) => {
                let total =
                    total_of(cr).ok_or_else(|| failed("download from S3", "bad Content-Range"))?;
                let start = cr
                    .strip_prefix("bytes ")
                    .and_then(|r| r.split_once('-'))
                    .and_then(|(s, _)| s.parse::<u64>().ok())
                    .ok_or_else(|| failed("download from S3", "bad Content-Range"))?;
                (total, Some((start, start + len.saturating_sub(1))))
            }
            _ => (len, None),
        };
        let body = res.map_err(|e| std::io::Error::other(e.to_string()));
        Ok(Object {
            len,
            total,
            range,
            body: Box::pin(body),
        })
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        let object = self.object(key);
        let url = self
            .bucket
            .delete_object(Some(&self.credentials), &object)
            .sign(SIGNED_FOR);
        let res = client()
            .delete(url.as_str())
            .send()
            .await
            .map_err(|e| failed("delete on S3", e))?;
        match self.check("delete on S3", res).await {
            Err(StorageError::NotFound) => Ok(()),
            other => other,
        }
    }

    async fn list(&self) -> Result<Vec<Listed>, StorageError> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = self.bucket.list_objects_v2(Some(&self.credentials));
            if !self.prefix.is_empty() {
                action.with_prefix(self.prefix.as_str());
            }
            if let Some(token) = &token {
                action.with_continuation_token(token.clone());
            }
            let url = action.sign(SIGNED_FOR);
            let mut res = client()
                .get(url.as_str())
                .send()
                .await
                .map_err(|e| failed("list on S3", e))?;
            if !res.status().is_success() {
                self.check("list on S3", res).await?;
                return Err(failed("list on S3", "unexpected answer"));
            }
            let body = res
                .body()
                .limit(16 * 1024 * 1024)
                .await
                .map_err(|e| failed("list on S3", e))?;
            let text = String::from_utf8_lossy(&body);
            let page = parse_listing(&text);
            for (key, size, modified) in page.objects {
                let Some(key) = key.strip_prefix(self.prefix.as_str()) else {
                    continue;
                };
                found.push(Listed {
                    key: key.to_string(),
                    size,
                    age_secs: modified.as_deref().and_then(age_of),
                });
            }
            match page.next {
                Some(next) if page.truncated => token = Some(next),
                _ => break,
            }
        }
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }
}

/// One page of a ListObjectsV2 answer: only what we use (key, size, last
/// modified, continuation), so servers that leave out other fields (ETag, owner)
/// still list.
#[derive(Debug, Default, PartialEq)]
struct ListingPage {
    objects: Vec<(String, u64, Option<String>)>,
    truncated: bool,
    next: Option<String>,
}

fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&close)? + start;
    Some(&xml[start..end])
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn parse_listing(xml: &str) -> ListingPage {
    let mut page = ListingPage::default();
    let mut rest = xml;
    while let Some(start) = rest.find("<Contents>") {
        let after = &rest[start + "<Contents>".len()..];
        let Some(end) = after.find("</Contents>") else {
            break;
        };
        let item = &after[..end];
        if let Some(key) = element(item, "Key") {
            let size = element(item, "Size")
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0);
            let modified = element(item, "LastModified").map(|m| m.trim().to_string());
            page.objects.push((unescape(key), size, modified));
        }
        rest = &after[end..];
    }
    page.truncated = element(xml, "IsTruncated").is_some_and(|t| t.trim() == "true");
    page.next = element(xml, "NextContinuationToken").map(unescape);
    page
}

fn age_of(last_modified: &str) -> Option<u64> {
    let at = chrono::DateTime::parse_from_rfc3339(last_modified).ok()?;
    let age = chrono::Utc::now().signed_duration_since(at);
    u64::try_from(age.num_seconds()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_parse_with_or_without_optional_fields() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
<IsTruncated>true</IsTruncated><NextContinuationToken>abc&amp;d</NextContinuationToken>
<Contents><Key>lauf/assets/x</Key><LastModified>2026-11-22T10:00:00.000Z</LastModified><ETag>"e"</ETag><Size>42</Size></Contents>
<Contents><Key>lauf/thumbs/x.jpg</Key><Size>7</Size></Contents></ListBucketResult>"#;
        let page = parse_listing(xml);
        assert_eq!(
            page.objects,
            vec![
                (
                    "lauf/assets/x".to_string(),
                    42,
                    Some("2026-11-22T10:00:00.000Z".to_string())
                ),
                ("lauf/thumbs/x.jpg".to_string(), 7, None),
            ]
        );
        assert!(page.truncated);
        assert_eq!(page.next.as_deref(), Some("abc&d"));
        assert_eq!(parse_listing("<ListBucketResult/>"), ListingPage::default());
    }
}

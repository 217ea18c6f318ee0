//! Receiving the upload form: its text fields, and its file streamed chunk by chunk (through the
//! shared multipart reader, `web::multipart`) into a temporary file of its own (never held whole
//! in memory), removed when the upload is dropped.

use std::path::{Path, PathBuf};

use axum::extract::Request;
use tokio::io::AsyncWriteExt;

use crate::ids::ShopId;
use crate::web::multipart::{self, FileSink, OverLimit, UploadError};

/// How the names of uploaded files begin.
const PREFIX: &str = "aftersales-import-";

/// The form's fields as sent.
#[derive(Default)]
pub struct UploadForm {
    pub shop: Option<ShopId>,
    pub kind: String,
    pub format: String,
    pub dry_run: bool,
    pub file: Option<TempUpload>,
}

/// An uploaded file in the temporary directory; the file is removed when this is dropped.
#[derive(Debug)]
pub struct TempUpload {
    path: PathBuf,
    /// The name the browser gave (cleaned; may be empty).
    pub name: String,
    /// Bytes received.
    pub size: u64,
}

impl TempUpload {
    /// A new empty file, readable and writable by this process only.
    async fn create(name: String) -> std::io::Result<(TempUpload, tokio::fs::File)> {
        let mut random = [0u8; 12];
        getrandom::fill(&mut random).map_err(std::io::Error::other)?;
        let tag: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let path = std::env::temp_dir().join(format!("{PREFIX}{tag}"));
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let file = options.open(&path).await?;
        Ok((TempUpload { path, name, size: 0 }, file))
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's bytes (for the importers, which read a table whole).
    pub async fn read(&self) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(&self.path).await
    }
}

impl Drop for TempUpload {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_file(&self.path) {
            tracing::warn!(path = %self.path.display(), %error, "cannot remove an uploaded file");
        }
    }
}

/// Removes uploaded files older than `age` from the temporary directory: left behind by a
/// server that was killed (a live upload is received within minutes and imported soon after).
/// How many.
pub fn remove_stale(age: std::time::Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return 0;
    };
    let now = std::time::SystemTime::now();
    entries
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(PREFIX))
        .filter(|entry| {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| now.duration_since(modified).is_ok_and(|d| d > age))
        })
        .filter(|entry| std::fs::remove_file(entry.path()).is_ok())
        .count()
}

/// A temporary file being written from the upload (the shared multipart reader's sink).
pub struct TempSink {
    upload: TempUpload,
    file: tokio::fs::File,
}

impl FileSink for TempSink {
    async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.file.write_all(chunk).await
    }

    async fn finish(&mut self) -> std::io::Result<()> {
        self.file.flush().await
    }
}

/// Reads the multipart form of `request` through the shared reader (`web::multipart`),
/// streaming its file to a temporary file; more than `limit` bytes of file is refused (and what
/// was written removed).
pub async fn receive(request: Request, limit: u64) -> Result<UploadForm, UploadError> {
    let received = multipart::read(request, "file", limit, OverLimit::Stop, |name: String| async move {
        let name = crate::edge::clean_text(&name)
            .map(|n| n.chars().take(200).collect::<String>())
            .unwrap_or_default();
        let (upload, file) = TempUpload::create(name).await?;
        Ok(TempSink { upload, file })
    })
    .await?;
    Ok(UploadForm {
        shop: received.field("shop").and_then(|s| s.parse().ok()),
        kind: received.field("kind").unwrap_or("").to_string(),
        format: received.field("format").unwrap_or("").to_string(),
        // A ticked checkbox sends its value; an unticked one sends nothing.
        dry_run: received.field("dry_run").is_some_and(|v| !v.is_empty()),
        file: received.file.map(|file| {
            let mut upload = file.content.upload;
            upload.size = file.size;
            upload
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_upload_file_is_private_and_removed_when_dropped() {
        let (upload, mut file) = TempUpload::create("a.csv".into()).await.expect("created");
        file.write_all(b"a,b\n").await.expect("written");
        file.flush().await.expect("flushed");
        let path = upload.path().to_path_buf();
        assert_eq!(upload.read().await.expect("read"), b"a,b\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("metadata").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        drop(upload);
        assert!(!path.exists(), "removed");
    }

    #[tokio::test]
    async fn files_left_by_a_killed_server_are_removed_once_old() {
        let (old, file) = TempUpload::create(String::new()).await.expect("created");
        let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 24 * 3600);
        file.into_std().await.set_modified(day_ago).expect("dated");
        let (fresh, _) = TempUpload::create(String::new()).await.expect("created");
        remove_stale(std::time::Duration::from_secs(24 * 3600));
        assert!(!old.path().exists(), "an old file is removed");
        assert!(fresh.path().exists(), "a recent one stays");
    }
}

//! Receiving the upload form: its text fields, and its file streamed chunk by chunk into a
//! temporary file of its own (never held whole in memory), removed when the upload is dropped.

use std::path::{Path, PathBuf};

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use tokio::io::AsyncWriteExt;

use crate::error::ApiError;
use crate::ids::ShopId;
use crate::state::AppState;

/// How the names of uploaded files begin.
const PREFIX: &str = "aftersales-import-";
/// The error code of a form that cannot be read (the page explains it from the catalogue).
const UNREADABLE: &str = "import_upload_unreadable";
/// The largest text field read (a shop id, a kind, a format).
const FIELD_LIMIT: usize = 1024;

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

/// Reads the multipart form of `request`, streaming its file to a temporary file; more than
/// `limit` bytes of file is refused (and what was written removed).
pub async fn receive(request: Request, state: &AppState, limit: u64) -> Result<UploadForm, ApiError> {
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|_| ApiError::bad_request("send the form as multipart/form-data with a file").with_code(UNREADABLE))?;
    let mut form = UploadForm::default();
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = crate::edge::clean_text(field.file_name().unwrap_or(""))
                .map(|n| n.chars().take(200).collect::<String>())
                .unwrap_or_default();
            let (mut upload, mut file) = TempUpload::create(file_name).await.map_err(storage)?;
            while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                upload.size += chunk.len() as u64;
                if upload.size > limit {
                    return Err(too_large(limit));
                }
                file.write_all(&chunk).await.map_err(storage)?;
            }
            file.flush().await.map_err(storage)?;
            form.file = Some(upload);
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            value.extend_from_slice(&chunk);
            if value.len() > FIELD_LIMIT {
                return Err(
                    ApiError::bad_request(format!("the field `{name}` is longer than {FIELD_LIMIT} bytes"))
                        .with_code(UNREADABLE),
                );
            }
        }
        let text = || String::from_utf8_lossy(&value).trim().to_string();
        match name.as_str() {
            "shop" => form.shop = text().parse().ok(),
            "kind" => form.kind = text(),
            "format" => form.format = text(),
            "dry_run" => form.dry_run = !value.is_empty(),
            _ => {}
        }
    }
    Ok(form)
}

fn unreadable(error: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::bad_request(format!(
        "the upload was cut off or is not a well-formed form ({error}); send it again"
    ))
    .with_code(UNREADABLE)
}

fn storage(error: std::io::Error) -> ApiError {
    tracing::error!(%error, "cannot store an upload in the temporary directory");
    ApiError::internal("cannot store the upload on the server")
}

fn too_large(limit: u64) -> ApiError {
    ApiError {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        ..ApiError::bad_request(format!(
            "the file is larger than {} MB: split it (for example by month) and import the parts",
            limit / (1024 * 1024)
        ))
    }
    .with_code("import_too_large")
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

//! The one way an upload form is read: axum's [`Multipart`] over the request, its short text
//! fields collected, its file field handed chunk by chunk to a [`FileSink`] (a temporary file
//! for the import page, memory for evidence) with the size counted as it comes, so that no
//! file larger than its limit is ever held or written whole. The handler checks who is asking
//! before it calls [`read`]: nothing of the body is read until then.

use axum::extract::{FromRequest, Multipart, Request};

/// The largest text field read (a shop id, a kind, a format, a checkbox).
pub const FIELD_LIMIT: usize = 1024;
/// The most text fields a form may have (the forms here send a handful; an upload route has a
/// large body limit, so the count is bounded too).
pub const FIELDS_LIMIT: usize = 32;

/// Why an upload form could not be read. Each feature says it in its own words and codes.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The request is not a multipart form (no boundary, another content type).
    #[error("the request is not a multipart/form-data form")]
    NotMultipart,
    /// The form was cut off or is not well formed.
    #[error("the upload was cut off or is not a well-formed form ({0})")]
    Unreadable(String),
    /// A text field is longer than [`FIELD_LIMIT`], or there are more than [`FIELDS_LIMIT`].
    #[error("the field `{0}` is longer than {FIELD_LIMIT} bytes or one too many")]
    FieldTooLong(String),
    /// The body is larger than the route's body limit (announced or as it came).
    #[error("the request is larger than this address takes")]
    BodyTooLarge,
    /// The file is larger than the limit; `received` bytes of it were counted.
    #[error("the file is larger than {limit} bytes")]
    TooLarge { received: u64, limit: u64 },
    /// The file could not be stored where it goes.
    #[error("cannot store the upload: {0}")]
    Storage(#[from] std::io::Error),
}

/// Where the file field's bytes go.
pub trait FileSink: Sized + Send {
    /// Takes the next chunk.
    fn write(&mut self, chunk: &[u8]) -> impl Future<Output = std::io::Result<()>> + Send;
    /// The file is complete.
    fn finish(&mut self) -> impl Future<Output = std::io::Result<()>> + Send;
}

/// A sink holding the file in memory (for small files whose limit is low).
#[derive(Debug, Default)]
pub struct InMemory(pub Vec<u8>);

impl FileSink for InMemory {
    async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.0.extend_from_slice(chunk);
        Ok(())
    }

    async fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The file field as received: the name the browser gave (as sent; the caller cleans it), its
/// size and the sink that holds its bytes.
#[derive(Debug)]
pub struct ReceivedFile<S> {
    pub name: String,
    pub size: u64,
    pub content: S,
}

/// A form as read: its text fields (trimmed, in order) and its file field, if one came.
#[derive(Debug)]
pub struct Received<S> {
    pub fields: Vec<(String, String)>,
    pub file: Option<ReceivedFile<S>>,
}

impl<S> Received<S> {
    /// The text of field `name`, if sent.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// What to do with the rest of a file over the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverLimit {
    /// Answer at once (a large upload: reading on could take minutes).
    Stop,
    /// Read the rest of the body without keeping it (bounded by the route's body limit), so the
    /// client, still sending, gets the refusal rather than a cut connection, and the refusal can
    /// say how large the file was.
    Drain,
}

/// Reads the multipart form of `request`: text fields up to [`FIELD_LIMIT`] bytes, and the field
/// named `file_field` into a sink made by `open` (called with the browser's file name), at most
/// `limit` bytes of it.
pub async fn read<S, F, Fut>(
    request: Request,
    file_field: &str,
    limit: u64,
    over_limit: OverLimit,
    open: F,
) -> Result<Received<S>, UploadError>
where
    S: FileSink,
    F: Fn(String) -> Fut,
    Fut: Future<Output = std::io::Result<S>>,
{
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|_| UploadError::NotMultipart)?;
    let unreadable = |error: axum::extract::multipart::MultipartError| {
        if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            UploadError::BodyTooLarge
        } else {
            UploadError::Unreadable(error.body_text())
        }
    };
    let mut received = Received {
        fields: Vec::new(),
        file: None,
    };
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        if name == file_field {
            let file_name = field.file_name().unwrap_or("").to_string();
            let mut content = open(file_name.clone()).await?;
            let mut size = 0u64;
            while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                size += chunk.len() as u64;
                if size > limit {
                    if over_limit == OverLimit::Drain {
                        // The route's body limit ends this; what was counted by then is said.
                        while let Ok(Some(chunk)) = field.chunk().await {
                            size += chunk.len() as u64;
                        }
                    }
                    return Err(UploadError::TooLarge { received: size, limit });
                }
                content.write(&chunk).await?;
            }
            content.finish().await?;
            received.file = Some(ReceivedFile {
                name: file_name,
                size,
                content,
            });
            continue;
        }
        if received.fields.len() >= FIELDS_LIMIT {
            return Err(UploadError::FieldTooLong(name));
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            value.extend_from_slice(&chunk);
            if value.len() > FIELD_LIMIT {
                return Err(UploadError::FieldTooLong(name));
            }
        }
        received
            .fields
            .push((name, String::from_utf8_lossy(&value).trim().to_string()));
    }
    Ok(received)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(body: &'static [u8]) -> Request {
        Request::builder()
            .method("POST")
            .header("content-type", "multipart/form-data; boundary=B")
            .body(Body::from(body))
            .expect("request")
    }

    async fn memory(_: String) -> std::io::Result<InMemory> {
        Ok(InMemory::default())
    }

    const FORM: &[u8] = b"--B\r\nContent-Disposition: form-data; name=\"shop\"\r\n\r\n 7 \r\n\
                        --B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\n\
                        Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\nDATA\r\n--B--\r\n";

    #[tokio::test]
    async fn text_fields_and_the_file_are_read() {
        let form = read(request(FORM), "file", 100, OverLimit::Stop, memory)
            .await
            .expect("read");
        assert_eq!(form.field("shop"), Some("7"));
        let file = form.file.expect("a file");
        assert_eq!(file.name, "p.png");
        assert_eq!(file.size, 12);
        assert_eq!(file.content.0, b"\x89PNG\r\n\x1a\nDATA");
    }

    #[tokio::test]
    async fn a_file_over_the_limit_is_refused_with_what_was_counted() {
        match read(request(FORM), "file", 4, OverLimit::Drain, memory).await {
            Err(UploadError::TooLarge { received, limit }) => assert_eq!((received, limit), (12, 4)),
            other => panic!("refused as too large, not {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_form_without_its_file_has_none_and_a_cut_form_is_unreadable() {
        let none = read(request(b"--B--\r\n"), "file", 100, OverLimit::Stop, memory)
            .await
            .expect("read");
        assert!(none.file.is_none());
        let cut = read(
            request(b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc"),
            "file",
            100,
            OverLimit::Stop,
            memory,
        )
        .await;
        assert!(matches!(cut, Err(UploadError::Unreadable(_))), "{cut:?}");
        let plain = Request::builder()
            .method("POST")
            .header("content-type", "text/plain")
            .body(Body::from("x"))
            .expect("request");
        assert!(matches!(
            read(plain, "file", 100, OverLimit::Stop, memory).await,
            Err(UploadError::NotMultipart)
        ));
    }

    #[tokio::test]
    async fn a_form_of_too_many_fields_is_refused() {
        let body: String = (0..=FIELDS_LIMIT)
            .map(|i| format!("--B\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nx\r\n"))
            .chain(std::iter::once("--B--\r\n".to_string()))
            .collect();
        let request = Request::builder()
            .method("POST")
            .header("content-type", "multipart/form-data; boundary=B")
            .body(Body::from(body))
            .expect("request");
        assert!(matches!(
            read(request, "file", 100, OverLimit::Stop, memory).await,
            Err(UploadError::FieldTooLong(_))
        ));
    }
}
